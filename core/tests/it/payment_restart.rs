//! Restart between any two steps: the process dies during backend call k
//! (before or after the backend applied it), everything in memory is
//! dropped, the journal file is reopened and `resume_all` drives the payment
//! to the same end as an uninterrupted run.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use crate::payment_support::*;
use scanpay_core::payment::{Operation, PaymentState};

fn quiet_crashes() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let msg = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied());
            if msg != Some(CRASH) {
                default(info);
            }
        }));
    });
}

#[derive(Debug, Clone, Copy)]
enum Scenario {
    Succeed,
    Decline,
    LostResponse,
    LostRequest,
    UserPaying,
    ProcessingThenReverse,
    PaidBeforeReverse,
    ReverseBroken,
}

const SCENARIOS: [Scenario; 8] = [
    Scenario::Succeed,
    Scenario::Decline,
    Scenario::LostResponse,
    Scenario::LostRequest,
    Scenario::UserPaying,
    Scenario::ProcessingThenReverse,
    Scenario::PaidBeforeReverse,
    Scenario::ReverseBroken,
];

fn script(w: &World, s: Scenario) {
    match s {
        Scenario::Succeed => {}
        Scenario::Decline => w.sim.set_mode(Mode::Decline),
        Scenario::LostResponse => w.sim.fault(Operation::Submit, Fault::LoseResponse),
        Scenario::LostRequest => w.sim.fault(Operation::Submit, Fault::DropRequest),
        Scenario::UserPaying => w.sim.set_mode(Mode::UserPaying(12)),
        Scenario::ProcessingThenReverse => w.sim.set_mode(Mode::UserPayingForever),
        Scenario::PaidBeforeReverse => {
            w.sim.set_mode(Mode::UserPayingForever);
            w.sim.fault(Operation::Reverse, Fault::PaidJustBefore);
        }
        Scenario::ReverseBroken => {
            w.sim.set_mode(Mode::UserPayingForever);
            w.sim.set_reverse_broken(true);
        }
    }
}

/// Runs a scenario; with `crash`, dies at that backend call and restarts.
/// Returns the end state and whether a crash happened.
fn run(s: Scenario, crash: Option<(usize, bool)>) -> (PaymentState, bool, usize) {
    let w = World::new(config());
    script(&w, s);
    let app = w.open();
    let np = new_payment(&app, 10_000);
    let id = np.id.clone();
    if let Some((k, after)) = crash {
        w.sim.crash_at(k, after);
    }
    let first = catch_unwind(AssertUnwindSafe(|| {
        app.engine.pay(np, &mut |_| {}).map(|r| r.state)
    }));
    let (state, crashed) = match first {
        Ok(r) => (r.unwrap(), false),
        Err(_) => {
            // The process died: drop everything, reopen the journal file.
            drop(app);
            let app = w.open();
            let report = app.engine.resume_all();
            assert!(report.failures.is_empty(), "{:?}", report.failures);
            let rec = app.engine.payment(&id).unwrap().unwrap();
            assert_eq!(report.payments.len(), 1);
            assert_eq!(report.payments[0].state, rec.state);
            // Nothing left to resume.
            assert_eq!(app.engine.pending_count().unwrap(), 0);
            let reopened = w.open();
            let succeeded = reopened
                .store
                .transitions(&id)
                .unwrap()
                .iter()
                .filter(|t| t.to == "SUCCEEDED")
                .count();
            assert!(succeeded <= 1);
            (rec.state, true)
        }
    };
    assert_eq!(w.sim.violations(), Vec::<String>::new());
    (state, crashed, w.sim.calls().len())
}

