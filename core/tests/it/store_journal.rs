//! The payments journal through the public API: reopen keeps everything,
//! compare-and-set, duplicates, ordering, history pages, caps, and a property
//! test that the log always replays to the row's final state.
#![allow(clippy::unwrap_used, clippy::panic)]

use crate::common::TempDb;
use proptest::prelude::*;
use scanpay_core::store::{
    AuthRecord, PaymentRow, Store, StoreError, Transition, MAX_PAGE, MAX_RECORD_BYTES,
    MAX_SEALED_KEY_BYTES,
};
use scanpay_core::trust::ReplayGuard;

fn row(id: &str, created_at: u64) -> PaymentRow {
    PaymentRow {
        id: id.to_string(),
        state: "Created".to_string(),
        record: format!("{{\"id\":\"{id}\",\"v\":0}}").into_bytes(),
        created_at,
        updated_at: created_at,
        resolved: false,
    }
}

fn step<'a>(id: &'a str, from: &'a str, to: &'a str, at: u64, resolved: bool) -> Transition<'a> {
    Transition {
        id,
        from,
        to,
        record: to.as_bytes(),
        resolved,
        at,
        detail: "test",
    }
}

#[test]
fn reopen_keeps_everything() {
    let db = TempDb::new("reopen");
    let auth = AuthRecord {
        failures: 4,
        lockouts: 2,
        locked_until: 1_700_000_060,
        disabled: false,
        clock_high_water: 1_700_000_000,
    };
    {
        let mut s = Store::open(db.path()).unwrap();
        s.insert_payment(&row("a", 10)).unwrap();
        s.insert_payment(&row("b", 20)).unwrap();
        s.transition(&step("a", "Created", "Sent", 11, false))
            .unwrap();
        s.transition(&step("a", "Sent", "Succeeded", 12, true))
            .unwrap();
        s.save_auth(&auth).unwrap();
        s.save_sealed_key(&[7u8; 300]).unwrap();
        s.save_registry_doc(b"{\"payload\":\"x\",\"signatures\":[]}")
            .unwrap();
        s.set_replay_capacity(50).unwrap();
        assert!(s.check_and_record("k1", "n1", 5_000, 100).is_ok());
        // A clone is the same store; dropping both closes the file.
        let c = s.clone();
        assert!(c.seen("k1", "n1"));
    }
    let mut s = Store::open(db.path()).unwrap();
    let a = s.payment("a").unwrap().unwrap();
    assert_eq!(
        (
            a.state.as_str(),
            a.record.as_slice(),
            a.resolved,
            a.updated_at
        ),
        ("Succeeded", b"Succeeded".as_slice(), true, 12)
    );
    let log = s.transitions("a").unwrap();
    let path: Vec<(&str, &str, u64)> = log
        .iter()
        .map(|t| (t.from.as_str(), t.to.as_str(), t.at))
        .collect();
    assert_eq!(
        path,
        [
            ("", "Created", 10),
            ("Created", "Sent", 11),
            ("Sent", "Succeeded", 12)
        ]
    );
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(log[0].detail, "created");
    assert_eq!(
        s.transition_record(log[1].seq).unwrap().as_deref(),
        Some(b"Sent".as_slice())
    );
    assert_eq!(s.unresolved_payments().unwrap(), vec![row("b", 20)]);
    assert_eq!(s.unresolved_count().unwrap(), 1);
    assert_eq!(s.load_auth().unwrap(), Some(auth));
    assert_eq!(s.load_sealed_key().unwrap(), Some(vec![7u8; 300]));
    assert_eq!(
        s.load_registry_doc().unwrap().as_deref(),
        Some(b"{\"payload\":\"x\",\"signatures\":[]}".as_slice())
    );
    assert_eq!(s.replay_capacity().unwrap(), 50);
    assert!(s.seen("k1", "n1"));
    assert!(s.check_and_record("k1", "n1", 5_000, 101).is_err());
    // Idempotency keys survive restarts: re-inserting is refused.
    assert_eq!(
        s.insert_payment(&row("a", 99)),
        Err(StoreError::Duplicate("a".into()))
    );
}

