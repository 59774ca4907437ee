//! The payment engine against the real journal, the real authenticator and a
//! simulated backend: the outcome discipline end to end, on virtual time.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::payment_support::*;
use scanpay_core::payment::{EngineError, Operation, PaymentEngine, PaymentRecord, PaymentState};
use scanpay_core::status::ConnectivityStatus;
use scanpay_core::store::StoreError;

fn pay(app: &App, total: u64) -> PaymentRecord {
    app.engine
        .pay(new_payment(app, total), &mut |_| {})
        .unwrap()
}

fn states(app: &App, id: &str) -> Vec<String> {
    app.store
        .transitions(id)
        .unwrap()
        .into_iter()
        .map(|t| t.to)
        .collect()
}

fn no_violations(w: &World) {
    assert_eq!(w.sim.violations(), Vec::<String>::new());
}

#[test]
fn clear_success_and_decline() {
    let w = World::new(config());
    let app = w.open();
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::Succeeded);
    assert_eq!(rec.receipt.as_ref().unwrap().amount, thb(10_000));
    assert!(w.sim.is_paid(&rec.id));
    assert_eq!(states(&app, &rec.id), ["SENDING", "SUCCEEDED"]);
    let row = app.store.payment(&rec.id).unwrap().unwrap();
    assert!(row.resolved);

    w.sim.set_mode(Mode::Decline);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::Declined);
    assert_eq!(rec.decline.unwrap().code, "insufficient-funds");
    assert_eq!(w.sim.count(Operation::Query), 0);
    no_violations(&w);
    assert_eq!(app.engine.pending_count().unwrap(), 0);
}

#[test]
fn lost_response_then_success_on_query() {
    let w = World::new(config());
    let app = w.open();
    w.sim.fault(Operation::Submit, Fault::LoseResponse);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::Succeeded);
    assert_eq!(states(&app, &rec.id), ["SENDING", "UNKNOWN", "SUCCEEDED"]);
    assert_eq!(w.sim.count(Operation::Submit), 1);
    assert_eq!(w.sim.count(Operation::Query), 1);
    // The first query came 5 s after the unclear submit.
    assert_eq!(w.clock_now(), NOW + 5);
    no_violations(&w);
}

#[test]
fn lost_request_is_resubmitted_with_the_same_id() {
    let w = World::new(config());
    let app = w.open();
    w.sim.fault(Operation::Submit, Fault::DropRequest);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::Succeeded);
    // query said NotFound → resubmitted, same id, inside the window.
    assert_eq!(
        states(&app, &rec.id),
        ["SENDING", "UNKNOWN", "SENDING", "SUCCEEDED"]
    );
    assert_eq!(rec.submits, 2);
    assert_eq!(w.sim.submits(&rec.id), 1);
    no_violations(&w);
}

#[test]
fn server_errors_and_user_paying_resolve_by_query() {
    let w = World::new(config());
    let app = w.open();
    w.sim.fault(Operation::Submit, Fault::Server500);
    w.sim.fault(Operation::Query, Fault::Server500);
    w.sim.fault(Operation::Query, Fault::LoseResponse);
    w.sim.set_mode(Mode::UserPaying(12));
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::Succeeded);
    assert!(rec.queries >= 3);
    no_violations(&w);
}

#[test]
fn forty_five_seconds_of_processing_then_reverse() {
    let w = World::new(config());
    let app = w.open();
    w.sim.set_mode(Mode::UserPayingForever);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::Reversed);
    // Queries at +5, +10, … +45 (9 of them), then the reversal at +45.
    assert_eq!(w.sim.count(Operation::Query), 9);
    assert_eq!(w.sim.count(Operation::Reverse), 1);
    assert_eq!(w.clock_now(), NOW + 45);
    assert!(!w.sim.is_paid(&rec.id));
    let s = states(&app, &rec.id);
    assert_eq!(s.first().unwrap(), "SENDING");
    assert_eq!(&s[s.len() - 2..], ["REVERSING", "REVERSED"]);
    no_violations(&w);
}

#[test]
fn paid_between_last_query_and_reverse() {
    let w = World::new(config());
    let app = w.open();
    w.sim.set_mode(Mode::UserPayingForever);
    w.sim.fault(Operation::Reverse, Fault::PaidJustBefore);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::Succeeded);
    assert!(rec.receipt.is_some());
    assert!(w.sim.is_paid(&rec.id));
    let s = states(&app, &rec.id);
    assert_eq!(&s[s.len() - 2..], ["REVERSING", "SUCCEEDED"]);
    no_violations(&w);
}

