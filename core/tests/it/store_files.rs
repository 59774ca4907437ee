//! Opening journal files: settings, migrations, and refusing (without
//! touching) files that are damaged, foreign or from a newer app version.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use crate::common::TempDb;
use scanpay_core::store::{
    AuthRecord, PaymentRow, Store, StoreError, StoreSettings, Transition, APPLICATION_ID,
    SCHEMA_VERSION,
};

fn row(id: &str, at: u64) -> PaymentRow {
    PaymentRow {
        id: id.to_string(),
        state: "Created".to_string(),
        record: format!("{{\"id\":\"{id}\"}}").into_bytes(),
        created_at: at,
        updated_at: at,
        resolved: false,
    }
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn new_file_is_wal_at_current_schema_and_marked_as_ours() {
    let db = TempDb::new("new");
    let store = Store::open(db.path()).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(store.path(), Some(db.path()));
    store.insert_payment(&row("p1", 1)).unwrap();
    // While open in WAL mode the write-ahead log exists next to the file.
    let mut wal = db.path().to_path_buf().into_os_string();
    wal.push("-wal");
    assert!(Path::new(&wal).exists());
    let c = raw(db.path());
    let mode: String = c
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let app: i32 = c
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .unwrap();
    assert_eq!(app, APPLICATION_ID);
    assert_eq!(
        store.settings().unwrap(),
        StoreSettings {
            journal_mode: "wal".into(),
            synchronous_full: true,
            foreign_keys: true,
            secure_delete: true,
            busy_timeout_ms: 5000,
        }
    );
    let mem = Store::open_in_memory().unwrap().settings().unwrap();
    assert_eq!(mem.journal_mode, "memory");
    assert!(mem.synchronous_full && mem.foreign_keys);
}

#[test]
fn garbage_file_is_corrupt_and_left_untouched() {
    for len in [16usize, 600, 8192] {
        let db = TempDb::new("garbage");
        let garbage: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
        std::fs::write(db.path(), &garbage).unwrap();
        match Store::open(db.path()) {
            Err(StoreError::Corrupt(_)) => {}
            other => panic!("len {len}: expected Corrupt, got {other:?}"),
        }
        assert_eq!(std::fs::read(db.path()).unwrap(), garbage, "len {len}");
        // Trying again does not "repair" it either.
        assert!(matches!(
            Store::open(db.path()),
            Err(StoreError::Corrupt(_))
        ));
        assert_eq!(std::fs::read(db.path()).unwrap(), garbage);
    }
}

#[test]
fn damaged_page_fails_the_integrity_check_and_is_left_untouched() {
    let db = TempDb::new("damaged");
    {
        let s = Store::open(db.path()).unwrap();
        for i in 0..300 {
            s.insert_payment(&row(&format!("payment-{i:04}"), i))
                .unwrap();
        }
    }
    // Closing the last connection checkpointed the WAL into the file.
    let mut bytes = std::fs::read(db.path()).unwrap();
    let page = 4096;
    assert!(bytes.len() > 6 * page, "{} bytes", bytes.len());
    // Scribble over the middle of the file (b-tree pages), not the header.
    for b in &mut bytes[3 * page..5 * page] {
        *b = 0xA5;
    }
    std::fs::write(db.path(), &bytes).unwrap();
    match Store::open(db.path()) {
        Err(StoreError::Corrupt(msg)) => assert!(!msg.is_empty()),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert_eq!(std::fs::read(db.path()).unwrap(), bytes);
}

#[test]
fn newer_schema_is_refused_untouched_and_readable_again_by_a_newer_app() {
    let db = TempDb::new("newer");
    {
        let s = Store::open(db.path()).unwrap();
        s.insert_payment(&row("keep-me", 5)).unwrap();
        s.save_auth(&AuthRecord {
            failures: 3,
            ..AuthRecord::default()
        })
        .unwrap();
    }
    let future = SCHEMA_VERSION + 41;
    raw(db.path())
        .pragma_update(None, "user_version", future)
        .unwrap();
    let before = std::fs::read(db.path()).unwrap();
    assert_eq!(
        Store::open(db.path()).unwrap_err(),
        StoreError::NewerSchema {
            found: future,
            supported: SCHEMA_VERSION
        }
    );
    assert_eq!(std::fs::read(db.path()).unwrap(), before);
    // The data is all still there for the app version that wrote it
    // (simulated by putting the version back).
    raw(db.path())
        .pragma_update(None, "user_version", SCHEMA_VERSION)
        .unwrap();
    let s = Store::open(db.path()).unwrap();
    assert_eq!(s.payment("keep-me").unwrap().unwrap().created_at, 5);
    assert_eq!(s.load_auth().unwrap().unwrap().failures, 3);
}

#[test]
fn another_applications_database_is_refused_untouched() {
    // At version 0 with tables: someone else's file.
    let db = TempDb::new("foreign0");
    raw(db.path())
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');")
        .unwrap();
    let before = std::fs::read(db.path()).unwrap();
    assert!(matches!(
        Store::open(db.path()),
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(std::fs::read(db.path()).unwrap(), before);

    // With a schema version but another application id.
    let db = TempDb::new("foreign1");
    let c = raw(db.path());
    c.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 1; PRAGMA application_id = 7;")
        .unwrap();
    drop(c);
    let before = std::fs::read(db.path()).unwrap();
    assert!(matches!(
        Store::open(db.path()),
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(std::fs::read(db.path()).unwrap(), before);
}

#[test]
fn an_empty_file_becomes_a_journal() {
    let db = TempDb::new("empty");
    std::fs::write(db.path(), b"").unwrap();
    let s = Store::open(db.path()).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn missing_directory_is_unavailable() {
    let db = TempDb::new("nodir");
    let p = db.path().join("sub").join("wallet.db");
    assert!(matches!(Store::open(&p), Err(StoreError::Unavailable(_))));
}

#[test]
fn money_records_cannot_be_deleted_or_rewritten_behind_the_store() {
    let db = TempDb::new("append");
    let s = Store::open(db.path()).unwrap();
    s.insert_payment(&row("p", 1)).unwrap();
    s.transition(&Transition {
        id: "p",
        from: "Created",
        to: "Sent",
        record: b"{}",
        resolved: false,
        at: 2,
        detail: "",
    })
    .unwrap();
    let c = raw(db.path());
    assert!(c.execute("DELETE FROM payments", []).is_err());
    assert!(c.execute("DELETE FROM transitions", []).is_err());
    assert!(c
        .execute("UPDATE transitions SET to_state = 'X'", [])
        .is_err());
    assert_eq!(s.transitions("p").unwrap().len(), 2);
}

#[test]
fn store_is_clone_send_sync_and_clones_race_safely() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Store>();

    let db = TempDb::new("race");
    let s = Store::open(db.path()).unwrap();
    for i in 0..8 {
        s.insert_payment(&row(&format!("r{i}"), i)).unwrap();
    }
    // Two drivers race every payment from Created: exactly one wins each.
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let s = s.clone();
            std::thread::spawn(move || {
                let mut wins = 0;
                for i in 0..8 {
                    let id = format!("r{i}");
                    let to = format!("Sent-by-{t}");
                    match s.transition(&Transition {
                        id: &id,
                        from: "Created",
                        to: &to,
                        record: b"{}",
                        resolved: false,
                        at: 100,
                        detail: "",
                    }) {
                        Ok(()) => wins += 1,
                        Err(StoreError::Conflict { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                wins
            })
        })
        .collect();
    let total: i32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(total, 8);
    for i in 0..8 {
        assert_eq!(s.transitions(&format!("r{i}")).unwrap().len(), 2);
    }
}

#[test]
fn two_stores_on_one_file_see_each_others_writes() {
    let db = TempDb::new("two");
    let a = Store::open(db.path()).unwrap();
    let b = Store::open(db.path()).unwrap();
    a.insert_payment(&row("shared", 1)).unwrap();
    assert_eq!(
        b.insert_payment(&row("shared", 2)),
        Err(StoreError::Duplicate("shared".into()))
    );
    assert!(b.payment("shared").unwrap().is_some());
}
