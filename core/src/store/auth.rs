//! PIN attempt state and the sealed device key.
//!
//! Each accessor exists twice: on [`Store`] (one statement, its own implicit
//! transaction) and on [`AuthTx`] (inside [`Store::auth_transaction`]). The
//! authenticator's read-modify-write steps (count a failure, enrol, record a
//! success) go through `AuthTx`, so that two wallet objects or two processes
//! on the same file can never both read the same count and each write it back
//! plus one: SQLite serialises `BEGIN IMMEDIATE` transactions across
//! connections and processes, and every value is re-read inside.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{check_len, from_i64, to_i64, Store, StoreError};

/// Largest sealed device-key blob stored (a PKCS#8 Ed25519 key, encrypted and
/// platform-wrapped, plus KDF parameters, is a few hundred bytes).
pub const MAX_SEALED_KEY_BYTES: usize = 16 * 1024;

/// The `secrets` row holding the sealed device key.
const DEVICE_KEY: &str = "device_key";

/// PIN attempt state, owned by the auth module; the store only persists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthRecord {
    /// Consecutive failed PIN attempts.
    pub failures: u32,
    /// How many waits were imposed (drives the doubling).
    pub lockouts: u32,
    /// No attempt is evaluated before this time (unix seconds).
    pub locked_until: u64,
    /// The device key is disabled until re-enrolment.
    pub disabled: bool,
    /// Highest time ever seen, so setting the clock back does not shorten a wait.
    pub clock_high_water: u64,
}

/// The PIN state inside one `BEGIN IMMEDIATE` transaction (see
/// [`Store::auth_transaction`]). Holds the database's write lock: no other
/// connection, in this process or another, writes until it ends.
pub struct AuthTx<'a> {
    tx: &'a Transaction<'a>,
}

impl std::fmt::Debug for AuthTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuthTx")
    }
}

impl AuthTx<'_> {
    /// The PIN attempt state, as committed by whoever wrote last.
    pub fn load_auth(&self) -> Result<Option<AuthRecord>, StoreError> {
        load_auth(self.tx)
    }

    /// Writes the PIN attempt state (visible to others at commit).
    pub fn save_auth(&self, rec: &AuthRecord) -> Result<(), StoreError> {
        save_auth(self.tx, rec)
    }

    /// The sealed device key blob, if enrolled.
    pub fn load_sealed_key(&self) -> Result<Option<Vec<u8>>, StoreError> {
        load_sealed_key(self.tx)
    }

    /// Stores (or replaces) the sealed device key blob.
    pub fn save_sealed_key(&self, blob: &[u8]) -> Result<(), StoreError> {
        save_sealed_key(self.tx, blob)
    }

    /// Deletes the sealed device key; a missing key is not an error.
    pub fn delete_sealed_key(&self) -> Result<(), StoreError> {
        delete_sealed_key(self.tx)
    }
}