#[test]
fn reverse_failing_six_times_needs_attention() {
    let w = World::new(config());
    let app = w.open();
    w.sim.set_mode(Mode::UserPayingForever);
    w.sim.faults(Operation::Reverse, Fault::DropRequest, 6);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::NeedsAttention);
    assert_eq!(rec.reverse_attempts, 6);
    assert_eq!(w.sim.count(Operation::Reverse), 6);
    // Backoff 2, 4, 8, 16, 32 s after the query window.
    assert_eq!(w.clock_now(), NOW + 45 + 2 + 4 + 8 + 16 + 32);
    assert!(app.store.payment(&rec.id).unwrap().unwrap().resolved);
    no_violations(&w);

    // Five failures then success: reversed.
    let w = World::new(config());
    let app = w.open();
    w.sim.set_mode(Mode::UserPayingForever);
    w.sim.faults(Operation::Reverse, Fault::Server500, 5);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::Reversed);
    assert_eq!(rec.reverse_attempts, 5);
}

#[test]
fn not_sent_waits_for_the_user_then_retries_with_the_same_id() {
    let w = World::new(config());
    let app = w.open();
    w.sim.fault(Operation::Submit, Fault::NotSent);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::NotSent);
    assert!(!rec.maybe_sent);
    assert!(!w.sim.known(&rec.id));
    assert_eq!(app.engine.pending_count().unwrap(), 1);
    let again = app.engine.retry(&rec.id).unwrap();
    assert_eq!(again.id, rec.id);
    let done = app.engine.drive(&rec.id, &mut |_| {}).unwrap();
    assert_eq!(done.state, PaymentState::Succeeded);
    assert_eq!(
        states(&app, &rec.id),
        ["SENDING", "NOT_SENT", "SENDING", "SUCCEEDED"]
    );
    // Retry of a finished payment is refused.
    assert!(matches!(
        app.engine.retry(&rec.id),
        Err(EngineError::WrongState(_))
    ));

    // Cancel instead: never sent, so it can be withdrawn.
    w.sim.fault(Operation::Submit, Fault::Tls);
    let rec = pay(&app, 10_000);
    assert_eq!(rec.state, PaymentState::NotSent);
    let c = app.engine.cancel(&rec.id).unwrap();
    assert_eq!(c.state, PaymentState::Cancelled);
    assert!(app.store.payment(&rec.id).unwrap().unwrap().resolved);
    no_violations(&w);
}

#[test]
fn not_sent_after_a_maybe_sent_is_unknown_not_not_sent() {
    let w = World::new(config());
    let app = w.open();
    // Submit lost; query not-found → resubmit → not sent: the first may still
    // arrive, so it is Unknown, then resolved by query.
    w.sim.fault(Operation::Submit, Fault::DropRequest);
    w.sim.fault(Operation::Submit, Fault::NotSent);
    let rec = pay(&app, 10_000);
    assert_ne!(rec.state, PaymentState::NotSent);
    assert!(rec.state.is_final());
    no_violations(&w);
}

