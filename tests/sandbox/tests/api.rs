//! The sandbox's wallet, merchant and control routes over real TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use scanpay_core::auth::{Authenticator, PinPad, RequestSigner as _, SoftwareKeyStore};
use scanpay_core::net::api::{CreateOrderResponse, HealthResponse, ServerPaymentState};
use scanpay_core::payment::BackendReply;
use scanpay_core::store::Store;
use scanpay_core::trust::registry::RegistryError;
use scanpay_core::trust::RootKeys;
use scanpay_core::trust::TrustStore;
use support::*;

fn declined_code(r: &BackendReply) -> &str {
    match r {
        BackendReply::Declined { code, .. } => code,
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[test]
fn health_and_registry_verify_against_roots_json() {
    let sb = start("registry");
    let mut c = Client::new(&sb);
    let h: HealthResponse = c.get("/v1/health").unwrap().json();
    assert_eq!(h.status, "ok");
    assert_eq!(h.registry_version, 1);

    let doc = c.get("/v1/registry").unwrap();
    assert_eq!(doc.status, 200);
    assert_eq!(doc.header("Registry-Version"), Some("1"));
    assert_eq!(doc.body, sb.data().registry_document().unwrap().1);
    let mut store = trust_store(&sb, &mut c);
    let reg = store.registry().unwrap();
    assert_eq!(reg.version, 1);
    assert!(reg.key("kopi-2").is_some_and(|k| !k.revoked));
    assert!(reg.key("kopi-1").is_some_and(|k| k.revoked));

    assert_eq!(c.get("/v1/registry?have=1").unwrap().status, 304);
    assert_eq!(c.get("/v1/registry?have=0").unwrap().status, 200);
    assert_eq!(c.get("/v1/registry?have=x").unwrap().status, 400);

    // Revoking a key moves the version forward; the wallet takes it and
    // refuses the old document afterwards.
    let r = c.post("/v1/control/keys/laksa-1/revoke", &()).unwrap();
    assert_eq!(r.json::<serde_json::Value>()["registry_version"], 2);
    let v2 = c.get("/v1/registry?have=1").unwrap();
    assert_eq!(v2.status, 200);
    assert_eq!(v2.header("Registry-Version"), Some("2"));
    let now = sb.data().now().unwrap();
    store.apply_registry(&v2.body, now).unwrap();
    assert!(store.registry().unwrap().key("laksa-1").unwrap().revoked);
    assert!(matches!(
        store.apply_registry(&doc.body, now),
        Err(RegistryError::Rollback { .. })
    ));
    // Nothing changed: no new version.
    assert_eq!(
        c.get("/v1/health")
            .unwrap()
            .json::<HealthResponse>()
            .registry_version,
        2
    );
    let roots = RootKeys::from_json(&std::fs::read(sb.wallet_link().roots_json_path).unwrap());
    assert!(roots.is_ok());
    let summary = sb.summary();
    println!("{summary}");
    assert!(summary.contains(&sb.tls().spki_pin));
    assert!(summary.contains("NIGHT OWL TRADING") && summary.contains("BLOCKED"));
    assert!(summary.contains("kopi-1 (revoked)") && summary.contains("SANDBOX-LOW"));
}

#[test]
fn routing_errors_and_keep_alive() {
    let sb = start("routing");
    let mut c = Client::new(&sb);
    assert_eq!(c.get("/v1/nope").unwrap().error_code(), "not-found");
    let r = c.send("DELETE", "/v1/health", &[], b"").unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (405, "method-not-allowed")
    );
    assert_eq!(
        c.post("/v1/devices", &"junk").unwrap().error_code(),
        "malformed-request"
    );
    assert_eq!(c.get("/v1/payments/a%20b").unwrap().status, 400);
    // All of the above on one connection.
    assert_eq!(c.connects, 1);
}

#[test]
fn enrolment_funds_an_account_and_replays() {
    let sb = start("enrol");
    let mut c = Client::new(&sb);
    let w = enrol(&mut c, "SANDBOX");
    assert_eq!(w.enrolment.balance, money(50_000, "SGD"));
    assert_eq!(c.balance(&w.enrolment.account_id), 50_000);

    let again = c
        .post(
            "/v1/devices",
            &serde_json::json!({
                "public_key": base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    w.key.public_key()
                ),
                "enrolment_code": "SANDBOX",
            }),
        )
        .unwrap();
    assert_eq!(
        again.json::<scanpay_core::net::api::EnrolResponse>(),
        w.enrolment
    );
    let other_code = c
        .post(
            "/v1/devices",
            &serde_json::json!({
                "public_key": base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    w.key.public_key()
                ),
                "enrolment_code": "SANDBOX-LOW",
            }),
        )
        .unwrap();
    assert_eq!(other_code.status, 409);
    let bad_code = c
        .post(
            "/v1/devices",
            // A valid key (RFC 8032's first), so that only the code is wrong:
            // all-zero bytes are a small-order key, refused first (weak_keys.rs).
            &serde_json::json!({"public_key": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "enrolment_code": "NOPE"}),
        )
        .unwrap();
    assert_eq!(
        (bad_code.status, bad_code.error_code().as_str()),
        (403, "bad-enrolment-code")
    );
    let bad_key = c
        .post(
            "/v1/devices",
            &serde_json::json!({"public_key": "AAAA", "enrolment_code": "SANDBOX"}),
        )
        .unwrap();
    assert_eq!(bad_key.status, 400);
    let thb = enrol(&mut c, "SANDBOX-THB");
    assert_eq!(thb.enrolment.balance, money(50_000, "THB"));
}

