//! Queries and reversals are authenticated by the wallet's request key
//! (issue 14 item 5, `docs/api.md` "Request signatures"): whoever merely
//! knows a payment id can neither read, refund nor tombstone it; a request
//! is refused when unsigned, signed by an unregistered key or for another
//! request, stale, or replayed (also across a restart); another account's
//! payment is refused with 403, and another account's tombstone does not
//! block the real wallet's submit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use scanpay_core::auth::MAX_CLOCK_SKEW_SECS;
use scanpay_core::net::api::ServerPaymentState;
use scanpay_core::payment::BackendReply;
use scanpay_sandbox::{Sandbox, SandboxConfig};
use support::*;

fn status_code(r: &Resp) -> (u16, String) {
    (r.status, r.error_code())
}

/// A sandbox with a payer who paid 700 on M-0001: (client, wallet, paid id).
fn paid(name: &str) -> (scanpay_sandbox::RunningSandbox, Client, Wallet, String) {
    let sb = start(name);
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let w = enrol(&mut c, "SANDBOX");
    let payload = sb.data().static_payload("M-0001").unwrap();
    let id = new_id();
    let r = c
        .submit(&w.pay(&store, &id, &payload, money(700, "SGD"), now))
        .unwrap();
    assert!(matches!(r.reply(), BackendReply::Succeeded { .. }));
    (sb, c, w, id)
}

#[test]
fn unsigned_queries_and_reversals_get_401_and_change_nothing() {
    let (_sb, mut c, w, id) = paid("auth-unsigned");
    c.request_seed = None;
    let q = c.query(&id).unwrap();
    assert_eq!(status_code(&q), (401, "missing-request-signature".into()));
    let r = c.reverse(&id).unwrap();
    assert_eq!(status_code(&r), (401, "missing-request-signature".into()));
    // An unknown id is not tombstoned by an unsigned reversal either.
    let other = new_id();
    assert_eq!(c.reverse(&other).unwrap().status, 401);
    assert_eq!(c.truth(&other).state, ServerPaymentState::NotFound);
    let t = c.truth(&id);
    assert_eq!(
        (t.state, t.refunds_applied),
        (ServerPaymentState::Succeeded, 0)
    );
    assert_eq!(c.balance(&w.enrolment.account_id), 50_000 - 700);
}

#[test]
fn malformed_wrong_and_unregistered_signatures_get_401() {
    let (_sb, mut c, w, id) = paid("auth-bad");
    let path = format!("/v1/payments/{id}");
    let cases: Vec<(String, &str)> = vec![
        ("Bearer abc".into(), "bad-request-signature"),
        (
            sign_request(w.request_seed, "GET", &path, &id, None, None).replacen(", ", ",", 1),
            "bad-request-signature",
        ),
        // Signed for the reversal, sent as a query.
        (
            sign_request(
                w.request_seed,
                "POST",
                &format!("{path}/reverse"),
                &id,
                None,
                None,
            ),
            "bad-request-signature",
        ),
        // A key nobody registered.
        (
            sign_request([42; 32], "GET", &path, &id, None, None),
            "unknown-request-key",
        ),
    ];
    for (header, code) in cases {
        let r = c
            .send("GET", &path, &[("Authorization", &header)], b"")
            .unwrap();
        assert_eq!(status_code(&r), (401, code.to_string()), "{header}");
    }
    // A non-UTF-8 Authorization header is a malformed signature, not a 500.
    let mut raw = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: ").into_bytes();
    raw.extend_from_slice(b"ScanPay-Request \xff\xfe\r\n\r\n");
    let r = c.send_raw(&raw).unwrap().unwrap();
    assert_eq!(status_code(&r), (401, "bad-request-signature".into()));
}

#[test]
fn stale_and_future_times_get_401() {
    let (_sb, mut c, w, id) = paid("auth-stale");
    let path = format!("/v1/payments/{id}");
    for time in [
        wall_now() - MAX_CLOCK_SKEW_SECS - 5,
        wall_now() + MAX_CLOCK_SKEW_SECS + 5,
    ] {
        let header = sign_request(w.request_seed, "GET", &path, &id, Some(time), None);
        let r = c
            .send("GET", &path, &[("Authorization", &header)], b"")
            .unwrap();
        assert_eq!(status_code(&r), (401, "stale-request".into()));
    }
    // Inside the skew both ways: accepted.
    for time in [wall_now() - MAX_CLOCK_SKEW_SECS + 30, wall_now() + 30] {
        let header = sign_request(w.request_seed, "GET", &path, &id, Some(time), None);
        let r = c
            .send("GET", &path, &[("Authorization", &header)], b"")
            .unwrap();
        assert!(matches!(r.reply(), BackendReply::Succeeded { .. }));
    }
}

