//! The outcome discipline as a pure state machine: every state, every
//! transition, and properties over random backend behaviour.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use scanpay_core::auth::{PaymentAuthorisation, SignedAuthorisation};
use scanpay_core::money::{Currency, Money};
use scanpay_core::payment::RECORD_FORMAT;
use scanpay_core::payment::{
    breakdown, BackendError, BackendReply, MerchantSummary, NextAction, Operation, OutcomeError,
    PaymentRecord, PaymentState, Receipt, RecordError, Timings,
};

const T0: u64 = 1_780_000_000;

fn record(state: PaymentState) -> PaymentRecord {
    let b = breakdown(Money::new(1000, Currency::THB), None, None).unwrap();
    PaymentRecord {
        format: RECORD_FORMAT,
        id: "0b6f4c1e-8d1f-4b8e-9a51-3f0c2a4d5e6f".into(),
        state,
        merchant: MerchantSummary {
            name: "ALICE CAFE".into(),
            city: None,
            merchant_id: None,
            key_id: None,
            account: "04=5111111111111118".into(),
            verified: true,
        },
        breakdown: b,
        payload: "000201".into(),
        authorisation: SignedAuthorisation {
            method: scanpay_core::auth::PaymentAuthMethod::Pin,
            authorisation: PaymentAuthorisation {
                payment_id: "0b6f4c1e-8d1f-4b8e-9a51-3f0c2a4d5e6f".into(),
                merchant_key_id: "m1".into(),
                merchant_account: "04=5111111111111118".into(),
                amount_minor: 1000,
                currency: Currency::THB,
                payload_sha256: [0; 32],
                time: T0,
            },
            device_public_key: vec![1; 32],
            signature: vec![2; 64],
        },
        created_at: T0,
        updated_at: T0,
        offline: false,
        maybe_sent: false,
        submits: 0,
        sent_at: Some(T0),
        unknown_since: None,
        queries: 0,
        reverse_attempts: 0,
        next_at: None,
        receipt: None,
        decline: None,
        last_error: None,
    }
}

fn ok(r: BackendReply) -> Result<BackendReply, BackendError> {
    Ok(r)
}

fn paid() -> Result<BackendReply, BackendError> {
    ok(BackendReply::Succeeded {
        receipt: Receipt {
            reference: "R1".into(),
            amount: Money::new(1000, Currency::THB),
            paid_at: T0,
        },
    })
}

fn declined() -> Result<BackendReply, BackendError> {
    ok(BackendReply::Declined {
        code: "insufficient-funds".into(),
        message: "no".into(),
    })
}

fn maybe() -> Result<BackendReply, BackendError> {
    Err(BackendError::MaybeSent("timeout".into()))
}

fn not_sent() -> Result<BackendReply, BackendError> {
    Err(BackendError::NotSent("no route".into()))
}

fn server(status: u16) -> Result<BackendReply, BackendError> {
    Err(BackendError::Server {
        status,
        message: "x".into(),
    })
}

fn after(
    state: PaymentState,
    op: Operation,
    r: Result<BackendReply, BackendError>,
) -> PaymentRecord {
    let mut rec = record(state);
    if matches!(state, PaymentState::Unknown | PaymentState::Reversing) {
        rec.unknown_since = Some(T0);
        rec.maybe_sent = true;
    }
    rec.apply(op, &r, T0 + 1, &Timings::default()).unwrap();
    rec
}

#[test]
fn names_round_trip_and_finality() {
    for s in PaymentState::ALL {
        assert_eq!(PaymentState::from_name(s.as_str()), Some(s));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, format!("\"{}\"", s.as_str()));
    }
    let finals: Vec<_> = PaymentState::ALL
        .into_iter()
        .filter(PaymentState::is_final)
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        finals,
        [
            "SUCCEEDED",
            "DECLINED",
            "REVERSED",
            "CANCELLED",
            "NEEDS_ATTENTION"
        ]
    );
    assert_eq!(PaymentState::from_name("succeeded"), None);
}

