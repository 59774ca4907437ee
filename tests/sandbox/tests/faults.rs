//! Every fault kind over real TLS, with the server-side charge count checked,
//! and persistence across a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use scanpay_core::net::api::{Fault, FaultKind, ServerPaymentState};
use scanpay_core::payment::BackendReply;
use scanpay_core::trust::TrustStore;
use scanpay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use support::*;

struct Fixture {
    sb: RunningSandbox,
    c: Client,
    store: TrustStore,
    w: Wallet,
    payload: String,
    now: u64,
}

fn fixture(name: &str) -> Fixture {
    let sb = start(name);
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let w = enrol(&mut c, "SANDBOX");
    let payload = sb.data().static_payload("M-0001").unwrap();
    let now = sb.data().now().unwrap();
    Fixture {
        sb,
        c,
        store,
        w,
        payload,
        now,
    }
}

impl Fixture {
    fn request(&self, id: &str) -> scanpay_core::net::api::PaymentRequestBody {
        self.w.pay(
            &self.store,
            id,
            &self.payload,
            money(1_000, "SGD"),
            self.now,
        )
    }

    fn arm(&mut self, kind: &str, fault: serde_json::Value, count: u32) {
        let r = self
            .c
            .post(
                "/v1/control/faults",
                &serde_json::json!({"kind": kind, "fault": fault, "count": count}),
            )
            .unwrap();
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }

    fn balance(&mut self) -> u64 {
        let acct = self.w.enrolment.account_id.clone();
        self.c.balance(&acct)
    }

    /// The sandbox's truth of payment `id`: (state, charges, refunds, submits).
    fn ledger(&mut self, id: &str) -> (ServerPaymentState, u32, u32, u32) {
        let t = self.c.truth(id);
        (
            t.state,
            t.charges_applied,
            t.refunds_applied,
            t.submits_received,
        )
    }
}

fn succeeded(r: &BackendReply) -> bool {
    matches!(r, BackendReply::Succeeded { .. })
}

#[test]
fn submit_faults_commit_exactly_once() {
    let mut f = fixture("submit-faults");

    // drop-after-commit: no answer, charged once; the retry replays it.
    let id = new_id();
    let req = f.request(&id);
    f.arm(
        "submit",
        serde_json::json!({"type": "drop-after-commit"}),
        1,
    );
    assert!(f.c.submit(&req).is_err());
    assert_eq!(f.c.truth(&id).charges_applied, 1);
    let retry = f.c.submit(&req).unwrap();
    assert_eq!(retry.header("Idempotent-Replayed"), Some("true"));
    assert!(succeeded(&retry.reply()));
    let t = f.c.truth(&id);
    assert_eq!((t.charges_applied, t.submits_received), (1, 2));
    assert_eq!(f.balance(), 49_000);

    // error-500-before-commit: a 500, nothing stored or charged; the retry
    // is processed fresh.
    let id = new_id();
    let req = f.request(&id);
    f.arm(
        "submit",
        serde_json::json!({"type": "error-500-before-commit"}),
        1,
    );
    let r = f.c.submit(&req).unwrap();
    assert_eq!((r.status, r.error_code().as_str()), (500, "internal-error"));
    assert_eq!(f.c.truth(&id).state, ServerPaymentState::NotFound);
    let retry = f.c.submit(&req).unwrap();
    assert_eq!(retry.header("Idempotent-Replayed"), None);
    assert!(succeeded(&retry.reply()));
    assert_eq!(f.c.truth(&id).charges_applied, 1);

    // reset: the connection is cut before processing; nothing charged.
    let id = new_id();
    let req = f.request(&id);
    f.arm("submit", serde_json::json!({"type": "reset"}), 1);
    assert!(f.c.submit(&req).is_err());
    assert_eq!(f.c.truth(&id).charges_applied, 0);
    assert!(succeeded(&f.c.submit(&req).unwrap().reply()));
    assert_eq!(f.c.truth(&id).charges_applied, 1);

    // stall-body: committed, the head arrives, the body only after the
    // stall: a client with a shorter read timeout gives up (maybe sent).
    let id = new_id();
    let req = f.request(&id);
    f.arm(
        "submit",
        serde_json::json!({"type": "stall-body", "ms": 1500}),
        1,
    );
    let mut impatient = Client::new(&f.sb);
    impatient.read_timeout = Duration::from_millis(400);
    assert!(impatient.submit(&req).is_err());
    assert_eq!(f.c.truth(&id).charges_applied, 1);
    assert!(succeeded(&f.c.query(&id).unwrap().reply()));
    // A patient client gets the whole response after the stall.
    let id = new_id();
    let req = f.request(&id);
    f.arm(
        "submit",
        serde_json::json!({"type": "stall-body", "ms": 300}),
        1,
    );
    let started = Instant::now();
    assert!(succeeded(&f.c.submit(&req).unwrap().reply()));
    assert!(started.elapsed() >= Duration::from_millis(300));

    // delay: answered normally after the wait.
    let id = new_id();
    let req = f.request(&id);
    f.arm("submit", serde_json::json!({"type": "delay", "ms": 200}), 1);
    let started = Instant::now();
    assert!(succeeded(&f.c.submit(&req).unwrap().reply()));
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(f.c.truth(&id).charges_applied, 1);

    // tls-handshake: the next connection fails before any request byte.
    let id = new_id();
    let req = f.request(&id);
    f.arm("submit", serde_json::json!({"type": "tls-handshake"}), 1);
    let mut fresh = Client::new(&f.sb);
    assert!(fresh.submit(&req).is_err());
    assert_eq!(fresh.connects, 0);
    assert_eq!(f.c.truth(&id).state, ServerPaymentState::NotFound);
    assert!(succeeded(&fresh.submit(&req).unwrap().reply()));
    assert_eq!(f.c.truth(&id).charges_applied, 1);

    assert_eq!(f.balance(), 50_000 - 7 * 1_000);
    assert!(f.sb.faults().armed().is_empty());
}

