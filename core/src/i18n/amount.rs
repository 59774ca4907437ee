//! Amounts and counts written the way CLDR 48.2 writes them for a locale.
//!
//! - The symbol is CLDR's `symbol` for the currency in the number-format
//!   locale, or the ISO code when CLDR has none there: en writes SGD as
//!   "SGD 12.50", en-SG as "$12.50", zh-Hans writes CNY as "¥12.50", id writes
//!   IDR as "Rp 12.500".
//! - When the symbol's character next to the digits is not a symbol character
//!   (a letter: "SGD", "Rp", "RM"), CLDR's `alphaNextToNumber` pattern puts a
//!   no-break space (U+00A0) between them.
//! - Fraction digits are CLDR's display digits (`_digits`: IDR 0, JPY 0, BHD 3,
//!   most 2), **but an amount is never rounded**: when the minor units below
//!   those digits are not zero, the ISO exponent's digits are shown instead
//!   (IDR 1,250,050 minor units is "Rp 12.500,50", where ICU would round to
//!   "Rp 12.501"). A payer must see exactly the amount they are asked to pay.
//! - The spoken form is CLDR's `unitPattern` with the currency's display name
//!   in the plural category of the written number ("12.50 Singapore dollars",
//!   "12.50新加坡元", "1 yen" but "1.00 US dollars").
//!
//! Agreement with node's `Intl` (ICU) is pinned by
//! `tests/vectors/i18n/money.json`.

use super::cldr::{self, NumLocale};
use super::plural::{cardinal, PluralOperands};
use super::Locale;
use crate::money::Money;

/// An amount written for one locale, with the parts a screen reader needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmountText {
    /// What the screen shows: "Rp 12.500" (U+00A0 inside), "¥12.50".
    pub text: String,
    /// What a screen reader says: CLDR's display name in CLDR's unit pattern,
    /// "12.50 Singapore dollars", "12.500 Rupiah Indonesia".
    pub spoken: String,
    /// The integer digits, no grouping, no sign: "12500" (Android's
    /// `TtsSpan.MoneyBuilder.setIntegerPart`).
    pub integer_part: String,
    /// The fraction digits shown, "" when none are: "50"
    /// (`TtsSpan.MoneyBuilder.setFractionalPart`).
    pub fraction_part: String,
    /// The ISO 4217 alpha code: "IDR" (`TtsSpan.MoneyBuilder.setCurrency`).
    pub currency: String,
}

/// Writes `money` for `locale`: the text, the spoken form and the digit parts.
/// Never rounds and never fails: every currency of the ISO table formats,
/// with its ISO code where CLDR has no symbol or name for it.
pub fn format_amount(money: &Money, locale: &Locale) -> AmountText {
    let idx = locale.num;
    let nl = cldr::num_locale(idx);
    let currency = money.currency;
    let (integer_part, fraction_part) = split_digits(money);

    let mut number = group_digits(&integer_part, nl, nl.primary, nl.secondary);
    if !fraction_part.is_empty() {
        number.push(nl.decimal);
        number.push_str(&fraction_part);
    }

    let code = currency.code();
    let (symbol, alpha) = cldr::symbol(idx, currency.numeric()).unwrap_or((code, 0b11));
    let symbol_first = nl.prefix.text().contains('¤');
    // The character next to the digits: the symbol's last one when it comes
    // first, its first one when it follows the number.
    let letter_next = if symbol_first {
        alpha & 0b10 != 0
    } else {
        alpha & 0b01 != 0
    };
    let (prefix, suffix) = if letter_next {
        (nl.alpha_prefix, nl.alpha_suffix)
    } else {
        (nl.prefix, nl.suffix)
    };
    let mut text = String::with_capacity(number.len() + symbol.len() + 4);
    push_affix(&mut text, prefix.text(), symbol);
    text.push_str(&number);
    push_affix(&mut text, suffix.text(), symbol);

    let spoken = spoken(money, locale, nl, &number, &integer_part, &fraction_part);
    AmountText {
        text,
        spoken,
        integer_part,
        fraction_part,
        currency: code.to_owned(),
    }
}

