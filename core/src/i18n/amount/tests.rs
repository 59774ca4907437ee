//! Amount formatting: the committed ICU vectors, the never-round rule, and
//! the digit parts for screen readers.

use serde_json::Value;

use super::*;
use crate::i18n::cldr::CLDR_VERSION;
use crate::i18n::Locale;
use crate::money::Currency;

const VECTORS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/i18n/money.json"
));

fn fmt(minor: u64, c: Currency, tag: &str) -> AmountText {
    format_amount(&Money::new(minor, c), &Locale::negotiate(&[tag]))
}

fn vectors() -> Value {
    serde_json::from_str(VECTORS).unwrap()
}

#[test]
fn every_icu_vector_matches() {
    let v = vectors();
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 1_300, "only {} cases", cases.len());
    let mut wrong = Vec::new();
    for c in cases {
        let s = |k: &str| c[k].as_str().unwrap();
        let currency = Currency::from_code(s("currency")).unwrap();
        let minor: u64 = s("minor").parse().unwrap();
        let got = fmt(minor, currency, s("locale"));
        let spoken = spoken_as_shipped(s("text"), s("spoken"), s("currency"));
        let want = (s("text"), spoken.as_str(), s("integer"), s("fraction"));
        let have = (
            got.text.as_str(),
            got.spoken.as_str(),
            got.integer_part.as_str(),
            got.fraction_part.as_str(),
        );
        if have != want || got.currency != s("currency") {
            wrong.push(format!(
                "{} {} {minor}: got {have:?}, ICU {want:?}",
                s("locale"),
                s("currency")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// ICU's spoken form as the phone library says it: CLDR's own for a
/// currency whose display names ship (`SPOKEN_NAMES`), else the same unit
/// pattern with the ISO code in place of the name ("12.50 UAE dirhams" →
/// "12.50 AED"). Every generated locale's unit pattern puts the number
/// first, so the name is what follows the written number.
fn spoken_as_shipped(text: &str, icu_spoken: &str, code: &str) -> String {
    if crate::i18n::cldr::SPOKEN_NAMES.contains(&code) {
        return icu_spoken.to_owned();
    }
    let number: String = text
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ',')
        .collect();
    let name = icu_spoken
        .strip_prefix(number.as_str())
        .unwrap_or_else(|| panic!("{icu_spoken:?} does not start with {number:?}"));
    let gap = &name[..name.len() - name.trim_start().len()];
    format!("{number}{gap}{code}")
}

#[test]
fn a_currency_without_shipped_names_is_spoken_by_its_code() {
    // CLDR names AED ("UAE dirhams", "迪拉姆", "Dirham UAE"), but the phone
    // library ships names only for SPOKEN_NAMES: the unit pattern takes the
    // ISO code instead, and the written text is CLDR's as always.
    assert!(!crate::i18n::cldr::SPOKEN_NAMES.contains(&"AED"));
    let en = fmt(1250, Currency::AED, "en");
    assert_eq!(en.text, "AED\u{a0}12.50");
    assert_eq!(en.spoken, "12.50 AED");
    assert_eq!(fmt(1250, Currency::AED, "zh-Hans").spoken, "12.50AED");
    assert_eq!(fmt(1250, Currency::AED, "id").spoken, "12,50 AED");
    // A shipped one keeps its CLDR name in every language.
    assert_eq!(fmt(1250, Currency::THB, "en").spoken, "12.50 Thai baht");
    assert_eq!(
        fmt(1250, Currency::MYR, "ms").spoken,
        "12.50 Ringgit Malaysia"
    );
}

#[test]
fn vectors_come_from_the_vendored_cldr_release() {
    // node's ICU carries CLDR 48.0, the vendored copy is 48.2.0: the same
    // release, whose point versions fix data outside these locales. A vector
    // file from another release must be regenerated with the data.
    let v = vectors();
    let major = |s: &str| s.split('.').next().unwrap_or("").to_owned();
    assert_eq!(major(v["cldr"].as_str().unwrap()), major(CLDR_VERSION));
}

#[test]
fn idr_is_never_rounded() {
    // CLDR shows IDR with 0 digits; ICU writes 12,500.50 as "Rp 12.501".
    let t = fmt(1_250_050, Currency::IDR, "id");
    assert_eq!(t.text, "Rp\u{a0}12.500,50");
    assert_eq!(
        (t.integer_part.as_str(), t.fraction_part.as_str()),
        ("12500", "50")
    );
    assert_eq!(t.spoken, "12.500,50 Rupiah Indonesia");
    assert_eq!(
        fmt(1_250_050, Currency::IDR, "en").text,
        "IDR\u{a0}12,500.50"
    );
    assert_eq!(fmt(1, Currency::IDR, "in").text, "Rp\u{a0}0,01");
    assert_eq!(fmt(10, Currency::IDR, "id").text, "Rp\u{a0}0,10");
    // Whole rupiahs keep CLDR's 0 digits.
    assert_eq!(fmt(1_250_000, Currency::IDR, "id").text, "Rp\u{a0}12.500");
    assert_eq!(fmt(0, Currency::IDR, "id").fraction_part, "");
    // The same rule for a 3-digit ISO currency CLDR shows with 0 (IQD).
    assert_eq!(fmt(12_345, Currency::IQD, "en").text, "IQD\u{a0}12.345");
    assert_eq!(fmt(12_000, Currency::IQD, "en").text, "IQD\u{a0}12");
}

#[test]
fn english_spoken_form_follows_the_written_plural() {
    // "1" is one, "1.00" is other: CLDR's operand v counts the shown zeros.
    assert_eq!(fmt(1, Currency::JPY, "en").spoken, "1 Japanese yen");
    assert_eq!(fmt(100, Currency::IDR, "en").spoken, "1 Indonesian rupiah");
    assert_eq!(
        fmt(100, Currency::SGD, "en").spoken,
        "1.00 Singapore dollars"
    );
    assert_eq!(fmt(100, Currency::SGD, "zh-CN").spoken, "1.00新加坡元");
}

#[test]
fn counts_group_per_locale() {
    let count = |n, tag: &str| format_count(n, &Locale::negotiate(&[tag]));
    assert_eq!(count(0, "en"), "0");
    assert_eq!(count(999, "en"), "999");
    assert_eq!(count(1234, "en"), "1,234");
    assert_eq!(count(1_234_567, "zh-Hans"), "1,234,567");
    assert_eq!(count(1_234_567, "id"), "1.234.567");
    assert_eq!(count(1_234_567, "ms-ID"), "1.234.567");
    assert_eq!(count(u64::MAX, "en-SG"), "18,446,744,073,709,551,615");
    assert_eq!(count(12, "en-XA"), "12");
}

#[test]
fn pseudo_locale_formats_as_english() {
    assert_eq!(
        fmt(1250, Currency::SGD, "en-XA"),
        fmt(1250, Currency::SGD, "en")
    );
}

#[test]
fn unknown_to_cldr_falls_back_to_the_iso_code() {
    // CLDR 48 has neither a Malay symbol nor a Malay name for VED.
    let t = fmt(1250, Currency::VED, "ms");
    assert_eq!(t.text, "VED\u{a0}12.50");
    assert_eq!(t.spoken, "12.50 VED");
}

mod props {
    use super::*;
    use proptest::prelude::*;

    const TAGS: [&str; 13] = [
        "en",
        "en-001",
        "en-SG",
        "en-MY",
        "en-ID",
        "zh-Hans",
        "zh-Hans-SG",
        "zh-Hans-HK",
        "ms",
        "ms-SG",
        "ms-ID",
        "id",
        "en-XA",
    ];

    proptest! {
        #[test]
        fn digits_are_the_amounts_exactly(
            minor in any::<u64>(),
            c in proptest::sample::select(Currency::all()),
            tag in proptest::sample::select(&TAGS[..]),
        ) {
            let m = Money::new(minor, c);
            let t = format_amount(&m, &Locale::negotiate(&[tag]));
            let plain = m.to_plain_string();
            let (int, frac) = plain.split_once('.').unwrap_or((plain.as_str(), ""));
            // Same value: the integer digits, and the fraction up to zeros a
            // display may add or drop, never a non-zero digit.
            prop_assert_eq!(t.integer_part.as_str(), int);
            prop_assert_eq!(t.fraction_part.trim_end_matches('0'), frac.trim_end_matches('0'));
            prop_assert!(t.integer_part.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(t.fraction_part.bytes().all(|b| b.is_ascii_digit()));
            // And the screen shows exactly those digits.
            let shown: String = t.text.chars().filter(char::is_ascii_digit).collect();
            prop_assert_eq!(shown, format!("{}{}", t.integer_part, t.fraction_part));
            prop_assert_eq!(t.currency.as_str(), c.code());
        }
    }
}