impl Store {
    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the PIN state and
    /// commits when it returns `Ok` (whatever the `R` inside says: a refusal
    /// such as "disabled" may still have writes to keep); an `Err` rolls back.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock before the first read, so the
    /// values `f` reads cannot change under it: this is what makes "read the
    /// failure count, add one, write it" exact across threads, wallet objects
    /// on the same file, and processes. Another writer waits up to
    /// [`super::BUSY_TIMEOUT`] ([`StoreError::Busy`] after that), so `f` must
    /// be short: no key derivation and no call into app code (a platform key
    /// store) inside.
    pub fn auth_transaction<R>(
        &self,
        f: impl FnOnce(&AuthTx<'_>) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&AuthTx { tx: &tx })?;
        tx.commit()?;
        Ok(out)
    }

    /// The persisted PIN attempt state, if any was saved.
    pub fn load_auth(&self) -> Result<Option<AuthRecord>, StoreError> {
        load_auth(&*self.lock()?)
    }

    /// Saves the PIN attempt state. Durable (fsynced) before it returns, so
    /// a failure counted before an attempt survives killing the app.
    ///
    /// A blind write: the authenticator counts attempts through
    /// [`Store::auth_transaction`] instead, which re-reads under the lock.
    pub fn save_auth(&self, rec: &AuthRecord) -> Result<(), StoreError> {
        save_auth(&*self.lock()?, rec)
    }

    /// The sealed device key blob, if enrolled.
    pub fn load_sealed_key(&self) -> Result<Option<Vec<u8>>, StoreError> {
        load_sealed_key(&*self.lock()?)
    }

    /// Stores (or replaces) the sealed device key blob. The replaced blob is
    /// overwritten in the file (`secure_delete`).
    pub fn save_sealed_key(&self, blob: &[u8]) -> Result<(), StoreError> {
        save_sealed_key(&*self.lock()?, blob)
    }

    /// Deletes the sealed device key and the PIN attempt record together, in
    /// one transaction: afterwards the wallet is simply not enrolled, with no
    /// failures, wait or disable carried over. Payments, their log, the
    /// registry and the seen nonces are not touched. Only
    /// `Authenticator::reset_device_key` should call this.
    ///
    /// One transaction because the two halves alone are unsafe in one order
    /// (counters cleared while the old key is still there would hand out fresh
    /// guesses) and confusing in the other (no key, yet "disabled").
    pub fn reset_device_key(&self) -> Result<(), StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM secrets WHERE name = ?1", [DEVICE_KEY])?;
        super::paycode::drop_secret(&tx)?;
        super::shortcuts::drop_shortcuts(&tx)?;
        tx.execute("DELETE FROM auth WHERE id = 1", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Deletes the sealed device key (disable or re-enrolment). Deleting a
    /// missing key is not an error.
    pub fn delete_sealed_key(&self) -> Result<(), StoreError> {
        delete_sealed_key(&*self.lock()?)
    }
}

fn load_auth(conn: &Connection) -> Result<Option<AuthRecord>, StoreError> {
    let row: Option<(i64, i64, i64, bool, i64)> = conn
        .query_row(
            "SELECT failures, lockouts, locked_until, disabled, clock_high_water
             FROM auth WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    let Some((failures, lockouts, locked_until, disabled, high)) = row else {
        return Ok(None);
    };
    let small = |what: &'static str, v: i64| {
        u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what} is {v}")))
    };
    Ok(Some(AuthRecord {
        failures: small("failures", failures)?,
        lockouts: small("lockouts", lockouts)?,
        locked_until: from_i64("locked_until", locked_until)?,
        disabled,
        clock_high_water: from_i64("clock_high_water", high)?,
    }))
}

fn save_auth(conn: &Connection, rec: &AuthRecord) -> Result<(), StoreError> {
    let locked_until = to_i64("locked_until", rec.locked_until)?;
    let high = to_i64("clock_high_water", rec.clock_high_water)?;
    conn.execute(
        "INSERT INTO auth (id, failures, lockouts, locked_until, disabled, clock_high_water)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(id) DO UPDATE SET failures = excluded.failures,
             lockouts = excluded.lockouts, locked_until = excluded.locked_until,
             disabled = excluded.disabled, clock_high_water = excluded.clock_high_water",
        rusqlite::params![rec.failures, rec.lockouts, locked_until, rec.disabled, high],
    )?;
    Ok(())
}

fn load_sealed_key(conn: &Connection) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .query_row(
            "SELECT value FROM secrets WHERE name = ?1",
            [DEVICE_KEY],
            |r| r.get(0),
        )
        .optional()?)
}

fn save_sealed_key(conn: &Connection, blob: &[u8]) -> Result<(), StoreError> {
    check_len("sealed key", blob.len(), MAX_SEALED_KEY_BYTES)?;
    conn.execute(
        "INSERT INTO secrets (name, value) VALUES (?1, ?2)
         ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        rusqlite::params![DEVICE_KEY, blob],
    )?;
    Ok(())
}

fn delete_sealed_key(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM secrets WHERE name = ?1", [DEVICE_KEY])?;
    // The pay-code secret is sealed under a key derived from the device key
    // (ADR 0016): without it, it is dead weight, and a new device key is a
    // new device to the backend.
    super::paycode::drop_secret(conn)?;
    // The shortcut settings are signed by the device key and registered
    // against it; a disabled key must not leave PIN-free payments on.
    super::shortcuts::drop_shortcuts(conn)?;
    Ok(())
}