#[test]
fn query_and_reverse_faults() {
    let mut f = fixture("query-reverse-faults");
    let id = new_id();
    let req = f.request(&id);
    assert!(succeeded(&f.c.submit(&req).unwrap().reply()));

    f.arm(
        "query",
        serde_json::json!({"type": "error-500-before-commit"}),
        1,
    );
    assert_eq!(f.c.query(&id).unwrap().status, 500);
    f.arm("query", serde_json::json!({"type": "reset"}), 1);
    assert!(f.c.query(&id).is_err());
    f.arm("query", serde_json::json!({"type": "drop-after-commit"}), 1);
    assert!(f.c.query(&id).is_err());
    assert!(succeeded(&f.c.query(&id).unwrap().reply()));

    // A reverse whose answer is lost has still refunded, once.
    f.arm(
        "reverse",
        serde_json::json!({"type": "drop-after-commit"}),
        1,
    );
    assert!(f.c.reverse(&id).is_err());
    let t = f.c.truth(&id);
    assert_eq!(
        (t.state, t.charges_applied, t.refunds_applied),
        (ServerPaymentState::Reversed, 1, 1)
    );
    assert_eq!(f.c.reverse(&id).unwrap().reply(), BackendReply::Reversed);
    assert_eq!(f.c.truth(&id).refunds_applied, 1);
    assert_eq!(f.balance(), 50_000);

    // A reverse refused before commit leaves the payment untouched.
    let id = new_id();
    assert!(succeeded(&f.c.submit(&f.request(&id)).unwrap().reply()));
    f.arm(
        "reverse",
        serde_json::json!({"type": "error-500-before-commit"}),
        1,
    );
    assert_eq!(f.c.reverse(&id).unwrap().status, 500);
    f.arm("reverse", serde_json::json!({"type": "reset"}), 1);
    assert!(f.c.reverse(&id).is_err());
    assert_eq!(f.c.truth(&id).state, ServerPaymentState::Succeeded);
    assert_eq!(f.balance(), 49_000);
}

