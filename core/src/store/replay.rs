//! Seen nonces of dynamic codes, persisted: `impl ReplayGuard for Store`.
//!
//! Mirrors [`InMemoryReplayGuard`](crate::trust::InMemoryReplayGuard)
//! exactly: entries whose code expired (`expires_at <= now`) are dropped
//! before each check; when the guard is full the entry with the earliest
//! expiry (ties broken by key id, then nonce, byte order) is evicted and
//! counted. The capacity defaults to
//! [`DEFAULT_CAPACITY`](crate::trust::replay::DEFAULT_CAPACITY) and is
//! stored with the nonces, so the bound survives restarts too.
//!
//! The trait cannot return a store error, so the trait methods fail
//! *closed*: if the journal cannot be read or written, `seen` answers `true`
//! and `check_and_record` reports a replay (the code is refused; a rescan
//! after the fault clears works), and a failed `release` keeps the nonce
//! (the code stays used). The inherent methods (`record_nonce`, `nonce_seen`,
//! `release_nonce`) return the typed error instead.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{check_len, from_i64, Store, StoreError};
use crate::trust::replay::{ReplayGuard, ReplaySnapshot, Replayed, SeenNonce, MAX_CAPACITY};

/// Longest key id or nonce stored (the signed-QR format allows 32 characters).
pub const MAX_NONCE_PART_BYTES: usize = 256;

/// SQLite integers are signed. Times are stored order-preservingly shifted
/// into `i64` (`u64` 0 ↦ `i64::MIN`, `u64::MAX` ↦ `i64::MAX`), so every `u64`
/// expiry and `now` compare exactly as the in-memory guard compares them.
fn enc_time(t: u64) -> i64 {
    i64::from_ne_bytes(t.to_ne_bytes()) ^ i64::MIN
}

/// Inverse of [`enc_time`].
fn dec_time(v: i64) -> u64 {
    u64::from_ne_bytes((v ^ i64::MIN).to_ne_bytes())
}

fn check_parts(key_id: &str, nonce: &str) -> Result<(), StoreError> {
    check_len("key id", key_id.len(), MAX_NONCE_PART_BYTES)?;
    check_len("nonce", nonce.len(), MAX_NONCE_PART_BYTES)
}

fn count_to_usize(n: i64) -> Result<usize, StoreError> {
    usize::try_from(n).map_err(|_| StoreError::Corrupt(format!("count {n}")))
}

