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
//! - `merchant_paid_until/5000/decode_all` and `.../index`: the PIN-free
//!   rule "the merchant is not new" on a journal of 5,000 succeeded payments
//!   to other merchants (the worst case, nothing matches), answered the old
//!   way (read and decode every succeeded record) and through the schema-4
//!   merchant index plus the decode of unindexed rows, as the engine does.
//!   In memory, so only the reading is timed.
//!   `cargo bench -p scanpay-core --bench store -- merchant_paid_until`

// A benchmark that cannot open its database should stop loudly.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use scanpay_core::payment::{PaymentRecord, PaymentState};
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

/// A succeeded payment record as the engine writes it (1.7 KB, taken from
/// the integration tests' journal); id, state and merchant are replaced per row.
const PAID_RECORD: &str = r#"
{
    "format": 1,
    "id": "c4bdab3a-db2c-4ba9-aea7-d8135d1a2577",
    "state": "SUCCEEDED",
    "merchant": {
        "name": "ALICE CAFE",
        "city": "BANGKOK",
        "merchant_id": "M-1",
        "key_id": "m1",
        "account": "04=5111111111111118",
        "verified": true
    },
    "breakdown": {
        "amount": {
            "minor": 1000,
            "currency": "THB"
        },
        "tip": {
            "minor": 0,
            "currency": "THB"
        },
        "fee": {
            "minor": 0,
            "currency": "THB"
        },
        "total": {
            "minor": 1000,
            "currency": "THB"
        }
    },
    "payload": "000201010211041651111111111111185204581253037645802TH5910ALICE CAFE6007BANGKOK80320011app.scanpay010110202ED0302m181620011app.scanpay9843R_lPp5_zhzTtG_dQKmx3FBsTCSgjyjVALCe4EQtY3on82620011app.scanpay9943xwcSPK7LLwN71DZJYEtgE2j-SPhHesdZnfKqjOMJZDw630456C1",
    "authorisation": {
        "authorisation": {
            "payment_id": "c4bdab3a-db2c-4ba9-aea7-d8135d1a2577",
            "merchant_key_id": "m1",
            "merchant_account": "04=5111111111111118",
            "amount_minor": 1000,
            "currency": "THB",
            "payload_sha256": [
                58,
                217,
                36,
                137,
                202,
                31,
                215,
                31,
                108,
                218,
                244,
                146,
                39,
                154,
                9,
                96,
                95,
                40,
                108,
                59,
                16,
                233,
                126,
                89,
                124,
                254,
                115,
                196,
                254,
                17,
                95,
                127
            ],
            "time": 1780000000
        },
        "method": "pin",
        "device_public_key": [
            243,
            35,
            61,
            220,
            132,
            170,
            137,
            107,
            146,
            161,
            219,
            64,
            67,
            159,
            152,
            207,
            32,
            65,
            230,
            145,
            232,
            217,
            196,
            57,
            146,
            127,
            249,
            77,
            109,
            221,
            200,
            153
        ],
        "signature": [
            197,
            84,
            229,
            206,
            70,
            239,
            34,
            57,
            29,
            223,
            78,
            154,
            125,
            48,
            141,
            123,
            219,
            145,
            91,
            122,
            105,
            91,
            110,
            100,
            221,
            101,
            0,
            147,
            178,
            147,
            231,
            16,
            127,
            73,
            152,
            37,
            171,
            92,
            63,
            237,
            68,
            67,
            117,
            95,
            207,
            122,
            207,
            131,
            62,
            247,
            250,
            12,
            79,
            209,
            48,
            210,
            42,
            201,
            66,
            126,
            209,
            248,
            174,
            10
        ]
    },
    "created_at": 1780000000,
    "updated_at": 1780000000,
    "offline": false,
    "maybe_sent": true,
    "submits": 1,
    "sent_at": 1780000000,
    "unknown_since": null,
    "queries": 0,
    "reverse_attempts": 0,
    "next_at": null,
    "receipt": {
        "reference": "R-c4bdab3a-db2c-4ba9-aea7-d8135d1a2577",
        "amount": {
            "minor": 1000,
            "currency": "THB"
        },
        "paid_at": 1780000000
    },
    "decline": null,
    "last_error": null
}
"#;

/// A journal holding `n` succeeded payments, to merchants `"26=M<i mod 50>"`.
fn paid_journal(n: u64) -> Store {
    let store = Store::open_in_memory().expect("memory");
    let template: serde_json::Value = serde_json::from_str(PAID_RECORD).expect("record JSON");
    let state = PaymentState::Succeeded.as_str();
    for i in 0..n {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        let mut rec = template.clone();
        rec["id"] = id.clone().into();
        rec["merchant"]["account"] = format!("26=M{}", i % 50).into();
        store
            .insert_payment(&PaymentRow {
                id,
                state: state.into(),
                record: serde_json::to_vec(&rec).expect("serialise"),
                created_at: 1_700_000_000 + i,
                updated_at: 1_700_000_000 + i,
                resolved: true,
            })
            .expect("insert");
    }
    store
}

fn bench_merchant_index(c: &mut Criterion) {
    let store = paid_journal(5_000);
    let state = PaymentState::Succeeded.as_str();
    let until = u64::MAX >> 1;
    let account = "04=5111111111111118";
    let mut g = c.benchmark_group("merchant_paid_until/5000");
    g.bench_function("decode_all", |b| {
        b.iter(|| {
            // What `PaymentEngine::merchant_paid_until` did before schema 4.
            let rows = store.payments_in_state_until(state, until).expect("rows");
            let mut found = false;
            for row in &rows {
                if PaymentRecord::from_json(&row.record)
                    .expect("record")
                    .merchant
                    .account
                    == black_box(account)
                {
                    found = true;
                    break;
                }
            }
            assert!(!found);
        })
    });
    g.bench_function("index", |b| {
        b.iter(|| {
            // What it does now: the index, then the unindexed rows (none).
            let found = store
                .merchant_paid_until(black_box(account), state, until)
                .expect("probe")
                || store
                    .unindexed_payments_in_state_until(state, until)
                    .expect("rows")
                    .iter()
                    .any(|row| {
                        PaymentRecord::from_json(&row.record)
                            .is_ok_and(|r| r.merchant.account == account)
                    });
            assert!(!found);
        })
    });
    g.finish();
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
criterion_group! {
    name = merchant_index;
    // A decode-all pass is milliseconds: a few samples give a stable ratio.
    config = Criterion::default().sample_size(10);
    targets = bench_merchant_index
}
criterion_main!(benches, merchant_index);
