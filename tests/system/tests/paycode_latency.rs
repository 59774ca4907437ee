//! Measurement for BENCHMARKS.md (ignored in the test run): how long after
//! a till's charge the payer's phone hears of it, over N charges, the real
//! wallet long-polling the real sandbox over TLS on loopback.
//!
//! `cargo test --release -p scanpay-system-tests --test paycode_latency -- --ignored --nocapture`
//! (`SCANPAY_BENCH_N` sets N, default 200).
//!
//! Three instants per charge: the till sends (`sent`), the till's charge
//! call returns with `paid` (`answered`), the phone's already-waiting events
//! long-poll returns with the event (`heard`). The sandbox commits the
//! charge, then wakes the long-poll and answers the till, so `heard` may
//! come before `answered`: `heard − answered` is reported signed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use scanpay_core::net::api::paycode::{TillChargeRequest, TillChargeState};
use scanpay_core::net::TillClient;
use scanpay_core::payment::Clock;
use scanpay_system::{pad, sgd, System, SystemOptions, PIN};

/// (min, median, p95, max) of `v`, in milliseconds.
fn stats(mut v: Vec<f64>) -> (f64, f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    (v[0], at(0.5), at(0.95), v[v.len() - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}

#[test]
#[ignore = "measurement for BENCHMARKS.md; run with --ignored --nocapture"]
fn measure_till_answer_to_wallet_event() {
    let n: usize = std::env::var("SCANPAY_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let sys = System::start(SystemOptions::new(
        env!("CARGO_TARGET_TMPDIR"),
        "paycode-latency",
    ))
    .unwrap();
    sys.enrol("SANDBOX").unwrap();
    sys.sync_registry().unwrap().unwrap();
    let session = sys.wallet.open_paycode(&pad(&PIN).unwrap()).unwrap();
    // A read timeout that lets a 10 s long-poll wait.
    sys.wallet
        .set_paycode_backend(sys.paycode_backend(None, Duration::from_secs(15)).unwrap());
    let till = TillClient::new(
        sys.client_config().clone(),
        &sys.till_key("M-0002").unwrap(),
    )
    .unwrap();
    let (mut from_send, mut from_answer, mut till_rtt) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        // SGD 0.01 each: n charges stay within the account's SGD 500.00.
        let shown = session.current(sys.clock.now()).unwrap();
        let (sent, answered, heard) = std::thread::scope(|s| {
            let poll = s.spawn(|| {
                let changed = sys.wallet.sync_paycode(10).unwrap();
                let heard = Instant::now();
                assert_eq!(changed.len(), 1, "{changed:?}");
                heard
            });
            // Let the long-poll reach the sandbox and wait there.
            std::thread::sleep(Duration::from_millis(100));
            let sent = Instant::now();
            let paid = till
                .charge(&TillChargeRequest {
                    out_trade_no: format!("LAT-{i:05}"),
                    auth_code: shown.digits.clone(),
                    amount: sgd(1),
                })
                .unwrap();
            let answered = Instant::now();
            assert_eq!(paid.state, TillChargeState::Paid, "{paid:?}");
            (sent, answered, poll.join().unwrap())
        });
        from_send.push(ms(heard.duration_since(sent)));
        till_rtt.push(ms(answered.duration_since(sent)));
        from_answer.push(if heard >= answered {
            ms(heard - answered)
        } else {
            -ms(answered - heard)
        });
    }
    let heard_first = from_answer.iter().filter(|d| **d < 0.0).count();
    let show = |name: &str, v: Vec<f64>| {
        let (min, med, p95, max) = stats(v);
        println!("{name}: min {min:.2} ms, median {med:.2} ms, p95 {p95:.2} ms, max {max:.2} ms");
    };
    println!("{n} charges over TLS on loopback, each heard by a waiting long-poll:");
    show("till sends -> till has the answer", till_rtt);
    show("till sends -> phone's long-poll returns", from_send);
    show(
        "till has the answer -> phone's long-poll returns (signed)",
        from_answer,
    );
    println!("the phone heard first in {heard_first} of {n}");
}
