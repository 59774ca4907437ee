//! The pay code end to end (issue 11): the real wallet (journal, PIN-sealed
//! device key, sealed pay-code secret, pinned HTTPS client) against the real
//! sandbox over TLS on loopback, with a till charging through the core's
//! `TillClient`. The phone goes offline by pointing its pay-code client at a
//! port nobody listens on.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use scanpay_core::net::api::paycode::{
    decline_reason, ChargeState, TillChargeRequest, TillChargeState,
};
use scanpay_core::paycode::{AuthMethod, ChargeOutcome, PaycodeError};
use scanpay_core::payment::Clock;
use scanpay_system::{pad, sgd, System, PIN};

const MERCHANT: &str = "M-0002";

fn start(name: &str) -> System {
    System::start_enrolled(env!("CARGO_TARGET_TMPDIR"), name).unwrap()
}

fn charge(
    sys: &System,
    order: &str,
    digits: &str,
    minor: u64,
) -> scanpay_core::net::api::paycode::TillCharge {
    sys.till_client(MERCHANT)
        .unwrap()
        .charge(&TillChargeRequest {
            out_trade_no: order.to_string(),
            auth_code: digits.to_string(),
            amount: sgd(minor),
        })
        .unwrap()
}

#[test]
fn offline_code_charged_then_the_receipt_reaches_history_and_reuse_is_refused() {
    let sys = start("paycode-offline");
    // Provisioning needs the network and the PIN.
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let status = sys.wallet.paycode_status(sys.clock.now()).unwrap();
    assert!(status.provisioned);
    assert_eq!(status.blocked, None);

    // The phone goes offline: its pay-code client points at a dead port.
    let dead = sys
        .paycode_backend(Some("https://localhost:1"), Duration::from_secs(1))
        .unwrap();
    sys.wallet.set_paycode_backend(dead);
    let shown = session.current(sys.clock.now()).unwrap();
    assert!(shown.displayable);
    assert!(matches!(
        sys.wallet.sync_paycode(0),
        Err(PaycodeError::Backend(_))
    ));

    // The till scans the QR form (CPM text) and charges it.
    let paid = charge(&sys, "T1-0001", &shown.cpm_text, 320);
    assert_eq!(paid.state, TillChargeState::Paid, "{paid:?}");
    let receipt = paid.receipt.clone().expect("a paid charge has a receipt");

    // Back online: one sync brings the charge with the till's receipt.
    sys.wallet.set_paycode_backend(sys.net.clone());
    let changed = sys.wallet.sync_paycode(0).unwrap();
    assert_eq!(changed.len(), 1, "{changed:?}");
    let got = &changed[0];
    assert_eq!(got.charge.state, ChargeState::Paid);
    assert_eq!(got.charge.receipt.as_deref(), Some(receipt.as_str()));
    assert_eq!(got.charge.amount, sgd(320));
    assert_eq!(got.method, AuthMethod::Code);
    assert!(got.merchant.registered, "{:?}", got.merchant);
    let history = sys.wallet.paycode_history().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].charge.receipt.as_deref(), Some(receipt.as_str()));
    // Synced again: nothing twice.
    assert!(sys.wallet.sync_paycode(0).unwrap().is_empty());

    // The same code at another order: refused, typed.
    let again = charge(&sys, "T1-0002", &shown.digits, 100);
    assert_eq!(again.state, TillChargeState::Declined);
    assert_eq!(again.reason.as_deref(), Some(decline_reason::CODE_USED));
    // And the phone already shows the next code.
    let next = session.current(sys.clock.now()).unwrap();
    assert_ne!(next.digits, shown.digits);
    assert_eq!(next.counter, shown.counter + 1);
    let paid2 = charge(&sys, "T1-0003", &next.digits, 150);
    assert_eq!(paid2.state, TillChargeState::Paid, "{paid2:?}");
}

