//! The shortcut state (issue 12, ADR 0022): what the wallet applies, what the
//! backend last accepted, why a shortcut lapsed, and whether a narrowing
//! document still has to be pushed.
//!
//! Like the payments journal, the store does not interpret: the settings and
//! the lapses are the payment module's JSON (`crate::payment::ShortcutService`
//! decides), kept in one row so that a change of settings, lapses and the
//! pending flag is one write.
//!
//! | column | what |
//! |---|---|
//! | `current` | the settings the wallet applies now (never wider than `held`) |
//! | `held` | the settings the backend last accepted; NULL when it holds none the wallet knows of |
//! | `lapses` | why shortcuts were turned off, for the UI |
//! | `push_pending` | `current` is narrower than `held` and still has to be pushed |
//! | `version_high` | the highest settings version ever signed (a lost answer may have been accepted) |
//! | `pin_epoch` | a digest of the sealed device key when the PIN last signed the settings: another one means the PIN changed since |
//!
//! The row goes with the device key: the settings are signed by it and
//! registered against it, so [`Store::reset_device_key`] and
//! [`Store::delete_sealed_key`] (a disable, a re-enrolment) delete it in the
//! same statement batch.

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{check_len, from_i64, to_i64, Store, StoreError};

/// Largest stored settings or lapses JSON. A settings document with a
/// biometric key and a handful of currencies is well under 2 KiB.
pub const MAX_SHORTCUTS_JSON_BYTES: usize = 16 * 1024;
/// Largest stored PIN epoch (a SHA-256 digest is 32 bytes).
pub const MAX_PIN_EPOCH_BYTES: usize = 64;

/// The shortcut state row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortcutRow {
    /// The settings the wallet applies (JSON).
    pub current: String,
    /// The settings the backend last accepted (JSON), if any.
    pub held: Option<String>,
    /// The lapse reasons (JSON).
    pub lapses: String,
    /// A narrowing document still has to reach the backend.
    pub push_pending: bool,
    /// The highest settings version ever signed by this wallet.
    pub version_high: u64,
    /// Identifies the PIN that last signed the settings (a digest of the
    /// sealed device key then); `None` before any opt-in.
    pub pin_epoch: Option<Vec<u8>>,
    /// When the row last changed (wallet clock, unix seconds).
    pub updated_at: u64,
}

impl Store {
    /// The shortcut state, if the wallet ever had one.
    pub fn load_shortcuts(&self) -> Result<Option<ShortcutRow>, StoreError> {
        let conn = self.lock()?;
        type Raw = (
            String,
            Option<String>,
            String,
            bool,
            i64,
            Option<Vec<u8>>,
            i64,
        );
        let row: Option<Raw> = conn
            .query_row(
                "SELECT current, held, lapses, push_pending, version_high, pin_epoch, updated_at
                 FROM shortcut_state WHERE id = 1",
                [],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .optional()?;
        let Some((current, held, lapses, push_pending, version_high, pin_epoch, updated_at)) = row
        else {
            return Ok(None);
        };
        Ok(Some(ShortcutRow {
            current,
            held,
            lapses,
            push_pending,
            version_high: from_i64("version_high", version_high)?,
            pin_epoch,
            updated_at: from_i64("updated_at", updated_at)?,
        }))
    }

    /// Replaces the shortcut state in one statement.
    pub fn save_shortcuts(&self, row: &ShortcutRow) -> Result<(), StoreError> {
        for (what, text) in [
            ("shortcut settings", row.current.as_str()),
            ("shortcut lapses", row.lapses.as_str()),
        ] {
            check_len(what, text.len(), MAX_SHORTCUTS_JSON_BYTES)?;
        }
        if let Some(held) = &row.held {
            check_len(
                "held shortcut settings",
                held.len(),
                MAX_SHORTCUTS_JSON_BYTES,
            )?;
        }
        if let Some(epoch) = &row.pin_epoch {
            check_len("PIN epoch", epoch.len(), MAX_PIN_EPOCH_BYTES)?;
        }
        let version_high = to_i64("version_high", row.version_high)?;
        let updated_at = to_i64("updated_at", row.updated_at)?;
        let conn = self.lock()?;
        conn.execute(
            "INSERT INTO shortcut_state
                 (id, current, held, lapses, push_pending, version_high, pin_epoch, updated_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT(id) DO UPDATE SET
                 current = excluded.current, held = excluded.held,
                 lapses = excluded.lapses, push_pending = excluded.push_pending,
                 version_high = excluded.version_high, pin_epoch = excluded.pin_epoch,
                 updated_at = excluded.updated_at",
            params![
                row.current,
                row.held,
                row.lapses,
                row.push_pending,
                version_high,
                row.pin_epoch,
                updated_at
            ],
        )?;
        Ok(())
    }
}

/// Deletes the shortcut state (it belongs to the device key being deleted).
pub(crate) fn drop_shortcuts(conn: &Connection) -> Result<(), StoreError> {
    conn.execute("DELETE FROM shortcut_state WHERE id = 1", [])?;
    Ok(())
}

/// Version 3: the shortcut state.
pub(crate) fn migrate_v3(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "
        CREATE TABLE shortcut_state (
            id           INTEGER PRIMARY KEY CHECK (id = 1),
            current      TEXT    NOT NULL,
            held         TEXT,
            lapses       TEXT    NOT NULL,
            push_pending INTEGER NOT NULL CHECK (push_pending IN (0, 1)),
            version_high INTEGER NOT NULL CHECK (version_high >= 0),
            pin_epoch    BLOB,
            updated_at   INTEGER NOT NULL CHECK (updated_at >= 0)
        );
        ",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ShortcutRow {
        ShortcutRow {
            current: "{\"v\":2}".into(),
            held: Some("{\"v\":1}".into()),
            lapses: "[]".into(),
            push_pending: true,
            version_high: 2,
            pin_epoch: Some(vec![7; 32]),
            updated_at: 1_767_225_600,
        }
    }

    #[test]
    fn round_trips_and_goes_with_the_device_key() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.load_shortcuts().unwrap(), None);
        store.save_shortcuts(&row()).unwrap();
        assert_eq!(store.load_shortcuts().unwrap(), Some(row()));
        let later = ShortcutRow {
            held: None,
            push_pending: false,
            ..row()
        };
        store.save_shortcuts(&later).unwrap();
        assert_eq!(store.load_shortcuts().unwrap(), Some(later));
        store.reset_device_key().unwrap();
        assert_eq!(store.load_shortcuts().unwrap(), None);
        store.save_shortcuts(&row()).unwrap();
        store.delete_sealed_key().unwrap();
        assert_eq!(store.load_shortcuts().unwrap(), None);
    }

    #[test]
    fn oversized_or_out_of_range_input_is_refused() {
        let store = Store::open_in_memory().unwrap();
        let big = ShortcutRow {
            current: "x".repeat(MAX_SHORTCUTS_JSON_BYTES + 1),
            ..row()
        };
        assert!(matches!(
            store.save_shortcuts(&big),
            Err(StoreError::TooLarge { .. })
        ));
        let far = ShortcutRow {
            version_high: u64::MAX,
            ..row()
        };
        assert!(matches!(
            store.save_shortcuts(&far),
            Err(StoreError::OutOfRange { .. })
        ));
        assert_eq!(store.load_shortcuts().unwrap(), None);
    }
}
