//! Tests of the catalogue: every id in every language, the run-time lengths,
//! plurals, bidi isolation, amounts, and the build's checks on bad sources.

use super::*;
use crate::money::Currency;

/// The build's checking code, compiled here too so its refusals can be
/// tested on bad sources (a build script has no test harness).
#[allow(dead_code)]
#[path = "../../build/catalogue_check.rs"]
mod build_check;

fn locale(tag: &str) -> Locale {
    Locale::negotiate(&[tag])
}

fn all_locales() -> Vec<Locale> {
    let mut v: Vec<Locale> = Lang::ALL.iter().map(|l| locale(l.tag())).collect();
    v.push(locale("en-XA"));
    v
}

/// Samples at the bounds the build assumes: the widest amount it allows for
/// ("SGD 12,345.67", 13 characters), 3-digit counts, a wait of a day, a name
/// of 24 characters.
fn widest() -> Vec<Msg> {
    Msg::every(
        Money::new(1_234_567, Currency::SGD),
        999,
        "ABCDEFGHIJKLMNOPQRSTUVWX",
        86_400,
    )
}

#[test]
fn negotiated_languages_are_the_catalogue_ones() {
    // The tables are picked by Lang; make sure the tags used here reach them.
    for l in Lang::ALL {
        assert_eq!(locale(l.tag()).lang(), l);
    }
    assert!(locale("en-XA").is_pseudo());
}

#[test]
fn every_id_renders_in_every_language_without_leftovers() {
    let msgs = widest();
    assert_eq!(msgs.len(), Msg::ALL_IDS.len());
    for (m, id) in msgs.iter().zip(Msg::ALL_IDS) {
        assert_eq!(m.id(), *id);
    }
    for loc in all_locales() {
        for m in &msgs {
            let text = m.render(&loc);
            assert!(
                !text.trim().is_empty(),
                "{} in {}: empty",
                m.id(),
                loc.tag()
            );
            assert!(
                !text.contains('{') && !text.contains('}') && !text.contains('$'),
                "{} in {}: leftover placeable in {text:?}",
                m.id(),
                loc.tag()
            );
            for (name, arg) in m.args() {
                let shown = match &arg {
                    Arg::Money(money) => format_amount(money, &loc).text,
                    Arg::Count(n) | Arg::Seconds(n) => format_count(*n, &loc),
                    Arg::Name(n) => n.clone(),
                };
                assert!(
                    text.contains(&shown),
                    "{} in {}: ${name} ({shown:?}) missing from {text:?}",
                    m.id(),
                    loc.tag()
                );
            }
        }
    }
}

#[test]
fn translations_are_not_english() {
    // A translation that is a copy of the English would pass every other
    // check; allow only texts that are the same word in both (brand, "Online",
    // "Total …", "Tip …").
    let en = locale("en");
    let same_ok = ["status-online", "receipt-total", "receipt-tip"];
    for tag in ["zh-Hans", "ms", "id"] {
        let loc = locale(tag);
        for m in widest() {
            if same_ok.contains(&m.id()) {
                continue;
            }
            assert_ne!(m.render(&loc), m.render(&en), "{} in {tag}", m.id());
        }
    }
}

#[test]
fn every_rendering_stays_within_its_max_length() {
    for loc in all_locales() {
        for m in widest() {
            let text = m.render(&loc);
            let len = text.chars().count();
            assert!(
                len <= m.max_len(),
                "{} in {}: {len} characters over max-length {}: {text:?}",
                m.id(),
                loc.tag(),
                m.max_len()
            );
        }
    }
}

#[test]
fn pseudo_locale_pads_as_the_build_assumes() {
    let en = locale("en");
    let xa = locale("en-XA");
    for m in widest() {
        let english = m.render(&en).chars().count();
        let pseudo = m.render(&xa);
        assert_eq!(
            pseudo.chars().count(),
            build_check::pseudo_len(english),
            "{}: {pseudo:?}",
            m.id()
        );
        assert!(pseudo.starts_with('[') && pseudo.ends_with(']'));
    }
    let done = Msg::FlowDone {
        amount: Money::new(450, Currency::SGD),
        merchant: "KOPI".into(),
    };
    let text = done.render(&xa);
    assert!(text.starts_with("[Þåîð "), "{text}");
    // The arguments are not accented.
    assert!(text.contains("\u{2068}KOPI\u{2069}"), "{text}");
    assert!(text.contains(&format_amount(&Money::new(450, Currency::SGD), &xa).text));
}