impl Store {
    /// Check-and-record with typed errors: `Ok(true)` if `(key_id, nonce)`
    /// was recorded, `Ok(false)` if it is a replay. One transaction: prune
    /// expired entries, check, evict the earliest expiry while full, insert.
    pub fn record_nonce(
        &self,
        key_id: &str,
        nonce: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<bool, StoreError> {
        check_parts(key_id, nonce)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute("DELETE FROM nonces WHERE expires_at <= ?1", [enc_time(now)])?;
        let seen: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM nonces WHERE key_id = ?1 AND nonce = ?2",
                [key_id, nonce],
                |r| r.get(0),
            )
            .optional()?;
        if seen.is_some() {
            // Commit the prune: it is what the in-memory guard does too.
            tx.commit()?;
            return Ok(false);
        }
        let (capacity, count): (i64, i64) = tx.query_row(
            "SELECT capacity, (SELECT count(*) FROM nonces) FROM replay_meta WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if count >= capacity {
            let excess = count - capacity + 1;
            let evicted = tx.execute(
                "DELETE FROM nonces WHERE (key_id, nonce) IN
                   (SELECT key_id, nonce FROM nonces
                    ORDER BY expires_at, key_id, nonce LIMIT ?1)",
                [excess],
            )?;
            tx.execute(
                "UPDATE replay_meta SET evictions = evictions + ?1 WHERE id = 1",
                [i64::try_from(evicted).unwrap_or(i64::MAX)],
            )?;
        }
        tx.execute(
            "INSERT INTO nonces (key_id, nonce, expires_at) VALUES (?1, ?2, ?3)",
            params![key_id, nonce, enc_time(expires_at)],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Whether `(key_id, nonce)` is recorded and not yet forgotten.
    pub fn nonce_seen(&self, key_id: &str, nonce: &str) -> Result<bool, StoreError> {
        check_parts(key_id, nonce)?;
        let conn = self.lock()?;
        let seen: Option<i64> = conn
            .query_row(
                "SELECT 1 FROM nonces WHERE key_id = ?1 AND nonce = ?2",
                [key_id, nonce],
                |r| r.get(0),
            )
            .optional()?;
        Ok(seen.is_some())
    }

    /// Forgets `(key_id, nonce)` (a dynamic code abandoned before any send).
    pub fn release_nonce(&self, key_id: &str, nonce: &str) -> Result<(), StoreError> {
        check_parts(key_id, nonce)?;
        let conn = self.lock()?;
        conn.execute(
            "DELETE FROM nonces WHERE key_id = ?1 AND nonce = ?2",
            [key_id, nonce],
        )?;
        Ok(())
    }

    /// How many nonces are remembered.
    pub fn replay_len(&self) -> Result<usize, StoreError> {
        let conn = self.lock()?;
        let n: i64 = conn.query_row("SELECT count(*) FROM nonces", [], |r| r.get(0))?;
        count_to_usize(n)
    }

    /// How many unexpired nonces were evicted because the guard was full
    /// (each one is a code that could be replayed until it expires).
    pub fn replay_evictions(&self) -> Result<u64, StoreError> {
        let conn = self.lock()?;
        let n: i64 = conn.query_row("SELECT evictions FROM replay_meta WHERE id = 1", [], |r| {
            r.get(0)
        })?;
        from_i64("evictions", n)
    }

    /// The guard's capacity.
    pub fn replay_capacity(&self) -> Result<usize, StoreError> {
        let conn = self.lock()?;
        let n: i64 = conn.query_row("SELECT capacity FROM replay_meta WHERE id = 1", [], |r| {
            r.get(0)
        })?;
        count_to_usize(n)
    }

    /// The guard's state in the in-memory guard's snapshot form (entries by
    /// expiry, then key id, then nonce), for diagnostics and comparison.
    pub fn replay_snapshot(&self) -> Result<ReplaySnapshot, StoreError> {
        let conn = self.lock()?;
        let (capacity, evictions): (i64, i64) = conn.query_row(
            "SELECT capacity, evictions FROM replay_meta WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut stmt = conn.prepare_cached(
            "SELECT key_id, nonce, expires_at FROM nonces ORDER BY expires_at, key_id, nonce",
        )?;
        let raws = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let entries = raws
            .into_iter()
            .map(|(key_id, nonce, e)| {
                Ok(SeenNonce {
                    key_id,
                    nonce,
                    expires_at: dec_time(e),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(ReplaySnapshot {
            capacity: count_to_usize(capacity)?,
            evictions: from_i64("evictions", evictions)?,
            entries,
        })
    }

    /// Sets the capacity (clamped to `1..=MAX_CAPACITY`, like the in-memory
    /// guard) and persists it. Shrinking below the current count evicts the
    /// earliest expiries now, counted as evictions.
    pub fn set_replay_capacity(&self, capacity: usize) -> Result<(), StoreError> {
        let capacity = i64::try_from(capacity.clamp(1, MAX_CAPACITY)).unwrap_or(i64::MAX);
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let count: i64 = tx.query_row("SELECT count(*) FROM nonces", [], |r| r.get(0))?;
        if count > capacity {
            let evicted = tx.execute(
                "DELETE FROM nonces WHERE (key_id, nonce) IN
                   (SELECT key_id, nonce FROM nonces
                    ORDER BY expires_at, key_id, nonce LIMIT ?1)",
                [count - capacity],
            )?;
            tx.execute(
                "UPDATE replay_meta SET evictions = evictions + ?1 WHERE id = 1",
                [i64::try_from(evicted).unwrap_or(i64::MAX)],
            )?;
        }
        tx.execute(
            "UPDATE replay_meta SET capacity = ?1 WHERE id = 1",
            [capacity],
        )?;
        tx.commit()?;
        Ok(())
    }
}

impl ReplayGuard for Store {
    fn seen(&self, key_id: &str, nonce: &str) -> bool {
        // Fail closed: an unreadable journal counts as "seen".
        self.nonce_seen(key_id, nonce).unwrap_or(true)
    }

    fn check_and_record(
        &mut self,
        key_id: &str,
        nonce: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Replayed> {
        match self.record_nonce(key_id, nonce, expires_at, now) {
            Ok(true) => Ok(()),
            // Fail closed: a store failure refuses the code like a replay.
            Ok(false) | Err(_) => Err(Replayed {
                key_id: key_id.to_string(),
                nonce: nonce.to_string(),
            }),
        }
    }

    fn release(&mut self, key_id: &str, nonce: &str) {
        // A failed release keeps the nonce: the code stays used, which is the
        // safe direction.
        let _ = self.release_nonce(key_id, nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_encoding_round_trips_and_keeps_order() {
        let samples = [
            0,
            1,
            1_700_000_000,
            i64::MAX as u64,
            1 << 63,
            u64::MAX - 1,
            u64::MAX,
        ];
        for w in samples.windows(2) {
            assert!(enc_time(w[0]) < enc_time(w[1]), "{w:?}");
        }
        for t in samples {
            assert_eq!(dec_time(enc_time(t)), t);
        }
    }
}