/// Writes a count with the locale's digits and grouping ("1,234" in en,
/// "1.234" in id), as CLDR's decimal pattern does for a whole number.
pub fn format_count(n: u64, locale: &Locale) -> String {
    let nl = cldr::num_locale(locale.num);
    group_digits(&n.to_string(), nl, nl.count_primary, nl.count_secondary)
}

/// The integer digits and the fraction digits to show: CLDR's display digits,
/// or the ISO exponent's when that would drop a non-zero minor unit.
fn split_digits(money: &Money) -> (String, String) {
    let exp = usize::from(money.currency.exponent());
    let display = usize::from(cldr::display_digits(money.currency.numeric()));
    // Money::to_plain_string writes exactly `exp` fraction digits.
    let plain = money.to_plain_string();
    let (int, frac) = plain.split_once('.').unwrap_or((plain.as_str(), ""));
    let shown = if display >= exp {
        // More digits than the minor unit has (none in CLDR 48.2): pad with
        // zeros, which is exact.
        let mut f = frac.to_owned();
        f.extend(std::iter::repeat_n('0', display - exp));
        f
    } else {
        let (kept, dropped) = frac.split_at(display.min(frac.len()));
        if dropped.bytes().all(|b| b == b'0') {
            kept.to_owned()
        } else {
            frac.to_owned()
        }
    };
    (int.to_owned(), shown)
}

/// Inserts the group separator into ASCII `digits` per the pattern's primary
/// and secondary sizes and the locale's minimumGroupingDigits.
fn group_digits(digits: &str, nl: &NumLocale, primary: u8, secondary: u8) -> String {
    let len = digits.len();
    let (p, s) = (usize::from(primary), usize::from(secondary.max(1)));
    // No grouping in the pattern, or fewer digits than one group plus the
    // minimum the leftmost group needs.
    if p == 0 || len < p + usize::from(nl.min_grouping.max(1)) {
        return digits.to_owned();
    }
    // Positions (counted from the right) before which a separator goes.
    let mut out = String::with_capacity(len + len / s + 1);
    for (k, ch) in digits.chars().enumerate() {
        let from_right = len - k;
        if k > 0 && from_right >= p && (from_right == p || (from_right - p) % s == 0) {
            out.push(nl.group);
        }
        out.push(ch);
    }
    out
}

/// Appends a pattern affix with "¤" replaced by the symbol.
fn push_affix(out: &mut String, affix: &str, symbol: &str) {
    for ch in affix.chars() {
        if ch == '¤' {
            out.push_str(symbol);
        } else {
            out.push(ch);
        }
    }
}

/// The spoken form: unitPattern-count-X with {0} = the written number and
/// {1} = displayName-count-X, X the plural category of the written number.
fn spoken(
    money: &Money,
    locale: &Locale,
    nl: &NumLocale,
    number: &str,
    integer_part: &str,
    fraction_part: &str,
) -> String {
    let operands = if fraction_part.is_empty() {
        PluralOperands::from_decimal(integer_part)
    } else {
        PluralOperands::from_decimal(&format!("{integer_part}.{fraction_part}"))
    };
    // Only a 19+-digit fraction could fail to parse; no currency has one.
    let category = operands
        .map(|o| cardinal(locale.lang, &o))
        .unwrap_or(super::plural::PluralCategory::Other);
    let code = money.currency.code();
    let name = cldr::display_name(locale.num, money.currency.numeric(), category).unwrap_or(code);
    let pattern = if category == super::plural::PluralCategory::One {
        nl.unit_one
    } else {
        nl.unit_other
    };
    pattern.text().replace("{0}", number).replace("{1}", name)
}

#[cfg(test)]
mod tests;
