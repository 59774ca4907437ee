//! Real public EMVCo MPM payloads (and broken ones) from
//! `tests/vectors/emv/*.json`, each expectation asserted.

// Helpers outside #[test] functions unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use scanpay_core::money::MoneyError;
use scanpay_core::payload::mpm::{AdditionalValue, Initiation, MerchantPayload, MpmError, TipRule};
use scanpay_core::payload::tlv::TlvError;
use scanpay_core::payload::{classify, PayloadKind};
use serde_json::Value;

const REAL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/emv/real-payloads.json"
));
const BROKEN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/emv/broken-payloads.json"
));

fn load(text: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(text).unwrap() {
        Value::Array(v) => v,
        other => panic!("expected an array, got {other}"),
    }
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

fn additional(p: &MerchantPayload, key: &str) -> Option<String> {
    let a = p.additional.as_ref()?;
    let v = match key {
        "reference_label" => a.reference_label.as_ref(),
        "store_label" => a.store_label.as_ref(),
        "customer_label" => a.customer_label.as_ref(),
        "terminal_label" => a.terminal_label.as_ref(),
        "purpose" => a.purpose.as_ref(),
        _ => panic!("unknown additional key {key}"),
    }?;
    Some(v.as_emv().to_owned())
}

#[test]
fn real_payloads_parse_as_expected() {
    let vectors = load(REAL);
    assert!(vectors.len() >= 15, "only {} real vectors", vectors.len());
    let mut schemes = std::collections::BTreeSet::new();
    for v in &vectors {
        let payload = v["payload"].as_str().unwrap();
        let source = v["source"].as_str().unwrap();
        assert!(!source.is_empty());
        schemes.insert(v["scheme"].as_str().unwrap().to_owned());
        let e = &v["expect"];
        assert_eq!(e["valid"], Value::Bool(true));
        let p = MerchantPayload::parse(payload).unwrap_or_else(|err| panic!("{source}: {err:?}"));
        let ctx = format!("{source}: {payload}");

        // The entry point agrees.
        let c = classify(payload);
        assert_eq!(c.kind, PayloadKind::EmvMpm, "{ctx}");
        assert!(c.result.is_ok(), "{ctx}");

        assert_eq!(Some(p.currency.code()), e["currency"].as_str(), "{ctx}");
        if let Some(d) = e.get("dynamic") {
            assert_eq!(Some(p.is_dynamic()), d.as_bool(), "{ctx}");
        }
        if let Some(i) = e.get("initiation") {
            let want = match i.as_str().unwrap() {
                "static" => Initiation::Static,
                "dynamic" => Initiation::Dynamic,
                "unspecified" => Initiation::Unspecified,
                other => panic!("{other}"),
            };
            assert_eq!(p.initiation, want, "{ctx}");
        }
        if let Some(a) = e.get("amount_minor") {
            assert_eq!(p.amount.map(|m| m.minor), a.as_u64(), "{ctx}");
            if let Some(m) = p.amount {
                assert_eq!(m.currency, p.currency);
            }
        }
        if let Some(n) = e.get("name") {
            assert_eq!(p.merchant_name.as_deref(), opt_str(n), "{ctx}");
        }
        if let Some(n) = e.get("city") {
            assert_eq!(p.merchant_city.as_deref(), opt_str(n), "{ctx}");
        }
        if let Some(n) = e.get("country") {
            assert_eq!(Some(p.country.as_str()), n.as_str(), "{ctx}");
        }
        if let Some(n) = e.get("mcc") {
            assert_eq!(p.mcc.as_deref(), opt_str(n), "{ctx}");
        }
        if let Some(n) = e.get("postal_code") {
            assert_eq!(p.postal_code.as_deref(), opt_str(n), "{ctx}");
        }
        if let Some(g) = e.get("guid") {
            // GUIDs compare case-insensitively: the vectors spell some differently on purpose.
            let g = g.as_str().unwrap();
            assert!(
                p.account_by_guid(g).is_some(),
                "{ctx}: no account with GUID {g}"
            );
        }
        for key in [
            "reference_label",
            "store_label",
            "customer_label",
            "terminal_label",
            "purpose",
        ] {
            if let Some(want) = e.get(key) {
                assert_eq!(
                    additional(&p, key).as_deref(),
                    want.as_str(),
                    "{ctx}: {key}"
                );
            }
        }
        if let Some(c) = e.get("consumer_data_request") {
            let got = p
                .additional
                .as_ref()
                .and_then(|a| a.consumer_data_request.as_deref());
            assert_eq!(got, c.as_str(), "{ctx}");
        }
        if let Some(t) = e.get("tip") {
            assert_eq!(t.as_str(), Some("prompt"));
            assert_eq!(p.tip, Some(TipRule::Prompt), "{ctx}");
        }
        if let Some(l) = e.get("alternate_language") {
            let alt = p.alternate_language.as_ref().unwrap();
            assert_eq!(Some(alt.language.as_str()), l.as_str());
            assert_eq!(Some(alt.name.as_str()), e["alternate_name"].as_str());
            assert_eq!(alt.city.as_deref(), e["alternate_city"].as_str());
        }
        if let Some(ids) = e.get("unreserved_ids") {
            let got: Vec<u64> = p.unreserved.iter().map(|t| u64::from(t.id)).collect();
            let want: Vec<u64> = ids
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i.as_u64().unwrap())
                .collect();
            assert_eq!(got, want, "{ctx}");
        }

        // Every top-level object is kept, in order, ending with the CRC.
        assert_eq!(p.objects.first().map(|o| o.0), Some(0), "{ctx}");
        assert_eq!(p.objects.last().map(|o| o.0), Some(63), "{ctx}");
        assert_eq!(
            p.object(63).map(str::to_ascii_uppercase),
            Some(format!("{:04X}", p.crc))
        );

        // Re-encoding the model yields a payload that parses to the same model.
        let again = p.encode().unwrap_or_else(|err| panic!("{ctx}: {err:?}"));
        let q = MerchantPayload::parse(&again).unwrap();
        assert_eq!(strip(q), strip(p.clone()), "{ctx}");

        // The CRC must be upper-case hex (EMVCo's "6304007B"): the same value in
        // lower case is refused as an invalid ID 63, whenever it has a letter.
        let crc = &payload[payload.len() - 4..];
        if crc.bytes().any(|b| b.is_ascii_alphabetic()) {
            let lower = format!(
                "{}{}",
                &payload[..payload.len() - 4],
                crc.to_ascii_lowercase()
            );
            let err = MerchantPayload::parse(&lower).unwrap_err();
            assert_eq!(err.code(), "invalid", "{ctx}: {err}");
            assert!(err.to_string().contains("upper-case"), "{ctx}: {err}");
        }
    }
    for s in ["pix", "promptpay", "qris", "vietqr", "sgqr-paynow", "emvco"] {
        assert!(schemes.contains(s), "no {s} vector");
    }
}

