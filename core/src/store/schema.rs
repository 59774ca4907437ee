//! Schema versions and migrations.
//!
//! The version lives in `PRAGMA user_version`. [`MIGRATIONS`] is ordered:
//! entry `i` upgrades version `i` to `i + 1`, so adding version 2 is one
//! function appended to the list. Each step runs in its own `IMMEDIATE`
//! transaction together with the `user_version` bump, so a crash mid-upgrade
//! leaves the file at the previous version, never half-migrated.

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::StoreError;

/// `PRAGMA application_id` of a ScanPay journal ("SPAY" in ASCII). A file
/// with a schema version but another id is someone else's database.
pub const APPLICATION_ID: i32 = 0x5350_4159;

/// One upgrade step.
pub(crate) type Migration = fn(&Transaction<'_>) -> rusqlite::Result<()>;

/// The ordered upgrade steps; `MIGRATIONS[i]` takes version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[Migration] = &[
    v1,
    super::paycode::migrate_v2,
    super::shortcuts::migrate_v3,
    super::journal::migrate_v4,
];

/// The schema version this build writes and the highest it can open.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Version 1: payments + transition log, auth, secrets, registry, nonces.
fn v1(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.execute_batch(
        "
        CREATE TABLE payments (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            id         TEXT    NOT NULL UNIQUE,
            state      TEXT    NOT NULL,
            record     BLOB    NOT NULL,
            created_at INTEGER NOT NULL CHECK (created_at >= 0),
            updated_at INTEGER NOT NULL CHECK (updated_at >= 0),
            resolved   INTEGER NOT NULL CHECK (resolved IN (0, 1))
        );
        CREATE INDEX payments_by_created ON payments (created_at, seq);
        CREATE INDEX payments_unresolved ON payments (resolved, created_at, seq);
        CREATE TRIGGER payments_never_deleted BEFORE DELETE ON payments
            BEGIN SELECT RAISE(ABORT, 'payments are never deleted'); END;

        CREATE TABLE transitions (
            seq        INTEGER PRIMARY KEY AUTOINCREMENT,
            payment_id TEXT    NOT NULL REFERENCES payments (id),
            from_state TEXT    NOT NULL,
            to_state   TEXT    NOT NULL,
            record     BLOB    NOT NULL,
            resolved   INTEGER NOT NULL CHECK (resolved IN (0, 1)),
            at         INTEGER NOT NULL CHECK (at >= 0),
            detail     TEXT    NOT NULL
        );
        CREATE INDEX transitions_by_payment ON transitions (payment_id, seq);
        CREATE TRIGGER transitions_never_updated BEFORE UPDATE ON transitions
            BEGIN SELECT RAISE(ABORT, 'the transition log is append-only'); END;
        CREATE TRIGGER transitions_never_deleted BEFORE DELETE ON transitions
            BEGIN SELECT RAISE(ABORT, 'the transition log is append-only'); END;

        CREATE TABLE auth (
            id               INTEGER PRIMARY KEY CHECK (id = 1),
            failures         INTEGER NOT NULL CHECK (failures >= 0),
            lockouts         INTEGER NOT NULL CHECK (lockouts >= 0),
            locked_until     INTEGER NOT NULL CHECK (locked_until >= 0),
            disabled         INTEGER NOT NULL CHECK (disabled IN (0, 1)),
            clock_high_water INTEGER NOT NULL CHECK (clock_high_water >= 0)
        );

        CREATE TABLE secrets (
            name  TEXT PRIMARY KEY NOT NULL,
            value BLOB NOT NULL
        );

        CREATE TABLE registry (
            id  INTEGER PRIMARY KEY CHECK (id = 1),
            doc BLOB NOT NULL
        );

        CREATE TABLE nonces (
            key_id     TEXT    NOT NULL,
            nonce      TEXT    NOT NULL,
            -- u64 shifted into i64 order-preservingly (see store::replay)
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (key_id, nonce)
        ) WITHOUT ROWID;
        CREATE INDEX nonces_by_expiry ON nonces (expires_at, key_id, nonce);

        CREATE TABLE replay_meta (
            id        INTEGER PRIMARY KEY CHECK (id = 1),
            capacity  INTEGER NOT NULL CHECK (capacity >= 1),
            evictions INTEGER NOT NULL CHECK (evictions >= 0)
        );
        ",
    )?;
    tx.execute(
        "INSERT INTO replay_meta (id, capacity, evictions) VALUES (1, ?1, 0)",
        [i64::try_from(crate::trust::replay::DEFAULT_CAPACITY).unwrap_or(i64::MAX)],
    )?;
    Ok(())
}

