//! No input gives a 500 (issue 14 item 6): a signed submit for an amount the
//! ledger cannot hold is a typed 400 stored and replayed under its key, and
//! generated requests over the real HTTPS layer — odd methods and paths,
//! non-UTF-8 and oversized headers, JSON with extreme, negative, float and
//! unknown fields, mutations of valid signed bodies, shortcut settings and
//! PIN-free and biometric payments included — never get a 500 (the
//! one 5xx a request can earn is 501 for `Transfer-Encoding`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use scanpay_core::auth::{
    BiometricKey as _, BiometricPromptText, PaymentAuthMethod, PinFreeLimits, ShortcutSettings,
    ShortcutSigner, SignedAuthorisation, SignedShortcuts, SoftwareBiometricKey,
};
use scanpay_core::money::Currency;
use scanpay_core::net::api::{ServerPaymentState, MAX_AMOUNT_MINOR};
use scanpay_core::payment::BackendReply;
use serde_json::{json, Value};
use support::paycode::*;
use support::*;

#[test]
fn a_signed_amount_over_the_maximum_is_a_stored_replayed_400() {
    let sb = start("amount-max");
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let w = enrol(&mut c, "SANDBOX");
    let payload = sb.data().static_payload("M-0001").unwrap();
    for minor in [MAX_AMOUNT_MINOR + 1, u64::MAX] {
        let id = new_id();
        let req = w.pay(&store, &id, &payload, money(minor, "SGD"), now);
        let first = c.submit(&req).unwrap();
        assert_eq!(
            (first.status, first.error_code().as_str()),
            (400, "amount-too-large"),
            "{minor}"
        );
        assert_eq!(first.header("Idempotent-Replayed"), None);
        let again = c.submit(&req).unwrap();
        assert_eq!(again.status, 400);
        assert_eq!(again.header("Idempotent-Replayed"), Some("true"));
        assert_eq!(again.body, first.body);
        // Same key, other amount: the stored answer stands (key reuse).
        let other = w.pay(&store, &id, &payload, money(100, "SGD"), now);
        assert_eq!(c.submit(&other).unwrap().status, 409);
        assert_eq!(c.truth(&id).state, ServerPaymentState::NotFound);
    }
    // The documented maximum itself is processed (and declined by the limits).
    let id = new_id();
    let req = w.pay(&store, &id, &payload, money(MAX_AMOUNT_MINOR, "SGD"), now);
    let r = c.submit(&req).unwrap().reply();
    assert!(matches!(r, BackendReply::Declined { .. }), "{r:?}");
    assert_eq!(c.balance(&w.enrolment.account_id), 50_000);
}

#[test]
fn odd_headers_get_their_documented_answers() {
    let sb = start("odd-headers");
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let w = enrol(&mut c, "SANDBOX");
    let payload = sb.data().static_payload("M-0001").unwrap();
    let id = new_id();
    let req = w.pay(&store, &id, &payload, money(100, "SGD"), now);
    let body = serde_json::to_vec(&req).unwrap();

    // A non-UTF-8 Idempotency-Key: 400 malformed-request (not "missing").
    let mut raw = format!(
        "POST /v1/payments HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nIdempotency-Key: ",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(b"\xff\xfe-key\r\n\r\n");
    raw.extend_from_slice(&body);
    let r = c.send_raw(&raw).unwrap().unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (400, "malformed-request")
    );

    // Unknown JSON fields are ignored, and do not change the parameters
    // compared for idempotency.
    let mut v: Value = serde_json::to_value(&req).unwrap();
    v["surprise"] = json!({"nested": [1, 2.5, -3]});
    v["breakdown"]["extra"] = json!("x");
    let first = c
        .send(
            "POST",
            "/v1/payments",
            &[("Idempotency-Key", &id)],
            &serde_json::to_vec(&v).unwrap(),
        )
        .unwrap();
    assert!(matches!(first.reply(), BackendReply::Succeeded { .. }));
    let plain = c.submit(&req).unwrap();
    assert_eq!(plain.header("Idempotent-Replayed"), Some("true"));

    // 65 headers, or a head over 16 KiB: 431, connection closed.
    let mut many = String::from("GET /v1/health HTTP/1.1\r\nHost: localhost\r\n");
    for i in 0..65 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let r = c.send_raw(many.as_bytes()).unwrap().unwrap();
    assert_eq!(r.status, 431);
    let big = format!(
        "GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n",
        "a".repeat(17 * 1024)
    );
    let r = c.send_raw(big.as_bytes()).unwrap().unwrap();
    assert_eq!(r.status, 431);
}

