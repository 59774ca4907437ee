//! Amounts and counts written for a locale. PROVISIONAL: this first version
//! writes the ISO code, "." and "," and the ISO exponent's digits for every
//! locale; the CLDR-driven formatter replaces it in the next commit, with the
//! same API.

use super::Locale;
use crate::money::Money;

/// An amount written for one locale, with the parts a screen reader needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountText {
    /// What the screen shows: "Rp 12.500" (U+00A0 inside), "¥12.50".
    pub text: String,
    /// What a screen reader says: "12.50 Singapore dollars".
    pub spoken: String,
    /// The integer digits, no grouping, no sign: "12500" (for Android's
    /// `TtsSpan.MoneyBuilder.setIntegerPart`).
    pub integer_part: String,
    /// The fraction digits shown, "" when none are: "50".
    pub fraction_part: String,
    /// The ISO 4217 alpha code: "IDR".
    pub currency: String,
}

/// Writes `money` for `locale`. Never rounds.
pub fn format_amount(money: &Money, locale: &Locale) -> AmountText {
    let _ = locale;
    let plain = money.to_plain_string();
    let (int, frac) = plain.split_once('.').unwrap_or((plain.as_str(), ""));
    let grouped = group(int);
    let number = if frac.is_empty() {
        grouped
    } else {
        format!("{grouped}.{frac}")
    };
    let code = money.currency.code();
    AmountText {
        text: format!("{code}\u{a0}{number}"),
        spoken: format!("{number} {code}"),
        integer_part: int.to_owned(),
        fraction_part: frac.to_owned(),
        currency: code.to_owned(),
    }
}

/// Writes a count with the locale's grouping ("1,234").
pub fn format_count(n: u64, locale: &Locale) -> String {
    let _ = locale;
    group(&n.to_string())
}

fn group(digits: &str) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