#[test]
fn empty_store_has_nothing() {
    let s = Store::open_in_memory().unwrap();
    assert_eq!(s.load_auth().unwrap(), None);
    assert_eq!(s.load_sealed_key().unwrap(), None);
    assert_eq!(s.load_registry_doc().unwrap(), None);
    assert_eq!(s.payment("x").unwrap(), None);
    assert!(s.unresolved_payments().unwrap().is_empty());
    assert!(s.payments(10, None).unwrap().is_empty());
    assert!(s.transitions("x").unwrap().is_empty());
}

#[test]
fn singletons_are_replaced_and_the_key_can_be_deleted() {
    let s = Store::open_in_memory().unwrap();
    s.save_auth(&AuthRecord {
        failures: 1,
        ..AuthRecord::default()
    })
    .unwrap();
    let second = AuthRecord {
        failures: 0,
        lockouts: 0,
        locked_until: 0,
        disabled: true,
        clock_high_water: 9,
    };
    s.save_auth(&second).unwrap();
    assert_eq!(s.load_auth().unwrap(), Some(second));
    s.save_sealed_key(b"one").unwrap();
    s.save_sealed_key(b"two").unwrap();
    assert_eq!(s.load_sealed_key().unwrap(), Some(b"two".to_vec()));
    s.delete_sealed_key().unwrap();
    assert_eq!(s.load_sealed_key().unwrap(), None);
    s.delete_sealed_key().unwrap();
    s.save_registry_doc(b"v1").unwrap();
    s.save_registry_doc(b"v2").unwrap();
    assert_eq!(s.load_registry_doc().unwrap(), Some(b"v2".to_vec()));
}

#[test]
fn conflict_changes_nothing() {
    let s = Store::open_in_memory().unwrap();
    s.insert_payment(&row("p", 1)).unwrap();
    s.transition(&step("p", "Created", "Sent", 2, false))
        .unwrap();
    let before = s.payment("p").unwrap();
    let log_before = s.transitions("p").unwrap();
    assert_eq!(
        s.transition(&step("p", "Created", "Unknown", 3, false)),
        Err(StoreError::Conflict {
            id: "p".into(),
            expected: "Created".into(),
            found: "Sent".into()
        })
    );
    assert_eq!(s.payment("p").unwrap(), before);
    assert_eq!(s.transitions("p").unwrap(), log_before);
    assert_eq!(
        s.transition(&step("nope", "Created", "Sent", 3, false)),
        Err(StoreError::NotFound("nope".into()))
    );
    assert!(s.transitions("nope").unwrap().is_empty());
    // Same-state transitions are record updates, still logged.
    s.transition(&step("p", "Sent", "Sent", 4, false)).unwrap();
    assert_eq!(s.transitions("p").unwrap().len(), 3);
}

#[test]
fn duplicate_insert_changes_nothing() {
    let s = Store::open_in_memory().unwrap();
    s.insert_payment(&row("p", 1)).unwrap();
    s.transition(&step("p", "Created", "Sent", 2, false))
        .unwrap();
    let mut again = row("p", 50);
    again.state = "Other".into();
    assert_eq!(
        s.insert_payment(&again),
        Err(StoreError::Duplicate("p".into()))
    );
    let p = s.payment("p").unwrap().unwrap();
    assert_eq!((p.state.as_str(), p.created_at), ("Sent", 1));
    assert_eq!(s.transitions("p").unwrap().len(), 2);
}