fn pad(digits: &[u8]) -> PinPad {
    let mut p = PinPad::new();
    for d in digits {
        p.press(*d).unwrap();
    }
    p
}

#[test]
fn payment_end_to_end_with_a_pin_sealed_device_key() {
    let sb = start("e2e");
    let mut c = Client::new(&sb);
    let now = sb.data().now().unwrap();
    let wallet_db = Store::open_in_memory().unwrap();
    let keystore = Arc::new(SoftwareKeyStore::from_key_bytes([9; 32]));
    let auth = Authenticator::new(wallet_db.clone(), keystore.clone());
    // The wallet's own request signer over the same database and key store.
    let signer = scanpay_core::auth::StoredRequestSigner::new(wallet_db, keystore);
    let pin = [2, 5, 8, 0, 4, 7];
    let public_key = auth.enrol(&pad(&pin), now).unwrap();
    let registration = signer.registration(&public_key).unwrap();
    let enrolled: scanpay_core::net::api::EnrolResponse = c
        .post(
            "/v1/devices",
            &serde_json::json!({
                "public_key": base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD, &public_key),
                "enrolment_code": "SANDBOX",
                "request_key": base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD, registration.public_key),
                "request_key_proof": base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD, registration.proof),
            }),
        )
        .unwrap()
        .json();

    let store = trust_store(&sb, &mut c);
    let payload = sb.data().static_payload("M-0001").unwrap();
    let id = new_id();
    let amount = money(450, "SGD");
    let unsigned = authorisation(&store, &id, &payload, amount, now);
    let signed = auth.authorise(&pad(&pin), unsigned, now).unwrap();
    let req = body(&id, signed, &payload, amount);
    let reply = c.submit(&req).unwrap().reply();
    let BackendReply::Succeeded { receipt } = &reply else {
        panic!("{reply:?}");
    };
    assert_eq!(receipt.amount, amount);
    assert_eq!(c.balance(&enrolled.account_id), 50_000 - 450);
    let path = format!("/v1/payments/{id}");
    let header = signer.authorize("GET", &path, &id).unwrap().header_value();
    let queried = c
        .send("GET", &path, &[("Authorization", &header)], b"")
        .unwrap();
    assert_eq!(queried.reply(), reply);
    let truth = c.truth(&id);
    assert_eq!(truth.state, ServerPaymentState::Succeeded);
    assert_eq!((truth.charges_applied, truth.refunds_applied), (1, 0));
    assert_eq!(sb.data().merchant("M-0001").unwrap().balance, amount);
}

