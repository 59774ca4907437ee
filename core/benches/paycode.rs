//! Pay-code costs (issue 11).
//!
//! `cargo bench -p scanpay-core --bench paycode`
//!
//! - `paycode/derive`: one code, HMAC-SHA256 and truncation (the wallet, per
//!   refresh).
//! - `paycode/generate_all`: what the wallet does for each code it shows:
//!   derive, the CPM text, the QR module matrix (all eight masks scored) and
//!   the Code 128 bars. The PIN unsealing of the secret is not included (see
//!   the `auth` bench: it is once per session, not per code).
//! - `paycode/find_window`: the issuer's search of one device's window,
//!   50 counters × 4 steps = 200 HMACs (the sandbox does this per device).

// A benchmark whose setup fails should stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use scanpay_core::paycode::code::{derive, find, to_cpm_text, PaycodeSecret};
use scanpay_core::paycode::render::{code128_bars, qr_matrix};

fn bench(c: &mut Criterion) {
    let secret = PaycodeSecret::from_bytes(&[0x5A; 32]).expect("secret");
    let step = 29_412_000;
    let mut g = c.benchmark_group("paycode");
    g.sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    g.bench_function("derive", |b| {
        b.iter(|| derive(black_box(&secret), black_box(7), black_box(step)))
    });
    g.bench_function("generate_all", |b| {
        b.iter(|| {
            let code = derive(black_box(&secret), black_box(7), black_box(step));
            let text = to_cpm_text(&code);
            let qr = qr_matrix(&text).expect("qr");
            let bars = code128_bars(&code);
            (qr, bars)
        })
    });
    let last = derive(&secret, 49, step + 1);
    g.bench_function("find_window", |b| {
        b.iter(|| {
            find(
                black_box(&secret),
                black_box(&last),
                0..50,
                step - 2..=step + 1,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