#[test]
fn ids_are_uuid_v4_and_never_journalled_twice() {
    let w = World::new(config());
    let app = w.open();
    let np = new_payment(&app, 1000);
    let id = np.id.clone();
    assert_eq!(id.len(), 36);
    assert_eq!(id.as_bytes()[14], b'4');
    assert!(matches!(id.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
    app.engine.journal(np.clone()).unwrap();
    assert!(matches!(
        app.engine.journal(np),
        Err(EngineError::Store(StoreError::Duplicate(_)))
    ));
    let ids: std::collections::HashSet<_> = (0..200)
        .map(|_| PaymentEngine::new_payment_id().unwrap())
        .collect();
    assert_eq!(ids.len(), 200);
}

#[test]
fn limits_per_payment_and_daily() {
    let w = World::new(config());
    let app = w.open();
    let over = app.engine.check_limits(thb(500_001), false, NOW);
    assert!(matches!(over, Err(EngineError::PerPaymentLimit { .. })));
    assert!(app.engine.check_limits(thb(500_000), false, NOW).is_ok());
    assert!(matches!(
        app.engine.check_limits(
            scanpay_core::money::Money::new(1, scanpay_core::money::Currency::USD),
            false,
            NOW
        ),
        Err(EngineError::CurrencyNotAllowed(_))
    ));
    pay(&app, 400_000);
    pay(&app, 400_000);
    // 800,000 spent of 1,000,000: 200,001 is refused, 200,000 fits.
    assert!(matches!(
        app.engine.check_limits(thb(200_001), false, NOW),
        Err(EngineError::DailyLimit { .. })
    ));
    assert!(app.engine.check_limits(thb(200_000), false, NOW).is_ok());
    // The journal refuses too, not just the pre-check.
    assert!(matches!(
        app.engine.journal(new_payment(&app, 200_001)),
        Err(EngineError::DailyLimit { .. })
    ));
    // Declined payments do not count.
    w.sim.set_mode(Mode::Decline);
    pay(&app, 200_000);
    assert!(app.engine.check_limits(thb(200_000), false, NOW).is_ok());
    // 24 hours later the window has moved on.
    w.clock.set(NOW + 86_401);
    assert!(app
        .engine
        .check_limits(thb(500_000), false, NOW + 86_401)
        .is_ok());
}

#[test]
fn offline_refused_by_default() {
    let w = World::new(config());
    let app = w.open();
    app.status.set_network_available(false, NOW * 1000);
    assert!(app.engine.is_offline());
    assert!(matches!(
        app.engine.journal(new_payment(&app, 1000)),
        Err(EngineError::OfflineNotAllowed)
    ));
    assert!(app.store.unresolved_payments().unwrap().is_empty());
    assert!(w.sim.calls().is_empty());
}

#[test]
fn offline_policy_queues_and_forwards_in_order() {
    let mut cfg = config();
    cfg.offline.allowed = true;
    let w = World::new(cfg);
    let app = w.open();
    app.status.set_network_available(false, NOW * 1000);
    assert!(matches!(
        app.engine.check_limits(thb(20_001), true, NOW),
        Err(EngineError::OfflinePerPaymentLimit { .. })
    ));
    let a = pay(&app, 20_000);
    let b = pay(&app, 20_000);
    assert_eq!(a.state, PaymentState::Queued);
    assert_eq!(b.state, PaymentState::Queued);
    assert!(w.sim.calls().is_empty(), "nothing is sent while offline");
    // Total offline cap: 40,000 queued of 50,000.
    assert!(matches!(
        app.engine.journal(new_payment(&app, 10_001)),
        Err(EngineError::OfflineTotalLimit { .. })
    ));
    assert_eq!(app.status.current().pending_payments, 2);
    // Still offline: forwarding does nothing.
    assert!(app
        .engine
        .forward_queued()
        .unwrap()
        .iter()
        .all(|r| r.state == PaymentState::Queued));
    app.status.set_network_available(true, (NOW + 60) * 1000);
    let out = app.engine.forward_queued().unwrap();
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|r| r.state == PaymentState::Succeeded));
    let order: Vec<_> = w.sim.calls().into_iter().map(|(_, id)| id).collect();
    assert_eq!(order, [a.id.clone(), b.id.clone()]);
    assert_eq!(app.status.current().pending_payments, 0);
    no_violations(&w);
}

#[test]
fn queued_payment_stays_queued_when_forwarding_fails() {
    let mut cfg = config();
    cfg.offline.allowed = true;
    let w = World::new(cfg);
    let app = w.open();
    app.status.set_network_available(false, NOW * 1000);
    let a = pay(&app, 1000);
    let b = pay(&app, 1000);
    app.status.set_network_available(true, NOW * 1000 + 1);
    w.sim.fault(Operation::Submit, Fault::NotSent);
    let out = app.engine.forward_queued().unwrap();
    // a failed to send and stays queued; b waits behind it.
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].id, a.id);
    assert_eq!(out[0].state, PaymentState::Queued);
    assert_eq!(
        app.engine.payment(&b.id).unwrap().unwrap().state,
        PaymentState::Queued
    );
    // A queued payment may be withdrawn.
    assert_eq!(
        app.engine.cancel(&b.id).unwrap().state,
        PaymentState::Cancelled
    );
    let out = app.engine.forward_queued().unwrap();
    assert_eq!(out[0].state, PaymentState::Succeeded);
}

