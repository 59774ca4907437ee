//! CLDR-derived locale tables. PROVISIONAL hand-checked copy of the few
//! likelySubtags / parentLocales facts negotiation needs (CLDR 48.2); the
//! generated `$OUT_DIR/cldr.rs` replaces this file in the next commit.

use super::Lang;

/// Index of root English ("en") among the number-format locales.
pub(crate) const NUM_EN: u8 = 0;

const TAGS: [&str; 12] = [
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
];

/// The tag of number-format locale `idx`.
pub(crate) fn num_tag(idx: u8) -> &'static str {
    TAGS.get(usize::from(idx)).copied().unwrap_or("en")
}

/// Whether CLDR's likely script for `lang` in `region` is not the catalogue's.
pub(crate) fn likely_script_differs(lang: Lang, region: Option<&str>) -> bool {
    let Some(r) = region else { return false };
    match lang {
        Lang::ZhHans => [
            "AU", "BN", "GB", "GF", "HK", "ID", "MO", "PA", "PF", "PH", "SR", "TH", "TW", "US",
            "VN",
        ]
        .contains(&r),
        Lang::Ms => r == "CC",
        _ => false,
    }
}

/// The most specific generated number-format locale for `lang` in `region`.
pub(crate) fn resolve_num(lang: Lang, region: Option<&str>) -> u8 {
    let base = match lang {
        Lang::En => "en",
        Lang::ZhHans => "zh-Hans",
        Lang::Ms => "ms",
        Lang::Id => "id",
    };
    let find = |t: &str| {
        TAGS.iter()
            .position(|x| *x == t)
            .and_then(|i| u8::try_from(i).ok())
    };
    if let Some(r) = region {
        if let Some(i) = find(&format!("{base}-{r}")) {
            return i;
        }
        if lang == Lang::En && !["US", "001", "XA"].contains(&r) {
            return 1;
        }
    }
    find(base).unwrap_or(NUM_EN)
}

/// The cardinal plural category (CLDR 48.2: en "one" = `i = 1 and v = 0`;
/// zh, ms, id have only "other").
pub(crate) fn cardinal(
    lang: Lang,
    op: &super::plural::PluralOperands,
) -> super::plural::PluralCategory {
    use super::plural::PluralCategory;
    match lang {
        Lang::En if op.i == 1 && op.v == 0 => PluralCategory::One,
        _ => PluralCategory::Other,
    }
}
