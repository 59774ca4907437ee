//! `impl ReplayGuard for Store`: the same semantics as the in-memory guard
//! (check-and-record, prune on expiry, bounded with earliest-expiry
//! eviction), persisted across restarts.
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::common::TempDb;
use proptest::prelude::*;
use scanpay_core::store::{Store, StoreError, MAX_NONCE_PART_BYTES};
use scanpay_core::trust::replay::{DEFAULT_CAPACITY, MAX_CAPACITY};
use scanpay_core::trust::{InMemoryReplayGuard, ReplayGuard};

#[test]
fn second_use_is_a_replay_even_after_a_restart() {
    let db = TempDb::new("restart");
    {
        let mut s = Store::open(db.path()).unwrap();
        assert_eq!(s.replay_capacity().unwrap(), DEFAULT_CAPACITY);
        assert!(s.check_and_record("k", "n1", 100, 10).is_ok());
        let e = s.check_and_record("k", "n1", 100, 11).unwrap_err();
        assert_eq!((e.key_id.as_str(), e.nonce.as_str()), ("k", "n1"));
        // Same nonce under another key is another code.
        assert!(s.check_and_record("k2", "n1", 100, 11).is_ok());
        assert!(s.check_and_record("k", "n2", 100, 11).is_ok());
        s.release("k", "n2");
    }
    let mut s = Store::open(db.path()).unwrap();
    assert!(s.seen("k", "n1") && s.seen("k2", "n1"));
    assert!(!s.seen("k", "n2"), "the release was persisted");
    assert!(s.check_and_record("k", "n1", 100, 20).is_err());
    assert!(s.check_and_record("k", "n2", 100, 20).is_ok());
    // At expiry the entry is pruned: the code is refused as expired by the
    // verifier anyway, so forgetting it is safe.
    assert!(s.check_and_record("k", "other", 500, 100).is_ok());
    assert!(!s.seen("k", "n1"));
    assert_eq!(s.replay_len().unwrap(), 1);
}

#[test]
fn bounded_with_earliest_expiry_eviction_across_restarts() {
    let db = TempDb::new("bounded");
    {
        let mut s = Store::open(db.path()).unwrap();
        s.set_replay_capacity(2).unwrap();
        assert!(s.check_and_record("k", "a", 50, 0).is_ok());
        assert!(s.check_and_record("k", "b", 200, 0).is_ok());
        // "a" expired at t=60: pruned, no eviction.
        assert!(s.check_and_record("k", "c", 300, 60).is_ok());
        assert_eq!(s.replay_evictions().unwrap(), 0);
        assert!(!s.seen("k", "a"));
    }
    let mut s = Store::open(db.path()).unwrap();
    assert_eq!(s.replay_capacity().unwrap(), 2);
    // Full with live entries: "b" (earliest expiry) goes, and is counted.
    assert!(s.check_and_record("k", "d", 400, 61).is_ok());
    assert_eq!(s.replay_evictions().unwrap(), 1);
    assert!(!s.seen("k", "b"));
    assert!(s.seen("k", "c") && s.seen("k", "d"));
    assert_eq!(s.replay_len().unwrap(), 2);
    drop(s);
    let s = Store::open(db.path()).unwrap();
    assert_eq!(s.replay_evictions().unwrap(), 1);
    // Shrinking evicts now (earliest expiry first) and counts it.
    s.set_replay_capacity(1).unwrap();
    assert_eq!(s.replay_len().unwrap(), 1);
    assert!(s.seen("k", "d"));
    assert_eq!(s.replay_evictions().unwrap(), 2);
    // Capacity is clamped like the in-memory guard's.
    s.set_replay_capacity(0).unwrap();
    assert_eq!(s.replay_capacity().unwrap(), 1);
    s.set_replay_capacity(usize::MAX).unwrap();
    assert_eq!(s.replay_capacity().unwrap(), MAX_CAPACITY);
}

#[test]
fn oversized_parts_fail_closed() {
    let mut s = Store::open_in_memory().unwrap();
    let long = "n".repeat(MAX_NONCE_PART_BYTES + 1);
    assert!(matches!(
        s.record_nonce("k", &long, 10, 0),
        Err(StoreError::TooLarge { .. })
    ));
    // Through the trait the failure is a refusal, never an acceptance.
    assert!(s.check_and_record("k", &long, 10, 0).is_err());
    assert!(s.seen("k", &long));
    assert_eq!(s.replay_len().unwrap(), 0);
    // Far-future expiries are stored ("never"), not refused.
    assert!(s.check_and_record("k", "forever", u64::MAX, 0).is_ok());
    assert!(s
        .check_and_record("k", "forever", u64::MAX, u64::MAX - 1)
        .is_err());
}

#[derive(Debug, Clone)]
enum Op {
    Check { key: u8, nonce: u8, life: u64 },
    Release { key: u8, nonce: u8 },
    Advance(u64),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0..2u8, 0..6u8, 0..40u64).prop_map(|(key, nonce, life)| Op::Check { key, nonce, life }),
        2 => (0..2u8, 0..6u8).prop_map(|(key, nonce)| Op::Release { key, nonce }),
        2 => (0..15u64).prop_map(Op::Advance),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The persisted guard answers exactly like the in-memory reference,
    /// restart or not, and ends in the same state (entries, evictions).
    #[test]
    fn matches_the_in_memory_guard(cap in 1usize..5, ops in prop::collection::vec(op(), 1..50)) {
        let db = TempDb::new("prop");
        let mut store = Store::open(db.path()).unwrap();
        store.set_replay_capacity(cap).unwrap();
        let mut reference = InMemoryReplayGuard::new(cap);
        let mut now = 1_000u64;
        for op in ops {
            match op {
                Op::Check { key, nonce, life } => {
                    let (k, n) = (format!("k{key}"), format!("n{nonce}"));
                    prop_assert_eq!(
                        store.check_and_record(&k, &n, now + life, now),
                        reference.check_and_record(&k, &n, now + life, now)
                    );
                }
                Op::Release { key, nonce } => {
                    let (k, n) = (format!("k{key}"), format!("n{nonce}"));
                    store.release(&k, &n);
                    reference.release(&k, &n);
                }
                Op::Advance(d) => now += d,
                Op::Reopen => {
                    drop(store);
                    store = Store::open(db.path()).unwrap();
                }
            }
            prop_assert_eq!(store.replay_snapshot().unwrap(), reference.snapshot());
        }
        for key in 0..2 {
            for nonce in 0..6 {
                let (k, n) = (format!("k{key}"), format!("n{nonce}"));
                prop_assert_eq!(store.seen(&k, &n), reference.seen(&k, &n));
            }
        }
    }
}
