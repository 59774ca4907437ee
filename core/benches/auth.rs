//! PIN and device-key costs.
//!
//! `cargo bench -p scanpay-core --bench auth`
//!
//! - `auth/derive_pin_key`: one PBKDF2-HMAC-SHA256 derivation at the
//!   configured iterations (`auth::DEFAULT_ITERATIONS`) — the floor of every PIN
//!   check, and what each offline guess costs an attacker on the same CPU.
//! - `auth/unseal_and_sign`: derive + AES-256-GCM decrypt of the device key +
//!   Ed25519 signature over a payment authorisation: the CPU cost of
//!   authorising a payment (the store writes around it are in the `store` bench).
//! - `auth/seal`: derive + encrypt, the cost of enrolment or a PIN change
//!   (without key generation and the platform wrap).
//! - `auth/verify_authorisation`: what the backend pays per payment.

// A benchmark whose setup fails should stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use ring::rand::SystemRandom;
use scanpay_core::auth::{derive_pin_key, KdfParams, DEFAULT_ITERATIONS};
use scanpay_core::auth::{
    verify_authorisation, DeviceKey, PaymentAuthorisation, PinPad, SealedKey, SignedAuthorisation,
};
use scanpay_core::money::Currency;

fn pad() -> PinPad {
    let mut p = PinPad::new();
    for d in [4, 8, 1, 5, 9, 2] {
        p.press(d).expect("digit");
    }
    p
}

fn authorisation() -> PaymentAuthorisation {
    PaymentAuthorisation {
        payment_id: "0b7c6f0e-3f5a-4d0e-9c43-6c1f2a9e8d11".into(),
        merchant_key_id: "acq1.m42".into(),
        merchant_account: "A000000677010111:0066812345678".into(),
        amount_minor: 12_550,
        currency: Currency::THB,
        payload_sha256: PaymentAuthorisation::payload_digest("000201010212"),
        time: 1_760_000_000,
    }
}

fn bench(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let pin = pad();
    let key = DeviceKey::generate(&rng).expect("keygen");
    let sealed = SealedKey::seal(&pin, &key, DEFAULT_ITERATIONS, &rng).expect("seal");

    let mut g = c.benchmark_group("auth");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let params = KdfParams {
        iterations: DEFAULT_ITERATIONS,
        salt: [7; 16],
    };
    g.bench_function("derive_pin_key", |b| {
        b.iter(|| derive_pin_key(black_box(&pin), black_box(&params)).expect("derive"))
    });
    g.bench_function("unseal_and_sign", |b| {
        b.iter(|| {
            let k = sealed.unseal(black_box(&pin)).expect("unseal");
            k.sign(&authorisation().signed_bytes()).expect("sign")
        })
    });
    g.bench_function("seal", |b| {
        b.iter(|| SealedKey::seal(black_box(&pin), &key, DEFAULT_ITERATIONS, &rng).expect("seal"))
    });
    let auth = authorisation();
    let signed = SignedAuthorisation {
        method: scanpay_core::auth::PaymentAuthMethod::Pin,
        signature: key.sign(&auth.signed_bytes()).expect("sign"),
        authorisation: auth,
        device_public_key: key.public_key().to_vec(),
    };
    g.bench_function("verify_authorisation", |b| {
        b.iter(|| verify_authorisation(black_box(key.public_key()), black_box(&signed)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
