//! Parse and verify cost per payload, on the shared test vectors.
//!
//! `cargo bench -p scanpay-core --bench payload_trust`
//!
//! - `classify/*`: a scanned text to a typed payload (EMV MPM with CRC, a URL).
//! - `mpm_parse/*`: `MerchantPayload::parse` alone.
//! - `verify/*`: `TrustStore::verify` on a signed static code (parse, template
//!   extraction, registry lookup, signature, accounts, names), per algorithm.
//! - `apply_registry`: verifying and loading the signed registry document.

// A benchmark with missing vectors should stop loudly, not measure nothing.
#![allow(clippy::expect_used)]

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use scanpay_core::payload::{self, mpm::MerchantPayload};
use scanpay_core::trust::{InMemoryReplayGuard, RootKeys, TrustStore};
use serde_json::Value;

fn vectors() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors"))
}

fn read_json(rel: &str) -> Value {
    let bytes = std::fs::read(vectors().join(rel)).expect("vector file");
    serde_json::from_slice(&bytes).expect("vector json")
}

fn case_payload(cases: &Value, name: &str) -> String {
    cases["cases"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == name))
        .and_then(|c| c["payload"].as_str())
        .expect("case present")
        .to_string()
}

fn bench(c: &mut Criterion) {
    let real = read_json("emv/real-payloads.json");
    let pix = real
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|p| p["scheme"].as_str().is_some_and(|s| s == "pix"))
        })
        .and_then(|p| p["payload"].as_str())
        .expect("a Pix payload")
        .to_string();
    let cases = read_json("trust/cases.json");
    let now = cases["registry_now"].as_u64().expect("registry_now");
    let ed = case_payload(&cases, "valid-static-ed25519");
    let p256 = case_payload(&cases, "valid-static-p256");
    let roots = std::fs::read(vectors().join("trust/roots.json")).expect("roots");
    let registry = std::fs::read(vectors().join("trust/registry.json")).expect("registry");
    let roots = RootKeys::from_json(&roots).expect("roots parse");
    let mut store = TrustStore::new(roots.clone());
    store
        .apply_registry(&registry, now)
        .expect("registry applies");

    c.bench_function("classify/emv-pix", |b| {
        b.iter(|| payload::classify(black_box(&pix)))
    });
    c.bench_function("classify/url", |b| {
        b.iter(|| payload::classify(black_box("https://xn--pypal-4ve.com/pay?id=42")))
    });
    c.bench_function("mpm_parse/pix", |b| {
        b.iter(|| MerchantPayload::parse(black_box(&pix)))
    });
    c.bench_function("mpm_parse/signed-static", |b| {
        b.iter(|| MerchantPayload::parse(black_box(&ed)))
    });
    let mut guard = InMemoryReplayGuard::new(16);
    c.bench_function("verify/static-ed25519", |b| {
        b.iter(|| store.verify(black_box(&ed), now, &mut guard))
    });
    c.bench_function("verify/static-p256", |b| {
        b.iter(|| store.verify(black_box(&p256), now, &mut guard))
    });
    c.bench_function("apply_registry", |b| {
        b.iter(|| {
            let mut s = TrustStore::new(roots.clone());
            s.apply_registry(black_box(&registry), now)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
