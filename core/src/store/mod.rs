//! The wallet's durable journal: one SQLite file holding everything that must
//! survive a crash or a restart.
//!
//! | table | what | written by |
//! |---|---|---|
//! | `payments` | one row per payment: id (the idempotency key), state name, the payment module's opaque JSON record, times, resolved flag | [`Store::insert_payment`], [`Store::transition`] |
//! | `transitions` | append-only log of every state change, with the record as it was after the change | [`Store::insert_payment`] (creation row), [`Store::transition`] |
//! | `auth` | PIN attempt state ([`AuthRecord`]) | [`Store::save_auth`] |
//! | `secrets` | the encrypted (PIN-derived key, then platform-wrapped) device key blob; the platform-wrapped request key | [`Store::save_sealed_key`], [`Store::save_request_key`] |
//! | `registry` | the last accepted signed key-registry document, byte for byte | [`Store::save_registry_doc`] |
//! | `paycode_provisions`, `paycode_state`, `paycode_codes`, `paycode_events`, `paycode_charges` | the pay code: provisionings, the sealed secret and counters, every code issued (never its digits), the event feed, the charges (schema version 2; see `paycode`) | [`Store::paycode_transaction`] |
//! | `shortcut_state` | the biometric and PIN-free shortcuts: the settings applied and the ones the backend accepted (the biometric public key is in them), lapse reasons, a pending narrowing push (schema version 3; see `shortcuts`) | [`Store::save_shortcuts`] |
//! | `nonces`, `replay_meta` | seen dynamic-code nonces, bounded (the persisted [`ReplayGuard`](crate::trust::ReplayGuard)) | the verifier, through `impl ReplayGuard for Store` |
//!
//! Why these settings (see `docs/decisions/0004-sqlite-journal.md`):
//! * WAL with `synchronous=FULL`: every commit is fsynced before the call
//!   returns, so a journal row written "before the first send" really is on
//!   disk before the request leaves the phone. A power cut loses nothing that
//!   a call reported as written.
//! * Schema versions in `PRAGMA user_version`, upgraded by an ordered list of
//!   migrations, each in its own transaction; `PRAGMA application_id` marks
//!   the file as ours.
//! * At open, nothing is written before the file proved usable: a file that
//!   is not a database, fails `PRAGMA quick_check`, belongs to another
//!   application or has a newer schema is refused with a typed error and left
//!   byte-for-byte untouched, so a later app version (or a human) can still
//!   recover it.
//! * `transitions` and `payments` refuse `DELETE` (and the log refuses
//!   `UPDATE`) through triggers: money records are never erased by a bug.
//!
//! [`Store`] is `Clone + Send + Sync`: clones share one connection behind a
//! mutex, and every call is one short transaction. Time is always an argument.

mod auth;
mod journal;
mod paycode;
mod replay;
mod request_key;
mod schema;
mod shortcuts;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};
use thiserror::Error;

pub use auth::{AuthRecord, AuthTx, MAX_SEALED_KEY_BYTES};
pub use journal::{
    HistoryCursor, HistoryPage, PaymentRow, Transition, TransitionRow, CREATED_DETAIL,
    MAX_DETAIL_BYTES, MAX_ID_BYTES, MAX_MERCHANT_ACCOUNT_BYTES, MAX_PAGE, MAX_RECORD_BYTES,
    MAX_STATE_BYTES,
};
pub use paycode::{
    IssuedCodeRow, PaycodeChargeRow, PaycodeStateRow, PaycodeTx, ProvisionRow,
    MAX_PAYCODE_ID_BYTES, MAX_PAYCODE_JSON_BYTES, MAX_SEALED_PAYCODE_BYTES,
};
pub use replay::MAX_NONCE_PART_BYTES;
pub use request_key::MAX_REQUEST_KEY_BYTES;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use shortcuts::{ShortcutRow, MAX_PIN_EPOCH_BYTES, MAX_SHORTCUTS_JSON_BYTES};

/// Largest registry document stored (the verifier's own cap).
pub const MAX_REGISTRY_DOC_BYTES: usize = crate::trust::registry::MAX_DOCUMENT_BYTES;

