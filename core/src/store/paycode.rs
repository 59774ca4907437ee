//! The pay code's durable state: the provisioned (sealed) secret, every code
//! issued, the event feed as received, and the charges it describes.
//!
//! Like the payments journal, the store does not interpret: the
//! [`crate::paycode`] module decides, the store keeps its rows and makes each
//! multi-row change one `BEGIN IMMEDIATE` transaction
//! ([`Store::paycode_transaction`]), so two sessions, wallet objects or
//! processes on one file never issue the same counter nor apply one event
//! twice.
//!
//! | table | what |
//! |---|---|
//! | `paycode_provisions` | one row per provisioning (device key, backend generation, first counter, window, step); never deleted |
//! | `paycode_state` | the current provisioning: its sealed secret, the next counter to issue, the backend's lowest accepted counter, the limits last heard, the last sync |
//! | `paycode_codes` | every code issued: (provisioning, counter, step, issued_at, valid_until) — never the digits; never deleted |
//! | `paycode_events` | the feed as received, keyed by (device key, seq): the cursor is its highest seq |
//! | `paycode_charges` | one row per charge: state and the pay-code module's JSON record |
//!
//! The sealed secret goes with the device key: [`Store::reset_device_key`]
//! and [`Store::delete_sealed_key`] (a disable, a re-enrolment) delete
//! `paycode_state` in the same statement batch, since a secret that only the
//! old device key opens is useless, and the backend's feed of a new device
//! starts again at 1.

use rusqlite::{params, OptionalExtension, Row, Transaction, TransactionBehavior};

use super::{check_len, from_i64, to_i64, Store, StoreError};

/// Largest sealed pay-code secret stored (32 bytes sealed, then wrapped).
pub const MAX_SEALED_PAYCODE_BYTES: usize = 4 * 1024;
/// Largest stored JSON (an event, a charge record, the limits): as large as
/// a whole backend answer (`net::api::MAX_RESPONSE_BODY_BYTES`), so that no
/// event the client accepted can be refused here and stall the feed's
/// cursor.
pub const MAX_PAYCODE_JSON_BYTES: usize = 64 * 1024;
/// Longest charge id, account id or state name stored (same reason).
pub const MAX_PAYCODE_ID_BYTES: usize = 64 * 1024;

/// One provisioning, as answered by the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionRow {
    /// The device public key that provisioned (its feed is the events').
    pub device_public_key: Vec<u8>,
    /// The backend's generation number of the secret.
    pub generation: u32,
    /// The first counter of this secret.
    pub first_counter: u64,
    /// The backend's look-ahead window.
    pub window: u32,
    /// The time step, seconds.
    pub step_secs: u64,
    /// The account charged.
    pub account_id: String,
    /// When (wallet clock, unix seconds).
    pub provisioned_at: u64,
}

/// The current provisioning and its counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaycodeStateRow {
    /// Local id of the provisioning (`paycode_provisions`).
    pub provision_id: u64,
    /// Its details.
    pub provision: ProvisionRow,
    /// The secret, sealed and platform-wrapped.
    pub sealed_secret: Vec<u8>,
    /// The next counter the wallet issues (never decreases).
    pub counter_next: u64,
    /// The lowest counter the backend still accepts, as last heard.
    pub backend_counter_next: u64,
    /// The backend's limits as last heard (the pay-code module's JSON).
    pub limits_json: String,
    /// Codes issued from this counter on count as "since the last sync".
    pub sync_mark: u64,
    /// The last successful sync (wallet clock), if any.
    pub last_sync_at: Option<u64>,
}

/// One issued code (never its digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssuedCodeRow {
    /// The provisioning it was made under.
    pub provision_id: u64,
    /// Its counter.
    pub counter: u64,
    /// Its time step.
    pub step: u64,
    /// When it was issued (wallet clock).
    pub issued_at: u64,
    /// When the wallet stops showing it.
    pub valid_until: u64,
}