#[test]
fn declines_and_refusals() {
    let sb = start("declines");
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let w = enrol(&mut c, "SANDBOX");
    let kopi = sb.data().static_payload("M-0001").unwrap();
    let pay = |c: &mut Client, w: &Wallet, payload: &str, minor: u64, cur: &str| {
        let id = new_id();
        let r = c
            .submit(&w.pay(&store, &id, payload, money(minor, cur), now))
            .unwrap();
        (id, r)
    };

    let low = enrol(&mut c, "SANDBOX-LOW");
    let (_, r) = pay(&mut c, &low, &kopi, 1_000, "SGD");
    assert_eq!(declined_code(&r.reply()), "insufficient-funds");
    assert_eq!(c.balance(&low.enrolment.account_id), 500);

    let (_, r) = pay(&mut c, &w, &kopi, 35_000, "SGD");
    assert_eq!(declined_code(&r.reply()), "limit-exceeded");
    let (_, r) = pay(&mut c, &w, &kopi, 30_000, "SGD");
    assert!(matches!(r.reply(), BackendReply::Succeeded { .. }));
    let (id, r) = pay(&mut c, &w, &kopi, 15_000, "SGD");
    assert_eq!(declined_code(&r.reply()), "limit-exceeded", "daily limit");
    c.request_seed = Some(w.request_seed);
    let t = c.truth(&id);
    assert_eq!(
        (t.state, t.charges_applied),
        (ServerPaymentState::Declined, 0)
    );
    assert_eq!(
        declined_code(&c.query(&id).unwrap().reply()),
        "limit-exceeded"
    );

    let owl = sb.data().static_payload("M-0004").unwrap();
    let (_, r) = pay(&mut c, &w, &owl, 100, "SGD");
    assert_eq!(declined_code(&r.reply()), "merchant-blocked");

    let siam = sb.data().static_payload("M-0003").unwrap();
    let (_, r) = pay(&mut c, &w, &siam, 100, "THB");
    assert_eq!(declined_code(&r.reply()), "currency-not-supported");

    // A code signed with the revoked key: the wallet would refuse it; a
    // wallet that sends it anyway is declined.
    let m = sb.data().merchant("M-0001").unwrap();
    let unsigned = scanpay_sandbox::SandboxData::unsigned_payload(&m, None, None, None).unwrap();
    let revoked_key = sb.data().merchant_signing_key("kopi-1").unwrap();
    let revoked =
        scanpay_core::trust::issue::sign_payload(&unsigned, &revoked_key, "kopi-1", None).unwrap();
    let id = new_id();
    let mut req = w.pay(&store, &id, &kopi, money(100, "SGD"), now);
    req.payload = revoked.clone();
    req.authorisation.authorisation.payload_sha256 =
        scanpay_core::auth::PaymentAuthorisation::payload_digest(&revoked);
    req.authorisation.authorisation.merchant_key_id = "kopi-1".into();
    req.authorisation.signature = w
        .key
        .sign(&req.authorisation.authorisation.signed_bytes())
        .unwrap();
    assert_eq!(
        declined_code(&c.submit(&req).unwrap().reply()),
        "merchant-key-revoked"
    );

    // Unknown device and a tampered amount: 401, not stored, nothing charged.
    let stranger =
        scanpay_core::auth::DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    let id = new_id();
    let mut req = w.pay(&store, &id, &kopi, money(100, "SGD"), now);
    req.authorisation.device_public_key = stranger.public_key().to_vec();
    req.authorisation.signature = stranger
        .sign(&req.authorisation.authorisation.signed_bytes())
        .unwrap();
    let r = c.submit(&req).unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "bad-authorisation")
    );
    let id = new_id();
    let mut req = w.pay(&store, &id, &kopi, money(100, "SGD"), now);
    req.breakdown.amount = money(1, "SGD");
    req.breakdown.total = money(1, "SGD");
    req.authorisation.authorisation.amount_minor = 1;
    let r = c.submit(&req).unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "bad-authorisation")
    );
    assert_eq!(c.truth(&id).state, ServerPaymentState::NotFound);
    assert_eq!(c.balance(&w.enrolment.account_id), 50_000 - 30_000);
}

