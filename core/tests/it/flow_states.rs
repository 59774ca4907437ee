//! The payment flow, state by state and transition by transition, with the
//! real trust store, journal and authenticator and the simulated backend.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::payment_support::*;
use scanpay_core::auth::AuthError;
use scanpay_core::money::Money;
use scanpay_core::payload::PayloadKind;
use scanpay_core::payment::{
    EngineError, FailureReason, FlowError, FlowState, Intent, Operation, PaymentFlow, PaymentState,
    PendingReason, RetryOption, Stage,
};
use scanpay_core::trust::{Reason, Verdict};

fn enter_pin(flow: &mut PaymentFlow, pin: &str) -> FlowState {
    let mut last = None;
    for c in pin.bytes() {
        last = Some(flow.handle(Intent::PinDigit(c - b'0')).unwrap());
    }
    last.unwrap()
}

fn total_of(s: &FlowState) -> Money {
    match s {
        FlowState::EnterAmount {
            breakdown: Some(b), ..
        }
        | FlowState::ConfirmAmount { breakdown: b, .. }
        | FlowState::EnterPin { breakdown: b, .. } => b.total,
        other => panic!("no total in {other:?}"),
    }
}

/// Scans a static code, enters `amount`, confirms: returns in EnterPin.
fn to_pin(flow: &mut PaymentFlow, amount: &str) -> FlowState {
    flow.handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    flow.handle(Intent::Proceed).unwrap();
    let s = flow.handle(Intent::EditAmount(amount.into())).unwrap();
    flow.handle(Intent::Confirm {
        displayed_total: total_of(&s),
    })
    .unwrap()
}

#[test]
fn static_code_happy_path_through_every_state() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    assert_eq!(flow.state(), &FlowState::Scanning);

    let s = flow
        .handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    let FlowState::ReviewMerchant { review } = &s else {
        panic!("{s:?}")
    };
    assert_eq!(review.registered_name.as_deref(), Some(NAME));
    assert_eq!(review.registered_city.as_deref(), Some(CITY));
    assert!(review.payable && review.refusal.is_none() && !review.dynamic);
    assert!(matches!(review.verdict, Verdict::Verified(_)));

    let s = flow.handle(Intent::Proceed).unwrap();
    assert!(matches!(
        s,
        FlowState::EnterAmount {
            breakdown: None,
            ..
        }
    ));
    // Typing: "12." does not parse yet; the problem is shown, not an error.
    let s = flow.handle(Intent::EditAmount("12.".into())).unwrap();
    assert!(matches!(
        s,
        FlowState::EnterAmount {
            breakdown: None,
            problem: Some(_),
            ..
        }
    ));
    assert_eq!(
        flow.handle(Intent::Confirm {
            displayed_total: thb(1200)
        }),
        Err(FlowError::AmountRequired)
    );
    let s = flow.handle(Intent::EditAmount("100.50".into())).unwrap();
    assert_eq!(total_of(&s), thb(10_050));
    // The UI must echo the exact total: a mismatch is refused, state unchanged.
    assert_eq!(
        flow.handle(Intent::Confirm {
            displayed_total: thb(10_000)
        }),
        Err(FlowError::TotalMismatch {
            expected: thb(10_050),
            displayed: thb(10_000)
        })
    );
    assert_eq!(flow.state(), &s);
    let s = flow
        .handle(Intent::Confirm {
            displayed_total: thb(10_050),
        })
        .unwrap();
    assert!(matches!(
        s,
        FlowState::EnterPin {
            digits: 0,
            offline: false,
            ..
        }
    ));
    for (i, d) in [2u8, 5, 8].into_iter().enumerate() {
        let s = flow.handle(Intent::PinDigit(d)).unwrap();
        assert!(matches!(s, FlowState::EnterPin { digits, .. } if digits == i + 1));
    }
    let s = flow.handle(Intent::Backspace).unwrap();
    assert!(matches!(s, FlowState::EnterPin { digits: 2, .. }));
    assert!(matches!(
        flow.handle(Intent::PinDigit(10)),
        Err(FlowError::Pin(AuthError::NotADigit))
    ));
    flow.handle(Intent::PinDigit(8)).unwrap();
    assert!(w.sim.calls().is_empty());
    let s = enter_pin(&mut flow, "014");
    let FlowState::Processing {
        payment_id,
        stage: Stage::Sending,
        ..
    } = &s
    else {
        panic!("{s:?}")
    };
    // Journalled on the last digit, nothing sent yet.
    assert_eq!(
        app.store.payment(payment_id).unwrap().unwrap().state,
        "SENDING"
    );
    assert!(w.sim.calls().is_empty());
    assert_eq!(flow.payment_id(), Some(payment_id.as_str()));
    // Money in motion cannot be cancelled from the UI.
    assert!(matches!(
        flow.handle(Intent::Cancel),
        Err(FlowError::InvalidIntent {
            state: "processing",
            intent: "cancel"
        })
    ));
    let s = flow.process(&mut |_| {}).unwrap();
    let FlowState::Done {
        receipt,
        merchant_name,
        ..
    } = &s
    else {
        panic!("{s:?}")
    };
    assert_eq!(merchant_name, NAME);
    assert_eq!(receipt.amount, thb(10_050));
    assert_eq!(flow.handle(Intent::Cancel).unwrap(), FlowState::Scanning);
    assert!(w.sim.violations().is_empty());
}