/// One charge as journalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaycodeChargeRow {
    /// The backend's charge id.
    pub charge_id: String,
    /// The pay-code module's state name.
    pub state: String,
    /// The pay-code module's record (JSON).
    pub record: String,
    /// When first heard of (wallet clock).
    pub created_at: u64,
    /// When last changed (wallet clock).
    pub updated_at: u64,
}

/// The pay-code tables inside one `BEGIN IMMEDIATE` transaction.
pub struct PaycodeTx<'a> {
    tx: &'a Transaction<'a>,
}

impl std::fmt::Debug for PaycodeTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PaycodeTx")
    }
}

impl Store {
    /// Runs `f` in one `BEGIN IMMEDIATE` transaction over the pay-code
    /// tables, committing when it returns `Ok`. `f` must be short: no network,
    /// no key derivation, no platform key store inside.
    pub fn paycode_transaction<R>(
        &self,
        f: impl FnOnce(&PaycodeTx<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&PaycodeTx { tx: &tx })?;
        tx.commit()?;
        Ok(out)
    }
}

fn check_text(what: &'static str, s: &str, max: usize) -> Result<(), StoreError> {
    check_len(what, s.len(), max)
}

impl PaycodeTx<'_> {
    /// The current provisioning, if the pay code is provisioned.
    pub fn state(&self) -> Result<Option<PaycodeStateRow>, StoreError> {
        let row = self
            .tx
            .query_row(
                "SELECT s.provision, s.sealed_secret, s.counter_next, s.backend_counter_next,
                        s.limits, s.sync_mark, s.last_sync_at,
                        p.device_public_key, p.generation, p.first_counter, p.window,
                        p.step_secs, p.account_id, p.provisioned_at
                 FROM paycode_state s JOIN paycode_provisions p ON p.id = s.provision
                 WHERE s.id = 1",
                [],
                state_from_row,
            )
            .optional()?;
        row.transpose()
    }

    /// Records a new provisioning and makes it current (replacing the
    /// previous secret, whose codes the backend no longer accepts). Counters
    /// start at `provision.first_counter`; a counter reused under another
    /// secret makes unrelated digits, so nothing repeats. Returns the
    /// provisioning's local id.
    pub fn provision(
        &self,
        provision: &ProvisionRow,
        sealed_secret: &[u8],
        limits_json: &str,
    ) -> Result<u64, StoreError> {
        check_len(
            "sealed pay-code secret",
            sealed_secret.len(),
            MAX_SEALED_PAYCODE_BYTES,
        )?;
        check_text("limits", limits_json, MAX_PAYCODE_JSON_BYTES)?;
        check_text("account id", &provision.account_id, MAX_PAYCODE_ID_BYTES)?;
        let first = to_i64("first counter", provision.first_counter)?;
        self.tx.execute(
            "INSERT INTO paycode_provisions
                 (device_public_key, generation, first_counter, window, step_secs,
                  account_id, provisioned_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                provision.device_public_key,
                provision.generation,
                first,
                provision.window,
                to_i64("step", provision.step_secs)?,
                provision.account_id,
                to_i64("provisioned_at", provision.provisioned_at)?,
            ],
        )?;
        let id = self.tx.last_insert_rowid();
        self.tx.execute(
            "INSERT INTO paycode_state
                 (id, provision, sealed_secret, counter_next, backend_counter_next, limits,
                  sync_mark, last_sync_at)
             VALUES (1, ?1, ?2, ?3, ?3, ?4, ?3, ?5)
             ON CONFLICT(id) DO UPDATE SET provision = excluded.provision,
                 sealed_secret = excluded.sealed_secret, counter_next = excluded.counter_next,
                 backend_counter_next = excluded.backend_counter_next,
                 limits = excluded.limits, sync_mark = excluded.sync_mark,
                 last_sync_at = excluded.last_sync_at",
            params![
                id,
                sealed_secret,
                first,
                limits_json,
                // Provisioning is a conversation with the backend: its
                // offline counters start there.
                to_i64("provisioned_at", provision.provisioned_at)?,
            ],
        )?;
        from_i64("provision id", id)
    }

    /// Issues the next counter: writes the code's row and moves
    /// `counter_next` past it, in this transaction. Returns the counter.
    pub fn issue(
        &self,
        provision_id: u64,
        step: u64,
        issued_at: u64,
        valid_until: u64,
    ) -> Result<u64, StoreError> {
        let counter: i64 = self.tx.query_row(
            "SELECT counter_next FROM paycode_state WHERE id = 1 AND provision = ?1",
            [to_i64("provision id", provision_id)?],
            |r| r.get(0),
        )?;
        self.tx.execute(
            "INSERT INTO paycode_codes (provision, counter, step, issued_at, valid_until)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                to_i64("provision id", provision_id)?,
                counter,
                to_i64("step", step)?,
                to_i64("issued_at", issued_at)?,
                to_i64("valid_until", valid_until)?,
            ],
        )?;
        self.tx.execute(
            "UPDATE paycode_state SET counter_next = ?1 WHERE id = 1",
            [counter
                .checked_add(1)
                .ok_or_else(|| StoreError::OutOfRange {
                    what: "counter",
                    value: counter.to_string(),
                })?],
        )?;
        from_i64("counter", counter)
    }

    /// How many codes of the current provisioning were issued at or after
    /// the sync mark (the codes "since the last sync").
    pub fn issued_since_sync(&self) -> Result<u32, StoreError> {
        let n: i64 = self.tx.query_row(
            "SELECT count(*) FROM paycode_codes c JOIN paycode_state s ON c.provision = s.provision
             WHERE s.id = 1 AND c.counter >= s.sync_mark",
            [],
            |r| r.get(0),
        )?;
        u32::try_from(n).map_err(|_| StoreError::Corrupt(format!("issued count {n}")))
    }

    /// The codes issued under `provision_id`, oldest first.
    pub fn issued_codes(&self, provision_id: u64) -> Result<Vec<IssuedCodeRow>, StoreError> {
        let mut stmt = self.tx.prepare(
            "SELECT provision, counter, step, issued_at, valid_until FROM paycode_codes
             WHERE provision = ?1 ORDER BY counter",
        )?;
        let rows = stmt.query_map([to_i64("provision id", provision_id)?], |r| {
            Ok([r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?])
        })?;
        let mut out = Vec::new();
        for row in rows {
            let [p, c, s, i, v]: [i64; 5] = row?;
            out.push(IssuedCodeRow {
                provision_id: from_i64("provision", p)?,
                counter: from_i64("counter", c)?,
                step: from_i64("step", s)?,
                issued_at: from_i64("issued_at", i)?,
                valid_until: from_i64("valid_until", v)?,
            });
        }
        Ok(out)
    }

    /// The highest feed seq received for `device_public_key` (0: none): the
    /// events cursor.
    pub fn events_cursor(&self, device_public_key: &[u8]) -> Result<u64, StoreError> {
        let n: Option<i64> = self.tx.query_row(
            "SELECT max(seq) FROM paycode_events WHERE device_public_key = ?1",
            [device_public_key],
            |r| r.get(0),
        )?;
        n.map_or(Ok(0), |n| from_i64("seq", n))
    }

    /// Stores one received event; `false` when this (device, seq) was
    /// already stored (a re-fetch after a crash), in which case the caller
    /// must not apply it again.
    pub fn insert_event(
        &self,
        device_public_key: &[u8],
        seq: u64,
        charge_id: &str,
        state: &str,
        event_json: &str,
        received_at: u64,
    ) -> Result<bool, StoreError> {
        check_text("charge id", charge_id, MAX_PAYCODE_ID_BYTES)?;
        check_text("state", state, MAX_PAYCODE_ID_BYTES)?;
        check_text("event", event_json, MAX_PAYCODE_JSON_BYTES)?;
        let n = self.tx.execute(
            "INSERT OR IGNORE INTO paycode_events
                 (device_public_key, seq, charge_id, state, event, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                device_public_key,
                to_i64("seq", seq)?,
                charge_id,
                state,
                event_json,
                to_i64("received_at", received_at)?,
            ],
        )?;
        Ok(n == 1)
    }

    /// Records a successful sync of provisioning `provision_id` (nothing
    /// when another one has become current meanwhile: the answer described
    /// the old secret): the backend's counter floor and limits, and the new
    /// sync mark (codes issued from `sync_mark` on were issued
    /// after the backend reset its offline counters). The wallet's next
    /// counter moves up to the backend's floor, never down.
    pub fn record_sync(
        &self,
        provision_id: u64,
        backend_counter_next: u64,
        limits_json: &str,
        sync_mark: u64,
        at: u64,
    ) -> Result<(), StoreError> {
        check_text("limits", limits_json, MAX_PAYCODE_JSON_BYTES)?;
        let floor = to_i64("counter", backend_counter_next)?;
        self.tx.execute(
            "UPDATE paycode_state SET
                 backend_counter_next = max(backend_counter_next, ?1),
                 counter_next = max(counter_next, ?1),
                 limits = ?2, sync_mark = max(sync_mark, ?3), last_sync_at = ?4
             WHERE id = 1 AND provision = ?5",
            params![
                floor,
                limits_json,
                to_i64("sync mark", sync_mark)?,
                to_i64("at", at)?,
                to_i64("provision id", provision_id)?,
            ],
        )?;
        Ok(())
    }

    /// One charge.
    pub fn charge(&self, charge_id: &str) -> Result<Option<PaycodeChargeRow>, StoreError> {
        self.tx
            .query_row(
                "SELECT charge_id, state, record, created_at, updated_at
                 FROM paycode_charges WHERE charge_id = ?1",
                [charge_id],
                charge_from_row,
            )
            .optional()?
            .transpose()
    }

    /// Inserts or replaces a charge's row (`created_at` is kept from the
    /// first write).
    pub fn save_charge(&self, row: &PaycodeChargeRow) -> Result<(), StoreError> {
        check_text("charge id", &row.charge_id, MAX_PAYCODE_ID_BYTES)?;
        check_text("state", &row.state, MAX_PAYCODE_ID_BYTES)?;
        check_text("charge record", &row.record, MAX_PAYCODE_JSON_BYTES)?;
        self.tx.execute(
            "INSERT INTO paycode_charges (charge_id, state, record, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(charge_id) DO UPDATE SET state = excluded.state,
                 record = excluded.record, updated_at = excluded.updated_at",
            params![
                row.charge_id,
                row.state,
                row.record,
                to_i64("created_at", row.created_at)?,
                to_i64("updated_at", row.updated_at)?,
            ],
        )?;
        Ok(())
    }

    /// Charges, newest first (by first heard of), at most `limit`.
    pub fn charges(&self, limit: u32) -> Result<Vec<PaycodeChargeRow>, StoreError> {
        let mut stmt = self.tx.prepare(
            "SELECT charge_id, state, record, created_at, updated_at FROM paycode_charges
             ORDER BY created_at DESC, rowid DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], charge_from_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row??);
        }
        Ok(out)
    }
}

