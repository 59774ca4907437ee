//! Every fault the sandbox can inject, on every request kind, against the
//! real wallet over TLS: the payment ends in the right state and the server
//! applied the charge exactly once (or, once reversed, refunded it exactly
//! once). One test per request kind; each walks the same table of six faults.
//!
//! Each fault is armed by the [`Tap`](scanpay_system::Tap) right before the
//! request it is about, and every case asserts that the fault really struck
//! that request (the client's result for it is the expected failure class).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use scanpay_core::net::api::{ControlPayment, Fault, FaultKind, ServerPaymentState};
use scanpay_core::payment::PaymentState;
use scanpay_core::payment::{
    BackendError, BackendReply, FailureReason, FlowState, Intent, Operation, RetryOption,
};
use scanpay_core::wallet::WalletError;
use scanpay_system::{authorise, HarnessError, System, SystemOptions, FAULT_WAIT_MS, READ_TIMEOUT};

/// The six faults, with the name each case reports.
fn faults() -> [(&'static str, Fault); 6] {
    [
        (
            "delay past the read timeout",
            Fault::Delay { ms: FAULT_WAIT_MS },
        ),
        ("response dropped after commit", Fault::DropAfterCommit),
        ("500 before commit", Fault::Error500BeforeCommit),
        ("connection reset", Fault::Reset),
        ("stalled body", Fault::StallBody { ms: FAULT_WAIT_MS }),
        ("TLS handshake failure", Fault::TlsHandshake),
    ]
}

/// The failure class the wallet's client must report for a request hit by
/// `fault`: this is what tells the engine whether anything may have been sent.
fn expected_class(fault: Fault, result: &Result<BackendReply, BackendError>) -> bool {
    match fault {
        Fault::TlsHandshake => matches!(result, Err(BackendError::Tls(_))),
        Fault::Error500BeforeCommit => {
            matches!(result, Err(BackendError::Server { status: 500, .. }))
        }
        Fault::Delay { .. } | Fault::DropAfterCommit | Fault::Reset | Fault::StallBody { .. } => {
            matches!(result, Err(BackendError::MaybeSent(_)))
        }
        // Not a transport failure: an answer saying the payer is not done.
        Fault::PayerPending { .. } => matches!(result, Ok(BackendReply::Processing)),
    }
}

/// Whether a delayed or stalled request may still be landing on the server.
fn lands_late(fault: Fault) -> bool {
    matches!(fault, Fault::Delay { .. } | Fault::StallBody { .. })
}

fn start(name: &str) -> (System, String) {
    let sys = System::start(SystemOptions::new(env!("CARGO_TARGET_TMPDIR"), name)).unwrap();
    let enrolled = sys.enrol("SANDBOX").unwrap();
    sys.sync_registry().unwrap().expect("a first sync gets v1");
    (sys, enrolled.account_id)
}

/// Authorises a 1.00 SGD payment to a static code and processes it.
fn pay_one(sys: &System) -> (scanpay_core::payment::PaymentFlow, FlowState) {
    let code = sys.static_code("M-0002").unwrap();
    let mut flow = sys.wallet.new_flow();
    let s = authorise(&mut flow, &code, Some("1.00")).unwrap();
    assert!(
        matches!(s, FlowState::Processing { .. }),
        "journalled: {s:?}"
    );
    let end = flow.process(&mut |_| {}).unwrap();
    (flow, end)
}

fn assert_truth(case: &str, t: &ControlPayment, state: ServerPaymentState, net_charges: u32) {
    assert!(
        t.charges_applied <= 1 && t.refunds_applied <= t.charges_applied,
        "{case}: never more than one charge, never more refunds than charges: {t:?}"
    );
    assert_eq!(t.state, state, "{case}: server state: {t:?}");
    assert_eq!(
        t.charges_applied - t.refunds_applied,
        net_charges,
        "{case}: net charges on the server: {t:?}"
    );
}

#[test]
fn every_fault_on_submit() {
    let (sys, account) = start("faults-submit");
    for (name, fault) in faults() {
        let case = format!("submit / {name}");
        sys.tap.reset();
        let before = sys.balance(&account).unwrap();
        sys.tap
            .arm_before(Operation::Submit, 1, FaultKind::Submit, fault, 1);
        let (mut flow, mut end) = pay_one(&sys);
        let id = flow.payment_id().unwrap().to_string();
        let submits = sys.tap.results(Operation::Submit);
        assert!(
            submits.first().is_some_and(|r| expected_class(fault, r)),
            "{case}: the first submit should fail as {fault:?}: {submits:?}"
        );
        if fault == Fault::TlsHandshake {
            // Nothing was sent: the user is offered a retry with the same id,
            // and the server has never heard of the payment.
            assert!(
                matches!(
                    &end,
                    FlowState::Failed {
                        reason: FailureReason::NotSent { .. },
                        retry: RetryOption::SameId,
                        ..
                    }
                ),
                "{case}: {end:?}"
            );
            let t = sys.truth(&id).unwrap();
            assert_eq!(
                (t.state, t.submits_received),
                (ServerPaymentState::NotFound, 0),
                "{case}: nothing reached the server: {t:?}"
            );
            flow.handle(Intent::Retry).unwrap();
            end = flow.process(&mut |_| {}).unwrap();
        }
        assert!(matches!(end, FlowState::Done { .. }), "{case}: {end:?}");
        // A delayed submit reaches processing after the wallet's resubmit and
        // is answered from the stored result: two submits, one charge.
        let expected_submits = if matches!(fault, Fault::Delay { .. }) {
            2
        } else {
            1
        };
        let t = sys
            .settle(
                &id,
                |t| t.submits_received >= expected_submits,
                Duration::from_millis(FAULT_WAIT_MS * 2),
            )
            .unwrap();
        assert_truth(&case, &t, ServerPaymentState::Succeeded, 1);
        assert_eq!(
            t.submits_received, expected_submits,
            "{case}: submits that reached processing: {t:?}"
        );
        assert_eq!(
            sys.balance(&account).unwrap().minor,
            before.minor - 100,
            "{case}: balance debited exactly once"
        );
        assert_eq!(sys.tap.problems(), Vec::<String>::new(), "{case}");
        sys.clear_faults().unwrap();
    }
}

#[test]
fn every_fault_on_query() {
    let (sys, account) = start("faults-query");
    for (name, fault) in faults() {
        let case = format!("query / {name}");
        sys.tap.reset();
        let before = sys.balance(&account).unwrap();
        // The submit commits but its answer is lost: the wallet must query.
        sys.tap.arm_before(
            Operation::Submit,
            1,
            FaultKind::Submit,
            Fault::DropAfterCommit,
            1,
        );
        sys.tap
            .arm_before(Operation::Query, 1, FaultKind::Query, fault, 1);
        let (flow, end) = pay_one(&sys);
        let id = flow.payment_id().unwrap().to_string();
        let queries = sys.tap.results(Operation::Query);
        assert!(
            queries.first().is_some_and(|r| expected_class(fault, r)),
            "{case}: the first query should fail as {fault:?}: {queries:?}"
        );
        assert!(
            matches!(queries.get(1), Some(Ok(BackendReply::Succeeded { .. }))),
            "{case}: the next query finds the payment: {queries:?}"
        );
        assert!(matches!(end, FlowState::Done { .. }), "{case}: {end:?}");
        assert_eq!(
            sys.tap.results(Operation::Submit).len(),
            1,
            "{case}: a committed payment is never resubmitted"
        );
        if lands_late(fault) {
            std::thread::sleep(Duration::from_millis(FAULT_WAIT_MS) - READ_TIMEOUT);
        }
        let t = sys.truth(&id).unwrap();
        assert_truth(&case, &t, ServerPaymentState::Succeeded, 1);
        assert_eq!(t.submits_received, 1, "{case}: {t:?}");
        assert_eq!(
            sys.balance(&account).unwrap().minor,
            before.minor - 100,
            "{case}: balance debited exactly once"
        );
        assert_eq!(sys.tap.problems(), Vec::<String>::new(), "{case}");
        sys.clear_faults().unwrap();
    }
}

#[test]
fn every_fault_on_reverse() {
    let (sys, account) = start("faults-reverse");
    for (name, fault) in faults() {
        let case = format!("reverse / {name}");
        sys.tap.reset();
        let before = sys.balance(&account).unwrap();
        // The submit commits, its answer is lost, and every query fails until
        // the 45 s window (virtual time) is over: the wallet must reverse.
        sys.tap.arm_before(
            Operation::Submit,
            1,
            FaultKind::Submit,
            Fault::DropAfterCommit,
            1,
        );
        sys.tap.arm_before(
            Operation::Query,
            1,
            FaultKind::Query,
            Fault::Error500BeforeCommit,
            1_000,
        );
        sys.tap
            .arm_before(Operation::Reverse, 1, FaultKind::Reverse, fault, 1);
        let (flow, end) = pay_one(&sys);
        let id = flow.payment_id().unwrap().to_string();
        let reverses = sys.tap.results(Operation::Reverse);
        assert!(
            reverses.first().is_some_and(|r| expected_class(fault, r)),
            "{case}: the first reverse should fail as {fault:?}: {reverses:?}"
        );
        assert_eq!(
            reverses.get(1),
            Some(&Ok(BackendReply::Reversed)),
            "{case}: the retried reverse settles it: {reverses:?}"
        );
        assert!(
            matches!(
                &end,
                FlowState::Failed {
                    reason: FailureReason::Reversed,
                    ..
                }
            ),
            "{case}: {end:?}"
        );
        let record = sys.wallet.payment(&id).unwrap().unwrap();
        assert!(
            record.queries >= 2,
            "{case}: the wallet queried through the window first: {record:?}"
        );
        if lands_late(fault) {
            std::thread::sleep(Duration::from_millis(FAULT_WAIT_MS) - READ_TIMEOUT);
        }
        let t = sys.truth(&id).unwrap();
        assert_truth(&case, &t, ServerPaymentState::Reversed, 0);
        assert_eq!(
            (t.charges_applied, t.refunds_applied),
            (1, 1),
            "{case}: charged once, refunded once: {t:?}"
        );
        assert_eq!(
            sys.balance(&account).unwrap(),
            before,
            "{case}: the balance is whole again"
        );
        assert_eq!(sys.tap.problems(), Vec::<String>::new(), "{case}");
        sys.clear_faults().unwrap();
    }
}

#[test]
fn every_fault_on_registry_sync() {
    let (sys, _account) = start("faults-registry");
    // Keys of other merchants than the one paid below (M-0002, laksa-1).
    let keys = ["siam-1", "owl-1", "siam-1", "owl-1", "siam-1", "owl-1"];
    let mut revoked = std::collections::HashMap::new();
    for ((name, fault), key) in faults().into_iter().zip(keys) {
        let case = format!("registry sync / {name}");
        let held = sys.wallet.registry_info().unwrap();
        // A newer registry on the server: toggle a key's revocation.
        let flag = revoked.entry(key).or_insert(false);
        *flag = !*flag;
        let served = sys.sandbox.data().set_key_revoked(key, *flag).unwrap();
        assert_eq!(served, held.version + 1, "{case}");
        if fault == Fault::TlsHandshake {
            sys.net.close_idle();
        }
        sys.sandbox.inject(FaultKind::Registry, fault, 1);
        let err = match sys.sync_registry() {
            Err(HarnessError::Wallet(WalletError::Net(e))) => e,
            other => panic!("{case}: the sync should fail: {other:?}"),
        };
        let class_ok = match fault {
            Fault::TlsHandshake => err.is_tls(),
            Fault::Error500BeforeCommit => {
                matches!(err, scanpay_core::net::NetError::Status { status: 500, .. })
            }
            _ => !err.definitely_not_sent() && !err.is_tls(),
        };
        assert!(class_ok, "{case}: {err:?}");
        // Nothing half-applied: the wallet keeps verifying with what it had.
        assert_eq!(sys.wallet.registry_info().unwrap(), held, "{case}");
        let payload = sys.static_code("M-0002").unwrap();
        let mut flow = sys.wallet.new_flow();
        let s = flow.handle(Intent::ScannedText(payload)).unwrap();
        assert!(
            matches!(&s, FlowState::ReviewMerchant { review } if review.verdict.is_verified()),
            "{case}: {s:?}"
        );
        // The next sync gets the new version.
        let (info, _) = sys
            .sync_registry()
            .unwrap()
            .unwrap_or_else(|| panic!("{case}: a newer document was served"));
        assert_eq!(info.version, served, "{case}");
        assert!(sys.sandbox.faults().armed().is_empty(), "{case}");
        if lands_late(fault) {
            std::thread::sleep(Duration::from_millis(FAULT_WAIT_MS) - READ_TIMEOUT);
        }
    }
}

/// The states a payment's journal passed through, in order, repeats merged.
fn journal_path(sys: &System, id: &str) -> Vec<String> {
    let mut path: Vec<String> = sys
        .wallet
        .store()
        .transitions(id)
        .unwrap()
        .into_iter()
        .map(|t| t.to)
        .collect();
    path.dedup();
    path
}

#[test]
fn payer_pending_is_queried_until_decided_or_reversed() {
    let (sys, account) = start("faults-payer-pending");
    let timings = scanpay_system::wallet_config().timings;
    // Queries fit in the window at 5 s intervals; past that the engine reverses.
    let window_queries =
        u32::try_from(timings.query_window_secs / timings.query_interval_secs).unwrap();

    // Decided at the second query: paid, once.
    let case = "payer pending for 2 queries";
    let before = sys.balance(&account).unwrap();
    sys.tap.arm_before(
        Operation::Submit,
        1,
        FaultKind::Submit,
        Fault::PayerPending { queries: 2 },
        1,
    );
    let (flow, end) = pay_one(&sys);
    let id = flow.payment_id().unwrap().to_string();
    assert!(matches!(end, FlowState::Done { .. }), "{case}: {end:?}");
    let submits = sys.tap.results(Operation::Submit);
    assert_eq!(submits, vec![Ok(BackendReply::Processing)], "{case}");
    let queries = sys.tap.results(Operation::Query);
    assert_eq!(queries.len(), 2, "{case}: {queries:?}");
    assert_eq!(
        queries.first(),
        Some(&Ok(BackendReply::Processing)),
        "{case}"
    );
    assert!(
        matches!(queries.get(1), Some(Ok(BackendReply::Succeeded { .. }))),
        "{case}: the second query answers the decision: {queries:?}"
    );
    assert!(sys.tap.results(Operation::Reverse).is_empty(), "{case}");
    let record = sys.wallet.payment(&id).unwrap().unwrap();
    assert_eq!(
        (record.state, record.queries),
        (PaymentState::Succeeded, 2),
        "{case}: {record:?}"
    );
    assert_eq!(
        journal_path(&sys, &id),
        ["SENDING", "UNKNOWN", "SUCCEEDED"],
        "{case}"
    );
    let t = sys.truth(&id).unwrap();
    assert_truth(case, &t, ServerPaymentState::Succeeded, 1);
    assert_eq!(t.submits_received, 1, "{case}: never resubmitted: {t:?}");
    assert_eq!(
        sys.balance(&account).unwrap().minor,
        before.minor - 100,
        "{case}: balance debited exactly once"
    );
    assert_eq!(sys.tap.problems(), Vec::<String>::new(), "{case}");

    // Still processing when the 45 s window (virtual time) ends: reversed,
    // nothing charged.
    let case = "payer pending past the query window";
    sys.tap.reset();
    let before = sys.balance(&account).unwrap();
    let decide_at = window_queries * 10;
    sys.tap.arm_before(
        Operation::Submit,
        1,
        FaultKind::Submit,
        Fault::PayerPending { queries: decide_at },
        1,
    );
    let (flow, end) = pay_one(&sys);
    let id = flow.payment_id().unwrap().to_string();
    assert!(
        matches!(
            &end,
            FlowState::Failed {
                reason: FailureReason::Reversed,
                ..
            }
        ),
        "{case}: {end:?}"
    );
    assert_eq!(
        sys.tap.results(Operation::Submit),
        vec![Ok(BackendReply::Processing)],
        "{case}"
    );
    let queries = sys.tap.results(Operation::Query);
    assert!(
        queries.len() >= 2 && queries.len() < usize::try_from(decide_at).unwrap(),
        "{case}: queried through the window, never reaching the decision: {queries:?}"
    );
    assert!(
        queries.iter().all(|q| q == &Ok(BackendReply::Processing)),
        "{case}: every query said processing: {queries:?}"
    );
    assert_eq!(
        sys.tap.results(Operation::Reverse),
        vec![Ok(BackendReply::Reversed)],
        "{case}"
    );
    let record = sys.wallet.payment(&id).unwrap().unwrap();
    assert_eq!(record.state, PaymentState::Reversed, "{case}: {record:?}");
    assert_eq!(
        usize::try_from(record.queries).unwrap(),
        queries.len(),
        "{case}"
    );
    assert_eq!(
        journal_path(&sys, &id),
        ["SENDING", "UNKNOWN", "REVERSING", "REVERSED"],
        "{case}"
    );
    let t = sys.truth(&id).unwrap();
    assert_truth(case, &t, ServerPaymentState::Reversed, 0);
    assert_eq!(
        (t.charges_applied, t.refunds_applied, t.submits_received),
        (0, 0, 1),
        "{case}: never charged: {t:?}"
    );
    // Reversed for good: the queries that remain before the decision point
    // would have decided nothing.
    assert_eq!(
        scanpay_core::payment::Backend::query(sys.net.as_ref(), &id).unwrap(),
        BackendReply::Reversed,
        "{case}"
    );
    assert_eq!(sys.truth(&id).unwrap().charges_applied, 0, "{case}");
    assert_eq!(
        sys.balance(&account).unwrap(),
        before,
        "{case}: balance unchanged"
    );
    assert_eq!(sys.tap.problems(), Vec::<String>::new(), "{case}");
    assert!(sys.sandbox.faults().armed().is_empty(), "{case}");
}