/// How long a call waits for another connection (another process on the same
/// file) to release its lock before failing with [`StoreError::Busy`].
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a store operation failed. Every variant says what the UI can do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    /// An SQLite error not covered by a more specific variant.
    #[error("database error: {0}")]
    Sqlite(String),
    /// The file is not a usable ScanPay database (not SQLite, failed the
    /// integrity check, or another application's database). It was not
    /// modified; the app should keep it aside and ask for support rather than
    /// start a fresh journal over it.
    #[error("the wallet database is damaged: {0}")]
    Corrupt(String),
    /// The file was written by a newer app version (schema `found`, this
    /// version knows up to `supported`). It was not modified: update the app.
    #[error("the wallet database has schema version {found}, this app supports up to {supported}")]
    NewerSchema {
        /// Schema version in the file.
        found: u32,
        /// Highest version this build understands.
        supported: u32,
    },
    /// A payment with this id is already journalled (idempotency keys are
    /// never re-minted).
    #[error("payment {0} already exists")]
    Duplicate(String),
    /// Compare-and-set failed: the payment is not in the state the caller
    /// expected. Nothing was changed.
    #[error("payment {id} is in state {found:?}, expected {expected:?}")]
    Conflict {
        /// Payment id.
        id: String,
        /// The state the caller expected (`Transition::from`).
        expected: String,
        /// The state found in the journal.
        found: String,
    },
    /// No payment with this id.
    #[error("payment {0} not found")]
    NotFound(String),
    /// Another connection held the database lock longer than [`BUSY_TIMEOUT`].
    /// Retrying later is safe.
    #[error("the wallet database is busy")]
    Busy,
    /// The device has no space left; nothing was written.
    #[error("no space left to write the wallet database")]
    DiskFull,
    /// The file cannot be opened or written (permissions, read-only medium,
    /// missing directory).
    #[error("the wallet database cannot be opened or written: {0}")]
    Unavailable(String),
    /// An input exceeds its cap; nothing was written.
    #[error("{what} is {len} bytes, at most {max} allowed")]
    TooLarge {
        /// Which input.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// An input is outside the range SQLite can store (times above `i64::MAX`)
    /// or empty where a value is required.
    #[error("{what} is out of range: {value}")]
    OutOfRange {
        /// Which input.
        what: &'static str,
        /// The offending value, rendered.
        value: String,
    },
    /// A thread panicked while holding the store; the connection is no longer
    /// trusted. Reopen the store.
    #[error("the store is unusable after an internal failure; reopen it")]
    Poisoned,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                    StoreError::Corrupt(e.to_string())
                }
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Busy,
                ErrorCode::DiskFull => StoreError::DiskFull,
                ErrorCode::CannotOpen
                | ErrorCode::PermissionDenied
                | ErrorCode::ReadOnly
                | ErrorCode::NoLargeFileSupport => StoreError::Unavailable(e.to_string()),
                _ => StoreError::Sqlite(e.to_string()),
            },
            // A stored integer that does not fit its Rust type was not written
            // by this code (inputs are range-checked before they are stored).
            rusqlite::Error::IntegralValueOutOfRange(..)
            | rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..) => StoreError::Corrupt(e.to_string()),
            _ => StoreError::Sqlite(e.to_string()),
        }
    }
}

/// What [`Store::settings`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// `wal` for a file, `memory` in memory.
    pub journal_mode: String,
    /// `synchronous=FULL`: every commit is fsynced.
    pub synchronous_full: bool,
    /// Foreign keys enforced.
    pub foreign_keys: bool,
    /// Deleted content overwritten.
    pub secure_delete: bool,
    /// Busy timeout in milliseconds.
    pub busy_timeout_ms: u64,
}

