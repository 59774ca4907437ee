//! The wrapped request key (see `crate::auth::request_key`).
//!
//! It lives in the `secrets` table under its own name, beside the sealed
//! device key, and is deliberately *not* removed by
//! [`Store::reset_device_key`]: a wallet whose PIN key was reset and which
//! registers again keeps the same request key, so the backend still lets it
//! query and reverse the payments it made before the reset.

use rusqlite::OptionalExtension;

use super::{check_len, Store, StoreError};

/// Largest wrapped request key stored (a 32-byte seed plus the key store's
/// wrapping overhead is well under a kilobyte).
pub const MAX_REQUEST_KEY_BYTES: usize = 4 * 1024;

/// The `secrets` row holding the wrapped request key.
const REQUEST_KEY: &str = "request_key";

impl Store {
    /// The platform-wrapped request key seed, if one was created.
    pub fn load_request_key(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT value FROM secrets WHERE name = ?1",
                [REQUEST_KEY],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Stores the platform-wrapped request key seed. It is only ever written
    /// once per wallet (when there is none), but an existing row is replaced
    /// (and overwritten in the file: `secure_delete`) rather than refused.
    pub fn save_request_key(&self, wrapped: &[u8]) -> Result<(), StoreError> {
        check_len("request key", wrapped.len(), MAX_REQUEST_KEY_BYTES)?;
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO secrets (name, value) VALUES (?1, ?2)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            rusqlite::params![REQUEST_KEY, wrapped],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survives_a_device_key_reset() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.load_request_key().unwrap(), None);
        store.save_request_key(b"wrapped").unwrap();
        store.save_sealed_key(b"sealed").unwrap();
        store.reset_device_key().unwrap();
        assert_eq!(store.load_sealed_key().unwrap(), None);
        assert_eq!(
            store.load_request_key().unwrap().as_deref(),
            Some(&b"wrapped"[..])
        );
        assert!(store
            .save_request_key(&[0; MAX_REQUEST_KEY_BYTES + 1])
            .is_err());
    }
}