/// Extreme JSON leaves: what a hostile client puts where numbers belong.
fn extreme() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(u64::MAX)),
        Just(json!(MAX_AMOUNT_MINOR)),
        Just(json!(MAX_AMOUNT_MINOR + 1)),
        Just(json!(i64::MIN)),
        Just(json!(-1)),
        Just(json!(0)),
        Just(json!(1.5)),
        Just(json!(1e308)),
        Just(json!(-0.0)),
        Just(json!(null)),
        Just(json!(true)),
        Just(json!("")),
        Just(json!("SGD")),
        Just(json!("\u{0}\u{ffff}")),
        Just(json!([])),
        Just(json!({})),
        any::<u64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        "[ -~]{0,40}".prop_map(|s| json!(s)),
    ]
}

/// Every path to a JSON leaf of `v`.
fn leaves(v: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = at.clone();
                p.push(k.clone());
                leaves(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate().take(3) {
                let mut p = at.clone();
                p.push(i.to_string());
                leaves(x, p, out);
            }
        }
        _ => out.push(at),
    }
}

fn set(v: &mut Value, path: &[String], new: Value) {
    let mut cur = v;
    for k in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(k).unwrap(),
            Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
            _ => return,
        };
    }
    *cur = new;
}

#[test]
fn generated_requests_never_get_a_5xx() {
    let sb = start("no-500");
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let now = sb.data().now().unwrap();
    let w = enrol(&mut c, "SANDBOX");
    let payload = sb.data().static_payload("M-0001").unwrap();
    let order: Value = c
        .post(
            "/v1/merchant/orders",
            &json!({"merchant_id": "M-0001", "amount": {"minor": 450, "currency": "SGD"}, "reference": "B-1"}),
        )
        .unwrap()
        .json();
    let dynamic = order["payload"].as_str().unwrap().to_string();
    // Shortcuts (issue 12): the payer opted in to biometric confirmation and
    // PIN-free payments, so mutated shortcut payments reach the PIN-free
    // rules and the biometric verification; the next document is a template.
    let bio = SoftwareBiometricKey::new();
    let bio_pk = bio.create_key().unwrap();
    let shortcuts = |version| {
        let settings = ShortcutSettings {
            version,
            time: wall_now(),
            biometric_public_key: Some(bio_pk.clone()),
            pin_free: vec![PinFreeLimits {
                currency: Currency::SGD,
                per_payment: 2_000,
                daily_total: 5_000,
                daily_count: 3,
            }],
        };
        let signature = w
            .key
            .sign(&settings.signed_bytes(w.key.public_key()))
            .unwrap();
        SignedShortcuts {
            settings,
            device_public_key: w.key.public_key().to_vec(),
            signer: ShortcutSigner::DeviceKey,
            signature,
        }
    };
    assert_eq!(
        c.post("/v1/devices/shortcuts", &shortcuts(1))
            .unwrap()
            .status,
        200
    );
    let pin_free = {
        let id = new_id();
        let auth = authorisation(&store, &id, &dynamic, money(450, "SGD"), now);
        let signed = request_key(w.request_seed)
            .sign_pin_free(auth, w.key.public_key())
            .unwrap();
        body(&id, signed, &dynamic, money(450, "SGD"))
    };
    let biometric = {
        let id = new_id();
        let auth = authorisation(&store, &id, &dynamic, money(450, "SGD"), now);
        let prompt = BiometricPromptText {
            title: "Pay".into(),
            subtitle: String::new(),
            cancel: String::new(),
        };
        let signature = bio
            .sign(
                &auth.signed_bytes_for(PaymentAuthMethod::Biometric),
                &prompt,
            )
            .unwrap();
        let signed = SignedAuthorisation {
            authorisation: auth,
            method: PaymentAuthMethod::Biometric,
            device_public_key: w.key.public_key().to_vec(),
            signature,
        };
        body(&id, signed, &dynamic, money(450, "SGD"))
    };
    // The pay code: a provisioned wallet, a till, a charge waiting for the
    // payer (whose confirmation is a template).
    let till = sb.data().till_key("M-0001").unwrap();
    let mut pw = pc_wallet(&mut c, "SANDBOX");
    let (_, waiting) = userpaying(&sb, &mut c, &till, &mut pw, "N5-1");
    let confirm_route = scanpay_core::net::api::paycode::confirm_path(&waiting.charge_id);
    let code = pw.code(&sb);
    // Valid bodies of every route with a body, to mutate one leaf of.
    let templates: Vec<(&str, Value)> = vec![
        (
            "/v1/paycode/provision",
            serde_json::to_value(provision_body(&pw.w, wall_now(), "no-500-nonce-00001")).unwrap(),
        ),
        (
            "/v1/merchant/paycode/charges",
            json!({"out_trade_no": "N5-2", "auth_code": code.digits(), "amount": {"minor": 450, "currency": "SGD"}}),
        ),
        (
            confirm_route.as_str(),
            serde_json::from_slice(&confirmation(&pw, &waiting, 4_500)).unwrap(),
        ),
        (
            "/v1/payments",
            serde_json::to_value(w.pay(&store, &new_id(), &payload, money(300, "SGD"), now))
                .unwrap(),
        ),
        (
            "/v1/payments",
            serde_json::to_value(w.pay(&store, &new_id(), &dynamic, money(450, "SGD"), now))
                .unwrap(),
        ),
        (
            "/v1/devices",
            json!({"public_key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "enrolment_code": "SANDBOX", "request_key": "x", "request_key_proof": "y"}),
        ),
        (
            "/v1/merchant/orders",
            json!({"merchant_id": "M-0001", "amount": {"minor": 450, "currency": "SGD"}, "reference": "B-2"}),
        ),
        ("/v1/control/clock", json!({"advance_secs": 1})),
        (
            "/v1/devices/shortcuts",
            serde_json::to_value(shortcuts(2)).unwrap(),
        ),
        ("/v1/payments", serde_json::to_value(&pin_free).unwrap()),
        ("/v1/payments", serde_json::to_value(&biometric).unwrap()),
    ];
    let mut paths_of: Vec<Vec<Vec<String>>> = Vec::new();
    for (_, t) in &templates {
        let mut out = Vec::new();
        leaves(t, Vec::new(), &mut out);
        paths_of.push(out);
    }
    // Pay-code requests are signed with the pay-code wallet's key.
    let seed = pw.w.request_seed;
    let payment_seed = w.request_seed;

    // One generated request: method, target, extra headers, body.
    let strategy = (
        0..templates.len(),
        any::<prop::sample::Index>(),
        extreme(),
        prop_oneof![
            Just("GET"),
            Just("POST"),
            Just("DELETE"),
            Just("PUT"),
            Just("HEAD"),
            Just("OPTIONS")
        ],
        prop_oneof![
            Just("template".to_string()),
            "/v1/payments/[A-Za-z0-9-]{1,70}".prop_map(|s| s),
            "/v1/payments/[A-Za-z0-9-]{1,64}/reverse".prop_map(|s| s),
            "/v1/[a-z/%0-9.-]{0,40}".prop_map(|s| s),
            "/v1/registry\\?have=[-0-9a-z]{0,25}".prop_map(|s| s),
            "/v1/control/(payments|accounts|merchants|keys)/[ -~&&[^ ]]{0,30}".prop_map(|s| s),
            "/v1/paycode/(events|provision)(\\?after=[-0-9a-z]{0,22}&wait=(0|-1|x|1e3|18446744073709551616))?"
                .prop_map(|s| s),
            "/v1/paycode/charges/[ -~&&[^ ?]]{0,40}/(confirm|decline)".prop_map(|s| s),
            "/v1/merchant/paycode/charges(/[ -~&&[^ ?]]{0,40}(/reverse)?)?".prop_map(|s| s),
            "/v1/control/(tills|paycode/charges/[ -~&&[^ ]]{0,30})".prop_map(|s| s),
        ],
        prop::collection::vec(any::<u8>(), 0..48),
        0u8..8,
    );
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(
            &strategy,
            |(t, leaf, value, method, target, junk, header_kind)| {
                let (route, template) = &templates[t];
                let mut body = template.clone();
                let paths = &paths_of[t];
                set(&mut body, &paths[leaf.index(paths.len())], value);
                let target = if target == "template" {
                    route.to_string()
                } else {
                    target
                };
                let mut body_bytes = serde_json::to_vec(&body).unwrap();
                if header_kind == 7 {
                    // Not JSON at all.
                    body_bytes = junk.clone();
                }
                let id = body["payment_id"].as_str().unwrap_or("k-1").to_string();
                let mut head =
                    format!("{method} {target} HTTP/1.1\r\nHost: localhost\r\n").into_bytes();
                // Header values without CR/LF (the request must stay one request).
                let clean: Vec<u8> = junk
                    .iter()
                    .copied()
                    .filter(|b| *b != b'\r' && *b != b'\n')
                    .collect();
                match header_kind {
                    0 => {
                        head.extend_from_slice(b"Idempotency-Key: ");
                        head.extend_from_slice(&clean);
                        head.extend_from_slice(b"\r\n");
                    }
                    1 => head.extend_from_slice(format!("Idempotency-Key: {id}\r\n").as_bytes()),
                    2 => {
                        head.extend_from_slice(b"Authorization: ");
                        head.extend_from_slice(&clean);
                        head.extend_from_slice(b"\r\n");
                    }
                    3 => {
                        let path = target.split('?').next().unwrap_or_default();
                        let charge = path
                            .strip_prefix("/v1/paycode/charges/")
                            .and_then(|p| p.split('/').next())
                            .filter(|p| !p.is_empty())
                            .map(str::to_string);
                        let pid = target
                            .strip_prefix("/v1/payments/")
                            .map(|p| p.trim_end_matches("/reverse").to_string())
                            .filter(|p| !p.is_empty())
                            .unwrap_or_else(|| "x".to_string());
                        // The subject the pay-code paths sign (an id with
                        // odd characters cannot be signed: an empty value).
                        let auth = if let Some(id) = charge {
                            let mut nonce = [0u8; 16];
                            ring::rand::SecureRandom::fill(
                                &ring::rand::SystemRandom::new(),
                                &mut nonce,
                            )
                            .unwrap();
                            request_key(seed)
                                .sign_request(method, path, &id, wall_now(), nonce)
                                .map(|a| a.header_value())
                                .unwrap_or_default()
                        } else if path.starts_with("/v1/paycode/") {
                            sign_request(seed, method, path, "paycode", None, None)
                        } else {
                            sign_request(payment_seed, method, &target, &pid, None, None)
                        };
                        head.extend_from_slice(format!("Authorization: {auth}\r\n").as_bytes());
                    }
                    6 => head.extend_from_slice(
                        format!("Authorization: ScanPay-Till {till}\r\n").as_bytes(),
                    ),
                    4 => head.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
                    5 => head.extend_from_slice(b"Connection: close\r\nX-Odd: \xc3\x28\r\n"),
                    _ => {}
                }
                head.extend_from_slice(
                    format!("Content-Length: {}\r\n\r\n", body_bytes.len()).as_bytes(),
                );
                head.extend_from_slice(&body_bytes);
                let mut c = Client::new(&sb);
                match c.send_raw(&head).unwrap() {
                    // 501 unsupported-transfer-encoding is the one
                    // documented 5xx a request can earn; never a 500.
                    Some(r) => prop_assert!(
                        r.status < 500
                            || (r.status == 501
                                && r.error_code() == "unsupported-transfer-encoding"),
                        "{} for {method} {target}: {}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    ),
                    // Closed without an answer is only acceptable where the
                    // server documents it (never for a complete request).
                    None => prop_assert!(false, "no answer for {method} {target}"),
                }
                Ok(())
            },
        )
        .unwrap();
}
