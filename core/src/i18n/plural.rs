//! CLDR cardinal plural rules for the catalogue languages.
//!
//! The rules are generated at build time from CLDR's
//! `supplemental/plurals.json` (`core/build/cldr.rs`), and tested against the
//! `@integer` / `@decimal` samples in that same file. In CLDR 48.2 only English
//! distinguishes two categories ("1 attempt", "2 attempts"); Chinese, Malay and
//! Indonesian never inflect for number, so every count is `Other` there.
//!
//! A number's category depends on how it is *written*, not only on its value:
//! "1" is `One` in English but "1.00" is `Other` (v = 2), which is why an amount
//! takes the category of its formatted decimal ("1.00 Singapore dollars").

use super::Lang;

/// A CLDR plural category. Each language uses a subset; `Other` is always in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluralCategory {
    /// CLDR "zero".
    Zero,
    /// CLDR "one".
    One,
    /// CLDR "two".
    Two,
    /// CLDR "few".
    Few,
    /// CLDR "many".
    Many,
    /// CLDR "other", the category every language has.
    Other,
}

impl PluralCategory {
    /// The CLDR keyword, as Fluent variant keys write it: "zero", "one", "two",
    /// "few", "many", "other".
    pub fn keyword(self) -> &'static str {
        match self {
            PluralCategory::Zero => "zero",
            PluralCategory::One => "one",
            PluralCategory::Two => "two",
            PluralCategory::Few => "few",
            PluralCategory::Many => "many",
            PluralCategory::Other => "other",
        }
    }

    /// The category named by a CLDR keyword, or `None` for anything else.
    pub fn from_keyword(keyword: &str) -> Option<PluralCategory> {
        [
            PluralCategory::Zero,
            PluralCategory::One,
            PluralCategory::Two,
            PluralCategory::Few,
            PluralCategory::Many,
            PluralCategory::Other,
        ]
        .into_iter()
        .find(|c| c.keyword() == keyword)
    }
}

/// The CLDR plural operands of a written non-negative decimal number (UTS 35,
/// "Plural Operand Meanings"). `n` itself is `i` + `f` / 10^`v`, so it is not
/// stored: the rules only compare it with integers, which `i` and `f` answer
/// exactly without a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PluralOperands {
    /// The integer digits ("12.50" → 12).
    pub i: u64,
    /// The number of visible fraction digits, trailing zeros included ("12.50" → 2).
    pub v: u32,
    /// The number of visible fraction digits without trailing zeros ("12.50" → 1).
    pub w: u32,
    /// The visible fraction digits as an integer ("12.50" → 50).
    pub f: u64,
    /// The visible fraction digits without trailing zeros ("12.50" → 5).
    pub t: u64,
    /// The compact decimal exponent ("1.2c3" → 3; 0 when not compact). CLDR
    /// calls it `c`, and `e` as a deprecated synonym.
    pub c: u32,
}

impl PluralOperands {
    /// Most fraction digits accepted: `f` must fit a `u64`.
    const MAX_FRACTION_DIGITS: u32 = 18;

    /// The operands of a whole number written without a fraction ("3").
    pub fn from_integer(n: u64) -> PluralOperands {
        PluralOperands {
            i: n,
            v: 0,
            w: 0,
            f: 0,
            t: 0,
            c: 0,
        }
    }