#[test]
fn dynamic_code_amount_is_fixed_and_fees_apply() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    flow.handle(Intent::ScannedText(dynamic_code(
        "10.01",
        Tip::Percent("3.5"),
    )))
    .unwrap();
    let s = flow.handle(Intent::Proceed).unwrap();
    let FlowState::ConfirmAmount { breakdown: b, .. } = &s else {
        panic!("{s:?}")
    };
    // 3.5 % of 10.01 = 0.35035 → 0.35 (half up in minor units).
    assert_eq!((b.amount, b.fee, b.total), (thb(1001), thb(35), thb(1036)));
    assert_eq!(
        flow.handle(Intent::EditAmount("1".into())),
        Err(FlowError::AmountFixed)
    );
    assert_eq!(
        flow.handle(Intent::EditTip("1".into())),
        Err(FlowError::TipNotAllowed)
    );
    flow.handle(Intent::Confirm {
        displayed_total: thb(1036),
    })
    .unwrap();
    enter_pin(&mut flow, PIN);
    let s = flow.process(&mut |_| {}).unwrap();
    assert!(matches!(s, FlowState::Done { .. }));

    // Fixed fee.
    let mut flow = app.flow();
    flow.handle(Intent::ScannedText(dynamic_code("20", Tip::Fixed("1.50"))))
        .unwrap();
    let s = flow.handle(Intent::Proceed).unwrap();
    assert_eq!(total_of(&s), thb(2150));
}

#[test]
fn tip_prompt_takes_the_payers_tip() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    flow.handle(Intent::ScannedText(static_code(Tip::Prompt)))
        .unwrap();
    flow.handle(Intent::Proceed).unwrap();
    flow.handle(Intent::EditAmount("10".into())).unwrap();
    let s = flow.handle(Intent::EditTip("1.5".into())).unwrap();
    let FlowState::EnterAmount {
        breakdown: Some(b), ..
    } = &s
    else {
        panic!("{s:?}")
    };
    assert_eq!((b.tip, b.total), (thb(150), thb(1150)));
    let s = flow.handle(Intent::EditTip("x".into())).unwrap();
    assert!(matches!(
        s,
        FlowState::EnterAmount {
            breakdown: None,
            problem: Some(_),
            ..
        }
    ));
    assert_eq!(
        flow.handle(Intent::EditTip("1".repeat(40))),
        Err(FlowError::AmountTooLong)
    );
    // Dynamic code with a tip prompt: tip edited on the confirm screen.
    let mut flow = app.flow();
    flow.handle(Intent::ScannedText(dynamic_code("10", Tip::Prompt)))
        .unwrap();
    flow.handle(Intent::Proceed).unwrap();
    let s = flow.handle(Intent::EditTip("2".into())).unwrap();
    assert_eq!(total_of(&s), thb(1200));
}

