//! The SQLite schema and small row helpers.
//!
//! One database file, `<data_dir>/sandbox.db`, in WAL mode. Every change that
//! moves money (a charge, a refund) is one transaction together with the
//! payment row and the stored idempotent response, so a crash can never leave
//! a charge without its replayable answer or the reverse.

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::SandboxError;

/// Schema version written to `meta.schema_version`.
pub const SCHEMA_VERSION: u32 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS merchants (
    merchant_id   TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    city          TEXT NOT NULL,
    country       TEXT NOT NULL,
    mcc           TEXT NOT NULL,
    currency      TEXT NOT NULL,
    account_id    INTEGER NOT NULL,
    account_json  TEXT NOT NULL,
    blocked       INTEGER NOT NULL DEFAULT 0,
    balance_minor INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS merchant_keys (
    key_id      TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id),
    seed        BLOB NOT NULL,
    not_before  INTEGER NOT NULL,
    not_after   INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    position    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS registry_docs (
    version   INTEGER PRIMARY KEY,
    issued_at INTEGER NOT NULL,
    document  BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    account_id          TEXT PRIMARY KEY,
    currency            TEXT NOT NULL,
    balance_minor       INTEGER NOT NULL,
    per_payment_minor   INTEGER NOT NULL,
    daily_minor         INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
    device_id      TEXT PRIMARY KEY,
    public_key     BLOB NOT NULL UNIQUE,
    account_id     TEXT NOT NULL REFERENCES accounts(account_id),
    enrolment_code TEXT NOT NULL,
    enrolled_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    order_id     TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants(merchant_id),
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    reference    TEXT NOT NULL,
    nonce        TEXT NOT NULL UNIQUE,
    key_id       TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    state        TEXT NOT NULL,
    payment_id   TEXT
);
CREATE TABLE IF NOT EXISTS payments (
    payment_id      TEXT PRIMARY KEY,
    state           TEXT NOT NULL,
    account_id      TEXT,
    device_id       TEXT,
    merchant_id     TEXT,
    order_id        TEXT,
    amount_minor    INTEGER NOT NULL DEFAULT 0,
    currency        TEXT,
    reference       TEXT,
    decline_code    TEXT,
    decline_message TEXT,
    created_at      INTEGER NOT NULL,
    paid_at         INTEGER,
    charges         INTEGER NOT NULL DEFAULT 0,
    refunds         INTEGER NOT NULL DEFAULT 0,
    submits         INTEGER NOT NULL DEFAULT 0,
    tombstone       INTEGER NOT NULL DEFAULT 0,
    method          TEXT
);
CREATE TABLE IF NOT EXISTS ledger (
    entry_id    INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT NOT NULL,
    payment_id  TEXT NOT NULL,
    delta_minor INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_account_at ON ledger(account_id, at);
-- The PIN-free rules read a device's recent payments.
CREATE INDEX IF NOT EXISTS payments_device_created ON payments(device_id, created_at);
-- Shortcuts (issue 12, ADR 0022): the settings document each device holds
-- (`settings`, the JSON the PIN-free rules read; `document`, the signed
-- body as accepted), its version and when it was accepted (sandbox clock).
CREATE TABLE IF NOT EXISTS shortcuts (
    device_id   TEXT PRIMARY KEY REFERENCES devices(device_id),
    version     INTEGER NOT NULL,
    settings    BLOB NOT NULL,
    document    BLOB NOT NULL,
    accepted_at INTEGER NOT NULL
);
-- Payments a payer-pending fault left processing: the validated request,
-- kept so the deciding query can run the normal decision on it. Created
-- IF NOT EXISTS like every table, so an older data dir gains it on open.
CREATE TABLE IF NOT EXISTS payer_pending (
    payment_id      TEXT PRIMARY KEY,
    request         BLOB NOT NULL,
    device_id       TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    decide_at_query INTEGER NOT NULL,
    queries_seen    INTEGER NOT NULL DEFAULT 0
);
-- Request keys (sign queries and reversals), bound to every account they
-- were registered with (one per registration of the same wallet).
CREATE TABLE IF NOT EXISTS request_keys (
    request_key   BLOB NOT NULL,
    account_id    TEXT NOT NULL REFERENCES accounts(account_id),
    device_id     TEXT NOT NULL,
    registered_at INTEGER NOT NULL,
    PRIMARY KEY (request_key, account_id)
);
-- Nonces seen per request key, kept while their time is inside the skew
-- window, so a replay is refused even across a restart.
CREATE TABLE IF NOT EXISTS request_nonces (
    request_key BLOB NOT NULL,
    nonce       BLOB NOT NULL,
    time        INTEGER NOT NULL,
    PRIMARY KEY (request_key, nonce)
);
-- Reversals of ids never submitted, per account: a later submit of that id
-- from that account is refused; other accounts are not affected.
CREATE TABLE IF NOT EXISTS tombstones (
    account_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    submits    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, payment_id)
);
-- Pay code (issue 11, docs/paycode.md). Tills and their API keys.
CREATE TABLE IF NOT EXISTS pc_tills (
    till_key    TEXT PRIMARY KEY,
    till_id     TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL REFERENCES merchants(merchant_id)
);
-- Provisioned devices: the secret K sealed (AES-256-GCM, 12-byte nonce
-- first, tag last) under the master key kept outside this database.
-- synced_through: the highest pc_charges rowid when the wallet last read its
-- events (charges after it count against the offline limits).
CREATE TABLE IF NOT EXISTS pc_devices (
    device_id      TEXT PRIMARY KEY REFERENCES devices(device_id),
    account_id     TEXT NOT NULL REFERENCES accounts(account_id),
    request_key    BLOB NOT NULL,
    generation     INTEGER NOT NULL,
    sealed_secret  BLOB NOT NULL,
    next_counter   INTEGER NOT NULL,
    provisioned_at INTEGER NOT NULL,
    synced_through INTEGER NOT NULL DEFAULT 0,
    last_seq       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS pc_provision_nonces (
    device_id TEXT NOT NULL,
    nonce     TEXT NOT NULL,
    time      INTEGER NOT NULL,
    PRIMARY KEY (device_id, nonce)
);
-- Every code that matched a charge (single use): kept to type a replay as
-- code-used.
CREATE TABLE IF NOT EXISTS pc_used (
    device_id  TEXT NOT NULL,
    generation INTEGER NOT NULL,
    counter    INTEGER NOT NULL,
    step       INTEGER NOT NULL,
    charge_id  TEXT NOT NULL,
    at         INTEGER NOT NULL,
    PRIMARY KEY (device_id, generation, counter)
);
-- Charges made with a code; the payments row of the same id carries the
-- money (charges, refunds, receipt). method: code | code+pin, once paid.
CREATE TABLE IF NOT EXISTS pc_charges (
    charge_id    TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL,
    till_id      TEXT NOT NULL,
    out_trade_no TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    counter      INTEGER NOT NULL,
    step         INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    state        TEXT NOT NULL,
    receipt      TEXT,
    method       TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    paid_at      INTEGER
);
-- A till's order numbers: the first answer (replayed for the same body),
-- the charge it made if any. fingerprint NULL: reversed before any charge
-- arrived (a later charge under the number is closed, nothing taken).
CREATE TABLE IF NOT EXISTS pc_orders (
    merchant_id  TEXT NOT NULL,
    out_trade_no TEXT NOT NULL,
    till_id      TEXT NOT NULL,
    fingerprint  TEXT,
    body         BLOB NOT NULL,
    charge_id    TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (merchant_id, out_trade_no)
);
-- Refused codes, for the rate limit.
CREATE TABLE IF NOT EXISTS pc_refusals (
    till_id     TEXT NOT NULL,
    merchant_id TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pc_refusals_at ON pc_refusals(at);
-- Each device's event feed, seq from 1 without gaps.
CREATE TABLE IF NOT EXISTS pc_events (
    device_id     TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    charge_id     TEXT NOT NULL,
    state         TEXT NOT NULL,
    merchant_id   TEXT NOT NULL,
    merchant_name TEXT NOT NULL,
    amount_minor  INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    receipt       TEXT,
    counter       INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    expires_at    INTEGER,
    PRIMARY KEY (device_id, seq)
);
CREATE TABLE IF NOT EXISTS idempotency (
    idem_key    TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    status      INTEGER NOT NULL,
    body        BLOB NOT NULL,
    created_at  INTEGER NOT NULL
);
";

/// Opens (creating if needed) the database and its schema.
pub fn open(path: &std::path::Path) -> Result<Connection, SandboxError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.execute_batch(SCHEMA)?;
    // Columns added after a table first shipped: `CREATE TABLE IF NOT
    // EXISTS` leaves an older data dir's table as it was, so add them here.
    // payments.method: how the payer authorised (`pin`, `biometric`,
    // `pin-free`; NULL for a pay-code charge or a payment recorded before
    // issue 12).
    add_column(&conn, "payments", "method", "TEXT")?;
    match meta(&conn, "schema_version")? {
        None => set_meta(&conn, "schema_version", &SCHEMA_VERSION.to_string())?,
        Some(v) if v == SCHEMA_VERSION.to_string() => {}
        Some(v) => {
            return Err(SandboxError::Corrupt(format!(
                "schema version {v}, this sandbox understands {SCHEMA_VERSION}"
            )))
        }
    }
    Ok(conn)
}

/// Adds `column` (declared `decl`) to `table` unless it has it.
fn add_column(
    conn: &Connection,
    table: &str,
    column: &str,
    decl: &str,
) -> Result<(), SandboxError> {
    let present: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
        params![table, column],
        |r| r.get(0),
    )?;
    if !present {
        conn.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl};"))?;
    }
    Ok(())
}

/// A `meta` value.
pub fn meta(conn: &Connection, key: &str) -> Result<Option<String>, SandboxError> {
    Ok(conn
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?)
}

/// Sets a `meta` value.
pub fn set_meta(conn: &Connection, key: &str, value: &str) -> Result<(), SandboxError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// A `meta` value parsed as a number (0 when absent).
pub fn meta_u64(conn: &Connection, key: &str) -> Result<u64, SandboxError> {
    match meta(conn, key)? {
        None => Ok(0),
        Some(v) => v
            .parse()
            .map_err(|_| SandboxError::Corrupt(format!("meta {key} = {v:?} is not a number"))),
    }
}

/// SQLite stores integers as i64; amounts and times are u64 in the API.
pub fn to_i64(v: u64) -> Result<i64, SandboxError> {
    i64::try_from(v).map_err(|_| SandboxError::Invalid(format!("{v} is too large")))
}

/// The reverse of [`to_i64`]; a negative stored value is corruption.
pub fn to_u64(v: i64) -> Result<u64, SandboxError> {
    u64::try_from(v).map_err(|_| SandboxError::Corrupt(format!("negative value {v}")))
}
