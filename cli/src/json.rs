//! JSON views of core types for `scanpay inspect --json`.
//!
//! The core types stay free of presentation concerns; this is the one place
//! that decides how the CLI shows them.

use scanpay_core::money::Money;
use scanpay_core::payload::cpm::{ConsumerPayload, CpmApplication};
use scanpay_core::payload::link::{Link, LinkFlag};
use scanpay_core::payload::mpm::{AdditionalValue, MerchantPayload, TipRule};
use serde_json::{json, Map, Value};

/// Money as `{"minor", "currency", "display"}`.
pub fn money(m: &Money) -> Value {
    json!({
        "minor": m.minor,
        "currency": m.currency.code(),
        "display": m.to_string(),
    })
}

fn fields(list: &[(u8, String)]) -> Value {
    Value::Object(
        list.iter()
            .map(|(id, v)| (format!("{id:02}"), json!(v)))
            .collect::<Map<_, _>>(),
    )
}

/// The parsed merchant model.
pub fn merchant(m: &MerchantPayload) -> Value {
    let initiation = m.initiation.code();
    let tip = m.tip.as_ref().map(|t| match t {
        TipRule::Prompt => json!({"rule": t.code()}),
        TipRule::FixedFee(fee) => json!({"rule": t.code(), "fee": money(fee)}),
        TipRule::PercentageFee(p) => {
            json!({"rule": t.code(), "basis_points": p.basis_points()})
        }
    });
    let additional = m.additional.as_ref().map(|a| {
        let mut out = Map::new();
        for (key, value) in [
            ("bill_number", &a.bill_number),
            ("mobile_number", &a.mobile_number),
            ("store_label", &a.store_label),
            ("loyalty_number", &a.loyalty_number),
            ("reference_label", &a.reference_label),
            ("customer_label", &a.customer_label),
            ("terminal_label", &a.terminal_label),
            ("purpose", &a.purpose),
        ] {
            if let Some(v) = value {
                let shown = match v {
                    AdditionalValue::Given(s) => json!(s),
                    AdditionalValue::AskPayer => json!({"ask_payer": true}),
                };
                out.insert(key.into(), shown);
            }
        }
        Value::Object(out)
    });
    json!({
        "initiation": initiation,
        "accounts": m.accounts.iter().map(|a| json!({
            "id": format!("{:02}", a.id),
            "guid": a.guid,
            "fields": fields(&a.fields),
        })).collect::<Vec<_>>(),
        "mcc": m.mcc,
        "currency": m.currency.code(),
        "amount": m.amount.as_ref().map(money),
        "tip": tip,
        "country": m.country,
        "name": m.merchant_name,
        "city": m.merchant_city,
        "postal_code": m.postal_code,
        "additional": additional,
        "alternate_language": m.alternate_language.as_ref().map(|l| json!({
            "language": l.language, "name": l.name, "city": l.city,
        })),
        "unreserved": m.unreserved.iter().map(|t| json!({
            "id": format!("{:02}", t.id),
            "guid": t.guid,
            "fields": fields(&t.fields),
        })).collect::<Vec<_>>(),
        "crc": format!("{:04X}", m.crc),
    })
}

fn application(a: &CpmApplication) -> Value {
    json!({
        "aid": a.aid,
        "label": a.label,
        "pan": a.pan.as_ref().map(ToString::to_string),
        // A ScanPay pay code is a one-time token, not a PAN: QA needs the
        // whole code (to charge it with `scanpay pos charge --code`).
        "paycode": a.paycode.as_ref().map(|p| p.digits().to_string()),
        "has_track2": a.has_track2,
        "has_cryptogram": a.has_cryptogram,
        "tags": a.tags.iter().map(|t| format!("{t:X}")).collect::<Vec<_>>(),
    })
}

/// The parsed consumer-presented code; the PAN is masked by the core type.
pub fn consumer(c: &ConsumerPayload) -> Value {
    json!({
        "note": "this is someone's payment code, not a merchant code",
        "applications": c.applications.iter().map(application).collect::<Vec<_>>(),
        "common": c.common.as_ref().map(application),
    })
}

/// The flag's core code; a lookalike also names the brand it imitates
/// ("lookalike:paypal").
fn flag(f: &LinkFlag) -> Value {
    match f {
        LinkFlag::Lookalike { brand } => json!(format!("{}:{brand}", f.code())),
        other => json!(other.code()),
    }
}

/// The classified link: real host and risk flags. Never opened.
pub fn link(l: &Link) -> Value {
    json!({
        "scheme": l.scheme,
        "host_ascii": l.host_ascii,
        "host_unicode": l.host_unicode,
        "flags": l.flags.iter().map(flag).collect::<Vec<_>>(),
        "clean": l.is_clean(),
    })
}