#[test]
fn unverified_merchant_is_refused_with_the_reason() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    let s = flow.handle(Intent::ScannedText(unsigned_code())).unwrap();
    let FlowState::ReviewMerchant { review } = &s else {
        panic!("{s:?}")
    };
    assert!(!review.payable);
    assert_eq!(review.registered_name, None);
    assert_eq!(review.printed_name.as_deref(), Some(NAME));
    assert_eq!(review.refusal, Some(Reason::NoSignature));
    assert_eq!(
        flow.handle(Intent::Proceed),
        Err(FlowError::MerchantNotPayable {
            reason: Reason::NoSignature
        })
    );
    assert_eq!(flow.handle(Intent::Cancel).unwrap(), FlowState::Scanning);

    // Allowed by configuration: payable, never silently — the review says
    // unverified and the journal records it.
    let mut cfg = config();
    cfg.allow_unverified = true;
    let w = World::new(cfg);
    let app = w.open();
    let mut flow = app.flow();
    let s = flow.handle(Intent::ScannedText(unsigned_code())).unwrap();
    assert!(
        matches!(&s, FlowState::ReviewMerchant { review } if review.payable && review.refusal.is_some())
    );
    flow.handle(Intent::Proceed).unwrap();
    let s = flow.handle(Intent::EditAmount("5".into())).unwrap();
    flow.handle(Intent::Confirm {
        displayed_total: total_of(&s),
    })
    .unwrap();
    let s = enter_pin(&mut flow, PIN);
    let FlowState::Processing { payment_id, .. } = s else {
        panic!()
    };
    let rec = app.engine.payment(&payment_id).unwrap().unwrap();
    assert!(!rec.merchant.verified);
    assert_eq!(rec.merchant.name, format!("(unverified) {NAME}"));
}

#[test]
fn scans_that_are_not_merchant_codes() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    assert_eq!(
        flow.handle(Intent::ScannedText("https://example.com/pay".into())),
        Err(FlowError::NotAMerchantCode {
            kind: PayloadKind::Url
        })
    );
    assert_eq!(
        flow.handle(Intent::ScannedText("hello".into())),
        Err(FlowError::NotAMerchantCode {
            kind: PayloadKind::Text
        })
    );
    // One character changed: the CRC no longer matches.
    let damaged = static_code(Tip::None).replacen("ALICE", "ALICF", 1);
    assert!(matches!(
        flow.handle(Intent::ScannedText(damaged)),
        Err(FlowError::DamagedCode { .. })
    ));
    assert_eq!(
        flow.handle(Intent::ScannedText("0".repeat(5000))),
        Err(FlowError::TooLong)
    );
    assert_eq!(flow.state(), &FlowState::Scanning);
}

#[test]
fn invalid_intents_are_typed_errors() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    for i in [
        Intent::Proceed,
        Intent::PinDigit(1),
        Intent::Backspace,
        Intent::Retry,
        Intent::Cancel,
        Intent::EditAmount("1".into()),
        Intent::Confirm {
            displayed_total: thb(1),
        },
    ] {
        let name = i.name();
        assert_eq!(
            flow.handle(i),
            Err(FlowError::InvalidIntent {
                state: "scanning",
                intent: name
            })
        );
    }
    flow.handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    assert!(matches!(
        flow.handle(Intent::ScannedText(static_code(Tip::None))),
        Err(FlowError::InvalidIntent { .. })
    ));
    assert!(matches!(
        flow.process(&mut |_| {}),
        Err(FlowError::InvalidIntent { .. })
    ));
}

#[test]
fn wrong_pins_then_lockout_then_retry_after_the_wait() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    to_pin(&mut flow, "10");
    for _ in 0..4 {
        let s = enter_pin(&mut flow, WRONG_PIN);
        assert!(matches!(
            s,
            FlowState::EnterPin {
                digits: 0,
                last_error: Some(AuthError::WrongPin { .. }),
                ..
            }
        ));
    }
    // The fifth failure imposes a wait.
    let s = enter_pin(&mut flow, WRONG_PIN);
    assert!(matches!(
        s,
        FlowState::EnterPin {
            last_error: Some(AuthError::WrongPin { wait_secs, .. }),
            ..
        } if wait_secs > 0
    ));
    let s = enter_pin(&mut flow, PIN);
    let FlowState::Failed {
        reason: FailureReason::PinLockedOut { until },
        retry: RetryOption::AfterWait { .. },
        payment_id: None,
    } = s
    else {
        panic!("{s:?}")
    };
    assert_eq!(
        flow.handle(Intent::Retry),
        Err(FlowError::StillLockedOut { until })
    );
    w.clock.set(until);
    let s = flow.handle(Intent::Retry).unwrap();
    assert!(matches!(s, FlowState::EnterPin { digits: 0, .. }));
    let s = enter_pin(&mut flow, PIN);
    assert!(matches!(s, FlowState::Processing { .. }));
    assert!(app.store.unresolved_payments().unwrap().len() == 1);
}

