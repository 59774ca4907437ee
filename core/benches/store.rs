//! Journal write cost: what one durable state change costs on a real file.
//!
//! `cargo bench -p scanpay-core --bench store`
//!
//! Every write below is one SQLite transaction on a WAL file with
//! `synchronous=FULL`, so each includes an fsync of the WAL: the number is
//! dominated by the device's flush latency, not by CPU.
//!
//! - `store/insert_payment`: journalling a new payment (row + creation log entry).
//! - `store/transition`: one compare-and-set state change (row update + log append).
//! - `store/lifecycle_insert_plus_4`: insert + 4 transitions, a typical
//!   payment from creation to success through Unknown/Querying.
//! - `store/save_auth`: persisting the PIN attempt counter (done before every
//!   PIN evaluation).
//! - `store/check_and_record`: recording a dynamic code's nonce.
//! - `store/transition_in_memory`: the same change without a file, i.e. the
//!   CPU part of the cost.

// A benchmark that cannot open its database should stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use scanpay_core::store::{AuthRecord, PaymentRow, Store, Transition};
use scanpay_core::trust::ReplayGuard;

/// A realistic payment record: ~300 bytes of JSON.
const RECORD: &[u8] = br#"{"id":"6f1c2a4e-9b7d-4c1e-8a3f-2d5e6b7c8d9e","merchant_key_id":"acq1-m000123-k2","merchant_account":"A000000677010111:0066812345678","amount_minor":12050,"currency":"THB","payload_sha256":"9f2b5c1d7e3a4f6b8c0d2e4f6a8b0c1d3e5f7a9b1c3d5e7f9a1b3c5d7e9f1a3b","stage":"querying","queries":3}"#;

fn row(id: String, at: u64) -> PaymentRow {
    PaymentRow {
        id,
        state: "Created".into(),
        record: RECORD.to_vec(),
        created_at: at,
        updated_at: at,
        resolved: false,
    }
}

fn flip(store: &Store, id: &str, n: &mut u64) {
    let (from, to) = if *n % 2 == 0 {
        ("Created", "Sent")
    } else {
        ("Sent", "Created")
    };
    *n += 1;
    store
        .transition(&Transition {
            id,
            from,
            to,
            record: RECORD,
            resolved: false,
            at: *n,
            detail: "bench",
        })
        .expect("transition");
}

fn bench(c: &mut Criterion) {
    // Removed with the WAL and shared-memory files when the bench ends.
    let dir = tempfile::Builder::new()
        .prefix("scanpay-bench-store-")
        .tempdir()
        .expect("temp dir");
    let store = Store::open(&dir.path().join("journal.db")).expect("open");
    let mut counter = 0u64;

    c.bench_function("store/insert_payment", |b| {
        b.iter(|| {
            counter += 1;
            store
                .insert_payment(black_box(&row(format!("ins-{counter}"), counter)))
                .expect("insert")
        })
    });

    store
        .insert_payment(&row("flip".into(), 1))
        .expect("insert");
    let mut n = 0u64;
    c.bench_function("store/transition", |b| {
        b.iter(|| flip(&store, black_box("flip"), &mut n))
    });

    c.bench_function("store/lifecycle_insert_plus_4", |b| {
        b.iter(|| {
            counter += 1;
            let id = format!("life-{counter}");
            store
                .insert_payment(&row(id.clone(), counter))
                .expect("insert");
            let steps = [
                ("Created", "Sent", false),
                ("Sent", "Unknown", false),
                ("Unknown", "Querying", false),
                ("Querying", "Succeeded", true),
            ];
            for (from, to, resolved) in steps {
                store
                    .transition(&Transition {
                        id: &id,
                        from,
                        to,
                        record: RECORD,
                        resolved,
                        at: counter,
                        detail: "bench",
                    })
                    .expect("transition");
            }
        })
    });

    let mut failures = 0u32;
    c.bench_function("store/save_auth", |b| {
        b.iter(|| {
            failures = failures.wrapping_add(1) % 10;
            store
                .save_auth(black_box(&AuthRecord {
                    failures,
                    lockouts: 1,
                    locked_until: 1_700_000_030,
                    disabled: false,
                    clock_high_water: 1_700_000_000,
                }))
                .expect("save_auth")
        })
    });

    let mut guard = store.clone();
    let mut nonce = 0u64;
    c.bench_function("store/check_and_record", |b| {
        b.iter(|| {
            nonce += 1;
            guard
                .check_and_record(
                    "acq1-m000123-k2",
                    &format!("n{nonce}"),
                    2_000_000_000,
                    1_700_000_000,
                )
                .expect("fresh nonce")
        })
    });

    let mem = Store::open_in_memory().expect("memory");
    mem.insert_payment(&row("flip".into(), 1)).expect("insert");
    let mut m = 0u64;
    c.bench_function("store/transition_in_memory", |b| {
        b.iter(|| flip(&mem, black_box("flip"), &mut m))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
