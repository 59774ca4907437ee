//! Merchant name comparison and spoofing checks (UTS #39 via `unicode-security`).
//!
//! Three questions, asked of the name printed in the QR (ID 59) and the name
//! the registry holds for the signing key:
//!
//! 1. Are they the same after [`normalise`] (Unicode lower-case, whitespace runs
//!    collapsed to one space, ends trimmed)? Nothing else is forgiven: no
//!    accent stripping, no punctuation removal, because every extra rule is a
//!    way for two different names to compare equal. Lower-casing alone can
//!    fold a compatibility character into an ASCII letter (U+212A KELVIN SIGN
//!    → "k"), so the verifier (`store.rs`) also runs question 3 on a printed
//!    name that compares the *same*, and reports a failing one as confusable.
//! 2. If not, do they share a confusable *skeleton* (UTS #39 §4)? Then the
//!    printed name was made to *look* like the registered one — reported as
//!    confusable, which is a stronger signal than a plain mismatch.
//! 3. Is either name mixed-script beyond UTS #39's *moderately restrictive*
//!    level (Latin plus one other script is fine, and so are the Han/Kana/Hangul
//!    combinations; Latin mixed with Cyrillic or Greek is not)? Characters of the
//!    Common and Inherited scripts (digits, spaces, punctuation, combining
//!    marks) do not count towards a script.

use unicode_security::mixed_script::AugmentedScriptSet;
use unicode_security::{skeleton, RestrictionLevel, RestrictionLevelDetection};

/// How a printed name relates to a registered one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameMatch {
    /// Equal after normalisation.
    Same,
    /// Different characters, same confusable skeleton: a lookalike.
    Confusable,
    /// Different names.
    Different,
}

/// Lower-cases, collapses whitespace runs to one ASCII space, trims the ends.
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// Compares a printed name with a registered one.
pub fn compare(printed: &str, registered: &str) -> NameMatch {
    let p = normalise(printed);
    let r = normalise(registered);
    if p == r {
        return NameMatch::Same;
    }
    // Skeletons are case-sensitive ("0" looks like "O", not "o"), and a code
    // may print the name in any case: compare as written, lower- and
    // upper-cased.
    let (pc, rc) = (collapse(printed), collapse(registered));
    let confusable = skeleton(&pc).eq(skeleton(&rc))
        || skeleton(&p).eq(skeleton(&r))
        || skeleton(&pc.to_uppercase()).eq(skeleton(&rc.to_uppercase()));
    if confusable {
        NameMatch::Confusable
    } else {
        NameMatch::Different
    }
}

fn collapse(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `name` mixes scripts beyond UTS #39's moderately restrictive level,
/// or uses letters not allowed in identifiers (full-width forms, for example).
pub fn is_suspicious_script_mix(name: &str) -> bool {
    let letters: String = name
        .chars()
        .filter(|c| !AugmentedScriptSet::for_char(*c).is_all())
        .collect();
    if letters.is_empty() {
        return false;
    }
    letters.as_str().detect_restriction_level() > RestrictionLevel::ModeratelyRestrictive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_is_case_and_space_only() {
        assert_eq!(normalise("  STARBUCKS   Coffee\t"), "starbucks coffee");
        assert_eq!(
            compare("STARBUCKS COFFEE", "Starbucks Coffee"),
            NameMatch::Same
        );
        assert_eq!(
            compare("Starbucks Coffee.", "Starbucks Coffee"),
            NameMatch::Different
        );
        assert_eq!(compare("Cafe", "Café"), NameMatch::Different);
    }

    #[test]
    fn lookalikes_are_confusable() {
        // Cyrillic 'а' (U+0430) in place of Latin 'a'.
        assert_eq!(compare("Pаypal Shop", "Paypal Shop"), NameMatch::Confusable);
        // Digit one for 'l', whatever the case.
        assert_eq!(compare("PAYPA1 SHOP", "PayPal Shop"), NameMatch::Confusable);
        assert_eq!(compare("PAYPAL SHOP", "PAYMAL SHOP"), NameMatch::Different);
        // Digit zero for letter O, upper case as EMVCo names usually are.
        assert_eq!(
            compare("RIVERSIDE C0FFEE", "Riverside Coffee"),
            NameMatch::Confusable
        );
    }

    #[test]
    fn script_mixing_policy() {
        assert!(!is_suspicious_script_mix("Starbucks Coffee #12"));
        assert!(!is_suspicious_script_mix("ร้านกาแฟ KFC สาขา 3"));
        assert!(!is_suspicious_script_mix("東京ラーメン Tokyo"));
        assert!(!is_suspicious_script_mix("ร้านค้า"));
        assert!(is_suspicious_script_mix("Pаypal"));
        assert!(is_suspicious_script_mix("Αpple Store"));
        assert!(is_suspicious_script_mix("ＳＴＡＲ"));
        assert!(!is_suspicious_script_mix("7-11"));
    }

    #[test]
    fn compatibility_characters_compare_same_but_are_suspicious() {
        // U+212A KELVIN SIGN lower-cases to ASCII 'k': `compare` says Same, so
        // the verifier relies on the script check to flag it.
        let kelvin = "BANG\u{212A}OK NOODLE HOUSE";
        assert_eq!(compare(kelvin, "BANGKOK NOODLE HOUSE"), NameMatch::Same);
        assert!(is_suspicious_script_mix(kelvin));
        assert!(!is_suspicious_script_mix("BANGKOK NOODLE HOUSE"));
    }
}