#[test]
fn restart_at_every_backend_call_reaches_the_same_end() {
    quiet_crashes();
    for s in SCENARIOS {
        let (expected, crashed, calls) = run(s, None);
        assert!(!crashed);
        assert!(expected.is_final(), "{s:?} ended {expected:?}");
        for k in 0..calls {
            for after in [false, true] {
                let (got, crashed, _) = run(s, Some((k, after)));
                assert!(crashed, "{s:?} k={k} after={after}: no crash");
                assert_eq!(
                    got, expected,
                    "{s:?} crash at call {k} (after apply: {after})"
                );
            }
        }
    }
}

#[test]
fn restart_right_after_journalling_sends_nothing_twice() {
    quiet_crashes();
    // The journal write happened, the process died before the first send.
    let w = World::new(config());
    let app = w.open();
    let rec = app.engine.journal(new_payment(&app, 5000)).unwrap();
    assert_eq!(rec.state, PaymentState::Sending);
    drop(app);
    let app = w.open();
    let report = app.engine.resume_all();
    assert_eq!(report.payments.len(), 1);
    assert_eq!(report.payments[0].state, PaymentState::Succeeded);
    assert_eq!(report.payments[0].id, rec.id);
    assert_eq!(w.sim.submits(&rec.id), 1);
    // Resumed from SENDING: it became UNKNOWN (it may have been sent).
    let to: Vec<_> = app
        .store
        .transitions(&rec.id)
        .unwrap()
        .into_iter()
        .map(|t| t.to)
        .collect();
    assert_eq!(to, ["SENDING", "UNKNOWN", "SENDING", "SUCCEEDED"]);
}

#[test]
fn restart_long_after_the_window_reverses_instead_of_paying_late() {
    let w = World::new(config());
    let app = w.open();
    let rec = app.engine.journal(new_payment(&app, 5000)).unwrap();
    drop(app);
    // The phone stayed off for an hour.
    w.clock.set(NOW + 3600);
    let app = w.open();
    let report = app.engine.resume_all();
    assert_eq!(report.payments[0].state, PaymentState::Reversed);
    assert!(!w.sim.is_paid(&rec.id));
    assert_eq!(w.sim.count(Operation::Submit), 0);
}

#[test]
fn restart_cancels_a_not_sent_payment_and_keeps_queued_ones() {
    let mut cfg = config();
    cfg.offline.allowed = true;
    let w = World::new(cfg);
    let app = w.open();
    w.sim.fault(Operation::Submit, Fault::NotSent);
    let ns = app
        .engine
        .pay(new_payment(&app, 1000), &mut |_| {})
        .unwrap();
    assert_eq!(ns.state, PaymentState::NotSent);
    app.status.set_network_available(false, NOW * 1000);
    let q = app
        .engine
        .pay(new_payment(&app, 1000), &mut |_| {})
        .unwrap();
    assert_eq!(q.state, PaymentState::Queued);
    drop(app);
    let app = w.open();
    // A fresh process starts Online; the queued payment is forwarded.
    let report = app.engine.resume_all();
    let by_id = |id: &str| {
        report
            .payments
            .iter()
            .find(|r| r.id == id)
            .map(|r| r.state)
            .unwrap()
    };
    assert_eq!(by_id(&ns.id), PaymentState::Cancelled);
    assert_eq!(by_id(&q.id), PaymentState::Succeeded);
    assert!(!w.sim.known(&ns.id));
}

#[test]
fn resume_reports_an_unreadable_record_and_drives_the_rest() {
    let w = World::new(config());
    let app = w.open();
    let good = app.engine.journal(new_payment(&app, 1000)).unwrap();
    app.store
        .insert_payment(&scanpay_core::store::PaymentRow {
            id: "broken".into(),
            state: "SENDING".into(),
            record: b"{not json".to_vec(),
            created_at: NOW,
            updated_at: NOW,
            resolved: false,
        })
        .unwrap();
    let report = app.engine.resume_all();
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].0, "broken");
    assert_eq!(report.payments.len(), 1);
    assert_eq!(report.payments[0].id, good.id);
    assert_eq!(report.payments[0].state, PaymentState::Succeeded);
}
