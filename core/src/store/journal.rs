//! The payments journal: one row per payment plus an append-only log of
//! every state change.
//!
//! The store does not interpret payments: `state` is the payment module's
//! state name and `record` its opaque JSON. The one exception (schema 4) is
//! `merchant_account`, the record's `merchant.account` copied into an indexed
//! column on every write, so "was this merchant paid" is an index probe;
//! a record without one leaves it NULL. What the store guarantees is
//! that an id is inserted once, that a state change is a compare-and-set
//! (so two drivers of the same payment can never both act on one state),
//! and that the row and its log entry change together or not at all.

use rusqlite::{params, OptionalExtension, Row, Transaction, TransactionBehavior};
use serde::Deserialize;

use super::{check_len, from_i64, to_i64, Store, StoreError};

/// Longest payment id (a UUID is 36 bytes).
pub const MAX_ID_BYTES: usize = 128;
/// Longest state name.
pub const MAX_STATE_BYTES: usize = 64;
/// Largest payment record (opaque JSON).
pub const MAX_RECORD_BYTES: usize = 64 * 1024;
/// Longest transition detail text.
pub const MAX_DETAIL_BYTES: usize = 4 * 1024;
/// Most rows returned by one history page.
pub const MAX_PAGE: u32 = 1000;
/// Longest merchant account kept in the `merchant_account` column. The
/// authorisation already caps the account it signs at 256 bytes
/// (`auth::MAX_ACCOUNT_LEN`); this cap only bounds what the index holds.
pub const MAX_MERCHANT_ACCOUNT_BYTES: usize = 1024;

/// Detail of the log row written by [`Store::insert_payment`].
pub const CREATED_DETAIL: &str = "created";

/// One payment as journalled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    /// The payment id, also its idempotency key (UUID v4).
    pub id: String,
    /// The payment module's state name.
    pub state: String,
    /// The payment module's record (opaque JSON bytes).
    pub record: Vec<u8>,
    /// When the payment was created (unix seconds).
    pub created_at: u64,
    /// When it last changed (unix seconds).
    pub updated_at: u64,
    /// Whether it reached an end (no more work on start).
    pub resolved: bool,
}

/// A compare-and-set state change for [`Store::transition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition<'a> {
    /// Payment id.
    pub id: &'a str,
    /// The state the caller believes the payment is in.
    pub from: &'a str,
    /// The new state.
    pub to: &'a str,
    /// The new record (replaces the old one).
    pub record: &'a [u8],
    /// Whether the payment is resolved after this change.
    pub resolved: bool,
    /// When (unix seconds); becomes `updated_at`.
    pub at: u64,
    /// Free text for the log (reason, backend code); never secrets.
    pub detail: &'a str,
}

/// One entry of a payment's transition log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionRow {
    /// Position in the journal-wide log (increasing, never reused).
    pub seq: u64,
    /// State before; empty for the creation entry.
    pub from: String,
    /// State after.
    pub to: String,
    /// When (unix seconds).
    pub at: u64,
    /// The detail text.
    pub detail: String,
}

/// Where a history page ends; pass it back to get the next (older) page.
/// Unlike a bare timestamp it cannot skip payments created in the same second.
///
/// The fields are private so a cursor normally comes from
/// [`Store::payments_page`]; [`HistoryCursor::new`] and the accessors exist so
/// the bindings can carry it across the FFI as a plain record and back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    created_at: i64,
    seq: i64,
}

impl HistoryCursor {
    /// A cursor at (`created_at`, `seq`), as read back from
    /// [`HistoryCursor::created_at`] and [`HistoryCursor::seq`]. Values above
    /// `i64::MAX` (which the journal never stores) are clamped to it: such a
    /// cursor lies after every stored payment, so its page starts at the
    /// newest, which is what a cursor "from the far future" means.
    pub fn new(created_at: u64, seq: u64) -> HistoryCursor {
        HistoryCursor {
            created_at: i64::try_from(created_at).unwrap_or(i64::MAX),
            seq: i64::try_from(seq).unwrap_or(i64::MAX),
        }
    }

