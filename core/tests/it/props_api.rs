//! Properties of `/v1` response decoding (what `net::HttpsBackend` does with
//! a server's bytes; the fuzz target `api_decode` explores the same): no
//! panic on any JSON or bytes, replies round-trip exactly, and values a
//! server must not send (negative or fractional money, unknown replies) are
//! refused rather than coerced.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::{
    ClockResponse, ControlAck, ControlPayment, CreateOrderResponse, EnrolResponse, ErrorBody,
    HealthResponse, PaymentRequestBody,
};
use scanpay_core::payment::{BackendReply, Receipt};
use serde_json::{json, Value};

fn decode_all(bytes: &[u8]) {
    let _ = serde_json::from_slice::<BackendReply>(bytes);
    let _ = serde_json::from_slice::<HealthResponse>(bytes);
    let _ = serde_json::from_slice::<EnrolResponse>(bytes);
    let _ = serde_json::from_slice::<ErrorBody>(bytes);
    let _ = serde_json::from_slice::<CreateOrderResponse>(bytes);
    let _ = serde_json::from_slice::<ControlPayment>(bytes);
    let _ = serde_json::from_slice::<ControlAck>(bytes);
    let _ = serde_json::from_slice::<ClockResponse>(bytes);
    let _ = serde_json::from_slice::<PaymentRequestBody>(bytes);
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "(succeeded|declined|processing|closed|reversed|not-found|SGD|THB|[a-z-]{0,12})"
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(
                "(reply|receipt|reference|amount|minor|currency|paid_at|code|message|status|state|charges_applied|account_id|balance|[a-z_]{1,8})",
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn reply() -> impl Strategy<Value = BackendReply> {
    prop_oneof![
        ("[ -~]{0,40}", any::<u64>(), any::<u64>()).prop_map(|(reference, minor, paid_at)| {
            BackendReply::Succeeded {
                receipt: Receipt {
                    reference,
                    amount: Money::new(minor, Currency::SGD),
                    paid_at,
                },
            }
        }),
        ("[a-z-]{0,20}", "\\PC{0,40}")
            .prop_map(|(code, message)| BackendReply::Declined { code, message }),
        Just(BackendReply::Processing),
        Just(BackendReply::Closed),
        Just(BackendReply::Reversed),
        Just(BackendReply::NotFound),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        decode_all(&bytes);
    }

    #[test]
    fn any_json_never_panics(v in json_value()) {
        decode_all(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn replies_round_trip_exactly(r in reply()) {
        let bytes = serde_json::to_vec(&r).unwrap();
        prop_assert_eq!(serde_json::from_slice::<BackendReply>(&bytes).unwrap(), r);
    }

    #[test]
    fn money_a_server_must_not_send_is_refused(bad in prop_oneof![
        (-1_000_000i64..0).prop_map(Value::from),
        (0.5f64..1e6).prop_filter("fractional", |f| f.fract() != 0.0).prop_map(Value::from),
        "[0-9]{1,6}".prop_map(Value::from),
    ]) {
        let doc = json!({"reply": "succeeded", "receipt": {"reference": "PAY-1",
            "amount": {"minor": bad, "currency": "SGD"}, "paid_at": 1}});
        prop_assert!(serde_json::from_value::<BackendReply>(doc).is_err());
    }
}

#[test]
fn unknown_replies_and_currencies_are_refused() {
    for doc in [
        json!({"reply": "paid"}),
        json!({"reply": "SUCCEEDED"}),
        json!({"reply": "succeeded"}),
        json!({"reply": "succeeded", "receipt": {"reference": "P", "amount": {"minor": 1, "currency": "XXX1"}, "paid_at": 1}}),
        json!({"reply": "declined", "code": 7, "message": "x"}),
        json!({}),
    ] {
        assert!(
            serde_json::from_value::<BackendReply>(doc.clone()).is_err(),
            "{doc} decoded"
        );
    }
}
