//! Property tests for the MPM parser and encoder: random valid models survive
//! encode → parse unchanged, and nothing (arbitrary text, mutated payloads)
//! makes the parser panic or accept a payload whose CRC does not match.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use scanpay_core::money::{Currency, Money};
use scanpay_core::payload::mpm::{
    AdditionalData, AdditionalValue, AlternateLanguage, Initiation, MerchantAccount,
    MerchantPayload, MpmBuilder, MpmError, Percentage, Template, TipRule,
};
use scanpay_core::payload::{classify, tlv, PayloadKind};

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("\\PC{{1,{max}}}")).unwrap()
}

fn unique_ids(range: std::ops::RangeInclusive<u8>, max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::btree_set(range, 0..=max).prop_map(|s| s.into_iter().collect())
}

fn fields(
    range: std::ops::RangeInclusive<u8>,
    max: usize,
) -> impl Strategy<Value = Vec<(u8, String)>> {
    unique_ids(range, max).prop_flat_map(|ids| {
        let n = ids.len();
        (Just(ids), proptest::collection::vec(text(12), n))
            .prop_map(|(ids, vals)| ids.into_iter().zip(vals).collect())
    })
}

fn account(id: u8) -> BoxedStrategy<MerchantAccount> {
    if id <= 25 {
        "[A-Za-z0-9]{1,20}"
            .prop_map(move |raw| MerchantAccount::from_raw(id, &raw).unwrap())
            .boxed()
    } else {
        ("[A-Za-z0-9.]{1,16}", fields(1..=99, 3))
            .prop_map(move |(guid, f)| {
                let f: Vec<(u8, &str)> = f.iter().map(|(i, v)| (*i, v.as_str())).collect();
                MerchantAccount::template(id, &guid, &f).unwrap()
            })
            .boxed()
    }
}

fn accounts() -> impl Strategy<Value = Vec<MerchantAccount>> {
    proptest::collection::btree_set(2u8..=51, 1..=3)
        .prop_flat_map(|ids| ids.into_iter().map(account).collect::<Vec<_>>())
        .prop_shuffle()
}

fn value() -> impl Strategy<Value = AdditionalValue> {
    prop_oneof![
        Just(AdditionalValue::AskPayer),
        text(10)
            .prop_filter("*** means ask-the-payer", |s| s != "***")
            .prop_map(AdditionalValue::Given),
    ]
}

fn additional() -> impl Strategy<Value = AdditionalData> {
    (
        proptest::collection::vec(proptest::option::of(value()), 8),
        proptest::option::of("[AME]{1,3}"),
        fields(10..=99, 2),
    )
        // An empty 62 has no encoding (length 00 is not EMVCo); the encoder
        // refuses it, see `an_empty_additional_data_template_is_refused`.
        .prop_filter("an empty 62 cannot be encoded", |(v, cdr, other)| {
            v.iter().any(Option::is_some) || cdr.is_some() || !other.is_empty()
        })
        .prop_map(|(v, cdr, other)| {
            let mut it = v.into_iter();
            let mut next = || it.next().flatten();
            AdditionalData {
                bill_number: next(),
                mobile_number: next(),
                store_label: next(),
                loyalty_number: next(),
                reference_label: next(),
                customer_label: next(),
                terminal_label: next(),
                purpose: next(),
                consumer_data_request: cdr,
                other,
            }
        })
}

fn alternate() -> impl Strategy<Value = AlternateLanguage> {
    (
        "[a-z]{2}",
        text(15),
        proptest::option::of(text(10)),
        fields(3..=99, 1),
    )
        .prop_map(|(language, name, city, other)| AlternateLanguage {
            language,
            name,
            city,
            other,
        })
}