#[test]
fn idempotent_replay_and_key_reuse() {
    let sb = start("idem");
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let w = enrol(&mut c, "SANDBOX");
    let payload = sb.data().static_payload("M-0002").unwrap();
    let id = new_id();
    let req = w.pay(&store, &id, &payload, money(1_250, "SGD"), now);

    let first = c.submit(&req).unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(first.header("Idempotent-Replayed"), None);
    let second = c.submit(&req).unwrap();
    assert_eq!(second.body, first.body);
    assert_eq!(second.header("Idempotent-Replayed"), Some("true"));
    let t = c.truth(&id);
    assert_eq!((t.charges_applied, t.submits_received), (1, 2));
    assert_eq!(c.balance(&w.enrolment.account_id), 50_000 - 1_250);

    // Same key, other parameters: 409, final, nothing charged.
    let other = w.pay(&store, &id, &payload, money(99, "SGD"), now);
    let r = c.submit(&other).unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (409, "idempotency-key-reuse")
    );
    assert_eq!(c.truth(&id).charges_applied, 1);

    // A decline is a result too: replayed, even after the balance would allow it.
    let low = enrol(&mut c, "SANDBOX-LOW");
    let id = new_id();
    let req = low.pay(&store, &id, &payload, money(600, "SGD"), now);
    let declined = c.submit(&req).unwrap();
    assert_eq!(declined_code(&declined.reply()), "insufficient-funds");
    assert_eq!(c.submit(&req).unwrap().body, declined.body);

    // Validation failures are not stored.
    let raw = serde_json::to_vec(&req).unwrap();
    let r = c.send("POST", "/v1/payments", &[], &raw).unwrap();
    assert_eq!(r.error_code(), "missing-idempotency-key");
    let r = c
        .send(
            "POST",
            "/v1/payments",
            &[("Idempotency-Key", "other-key")],
            &raw,
        )
        .unwrap();
    assert_eq!(r.error_code(), "idempotency-key-mismatch");
    assert_eq!(c.truth("other-key").state, ServerPaymentState::NotFound);
}

fn create_order(c: &mut Client, merchant: &str, minor: u64) -> CreateOrderResponse {
    let r = c
        .post(
            "/v1/merchant/orders",
            &serde_json::json!({"merchant_id": merchant, "amount": {"minor": minor, "currency": "SGD"}, "reference": "BILL-77"}),
        )
        .unwrap();
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[test]
fn an_order_amount_must_fit_the_13_characters_of_emvco_tag_54() {
    let sb = start("order-amount-width");
    let mut c = Client::new(&sb);
    // 9999999999.99 is 13 characters: the widest SGD order.
    let order = create_order(&mut c, "M-0001", 999_999_999_999);
    assert!(
        order.payload.contains("54139999999999.99"),
        "{}",
        order.payload
    );
    // One more digit does not fit; neither does the ledger's maximum.
    for minor in [9_999_999_999_999, i64::MAX as u64] {
        let r = c
            .post(
                "/v1/merchant/orders",
                &serde_json::json!({"merchant_id": "M-0001", "amount": {"minor": minor, "currency": "SGD"}, "reference": "BILL-77"}),
            )
            .unwrap();
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "malformed-request"),
            "{minor}"
        );
    }
}

#[test]
fn dynamic_orders_are_paid_once_and_closed_after_45_seconds() {
    let sb = start("orders");
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let w = enrol(&mut c, "SANDBOX");

    let order = create_order(&mut c, "M-0001", 1_250);
    assert_eq!(order.expires_at, now + 45);
    let id = new_id();
    let wrong = w.pay(&store, &id, &order.payload, money(1_000, "SGD"), now);
    assert_eq!(
        declined_code(&c.submit(&wrong).unwrap().reply()),
        "amount-mismatch"
    );
    let id = new_id();
    let r = c
        .submit(&w.pay(&store, &id, &order.payload, money(1_250, "SGD"), now))
        .unwrap();
    assert!(matches!(r.reply(), BackendReply::Succeeded { .. }));
    let o: serde_json::Value = c
        .get(&format!("/v1/merchant/orders/{}", order.order_id))
        .unwrap()
        .json();
    assert_eq!(
        (o["state"].as_str(), o["payment_id"].as_str()),
        (Some("paid"), Some(id.as_str()))
    );
    let again = new_id();
    let r = c
        .submit(&w.pay(&store, &again, &order.payload, money(1_250, "SGD"), now))
        .unwrap();
    assert_eq!(declined_code(&r.reply()), "order-paid");

    // Left unpaid: closed once the sandbox clock passes 45 s.
    let late = create_order(&mut c, "M-0001", 800);
    let id = new_id();
    let req = w.pay(&store, &id, &late.payload, money(800, "SGD"), now);
    let o: serde_json::Value = c
        .get(&format!("/v1/merchant/orders/{}", late.order_id))
        .unwrap()
        .json();
    assert_eq!(o["state"], "open");
    let clock: serde_json::Value = c
        .post(
            "/v1/control/clock",
            &serde_json::json!({"advance_secs": 46}),
        )
        .unwrap()
        .json();
    assert!(clock["now"].as_u64().unwrap() >= now + 46);
    let o: serde_json::Value = c
        .get(&format!("/v1/merchant/orders/{}", late.order_id))
        .unwrap()
        .json();
    assert_eq!(o["state"], "closed");
    assert_eq!(
        declined_code(&c.submit(&req).unwrap().reply()),
        "order-expired"
    );
    assert_eq!(c.balance(&w.enrolment.account_id), 50_000 - 1_250);
}