    /// Creation time (unix seconds) of the last payment on the page.
    pub fn created_at(&self) -> u64 {
        // Never negative: `new` clamps, and the schema checks created_at >= 0.
        u64::try_from(self.created_at).unwrap_or(0)
    }

    /// Journal position of the last payment on the page (breaks ties between
    /// payments created in the same second).
    pub fn seq(&self) -> u64 {
        // Never negative: `new` clamps, and SQLite row ids here start at 1.
        u64::try_from(self.seq).unwrap_or(0)
    }
}

/// One page of history, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryPage {
    /// The payments on this page.
    pub rows: Vec<PaymentRow>,
    /// The cursor for the next page; `None` when this page is the last.
    pub next: Option<HistoryCursor>,
}

const COLUMNS: &str = "seq, id, state, record, created_at, updated_at, resolved";

/// seq, id, state, record, created_at, updated_at, resolved.
type RawRow = (i64, String, String, Vec<u8>, i64, i64, bool);

/// Reads a row selected with [`COLUMNS`]; the seq comes back separately.
fn read_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn to_payment(raw: RawRow) -> Result<(i64, PaymentRow), StoreError> {
    let (seq, id, state, record, created, updated, resolved) = raw;
    Ok((
        seq,
        PaymentRow {
            id,
            state,
            record,
            created_at: from_i64("created_at", created)?,
            updated_at: from_i64("updated_at", updated)?,
            resolved,
        },
    ))
}

/// The part of a payment record the store indexes: `merchant.account` (see
/// `crate::payment::PaymentRecord`). Serde skips every other field, so this
/// reads the account without decoding the whole record.
#[derive(Deserialize)]
struct IndexedRecord {
    merchant: IndexedMerchant,
}

#[derive(Deserialize)]
struct IndexedMerchant {
    account: String,
}

/// The merchant account in a record, or `None` when the record is not a
/// payment record (the store accepts any bytes; such a row is left out of
/// the index and found by [`Store::unindexed_payments_in_state_until`]).
fn merchant_account_of(record: &[u8]) -> Option<String> {
    serde_json::from_slice::<IndexedRecord>(record)
        .ok()
        .map(|r| r.merchant.account)
}

/// The `merchant_account` value for a record about to be written: refuses an
/// account above [`MAX_MERCHANT_ACCOUNT_BYTES`] like any other oversized input.
fn indexed_account(record: &[u8]) -> Result<Option<String>, StoreError> {
    let account = merchant_account_of(record);
    if let Some(a) = &account {
        check_len("merchant account", a.len(), MAX_MERCHANT_ACCOUNT_BYTES)?;
    }
    Ok(account)
}

/// Version 4: the merchant paid, as a column with an index, so that "was this
/// merchant paid before" (the PIN-free rule "the merchant is not new") is one
/// index probe instead of decoding every succeeded payment.
pub(crate) fn migrate_v4(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE payments ADD COLUMN merchant_account TEXT;")?;
    // Backfill from the records. A record that does not parse, or whose
    // account is over the cap, stays NULL: that is safe because the engine
    // decodes every NULL row in the asked state the way it decoded every row
    // before this index existed, so such a row is never silently skipped.
    let accounts = {
        let mut stmt = tx.prepare("SELECT seq, record FROM payments")?;
        let rows = stmt.query_map([], |r| {
            let seq: i64 = r.get(0)?;
            let record: Vec<u8> = r.get(1)?;
            Ok((seq, merchant_account_of(&record)))
        })?;
        let mut accounts = Vec::new();
        for row in rows {
            if let (seq, Some(a)) = row? {
                if a.len() <= MAX_MERCHANT_ACCOUNT_BYTES {
                    accounts.push((seq, a));
                }
            }
        }
        accounts
    };
    {
        let mut update = tx.prepare("UPDATE payments SET merchant_account = ?2 WHERE seq = ?1")?;
        for (seq, account) in accounts {
            update.execute(params![seq, account])?;
        }
    }
    // Built after the backfill: one sort instead of an index update per row.
    tx.execute_batch(
        "CREATE INDEX payments_by_merchant ON payments (merchant_account, state, created_at);",
    )
}