fn unreserved() -> impl Strategy<Value = Vec<Template>> {
    unique_ids(80..=99, 2).prop_flat_map(|ids| {
        ids.into_iter()
            .map(|id| {
                prop_oneof![
                    (
                        proptest::option::of("[A-Za-z0-9.]{1,16}"),
                        fields(1..=99, 2)
                    )
                        .prop_filter_map(
                            "an empty template cannot be encoded",
                            move |(g, f)| {
                                let f: Vec<(u8, &str)> =
                                    f.iter().map(|(i, v)| (*i, v.as_str())).collect();
                                Template::new(id, g.as_deref(), &f).ok()
                            }
                        ),
                    text(30).prop_map(move |raw| Template::from_raw(id, &raw)),
                ]
            })
            .collect::<Vec<_>>()
    })
}

fn currency() -> impl Strategy<Value = Currency> {
    proptest::sample::select(Currency::all())
}

fn model() -> impl Strategy<Value = MerchantPayload> {
    (
        (
            prop_oneof![
                Just(Initiation::Static),
                Just(Initiation::Dynamic),
                Just(Initiation::Unspecified)
            ],
            accounts(),
            proptest::option::of("[0-9]{4}"),
            currency(),
            proptest::option::of(1u64..10_000_000_000),
            0u8..4,
            1u64..1_000_000,
            1u16..=9999,
        ),
        (
            "[A-Z]{2}",
            proptest::option::of(text(25)),
            proptest::option::of(text(15)),
            proptest::option::of("[0-9A-Z]{3,8}"),
            proptest::option::of(additional()),
            proptest::option::of(alternate()),
            unreserved(),
            proptest::option::of((65u8..=79, text(10))),
        ),
    )
        .prop_map(
            |(
                (initiation, accounts, mcc, currency, amount, tip_kind, fee, bp),
                (country, name, city, postal, additional, alternate, unreserved, rfu),
            )| {
                let tip = match tip_kind {
                    1 => Some(TipRule::Prompt),
                    2 => Some(TipRule::FixedFee(Money::new(fee, currency))),
                    3 => Percentage::from_basis_points(bp).map(TipRule::PercentageFee),
                    _ => None,
                };
                MerchantPayload {
                    initiation,
                    accounts,
                    mcc,
                    currency,
                    amount: amount.map(|m| Money::new(m, currency)),
                    tip,
                    country,
                    merchant_name: name,
                    merchant_city: city,
                    postal_code: postal,
                    additional,
                    alternate_language: alternate,
                    unreserved,
                    objects: rfu.into_iter().collect(),
                    crc: 0,
                }
            },
        )
}

fn strip(mut p: MerchantPayload) -> MerchantPayload {
    p.objects.retain(|(id, _)| (65..=79).contains(id));
    p.crc = 0;
    p
}

