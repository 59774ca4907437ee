//! Languages, locales and locale-aware text: which language the payer reads,
//! how amounts and counts are written for them, and (part K) the catalogue of
//! every payer-facing sentence.
//!
//! Everything here is data-driven from CLDR 48.2 (`core/i18n/cldr/`, turned
//! into tables by `core/build/cldr.rs`), never from hand-typed tables:
//! - [`Locale::negotiate`] picks a catalogue [`Lang`] from the user's ordered
//!   list of BCP 47 / POSIX tags, and keeps the most specific CLDR number-format
//!   locale for amounts (en-SG writes SGD as "$12.50", en as "SGD 12.50").
//! - [`plural`] gives CLDR's cardinal plural category of a number.
//! - [`amount`] writes money and counts the way CLDR says, and never rounds.
//!
//! ADR 0024 records the decisions; docs/i18n.md explains them for app teams.

pub mod amount;
pub mod catalogue;
pub mod describe;
pub mod plural;

mod pseudo;

mod cldr;

pub use amount::{format_amount, format_count, AmountText};
pub use cldr::CLDR_VERSION;

/// A catalogue language: one the payer-facing texts are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English, the reference language and the last resort.
    En,
    /// Simplified Chinese.
    ZhHans,
    /// Malay.
    Ms,
    /// Indonesian.
    Id,
}

impl Lang {
    /// Every catalogue language, English first.
    pub const ALL: [Lang; 4] = [Lang::En, Lang::ZhHans, Lang::Ms, Lang::Id];

    /// The BCP 47 tag: "en", "zh-Hans", "ms", "id".
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHans => "zh-Hans",
            Lang::Ms => "ms",
            Lang::Id => "id",
        }
    }

    /// The language subtag and the script the catalogue is written in; a tag
    /// whose (explicit or CLDR-likely) script differs is not this language
    /// for a reader (ms-Arab is Jawi, which a Rumi Malay text does not serve).
    fn subtag_and_script(self) -> (&'static str, &'static str) {
        match self {
            Lang::En => ("en", "Latn"),
            Lang::ZhHans => ("zh", "Hans"),
            Lang::Ms => ("ms", "Latn"),
            Lang::Id => ("id", "Latn"),
        }
    }

    /// The catalogue language whose language subtag is `subtag` (lower case).
    fn from_subtag(subtag: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.subtag_and_script().0 == subtag)
    }
}

/// The negotiated locale: the catalogue language, whether the pseudo-locale
/// is on, and the number-format locale (which may carry a region: en-SG,
/// zh-Hans-SG and ms-SG write SGD as "$", en and ms as "SGD").
///
/// Small and `Copy`: pass it by value to every formatting call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    lang: Lang,
    pseudo: bool,
    /// Index of the CLDR number-format locale in the generated tables.
    num: u8,
}

impl Locale {
    /// Plain English with CLDR's root English number formats ("SGD 12.50",
    /// "$12.50" for USD): the answer when nothing in the user's list matches.
    pub const ENGLISH: Locale = Locale {
        lang: Lang::En,
        pseudo: false,
        num: cldr::NUM_EN,
    };

    /// Picks the locale for the user's ordered list of language tags (BCP 47
    /// such as "zh-Hans-SG", or POSIX such as "zh_SG.UTF-8", "C").
    ///
    /// For each tag in order: canonicalise (`_` → `-`, drop `.codeset` and
    /// `@modifier`, CLDR's language aliases such as the legacy "in" → "id"
    /// and "zsm" → "ms", "C"/"POSIX" → en), take the
    /// script CLDR's likely subtags give when none is written (zh-SG is
    /// Simplified, zh-TW, zh-HK and zh-US are Traditional), and match the
    /// language and script against the catalogue. The first match wins; a
    /// Traditional Chinese tag is skipped (a Simplified text is not what that
    /// reader asked for) and the search goes on with the next tag; English is
    /// the last resort. "en-XA" selects the pseudo-locale. The region stays for
    /// amounts: the number-format locale is the most specific generated one on
    /// CLDR's parent chain (en-GB → en-001, en-US → en).
    ///
    /// An element may itself be a comma-separated list, as Android's
    /// `LocaleList.toLanguageTags()` returns one ("zh-TW,en-US"). At most
    /// [`Locale::MAX_TAGS`] tags are looked at.
    pub fn negotiate<S: AsRef<str>>(tags: &[S]) -> Locale {
        tags.iter()
            .flat_map(|t| t.as_ref().split(','))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .take(Locale::MAX_TAGS)
            .find_map(Locale::match_tag)
            .unwrap_or(Locale::ENGLISH)
    }

    /// Most tags [`Locale::negotiate`] looks at: a user's list is a handful,
    /// and a hostile list must not cost more than this.
    pub const MAX_TAGS: usize = 32;

    /// The catalogue language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Whether the pseudo-locale en-XA is on: English text, accented, padded
    /// and bracketed, for layout checks at large font sizes.
    pub fn is_pseudo(&self) -> bool {
        self.pseudo
    }