#[test]
fn a_replayed_nonce_gets_401_even_after_a_restart() {
    let (sb, mut c, w, id) = paid("auth-replay");
    let path = format!("/v1/payments/{id}/reverse");
    let header = sign_request(w.request_seed, "POST", &path, &id, None, Some([7; 16]));
    let first = c
        .send("POST", &path, &[("Authorization", &header)], b"")
        .unwrap();
    assert_eq!(first.reply(), BackendReply::Reversed);
    let again = c
        .send("POST", &path, &[("Authorization", &header)], b"")
        .unwrap();
    assert_eq!(status_code(&again), (401, "replayed-request".into()));

    // The nonce is in the database: a restarted sandbox refuses it too.
    let dir = sb.data_dir().to_path_buf();
    sb.stop();
    let sb = Sandbox::start(SandboxConfig::new(dir)).unwrap();
    let mut c = Client::new(&sb);
    let replayed = c
        .send("POST", &path, &[("Authorization", &header)], b"")
        .unwrap();
    assert_eq!(status_code(&replayed), (401, "replayed-request".into()));
    let t = c.truth(&id);
    assert_eq!((t.charges_applied, t.refunds_applied), (1, 1));
}

#[test]
fn another_accounts_key_cannot_read_refund_or_tombstone() {
    let (sb, mut c, victim, id) = paid("auth-foreign");
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let payload = sb.data().static_payload("M-0001").unwrap();
    // The attacker is a real, registered wallet of another account.
    let attacker = enrol(&mut c, "SANDBOX");
    assert_eq!(c.request_seed, Some(attacker.request_seed));
    let q = c.query(&id).unwrap();
    assert_eq!(status_code(&q), (403, "foreign-payment".into()));
    let r = c.reverse(&id).unwrap();
    assert_eq!(status_code(&r), (403, "foreign-payment".into()));
    let t = c.truth(&id);
    assert_eq!(
        (t.state, t.charges_applied, t.refunds_applied),
        (ServerPaymentState::Succeeded, 1, 0)
    );
    assert_eq!(c.balance(&victim.enrolment.account_id), 50_000 - 700);

    // The attacker learns an id the victim has not submitted yet and
    // reverses it: the tombstone is the attacker's alone.
    let pending = new_id();
    assert_eq!(c.reverse(&pending).unwrap().reply(), BackendReply::Reversed);
    assert_eq!(c.query(&pending).unwrap().reply(), BackendReply::Reversed);
    let late = victim.pay(&store, &pending, &payload, money(300, "SGD"), now);
    assert!(matches!(
        c.submit(&late).unwrap().reply(),
        BackendReply::Succeeded { .. }
    ));
    assert_eq!(c.balance(&victim.enrolment.account_id), 50_000 - 700 - 300);
    // Now the id is the victim's payment: the attacker cannot touch it, the
    // victim reads it.
    assert_eq!(c.reverse(&pending).unwrap().status, 403);
    c.request_seed = Some(victim.request_seed);
    assert!(matches!(
        c.query(&pending).unwrap().reply(),
        BackendReply::Succeeded { .. }
    ));
    let t = c.truth(&pending);
    assert_eq!((t.charges_applied, t.refunds_applied), (1, 0));
}

#[test]
fn registration_needs_a_proof_of_the_request_key() {
    let sb = start("auth-proof");
    let mut c = Client::new(&sb);
    let victim = enrol(&mut c, "SANDBOX");
    let stolen = request_key(victim.request_seed);
    let device = scanpay_core::auth::DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    let other = request_key([5; 32]);
    let bodies = [
        // The victim's public request key with a proof the attacker made
        // with another key: refused.
        serde_json::json!({
            "public_key": URL_SAFE_NO_PAD.encode(device.public_key()),
            "enrolment_code": "SANDBOX",
            "request_key": URL_SAFE_NO_PAD.encode(stolen.public_key()),
            "request_key_proof": URL_SAFE_NO_PAD.encode(other.registration_proof(device.public_key()).unwrap()),
        }),
        // The victim's own proof, made for the victim's device key.
        serde_json::json!({
            "public_key": URL_SAFE_NO_PAD.encode(device.public_key()),
            "enrolment_code": "SANDBOX",
            "request_key": URL_SAFE_NO_PAD.encode(stolen.public_key()),
            "request_key_proof": URL_SAFE_NO_PAD.encode(stolen.registration_proof(victim.key.public_key()).unwrap()),
        }),
        // A key without its proof.
        serde_json::json!({
            "public_key": URL_SAFE_NO_PAD.encode(device.public_key()),
            "enrolment_code": "SANDBOX",
            "request_key": URL_SAFE_NO_PAD.encode(other.public_key()),
        }),
    ];
    for b in bodies {
        let r = c.post("/v1/devices", &b).unwrap();
        assert_eq!(status_code(&r), (400, "malformed-request".into()), "{b}");
    }
}