/// The model without the raw envelope (object order, CRC), which re-encoding
/// canonicalises.
fn strip(mut p: MerchantPayload) -> MerchantPayload {
    p.objects.clear();
    p.crc = 0;
    p
}

#[test]
fn emvco_example_details() {
    let v = load(REAL);
    let e = v
        .iter()
        .find(|v| v["scheme"] == "emvco")
        .and_then(|v| v["payload"].as_str())
        .unwrap();
    let p = MerchantPayload::parse(e).unwrap();
    assert_eq!(p.accounts.len(), 2);
    assert_eq!(p.accounts[0].id, 29);
    assert_eq!(p.accounts[0].field(5), Some("A93FO3230Q"));
    assert_eq!(p.accounts[1].field(3), Some("12345678"));
    let a = p.additional.as_ref().unwrap();
    assert_eq!(a.customer_label, Some(AdditionalValue::AskPayer));
    assert_eq!(a.store_label, Some(AdditionalValue::Given("1234".into())));
    let t = p.unreserved_template(91).unwrap();
    assert_eq!(t.guid.as_deref(), Some("A011223344998877"));
    assert_eq!(t.field(7), Some("12345678"));
    // Multi-byte characters count as one: "最佳运输" is 4 characters, 12 bytes.
    assert_eq!(p.alternate_language.as_ref().unwrap().name, "最佳运输");
}