#[test]
fn request_outcomes_feed_the_status() {
    let w = World::new(config());
    let app = w.open();
    w.sim.set_mode(Mode::UserPayingForever);
    w.sim.faults(Operation::Query, Fault::Server500, 3);
    w.sim.faults(Operation::Reverse, Fault::Server500, 1);
    let rec = pay(&app, 1000);
    assert_eq!(rec.state, PaymentState::Reversed);
    // The last request succeeded: online again.
    assert_eq!(
        app.status.current().connectivity,
        ConnectivityStatus::Online
    );
}

#[test]
fn concurrent_drivers_never_double_a_payment() {
    let w = World::new(config());
    let app = w.open();
    w.sim.fault(Operation::Submit, Fault::LoseResponse);
    let rec = app.engine.journal(new_payment(&app, 1000)).unwrap();
    let id = rec.id.clone();
    std::thread::scope(|s| {
        for _ in 0..4 {
            let engine = &app.engine;
            let id = id.clone();
            s.spawn(move || {
                let _ = engine.drive(&id, &mut |_| {});
            });
        }
    });
    let rec = app.engine.drive(&id, &mut |_| {}).unwrap();
    assert_eq!(rec.state, PaymentState::Succeeded);
    let succeeded = states(&app, &id)
        .iter()
        .filter(|s| *s == "SUCCEEDED")
        .count();
    assert_eq!(succeeded, 1);
    no_violations(&w);
}

#[test]
fn a_second_driver_waits_and_ends_with_the_settled_record() {
    // The resume at start is resolving a lost response when the user opens
    // the same payment: the second caller must not get a stale SENDING /
    // UNKNOWN record back (its screen would spin forever), but the settled
    // one, with the first driver's progress reported on the way.
    let w = World::new(config());
    let app = w.open();
    w.sim.fault(Operation::Submit, Fault::LoseResponse);
    let rec = app.engine.journal(new_payment(&app, 1000)).unwrap();
    let id = rec.id.clone();
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let engine = &app.engine;
        let first_id = id.clone();
        let first = s.spawn(move || {
            let mut once = Some(started_tx);
            engine.drive(&first_id, &mut |r| {
                if let Some(tx) = once.take() {
                    tx.send(()).unwrap();
                    // Hold the payment long enough for the second caller
                    // to arrive while it is in flight.
                    std::thread::sleep(std::time::Duration::from_millis(400));
                }
                // Re-entering from one's own progress callback returns at
                // once instead of waiting on oneself.
                assert_eq!(engine.drive(&first_id, &mut |_| {}).unwrap().id, r.id);
            })
        });
        started_rx.recv().unwrap();
        let mut seen = Vec::new();
        let second = engine.drive(&id, &mut |r| seen.push(r.state)).unwrap();
        assert_eq!(second.state, PaymentState::Succeeded);
        assert!(!seen.is_empty(), "the waiting caller saw no progress");
        assert_eq!(
            first.join().unwrap().unwrap().state,
            PaymentState::Succeeded
        );
    });
    assert_eq!(w.sim.submits(&id), 1);
    no_violations(&w);
}

trait ClockNow {
    fn clock_now(&self) -> u64;
}

impl ClockNow for World {
    fn clock_now(&self) -> u64 {
        use scanpay_core::payment::Clock;
        self.clock.now()
    }
}

#[test]
fn forwarding_into_tls_failures_keeps_the_payment_queued() {
    let mut cfg = config();
    cfg.offline.allowed = true;
    let w = World::new(cfg);
    let app = w.open();
    app.status.set_network_available(false, NOW * 1000);
    let a = pay(&app, 1000);
    app.status.set_network_available(true, NOW * 1000 + 1);
    // TLS failures do not make the status Offline, and must not make the
    // engine spin either: one attempt per forward.
    for _ in 0..3 {
        w.sim.fault(Operation::Submit, Fault::Tls);
        let out = app.engine.forward_queued().unwrap();
        assert_eq!(out[0].state, PaymentState::Queued);
    }
    assert_eq!(w.sim.count(Operation::Submit), 3);
    assert!(!app.engine.is_offline());
    let out = app.engine.forward_queued().unwrap();
    assert_eq!(out[0].id, a.id);
    assert_eq!(out[0].state, PaymentState::Succeeded);
}