type Decoded<T> = Result<T, StoreError>;

fn state_from_row(r: &Row<'_>) -> rusqlite::Result<Decoded<PaycodeStateRow>> {
    let provision: i64 = r.get(0)?;
    let sealed_secret: Vec<u8> = r.get(1)?;
    let counter_next: i64 = r.get(2)?;
    let backend_counter_next: i64 = r.get(3)?;
    let limits_json: String = r.get(4)?;
    let sync_mark: i64 = r.get(5)?;
    let last_sync_at: Option<i64> = r.get(6)?;
    let device_public_key: Vec<u8> = r.get(7)?;
    let generation: u32 = r.get(8)?;
    let first_counter: i64 = r.get(9)?;
    let window: u32 = r.get(10)?;
    let step_secs: i64 = r.get(11)?;
    let account_id: String = r.get(12)?;
    let provisioned_at: i64 = r.get(13)?;
    Ok((|| {
        Ok(PaycodeStateRow {
            provision_id: from_i64("provision", provision)?,
            provision: ProvisionRow {
                device_public_key,
                generation,
                first_counter: from_i64("first counter", first_counter)?,
                window,
                step_secs: from_i64("step", step_secs)?,
                account_id,
                provisioned_at: from_i64("provisioned_at", provisioned_at)?,
            },
            sealed_secret,
            counter_next: from_i64("counter", counter_next)?,
            backend_counter_next: from_i64("counter", backend_counter_next)?,
            limits_json,
            sync_mark: from_i64("sync mark", sync_mark)?,
            last_sync_at: last_sync_at.map(|t| from_i64("last sync", t)).transpose()?,
        })
    })())
}