    /// The locale's tag: the number-format locale ("en-SG", "zh-Hans", "id",
    /// "en-001"), or "en-XA" for the pseudo-locale.
    pub fn tag(&self) -> &'static str {
        if self.pseudo {
            "en-XA"
        } else {
            cldr::num_tag(self.num)
        }
    }

    /// The locale one tag asks for, or `None` when it names no catalogue
    /// language (or is not a language tag at all).
    fn match_tag(tag: &str) -> Option<Locale> {
        let parsed = ParsedTag::parse(tag)?;
        if parsed.posix_c {
            return Some(Locale::ENGLISH);
        }
        let lang = Lang::from_subtag(parsed.language.as_str())?;
        let region = parsed.region.as_deref();
        if lang == Lang::En && region == Some("XA") && parsed.script.is_none() {
            return Some(Locale {
                lang: Lang::En,
                pseudo: true,
                num: cldr::NUM_EN,
            });
        }
        let (_, catalogue_script) = lang.subtag_and_script();
        let script_ok = match parsed.script.as_deref() {
            Some(script) => script == catalogue_script,
            None => !cldr::likely_script_differs(lang, region),
        };
        if !script_ok {
            return None;
        }
        Some(Locale {
            lang,
            pseudo: false,
            num: cldr::resolve_num(lang, region),
        })
    }
}

/// A language tag taken apart: lower-case language, title-case script,
/// upper-case region; variants and extensions are ignored (nothing here
/// depends on them).
struct ParsedTag {
    language: String,
    script: Option<String>,
    region: Option<String>,
    /// "C" or "POSIX": the POSIX default locale, which means English.
    posix_c: bool,
}

impl ParsedTag {
    /// Longest tag looked at: a real tag is far shorter, and a hostile
    /// environment variable must not cost more than this.
    const MAX_LEN: usize = 64;

    fn parse(tag: &str) -> Option<ParsedTag> {
        if tag.len() > Self::MAX_LEN {
            return None;
        }
        // POSIX: language[_territory][.codeset][@modifier].
        let tag = tag.split(['.', '@']).next().unwrap_or("").trim();
        if tag.eq_ignore_ascii_case("C") || tag.eq_ignore_ascii_case("POSIX") {
            return Some(ParsedTag {
                language: String::new(),
                script: None,
                region: None,
                posix_c: true,
            });
        }
        let mut parts = tag.split(['-', '_']);
        let first = parts.next()?;
        if !(2..=3).contains(&first.len()) || !first.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let mut language = first.to_ascii_lowercase();
        // CLDR languageAlias: "in" (the ISO 639 code withdrawn in 1989 that
        // Java, and so Android's Locale.getLanguage(), still reports for
        // Indonesian), "zsm", "cmn", the three-letter forms…
        if let Some(lang) = cldr::alias(&language) {
            language = lang.subtag_and_script().0.to_owned();
        }
        let alpha = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_alphabetic());
        let title = |s: &str| {
            let mut t = s.to_ascii_lowercase();
            t[..1].make_ascii_uppercase();
            t
        };
        // Empty subtags come from Java's `Locale.toString()` ("zh__#Hant"),
        // which also writes the script last, after a '#'.
        let mut rest = parts.filter(|s| !s.is_empty()).peekable();
        // BCP 47 extended language subtags ("zh-cmn-Hant", "zh-yue-HK"):
        // they name a variety of the language, which the script and region
        // after them still decide.
        while rest.next_if(|s| alpha(s, 3)).is_some() {}
        let mut script = rest.next_if(|s| alpha(s, 4)).map(title);
        let region = rest
            .next_if(|s| alpha(s, 2) || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())))
            .map(|r| r.to_ascii_uppercase());
        // What may follow: variants (5-8 characters, or 4 starting with a
        // digit), extensions and private use (a one-character singleton and
        // what comes after it), and Java's "#Script". Anything else in the
        // script or region position is a malformed tag, refused rather than
        // read as "no region": "zh-T" must not become Simplified Chinese.
        if let Some(s) = rest.next() {
            if let Some(java_script) = s.strip_prefix('#') {
                if !alpha(java_script, 4) || script.is_some() {
                    return None;
                }
                script = Some(title(java_script));
            } else {
                let alnum = s.bytes().all(|b| b.is_ascii_alphanumeric());
                let variant = alnum
                    && ((5..=8).contains(&s.len())
                        || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit()));
                // A singleton opens an extension and needs a subtag after it.
                let singleton = s.len() == 1 && alnum && rest.peek().is_some();
                if !(variant || singleton) {
                    return None;
                }
                // Java puts "#Script" after a variant: "zh_TW_POSIX_#Hant".
                if let Some(js) = rest.find_map(|s| s.strip_prefix('#')) {
                    if !alpha(js, 4) || script.is_some() {
                        return None;
                    }
                    script = Some(title(js));
                }
            }
        }
        Some(ParsedTag {
            language,
            script,
            region,
            posix_c: false,
        })
    }
}

/// The user's ordered locale list from the POSIX environment, for the CLI:
/// `LANGUAGE` (GNU gettext's colon-separated list), then `LC_ALL`,
/// `LC_MESSAGES` and `LANG`. Unset and empty values are skipped.
///
/// `LANGUAGE` is ignored when the locale the C library would pick (the first
/// of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set and non-empty) is "C" or
/// "POSIX", or when none is set (which is the C locale): gettext does the same,
/// so a `LANG=C` session stays English whatever `LANGUAGE` says. All three
/// locale variables are listed, in POSIX's precedence, so that an unsupported
/// `LC_ALL` still falls back to a supported `LANG` before English.
///
/// `get` reads one variable (`|k| std::env::var(k).ok()` in a program).
pub fn locales_from_env(get: impl Fn(&str) -> Option<String>) -> Vec<String> {
    let locale_vars: Vec<String> = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(|k| get(k).filter(|v| !v.trim().is_empty()))
        .collect();
    let chosen_is_c = locale_vars
        .first()
        .is_none_or(|v| ParsedTag::parse(v).is_some_and(|p| p.posix_c));
    let mut out = Vec::new();
    if !chosen_is_c {
        if let Some(list) = get("LANGUAGE") {
            out.extend(
                list.split(':')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
        }
    }
    out.extend(locale_vars);
    out
}

#[cfg(test)]
mod tests;
