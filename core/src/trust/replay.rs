//! Replay protection for dynamic (single-use) codes.
//!
//! A dynamic code carries an expiry and a nonce, both signed. The wallet
//! remembers every `(key id, nonce)` it accepted until the code's expiry; after
//! that the code is refused as expired anyway, so forgetting it is safe.
//!
//! The memory is bounded. When it is full, the entry with the *earliest expiry*
//! is evicted: that code is the one closest to being refused as expired, so the
//! window in which it could be replayed is the shortest possible. Eviction is a
//! real (small) loss of safety — the evicted code can be accepted again until it
//! expires — and it is counted ([`InMemoryReplayGuard::evictions`]) so that it is
//! visible. With the default cap of 10 000 and dynamic codes limited to 24 hours
//! of life by the verifier, eviction needs more than 10 000 distinct dynamic
//! codes scanned in a day. The payment layer's idempotency keys remain the second
//! line of defence against paying twice.
//!
//! The state must survive restarts: [`InMemoryReplayGuard::snapshot`] and
//! [`InMemoryReplayGuard::from_snapshot`] give a serialisable form that the
//! SQLite store can persist.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Default number of nonces remembered.
pub const DEFAULT_CAPACITY: usize = 10_000;
/// Largest capacity accepted (also caps what a snapshot may restore).
pub const MAX_CAPACITY: usize = 1_000_000;

/// A replay was detected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("nonce {nonce:?} of key {key_id:?} was already used")]
pub struct Replayed {
    /// The merchant key id.
    pub key_id: String,
    /// The nonce.
    pub nonce: String,
}

/// Where the verifier records the nonces of accepted dynamic codes.
///
/// Implementations must be *check-and-record*: the same `(key_id, nonce)` must
/// never be accepted twice while its code has not expired.
pub trait ReplayGuard {
    /// Whether `(key_id, nonce)` has been recorded and not yet forgotten.
    fn seen(&self, key_id: &str, nonce: &str) -> bool;

    /// Records `(key_id, nonce)` for a code valid until `expires_at`, or
    /// reports a replay. `now` lets the guard drop expired entries first.
    fn check_and_record(
        &mut self,
        key_id: &str,
        nonce: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Replayed>;

    /// Forgets `(key_id, nonce)`. For the payment flow only: when a verified
    /// dynamic code is abandoned *before* any payment request was sent, the
    /// code may be scanned again.
    fn release(&mut self, key_id: &str, nonce: &str);
}

/// One remembered nonce, as persisted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeenNonce {
    /// The merchant key id.
    pub key_id: String,
    /// The nonce.
    pub nonce: String,
    /// The code's expiry (unix seconds).
    pub expires_at: u64,
}

/// The persisted state of an [`InMemoryReplayGuard`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplaySnapshot {
    /// Capacity of the guard.
    pub capacity: usize,
    /// Evictions so far.
    pub evictions: u64,
    /// The remembered nonces.
    pub entries: Vec<SeenNonce>,
}

/// A snapshot could not be restored.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotError {
    /// The snapshot's capacity is 0 or above [`MAX_CAPACITY`], or it holds more
    /// entries than its capacity.
    #[error("snapshot capacity {capacity} with {entries} entries is not acceptable")]
    BadCapacity {
        /// Declared capacity.
        capacity: usize,
        /// Entries present.
        entries: usize,
    },
}

/// A bounded, in-memory [`ReplayGuard`] with earliest-expiry eviction.
#[derive(Debug, Clone)]
pub struct InMemoryReplayGuard {
    capacity: usize,
    evictions: u64,
    by_key: HashMap<(String, String), u64>,
    by_expiry: BTreeSet<(u64, String, String)>,
}

impl Default for InMemoryReplayGuard {
    fn default() -> Self {
        InMemoryReplayGuard::new(DEFAULT_CAPACITY)
    }
}

impl InMemoryReplayGuard {
    /// A guard remembering at most `capacity` nonces (clamped to 1..=[`MAX_CAPACITY`]).
    pub fn new(capacity: usize) -> InMemoryReplayGuard {
        InMemoryReplayGuard {
            capacity: capacity.clamp(1, MAX_CAPACITY),
            evictions: 0,
            by_key: HashMap::new(),
            by_expiry: BTreeSet::new(),
        }
    }

    /// Number of nonces remembered.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether nothing is remembered.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// How many unexpired entries were evicted because the guard was full.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Drops entries whose code has expired (`expires_at <= now`).
    pub fn prune(&mut self, now: u64) {
        while let Some(first) = self.by_expiry.first().cloned() {
            if first.0 > now {
                break;
            }
            self.by_expiry.remove(&first);
            self.by_key.remove(&(first.1, first.2));
        }
    }

    fn remove(&mut self, key_id: &str, nonce: &str) {
        if let Some(exp) = self.by_key.remove(&(key_id.to_string(), nonce.to_string())) {
            self.by_expiry
                .remove(&(exp, key_id.to_string(), nonce.to_string()));
        }
    }