#[test]
fn submit_transitions() {
    use PaymentState::*;
    let s = Sending;
    let op = Operation::Submit;
    assert_eq!(after(s, op, paid()).state, Succeeded);
    assert_eq!(after(s, op, declined()).state, Declined);
    assert_eq!(after(s, op, ok(BackendReply::Closed)).state, Declined);
    assert_eq!(after(s, op, ok(BackendReply::Reversed)).state, Reversed);
    assert_eq!(after(s, op, ok(BackendReply::Processing)).state, Unknown);
    assert_eq!(after(s, op, ok(BackendReply::NotFound)).state, Unknown);
    assert_eq!(after(s, op, maybe()).state, Unknown);
    assert_eq!(after(s, op, server(500)).state, Unknown);
    assert_eq!(after(s, op, server(503)).state, Unknown);
    assert_eq!(after(s, op, server(429)).state, Unknown);
    assert_eq!(after(s, op, server(409)).state, Unknown);
    let r = after(s, op, server(400));
    assert_eq!(r.state, Declined);
    assert_eq!(r.decline.unwrap().code, "http-400");
    let r = after(s, op, not_sent());
    assert_eq!((r.state, r.maybe_sent), (NotSent, false));
    let r = after(s, op, Err(BackendError::Tls("pin".into())));
    assert_eq!(r.state, NotSent);
    // Offline-queued payments go back to the queue.
    let mut q = record(Sending);
    q.offline = true;
    q.apply(op, &not_sent(), T0, &Timings::default()).unwrap();
    assert_eq!(q.state, Queued);
    // Not-sent after a maybe-sent proves nothing: Unknown.
    let mut m = record(Sending);
    m.maybe_sent = true;
    m.apply(op, &not_sent(), T0, &Timings::default()).unwrap();
    assert_eq!(m.state, Unknown);
    // Unknown: first query 5 s later.
    let u = after(s, op, maybe());
    assert_eq!(u.unknown_since, Some(T0 + 1));
    assert_eq!(u.next_action(T0 + 1), NextAction::WaitUntil(T0 + 6));
    assert_eq!(u.next_action(T0 + 6), NextAction::Do(Operation::Query));
}

#[test]
fn query_transitions() {
    use PaymentState::*;
    let op = Operation::Query;
    assert_eq!(after(Unknown, op, paid()).state, Succeeded);
    assert_eq!(after(Unknown, op, declined()).state, Declined);
    assert_eq!(after(Unknown, op, ok(BackendReply::Closed)).state, Declined);
    assert_eq!(
        after(Unknown, op, ok(BackendReply::Reversed)).state,
        Reversed
    );
    assert_eq!(
        after(Unknown, op, ok(BackendReply::Processing)).state,
        Unknown
    );
    assert_eq!(after(Unknown, op, maybe()).state, Unknown);
    assert_eq!(after(Unknown, op, not_sent()).state, Unknown);
    // Not found inside the window: resubmit with the same id.
    assert_eq!(
        after(Unknown, op, ok(BackendReply::NotFound)).state,
        Sending
    );
    // At the end of the window: reverse, now.
    let mut r = record(Unknown);
    r.unknown_since = Some(T0);
    r.apply(
        op,
        &ok(BackendReply::Processing),
        T0 + 45,
        &Timings::default(),
    )
    .unwrap();
    assert_eq!(r.state, Reversing);
    assert_eq!(r.next_action(T0 + 45), NextAction::Do(Operation::Reverse));
    let mut r = record(Unknown);
    r.unknown_since = Some(T0);
    r.apply(
        op,
        &ok(BackendReply::NotFound),
        T0 + 50,
        &Timings::default(),
    )
    .unwrap();
    assert_eq!(r.state, Reversing);
    // The last query lands exactly on the deadline.
    let mut r = record(Unknown);
    r.unknown_since = Some(T0);
    r.apply(op, &maybe(), T0 + 43, &Timings::default()).unwrap();
    assert_eq!(r.next_at, Some(T0 + 45));
}

#[test]
fn reverse_transitions_and_backoff() {
    use PaymentState::*;
    let op = Operation::Reverse;
    assert_eq!(
        after(Reversing, op, ok(BackendReply::Reversed)).state,
        Reversed
    );
    assert_eq!(
        after(Reversing, op, ok(BackendReply::Closed)).state,
        Reversed
    );
    assert_eq!(
        after(Reversing, op, ok(BackendReply::NotFound)).state,
        Reversed
    );
    // Paid between the last query and the reverse.
    let r = after(Reversing, op, paid());
    assert_eq!(r.state, Succeeded);
    assert!(r.receipt.is_some());
    assert_eq!(after(Reversing, op, declined()).state, Declined);
    let mut r = record(Reversing);
    let t = Timings::default();
    let mut now = T0;
    let mut waits = Vec::new();
    for _ in 0..5 {
        r.apply(op, &maybe(), now, &t).unwrap();
        assert_eq!(r.state, Reversing);
        let NextAction::WaitUntil(at) = r.next_action(now) else {
            panic!()
        };
        waits.push(at - now);
        now = at;
    }
    assert_eq!(waits, [2, 4, 8, 16, 32]);
    r.apply(op, &ok(BackendReply::Processing), now, &t).unwrap();
    assert_eq!(r.state, NeedsAttention);
    assert_eq!(r.reverse_attempts, 6);
    assert_eq!(r.next_action(now), NextAction::Finished);
}