    /// The operands of a decimal as written: ASCII digits, at most one ".",
    /// digits on both sides of it, and optionally CLDR's compact exponent
    /// ("1.2c3", i.e. 1200 written compactly). `None` for anything else, or
    /// when the integer part does not fit a `u64` or there are more than 18
    /// fraction digits.
    pub fn from_decimal(s: &str) -> Option<PluralOperands> {
        let (mantissa, exponent) = match s.find(['c', 'e']) {
            Some(at) => {
                let exp = &s[at + 1..];
                if exp.is_empty() || exp.len() > 2 || !exp.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (&s[..at], exp.parse::<u32>().ok()?)
            }
            None => (s, 0),
        };
        let (int_digits, frac_digits) = match mantissa.split_once('.') {
            Some((a, b)) if !b.is_empty() => (a, b),
            Some(_) => return None,
            None => (mantissa, ""),
        };
        if int_digits.is_empty()
            || !int_digits.bytes().all(|b| b.is_ascii_digit())
            || !frac_digits.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        // The exponent moves the decimal point right: "1.2c3" is 1200, with
        // no visible fraction digits left.
        let shift = usize::try_from(exponent).ok()?;
        let moved = shift.min(frac_digits.len());
        let mut int_all = String::with_capacity(int_digits.len() + shift);
        int_all.push_str(int_digits);
        int_all.push_str(&frac_digits[..moved]);
        for _ in moved..shift {
            int_all.push('0');
        }
        let frac = &frac_digits[moved..];
        let v = u32::try_from(frac.len()).ok()?;
        if v > Self::MAX_FRACTION_DIGITS {
            return None;
        }
        let i = int_all.parse::<u64>().ok()?;
        let trimmed = frac.trim_end_matches('0');
        let w = u32::try_from(trimmed.len()).ok()?;
        let f = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        let t = if trimmed.is_empty() {
            0
        } else {
            trimmed.parse().ok()?
        };
        Some(PluralOperands {
            i,
            v,
            w,
            f,
            t,
            c: exponent,
        })
    }
}