/// The wallet's journal. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or creates) the journal at `path`: checks it, then sets WAL,
    /// `synchronous=FULL`, foreign keys and a busy timeout, and applies any
    /// pending migrations.
    ///
    /// A file that cannot be used ([`StoreError::Corrupt`],
    /// [`StoreError::NewerSchema`]) is refused without writing to it.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags)?;
        Store::init(conn, Some(path.to_path_buf()))
    }

    /// A private in-memory journal (tests, previews). Same schema and rules,
    /// no durability.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory()?;
        Store::init(conn, None)
    }

    /// The file behind this store (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Store, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // Read-only checks first: nothing may be written to a file we refuse.
        schema::check_usable(&conn)?;
        if path.is_some() {
            let mode: String =
                conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Unavailable(format!(
                    "journal_mode WAL refused (got {mode})"
                )));
            }
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        // Deleted blobs (a replaced sealed key) are overwritten in the file,
        // not left in free pages.
        conn.pragma_update(None, "secure_delete", true)?;
        schema::migrate(&mut conn, schema::MIGRATIONS)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            path,
        })
    }

    /// Locks the connection; a poisoned lock is an error, never a panic.
    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    /// The connection's durability settings as SQLite reports them (support
    /// diagnostics; lets tests check what the store promised).
    pub fn settings(&self) -> Result<StoreSettings, StoreError> {
        let conn = self.lock()?;
        let journal_mode: String = conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        let synchronous: i64 = conn.pragma_query_value(None, "synchronous", |r| r.get(0))?;
        let foreign_keys: bool = conn.pragma_query_value(None, "foreign_keys", |r| r.get(0))?;
        let secure_delete: bool = conn.pragma_query_value(None, "secure_delete", |r| r.get(0))?;
        let busy_timeout_ms: i64 = conn.pragma_query_value(None, "busy_timeout", |r| r.get(0))?;
        Ok(StoreSettings {
            journal_mode,
            synchronous_full: synchronous == 2,
            foreign_keys,
            secure_delete,
            busy_timeout_ms: from_i64("busy_timeout", busy_timeout_ms)?,
        })
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let conn = self.lock()?;
        schema::user_version(&conn)
    }

    /// The last accepted signed registry document, byte for byte.
    pub fn load_registry_doc(&self) -> Result<Option<Vec<u8>>, StoreError> {
        use rusqlite::OptionalExtension;
        let conn = self.lock()?;
        Ok(conn
            .query_row("SELECT doc FROM registry WHERE id = 1", [], |r| r.get(0))
            .optional()?)
    }

    /// Replaces the cached registry document. Call only with a document the
    /// trust store accepted; it is re-verified when loaded at start.
    pub fn save_registry_doc(&self, doc: &[u8]) -> Result<(), StoreError> {
        check_len("registry document", doc.len(), MAX_REGISTRY_DOC_BYTES)?;
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO registry (id, doc) VALUES (1, ?1)
             ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
            [doc],
        )?;
        Ok(())
    }
}

/// Refuses an input above its cap.
pub(crate) fn check_len(what: &'static str, len: usize, max: usize) -> Result<(), StoreError> {
    if len > max {
        return Err(StoreError::TooLarge { what, len, max });
    }
    Ok(())
}

/// Converts a time or counter for SQLite (signed 64-bit).
pub(crate) fn to_i64(what: &'static str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::OutOfRange {
        what,
        value: v.to_string(),
    })
}

/// Converts a stored integer back; a negative value was not written by us.
pub(crate) fn from_i64(what: &'static str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} is negative: {v}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_an_error_not_a_panic() {
        let store = Store::open_in_memory().unwrap();
        let clone = store.clone();
        let joined = std::thread::spawn(move || {
            let _guard = clone.conn.lock().unwrap();
            panic!("simulated bug while holding the store");
        })
        .join();
        assert!(joined.is_err());
        assert_eq!(store.load_auth(), Err(StoreError::Poisoned));
        assert_eq!(
            store.insert_payment(&PaymentRow {
                id: "p".into(),
                state: "s".into(),
                record: vec![],
                created_at: 0,
                updated_at: 0,
                resolved: false,
            }),
            Err(StoreError::Poisoned)
        );
    }

    #[test]
    fn sqlite_codes_map_to_actionable_errors() {
        let err = |code: i32| {
            StoreError::from(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        assert!(matches!(
            err(rusqlite::ffi::SQLITE_CORRUPT),
            StoreError::Corrupt(_)
        ));
        assert!(matches!(
            err(rusqlite::ffi::SQLITE_NOTADB),
            StoreError::Corrupt(_)
        ));
        assert_eq!(err(rusqlite::ffi::SQLITE_BUSY), StoreError::Busy);
        assert_eq!(err(rusqlite::ffi::SQLITE_FULL), StoreError::DiskFull);
        assert!(matches!(
            err(rusqlite::ffi::SQLITE_READONLY),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            err(rusqlite::ffi::SQLITE_MISUSE),
            StoreError::Sqlite(_)
        ));
    }
}