#[test]
fn a_charge_above_the_no_pin_amount_waits_for_the_pin_on_the_phone() {
    let sys = start("paycode-pin");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    // A client whose read timeout allows a long-poll.
    sys.wallet
        .set_paycode_backend(sys.paycode_backend(None, Duration::from_secs(15)).unwrap());
    let shown = session.current(sys.clock.now()).unwrap();

    // The phone long-polls while the till charges SGD 45.00 (above 30.00).
    let (waiting, charged_at, heard_at) = std::thread::scope(|s| {
        let poll = s.spawn(|| {
            let changed = sys.wallet.sync_paycode(10).unwrap();
            (changed, Instant::now())
        });
        std::thread::sleep(Duration::from_millis(500));
        let charged_at = Instant::now();
        let waiting = charge(&sys, "T2-0001", &shown.digits, 4_500);
        let (changed, heard_at) = poll.join().unwrap();
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(changed[0].charge.state, ChargeState::Userpaying);
        (waiting, charged_at, heard_at)
    });
    assert_eq!(waiting.state, TillChargeState::Userpaying, "{waiting:?}");
    let latency = heard_at.duration_since(charged_at);
    assert!(
        latency < Duration::from_secs(2),
        "the phone heard of the charge {latency:?} after it was made"
    );

    let pending = sys.wallet.pending_charges().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].amount, sgd(4_500));
    assert!(pending[0].merchant.registered);
    let charge_id = pending[0].charge_id.clone();
    assert_eq!(Some(charge_id.clone()), waiting.charge_id);

    // The till's query still sees it waiting; the payer confirms with the PIN.
    let till = sys.till_client(MERCHANT).unwrap();
    assert_eq!(
        till.query("T2-0001").unwrap().state,
        TillChargeState::Userpaying
    );
    let outcome = sys
        .wallet
        .confirm_charge(&charge_id, &pad(&PIN).unwrap())
        .unwrap();
    let ChargeOutcome::Paid { receipt } = outcome else {
        panic!("{outcome:?}")
    };
    let after = till.query("T2-0001").unwrap();
    assert_eq!(after.state, TillChargeState::Paid);
    assert_eq!(after.receipt, receipt);
    assert!(sys.wallet.pending_charges().unwrap().is_empty());
    sys.wallet.sync_paycode(0).unwrap();
    let history = sys.wallet.paycode_history().unwrap();
    assert_eq!(history[0].method, AuthMethod::CodeAndPin);
    assert_eq!(history[0].charge.state, ChargeState::Paid);
    assert_eq!(history[0].charge.receipt, after.receipt);
}

#[test]
fn a_declined_charge_closes_and_a_late_confirmation_learns_it_closed() {
    let sys = start("paycode-decline");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let till = sys.till_client(MERCHANT).unwrap();

    // Declined by the payer: no PIN needed, the till sees it closed.
    let a = session.current(sys.clock.now()).unwrap();
    let waiting = charge(&sys, "T3-0001", &a.digits, 5_000);
    assert_eq!(waiting.state, TillChargeState::Userpaying, "{waiting:?}");
    sys.wallet.sync_paycode(0).unwrap();
    let id = waiting.charge_id.clone().unwrap();
    assert_eq!(
        sys.wallet.decline_charge(&id).unwrap(),
        ChargeOutcome::Closed
    );
    assert_eq!(
        till.query("T3-0001").unwrap().state,
        TillChargeState::Closed
    );

    // Nobody answers for 45 s: the backend closes it; a confirmation sent
    // after that is told so, and the wallet's journal says closed.
    let b = session.current(sys.clock.now()).unwrap();
    assert_ne!(b.digits, a.digits);
    let late = charge(&sys, "T3-0002", &b.digits, 5_000);
    assert_eq!(late.state, TillChargeState::Userpaying, "{late:?}");
    sys.wallet.sync_paycode(0).unwrap();
    sys.control.advance_clock(46).unwrap();
    let id = late.charge_id.clone().unwrap();
    let outcome = sys.wallet.confirm_charge(&id, &pad(&PIN).unwrap()).unwrap();
    assert_eq!(outcome, ChargeOutcome::Closed);
    assert_eq!(
        till.query("T3-0002").unwrap().state,
        TillChargeState::Closed
    );
    let history = sys.wallet.paycode_history().unwrap();
    assert!(history
        .iter()
        .all(|h| h.charge.state == ChargeState::Closed && h.charge.receipt.is_none()));
}

