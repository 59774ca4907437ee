//! Device keys at enrolment (issue 14, item 2; ADR 0011): the sandbox parses
//! a device's public key (and its request key) through core's `PublicKey`, so
//! a small-order, mixed-order or non-canonical Ed25519 key — under which
//! anyone could sign as the device — is refused with a typed 400, over TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use scanpay_core::auth::DeviceKey;
use support::*;

fn enrol_with(c: &mut Client, key: &[u8]) -> Resp {
    c.post(
        "/v1/devices",
        &serde_json::json!({
            "public_key": URL_SAFE_NO_PAD.encode(key),
            "enrolment_code": "SANDBOX",
        }),
    )
    .unwrap()
}

#[test]
fn small_order_device_keys_are_refused_at_enrolment() {
    let sb = start("weak-keys");
    let mut c = Client::new(&sb);
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let mut order_two = [0xffu8; 32];
    order_two[0] = 0xec;
    order_two[31] = 0x7f;
    // y = p + 1: a non-canonical identity.
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xee;
    non_canonical[31] = 0x7f;
    for key in [[0u8; 32], identity, order_two, non_canonical] {
        let r = enrol_with(&mut c, &key);
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "malformed-request"),
            "{}",
            URL_SAFE_NO_PAD.encode(key)
        );
        assert!(
            String::from_utf8_lossy(&r.body).contains("Ed25519"),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
    // A padded key is named as such.
    let w = DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    let padded = c
        .post(
            "/v1/devices",
            &serde_json::json!({
                "public_key": format!("{}=", URL_SAFE_NO_PAD.encode(w.public_key())),
                "enrolment_code": "SANDBOX",
            }),
        )
        .unwrap();
    assert_eq!(padded.status, 400);
    assert!(String::from_utf8_lossy(&padded.body).contains("padded"));
    // Control: a real device key enrols.
    assert_eq!(enrol_with(&mut c, w.public_key()).status, 200);
}