    /// The state, for persistence.
    pub fn snapshot(&self) -> ReplaySnapshot {
        ReplaySnapshot {
            capacity: self.capacity,
            evictions: self.evictions,
            entries: self
                .by_expiry
                .iter()
                .map(|(e, k, n)| SeenNonce {
                    key_id: k.clone(),
                    nonce: n.clone(),
                    expires_at: *e,
                })
                .collect(),
        }
    }

    /// Restores a guard from a snapshot.
    pub fn from_snapshot(s: ReplaySnapshot) -> Result<InMemoryReplayGuard, SnapshotError> {
        if s.capacity == 0 || s.capacity > MAX_CAPACITY || s.entries.len() > s.capacity {
            return Err(SnapshotError::BadCapacity {
                capacity: s.capacity,
                entries: s.entries.len(),
            });
        }
        let mut g = InMemoryReplayGuard::new(s.capacity);
        g.evictions = s.evictions;
        for e in s.entries {
            g.insert(e.key_id, e.nonce, e.expires_at);
        }
        Ok(g)
    }

    fn insert(&mut self, key_id: String, nonce: String, expires_at: u64) {
        if let Some(old) = self
            .by_key
            .insert((key_id.clone(), nonce.clone()), expires_at)
        {
            self.by_expiry.remove(&(old, key_id.clone(), nonce.clone()));
        }
        self.by_expiry.insert((expires_at, key_id, nonce));
    }
}

impl ReplayGuard for InMemoryReplayGuard {
    fn seen(&self, key_id: &str, nonce: &str) -> bool {
        self.by_key
            .contains_key(&(key_id.to_string(), nonce.to_string()))
    }

    fn check_and_record(
        &mut self,
        key_id: &str,
        nonce: &str,
        expires_at: u64,
        now: u64,
    ) -> Result<(), Replayed> {
        self.prune(now);
        if self.seen(key_id, nonce) {
            return Err(Replayed {
                key_id: key_id.to_string(),
                nonce: nonce.to_string(),
            });
        }
        while self.by_key.len() >= self.capacity {
            let Some(first) = self.by_expiry.pop_first() else {
                break;
            };
            self.by_key.remove(&(first.1, first.2));
            self.evictions += 1;
        }
        self.insert(key_id.to_string(), nonce.to_string(), expires_at);
        Ok(())
    }

    fn release(&mut self, key_id: &str, nonce: &str) {
        self.remove(key_id, nonce);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_use_is_a_replay() {
        let mut g = InMemoryReplayGuard::new(4);
        assert!(g.check_and_record("k", "n1", 100, 10).is_ok());
        assert!(g.check_and_record("k", "n1", 100, 11).is_err());
        // Same nonce under another key is another code.
        assert!(g.check_and_record("k2", "n1", 100, 11).is_ok());
        g.release("k", "n1");
        assert!(g.check_and_record("k", "n1", 100, 12).is_ok());
    }

    #[test]
    fn expired_entries_are_pruned_and_full_guard_evicts_earliest_expiry() {
        let mut g = InMemoryReplayGuard::new(2);
        assert!(g.check_and_record("k", "a", 50, 0).is_ok());
        assert!(g.check_and_record("k", "b", 200, 0).is_ok());
        // At t=60, "a" has expired: pruned, no eviction needed.
        assert!(g.check_and_record("k", "c", 300, 60).is_ok());
        assert_eq!(g.evictions(), 0);
        assert!(!g.seen("k", "a"));
        // Full with live entries: "b" (earliest expiry) goes.
        assert!(g.check_and_record("k", "d", 400, 61).is_ok());
        assert_eq!(g.evictions(), 1);
        assert!(!g.seen("k", "b"));
        assert!(g.seen("k", "c") && g.seen("k", "d"));
        assert_eq!(g.len(), 2);
    }

    #[test]
    fn snapshot_round_trips_through_json() {
        let mut g = InMemoryReplayGuard::new(8);
        for (i, n) in ["x", "y", "z"].iter().enumerate() {
            assert!(g.check_and_record("k", n, 100 + i as u64, 0).is_ok());
        }
        let json = serde_json::to_string(&g.snapshot()).unwrap();
        let back: ReplaySnapshot = serde_json::from_str(&json).unwrap();
        let mut g2 = InMemoryReplayGuard::from_snapshot(back).unwrap();
        assert_eq!(g2.len(), 3);
        assert!(g2.check_and_record("k", "y", 101, 1).is_err());
        assert_eq!(g2.snapshot(), g.snapshot());
        let bad = ReplaySnapshot {
            capacity: 1,
            evictions: 0,
            entries: g.snapshot().entries,
        };
        assert!(InMemoryReplayGuard::from_snapshot(bad).is_err());
    }
}
