//! The payer's language for the lines the CLI prints as the phone would show
//! them (`phone: …`): `--lang` first, else the environment (`LANGUAGE`,
//! `LC_ALL`, `LC_MESSAGES`, `LANG`), negotiated by the core against the
//! catalogue's languages (issue 13, ADR 0024). The narration around those
//! lines (steps, checks, sandbox figures) is for developers and stays English.

use std::sync::OnceLock;

use scanpay_core::i18n::catalogue::Msg;
use scanpay_core::i18n::{locales_from_env, Locale};

/// Chosen once in `main`, before any subcommand runs; a CLI process shows
/// one language, so a process-wide value saves threading it through every
/// command's helpers.
static LOCALE: OnceLock<Locale> = OnceLock::new();

/// Negotiates the payer's locale from `--lang` (in order of preference) or,
/// when it is not given, from the environment, and keeps it for [`phone`].
pub fn choose(flag: &[String]) -> Locale {
    let locale = if flag.is_empty() {
        Locale::negotiate(&locales_from_env(|name| std::env::var(name).ok()))
    } else {
        Locale::negotiate(flag)
    };
    // A second call keeps the first choice: main calls this once.
    *LOCALE.get_or_init(|| locale)
}

/// The payer's locale ([`Locale::ENGLISH`] until [`choose`] runs).
pub fn locale() -> Locale {
    LOCALE.get().copied().unwrap_or(Locale::ENGLISH)
}

/// Prints what the phone shows for `msg`, in the payer's language.
pub fn phone(msg: &Msg) {
    println!("    phone: {}", for_terminal(&msg.render(&locale())));
}

/// A rendered text for a terminal: the catalogue wraps names in Unicode
/// bidi isolates (U+2068 … U+2069) so that an app's text layout cannot let a
/// right-to-left name reorder the amount beside it; terminals do not run the
/// bidi algorithm and some draw the isolates as boxes, so they are dropped.
pub fn for_terminal(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\u{2068}' | '\u{2069}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isolates_are_dropped_and_the_rest_kept() {
        assert_eq!(
            for_terminal("Pay \u{2068}Kopi\u{2069} ¥12.50"),
            "Pay Kopi ¥12.50"
        );
    }
}