#[test]
fn decline_then_new_attempt_with_a_new_id() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    w.sim.set_mode(Mode::Decline);
    to_pin(&mut flow, "10");
    let s = enter_pin(&mut flow, PIN);
    let FlowState::Processing {
        payment_id: first, ..
    } = s
    else {
        panic!()
    };
    let s = flow.process(&mut |_| {}).unwrap();
    assert!(matches!(
        &s,
        FlowState::Failed {
            reason: FailureReason::Declined { .. },
            retry: RetryOption::NewAttempt,
            ..
        }
    ));
    w.sim.set_mode(Mode::Succeed);
    let s = flow.handle(Intent::Retry).unwrap();
    assert!(matches!(s, FlowState::EnterPin { .. }));
    let s = enter_pin(&mut flow, PIN);
    let FlowState::Processing {
        payment_id: second, ..
    } = s
    else {
        panic!()
    };
    assert_ne!(first, second);
    assert!(matches!(
        flow.process(&mut |_| {}).unwrap(),
        FlowState::Done { .. }
    ));
    assert_eq!(
        app.engine.payment(&first).unwrap().unwrap().state,
        PaymentState::Declined
    );
}

#[test]
fn not_sent_retry_keeps_the_id_and_cancel_withdraws() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    w.sim.fault(Operation::Submit, Fault::NotSent);
    to_pin(&mut flow, "10");
    let s = enter_pin(&mut flow, PIN);
    let FlowState::Processing { payment_id, .. } = s else {
        panic!()
    };
    let s = flow.process(&mut |_| {}).unwrap();
    assert!(matches!(
        &s,
        FlowState::Failed {
            reason: FailureReason::NotSent { .. },
            retry: RetryOption::SameId,
            ..
        }
    ));
    // Scanning something else is refused until the user retries or cancels.
    assert!(matches!(
        flow.handle(Intent::ScannedText(static_code(Tip::None))),
        Err(FlowError::InvalidIntent { .. })
    ));
    let s = flow.handle(Intent::Retry).unwrap();
    assert!(matches!(&s, FlowState::Processing { payment_id: p, .. } if *p == payment_id));
    assert!(matches!(
        flow.process(&mut |_| {}).unwrap(),
        FlowState::Done { .. }
    ));

    let mut flow = app.flow();
    w.sim.fault(Operation::Submit, Fault::NotSent);
    to_pin(&mut flow, "10");
    let FlowState::Processing { payment_id, .. } = enter_pin(&mut flow, PIN) else {
        panic!()
    };
    flow.process(&mut |_| {}).unwrap();
    assert_eq!(flow.handle(Intent::Cancel).unwrap(), FlowState::Scanning);
    assert_eq!(
        app.engine.payment(&payment_id).unwrap().unwrap().state,
        PaymentState::Cancelled
    );
}

#[test]
fn processing_shows_its_stages_and_needs_attention_is_not_failed() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    w.sim.set_mode(Mode::UserPayingForever);
    w.sim.set_reverse_broken(true);
    to_pin(&mut flow, "10");
    enter_pin(&mut flow, PIN);
    let mut seen = Vec::new();
    let s = flow.process(&mut |s| seen.push(s.clone())).unwrap();
    assert!(seen.iter().any(|s| matches!(
        s,
        FlowState::Processing {
            stage: Stage::Confirming { .. },
            ..
        }
    )));
    assert!(seen.iter().any(|s| matches!(
        s,
        FlowState::Processing {
            stage: Stage::Reversing { .. },
            ..
        }
    )));
    assert!(matches!(s, FlowState::NeedsAttention { .. }));
    assert_eq!(flow.handle(Intent::Cancel).unwrap(), FlowState::Scanning);
}

#[test]
fn offline_refused_or_queued_by_policy() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    app.status.set_network_available(false, NOW * 1000);
    flow.handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    flow.handle(Intent::Proceed).unwrap();
    let s = flow.handle(Intent::EditAmount("10".into())).unwrap();
    assert_eq!(
        flow.handle(Intent::Confirm {
            displayed_total: total_of(&s)
        }),
        Err(FlowError::Payment(EngineError::OfflineNotAllowed))
    );

    let mut cfg = config();
    cfg.offline.allowed = true;
    let w = World::new(cfg);
    let app = w.open();
    app.status.set_network_available(false, NOW * 1000);
    let mut flow = app.flow();
    let s = to_pin(&mut flow, "10");
    assert!(matches!(s, FlowState::EnterPin { offline: true, .. }));
    let s = enter_pin(&mut flow, PIN);
    assert!(matches!(
        s,
        FlowState::Pending {
            reason: PendingReason::QueuedOffline,
            ..
        }
    ));
    // Over the offline per-payment cap (200.00).
    let mut flow2 = app.flow();
    flow2
        .handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    flow2.handle(Intent::Proceed).unwrap();
    let s2 = flow2.handle(Intent::EditAmount("200.01".into())).unwrap();
    assert!(matches!(
        flow2.handle(Intent::Confirm {
            displayed_total: total_of(&s2)
        }),
        Err(FlowError::Payment(
            EngineError::OfflinePerPaymentLimit { .. }
        ))
    ));
    // Back online: process forwards it.
    app.status.set_network_available(true, NOW * 1000 + 5);
    let s = flow.process(&mut |_| {}).unwrap();
    assert!(matches!(s, FlowState::Done { .. }));

    // A queued payment can be withdrawn.
    app.status.set_network_available(false, NOW * 1000 + 10);
    let mut flow = app.flow();
    to_pin(&mut flow, "10");
    let FlowState::Pending { payment_id, .. } = enter_pin(&mut flow, PIN) else {
        panic!()
    };
    assert_eq!(flow.handle(Intent::Cancel).unwrap(), FlowState::Scanning);
    assert_eq!(
        app.engine.payment(&payment_id).unwrap().unwrap().state,
        PaymentState::Cancelled
    );
}