fn tlv_name(e: &TlvError) -> &'static str {
    match e {
        TlvError::TruncatedHeader { .. } => "TruncatedHeader",
        TlvError::BadId { .. } => "BadId",
        TlvError::BadLength { .. } => "BadLength",
        TlvError::EmptyValue { .. } => "EmptyValue",
        TlvError::Overrun { .. } => "Overrun",
        TlvError::DuplicateId { .. } => "DuplicateId",
        TlvError::ValueTooLong { .. } => "ValueTooLong",
        TlvError::EncodeEmpty { .. } => "EncodeEmpty",
        TlvError::IdOutOfRange { .. } => "IdOutOfRange",
    }
}

fn money_name(e: &MoneyError) -> &'static str {
    match e {
        MoneyError::Empty => "Empty",
        MoneyError::TooLong { .. } => "TooLong",
        MoneyError::InvalidCharacter { .. } => "InvalidCharacter",
        MoneyError::MultipleDecimalPoints => "MultipleDecimalPoints",
        MoneyError::MissingIntegerPart => "MissingIntegerPart",
        MoneyError::MissingFraction => "MissingFraction",
        MoneyError::TooManyFractionDigits { .. } => "TooManyFractionDigits",
        MoneyError::Overflow => "Overflow",
        MoneyError::CurrencyMismatch { .. } => "CurrencyMismatch",
        MoneyError::BadNumericCode(_) => "BadNumericCode",
        MoneyError::UnknownNumeric(_) => "UnknownNumeric",
        MoneyError::UnknownCode(_) => "UnknownCode",
    }
}

/// (variant, id, nested TLV error, nested money error)
fn describe(
    e: &MpmError,
) -> (
    &'static str,
    Option<u8>,
    Option<&'static str>,
    Option<&'static str>,
) {
    match e {
        MpmError::TooLong { .. } => ("TooLong", None, None, None),
        MpmError::Tlv(t) => ("Tlv", None, Some(tlv_name(t)), None),
        MpmError::Template { id, source } => ("Template", Some(*id), Some(tlv_name(source)), None),
        MpmError::FormatIndicatorNotFirst => ("FormatIndicatorNotFirst", None, None, None),
        MpmError::FormatIndicator { .. } => ("FormatIndicator", None, None, None),
        MpmError::MissingCrc => ("MissingCrc", None, None, None),
        MpmError::CrcNotLast => ("CrcNotLast", None, None, None),
        MpmError::BadCrc { .. } => ("BadCrc", None, None, None),
        MpmError::Missing(id) => ("Missing", Some(*id), None, None),
        MpmError::NoMerchantAccount => ("NoMerchantAccount", None, None, None),
        MpmError::Invalid { id, .. } => ("Invalid", Some(*id), None, None),
        MpmError::Amount { id, source } => ("Amount", Some(*id), None, Some(money_name(source))),
        MpmError::Currency(m) => ("Currency", None, None, Some(money_name(m))),
        MpmError::Encode(t) => ("Encode", None, Some(tlv_name(t)), None),
    }
}

#[test]
fn broken_payloads_fail_as_expected() {
    let vectors = load(BROKEN);
    assert!(vectors.len() >= 25, "only {} broken vectors", vectors.len());
    for v in &vectors {
        let payload = v["payload"].as_str().unwrap();
        let name = v["name"].as_str().unwrap();
        assert!(!v["source"].as_str().unwrap().is_empty());
        let e = &v["expect"];
        assert_eq!(e["valid"], Value::Bool(false));
        let err = match MerchantPayload::parse(payload) {
            Ok(p) => panic!("{name}: parsed, but should fail: {p:?}"),
            Err(err) => err,
        };
        let (variant, id, tlv, money) = describe(&err);
        assert_eq!(Some(variant), e["error"].as_str(), "{name}: {err:?}");
        if let Some(want) = e.get("id") {
            assert_eq!(id.map(u64::from), want.as_u64(), "{name}: {err:?}");
        }
        if let Some(want) = e.get("tlv") {
            assert_eq!(tlv, want.as_str(), "{name}: {err:?}");
        }
        if let Some(want) = e.get("money") {
            assert_eq!(money, want.as_str(), "{name}: {err:?}");
        }
        // The error message is something a UI can show.
        assert!(!err.to_string().is_empty());

        // Anything that starts like an MPM payload is still classified as one,
        // carrying the same error.
        if payload.starts_with("000201") {
            let c = classify(payload);
            assert_eq!(c.kind, PayloadKind::EmvMpm, "{name}");
            assert!(c.result.is_err(), "{name}");
        }
    }
}