#[test]
fn english_plurals_follow_cldr() {
    let en = locale("en");
    assert_eq!(
        Msg::PinWrong { attempts_left: 1 }.render(&en),
        "Wrong PIN. 1 attempt left."
    );
    assert_eq!(
        Msg::PinWrong { attempts_left: 2 }.render(&en),
        "Wrong PIN. 2 attempts left."
    );
    assert_eq!(
        Msg::PinWrong { attempts_left: 0 }.render(&en),
        "Wrong PIN. 0 attempts left."
    );
    assert_eq!(
        Msg::PinLockedOut { wait: 1 }.render(&en),
        "Too many wrong PINs. Try again in 1 second."
    );
    assert_eq!(
        Msg::StatusPendingPayments { count: 1_000 }.render(&en),
        "1,000 payments waiting"
    );
    // Chinese has only "other": the number is always written.
    assert_eq!(
        Msg::PinWrong { attempts_left: 1 }.render(&locale("zh-Hans")),
        "支付密码错误，还可尝试 1 次。"
    );
}

#[test]
fn names_are_bidi_isolated_and_cannot_break_out() {
    let en = locale("en");
    let amount = Money::new(1250, Currency::SGD);
    let paid = Msg::FlowDone {
        amount,
        merchant: "KOPI CORNER".into(),
    };
    let text = paid.render(&en);
    assert!(text.contains("to \u{2068}KOPI CORNER\u{2069}."), "{text:?}");
    // A name that closes the isolate itself and then overrides the direction
    // (U+2069 PDI, U+202E RLO) loses its controls: the isolate stays whole.
    let hostile = Msg::FlowDone {
        amount,
        merchant: "EVIL\u{2069}\u{202E}\u{200F} SHOP".into(),
    };
    let text = hostile.render(&en);
    assert!(text.contains("\u{2068}EVIL SHOP\u{2069}"), "{text:?}");
    assert_eq!(text.matches('\u{2069}').count(), 1);
    assert!(!text.contains('\u{202E}'));
    // A paragraph separator ends an isolate under UAX #9 (rule X8) and
    // would start a right-to-left paragraph that moves the amount; a newline
    // can forge lines of the app's own text. Both become spaces.
    for sep in ["\u{2029}", "\u{2028}", "\n", "\r", "\t", "\u{1C}", "\u{85}"] {
        let text = Msg::FlowDone {
            amount,
            merchant: format!("KOPI{sep}\u{5D0}"),
        }
        .render(&en);
        assert!(
            text.contains("\u{2068}KOPI \u{5D0}\u{2069}"),
            "{sep:?}: {text:?}"
        );
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{2029}'),
            "{text:?}"
        );
    }
    // A code without a name: the placeholder, in the payer's language.
    for (tag, placeholder) in [
        ("en", "(no name)"),
        ("zh-Hans", "（无名称）"),
        ("en-XA", "(no name)"),
    ] {
        let text = Msg::FlowDone {
            amount,
            merchant: " \u{200F}".into(),
        }
        .render(&locale(tag));
        assert!(
            text.contains(&format!("\u{2068}{placeholder}\u{2069}")),
            "{tag}: {text:?}"
        );
    }
    // An overlong name is cut, not allowed to push the amount off the screen.
    let long = clean_name(&"K".repeat(500));
    assert_eq!(long.chars().count(), MAX_NAME_CHARS + 1);
    assert!(long.ends_with('…'));
}

#[test]
fn money_arguments_go_through_cldr_formatting() {
    for tag in ["en", "en-SG", "zh-Hans", "ms", "id"] {
        let loc = locale(tag);
        for money in [
            Money::new(1250, Currency::CNY),
            Money::new(1_250_000, Currency::IDR),
            Money::new(450, Currency::SGD),
        ] {
            let text = Msg::FlowConfirmAmount {
                amount: money,
                merchant: "KOPI".into(),
            }
            .render(&loc);
            let formatted = format_amount(&money, &loc).text;
            assert!(
                text.contains(&formatted),
                "{tag}: {formatted:?} not in {text:?}"
            );
        }
    }
}

#[test]
fn chinese_yuan_is_written_by_cldr_inside_the_sentence() {
    let text = Msg::FlowConfirmAmount {
        amount: Money::new(1250, Currency::CNY),
        merchant: "KOPI".into(),
    }
    .render(&locale("zh-Hans"));
    assert_eq!(text, "向 \u{2068}KOPI\u{2069} 支付 ¥12.50？");
    let rupiah = Msg::FlowDone {
        amount: Money::new(1_250_000, Currency::IDR),
        merchant: "TOKO".into(),
    }
    .render(&locale("id"));
    assert_eq!(
        rupiah,
        "Rp\u{a0}12.500 telah dibayar ke \u{2068}TOKO\u{2069}."
    );
}