#[test]
fn unresolved_are_oldest_first_and_resolution_removes_them() {
    let s = Store::open_in_memory().unwrap();
    // Inserted out of time order; two share a second (insertion order breaks the tie).
    for (id, at) in [("c", 30), ("a", 10), ("b1", 20), ("b2", 20), ("d", 40)] {
        s.insert_payment(&row(id, at)).unwrap();
    }
    let ids = |v: Vec<PaymentRow>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.unresolved_payments().unwrap()),
        ["a", "b1", "b2", "c", "d"]
    );
    s.transition(&step("b1", "Created", "Declined", 21, true))
        .unwrap();
    s.transition(&step("d", "Created", "Sent", 41, false))
        .unwrap();
    assert_eq!(ids(s.unresolved_payments().unwrap()), ["a", "b2", "c", "d"]);
    assert_eq!(s.unresolved_count().unwrap(), 4);
    // Since 20 (inclusive), oldest first, resolved or not.
    assert_eq!(ids(s.payments_since(20).unwrap()), ["b1", "b2", "c", "d"]);
    assert!(s.payments_since(41).unwrap().is_empty());
}

#[test]
fn history_pages_are_newest_first_without_gaps() {
    let s = Store::open_in_memory().unwrap();
    // 25 payments over 10 distinct seconds: many share a second.
    let mut expected = Vec::new();
    for i in 0..25u64 {
        let id = format!("p{i:02}");
        s.insert_payment(&row(&id, 100 + i / 3)).unwrap();
        expected.push(id);
    }
    expected.reverse();
    let ids = |v: &[PaymentRow]| v.iter().map(|r| r.id.clone()).collect::<Vec<_>>();

    // `payments(limit, before)`: newest first, strictly before a time.
    assert_eq!(ids(&s.payments(4, None).unwrap()), expected[..4]);
    let older = s.payments(100, Some(104)).unwrap();
    assert!(older.iter().all(|r| r.created_at < 104));
    assert_eq!(older.len(), 12);
    assert_eq!(ids(&older), expected[13..]);
    assert!(s.payments(0, None).unwrap().is_empty());
    assert_eq!(s.payments(u32::MAX, None).unwrap().len(), 25);

    // Cursor pages: every payment exactly once, in order, for any page size.
    for size in [1u32, 2, 3, 4, 7, 25, 26] {
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = s.payments_page(size, cursor).unwrap();
            assert!(page.rows.len() <= size as usize);
            seen.extend(ids(&page.rows));
            match page.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, expected, "page size {size}");
    }
}

#[test]
fn a_page_never_exceeds_the_cap() {
    let s = Store::open_in_memory().unwrap();
    for i in 0..=MAX_PAGE {
        s.insert_payment(&row(&format!("p{i}"), u64::from(i)))
            .unwrap();
    }
    assert_eq!(s.payments(u32::MAX, None).unwrap().len(), MAX_PAGE as usize);
    let page = s.payments_page(u32::MAX, None).unwrap();
    assert_eq!(page.rows.len(), MAX_PAGE as usize);
    let rest = s.payments_page(u32::MAX, page.next).unwrap();
    assert_eq!(rest.rows.len(), 1);
    assert_eq!(rest.rows[0].id, "p0");
    assert_eq!(rest.next, None);
}

#[test]
fn inputs_are_capped_and_validated_before_anything_is_written() {
    let s = Store::open_in_memory().unwrap();
    let mut big = row("big", 1);
    big.record = vec![b' '; MAX_RECORD_BYTES + 1];
    assert!(matches!(
        s.insert_payment(&big),
        Err(StoreError::TooLarge { what: "record", .. })
    ));
    let mut long_id = row("x", 1);
    long_id.id = "i".repeat(1000);
    assert!(matches!(
        s.insert_payment(&long_id),
        Err(StoreError::TooLarge { .. })
    ));
    assert!(matches!(
        s.insert_payment(&row("", 1)),
        Err(StoreError::OutOfRange { .. })
    ));
    let mut far = row("far", 1);
    far.created_at = u64::MAX;
    assert!(matches!(
        s.insert_payment(&far),
        Err(StoreError::OutOfRange { .. })
    ));
    assert!(s.unresolved_payments().unwrap().is_empty());

    s.insert_payment(&row("p", 1)).unwrap();
    let huge = vec![0u8; MAX_RECORD_BYTES + 1];
    let mut t = step("p", "Created", "Sent", 2, false);
    t.record = &huge;
    assert!(matches!(s.transition(&t), Err(StoreError::TooLarge { .. })));
    let mut t = step("p", "Created", "", 2, false);
    t.record = b"{}";
    assert!(matches!(
        s.transition(&t),
        Err(StoreError::OutOfRange { .. })
    ));
    assert_eq!(s.payment("p").unwrap().unwrap().state, "Created");
    assert!(matches!(
        s.save_sealed_key(&vec![0u8; MAX_SEALED_KEY_BYTES + 1]),
        Err(StoreError::TooLarge { .. })
    ));
    assert!(matches!(
        s.save_auth(&AuthRecord {
            locked_until: u64::MAX,
            ..AuthRecord::default()
        }),
        Err(StoreError::OutOfRange { .. })
    ));
    assert_eq!(s.load_auth().unwrap(), None);
}