fn charge_from_row(r: &Row<'_>) -> rusqlite::Result<Decoded<PaycodeChargeRow>> {
    let charge_id: String = r.get(0)?;
    let state: String = r.get(1)?;
    let record: String = r.get(2)?;
    let created_at: i64 = r.get(3)?;
    let updated_at: i64 = r.get(4)?;
    Ok((|| {
        Ok(PaycodeChargeRow {
            charge_id,
            state,
            record,
            created_at: from_i64("created_at", created_at)?,
            updated_at: from_i64("updated_at", updated_at)?,
        })
    })())
}

/// Version 2 of the schema: the pay-code tables.
pub(crate) fn migrate_v2(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "
        CREATE TABLE paycode_provisions (
            id                INTEGER PRIMARY KEY AUTOINCREMENT,
            device_public_key BLOB    NOT NULL,
            generation        INTEGER NOT NULL CHECK (generation >= 0),
            first_counter     INTEGER NOT NULL CHECK (first_counter >= 0),
            window            INTEGER NOT NULL CHECK (window >= 0),
            step_secs         INTEGER NOT NULL CHECK (step_secs >= 0),
            account_id        TEXT    NOT NULL,
            provisioned_at    INTEGER NOT NULL CHECK (provisioned_at >= 0)
        );
        CREATE TRIGGER paycode_provisions_never_deleted BEFORE DELETE ON paycode_provisions
            BEGIN SELECT RAISE(ABORT, 'provisionings are never deleted'); END;

        CREATE TABLE paycode_state (
            id                   INTEGER PRIMARY KEY CHECK (id = 1),
            provision            INTEGER NOT NULL REFERENCES paycode_provisions (id),
            sealed_secret        BLOB    NOT NULL,
            counter_next         INTEGER NOT NULL CHECK (counter_next >= 0),
            backend_counter_next INTEGER NOT NULL CHECK (backend_counter_next >= 0),
            limits               TEXT    NOT NULL,
            sync_mark            INTEGER NOT NULL CHECK (sync_mark >= 0),
            last_sync_at         INTEGER CHECK (last_sync_at >= 0)
        );

        CREATE TABLE paycode_codes (
            provision   INTEGER NOT NULL REFERENCES paycode_provisions (id),
            counter     INTEGER NOT NULL CHECK (counter >= 0),
            step        INTEGER NOT NULL CHECK (step >= 0),
            issued_at   INTEGER NOT NULL CHECK (issued_at >= 0),
            valid_until INTEGER NOT NULL CHECK (valid_until >= 0),
            PRIMARY KEY (provision, counter)
        ) WITHOUT ROWID;
        CREATE TRIGGER paycode_codes_never_deleted BEFORE DELETE ON paycode_codes
            BEGIN SELECT RAISE(ABORT, 'issued codes are never deleted'); END;
        CREATE TRIGGER paycode_codes_never_updated BEFORE UPDATE ON paycode_codes
            BEGIN SELECT RAISE(ABORT, 'issued codes are never changed'); END;

        CREATE TABLE paycode_events (
            device_public_key BLOB    NOT NULL,
            seq               INTEGER NOT NULL CHECK (seq >= 1),
            charge_id         TEXT    NOT NULL,
            state             TEXT    NOT NULL,
            event             TEXT    NOT NULL,
            received_at       INTEGER NOT NULL CHECK (received_at >= 0),
            PRIMARY KEY (device_public_key, seq)
        ) WITHOUT ROWID;
        CREATE TRIGGER paycode_events_never_deleted BEFORE DELETE ON paycode_events
            BEGIN SELECT RAISE(ABORT, 'received events are never deleted'); END;

        CREATE TABLE paycode_charges (
            charge_id  TEXT    PRIMARY KEY NOT NULL,
            state      TEXT    NOT NULL,
            record     TEXT    NOT NULL,
            created_at INTEGER NOT NULL CHECK (created_at >= 0),
            updated_at INTEGER NOT NULL CHECK (updated_at >= 0)
        );
        CREATE INDEX paycode_charges_by_created ON paycode_charges (created_at);
        CREATE TRIGGER paycode_charges_never_deleted BEFORE DELETE ON paycode_charges
            BEGIN SELECT RAISE(ABORT, 'charges are never deleted'); END;
        ",
    )
}