#[test]
fn limits_are_checked_at_confirm() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    flow.handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    flow.handle(Intent::Proceed).unwrap();
    let s = flow.handle(Intent::EditAmount("5000.01".into())).unwrap();
    assert!(matches!(
        flow.handle(Intent::Confirm {
            displayed_total: total_of(&s)
        }),
        Err(FlowError::Payment(EngineError::PerPaymentLimit { .. }))
    ));
    assert_eq!(
        flow.handle(Intent::EditAmount("0".into())).unwrap(),
        FlowState::EnterAmount {
            review: match flow.state() {
                FlowState::EnterAmount { review, .. } => review.clone(),
                _ => unreachable!(),
            },
            entered: "0".into(),
            tip_entered: String::new(),
            breakdown: None,
            problem: Some(scanpay_core::payment::AmountError::Zero),
        }
    );
}

#[test]
fn cancel_before_sending_releases_a_dynamic_code() {
    let w = World::new(config());
    let app = w.open();
    let code = dynamic_code("10", Tip::None);
    let mut flow = app.flow();
    flow.handle(Intent::ScannedText(code.clone())).unwrap();
    flow.handle(Intent::Proceed).unwrap();
    flow.handle(Intent::Cancel).unwrap();
    // Scanned again: still verified (the nonce was released).
    let s = flow.handle(Intent::ScannedText(code.clone())).unwrap();
    assert!(matches!(&s, FlowState::ReviewMerchant { review } if review.payable));
    flow.handle(Intent::Proceed).unwrap();
    flow.handle(Intent::Confirm {
        displayed_total: thb(1000),
    })
    .unwrap();
    enter_pin(&mut flow, PIN);
    flow.process(&mut |_| {}).unwrap();
    flow.handle(Intent::Cancel).unwrap();
    // Paid: the same code again is a replay.
    let s = flow.handle(Intent::ScannedText(code)).unwrap();
    assert!(matches!(
        &s,
        FlowState::ReviewMerchant { review }
            if matches!(review.refusal, Some(Reason::ReplayedNonce { .. })) && !review.payable
    ));
}

#[test]
fn scanned_code_without_text() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    let code = scanpay_core::scan::ScannedCode {
        bytes: vec![0xff, 0xfe],
        text: None,
        eci: None,
        corners: [scanpay_core::scan::Point { x: 0.0, y: 0.0 }; 4],
        version: 1,
        ec_level: scanpay_core::scan::EcLevel::M,
        inverted: false,
        mirrored: false,
        gs1: false,
        structured_append: None,
    };
    assert_eq!(
        flow.handle(Intent::ScannedCode(code.clone())),
        Err(FlowError::NoText)
    );
    let code = scanpay_core::scan::ScannedCode {
        text: Some(static_code(Tip::None)),
        ..code
    };
    assert!(matches!(
        flow.handle(Intent::ScannedCode(code)).unwrap(),
        FlowState::ReviewMerchant { .. }
    ));
}

#[test]
fn debug_of_an_intent_never_shows_a_pin_digit() {
    for d in 0..=9u8 {
        assert_eq!(
            format!("{:?}", Intent::PinDigit(d)),
            "pin-digit(<redacted>)"
        );
    }
    // Everything else shows its values: they are not secret, and a log
    // that hides them helps no one.
    assert_eq!(
        format!("{:?}", Intent::EditAmount("12.50".into())),
        r#"edit-amount("12.50")"#
    );
    assert_eq!(format!("{:?}", Intent::Proceed), "proceed");
}