fn check_text(what: &'static str, s: &str, max: usize) -> Result<(), StoreError> {
    check_len(what, s.len(), max)?;
    if s.is_empty() {
        return Err(StoreError::OutOfRange {
            what,
            value: "empty".to_string(),
        });
    }
    Ok(())
}

impl Store {
    /// Journals a new payment, with a creation entry in its log (`from` empty,
    /// detail [`CREATED_DETAIL`]). Durable before it returns: call it before
    /// the first send. An id already present is [`StoreError::Duplicate`] and
    /// changes nothing.
    pub fn insert_payment(&self, row: &PaymentRow) -> Result<(), StoreError> {
        check_text("payment id", &row.id, MAX_ID_BYTES)?;
        check_text("state", &row.state, MAX_STATE_BYTES)?;
        check_len("record", row.record.len(), MAX_RECORD_BYTES)?;
        let created = to_i64("created_at", row.created_at)?;
        let updated = to_i64("updated_at", row.updated_at)?;
        let account = indexed_account(&row.record)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let exists: Option<i64> = tx
            .query_row("SELECT 1 FROM payments WHERE id = ?1", [&row.id], |r| {
                r.get(0)
            })
            .optional()?;
        if exists.is_some() {
            return Err(StoreError::Duplicate(row.id.clone()));
        }
        tx.execute(
            "INSERT INTO payments (id, state, record, created_at, updated_at, resolved,
                                   merchant_account)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                row.id,
                row.state,
                row.record,
                created,
                updated,
                row.resolved,
                account
            ],
        )?;
        tx.execute(
            "INSERT INTO transitions (payment_id, from_state, to_state, record, resolved, at, detail)
             VALUES (?1, '', ?2, ?3, ?4, ?5, ?6)",
            params![row.id, row.state, row.record, row.resolved, created, CREATED_DETAIL],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Moves a payment from `t.from` to `t.to` in one transaction: checks the
    /// current state, replaces the record, sets `resolved` and `updated_at`,
    /// and appends to the log. If the payment is not in `t.from` the result is
    /// [`StoreError::Conflict`] (or [`StoreError::NotFound`]) and nothing
    /// changed. `from == to` is allowed (a record update, still logged).
    pub fn transition(&self, t: &Transition<'_>) -> Result<(), StoreError> {
        check_text("payment id", t.id, MAX_ID_BYTES)?;
        check_text("from state", t.from, MAX_STATE_BYTES)?;
        check_text("to state", t.to, MAX_STATE_BYTES)?;
        check_len("record", t.record.len(), MAX_RECORD_BYTES)?;
        check_len("detail", t.detail.len(), MAX_DETAIL_BYTES)?;
        let at = to_i64("at", t.at)?;
        // Re-read from the new record so the column always describes the
        // record it sits beside (the payment module never changes the
        // merchant, but the index must not rely on that).
        let account = indexed_account(t.record)?;
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE payments SET state = ?3, record = ?4, resolved = ?5, updated_at = ?6,
                                 merchant_account = ?7
             WHERE id = ?1 AND state = ?2",
            params![t.id, t.from, t.to, t.record, t.resolved, at, account],
        )?;
        if changed != 1 {
            let found: Option<String> = tx
                .query_row("SELECT state FROM payments WHERE id = ?1", [t.id], |r| {
                    r.get(0)
                })
                .optional()?;
            // Dropping `tx` rolls back (nothing was written anyway).
            return Err(match found {
                None => StoreError::NotFound(t.id.to_string()),
                Some(found) => StoreError::Conflict {
                    id: t.id.to_string(),
                    expected: t.from.to_string(),
                    found,
                },
            });
        }
        tx.execute(
            "INSERT INTO transitions (payment_id, from_state, to_state, record, resolved, at, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![t.id, t.from, t.to, t.record, t.resolved, at, t.detail],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// One payment by id.
    pub fn payment(&self, id: &str) -> Result<Option<PaymentRow>, StoreError> {
        check_len("payment id", id.len(), MAX_ID_BYTES)?;
        let conn = self.lock()?;
        let raw = conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM payments WHERE id = ?1"),
                [id],
                read_row,
            )
            .optional()?;
        raw.map(|r| to_payment(r).map(|(_, p)| p)).transpose()
    }

    /// Every payment not yet resolved, oldest first (by creation time, then
    /// insertion order): the work to resume at start.
    pub fn unresolved_payments(&self) -> Result<Vec<PaymentRow>, StoreError> {
        self.select(
            &format!("SELECT {COLUMNS} FROM payments WHERE resolved = 0 ORDER BY created_at, seq"),
            [],
        )
    }

    /// How many payments are not yet resolved (the status line's pending count).
    pub fn unresolved_count(&self) -> Result<u64, StoreError> {
        let conn = self.lock()?;
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM payments WHERE resolved = 0",
            [],
            |r| r.get(0),
        )?;
        from_i64("count", n)
    }

    /// History, newest first: at most `limit` (capped at [`MAX_PAGE`])
    /// payments created strictly before `before` (unix seconds), or the newest
    /// ones when `before` is `None`. Paging by timestamp skips payments that
    /// share the boundary second; [`Store::payments_page`] does not.
    pub fn payments(&self, limit: u32, before: Option<u64>) -> Result<Vec<PaymentRow>, StoreError> {
        let limit = i64::from(limit.min(MAX_PAGE));
        let before = before.map(|b| to_i64("before", b)).transpose()?;
        self.select(
            &format!(
                "SELECT {COLUMNS} FROM payments WHERE (?1 IS NULL OR created_at < ?1)
                 ORDER BY created_at DESC, seq DESC LIMIT ?2"
            ),
            params![before, limit],
        )
    }

    /// History, newest first, by cursor: the first page with `after = None`,
    /// then pass [`HistoryPage::next`] until it is `None`. `limit` is clamped
    /// to `1..=MAX_PAGE`.
    pub fn payments_page(
        &self,
        limit: u32,
        after: Option<HistoryCursor>,
    ) -> Result<HistoryPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let (c, s) = after.map_or((None, None), |a| (Some(a.created_at), Some(a.seq)));
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM payments WHERE (?1 IS NULL OR (created_at, seq) < (?1, ?2))
             ORDER BY created_at DESC, seq DESC LIMIT ?3"
        ))?;
        let raws = stmt
            .query_map(params![c, s, i64::from(limit)], read_row)?
            .collect::<Result<Vec<_>, _>>()?;
        let mut rows = Vec::with_capacity(raws.len());
        let mut last = None;
        for raw in raws {
            let (seq, p) = to_payment(raw)?;
            last = Some(HistoryCursor {
                created_at: to_i64("created_at", p.created_at)?,
                seq,
            });
            rows.push(p);
        }
        let full = u32::try_from(rows.len()).is_ok_and(|n| n == limit);
        Ok(HistoryPage {
            rows,
            next: if full { last } else { None },
        })
    }

    /// Payments created at or after `since`, oldest first (daily limits).
    pub fn payments_since(&self, since: u64) -> Result<Vec<PaymentRow>, StoreError> {
        let since = to_i64("since", since)?;
        self.select(
            &format!(
                "SELECT {COLUMNS} FROM payments WHERE created_at >= ?1 ORDER BY created_at, seq"
            ),
            [since],
        )
    }

    /// Payments in journal state `state` created at or before `until`, oldest
    /// first. Reads every such row: for "was this merchant paid" use
    /// [`Store::merchant_paid_until`], which answers from an index.
    pub fn payments_in_state_until(
        &self,
        state: &str,
        until: u64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        self.in_state_until("", state, until)
    }

    /// Whether a payment to merchant `account` in journal state `state` was
    /// created at or before `until`: one probe of the merchant index (the
    /// PIN-free rule "the merchant is not new"). Rows whose record the store
    /// could not read are not in the index; the caller decodes those from
    /// [`Store::unindexed_payments_in_state_until`].
    pub fn merchant_paid_until(
        &self,
        account: &str,
        state: &str,
        until: u64,
    ) -> Result<bool, StoreError> {
        check_len(
            "merchant account",
            account.len(),
            MAX_MERCHANT_ACCOUNT_BYTES,
        )?;
        check_len("state", state.len(), MAX_STATE_BYTES)?;
        let until = to_i64("until", until)?;
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT 1 FROM payments
             WHERE merchant_account = ?1 AND state = ?2 AND created_at <= ?3 LIMIT 1",
        )?;
        Ok(stmt.exists(params![account, state, until])?)
    }

    /// Like [`Store::payments_in_state_until`], but only the payments without
    /// a `merchant_account` (a record that was not a readable payment record
    /// when written or migrated). A journal the payment module wrote has none;
    /// the query is the safety net that keeps [`Store::merchant_paid_until`]
    /// plus a decode of these rows equal to decoding every row.
    pub fn unindexed_payments_in_state_until(
        &self,
        state: &str,
        until: u64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        self.in_state_until("merchant_account IS NULL AND", state, until)
    }

    /// Payments matching `filter` (an SQL condition of this module's, never
    /// input, ending in AND, or empty) in state `state` created at or before
    /// `until`, oldest first.
    fn in_state_until(
        &self,
        filter: &str,
        state: &str,
        until: u64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        check_len("state", state.len(), MAX_STATE_BYTES)?;
        let until = to_i64("until", until)?;
        self.select(
            &format!(
                "SELECT {COLUMNS} FROM payments WHERE {filter} state = ?1 AND created_at <= ?2
                 ORDER BY created_at, seq"
            ),
            rusqlite::params![state, until],
        )
    }

    /// A payment's log, oldest first; the first entry is its creation.
    /// Empty for an unknown id.
    pub fn transitions(&self, id: &str) -> Result<Vec<TransitionRow>, StoreError> {
        check_len("payment id", id.len(), MAX_ID_BYTES)?;
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(
            "SELECT seq, from_state, to_state, at, detail FROM transitions
             WHERE payment_id = ?1 ORDER BY seq",
        )?;
        let raws = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raws.into_iter()
            .map(|(seq, from, to, at, detail)| {
                Ok(TransitionRow {
                    seq: from_i64("seq", seq)?,
                    from,
                    to,
                    at: from_i64("at", at)?,
                    detail,
                })
            })
            .collect()
    }

    /// The record as it was right after log entry `seq` (audit, support).
    pub fn transition_record(&self, seq: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let seq = to_i64("seq", seq)?;
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT record FROM transitions WHERE seq = ?1",
                [seq],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn select<P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let conn = self.lock()?;
        let mut stmt = conn.prepare_cached(sql)?;
        let raws = stmt
            .query_map(params, read_row)?
            .collect::<Result<Vec<_>, _>>()?;
        raws.into_iter()
            .map(|r| to_payment(r).map(|(_, p)| p))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, created_at: u64) -> PaymentRow {
        PaymentRow {
            id: id.to_string(),
            state: "Created".to_string(),
            record: b"{}".to_vec(),
            created_at,
            updated_at: created_at,
            resolved: false,
        }
    }

    #[test]
    fn cursor_round_trips_through_its_parts() -> Result<(), StoreError> {
        let store = Store::open_in_memory()?;
        for (i, t) in [100, 100, 100, 101, 101].into_iter().enumerate() {
            store.insert_payment(&row(&format!("p{i}"), t))?;
        }
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = store.payments_page(2, cursor)?;
            seen.extend(page.rows.iter().map(|r| r.id.clone()));
            // What the bindings do: take the cursor apart and build it again.
            cursor = page
                .next
                .map(|c| HistoryCursor::new(c.created_at(), c.seq()));
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, ["p4", "p3", "p2", "p1", "p0"]);
        Ok(())
    }

    #[test]
    fn cursor_beyond_sqlite_range_starts_at_the_newest() -> Result<(), StoreError> {
        let store = Store::open_in_memory()?;
        store.insert_payment(&row("a", 5))?;
        let far = HistoryCursor::new(u64::MAX, u64::MAX);
        assert_eq!(
            (far.created_at(), far.seq()),
            (i64::MAX as u64, i64::MAX as u64)
        );
        let page = store.payments_page(10, Some(far))?;
        assert_eq!(page.rows.len(), 1);
        Ok(())
    }

    /// A record with the fields the index reads (the rest of a real record
    /// is skipped by the store, so it is left out here).
    fn record(id: &str, state: &str, account: &str) -> Vec<u8> {
        serde_json::json!({
            "format": 1,
            "id": id,
            "state": state,
            "merchant": {"name": "Shop", "account": account, "verified": true},
        })
        .to_string()
        .into_bytes()
    }

    fn paid(id: &str, state: &str, account: &str, created_at: u64) -> PaymentRow {
        PaymentRow {
            id: id.to_string(),
            state: state.to_string(),
            record: record(id, state, account),
            created_at,
            updated_at: created_at,
            resolved: true,
        }
    }

    /// The answer before the index: decode every row in `state` up to
    /// `until` and compare its merchant (decoded as a generic JSON value, not
    /// with the store's own reader).
    fn decode_all(store: &Store, account: &str, state: &str, until: u64) -> bool {
        store
            .payments_in_state_until(state, until)
            .unwrap()
            .iter()
            .any(|r| {
                // A row that is not JSON matches no merchant.
                serde_json::from_slice::<serde_json::Value>(&r.record)
                    .is_ok_and(|v| v["merchant"]["account"] == account)
            })
    }

    /// The indexed answer as the payment engine forms it: the index, then
    /// the unindexed rows decoded.
    fn indexed(store: &Store, account: &str, state: &str, until: u64) -> bool {
        store.merchant_paid_until(account, state, until).unwrap()
            || store
                .unindexed_payments_in_state_until(state, until)
                .unwrap()
                .iter()
                .any(|r| merchant_account_of(&r.record).as_deref() == Some(account))
    }

    #[test]
    fn the_merchant_index_agrees_with_decoding_every_record() -> Result<(), StoreError> {
        let store = Store::open_in_memory()?;
        // Two merchants, several states and times; one payment moves from
        // Sent to Succeeded (the column follows the record through a
        // transition), one undecodable row sits among them.
        store.insert_payment(&paid("a1", "Succeeded", "04=AAA", 100))?;
        store.insert_payment(&paid("a2", "Declined", "04=AAA", 50))?;
        store.insert_payment(&paid("b1", "Succeeded", "04=BBB", 200))?;
        store.insert_payment(&paid("b2", "Queued", "04=BBB", 10))?;
        store.insert_payment(&paid("c1", "Sent", "26=CCC", 150))?;
        store.transition(&Transition {
            id: "c1",
            from: "Sent",
            to: "Succeeded",
            record: &record("c1", "Succeeded", "26=CCC"),
            resolved: true,
            at: 160,
            detail: "paid",
        })?;
        store.insert_payment(&row("junk", 120))?;
        let accounts = ["04=AAA", "04=BBB", "26=CCC", "04=AA", "04=ZZZ", ""];
        let states = ["Succeeded", "Declined", "Queued", "Sent", "Created"];
        let times = [0, 9, 10, 49, 50, 99, 100, 149, 150, 199, 200, u64::MAX >> 1];
        let mut yes = 0;
        for account in accounts {
            for state in states {
                for until in times {
                    let want = decode_all(&store, account, state, until);
                    assert_eq!(
                        indexed(&store, account, state, until),
                        want,
                        "{account} {state} until {until}"
                    );
                    yes += usize::from(want);
                }
            }
        }
        // The table exercises both answers, not only "no".
        assert!(yes > 10, "{yes}");
        // The transition took c1 out of Sent in the index too.
        assert!(!store.merchant_paid_until("26=CCC", "Sent", 1_000)?);
        assert!(store.merchant_paid_until("26=CCC", "Succeeded", 150)?);
        assert!(!store.merchant_paid_until("26=CCC", "Succeeded", 149)?);
        Ok(())
    }

    #[test]
    fn an_oversized_merchant_account_is_refused_and_writes_nothing() -> Result<(), StoreError> {
        let store = Store::open_in_memory()?;
        let long = "x".repeat(MAX_MERCHANT_ACCOUNT_BYTES + 1);
        assert!(matches!(
            store.insert_payment(&paid("p", "Succeeded", &long, 1)),
            Err(StoreError::TooLarge {
                what: "merchant account",
                ..
            })
        ));
        assert_eq!(store.payment("p")?, None);
        assert!(matches!(
            store.merchant_paid_until(&long, "Succeeded", 1),
            Err(StoreError::TooLarge { .. })
        ));
        Ok(())
    }

    #[test]
    fn migrating_a_v3_journal_fills_the_merchant_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v3.db");
        {
            // A version-3 journal, built with the version-3 migrations only.
            let mut c = rusqlite::Connection::open(&path).unwrap();
            assert_eq!(
                super::super::schema::migrate(&mut c, &super::super::schema::MIGRATIONS[..3])
                    .unwrap(),
                3
            );
            let rows: [(&str, &str, Vec<u8>, i64); 4] = [
                ("a", "Succeeded", record("a", "Succeeded", "04=AAA"), 10),
                ("b", "Declined", record("b", "Declined", "04=BBB"), 20),
                ("junk", "Succeeded", b"not json".to_vec(), 30),
                (
                    "long",
                    "Succeeded",
                    record(
                        "long",
                        "Succeeded",
                        &"y".repeat(MAX_MERCHANT_ACCOUNT_BYTES + 1),
                    ),
                    40,
                ),
            ];
            for (id, state, rec, at) in rows {
                c.execute(
                    "INSERT INTO payments (id, state, record, created_at, updated_at, resolved)
                     VALUES (?1, ?2, ?3, ?4, ?4, 1)",
                    params![id, state, rec, at],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), 4);
        let column: Vec<(String, Option<String>)> = {
            let conn = store.lock().unwrap();
            let mut stmt = conn
                .prepare("SELECT id, merchant_account FROM payments ORDER BY seq")
                .unwrap();
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            rows
        };
        assert_eq!(
            column,
            [
                ("a".to_string(), Some("04=AAA".to_string())),
                ("b".to_string(), Some("04=BBB".to_string())),
                // Unreadable or over the cap: left to the decoding fallback.
                ("junk".to_string(), None),
                ("long".to_string(), None),
            ]
        );
        assert!(store
            .merchant_paid_until("04=AAA", "Succeeded", 10)
            .unwrap());
        assert!(!store.merchant_paid_until("04=AAA", "Succeeded", 9).unwrap());
        assert!(!store
            .merchant_paid_until("04=BBB", "Succeeded", 99)
            .unwrap());
        let unindexed: Vec<String> = store
            .unindexed_payments_in_state_until("Succeeded", 99)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(unindexed, ["junk", "long"]);
        // The query is served by the new index, not a table scan.
        let plan: String = {
            let conn = store.lock().unwrap();
            let mut stmt = conn
                .prepare(
                    "EXPLAIN QUERY PLAN SELECT 1 FROM payments
                     WHERE merchant_account = ?1 AND state = ?2 AND created_at <= ?3 LIMIT 1",
                )
                .unwrap();
            let details = stmt
                .query_map(params!["04=AAA", "Succeeded", 10], |r| {
                    r.get::<_, String>(3)
                })
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            details.join("; ")
        };
        assert!(plan.contains("payments_by_merchant"), "{plan}");
    }

    #[test]
    fn reset_device_key_keeps_payments() -> Result<(), StoreError> {
        let store = Store::open_in_memory()?;
        store.insert_payment(&row("kept", 7))?;
        store.save_sealed_key(b"blob")?;
        store.save_auth(&crate::store::AuthRecord {
            failures: 3,
            disabled: true,
            ..Default::default()
        })?;
        store.reset_device_key()?;
        assert_eq!(store.load_sealed_key()?, None);
        assert_eq!(store.load_auth()?, None);
        assert!(store.payment("kept")?.is_some());
        Ok(())
    }
}