#[test]
fn operations_outside_their_state_are_refused_unchanged() {
    for s in PaymentState::ALL {
        for op in [Operation::Submit, Operation::Query, Operation::Reverse] {
            let allowed = matches!(
                (s, op),
                (PaymentState::Sending, Operation::Submit)
                    | (PaymentState::Unknown, Operation::Query)
                    | (PaymentState::Reversing, Operation::Reverse)
            );
            let mut r = record(s);
            let before = r.clone();
            let res = r.apply(op, &paid(), T0, &Timings::default());
            if allowed {
                assert!(res.is_ok());
            } else {
                assert!(
                    matches!(res, Err(OutcomeError::WrongState { .. })),
                    "{s:?} {op:?}"
                );
                assert_eq!(r, before);
            }
        }
    }
}

#[test]
fn user_and_restart_transitions() {
    use PaymentState::*;
    for s in PaymentState::ALL {
        let mut r = record(s);
        let ok = r.begin_sending(T0 + 1).is_ok();
        assert_eq!(ok, matches!(s, Queued | NotSent), "{s:?}");
        if ok {
            assert_eq!((r.state, r.sent_at), (Sending, Some(T0 + 1)));
        }
        let mut r = record(s);
        assert_eq!(r.cancel(T0).is_ok(), matches!(s, Queued | NotSent));
        // Restart.
        let mut r = record(s);
        let changed = r.on_restart(T0 + 10);
        match s {
            Sending => {
                assert!(changed);
                assert_eq!(r.state, Unknown);
                assert!(r.maybe_sent);
                assert_eq!(r.unknown_since, Some(T0));
                assert_eq!(r.next_action(T0 + 10), NextAction::Do(Operation::Query));
            }
            NotSent => assert_eq!((changed, r.state), (true, Cancelled)),
            _ => assert_eq!((changed, r.state), (false, s)),
        }
    }
    // A maybe-sent payment can never be cancelled as "never sent".
    let mut r = record(NotSent);
    r.maybe_sent = true;
    assert!(r.cancel(T0).is_err());
    assert_eq!(record(Queued).next_action(T0), NextAction::WaitForNetwork);
    assert_eq!(record(NotSent).next_action(T0), NextAction::AwaitUser);
}

#[test]
fn json_round_trip_and_caps() {
    let mut r = record(PaymentState::Unknown);
    r.unknown_since = Some(T0);
    let json = r.to_json().unwrap();
    assert_eq!(PaymentRecord::from_json(&json).unwrap(), r);
    assert!(matches!(
        PaymentRecord::from_json(&vec![b' '; 70_000]),
        Err(RecordError::TooLarge(_))
    ));
    assert!(matches!(
        PaymentRecord::from_json(b"{}"),
        Err(RecordError::Json(_))
    ));
    let mut v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    v["format"] = 99.into();
    assert_eq!(
        PaymentRecord::from_json(&serde_json::to_vec(&v).unwrap()),
        Err(RecordError::Format(99))
    );
}

fn any_result() -> impl Strategy<Value = Result<BackendReply, BackendError>> {
    prop_oneof![
        Just(paid()),
        Just(declined()),
        Just(ok(BackendReply::Processing)),
        Just(ok(BackendReply::Closed)),
        Just(ok(BackendReply::Reversed)),
        Just(ok(BackendReply::NotFound)),
        Just(maybe()),
        Just(not_sent()),
        Just(Err(BackendError::Tls("x".into()))),
        (400u16..600).prop_map(server),
    ]
}

proptest! {
    /// Whatever the backend answers, driving by `next_action` ends (within a
    /// bounded number of steps and the documented time) and a final state
    /// never changes.
    #[test]
    fn any_backend_behaviour_terminates(
        results in prop::collection::vec(any_result(), 1..200),
        offline in any::<bool>(),
    ) {
        let t = Timings::default();
        let mut r = record(PaymentState::Sending);
        r.offline = offline;
        let mut now = T0;
        let mut results = results.into_iter();
        let mut steps = 0;
        loop {
            steps += 1;
            prop_assert!(steps < 400);
            match r.next_action(now) {
                NextAction::Do(op) => {
                    let Some(res) = results.next() else { break };
                    let before = r.state;
                    r.apply(op, &res, now, &t).unwrap();
                    if before == PaymentState::Sending && r.state == PaymentState::Sending {
                        prop_assert!(false, "submit left it Sending");
                    }
                }
                NextAction::WaitUntil(at) => {
                    prop_assert!(at > now);
                    now = at;
                }
                NextAction::Finished | NextAction::AwaitUser | NextAction::WaitForNetwork => break,
            }
        }
        // The query window plus the reversal backoff bound the time.
        prop_assert!(now <= T0 + 45 + 2 + 4 + 8 + 16 + 32);
        if r.state.is_final() {
            let frozen = r.clone();
            for op in [Operation::Submit, Operation::Query, Operation::Reverse] {
                prop_assert!(r.apply(op, &paid(), now, &t).is_err());
            }
            prop_assert_eq!(r, frozen);
        }
    }
}