/// The cardinal plural category of a number in `lang`, by CLDR's rules.
pub fn cardinal(lang: Lang, op: &PluralOperands) -> PluralCategory {
    super::cldr::cardinal(lang, op)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(s: &str) -> Option<(u64, u32, u32, u64, u64, u32)> {
        PluralOperands::from_decimal(s).map(|o| (o.i, o.v, o.w, o.f, o.t, o.c))
    }

    #[test]
    fn operands_as_uts35_defines_them() {
        // UTS 35's own table of examples.
        assert_eq!(op("1"), Some((1, 0, 0, 0, 0, 0)));
        assert_eq!(op("1.0"), Some((1, 1, 0, 0, 0, 0)));
        assert_eq!(op("1.00"), Some((1, 2, 0, 0, 0, 0)));
        assert_eq!(op("1.3"), Some((1, 1, 1, 3, 3, 0)));
        assert_eq!(op("1.30"), Some((1, 2, 1, 30, 3, 0)));
        assert_eq!(op("1.03"), Some((1, 2, 2, 3, 3, 0)));
        assert_eq!(op("1.230"), Some((1, 3, 2, 230, 23, 0)));
        assert_eq!(op("1200000"), Some((1_200_000, 0, 0, 0, 0, 0)));
        assert_eq!(op("1.2c6"), Some((1_200_000, 0, 0, 0, 0, 6)));
        assert_eq!(op("123c6"), Some((123_000_000, 0, 0, 0, 0, 6)));
        assert_eq!(op("1.234c2"), Some((123, 1, 1, 4, 4, 2)));
        assert_eq!(
            PluralOperands::from_decimal("7"),
            Some(PluralOperands::from_integer(7))
        );
    }

    #[test]
    fn refuses_what_is_not_a_decimal() {
        for s in [
            "",
            ".",
            "1.",
            ".5",
            "-1",
            "+1",
            "1,5",
            "1.2.3",
            "1e",
            "1c123",
            "1 ",
            "١",
            "18446744073709551616",
            "0.1234567890123456789",
        ] {
            assert_eq!(PluralOperands::from_decimal(s), None, "{s:?}");
        }
        assert_eq!(op("18446744073709551615"), Some((u64::MAX, 0, 0, 0, 0, 0)));
    }

    #[test]
    fn english_one_is_only_a_bare_1() {
        let cat = |s: &str| PluralOperands::from_decimal(s).map(|o| cardinal(Lang::En, &o));
        assert_eq!(cat("1"), Some(PluralCategory::One));
        assert_eq!(cat("1.00"), Some(PluralCategory::Other));
        assert_eq!(cat("0"), Some(PluralCategory::Other));
        assert_eq!(cat("2"), Some(PluralCategory::Other));
        for l in [Lang::ZhHans, Lang::Ms, Lang::Id] {
            assert_eq!(
                cardinal(l, &PluralOperands::from_integer(1)),
                PluralCategory::Other
            );
        }
    }

    /// Every `@integer` / `@decimal` sample of a rule string, ranges
    /// ("0.0~1.5", step one unit of the last digit) expanded, "…" skipped.
    fn samples(rule: &str) -> Vec<String> {
        let mut out = Vec::new();
        for part in rule.split('@').skip(1) {
            let list = part
                .strip_prefix("integer")
                .or_else(|| part.strip_prefix("decimal"))
                .unwrap();
            for item in list.split(',').map(str::trim) {
                if item.is_empty() || item == "…" {
                    continue;
                }
                let Some((a, b)) = item.split_once('~') else {
                    out.push(item.to_owned());
                    continue;
                };
                let places = a.split_once('.').map_or(0, |(_, f)| f.len());
                assert_eq!(
                    places,
                    b.split_once('.').map_or(0, |(_, f)| f.len()),
                    "{item}"
                );
                let unscaled = |s: &str| s.replace('.', "").parse::<u64>().unwrap();
                for k in unscaled(a)..=unscaled(b) {
                    let digits = format!("{k:0width$}", width = places + 1);
                    let (i, f) = digits.split_at(digits.len() - places);
                    out.push(if places == 0 {
                        i.to_owned()
                    } else {
                        format!("{i}.{f}")
                    });
                }
            }
        }
        out
    }

    const PLURALS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/i18n/cldr/plurals.json"
    ));

    /// (language subtag, category, sample) for every sample in plurals.json.
    fn all_samples() -> Vec<(String, PluralCategory, String)> {
        let json: serde_json::Value = serde_json::from_str(PLURALS).unwrap();
        let mut out = Vec::new();
        for (sub, rules) in json["supplemental"]["plurals-type-cardinal"]
            .as_object()
            .unwrap()
        {
            for (key, rule) in rules.as_object().unwrap() {
                let keyword = key.strip_prefix("pluralRule-count-").unwrap();
                let want = PluralCategory::from_keyword(keyword).unwrap();
                let list = samples(rule.as_str().unwrap());
                assert!(!list.is_empty(), "{sub} {keyword}: no samples");
                out.extend(list.into_iter().map(|s| (sub.clone(), want, s)));
            }
        }
        out
    }

    #[test]
    fn every_cldr_sample_gets_its_category() {
        let mut checked = 0;
        for (lang, sub) in [
            (Lang::En, "en"),
            (Lang::ZhHans, "zh"),
            (Lang::Ms, "ms"),
            (Lang::Id, "id"),
        ] {
            for (_, want, sample) in all_samples().into_iter().filter(|(s, _, _)| s == sub) {
                let op = PluralOperands::from_decimal(&sample).unwrap();
                assert_eq!(cardinal(lang, &op), want, "{sub} {sample}");
                checked += 1;
            }
        }
        // en: 1 + 21 integers + 22 decimals; zh, ms, id: 21 + 22 each.
        assert_eq!(checked, 1 + 4 * 43, "sample count changed");
    }

    #[test]
    fn the_rule_compiler_gets_every_sample_of_harder_languages() {
        // Rules with %, ranges, lists and the f/t/w/e operands (fr, ru, ar,
        // lv, br, gd, sl, is, he, lt, cy, mt), compiled by the same build
        // step as the shipped ones.
        let all = all_samples();
        let mut langs = std::collections::BTreeSet::new();
        for (sub, want, sample) in &all {
            let op = PluralOperands::from_decimal(sample).unwrap();
            assert_eq!(
                super::super::cldr::cardinal_for_test(sub, &op),
                Some(*want),
                "{sub} {sample}"
            );
            langs.insert(sub.as_str());
        }
        assert!(langs.len() >= 16, "{langs:?}");
        assert!(all.len() > 1_000, "{}", all.len());
    }

    #[test]
    fn sample_ranges_expand() {
        assert_eq!(samples(" @integer 0~2, 5, …"), ["0", "1", "2", "5"]);
        assert_eq!(samples(" @decimal 0.9~1.1"), ["0.9", "1.0", "1.1"]);
        assert_eq!(samples("i = 1 @integer 1 @decimal 1.0c3"), ["1", "1.0c3"]);
    }

    #[test]
    fn keywords_round_trip() {
        for k in ["zero", "one", "two", "few", "many", "other"] {
            assert_eq!(
                PluralCategory::from_keyword(k).map(|c| c.keyword()),
                Some(k)
            );
        }
        assert_eq!(PluralCategory::from_keyword("One"), None);
    }
}