proptest! {
    // Named directly (cargo runs tests from the package root): the default
    // persistence would put it under a `proptest-regressions/` folder beside
    // `tests/it/`, away from the committed file next to this source.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::Direct(
                "tests/it/payload_props.proptest-regressions",
            ),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn encode_parse_round_trip(m in model()) {
        let text = match m.encode() {
            Ok(t) => t,
            // Large random models may pass 512 characters; that is the encoder
            // doing its job, not a round-trip failure.
            Err(MpmError::TooLong { .. }) => return Ok(()),
            // An amount written in more than 13 characters cannot be encoded.
            Err(MpmError::Amount { .. }) => return Ok(()),
            // Random sub-objects of 62 can add up to more than the 99
            // characters one template holds: refusing is correct.
            Err(MpmError::Encode(tlv::TlvError::ValueTooLong { .. })) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
        };
        let p = MerchantPayload::parse(&text).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        // The raw objects are exactly the TLV sequence of the text.
        let raw: Vec<(u8, String)> = tlv::parse(&text).unwrap().iter().map(|o| (o.id, o.value.to_owned())).collect();
        prop_assert_eq!(&p.objects, &raw);
        prop_assert_eq!(format!("{:04X}", p.crc), text[text.len() - 4..].to_owned());
        // Encoding the parsed model gives the same text back.
        prop_assert_eq!(p.encode().unwrap(), text.clone());
        prop_assert_eq!(strip(p), strip(m));
        prop_assert_eq!(classify(&text).kind, PayloadKind::EmvMpm);
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,600}") {
        let _ = MerchantPayload::parse(&s);
        let _ = classify(&s);
    }

    #[test]
    fn parse_never_panics_on_tlv_soup(s in "(000201)?([0-9]{4}[0-9A-Za-z.*]{0,12}){0,30}") {
        let _ = MerchantPayload::parse(&s);
    }

    #[test]
    fn mutations_never_pass_with_a_stale_crc(
        m in model(),
        pos in any::<proptest::sample::Index>(),
        ch in proptest::char::range('0', 'z'),
        op in 0u8..3,
    ) {
        let Ok(text) = m.encode() else { return Ok(()) };
        let mut chars: Vec<char> = text.chars().collect();
        let i = pos.index(chars.len());
        match op {
            0 => chars[i] = ch,
            1 => { chars.remove(i); }
            _ => chars.insert(i, ch),
        }
        let mutated: String = chars.into_iter().collect();
        if mutated == text { return Ok(()) }
        match MerchantPayload::parse(&mutated) {
            // A mutation of the CRC digits to another case is the only way to
            // stay valid without recomputing the CRC.
            // Same length, same body, CRC digits equal ignoring case: a
            // case change anywhere else (a name, a GUID) must not pass.
            Ok(p) => prop_assert!(
                mutated.len() == text.len()
                    && mutated.get(..text.len() - 4) == text.get(..text.len() - 4)
                    && mutated.eq_ignore_ascii_case(&text),
                "mutated payload accepted: {mutated} ({p:?})"
            ),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn builder_writes_a_valid_payload() {
    let mut b = MpmBuilder::new();
    b.object(1, "12")
        .unwrap()
        .template(26, &[(0, "br.gov.bcb.pix"), (1, "alice@example.com")])
        .unwrap()
        .object(52, "0000")
        .unwrap()
        .object(53, "986")
        .unwrap()
        .object(54, "10.5")
        .unwrap()
        .object(58, "BR")
        .unwrap()
        .object(59, "Alice")
        .unwrap()
        .object(60, "São Paulo")
        .unwrap();
    let text = b.finish().unwrap();
    assert!(text.starts_with("000201010212"));
    // The CRC is upper-case hex.
    let crc = &text[text.len() - 4..];
    assert_eq!(crc, crc.to_ascii_uppercase());
    assert!(text.contains("6009São Paulo6304"));
    let p = MerchantPayload::parse(&text).unwrap();
    assert_eq!(p.amount, Some(Money::new(1050, Currency::BRL)));
    assert_eq!(
        p.account_by_guid("BR.GOV.BCB.PIX").unwrap().field(1),
        Some("alice@example.com")
    );

    // Builder refusals.
    assert!(matches!(
        b.object(0, "01"),
        Err(MpmError::Invalid { id: 0, .. })
    ));
    assert!(matches!(
        b.object(63, "ABCD"),
        Err(MpmError::Invalid { id: 63, .. })
    ));
    assert!(matches!(
        b.object(53, "986"),
        Err(MpmError::Invalid { id: 53, .. })
    ));
    assert!(matches!(b.object(100, "x"), Err(MpmError::Encode(_))));
    assert!(matches!(b.object(61, ""), Err(MpmError::Encode(_))));
    assert!(matches!(
        b.template(80, &[(1, "a"), (1, "b")]),
        Err(MpmError::Invalid { id: 80, .. })
    ));

    // Appending a signature-like template to a parsed payload.
    let mut b2 = p.to_builder().unwrap();
    b2.template(99, &[(0, "scanpay.example"), (1, "sig")])
        .unwrap();
    let signed = b2.finish().unwrap();
    let q = MerchantPayload::parse(&signed).unwrap();
    assert_eq!(q.unreserved_template(99).unwrap().field(1), Some("sig"));
    assert!(signed.starts_with(b2.body()));
}

#[test]
fn tip_rules() {
    let base = |extra: &str| {
        let mut b = MpmBuilder::new();
        b.object(2, "4111111111111111").unwrap();
        b.object(53, "840").unwrap();
        for (id, v) in extra
            .split(',')
            .filter(|s| !s.is_empty())
            .map(|kv| kv.split_at(2))
        {
            b.object(id.parse().unwrap(), v).unwrap();
        }
        b.object(58, "US").unwrap();
        MerchantPayload::parse(&b.finish().unwrap())
    };
    assert_eq!(base("5501").unwrap().tip, Some(TipRule::Prompt));
    assert_eq!(
        base("5502,561.5").unwrap().tip,
        Some(TipRule::FixedFee(Money::new(150, Currency::USD)))
    );
    let pct = base("5503,5703.25").unwrap().tip;
    assert_eq!(
        pct,
        Some(TipRule::PercentageFee(
            Percentage::from_basis_points(325).unwrap()
        ))
    );
    assert_eq!(
        base("5503,5799.99").unwrap().tip,
        Some(TipRule::PercentageFee(
            Percentage::from_basis_points(9999).unwrap()
        ))
    );
    assert!(matches!(
        base("5503,5700.00"),
        Err(MpmError::Invalid { id: 57, .. })
    ));
    assert!(matches!(
        base("5503,57100"),
        Err(MpmError::Invalid { id: 57, .. })
    ));
    assert!(matches!(
        base("5503,575.555"),
        Err(MpmError::Invalid { id: 57, .. })
    ));
    assert!(matches!(base("5502"), Err(MpmError::Missing(56))));
    assert!(matches!(
        base("5501,561"),
        Err(MpmError::Invalid { id: 56, .. })
    ));
    assert!(matches!(
        base("5502,561,575"),
        Err(MpmError::Invalid { id: 57, .. })
    ));
    assert!(matches!(
        base("5504"),
        Err(MpmError::Invalid { id: 55, .. })
    ));
    assert!(matches!(
        base("5502,560"),
        Err(MpmError::Invalid { id: 56, .. })
    ));
    // A zero amount reads as "the payer enters it".
    assert_eq!(base("540.00").unwrap().amount, None);
    assert_eq!(
        base("5410.00").unwrap().amount,
        Some(Money::new(1000, Currency::USD))
    );
    // Card-network accounts (02–25) are raw primitives.
    let p = base("").unwrap();
    assert_eq!(p.accounts[0].raw, "4111111111111111");
    assert!(!p.accounts[0].is_template());
    assert_eq!(p.merchant_name, None);
}

#[test]
fn rfu_and_unreserved_are_kept_leniently() {
    let mut b = MpmBuilder::new();
    b.object(26, "0004test").unwrap();
    b.object(53, "764").unwrap();
    b.object(58, "TH").unwrap();
    b.object(70, "future").unwrap();
    b.object(80, "not tlv at all").unwrap();
    b.object(81, "0003abc0102xy").unwrap();
    let p = MerchantPayload::parse(&b.finish().unwrap()).unwrap();
    assert_eq!(p.object(70), Some("future"));
    let t80 = p.unreserved_template(80).unwrap();
    assert_eq!(
        (t80.guid.as_deref(), t80.fields.len(), t80.raw.as_str()),
        (None, 0, "not tlv at all")
    );
    let t81 = p.unreserved_template(81).unwrap();
    assert!(t81.has_guid("ABC"));
    assert_eq!(t81.field(1), Some("xy"));
    // A 26–51 template that is not TLV is an error naming the template.
    let mut b = MpmBuilder::new();
    b.object(26, "garbage").unwrap();
    b.object(53, "764").unwrap();
    b.object(58, "TH").unwrap();
    assert!(matches!(
        MerchantPayload::parse(&b.finish().unwrap()),
        Err(MpmError::Template { id: 26, .. })
    ));
}

#[test]
fn an_empty_additional_data_template_is_refused() {
    let mut b = MpmBuilder::new();
    b.object(1, "11").unwrap();
    b.object(2, "4111111111111111").unwrap();
    b.object(53, "840").unwrap();
    b.object(58, "US").unwrap();
    let mut p = MerchantPayload::parse(&b.finish().unwrap()).unwrap();
    p.additional = Some(AdditionalData::default());
    assert_eq!(
        p.encode(),
        Err(MpmError::Encode(tlv::TlvError::EncodeEmpty { id: 62 }))
    );
}