#[test]
fn codes_never_used_make_the_next_opening_provision_a_fresh_secret() {
    let sys = start("paycode-window");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    let start = sys.clock.now();
    // 26 codes shown, one a minute, none used: past half the backend's
    // window of 50.
    let mut last = None;
    for i in 0..26 {
        last = Some(session.current(start + 60 * i).unwrap());
    }
    assert_eq!(last.unwrap().counter, 25);
    assert_eq!(
        sys.wallet.paycode_status(start).unwrap().generation,
        Some(1)
    );
    // Opening again (the wallet's clock back at the sandbox's) provisions
    // generation 2; its first code pays, the old session is told.
    sys.clock.set(start);
    let fresh = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    assert_eq!(
        sys.wallet.paycode_status(start).unwrap().generation,
        Some(2)
    );
    let code = fresh.current(start).unwrap();
    let paid = charge(&sys, "T4-0001", &code.digits, 200);
    assert_eq!(paid.state, TillChargeState::Paid, "{paid:?}");
    assert_eq!(
        session.current(start + 1).unwrap_err(),
        PaycodeError::SecretReplaced
    );
}

#[test]
#[ignore = "measurement for BENCHMARKS.md; run with --ignored --nocapture"]
fn measure_charge_to_wallet_and_code_issue() {
    const RUNS: usize = 20;
    let sys = start("paycode-measure");
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    sys.wallet
        .set_paycode_backend(sys.paycode_backend(None, Duration::from_secs(15)).unwrap());
    let till = sys.till_client(MERCHANT).unwrap();
    let median = |mut v: Vec<Duration>| {
        v.sort();
        (v[0], v[v.len() / 2], v[v.len() - 1])
    };
    // Charge → the phone's pending long-poll returns with the event.
    let mut heard = Vec::new();
    // A new code while online: one events call (wait 0), the journalled
    // counter, the digits, CPM text, QR matrix and bars.
    let mut online_issue = Vec::new();
    for i in 0..RUNS {
        let t = Instant::now();
        let shown = session.current(sys.clock.now()).unwrap();
        online_issue.push(t.elapsed());
        let latency = std::thread::scope(|s| {
            let poll = s.spawn(|| {
                let changed = sys.wallet.sync_paycode(10).unwrap();
                assert_eq!(changed.len(), 1);
                Instant::now()
            });
            std::thread::sleep(Duration::from_millis(300));
            let charged = Instant::now();
            let paid = till
                .charge(&TillChargeRequest {
                    out_trade_no: format!("M-{i:04}"),
                    auth_code: shown.digits.clone(),
                    amount: sgd(100),
                })
                .unwrap();
            assert_eq!(paid.state, TillChargeState::Paid);
            poll.join().unwrap().duration_since(charged)
        });
        heard.push(latency);
    }
    // A new code offline (the monitor says offline: no events call).
    sys.wallet.set_network_available(false);
    let mut offline_issue = Vec::new();
    for i in 0..9 {
        let t = Instant::now();
        session.current(sys.clock.now() + 60 * (i + 1)).unwrap();
        offline_issue.push(t.elapsed());
    }
    println!(
        "charge -> wallet (min, median, max of {RUNS}): {:?}",
        median(heard)
    );
    println!(
        "new code online (min, median, max of {RUNS}): {:?}",
        median(online_issue)
    );
    println!(
        "new code offline (min, median, max of 9): {:?}",
        median(offline_issue)
    );
}