/// Reads `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    // user_version is a signed 32-bit header field; we only ever write small
    // positive values, so a negative one is not ours.
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("schema version {v}")))
}

/// Read-only checks before anything is written: the file is SQLite, not from
/// a newer app, ours, and passes `PRAGMA quick_check`.
pub(crate) fn check_usable(conn: &Connection) -> Result<(), StoreError> {
    // The first read of the header: a file that is not SQLite fails here
    // with SQLITE_NOTADB, mapped to `Corrupt`.
    let version = user_version(conn)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    if version > 0 {
        let app: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
        if app != APPLICATION_ID {
            return Err(StoreError::Corrupt(format!(
                "application id {app:#x} is not a ScanPay journal"
            )));
        }
    } else {
        // Version 0 must be an empty file: tables at version 0 mean another
        // application's database, which we must not migrate into.
        let objects: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'",
            [],
            |r| r.get(0),
        )?;
        if objects > 0 {
            return Err(StoreError::Corrupt(format!(
                "schema version 0 with {objects} objects is not a ScanPay journal"
            )));
        }
    }
    let mut problems = Vec::new();
    conn.pragma_query(None, "quick_check", |r| {
        let line: String = r.get(0)?;
        if line != "ok" && problems.len() < 5 {
            problems.push(line);
        }
        Ok(())
    })?;
    if !problems.is_empty() {
        return Err(StoreError::Corrupt(format!(
            "integrity check failed: {}",
            problems.join("; ")
        )));
    }
    Ok(())
}

/// Applies every pending step of `migrations`, one transaction each.
/// Returns the final version.
pub(crate) fn migrate(conn: &mut Connection, migrations: &[Migration]) -> Result<u32, StoreError> {
    let target = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Re-read inside the write lock: another process may have upgraded.
        let current = user_version(&tx)?;
        if current > target {
            return Err(StoreError::NewerSchema {
                found: current,
                supported: target,
            });
        }
        let Some(step) = usize::try_from(current)
            .ok()
            .and_then(|i| migrations.get(i))
        else {
            return Ok(current);
        };
        step(&tx)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(tx: &Transaction<'_>) -> rusqlite::Result<()> {
        tx.execute_batch("CREATE TABLE t (x INTEGER NOT NULL); INSERT INTO t VALUES (1);")
    }
    fn b(tx: &Transaction<'_>) -> rusqlite::Result<()> {
        tx.execute_batch("ALTER TABLE t ADD COLUMN y INTEGER NOT NULL DEFAULT 7;")
    }
    fn broken(tx: &Transaction<'_>) -> rusqlite::Result<()> {
        tx.execute_batch("CREATE TABLE u (z INTEGER); SELECT * FROM no_such_table;")
    }

    #[test]
    fn steps_apply_in_order_and_only_once() {
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut c, &[a]).unwrap(), 1);
        // Upgrading a v1 database to v2 runs only the new step (running `a`
        // again would fail: the table exists).
        assert_eq!(migrate(&mut c, &[a, b]).unwrap(), 2);
        let (x, y): (i64, i64) = c
            .query_row("SELECT x, y FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!((x, y), (1, 7));
        assert_eq!(migrate(&mut c, &[a, b]).unwrap(), 2);
        // An older build refuses the newer file.
        assert_eq!(
            migrate(&mut c, &[a]),
            Err(StoreError::NewerSchema {
                found: 2,
                supported: 1
            })
        );
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version_intact() {
        let mut c = Connection::open_in_memory().unwrap();
        assert!(migrate(&mut c, &[a, broken]).is_err());
        assert_eq!(user_version(&c).unwrap(), 1);
        let u: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'u'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(u, 0, "the failed step's table was rolled back");
    }

    #[test]
    fn schema_version_matches_the_list() {
        assert_eq!(SCHEMA_VERSION as usize, MIGRATIONS.len());
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut c, MIGRATIONS).unwrap(), SCHEMA_VERSION);
    }
}