#[test]
fn any_kind_counts_down_and_control_is_exempt() {
    let mut f = fixture("any-faults");
    f.arm(
        "any",
        serde_json::json!({"type": "error-500-before-commit"}),
        2,
    );
    // Control and merchant routes are never faulted and do not count.
    assert_eq!(f.c.get("/v1/control/clock").unwrap().status, 200);
    assert_eq!(f.sb.faults().armed().first().map(|r| r.count), Some(2));
    assert_eq!(f.c.get("/v1/health").unwrap().status, 500);
    assert_eq!(f.c.get("/v1/registry").unwrap().status, 500);
    assert_eq!(f.c.get("/v1/health").unwrap().status, 200);

    // The Rust API arms the same plan; DELETE clears it.
    f.sb.inject(FaultKind::Registry, Fault::Reset, 5);
    assert_eq!(
        f.c.send("DELETE", "/v1/control/faults", &[], b"")
            .unwrap()
            .status,
        200
    );
    assert!(f.sb.faults().armed().is_empty());
    assert_eq!(f.c.get("/v1/registry").unwrap().status, 200);

    // Enrol and health kinds.
    f.arm("enrol", serde_json::json!({"type": "drop-after-commit"}), 1);
    let key = scanpay_core::auth::DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    let body = serde_json::json!({
        "public_key": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, key.public_key()),
        "enrolment_code": "SANDBOX",
    });
    assert!(f.c.post("/v1/devices", &body).is_err());
    // Committed: enrolling again replays the same device.
    let a: scanpay_core::net::api::EnrolResponse = f.c.post("/v1/devices", &body).unwrap().json();
    let b: scanpay_core::net::api::EnrolResponse = f.c.post("/v1/devices", &body).unwrap().json();
    assert_eq!(a, b);
    f.arm("health", serde_json::json!({"type": "tls-handshake"}), 1);
    let mut fresh = Client::new(&f.sb);
    assert!(fresh.get("/v1/health").is_err());
    assert_eq!(fresh.get("/v1/health").unwrap().status, 200);
}

