//! Property tests over random intent sequences: whatever the user taps, in
//! whatever order, with whatever the network does, the flow never panics,
//! refuses with typed errors (leaving the state unchanged), never sends an
//! unjournalled payment, never succeeds a payment twice, and every payment
//! ends SUCCEEDED / DECLINED / REVERSED / CANCELLED / NEEDS_ATTENTION or stays
//! resumable (and is resolved by `resume_all` after a restart).
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::payment_support::*;
use proptest::prelude::*;
use scanpay_core::money::Money;
use scanpay_core::payment::{FlowState, Intent, Operation, PaymentState};

#[derive(Debug, Clone)]
enum Step {
    /// The "sensible next tap" for the current state, so that random
    /// sequences reach the PIN and the network part often.
    Advance(u8),
    Scan(u8),
    Proceed,
    Amount(&'static str),
    Tip(&'static str),
    ConfirmShown,
    ConfirmOther(u64),
    Digit(u8),
    FullPin(bool),
    Backspace,
    Cancel,
    Retry,
    Process,
    Network(bool),
    Fault(u8),
    Mode(u8),
    Wait(u16),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        10 => (0u8..4).prop_map(Step::Advance),
        1 => (0u8..6).prop_map(Step::Scan),
        1 => Just(Step::Proceed),
        1 => prop::sample::select(vec!["", "1", "10.50", "12.", "abc", "1.234", "4999.99", "9999999999"])
            .prop_map(Step::Amount),
        1 => prop::sample::select(vec!["", "0", "1.5", "x"]).prop_map(Step::Tip),
        1 => Just(Step::ConfirmShown),
        1 => Just(Step::ConfirmShown),
        1 => (0u64..20_000).prop_map(Step::ConfirmOther),
        1 => (0u8..12).prop_map(Step::Digit),
        1 => prop::bool::weighted(0.8).prop_map(Step::FullPin),
        1 => Just(Step::Backspace),
        1 => Just(Step::Cancel),
        1 => Just(Step::Retry),
        1 => Just(Step::Process),
        1 => Just(Step::Process),
        1 => prop::bool::weighted(0.7).prop_map(Step::Network),
        1 => (0u8..6).prop_map(Step::Fault),
        1 => (0u8..4).prop_map(Step::Mode),
        1 => (0u16..120).prop_map(Step::Wait),
    ]
}

fn code(i: u8) -> String {
    match i {
        0 => static_code(Tip::None),
        1 => static_code(Tip::Prompt),
        2 => dynamic_code("10.01", Tip::Percent("3.5")),
        3 => dynamic_code("20", Tip::Fixed("1")),
        4 => unsigned_code(),
        _ => "https://example.com".into(),
    }
}

fn shown_total(s: &FlowState) -> Option<Money> {
    match s {
        FlowState::EnterAmount {
            breakdown: Some(b), ..
        }
        | FlowState::ConfirmAmount { breakdown: b, .. }
        | FlowState::ConfirmPinFree { breakdown: b, .. } => Some(b.total),
        _ => None,
    }
}

fn check_journal(app: &App, w: &World) -> Result<(), TestCaseError> {
    prop_assert_eq!(w.sim.violations(), Vec::<String>::new());
    for row in app.store.payments(1000, None).unwrap() {
        let t = app.store.transitions(&row.id).unwrap();
        let succeeded = t.iter().filter(|t| t.to == "SUCCEEDED").count();
        prop_assert!(
            succeeded <= 1,
            "payment {} succeeded {} times",
            row.id,
            succeeded
        );
        // Once final, never changed again.
        if let Some(pos) = t
            .iter()
            .position(|t| PaymentState::from_name(&t.to).is_some_and(|s| s.is_final()))
        {
            prop_assert_eq!(pos, t.len() - 1, "changed after a final state: {:?}", t);
        }
        // The backend only ever saw journalled ids.
    }
    for (_, id) in w.sim.calls() {
        prop_assert!(app.store.payment(&id).unwrap().is_some());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_intents_keep_every_invariant(
        steps in prop::collection::vec(step(), 1..60),
        offline_allowed in any::<bool>(),
        allow_unverified in any::<bool>(),
    ) {
        let mut cfg = config();
        cfg.offline.allowed = offline_allowed;
        cfg.allow_unverified = allow_unverified;
        let w = World::new(cfg);
        let app = w.open();
        let mut flow = app.flow();
        let mut now_ms = NOW * 1000;
        for st in steps {
            let before = flow.state().clone();
            let intent = match st {
                Step::Advance(i) => match &before {
                    FlowState::Scanning
                    | FlowState::Done { .. }
                    | FlowState::NeedsAttention { .. } => Some(Intent::ScannedText(code(i))),
                    FlowState::ReviewMerchant { .. } => Some(Intent::Proceed),
                    FlowState::EnterAmount { breakdown: None, .. } => {
                        Some(Intent::EditAmount(["10.50", "100", "0.99", "4999.99"][usize::from(i)].into()))
                    }
                    FlowState::EnterAmount { .. }
                    | FlowState::ConfirmAmount { .. }
                    | FlowState::ConfirmPinFree { .. } => {
                        shown_total(&before).map(|t| Intent::Confirm { displayed_total: t })
                    }
                    FlowState::ConfirmBiometric { .. } => Some(Intent::AuthenticateBiometric),
                    FlowState::EnterPin { .. } => {
                        for c in PIN.bytes() {
                            if flow.handle(Intent::PinDigit(c - b'0')).is_err() {
                                break;
                            }
                        }
                        None
                    }
                    FlowState::Processing { .. } | FlowState::Pending { .. } => {
                        let _ = flow.process(&mut |_| {});
                        None
                    }
                    FlowState::Failed { .. } => Some(if i % 2 == 0 { Intent::Retry } else { Intent::Cancel }),
                },
                Step::Scan(i) => Some(Intent::ScannedText(code(i))),
                Step::Proceed => Some(Intent::Proceed),
                Step::Amount(a) => Some(Intent::EditAmount(a.into())),
                Step::Tip(t) => Some(Intent::EditTip(t.into())),
                Step::ConfirmShown => shown_total(&before)
                    .map(|t| Intent::Confirm { displayed_total: t }),
                Step::ConfirmOther(m) => Some(Intent::Confirm { displayed_total: thb(m) }),
                Step::Digit(d) => Some(Intent::PinDigit(d)),
                Step::FullPin(ok) => {
                    let pin = if ok { PIN } else { WRONG_PIN };
                    for c in pin.bytes() {
                        let prev = flow.state().clone();
                        if flow.handle(Intent::PinDigit(c - b'0')).is_err() {
                            prop_assert_eq!(flow.state(), &prev);
                            break;
                        }
                    }
                    None
                }
                Step::Backspace => Some(Intent::Backspace),
                Step::Cancel => Some(Intent::Cancel),
                Step::Retry => Some(Intent::Retry),
                Step::Process => {
                    let r = flow.process(&mut |_| {});
                    if r.is_err() {
                        prop_assert_eq!(flow.state(), &before);
                    }
                    None
                }
                Step::Network(up) => {
                    now_ms += 1;
                    app.status.set_network_available(up, now_ms);
                    None
                }
                Step::Fault(f) => {
                    let (op, fault) = match f {
                        0 => (Operation::Submit, Fault::NotSent),
                        1 => (Operation::Submit, Fault::LoseResponse),
                        2 => (Operation::Submit, Fault::DropRequest),
                        3 => (Operation::Query, Fault::Server500),
                        4 => (Operation::Reverse, Fault::DropRequest),
                        _ => (Operation::Reverse, Fault::PaidJustBefore),
                    };
                    w.sim.fault(op, fault);
                    None
                }
                Step::Mode(m) => {
                    w.sim.set_mode(match m {
                        0 => Mode::Succeed,
                        1 => Mode::Decline,
                        2 => Mode::UserPaying(20),
                        _ => Mode::UserPayingForever,
                    });
                    None
                }
                Step::Wait(s) => {
                    w.clock.advance_millis(u64::from(s) * 1000);
                    None
                }
            };
            if let Some(intent) = intent {
                if flow.handle(intent).is_err() {
                    // A refused intent leaves the state as it was.
                    prop_assert_eq!(flow.state(), &before);
                }
            }
            check_journal(&app, &w)?;
        }
        // Restart: drop everything, reopen the journal, resume.
        drop(flow);
        drop(app);
        let app = w.open();
        let report = app.engine.resume_all();
        prop_assert!(report.failures.is_empty(), "{:?}", report.failures);
        check_journal(&app, &w)?;
        let rows = app.store.payments(1000, None).unwrap();
        if std::env::var_os("FLOW_PROPS_STATS").is_some() {
            eprintln!("STATS payments={} states={:?}", rows.len(), rows.iter().map(|r| r.state.clone()).collect::<Vec<_>>());
        }
        for row in rows {
            let state = PaymentState::from_name(&row.state).unwrap();
            // Final, or queued offline waiting for the network (resumable).
            prop_assert!(state.is_final() || state == PaymentState::Queued, "{} left {:?}", row.id, state);
            prop_assert_eq!(row.resolved, state.is_final());
            if state == PaymentState::Succeeded {
                prop_assert!(w.sim.is_paid(&row.id));
            }
            if w.sim.is_paid(&row.id) {
                // Money moved ⇒ the wallet says so (or asks for attention).
                prop_assert!(matches!(state, PaymentState::Succeeded | PaymentState::NeedsAttention), "{:?}", state);
            }
        }
    }
}