#[test]
fn text_carries_id_and_args() {
    let m = Msg::FlowLimitDaily {
        limit: Money::new(50_000, Currency::SGD),
        spent: Money::new(49_000, Currency::SGD),
    };
    let t = m.text(&locale("ms"));
    assert_eq!(t.id, "flow-limit-daily");
    assert_eq!(
        t.args,
        vec![
            ("limit", Arg::Money(Money::new(50_000, Currency::SGD))),
            ("spent", Arg::Money(Money::new(49_000, Currency::SGD))),
        ]
    );
    assert!(t.text.starts_with("Ini melebihi had harian"), "{}", t.text);
}

#[test]
fn plural_categories_the_build_allows_are_the_ones_cldr_gives() {
    // The build's table of categories per language must be exactly what the
    // CLDR rules (i18n::plural) can return, or a valid translation would be
    // refused or a needed variant never chosen.
    for lang in Lang::ALL {
        let mut seen: Vec<&str> = Vec::new();
        for n in 0..=1000u64 {
            let c = cardinal(lang, &PluralOperands::from_integer(n)).keyword();
            if !seen.contains(&c) {
                seen.push(c);
            }
        }
        seen.sort_unstable();
        let mut allowed = build_check::plural_categories(lang.tag())
            .map(<[&str]>::to_vec)
            .unwrap_or_default();
        allowed.sort_unstable();
        assert_eq!(seen, allowed, "{}", lang.tag());
    }
    for (i, c) in build_check::CATEGORIES.iter().enumerate() {
        let cat = PluralCategory::from_keyword(c).map(category_index);
        assert_eq!(cat, u8::try_from(i).ok(), "{c}");
    }
}

#[test]
fn table_sizes_are_reported() {
    // Printed with --nocapture for BENCHMARKS; the blob holds every literal.
    for (lang, bytes, ops) in TABLE_SIZES {
        println!("catalogue {lang}: {bytes} bytes of text, {ops} ops");
        assert!(bytes > 0 && ops > 0);
    }
}

mod build_checks {
    //! The build's refusals, on small bad sources.
    use super::build_check::*;

    fn decl(name: &str, ty: ArgType) -> ArgDecl {
        ArgDecl {
            name: name.into(),
            ty,
            meaning: String::new(),
        }
    }

    fn msg(
        id: &str,
        line: usize,
        args: Vec<ArgDecl>,
        max: Option<usize>,
        body: Vec<Node>,
    ) -> Message {
        Message {
            id: id.into(),
            line,
            args,
            max_len: max,
            body,
        }
    }

    fn text(s: &str) -> Node {
        Node::Text(s.into())
    }

    fn src(lang: &str, messages: Vec<Message>) -> Source {
        Source {
            lang: lang.into(),
            path: format!("{lang}.ftl"),
            messages,
        }
    }

    fn en_ok() -> Source {
        src(
            "en",
            vec![msg(
                "pin-wrong",
                3,
                vec![decl("attempts", ArgType::Count)],
                Some(60),
                vec![Node::Select {
                    arg: "attempts".into(),
                    variants: vec![
                        Variant {
                            key: "one".into(),
                            default: false,
                            body: vec![text("1 attempt left")],
                        },
                        Variant {
                            key: "other".into(),
                            default: true,
                            body: vec![Node::Arg("attempts".into()), text(" attempts left")],
                        },
                    ],
                }],
            )],
        )
    }

    fn ms_ok() -> Source {
        src(
            "ms",
            vec![msg(
                "pin-wrong",
                5,
                vec![],
                None,
                vec![
                    text("Tinggal "),
                    Node::Arg("attempts".into()),
                    text(" cubaan"),
                ],
            )],
        )
    }