/// Deletes the current pay-code provisioning (its sealed secret) inside a
/// device-key deletion: called by the store's own device-key paths.
pub(crate) fn drop_secret(conn: &rusqlite::Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM paycode_state WHERE id = 1", [])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provision(store: &Store, key: &[u8], first: u64) -> u64 {
        store
            .paycode_transaction(|tx| {
                tx.provision(
                    &ProvisionRow {
                        device_public_key: key.to_vec(),
                        generation: 1,
                        first_counter: first,
                        window: 50,
                        step_secs: 60,
                        account_id: "acct".into(),
                        provisioned_at: 1000,
                    },
                    b"sealed",
                    "{}",
                )
            })
            .unwrap()
    }

    #[test]
    fn counters_only_go_up_and_rows_are_never_deleted() {
        let store = Store::open_in_memory().unwrap();
        let p = provision(&store, b"k1", 5);
        let c1 = store
            .paycode_transaction(|tx| tx.issue(p, 10, 1000, 1060))
            .unwrap();
        let c2 = store
            .paycode_transaction(|tx| tx.issue(p, 10, 1001, 1061))
            .unwrap();
        assert_eq!((c1, c2), (5, 6));
        assert_eq!(
            store
                .paycode_transaction(|tx| tx.issued_since_sync())
                .unwrap(),
            2
        );
        // The backend floor below ours does not move us back.
        store
            .paycode_transaction(|tx| tx.record_sync(p, 3, "{}", 7, 1100))
            .unwrap();
        let st = store.paycode_transaction(|tx| tx.state()).unwrap().unwrap();
        assert_eq!((st.counter_next, st.backend_counter_next), (7, 5));
        assert_eq!(
            store
                .paycode_transaction(|tx| tx.issued_since_sync())
                .unwrap(),
            0
        );
        let conn = store.lock().unwrap();
        assert!(conn.execute("DELETE FROM paycode_codes", []).is_err());
    }

    #[test]
    fn events_are_stored_once_and_the_secret_goes_with_the_device_key() {
        let store = Store::open_in_memory().unwrap();
        provision(&store, b"k1", 0);
        let ins = |seq| {
            store
                .paycode_transaction(|tx| tx.insert_event(b"k1", seq, "chg", "paid", "{}", 5))
                .unwrap()
        };
        assert!(ins(1));
        assert!(!ins(1));
        assert!(ins(2));
        assert_eq!(
            store
                .paycode_transaction(|tx| tx.events_cursor(b"k1"))
                .unwrap(),
            2
        );
        assert_eq!(
            store
                .paycode_transaction(|tx| tx.events_cursor(b"k2"))
                .unwrap(),
            0
        );
        store.reset_device_key().unwrap();
        assert_eq!(store.paycode_transaction(|tx| tx.state()).unwrap(), None);
        provision(&store, b"k1", 0);
        store.delete_sealed_key().unwrap();
        assert_eq!(store.paycode_transaction(|tx| tx.state()).unwrap(), None);
    }
}