#[test]
fn reverse_unknown_unpaid_paid_and_settled() {
    let sb = start("reverse");
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let w = enrol(&mut c, "SANDBOX");
    let acct = w.enrolment.account_id.clone();
    let payload = sb.data().static_payload("M-0001").unwrap();

    // Unknown id: a tombstone; the late submit is refused, nothing charged.
    let id = new_id();
    assert_eq!(c.reverse(&id).unwrap().reply(), BackendReply::Reversed);
    let late = w.pay(&store, &id, &payload, money(700, "SGD"), now);
    assert_eq!(c.submit(&late).unwrap().reply(), BackendReply::Reversed);
    assert_eq!(c.query(&id).unwrap().reply(), BackendReply::Reversed);
    let t = c.truth(&id);
    assert_eq!(
        (t.state, t.charges_applied),
        (ServerPaymentState::Reversed, 0)
    );
    assert_eq!(c.balance(&acct), 50_000);

    // Paid, then reversed: refunded once, however often it is reversed.
    let id = new_id();
    let paid = c
        .submit(&w.pay(&store, &id, &payload, money(700, "SGD"), now))
        .unwrap();
    assert!(matches!(paid.reply(), BackendReply::Succeeded { .. }));
    assert_eq!(c.balance(&acct), 49_300);
    assert_eq!(c.reverse(&id).unwrap().reply(), BackendReply::Reversed);
    assert_eq!(c.reverse(&id).unwrap().reply(), BackendReply::Reversed);
    assert_eq!(c.balance(&acct), 50_000);
    let t = c.truth(&id);
    assert_eq!((t.charges_applied, t.refunds_applied), (1, 1));
    // A retried submit replays its first result and charges nothing.
    assert_eq!(
        c.submit(&w.pay(&store, &id, &payload, money(700, "SGD"), now))
            .unwrap()
            .body,
        paid.body
    );
    assert_eq!(c.balance(&acct), 50_000);

    // An open order reversed by the merchant is closed.
    let order = create_order(&mut c, "M-0002", 300);
    let o: serde_json::Value = c
        .post(
            &format!("/v1/merchant/orders/{}/reverse", order.order_id),
            &(),
        )
        .unwrap()
        .json();
    assert_eq!(o["state"], "closed");
    let id = new_id();
    let r = c
        .submit(&w.pay(&store, &id, &order.payload, money(300, "SGD"), now))
        .unwrap();
    assert_eq!(declined_code(&r.reply()), "order-expired");
    assert_eq!(
        declined_code(&c.reverse(&id).unwrap().reply()),
        "order-expired"
    );

    // Settled (past the reversal window): the reversal answers succeeded.
    let id = new_id();
    let paid = c
        .submit(&w.pay(&store, &id, &payload, money(200, "SGD"), now))
        .unwrap()
        .reply();
    sb.data().advance_clock(24 * 3600 + 1).unwrap();
    assert_eq!(c.reverse(&id).unwrap().reply(), paid);
    assert_eq!(c.truth(&id).refunds_applied, 0);
    assert_eq!(c.balance(&acct), 49_800);
}

#[test]
fn trust_store_type_is_the_wallets() {
    // The sandbox verifies payloads with the wallet's own TrustStore; a code
    // for an unknown merchant key is refused by both.
    let sb = start("trust");
    let mut c = Client::new(&sb);
    let store: TrustStore = trust_store(&sb, &mut c);
    let payload = sb.data().static_payload("M-0003").unwrap();
    assert!(store
        .verify(
            &payload,
            sb.data().now().unwrap(),
            &mut scanpay_core::trust::InMemoryReplayGuard::default()
        )
        .is_verified());
}