#[test]
fn a_restart_keeps_state_tls_and_registry() {
    let dir = temp_dir("restart");
    let sb = Sandbox::start(SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let w = enrol(&mut c, "SANDBOX");
    let payload = sb.data().static_payload("M-0002").unwrap();
    let now = sb.data().now().unwrap();
    let id = new_id();
    let req = w.pay(&store, &id, &payload, money(2_000, "SGD"), now);
    let first = c.submit(&req).unwrap();
    assert!(succeeded(&first.reply()));
    let link = sb.wallet_link();
    let (version, doc) = sb.data().registry_document().unwrap();
    sb.stop();

    let sb = Sandbox::start(SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    c.request_seed = Some(w.request_seed);
    let again = sb.wallet_link();
    assert_eq!(
        (&again.ca_pem, &again.spki_pin),
        (&link.ca_pem, &link.spki_pin)
    );
    assert_eq!(sb.data().registry_document().unwrap(), (version, doc));
    assert_eq!(c.query(&id).unwrap().body, first.body);
    let replay = c.submit(&req).unwrap();
    assert_eq!(replay.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(replay.body, first.body);
    let t = c.truth(&id);
    assert_eq!((t.charges_applied, t.submits_received), (1, 2));
    assert_eq!(c.balance(&w.enrolment.account_id), 48_000);
    sb.stop();

    // New names re-issue the server certificate for the same key: the pin holds.
    let mut cfg = SandboxConfig::new(&dir);
    cfg.extra_names = vec!["sandbox.test".into(), "192.168.1.50".into()];
    let sb = Sandbox::start(cfg).unwrap();
    assert_eq!(sb.tls().spki_pin, again.spki_pin);
    assert!(sb.tls().names.iter().any(|n| n == "sandbox.test"));
    assert_ne!(sb.tls().server_pem, "");
    let mut c = Client::new(&sb);
    assert_eq!(c.get("/v1/health").unwrap().status, 200);
}

fn declined_code(r: &BackendReply) -> String {
    match r {
        BackendReply::Declined { code, .. } => code.clone(),
        other => panic!("expected a decline, got {other:?}"),
    }
}

#[test]
fn payer_pending_is_decided_at_the_nth_query() {
    let mut f = fixture("payer-pending");
    let pending = |queries: u32| serde_json::json!({"type": "payer-pending", "queries": queries});

    // Processing at the submit, nothing charged; a retried submit replays the
    // stored first answer (counted); queries 1 and 2 still say processing.
    let id = new_id();
    let req = f.request(&id);
    f.arm("submit", pending(3), 1);
    let first = f.c.submit(&req).unwrap();
    assert_eq!(first.status, 200);
    assert_eq!(first.reply(), BackendReply::Processing);
    assert_eq!(first.header("Idempotent-Replayed"), None);
    assert!(f.sb.faults().armed().is_empty());
    assert_eq!(f.ledger(&id), (ServerPaymentState::Processing, 0, 0, 1));
    assert_eq!(f.balance(), 50_000);
    let retry = f.c.submit(&req).unwrap();
    assert_eq!(retry.header("Idempotent-Replayed"), Some("true"));
    assert_eq!(retry.body, first.body);
    assert_eq!(f.c.truth(&id).submits_received, 2);
    for n in 1..=2 {
        assert_eq!(
            f.c.query(&id).unwrap().reply(),
            BackendReply::Processing,
            "query {n}"
        );
        let t = f.c.truth(&id);
        assert_eq!(
            (t.state, t.charges_applied),
            (ServerPaymentState::Processing, 0)
        );
    }

    // Meanwhile another payment is charged normally: its receipt and the
    // late decision's must differ.
    let other_id = new_id();
    let other = f.c.submit(&f.request(&other_id)).unwrap().reply();
    assert!(succeeded(&other));
    assert_eq!(f.balance(), 49_000);

    // The third query decides: charged once, answered with the receipt.
    let decided = f.c.query(&id).unwrap().reply();
    let BackendReply::Succeeded { receipt } = &decided else {
        panic!("the third query decides: {decided:?}");
    };
    assert_eq!(receipt.amount, money(1_000, "SGD"));
    let BackendReply::Succeeded { receipt: other } = other else {
        unreachable!()
    };
    assert_ne!(
        receipt.reference, other.reference,
        "receipt references are unique"
    );
    let after = f.c.submit(&f.request(&new_id())).unwrap().reply();
    let BackendReply::Succeeded { receipt: after } = after else {
        panic!("a payment after the decision: {after:?}");
    };
    assert_ne!(
        receipt.reference, after.reference,
        "receipt references are unique"
    );
    assert_eq!(f.balance(), 47_000);
    assert_eq!(f.ledger(&id), (ServerPaymentState::Succeeded, 1, 0, 2));
    assert_eq!(f.balance(), 47_000);
    // Decided once: later queries answer the same receipt and charge nothing;
    // a retried submit still replays the first answer.
    assert_eq!(f.c.query(&id).unwrap().reply(), decided);
    assert_eq!(f.c.submit(&req).unwrap().reply(), BackendReply::Processing);
    let t = f.c.truth(&id);
    assert_eq!((t.charges_applied, t.submits_received), (1, 3));
    assert_eq!(f.balance(), 47_000);
    // A reverse inside the window refunds it like any paid payment.
    assert_eq!(f.c.reverse(&id).unwrap().reply(), BackendReply::Reversed);
    assert_eq!(f.balance(), 48_000);

    // Reversed while processing: nothing charged, and the query that would
    // have decided it answers reversed.
    let id = new_id();
    let req = f.request(&id);
    f.arm("submit", pending(2), 1);
    assert_eq!(f.c.submit(&req).unwrap().reply(), BackendReply::Processing);
    assert_eq!(f.c.query(&id).unwrap().reply(), BackendReply::Processing);
    assert_eq!(f.c.reverse(&id).unwrap().reply(), BackendReply::Reversed);
    for _ in 0..2 {
        assert_eq!(f.c.query(&id).unwrap().reply(), BackendReply::Reversed);
    }
    assert_eq!(f.c.submit(&req).unwrap().reply(), BackendReply::Processing);
    assert_eq!(f.ledger(&id), (ServerPaymentState::Reversed, 0, 0, 2));
    assert_eq!(f.balance(), 48_000);

    // Decided as an unfaulted submit would be at that moment: the merchant
    // was blocked after the submit, so the first query declines it.
    let id = new_id();
    f.arm("submit", pending(1), 1);
    assert_eq!(
        f.c.submit(&f.request(&id)).unwrap().reply(),
        BackendReply::Processing
    );
    f.sb.data().set_merchant_blocked("M-0001", true).unwrap();
    assert_eq!(
        declined_code(&f.c.query(&id).unwrap().reply()),
        "merchant-blocked"
    );
    f.sb.data().set_merchant_blocked("M-0001", false).unwrap();
    let t = f.c.truth(&id);
    assert_eq!(
        (t.state, t.charges_applied),
        (ServerPaymentState::Declined, 0)
    );
    assert_eq!(f.balance(), 48_000);
}

#[test]
fn payer_pending_declines_validates_and_is_only_for_submits() {
    let mut f = fixture("payer-pending-decline");

    // 10.00 from a 5.00 account: processing, then insufficient-funds at the
    // second query, nothing charged.
    let low = enrol(&mut f.c, "SANDBOX-LOW");
    let id = new_id();
    let req = low.pay(&f.store, &id, &f.payload, money(1_000, "SGD"), f.now);
    f.arm(
        "any",
        serde_json::json!({"type": "payer-pending", "queries": 2}),
        1,
    );
    // An `any` rule is passed by by other requests: it waits for a submit.
    assert_eq!(f.c.get("/v1/health").unwrap().status, 200);
    assert_eq!(
        f.c.query(&new_id()).unwrap().reply(),
        BackendReply::NotFound
    );
    assert_eq!(f.sb.faults().armed().len(), 1);
    assert_eq!(f.c.submit(&req).unwrap().reply(), BackendReply::Processing);
    assert_eq!(f.c.query(&id).unwrap().reply(), BackendReply::Processing);
    assert_eq!(
        declined_code(&f.c.query(&id).unwrap().reply()),
        "insufficient-funds"
    );
    assert_eq!(
        declined_code(&f.c.query(&id).unwrap().reply()),
        "insufficient-funds"
    );
    let t = f.c.truth(&id);
    assert_eq!(
        (t.state, t.charges_applied, t.submits_received),
        (ServerPaymentState::Declined, 0, 1)
    );
    assert_eq!(f.c.balance(&low.enrolment.account_id), 500);

    // Validation is not deferred: an authorisation naming another account
    // than the code is 401 at the submit, nothing stored, the key stays free.
    let id = new_id();
    let mut req = f.request(&id);
    req.authorisation.authorisation.merchant_account = "26=someone-else".into();
    req.authorisation.signature =
        f.w.key
            .sign(&req.authorisation.authorisation.signed_bytes())
            .unwrap();
    f.arm(
        "submit",
        serde_json::json!({"type": "payer-pending", "queries": 1}),
        1,
    );
    let r = f.c.submit(&req).unwrap();
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (401, "bad-authorisation")
    );
    assert_eq!(f.c.truth(&id).state, ServerPaymentState::NotFound);
    assert_eq!(f.c.query(&id).unwrap().reply(), BackendReply::NotFound);

    // A rule no submit could take is refused at arming.
    for kind in ["query", "reverse", "registry"] {
        let r = f
            .c
            .post(
                "/v1/control/faults",
                &serde_json::json!({"kind": kind, "fault": {"type": "payer-pending", "queries": 2}, "count": 1}),
            )
            .unwrap();
        assert_eq!(
            (r.status, r.error_code().as_str()),
            (400, "malformed-request"),
            "{kind}"
        );
    }
    assert!(f.sb.faults().armed().is_empty());
    assert_eq!(f.balance(), 50_000);
}

#[test]
fn payer_pending_survives_a_restart_and_closes_after_the_ttl() {
    let dir = temp_dir("payer-pending-restart");
    let sb = Sandbox::start(SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    let store = trust_store(&sb, &mut c);
    let w = enrol(&mut c, "SANDBOX");
    let payload = sb.data().static_payload("M-0002").unwrap();
    let now = sb.data().now().unwrap();
    let decided_after_restart = new_id();
    let left_to_close = new_id();
    for id in [&decided_after_restart, &left_to_close] {
        sb.inject(FaultKind::Submit, Fault::PayerPending { queries: 2 }, 1);
        let req = w.pay(&store, id, &payload, money(500, "SGD"), now);
        assert_eq!(c.submit(&req).unwrap().reply(), BackendReply::Processing);
    }
    assert_eq!(
        c.query(&decided_after_restart).unwrap().reply(),
        BackendReply::Processing
    );
    sb.stop();

    // The stored request and the query count are in SQLite: the second query
    // after a restart decides.
    let sb = Sandbox::start(SandboxConfig::new(&dir)).unwrap();
    let mut c = Client::new(&sb);
    c.request_seed = Some(w.request_seed);
    assert!(succeeded(&c.query(&decided_after_restart).unwrap().reply()));
    assert_eq!(c.truth(&decided_after_restart).charges_applied, 1);

    // Left processing past 45 s (sandbox clock), a payment is closed unpaid,
    // and no later query decides it.
    sb.data().advance_clock(46).unwrap();
    for _ in 0..2 {
        assert_eq!(
            c.query(&left_to_close).unwrap().reply(),
            BackendReply::Closed
        );
    }
    let t = c.truth(&left_to_close);
    assert_eq!(
        (t.state, t.charges_applied),
        (ServerPaymentState::Closed, 0)
    );
    assert_eq!(c.balance(&w.enrolment.account_id), 50_000 - 500);
    sb.stop();
}
