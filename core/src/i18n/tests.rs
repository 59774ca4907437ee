//! Locale negotiation and the environment's locale list (research memo §3).

use std::collections::HashMap;

use super::*;

fn neg(tags: &[&str]) -> (Lang, bool, &'static str) {
    let l = Locale::negotiate(tags);
    (l.lang(), l.is_pseudo(), l.tag())
}

#[test]
fn negotiation_table() {
    // (user list, catalogue language, number-format locale)
    let cases: &[(&[&str], Lang, &str)] = &[
        (&["zh-Hans"], Lang::ZhHans, "zh-Hans"),
        (&["zh-CN"], Lang::ZhHans, "zh-Hans"),
        (&["zh"], Lang::ZhHans, "zh-Hans"),
        (&["zh-SG"], Lang::ZhHans, "zh-Hans-SG"),
        (&["zh-Hans-SG"], Lang::ZhHans, "zh-Hans-SG"),
        (&["zh-Hans-HK"], Lang::ZhHans, "zh-Hans-HK"),
        (&["zh-Hans-MO"], Lang::ZhHans, "zh-Hans"),
        (&["zh-MY"], Lang::ZhHans, "zh-Hans"),
        (&["ms"], Lang::Ms, "ms"),
        (&["ms-MY"], Lang::Ms, "ms"),
        (&["ms-SG"], Lang::Ms, "ms-SG"),
        (&["ms-ID"], Lang::Ms, "ms-ID"),
        (&["ms-Latn-SG"], Lang::Ms, "ms-SG"),
        (&["id"], Lang::Id, "id"),
        (&["id-ID"], Lang::Id, "id"),
        (&["in"], Lang::Id, "id"),
        (&["in-ID"], Lang::Id, "id"),
        (&["IN_id"], Lang::Id, "id"),
        // CLDR languageAlias: macrolanguage, bibliographic and overlong codes.
        (&["zsm-SG"], Lang::Ms, "ms-SG"),
        (&["may"], Lang::Ms, "ms"),
        (&["cmn-CN"], Lang::ZhHans, "zh-Hans"),
        (&["zho-TW", "ind"], Lang::Id, "id"),
        (&["eng-SG"], Lang::En, "en-SG"),
        (&["en"], Lang::En, "en"),
        (&["en-US"], Lang::En, "en"),
        (&["en-SG"], Lang::En, "en-SG"),
        (&["en-MY"], Lang::En, "en-MY"),
        (&["en-ID"], Lang::En, "en-ID"),
        (&["en-GB"], Lang::En, "en-001"),
        (&["en-AU"], Lang::En, "en-001"),
        (&["en-001"], Lang::En, "en-001"),
        // Two steps up CLDR's parent chain: en-DE → en-150 → en-001.
        (&["en-DE"], Lang::En, "en-001"),
        (&["en_IN.UTF-8"], Lang::En, "en-001"),
        // An explicit Simplified script outranks the region's likely one.
        (&["zh-Hans-TW"], Lang::ZhHans, "zh-Hans"),
        (&["zh_SG.UTF-8"], Lang::ZhHans, "zh-Hans-SG"),
        (&["zh_CN.GB18030@stroke"], Lang::ZhHans, "zh-Hans"),
        (&["ms_MY.UTF-8"], Lang::Ms, "ms"),
        (&["id_ID.UTF-8"], Lang::Id, "id"),
        (&["en_SG.ISO-8859-1"], Lang::En, "en-SG"),
        (&["C"], Lang::En, "en"),
        (&["POSIX"], Lang::En, "en"),
        (&["C.UTF-8"], Lang::En, "en"),
        // C is English, so it wins over a later tag.
        (&["C", "zh-CN"], Lang::En, "en"),
        // Traditional Chinese is skipped, not served Simplified text.
        (&["zh-TW", "ms"], Lang::Ms, "ms"),
        (&["zh-HK", "id"], Lang::Id, "id"),
        (&["zh-MO"], Lang::En, "en"),
        (&["zh-Hant"], Lang::En, "en"),
        (&["zh-Hant-SG", "zh-SG"], Lang::ZhHans, "zh-Hans-SG"),
        // CLDR's likely script for Chinese in the US is Traditional.
        (&["zh-US", "en-US"], Lang::En, "en"),
        // Android's LocaleList.toLanguageTags(): one comma-joined string.
        (&["zh-TW,en-US"], Lang::En, "en"),
        (&["zh-Hant,ms"], Lang::Ms, "ms"),
        (&[" zh-SG , en"], Lang::ZhHans, "zh-Hans-SG"),
        // Java's Locale.toString(): empty country, script after '#'.
        (&["zh__#Hant", "id"], Lang::Id, "id"),
        (&["zh_TW_#Hant", "id"], Lang::Id, "id"),
        (&["zh__#Hans"], Lang::ZhHans, "zh-Hans"),
        (&["zh_SG_#Hans"], Lang::ZhHans, "zh-Hans-SG"),
        // Extended language subtags: the script and region after them decide.
        (&["zh-cmn-Hant", "ms"], Lang::Ms, "ms"),
        (&["zh-yue-HK", "ms"], Lang::Ms, "ms"),
        (&["zh-cmn-Hans-CN"], Lang::ZhHans, "zh-Hans"),
        // Extensions and variants are ignored; a malformed subtag in the
        // script or region position refuses the tag instead of reading as
        // "no region" (which for zh would mean Simplified).
        (&["zh-Hans-CN-u-nu-latn"], Lang::ZhHans, "zh-Hans"),
        (&["ms-MY-x-private"], Lang::Ms, "ms"),
        (&["zh-T", "ms"], Lang::Ms, "ms"),
        (&["zh-H4nt", "ms"], Lang::Ms, "ms"),
        (&["zh__#Hant1", "ms"], Lang::Ms, "ms"),
        // Jawi Malay is not the Rumi catalogue; Malay in the Cocos Islands is
        // Arabic-script by CLDR's likely subtags.
        (&["ms-Arab", "id"], Lang::Id, "id"),
        (&["ms-CC"], Lang::En, "en"),
        // First match wins; unknown languages are passed over.
        (&["fr-FR", "de", "ms-SG", "zh-CN"], Lang::Ms, "ms-SG"),
        (&["ja", "ko"], Lang::En, "en"),
        (&[], Lang::En, "en"),
        (&["", "  ", "*", "x", "1234", "und"], Lang::En, "en"),
        (&["zh-Hans-SG-u-nu-hanidec"], Lang::ZhHans, "zh-Hans-SG"),
    ];
    for (tags, lang, tag) in cases {
        assert_eq!(neg(tags), (*lang, false, *tag), "{tags:?}");
    }
}