    fn problems(en: &Source, tr: &[Source]) -> Vec<String> {
        check(en, tr).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn a_good_catalogue_passes() {
        assert_eq!(problems(&en_ok(), &[ms_ok()]), Vec::<String>::new());
    }

    #[test]
    fn a_missing_translation_is_named() {
        let ms = src("ms", vec![]);
        assert_eq!(
            problems(&en_ok(), &[ms]),
            vec!["ms.ftl:1: pin-wrong: missing (en.ftl:3)".to_string()]
        );
    }

    #[test]
    fn an_unknown_id_is_named() {
        let mut ms = ms_ok();
        ms.messages
            .push(msg("pin-typo", 9, vec![], None, vec![text("x")]));
        assert_eq!(
            problems(&en_ok(), &[ms]),
            vec!["ms.ftl:9: pin-typo: not in en.ftl (unknown id)".to_string()]
        );
    }

    #[test]
    fn an_unused_argument_is_named() {
        let ms = src(
            "ms",
            vec![msg("pin-wrong", 5, vec![], None, vec![text("PIN salah")])],
        );
        assert_eq!(
            problems(&en_ok(), &[ms]),
            vec!["ms.ftl:5: pin-wrong: does not use $attempts, which en.ftl declares".to_string()]
        );
    }

    #[test]
    fn a_variant_that_leaves_out_an_argument_is_refused() {
        // "[one] Wrong PIN. 1 attempt left." may drop its own selector, but
        // not another argument: a payer in that case would not see the wait.
        let en = |wait_in_one: bool| {
            let variant = |key: &str, default, mut body: Vec<Node>, wait: bool| {
                if wait {
                    body.push(Node::Arg("wait".into()));
                }
                Variant {
                    key: key.into(),
                    default,
                    body,
                }
            };
            src(
                "en",
                vec![msg(
                    "pin-wrong",
                    3,
                    vec![
                        decl("attempts", ArgType::Count),
                        decl("wait", ArgType::Seconds),
                    ],
                    Some(90),
                    vec![Node::Select {
                        arg: "attempts".into(),
                        variants: vec![
                            variant("one", false, vec![text("1 attempt left ")], wait_in_one),
                            variant(
                                "other",
                                true,
                                vec![Node::Arg("attempts".into()), text(" attempts left ")],
                                true,
                            ),
                        ],
                    }],
                )],
            )
        };
        assert_eq!(
            problems(&en(false), &[]),
            vec!["en.ftl:3: pin-wrong: a variant of a select leaves out $wait: every rendering must show it".to_string()]
        );
        assert_eq!(problems(&en(true), &[]), Vec::<String>::new());
    }

    #[test]
    fn an_undeclared_variable_is_named() {
        let ms = src(
            "ms",
            vec![msg(
                "pin-wrong",
                5,
                vec![],
                None,
                vec![Node::Arg("attempts".into()), Node::Arg("tries".into())],
            )],
        );
        let p = problems(&en_ok(), &[ms]);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].starts_with("ms.ftl:5: pin-wrong: $tries is not declared"),
            "{p:?}"
        );
    }

    #[test]
    fn a_plural_category_the_language_lacks_is_refused() {
        // Malay has only "other" in CLDR: a [one] variant is a mistake.
        let mut ms = en_ok();
        ms.lang = "ms".into();
        ms.path = "ms.ftl".into();
        for m in &mut ms.messages {
            m.args.clear();
            m.max_len = None;
        }
        assert_eq!(
            problems(&en_ok(), &[ms]),
            vec![
                "ms.ftl:3: pin-wrong: [one] is not a plural category of ms (CLDR: other)"
                    .to_string()
            ]
        );
    }

    #[test]
    fn a_select_on_a_name_is_refused() {
        let mut en = en_ok();
        en.messages[0].args[0].ty = ArgType::Name;
        let p = problems(&en, &[]);
        assert!(
            p.iter()
                .any(|p| p.contains("only Count and Seconds select")),
            "{p:?}"
        );
    }

    #[test]
    fn over_max_length_is_refused_for_english_pseudo_and_translations() {
        // "1 attempt left" / "999 attempts left" (17) → en-XA 17 + 7 + 2 = 26.
        let mut en = en_ok();
        en.messages[0].max_len = Some(25);
        assert_eq!(
            problems(&en, &[]),
            vec![
                "en.ftl:3: pin-wrong: the en-XA rendering can take 26 characters \
                  (English 17 + 40 % + brackets), over max-length 25"
                    .to_string()
            ]
        );
        let mut long = ms_ok();
        long.messages[0].body.push(text(&"x".repeat(60)));
        let p = problems(&en_ok(), &[long]);
        assert_eq!(
            p,
            vec!["ms.ftl:5: pin-wrong: can take 78 characters, over max-length 60".to_string()]
        );
    }

    #[test]
    fn a_missing_max_length_is_refused() {
        let mut en = en_ok();
        en.messages[0].max_len = None;
        assert_eq!(
            problems(&en, &[]),
            vec![
                "en.ftl:3: pin-wrong: no `# max-length: N` comment (every message needs one)"
                    .to_string()
            ]
        );
    }

    #[test]
    fn declarations_are_parsed_and_bad_ones_named() {
        let (args, max) =
            parse_comment(&["$amount (Money) - the total", "a note", "max-length: 40"])
                .unwrap_or_default();
        assert_eq!(
            args,
            vec![ArgDecl {
                name: "amount".into(),
                ty: ArgType::Money,
                meaning: "the total".into()
            }]
        );
        assert_eq!(max, Some(40));
        assert_eq!(
            parse_comment(&["$amount (Float) - the total"]),
            Err("$amount: unknown type \"Float\" (Money, Count, Name or Seconds)".to_string())
        );
    }

    #[test]
    fn ids_must_be_kebab_case() {
        let mut en = en_ok();
        en.messages[0].id = "pinWrong".into();
        let p = problems(&en, &[]);
        assert!(p.iter().any(|p| p.contains("kebab-case")), "{p:?}");
    }
}