const STATES: [&str; 5] = ["Created", "Sent", "Unknown", "Reversing", "Done"];

#[derive(Debug, Clone)]
enum Op {
    /// Transition payment `p` from `from` (maybe stale) to `to`.
    Step {
        p: usize,
        from: usize,
        to: usize,
        resolved: bool,
    },
    /// Close and reopen the file.
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..3usize, 0..STATES.len(), 0..STATES.len(), any::<bool>())
            .prop_map(|(p, from, to, resolved)| Op::Step { p, from, to, resolved }),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever sequence of (possibly stale) transitions arrives, with
    /// restarts in between: accepted ones are exactly those whose `from`
    /// matched, rejected ones change nothing, and the log replays (each
    /// entry's `from` is the previous `to`) to the row's final state.
    #[test]
    fn log_replays_to_the_final_state(ops in prop::collection::vec(op(), 1..40)) {
        let db = TempDb::new("prop");
        let ids = ["p0", "p1", "p2"];
        let mut store = Store::open(db.path()).unwrap();
        let mut model: Vec<(usize, bool, u64)> = vec![(0, false, 0); ids.len()]; // state, resolved, accepted
        for (i, id) in ids.iter().enumerate() {
            store.insert_payment(&row(id, i as u64)).unwrap();
        }
        for (n, op) in ops.iter().enumerate() {
            match op {
                Op::Reopen => {
                    drop(store);
                    store = Store::open(db.path()).unwrap();
                }
                Op::Step { p, from, to, resolved } => {
                    let t = Transition {
                        id: ids[*p],
                        from: STATES[*from],
                        to: STATES[*to],
                        record: STATES[*to].as_bytes(),
                        resolved: *resolved,
                        at: 100 + n as u64,
                        detail: "prop",
                    };
                    let r = store.transition(&t);
                    if model[*p].0 == *from {
                        prop_assert_eq!(r, Ok(()));
                        model[*p] = (*to, *resolved, model[*p].2 + 1);
                    } else {
                        prop_assert_eq!(r, Err(StoreError::Conflict {
                            id: ids[*p].to_string(),
                            expected: STATES[*from].to_string(),
                            found: STATES[model[*p].0].to_string(),
                        }));
                    }
                }
            }
        }
        for (i, id) in ids.iter().enumerate() {
            let row = store.payment(id).unwrap().unwrap();
            prop_assert_eq!(row.state.as_str(), STATES[model[i].0]);
            prop_assert_eq!(row.resolved, model[i].1);
            let log = store.transitions(id).unwrap();
            prop_assert_eq!(log.len() as u64, 1 + model[i].2);
            prop_assert_eq!(log[0].from.as_str(), "");
            let mut state = log[0].to.clone();
            for t in &log[1..] {
                prop_assert_eq!(&t.from, &state);
                state = t.to.clone();
            }
            prop_assert_eq!(state, row.state.clone());
            let last = log.last().unwrap();
            prop_assert_eq!(store.transition_record(last.seq).unwrap(), Some(row.record.clone()));
        }
        let unresolved = model.iter().filter(|m| !m.1).count() as u64;
        prop_assert_eq!(store.unresolved_count().unwrap(), unresolved);
    }
}