#[test]
fn pseudo_locale() {
    assert_eq!(neg(&["en-XA"]), (Lang::En, true, "en-XA"));
    assert_eq!(neg(&["en_XA"]), (Lang::En, true, "en-XA"));
    assert_eq!(neg(&["fr", "en-XA", "ms"]), (Lang::En, true, "en-XA"));
    assert!(!Locale::ENGLISH.is_pseudo());
    assert_eq!(Locale::ENGLISH.tag(), "en");
}

#[test]
fn hostile_tags_are_passed_over() {
    let long = "zh-".repeat(100);
    assert_eq!(neg(&[long.as_str(), "id"]), (Lang::Id, false, "id"));
    // Malformed tags are refused and the list goes on.
    assert_eq!(neg(&["zh-\u{0}"]).0, Lang::En);
    assert_eq!(
        neg(&["\u{202e}zh", "-", "_", ".", "@", "zh-\u{0}", "zh"]).0,
        Lang::ZhHans
    );
    // Only the first MAX_TAGS tags are looked at.
    let many = vec!["fr"; Locale::MAX_TAGS];
    let mut list: Vec<&str> = many.clone();
    list.push("id");
    assert_eq!(neg(&list).0, Lang::En);
}

#[test]
fn lang_tags() {
    let tags: Vec<&str> = Lang::ALL.iter().map(|l| l.tag()).collect();
    assert_eq!(tags, ["en", "zh-Hans", "ms", "id"]);
    for l in Lang::ALL {
        assert_eq!(Locale::negotiate(&[l.tag()]).lang(), l);
    }
}

fn env(vars: &[(&str, &str)]) -> Vec<String> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    locales_from_env(|k| map.get(k).cloned())
}

#[test]
fn environment_order() {
    assert_eq!(
        env(&[
            ("LANG", "en_US.UTF-8"),
            ("LC_MESSAGES", "ms_MY.UTF-8"),
            ("LC_ALL", "id_ID.UTF-8"),
            ("LANGUAGE", "zh_CN:zh::en"),
        ]),
        [
            "zh_CN",
            "zh",
            "en",
            "id_ID.UTF-8",
            "ms_MY.UTF-8",
            "en_US.UTF-8"
        ]
    );
    // Empty values are skipped, the next variable counts.
    assert_eq!(
        env(&[
            ("LC_ALL", ""),
            ("LC_MESSAGES", " "),
            ("LANG", "zh_SG.UTF-8")
        ]),
        ["zh_SG.UTF-8"]
    );
    assert_eq!(env(&[]), Vec::<String>::new());
}

#[test]
fn language_is_ignored_in_the_c_locale() {
    assert_eq!(env(&[("LANG", "C"), ("LANGUAGE", "zh_CN")]), ["C"]);
    assert_eq!(env(&[("LANG", "POSIX"), ("LANGUAGE", "zh_CN")]), ["POSIX"]);
    assert_eq!(
        env(&[("LC_ALL", "C.UTF-8"), ("LANG", "id_ID"), ("LANGUAGE", "zh")]),
        ["C.UTF-8", "id_ID"]
    );
    // No locale variable at all is the C locale too.
    assert_eq!(env(&[("LANGUAGE", "zh_CN")]), Vec::<String>::new());
    // A C LANG under a real LC_ALL: LC_ALL is what the C library picks.
    assert_eq!(
        env(&[("LC_ALL", "ms_MY"), ("LANG", "C"), ("LANGUAGE", "id")]),
        ["id", "ms_MY", "C"]
    );
    // And what the CLI then negotiates.
    let list = env(&[("LANG", "C"), ("LANGUAGE", "zh_CN")]);
    assert_eq!(Locale::negotiate(&list).lang(), Lang::En);
    let list = env(&[("LANG", "en_US.UTF-8"), ("LANGUAGE", "zh_CN:en")]);
    assert_eq!(Locale::negotiate(&list).lang(), Lang::ZhHans);
}
