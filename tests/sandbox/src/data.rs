//! The sandbox's state and business rules: merchants and keys, the signed
//! registry, devices and accounts, orders, payments with idempotency, and the
//! sandbox clock. Everything persists in SQLite.
//!
//! [`SandboxData`] is usable without the server (the CLI makes fixtures with
//! it) and is what the server calls for every route.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use scanpay_core::auth::{verify_registration_proof, MAX_CLOCK_SKEW_SECS};
use scanpay_core::auth::{
    PaymentAuthMethod, PaymentAuthorisation, RequestAuthorization, SignedAuthorisation,
};
use scanpay_core::money::{Currency, Money, MAX_AMOUNT_CHARS};
use scanpay_core::net::api::{
    error_code, is_valid_payment_id, payment_path, reverse_path, ControlPayment,
    CreateOrderRequest, CreateOrderResponse, EnrolRequest, EnrolResponse, ErrorBody,
    HealthResponse, PaymentRequestBody, ServerPaymentState, DECLINE_PIN_REQUIRED, MAX_AMOUNT_MINOR,
};
use scanpay_core::payload::mpm::MerchantPayload;
use scanpay_core::payload::mpm::TipRule;
use scanpay_core::payload::tlv;
use scanpay_core::payment::{breakdown, BackendReply, Receipt};
use scanpay_core::trust::issue::{random_nonce, sign_payload, sign_registry, SigningKey};
use scanpay_core::trust::keys::Algorithm;
use scanpay_core::trust::registry::{MerchantKeyJson, RegisteredAccount, RegistryJson, RootKeys};
use scanpay_core::trust::signed_qr::DynamicInfo;
use scanpay_core::trust::{InMemoryReplayGuard, Reason, TrustStore, Verdict, VerifiedMerchant};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::db::{self, meta, meta_u64, set_meta, to_i64, to_u64};
use crate::error::SandboxError;
use crate::seed::{self, Seed};

mod paycode;
mod shortcuts;

pub use paycode::{
    default_limits, EventsFeed, PaycodeChargeInfo, TillAnswer, TillInfo, MASTER_KEY_FILE,
    MERCHANT_REFUSALS_PER_WINDOW, PAYCODE_WINDOW, RATE_WINDOW_SECS, TILLS_FILE,
    TILL_REFUSALS_PER_WINDOW,
};
pub use shortcuts::{
    shortcut_caps, PinFreeRefusal, KNOWN_MERCHANT_SECS, PIN_FREE_WINDOW_SECS, SHORTCUT_SKEW_SECS,
};

/// Orders (and payments left processing) are closed this long after they
/// were created, on the sandbox clock.
pub const ORDER_TTL_SECS: u64 = 45;
/// Longest order lifetime [`SandboxData::create_order_with_ttl`] accepts
/// (the wallet refuses dynamic codes valid for longer than a day).
pub const MAX_ORDER_TTL_SECS: u64 = 24 * 3600;
/// A paid payment can be reversed (refunded) for this long after it was
/// paid; later it is settled and a reversal answers `succeeded`.
pub const REVERSAL_WINDOW_SECS: u64 = 24 * 3600;
/// Lifetime of a registry document (`expires_at - issued_at`).
pub const REGISTRY_LIFETIME_SECS: u64 = 365 * 24 * 3600;
/// Merchant keys are valid from a day before seeding for this long.
const KEY_LIFETIME_SECS: u64 = 5 * 365 * 24 * 3600;
/// The key id of the sandbox's registry root.
pub const ROOT_KEY_ID: &str = "sandbox-root-1";
/// Furthest the control clock may be moved ahead of the system clock (about
/// 100 years): beyond it times no longer fit the database's signed integers.
pub const MAX_CLOCK_OFFSET_SECS: u64 = 100 * 365 * 24 * 3600;
/// Longest merchant order reference (EMVCo 62/01 holds 25 characters).
pub const MAX_REFERENCE_LEN: usize = 25;

/// A 4xx/5xx answer that is not stored for idempotency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The `error` code.
    pub code: &'static str,
    /// The `message`.
    pub message: String,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    fn malformed(message: impl Into<String>) -> ApiError {
        ApiError::new(400, error_code::MALFORMED_REQUEST, message)
    }

    fn bad_auth(message: impl Into<String>) -> ApiError {
        ApiError::new(401, error_code::BAD_AUTHORISATION, message)
    }

    fn unauthenticated(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(401, code, message)
    }
}

impl From<SandboxError> for ApiError {
    fn from(e: SandboxError) -> ApiError {
        ApiError::new(500, error_code::INTERNAL, e.to_string())
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        ApiError::from(SandboxError::from(e))
    }
}

/// A submit's answer: the stored first result, possibly replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmitAnswer {
    /// HTTP status (200 for every business outcome).
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
    /// Whether this is a replay of a stored result.
    pub replayed: bool,
}

/// A registry fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryAnswer {
    /// The document, exact bytes.
    Document {
        /// Its version.
        version: u64,
        /// The signed document.
        bytes: Vec<u8>,
    },
    /// The caller already has the current version.
    NotModified,
}

/// A key of a merchant, without secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyInfo {
    /// Key id (as in the registry and the QR's signature info).
    pub key_id: String,
    /// Whether it is revoked.
    pub revoked: bool,
    /// Validity start, unix seconds.
    pub not_before: u64,
    /// Validity end (exclusive), unix seconds.
    pub not_after: u64,
}

/// A merchant as the sandbox holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MerchantInfo {
    /// Merchant id.
    pub merchant_id: String,
    /// Registered name.
    pub name: String,
    /// Registered city.
    pub city: String,
    /// Country code.
    pub country: String,
    /// Merchant category code.
    pub mcc: String,
    /// Currency it is paid in.
    pub currency: Currency,
    /// The EMVCo data object id of its account.
    pub account_id: u8,
    /// The registered account.
    pub account: RegisteredAccount,
    /// Whether payments to it are refused.
    pub blocked: bool,
    /// Money received (net of refunds).
    pub balance: Money,
    /// Its keys, active first.
    pub keys: Vec<KeyInfo>,
}

impl MerchantInfo {
    /// The key new codes are signed with: the first unrevoked one.
    pub fn active_key_id(&self) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| !k.revoked)
            .map(|k| k.key_id.as_str())
    }
}

/// A wallet account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountInfo {
    /// Account id.
    pub account_id: String,
    /// Current balance.
    pub balance: Money,
    /// Largest single payment.
    pub per_payment_limit: Money,
    /// Most paid in 24 hours.
    pub daily_limit: Money,
}

/// An order as the merchant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderInfo {
    /// Order id.
    pub order_id: String,
    /// Merchant.
    pub merchant_id: String,
    /// Amount to collect.
    pub amount: Money,
    /// The merchant's reference.
    pub reference: String,
    /// `open`, `paid`, `closed` or `refunded`.
    pub state: String,
    /// When it closes if unpaid.
    pub expires_at: u64,
    /// The payment that paid it.
    pub payment_id: Option<String>,
    /// The signed dynamic payload.
    pub payload: String,
}

/// merchant, amount, currency, reference, state, expires_at, payment, payload.
type OrderRow = (
    String,
    i64,
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
);

struct Inner {
    conn: Mutex<Connection>,
    root: SigningKey,
    roots: RootKeys,
    trust: Mutex<TrustStore>,
    data_dir: PathBuf,
    /// Seals every device's pay-code secret (read from, or created as,
    /// `paycode-master.key`: never in the database).
    paycode_master: Zeroizing<[u8; 32]>,
    /// Bumped whenever a pay-code event is written: events long-polls wait
    /// on it.
    paycode_events: tokio::sync::watch::Sender<u64>,
}

/// The sandbox's state. Cheap to clone (shared).
#[derive(Clone)]
pub struct SandboxData {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SandboxData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxData")
            .field("data_dir", &self.inner.data_dir)
            .finish_non_exhaustive()
    }
}

fn system_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_bytes<const N: usize>() -> Result<[u8; N], SandboxError> {
    let mut b = [0u8; N];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| SandboxError::Random)?;
    Ok(b)
}

fn new_id(prefix: &str) -> Result<String, SandboxError> {
    let b: [u8; 16] = random_bytes()?;
    let id = uuid::Builder::from_random_bytes(b).into_uuid().simple();
    Ok(format!("{prefix}{id}"))
}

fn currency(code: &str) -> Result<Currency, SandboxError> {
    Currency::from_code(code)
        .ok_or_else(|| SandboxError::Corrupt(format!("unknown currency {code:?}")))
}

fn seed_key(seed: &[u8]) -> Result<SigningKey, SandboxError> {
    let seed: [u8; 32] = seed
        .try_into()
        .map_err(|_| SandboxError::Corrupt("key seed is not 32 bytes".into()))?;
    Ok(SigningKey::ed25519_from_seed(&seed)?)
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, SandboxError> {
    serde_json::to_vec(v).map_err(|e| SandboxError::Corrupt(e.to_string()))
}

fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The account text the wallet signs: the first account object of the
/// payload as `"<id>=<raw value>"` (the core's payment flow does the same).
fn payload_account(p: &MerchantPayload) -> String {
    p.accounts
        .first()
        .map(|a| format!("{:02}={}", a.id, a.raw))
        .unwrap_or_default()
}

fn declined(code: &str, message: impl Into<String>) -> BackendReply {
    BackendReply::Declined {
        code: code.to_string(),
        message: message.into(),
    }
}

/// A payment row, as far as replies need it.
struct PaymentRow {
    state: String,
    amount_minor: u64,
    currency: Option<String>,
    reference: Option<String>,
    decline_code: Option<String>,
    decline_message: Option<String>,
    paid_at: Option<u64>,
    account_id: Option<String>,
    merchant_id: Option<String>,
    order_id: Option<String>,
    charges: u32,
    refunds: u32,
    submits: u32,
    /// How the payer authorised (`None`: a pay-code charge, or recorded
    /// before issue 12).
    method: Option<PaymentAuthMethod>,
}

fn load_payment(conn: &Connection, id: &str) -> Result<Option<PaymentRow>, SandboxError> {
    let row = conn
        .query_row(
            "SELECT state, amount_minor, currency, reference, decline_code, decline_message,
                    paid_at, account_id, merchant_id, order_id, charges, refunds, submits,
                    method
             FROM payments WHERE payment_id = ?1",
            [id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, u32>(10)?,
                    r.get::<_, u32>(11)?,
                    r.get::<_, u32>(12)?,
                    r.get::<_, Option<String>>(13)?,
                ))
            },
        )
        .optional()?;
    let Some((state, amount, cur, reference, dc, dm, paid_at, acc, mer, ord, ch, rf, sb, method)) =
        row
    else {
        return Ok(None);
    };
    Ok(Some(PaymentRow {
        state,
        amount_minor: to_u64(amount)?,
        currency: cur,
        reference,
        decline_code: dc,
        decline_message: dm,
        paid_at: paid_at.map(to_u64).transpose()?,
        account_id: acc,
        merchant_id: mer,
        order_id: ord,
        charges: ch,
        refunds: rf,
        submits: sb,
        method: shortcuts::method_from_code(method.as_deref()),
    }))
}

impl PaymentRow {
    fn receipt(&self, id: &str) -> Result<Receipt, SandboxError> {
        let cur = currency(self.currency.as_deref().unwrap_or_default())?;
        Ok(Receipt {
            reference: self
                .reference
                .clone()
                .unwrap_or_else(|| format!("PAY-{id}")),
            amount: Money::new(self.amount_minor, cur),
            paid_at: self.paid_at.unwrap_or_default(),
        })
    }

    fn reply(&self, id: &str) -> Result<BackendReply, SandboxError> {
        Ok(match self.state.as_str() {
            "succeeded" => BackendReply::Succeeded {
                receipt: self.receipt(id)?,
            },
            "declined" => declined(
                self.decline_code.as_deref().unwrap_or("declined"),
                self.decline_message.clone().unwrap_or_default(),
            ),
            "processing" => BackendReply::Processing,
            "closed" => BackendReply::Closed,
            _ => BackendReply::Reversed,
        })
    }

    fn server_state(&self) -> ServerPaymentState {
        match self.state.as_str() {
            "succeeded" => ServerPaymentState::Succeeded,
            "declined" => ServerPaymentState::Declined,
            "processing" => ServerPaymentState::Processing,
            "closed" => ServerPaymentState::Closed,
            _ => ServerPaymentState::Reversed,
        }
    }
}

impl SandboxData {
    /// Opens the sandbox state in `data_dir` (created if missing), seeding a
    /// new database with [`Seed::standard`], bringing the signed registry up
    /// to date and writing `roots.json`.
    pub fn open(data_dir: &Path) -> Result<SandboxData, SandboxError> {
        SandboxData::open_with_seed(data_dir, &Seed::standard())
    }

    /// [`SandboxData::open`] with another seed (used only when the database
    /// is new).
    pub fn open_with_seed(data_dir: &Path, seed: &Seed) -> Result<SandboxData, SandboxError> {
        std::fs::create_dir_all(data_dir).map_err(|e| SandboxError::io(data_dir, e))?;
        let conn = db::open(&data_dir.join("sandbox.db"))?;
        let root_seed = match meta(&conn, "root_seed")? {
            Some(s) => STANDARD
                .decode(s.as_bytes())
                .map_err(|_| SandboxError::Corrupt("root seed is not base64".into()))?,
            None => {
                let s: [u8; 32] = random_bytes()?;
                set_meta(&conn, "root_seed", &STANDARD.encode(s))?;
                s.to_vec()
            }
        };
        let root = seed_key(&root_seed)?;
        let roots = RootKeys::new(
            vec![(ROOT_KEY_ID.to_string(), root.public_key().clone())],
            1,
        )
        .map_err(|e| SandboxError::Signing(e.to_string()))?;
        let data = SandboxData {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                trust: Mutex::new(TrustStore::new(roots.clone())),
                root,
                roots,
                data_dir: data_dir.to_path_buf(),
                paycode_master: paycode::load_master_key(data_dir)?,
                paycode_events: tokio::sync::watch::Sender::new(0),
            }),
        };
        {
            let conn = data.conn();
            if meta(&conn, "seeded")?.is_none() {
                data.apply_seed(&conn, seed)?;
            }
            data.refresh_registry(&conn)?;
            // Every merchant has a till (also in a data dir seeded before
            // pay codes existed).
            data.ensure_tills(&conn)?;
        }
        let roots_json = serde_json::to_vec_pretty(&data.inner.roots.to_json())
            .map_err(|e| SandboxError::Corrupt(e.to_string()))?;
        let path = data.roots_json_path();
        std::fs::write(&path, roots_json).map_err(|e| SandboxError::io(&path, e))?;
        Ok(data)
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // Every write is a transaction: a panic mid-way rolls it back, so a
        // poisoned lock still guards a consistent database.
        self.inner
            .conn
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn apply_seed(&self, conn: &Connection, seed: &Seed) -> Result<(), SandboxError> {
        let now = self.now_locked(conn)?;
        set_meta(conn, "registry_id", &seed.registry_id)?;
        for m in &seed.merchants {
            let account = serde_json::to_string(&m.account)
                .map_err(|e| SandboxError::Invalid(e.to_string()))?;
            conn.execute(
                "INSERT INTO merchants (merchant_id, name, city, country, mcc, currency,
                    account_id, account_json, blocked) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
                params![
                    m.merchant_id,
                    m.name,
                    m.city,
                    m.country,
                    m.mcc,
                    m.currency.code(),
                    m.account_id,
                    account,
                    m.blocked
                ],
            )?;
            for (pos, (key_id, revoked)) in m.keys.iter().enumerate() {
                let s: [u8; 32] = random_bytes()?;
                conn.execute(
                    "INSERT INTO merchant_keys (key_id, merchant_id, seed, not_before, not_after,
                        revoked, position) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                    params![
                        key_id,
                        m.merchant_id,
                        s.to_vec(),
                        to_i64(now.saturating_sub(86_400))?,
                        to_i64(now.saturating_add(KEY_LIFETIME_SECS))?,
                        revoked,
                        i64::try_from(pos).unwrap_or(i64::MAX)
                    ],
                )?;
            }
        }
        set_meta(conn, "seeded", "1")?;
        Ok(())
    }

    // ----- clock -----

    fn now_locked(&self, conn: &Connection) -> Result<u64, SandboxError> {
        Ok(system_now().saturating_add(meta_u64(conn, "clock_offset")?))
    }

    /// The sandbox clock: system time plus every advance made (persisted).
    pub fn now(&self) -> Result<u64, SandboxError> {
        self.now_locked(&self.conn())
    }

    /// Moves the sandbox clock forward by `secs`, closes what expired, and
    /// returns the new time.
    ///
    /// The total offset is capped at [`MAX_CLOCK_OFFSET_SECS`]; a move past
    /// it is refused ([`SandboxError::Invalid`], HTTP 400) and changes nothing.
    pub fn advance_clock(&self, secs: u64) -> Result<u64, SandboxError> {
        let conn = self.conn();
        let offset = meta_u64(&conn, "clock_offset")?.saturating_add(secs);
        if offset > MAX_CLOCK_OFFSET_SECS {
            return Err(SandboxError::Invalid(format!(
                "the sandbox clock may run at most {MAX_CLOCK_OFFSET_SECS} s ahead"
            )));
        }
        set_meta(&conn, "clock_offset", &offset.to_string())?;
        let now = self.now_locked(&conn)?;
        Self::sweep(&conn, now)?;
        Ok(now)
    }

    /// Closes pay-code charges left `userpaying` past their `expires_at`,
    /// then orders and processing payments older than [`ORDER_TTL_SECS`].
    fn sweep(conn: &Connection, now: u64) -> Result<(), SandboxError> {
        // First, with their events: the payments sweep below would close
        // their payment rows too, without telling the wallet.
        Self::sweep_paycode(conn, now)?;
        let now = to_i64(now)?;
        conn.execute(
            "UPDATE orders SET state = 'closed' WHERE state = 'open' AND expires_at <= ?1",
            [now],
        )?;
        conn.execute(
            "UPDATE payments SET state = 'closed'
             WHERE state = 'processing' AND created_at + ?2 <= ?1",
            params![now, to_i64(ORDER_TTL_SECS)?],
        )?;
        // A payer-pending payment closed here (or reversed) is never decided.
        conn.execute(
            "DELETE FROM payer_pending WHERE payment_id IN
                (SELECT payment_id FROM payments WHERE state != 'processing')",
            [],
        )?;
        Ok(())
    }

    // ----- paths -----

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// `<data_dir>/roots.json`: the registry root a wallet pins.
    pub fn roots_json_path(&self) -> PathBuf {
        self.inner.data_dir.join("roots.json")
    }

    /// The pinned roots (what `roots.json` holds).
    pub fn roots(&self) -> &RootKeys {
        &self.inner.roots
    }

    // ----- merchants, keys, registry -----

    /// Every merchant, by id.
    pub fn merchants(&self) -> Result<Vec<MerchantInfo>, SandboxError> {
        let conn = self.conn();
        Self::merchants_locked(&conn)
    }

    fn merchants_locked(conn: &Connection) -> Result<Vec<MerchantInfo>, SandboxError> {
        let mut stmt = conn.prepare(
            "SELECT merchant_id, name, city, country, mcc, currency, account_id, account_json,
                    blocked, balance_minor FROM merchants ORDER BY merchant_id",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, u8>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, bool>(8)?,
                    r.get::<_, i64>(9)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, name, city, country, mcc, cur, account_id, account, blocked, bal) in rows {
            let cur = currency(&cur)?;
            let account: RegisteredAccount = serde_json::from_str(&account)
                .map_err(|e| SandboxError::Corrupt(format!("merchant {id} account: {e}")))?;
            let mut kstmt = conn.prepare(
                "SELECT key_id, revoked, not_before, not_after FROM merchant_keys
                 WHERE merchant_id = ?1 ORDER BY revoked, position",
            )?;
            let keys = kstmt
                .query_map([&id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .map(|(key_id, revoked, nb, na)| {
                    Ok(KeyInfo {
                        key_id,
                        revoked,
                        not_before: to_u64(nb)?,
                        not_after: to_u64(na)?,
                    })
                })
                .collect::<Result<Vec<_>, SandboxError>>()?;
            // Balances can go negative only through a refund after payouts,
            // which the sandbox does not model; clamp for display.
            let balance = Money::new(u64::try_from(bal).unwrap_or(0), cur);
            out.push(MerchantInfo {
                merchant_id: id,
                name,
                city,
                country,
                mcc,
                currency: cur,
                account_id,
                account,
                blocked,
                balance,
                keys,
            });
        }
        Ok(out)
    }

    /// One merchant.
    pub fn merchant(&self, merchant_id: &str) -> Result<MerchantInfo, SandboxError> {
        self.merchants()?
            .into_iter()
            .find(|m| m.merchant_id == merchant_id)
            .ok_or_else(|| SandboxError::UnknownMerchant(merchant_id.to_string()))
    }

    /// The private key `key_id` (revoked keys included: fixtures sign with
    /// them on purpose).
    pub fn merchant_signing_key(&self, key_id: &str) -> Result<SigningKey, SandboxError> {
        let conn = self.conn();
        let seed: Option<Vec<u8>> = conn
            .query_row(
                "SELECT seed FROM merchant_keys WHERE key_id = ?1",
                [key_id],
                |r| r.get(0),
            )
            .optional()?;
        seed_key(&seed.ok_or_else(|| SandboxError::UnknownKey(key_id.to_string()))?)
    }

    /// The merchant's active key id and private key.
    pub fn merchant_active_key(
        &self,
        merchant_id: &str,
    ) -> Result<(String, SigningKey), SandboxError> {
        let m = self.merchant(merchant_id)?;
        let key_id = m
            .active_key_id()
            .ok_or_else(|| {
                SandboxError::Invalid(format!("merchant {merchant_id} has no active key"))
            })?
            .to_string();
        let key = self.merchant_signing_key(&key_id)?;
        Ok((key_id, key))
    }

    /// An unsigned EMVCo MPM payload for `merchant` with its registered
    /// account, name and city: static without `amount`, dynamic with it.
    /// `bill_number` and `reference_label` go into template 62 (01 and 05).
    pub fn unsigned_payload(
        merchant: &MerchantInfo,
        amount: Option<Money>,
        bill_number: Option<&str>,
        reference_label: Option<&str>,
    ) -> Result<String, SandboxError> {
        let enc = |id: u8, v: &str| {
            tlv::encode(id, v).map_err(|e| SandboxError::Invalid(format!("field {id}: {e}")))
        };
        let mut out = String::new();
        out.push_str(&enc(0, "01")?);
        out.push_str(&enc(1, if amount.is_some() { "12" } else { "11" })?);
        let account = match &merchant.account {
            RegisteredAccount::Template { guid, fields } => {
                let mut v = enc(0, guid)?;
                for (k, val) in fields {
                    let id: u8 = k
                        .parse()
                        .map_err(|_| SandboxError::Corrupt(format!("account field {k:?}")))?;
                    v.push_str(&enc(id, val)?);
                }
                enc(merchant.account_id, &v)?
            }
            RegisteredAccount::Primitive { id, value } => enc(*id, value)?,
        };
        out.push_str(&account);
        out.push_str(&enc(52, &merchant.mcc)?);
        out.push_str(&enc(53, &merchant.currency.numeric_str())?);
        if let Some(a) = amount {
            if a.currency != merchant.currency {
                return Err(SandboxError::Invalid(format!(
                    "merchant {} is paid in {}, not {}",
                    merchant.merchant_id, merchant.currency, a.currency
                )));
            }
            out.push_str(&enc(54, &a.to_emv_string())?);
        }
        out.push_str(&enc(58, &merchant.country)?);
        out.push_str(&enc(59, &merchant.name)?);
        out.push_str(&enc(60, &merchant.city)?);
        let mut extra = String::new();
        if let Some(b) = bill_number {
            extra.push_str(&enc(1, b)?);
        }
        if let Some(r) = reference_label {
            extra.push_str(&enc(5, r)?);
        }
        if !extra.is_empty() {
            out.push_str(&enc(62, &extra)?);
        }
        Ok(out)
    }

    /// A signed static code for the merchant, with its active key.
    pub fn static_payload(&self, merchant_id: &str) -> Result<String, SandboxError> {
        let m = self.merchant(merchant_id)?;
        let (key_id, key) = self.merchant_active_key(merchant_id)?;
        let unsigned = SandboxData::unsigned_payload(&m, None, None, None)?;
        Ok(sign_payload(&unsigned, &key, &key_id, None)?)
    }

    /// Recomputes the registry from the merchants and keys; signs a new
    /// version only when they changed.
    fn refresh_registry(&self, conn: &Connection) -> Result<(), SandboxError> {
        let registry_id = meta(conn, "registry_id")?.unwrap_or_else(|| "scanpay-sandbox".into());
        let mut keys = Vec::new();
        for m in Self::merchants_locked(conn)? {
            for k in &m.keys {
                let seed: Vec<u8> = conn.query_row(
                    "SELECT seed FROM merchant_keys WHERE key_id = ?1",
                    [&k.key_id],
                    |r| r.get(0),
                )?;
                keys.push(MerchantKeyJson {
                    key_id: k.key_id.clone(),
                    merchant_id: m.merchant_id.clone(),
                    name: m.name.clone(),
                    city: m.city.clone(),
                    accounts: vec![m.account.clone()],
                    alg: Algorithm::Ed25519,
                    public_key: seed_key(&seed)?.public_key().to_base64url(),
                    not_before: k.not_before,
                    not_after: k.not_after,
                    revoked: k.revoked,
                });
            }
        }
        keys.sort_by(|a, b| a.key_id.cmp(&b.key_id));
        let content = sha256_hex(&json(&(&registry_id, &keys))?);
        let version = meta_u64(conn, "registry_version")?;
        let have_doc: bool = conn
            .query_row(
                "SELECT COUNT(*) FROM registry_docs WHERE version = ?1",
                [to_i64(version)?],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)?;
        if !have_doc || meta(conn, "registry_content")?.as_deref() != Some(content.as_str()) {
            let now = self.now_locked(conn)?;
            let version = version.saturating_add(1);
            let registry = RegistryJson {
                format: scanpay_core::trust::registry::REGISTRY_FORMAT,
                registry_id,
                version,
                issued_at: now,
                expires_at: now.saturating_add(REGISTRY_LIFETIME_SECS),
                keys,
            };
            let doc = sign_registry(&registry, &[(ROOT_KEY_ID, &self.inner.root)])?;
            conn.execute(
                "INSERT INTO registry_docs (version, issued_at, document) VALUES (?1, ?2, ?3)",
                params![to_i64(version)?, to_i64(now)?, doc],
            )?;
            set_meta(conn, "registry_version", &version.to_string())?;
            set_meta(conn, "registry_content", &content)?;
        }
        // The server verifies payloads the way a wallet does, against its own
        // current registry.
        let (version, doc) = Self::registry_locked(conn)?;
        let mut store = TrustStore::new(self.inner.roots.clone());
        store
            .apply_registry(&doc, self.now_locked(conn)?)
            .map_err(|e| SandboxError::Corrupt(format!("registry v{version}: {e}")))?;
        *self
            .inner
            .trust
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = store;
        Ok(())
    }

    fn registry_locked(conn: &Connection) -> Result<(u64, Vec<u8>), SandboxError> {
        let version = meta_u64(conn, "registry_version")?;
        let doc: Vec<u8> = conn.query_row(
            "SELECT document FROM registry_docs WHERE version = ?1",
            [to_i64(version)?],
            |r| r.get(0),
        )?;
        Ok((version, doc))
    }

    /// The current registry version and its signed document (exact bytes).
    pub fn registry_document(&self) -> Result<(u64, Vec<u8>), SandboxError> {
        Self::registry_locked(&self.conn())
    }

    /// Revokes (or un-revokes) a merchant key; the registry gets a new version.
    pub fn set_key_revoked(&self, key_id: &str, revoked: bool) -> Result<u64, SandboxError> {
        let conn = self.conn();
        let n = conn.execute(
            "UPDATE merchant_keys SET revoked = ?2 WHERE key_id = ?1",
            params![key_id, revoked],
        )?;
        if n == 0 {
            return Err(SandboxError::UnknownKey(key_id.to_string()));
        }
        self.refresh_registry(&conn)?;
        meta_u64(&conn, "registry_version")
    }

    /// Blocks (or unblocks) payments to a merchant. The registry is unchanged:
    /// blocking is a backend decision.
    pub fn set_merchant_blocked(
        &self,
        merchant_id: &str,
        blocked: bool,
    ) -> Result<(), SandboxError> {
        let n = self.conn().execute(
            "UPDATE merchants SET blocked = ?2 WHERE merchant_id = ?1",
            params![merchant_id, blocked],
        )?;
        if n == 0 {
            return Err(SandboxError::UnknownMerchant(merchant_id.to_string()));
        }
        Ok(())
    }

    // ----- wallet routes -----

    /// `GET /v1/health`.
    pub fn health(&self) -> Result<HealthResponse, SandboxError> {
        let conn = self.conn();
        Ok(HealthResponse {
            status: "ok".into(),
            time: self.now_locked(&conn)?,
            registry_version: meta_u64(&conn, "registry_version")?,
        })
    }

    /// `GET /v1/registry?have=N`.
    pub fn registry(&self, have: Option<u64>) -> Result<RegistryAnswer, SandboxError> {
        let (version, bytes) = self.registry_document()?;
        match have {
            Some(h) if h >= version => Ok(RegistryAnswer::NotModified),
            _ => Ok(RegistryAnswer::Document { version, bytes }),
        }
    }

    /// `POST /v1/devices`.
    pub fn enrol(&self, req: &EnrolRequest) -> Result<EnrolResponse, ApiError> {
        // Through core's key type: a small-order key would let anyone sign
        // as this device (ADR 0011).
        let key =
            scanpay_core::trust::PublicKey::from_base64url(Algorithm::Ed25519, &req.public_key)
                .map_err(|e| {
                    ApiError::malformed(format!("public_key is not a usable Ed25519 key: {e}"))
                })?
                .as_bytes()
                .to_vec();
        let request_key = Self::registration_request_key(req, &key)?;
        let plan = seed::plan(&req.enrolment_code).ok_or_else(|| {
            ApiError::new(
                403,
                error_code::BAD_ENROLMENT_CODE,
                "unknown enrolment code",
            )
        })?;
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: Option<(String, String, String)> = tx
            .query_row(
                "SELECT device_id, account_id, enrolment_code FROM devices WHERE public_key = ?1",
                [&key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (device_id, account_id) = match existing {
            Some((d, a, code)) if code == plan.code => (d, a),
            Some(_) => {
                return Err(ApiError::new(
                    409,
                    "device-already-enrolled",
                    "this device key is enrolled with another code",
                ))
            }
            None => {
                let device_id = new_id("dev_")?;
                let account_id = new_id("acc_")?;
                tx.execute(
                    "INSERT INTO accounts (account_id, currency, balance_minor, per_payment_minor,
                        daily_minor, created_at) VALUES (?1,?2,?3,?4,?5,?6)",
                    params![
                        account_id,
                        plan.opening_balance.currency.code(),
                        to_i64(plan.opening_balance.minor)?,
                        to_i64(plan.per_payment_limit.minor)?,
                        to_i64(plan.daily_limit.minor)?,
                        to_i64(now)?
                    ],
                )?;
                tx.execute(
                    "INSERT INTO devices (device_id, public_key, account_id, enrolment_code,
                        enrolled_at) VALUES (?1,?2,?3,?4,?5)",
                    params![device_id, key, account_id, plan.code, to_i64(now)?],
                )?;
                (device_id, account_id)
            }
        };
        if let Some(rk) = &request_key {
            // Registering again (same key, same code) adds a request key to
            // an existing device: how a wallet from before request keys gets one.
            tx.execute(
                "INSERT OR IGNORE INTO request_keys (request_key, account_id, device_id,
                    registered_at) VALUES (?1, ?2, ?3, ?4)",
                params![rk, account_id, device_id, to_i64(now)?],
            )?;
            // A new device key for a wallet already known by its request
            // key (a PIN reset): the old key's shortcuts lapse with it.
            Self::drop_superseded_shortcuts(&tx, rk, &device_id)?;
        }
        let account = Self::account_locked(&tx, &account_id)?
            .ok_or_else(|| SandboxError::Corrupt(format!("device {device_id} has no account")))?;
        tx.commit()?;
        Ok(EnrolResponse {
            device_id,
            account_id,
            balance: account.balance,
        })
    }

    /// The registration's request key, checked: both fields or neither, 32
    /// and 64 bytes of unpadded base64url, and the proof verifies against the
    /// device key (nobody registers a key they do not hold).
    fn registration_request_key(
        req: &EnrolRequest,
        device_key: &[u8],
    ) -> Result<Option<Vec<u8>>, ApiError> {
        let (key, proof) = match (&req.request_key, &req.request_key_proof) {
            (None, None) => return Ok(None),
            (Some(k), Some(p)) => (k, p),
            _ => {
                return Err(ApiError::malformed(
                    "request_key and request_key_proof go together",
                ))
            }
        };
        // Through core's key type, like the device key: a small-order key
        // would make trivial signatures verify.
        let key = scanpay_core::trust::PublicKey::from_base64url(Algorithm::Ed25519, key)
            .map_err(|e| {
                ApiError::malformed(format!("request_key is not a usable Ed25519 key: {e}"))
            })?
            .as_bytes()
            .to_vec();
        let proof = URL_SAFE_NO_PAD
            .decode(proof.as_bytes())
            .ok()
            .filter(|p| p.len() == 64)
            .ok_or_else(|| ApiError::malformed("request_key_proof is not 64 bytes of base64url"))?;
        verify_registration_proof(&key, device_key, &proof).map_err(|_| {
            ApiError::malformed("request_key_proof does not verify for this device key")
        })?;
        Ok(Some(key))
    }

    /// Authenticates a query or reversal: the `Authorization` header parses,
    /// its key is registered, the signature verifies for this method, path
    /// and id, its time is within [`MAX_CLOCK_SKEW_SECS`] of the system clock
    /// (the wall clock, not the control clock: wallets sign with real time),
    /// and its nonce is new for the key. Records the nonce in `tx`. Returns
    /// every account the key was registered with.
    fn authenticate(
        tx: &Connection,
        header: Option<&str>,
        method: &str,
        path: &str,
        payment_id: &str,
    ) -> Result<Vec<String>, ApiError> {
        let header = header.ok_or_else(|| {
            ApiError::unauthenticated(
                error_code::MISSING_REQUEST_SIGNATURE,
                "queries and reversals need an Authorization: ScanPay-Request header",
            )
        })?;
        let auth = RequestAuthorization::parse(header).map_err(|e| {
            ApiError::unauthenticated(error_code::BAD_REQUEST_SIGNATURE, e.to_string())
        })?;
        let accounts: Vec<String> = {
            let mut stmt = tx.prepare(
                "SELECT account_id FROM request_keys WHERE request_key = ?1
                 ORDER BY registered_at, rowid",
            )?;
            let rows = stmt.query_map([&auth.key[..]], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<_, _>>()?
        };
        if accounts.is_empty() {
            return Err(ApiError::unauthenticated(
                error_code::UNKNOWN_REQUEST_KEY,
                "the request key is not registered: register the device again",
            ));
        }
        auth.verify(method, path, payment_id).map_err(|e| {
            ApiError::unauthenticated(error_code::BAD_REQUEST_SIGNATURE, e.to_string())
        })?;
        let now = system_now();
        if auth.time.abs_diff(now) > MAX_CLOCK_SKEW_SECS {
            return Err(ApiError::unauthenticated(
                error_code::STALE_REQUEST,
                format!(
                    "the request time is {} s from the server's clock, at most {MAX_CLOCK_SKEW_SECS} allowed",
                    auth.time.abs_diff(now)
                ),
            ));
        }
        // Nonces whose time is already outside the window can never be
        // accepted again, so forgetting them reopens nothing.
        tx.execute(
            "DELETE FROM request_nonces WHERE time < ?1",
            [to_i64(now.saturating_sub(MAX_CLOCK_SKEW_SECS))?],
        )?;
        let fresh = tx.execute(
            "INSERT OR IGNORE INTO request_nonces (request_key, nonce, time) VALUES (?1, ?2, ?3)",
            params![&auth.key[..], &auth.nonce[..], to_i64(auth.time)?],
        )?;
        if fresh == 0 {
            return Err(ApiError::unauthenticated(
                error_code::REPLAYED_REQUEST,
                "this nonce was already used with this key",
            ));
        }
        Ok(accounts)
    }

    /// Refuses (403) a payment row of another account than the key's. A
    /// legacy tombstone row (no account, from a sandbox before request keys)
    /// belongs to nobody and is shown to everyone.
    fn check_owner(row: &PaymentRow, accounts: &[String]) -> Result<(), ApiError> {
        match &row.account_id {
            Some(a) if !accounts.contains(a) => Err(ApiError::new(
                403,
                error_code::FOREIGN_PAYMENT,
                "this payment belongs to another account",
            )),
            _ => Ok(()),
        }
    }

    /// Whether any of `accounts` reversed `payment_id` before it was seen.
    fn tombstoned(
        tx: &Connection,
        accounts: &[String],
        payment_id: &str,
    ) -> Result<bool, ApiError> {
        for a in accounts {
            let found: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM tombstones WHERE account_id = ?1 AND payment_id = ?2",
                    params![a, payment_id],
                    |r| r.get(0),
                )
                .optional()?;
            if found.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn account_locked(conn: &Connection, id: &str) -> Result<Option<AccountInfo>, SandboxError> {
        let row: Option<(String, i64, i64, i64)> = conn
            .query_row(
                "SELECT currency, balance_minor, per_payment_minor, daily_minor
                 FROM accounts WHERE account_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((cur, bal, per, daily)) = row else {
            return Ok(None);
        };
        let cur = currency(&cur)?;
        Ok(Some(AccountInfo {
            account_id: id.to_string(),
            balance: Money::new(to_u64(bal)?, cur),
            per_payment_limit: Money::new(to_u64(per)?, cur),
            daily_limit: Money::new(to_u64(daily)?, cur),
        }))
    }

    /// A wallet account.
    pub fn account(&self, account_id: &str) -> Result<Option<AccountInfo>, SandboxError> {
        Self::account_locked(&self.conn(), account_id)
    }

    /// `POST /v1/payments`: validation (not stored), then processing, whose
    /// first result is stored with the key in the same transaction as the
    /// charge and replayed for every retry.
    pub fn submit(
        &self,
        idempotency_key: Option<&str>,
        body: &[u8],
    ) -> Result<SubmitAnswer, ApiError> {
        self.submit_with(idempotency_key, body, None)
    }

    /// `POST /v1/payments` under the `payer-pending` fault: validated and
    /// checked exactly as [`SandboxData::submit`], but a first submit is
    /// stored as `processing` with nothing charged and answered `processing`
    /// (stored for idempotency like any first result). The
    /// `decide_at_query`-th [`SandboxData::query`] for it (0 counts as 1)
    /// decides it exactly as an unfaulted submit would be decided at that
    /// moment; a [`SandboxData::reverse`] before then reverses it, uncharged.
    /// A retry, or a submit for an id already seen (a tombstone), is
    /// answered as without the fault.
    pub fn submit_payer_pending(
        &self,
        idempotency_key: Option<&str>,
        body: &[u8],
        decide_at_query: u32,
    ) -> Result<SubmitAnswer, ApiError> {
        self.submit_with(idempotency_key, body, Some(decide_at_query.max(1)))
    }

    /// The submit: decided now (`decide_at_query` `None`) or left processing
    /// until that query.
    fn submit_with(
        &self,
        idempotency_key: Option<&str>,
        body: &[u8],
        decide_at_query: Option<u32>,
    ) -> Result<SubmitAnswer, ApiError> {
        let key = idempotency_key.ok_or_else(|| {
            ApiError::new(
                400,
                error_code::MISSING_IDEMPOTENCY_KEY,
                "a submit needs an Idempotency-Key header",
            )
        })?;
        if !is_valid_payment_id(key) {
            return Err(ApiError::malformed(
                "the Idempotency-Key is not a valid payment id",
            ));
        }
        let req: PaymentRequestBody =
            serde_json::from_slice(body).map_err(|e| ApiError::malformed(format!("body: {e}")))?;
        if req.payment_id != key {
            return Err(ApiError::new(
                400,
                error_code::IDEMPOTENCY_KEY_MISMATCH,
                "the Idempotency-Key differs from the body's payment_id",
            ));
        }
        // Parameters are compared as the decoded body, so formatting of the
        // retry does not matter.
        let fingerprint = sha256_hex(&json(&req).map_err(ApiError::from)?);

        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        Self::sweep(&conn, now)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let stored: Option<(String, u16, Vec<u8>)> = tx
            .query_row(
                "SELECT fingerprint, status, body FROM idempotency WHERE idem_key = ?1",
                [key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((fp, status, body)) = stored {
            if fp != fingerprint {
                return Err(ApiError::new(
                    409,
                    error_code::IDEMPOTENCY_KEY_REUSE,
                    format!("key {key} was first used with other parameters"),
                ));
            }
            tx.execute(
                "UPDATE payments SET submits = submits + 1 WHERE payment_id = ?1",
                [key],
            )?;
            tx.commit()?;
            return Ok(SubmitAnswer {
                status,
                body,
                replayed: true,
            });
        }

        let device = self.validate_submit(&tx, &req)?;
        let tombstone = Self::tombstoned(&tx, std::slice::from_ref(&device.1), key)?;
        let too_large = [
            req.breakdown.amount,
            req.breakdown.tip,
            req.breakdown.fee,
            req.breakdown.total,
        ]
        .iter()
        .any(|m| m.minor > MAX_AMOUNT_MINOR);
        if too_large && !tombstone && load_payment(&tx, key)?.is_none() {
            // A signed, well-formed request the ledger cannot hold: a typed
            // refusal, stored and replayed under its key like any answer
            // that processing reached (rule 2), never a 500.
            let body = json(&ErrorBody::new(
                error_code::AMOUNT_TOO_LARGE,
                format!("amounts are at most {MAX_AMOUNT_MINOR} minor units"),
            ))
            .map_err(ApiError::from)?;
            tx.execute(
                "INSERT INTO idempotency (idem_key, fingerprint, status, body, created_at)
                 VALUES (?1, ?2, 400, ?3, ?4)",
                params![key, fingerprint, body, to_i64(now)?],
            )?;
            tx.commit()?;
            return Ok(SubmitAnswer {
                status: 400,
                body,
                replayed: false,
            });
        }
        let reply = match load_payment(&tx, key)? {
            // A reversal got here first (tombstone): refuse, charge nothing.
            Some(row) => {
                tx.execute(
                    "UPDATE payments SET submits = submits + 1 WHERE payment_id = ?1",
                    [key],
                )?;
                row.reply(key)?
            }
            // This account reversed the id before it arrived: refuse, charge nothing.
            None if tombstone => {
                tx.execute(
                    "UPDATE tombstones SET submits = submits + 1
                     WHERE account_id = ?1 AND payment_id = ?2",
                    params![device.1, key],
                )?;
                BackendReply::Reversed
            }
            None => match decide_at_query {
                None => self.process(&tx, &req, &device, now)?,
                Some(n) => self.defer(&tx, &req, &device, now, n)?,
            },
        };
        let body = json(&reply).map_err(ApiError::from)?;
        tx.execute(
            "INSERT INTO idempotency (idem_key, fingerprint, status, body, created_at)
             VALUES (?1, ?2, 200, ?3, ?4)",
            params![key, fingerprint, body, to_i64(now)?],
        )?;
        tx.commit()?;
        Ok(SubmitAnswer {
            status: 200,
            body,
            replayed: false,
        })
    }

    /// The checks that make a request unacceptable (401/400, never stored):
    /// the device is enrolled, its signature verifies with the key its
    /// method names, and what it signed is this request. Returns
    /// `(device_id, account_id)`.
    fn validate_submit(
        &self,
        conn: &Connection,
        req: &PaymentRequestBody,
    ) -> Result<(String, String), ApiError> {
        let signed = &req.authorisation;
        let device: Option<(String, String, Vec<u8>)> = conn
            .query_row(
                "SELECT device_id, account_id, public_key FROM devices WHERE public_key = ?1",
                [&signed.device_public_key],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let (device_id, account_id, public_key) =
            device.ok_or_else(|| ApiError::bad_auth("the device is not enrolled"))?;
        Self::verify_method(conn, &device_id, &public_key, signed)?;
        let auth = &signed.authorisation;
        let b = &req.breakdown;
        let sum = b
            .amount
            .checked_add(b.tip)
            .and_then(|s| s.checked_add(b.fee))
            .map_err(|e| ApiError::malformed(format!("breakdown: {e}")))?;
        if sum != b.total {
            return Err(ApiError::malformed(
                "breakdown: amount + tip + fee != total",
            ));
        }
        let mismatch = if auth.payment_id != req.payment_id {
            Some("payment id")
        } else if auth.amount_minor != b.total.minor || auth.currency != b.total.currency {
            Some("amount")
        } else if auth.payload_sha256 != PaymentAuthorisation::payload_digest(&req.payload) {
            Some("payload")
        } else {
            None
        };
        if let Some(what) = mismatch {
            return Err(ApiError::bad_auth(format!(
                "the authorisation signs another {what} than this request carries"
            )));
        }
        Ok((device_id, account_id))
    }

    /// The payload verified the way a wallet verifies it, against the
    /// sandbox's own registry (a fresh replay guard: orders track nonces),
    /// and parsed. A code that does not verify is `Ok(Err(reason))`, for the
    /// caller to decline. A verified code whose key or account is not what
    /// the authorisation signed is 401: the request contradicts itself,
    /// whatever the decision would be.
    fn verify_terms(
        &self,
        req: &PaymentRequestBody,
        now: u64,
    ) -> Result<Result<(VerifiedMerchant, MerchantPayload), Reason>, ApiError> {
        let verdict = self
            .inner
            .trust
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .verify(&req.payload, now, &mut InMemoryReplayGuard::default());
        let verified = match verdict {
            Verdict::Verified(v) => v,
            Verdict::Unverified { reason } => return Ok(Err(reason)),
        };
        let payload = MerchantPayload::parse(&req.payload)
            .map_err(|e| ApiError::malformed(format!("payload: {e}")))?;
        let auth = &req.authorisation.authorisation;
        if verified.key_id != auth.merchant_key_id
            || payload_account(&payload) != auth.merchant_account
        {
            return Err(ApiError::bad_auth(
                "the authorisation names another merchant key or account than the payload",
            ));
        }
        Ok(Ok((verified, payload)))
    }

    /// The `payer-pending` first submit: stores the payment as `processing`
    /// (nothing charged) and the validated request for the deciding query.
    /// Runs inside the caller's transaction; returns the reply to store.
    fn defer(
        &self,
        tx: &Connection,
        req: &PaymentRequestBody,
        device: &(String, String),
        now: u64,
        decide_at_query: u32,
    ) -> Result<BackendReply, ApiError> {
        // What an unfaulted submit refuses with a 4xx (never stored) is
        // refused now too: the fault defers the decision, not the validation.
        // A code that does not verify is a decline, decided at the query.
        let _decided_later = self.verify_terms(req, now)?;
        let (device_id, account_id) = device;
        let total = req.breakdown.total;
        tx.execute(
            "INSERT INTO payments (payment_id, state, account_id, device_id, amount_minor,
                currency, created_at, submits, method)
             VALUES (?1, 'processing', ?2, ?3, ?4, ?5, ?6, 1, ?7)",
            params![
                req.payment_id,
                account_id,
                device_id,
                to_i64(total.minor)?,
                total.currency.code(),
                to_i64(now)?,
                req.authorisation.method.code()
            ],
        )?;
        tx.execute(
            "INSERT INTO payer_pending (payment_id, request, device_id, account_id,
                decide_at_query) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                req.payment_id,
                json(req).map_err(ApiError::from)?,
                device_id,
                account_id,
                decide_at_query
            ],
        )?;
        Ok(BackendReply::Processing)
    }

    /// A query of a payment still `processing`. A payer-pending one counts
    /// the query; the deciding one runs [`SandboxData::process`] on the
    /// stored request now, in this query's transaction, so the decision, its
    /// charge and the answer commit together.
    fn query_processing(
        &self,
        tx: &Connection,
        row: &PaymentRow,
        payment_id: &str,
        now: u64,
    ) -> Result<BackendReply, ApiError> {
        let pending: Option<(Vec<u8>, String, String, u32, u32)> = tx
            .query_row(
                "SELECT request, device_id, account_id, decide_at_query, queries_seen
                 FROM payer_pending WHERE payment_id = ?1",
                [payment_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((request, device_id, account_id, decide_at, seen)) = pending else {
            return Ok(row.reply(payment_id)?);
        };
        let seen = seen.saturating_add(1);
        if seen < decide_at {
            tx.execute(
                "UPDATE payer_pending SET queries_seen = ?2 WHERE payment_id = ?1",
                params![payment_id, seen],
            )?;
            return Ok(BackendReply::Processing);
        }
        let req: PaymentRequestBody = serde_json::from_slice(&request).map_err(|e| {
            SandboxError::Corrupt(format!("payer-pending request {payment_id}: {e}"))
        })?;
        tx.execute(
            "DELETE FROM payer_pending WHERE payment_id = ?1",
            [payment_id],
        )?;
        self.process(tx, &req, &(device_id, account_id), now)
            .map_err(|e| {
                // The request passed validation at its submit; a refusal now
                // is the server failing, not the query being malformed. The
                // transaction rolls back: still processing, this query not
                // counted.
                if e.status < 500 {
                    ApiError::new(
                        500,
                        error_code::INTERNAL,
                        format!("the payer-pending decision failed: {}", e.message),
                    )
                } else {
                    e
                }
            })
    }

    /// Decides and applies a first submit (or, for `payer-pending`, the
    /// stored request at its deciding query). Runs inside the caller's
    /// transaction; returns the reply to store.
    fn process(
        &self,
        tx: &Connection,
        req: &PaymentRequestBody,
        device: &(String, String),
        now: u64,
    ) -> Result<BackendReply, ApiError> {
        let (device_id, account_id) = device;
        let total = req.breakdown.total;
        let record = |state: &str,
                      merchant: Option<&str>,
                      order: Option<&str>,
                      reference: Option<&str>,
                      decline: Option<(&str, &str)>|
         -> Result<(), ApiError> {
            // A payer-pending payment's row exists since its submit: the
            // decision fills it in, keeping its creation time and submits.
            tx.execute(
                "INSERT INTO payments (payment_id, state, account_id, device_id, merchant_id,
                    order_id, amount_minor, currency, reference, decline_code, decline_message,
                    created_at, paid_at, charges, submits, method)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,1,?15)
                 ON CONFLICT(payment_id) DO UPDATE SET
                    state = excluded.state, account_id = excluded.account_id,
                    device_id = excluded.device_id, merchant_id = excluded.merchant_id,
                    order_id = excluded.order_id, amount_minor = excluded.amount_minor,
                    currency = excluded.currency, reference = excluded.reference,
                    decline_code = excluded.decline_code,
                    decline_message = excluded.decline_message, paid_at = excluded.paid_at,
                    charges = payments.charges + excluded.charges, method = excluded.method",
                params![
                    req.payment_id,
                    state,
                    account_id,
                    device_id,
                    merchant,
                    order,
                    to_i64(total.minor)?,
                    total.currency.code(),
                    reference,
                    decline.map(|d| d.0),
                    decline.map(|d| d.1),
                    to_i64(now)?,
                    if state == "succeeded" {
                        Some(to_i64(now)?)
                    } else {
                        None
                    },
                    i64::from(state == "succeeded"),
                    req.authorisation.method.code()
                ],
            )?;
            Ok(())
        };
        let decline = |code: &str,
                       message: String,
                       merchant: Option<&str>,
                       order: Option<&str>|
         -> Result<BackendReply, ApiError> {
            record("declined", merchant, order, None, Some((code, &message)))?;
            Ok(declined(code, message))
        };

        let terms = self.verify_terms(req, now)?;
        // A PIN-free payment must first qualify (ADR 0022 §4): decided
        // before every other decline, so an attempt that does not learns
        // nothing else about the account, and before any money moves.
        if req.authorisation.method == PaymentAuthMethod::PinFree {
            if let Some(refusal) = Self::pin_free_refusal(tx, req, device, &terms, now)? {
                let merchant = terms.as_ref().ok().map(|(v, _)| v.merchant_id.as_str());
                return decline(DECLINE_PIN_REQUIRED, refusal.to_string(), merchant, None);
            }
        }
        let (verified, payload) = match terms {
            Ok(v) => v,
            Err(reason) => {
                let code = match reason {
                    Reason::RevokedKey { .. } => "merchant-key-revoked",
                    Reason::UnknownKey { .. } => "unknown-merchant",
                    Reason::CodeExpired { .. } => "order-expired",
                    _ => "invalid-merchant-code",
                };
                return decline(
                    code,
                    format!("merchant code: {}", reason.code()),
                    None,
                    None,
                );
            }
        };
        let merchant_id = verified.merchant_id.as_str();
        let blocked: Option<bool> = tx
            .query_row(
                "SELECT blocked FROM merchants WHERE merchant_id = ?1",
                [merchant_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(blocked) = blocked else {
            return decline(
                "unknown-merchant",
                format!("merchant {merchant_id} is not known"),
                None,
                None,
            );
        };
        let m = Some(merchant_id);
        if blocked {
            return decline(
                "merchant-blocked",
                "payments to this merchant are blocked".into(),
                m,
                None,
            );
        }
        if payload.currency != total.currency {
            return decline(
                "amount-mismatch",
                "the payment currency differs from the merchant code's".into(),
                m,
                None,
            );
        }
        if let Some(a) = payload.amount {
            if a != req.breakdown.amount {
                return decline(
                    "amount-mismatch",
                    "the amount differs from the merchant code's".into(),
                    m,
                    None,
                );
            }
            // The split is recomputed from the code (55 = 01 tip prompt, 02
            // with 56 fixed fee, 03 with 57 percentage): the client's is not
            // taken on trust, or any extra could ride in `fee` (or in a tip
            // the code never asks for) past the code's amount.
            let expected = breakdown(a, payload.tip, Some(req.breakdown.tip)).ok();
            if expected != Some(req.breakdown) {
                let message = match expected {
                    Some(e) => format!(
                        "the fee {} is not the merchant code's convenience fee {}",
                        req.breakdown.fee, e.fee
                    ),
                    None => format!(
                        "a tip of {} on a merchant code that asks for none",
                        req.breakdown.tip
                    ),
                };
                return decline("amount-mismatch", message, m, None);
            }
        }
        let mut order_id = None;
        if let Some(d) = &verified.dynamic {
            let order: Option<(String, String, i64, i64)> = tx
                .query_row(
                    "SELECT order_id, state, amount_minor, expires_at FROM orders WHERE nonce = ?1",
                    [&d.nonce],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((oid, state, amount, expires_at)) = order else {
                return decline("unknown-order", "no order has this code".into(), m, None);
            };
            let o = Some(oid.as_str());
            match state.as_str() {
                "open" if now < to_u64(expires_at)? => {}
                "paid" | "refunded" => {
                    return decline("order-paid", "the order is already paid".into(), m, o)
                }
                _ => return decline("order-expired", "the order is closed".into(), m, o),
            }
            if to_u64(amount)? != req.breakdown.amount.minor {
                return decline(
                    "amount-mismatch",
                    "the amount differs from the order's".into(),
                    m,
                    o,
                );
            }
            order_id = Some(oid);
        }
        let o = order_id.as_deref();
        let account = Self::account_locked(tx, account_id)?
            .ok_or_else(|| SandboxError::Corrupt(format!("account {account_id} missing")))?;
        if account.balance.currency != total.currency {
            return decline(
                "currency-not-supported",
                format!("this account pays in {}", account.balance.currency),
                m,
                o,
            );
        }
        if total.minor == 0 {
            return decline("amount-mismatch", "nothing to pay".into(), m, o);
        }
        if total.minor > account.per_payment_limit.minor {
            return decline(
                "limit-exceeded",
                format!(
                    "over the per-payment limit of {}",
                    account.per_payment_limit
                ),
                m,
                o,
            );
        }
        let spent: i64 = tx.query_row(
            "SELECT COALESCE(-SUM(delta_minor), 0) FROM ledger WHERE account_id = ?1 AND at > ?2",
            params![account_id, to_i64(now.saturating_sub(86_400))?],
            |r| r.get(0),
        )?;
        let spent = u64::try_from(spent).unwrap_or(0);
        if spent.saturating_add(total.minor) > account.daily_limit.minor {
            return decline(
                "limit-exceeded",
                format!("over the daily limit of {}", account.daily_limit),
                m,
                o,
            );
        }
        if total.minor > account.balance.minor {
            return decline("insufficient-funds", "the balance is too low".into(), m, o);
        }
        // The charge: payer debited, merchant credited, ledger entry, order
        // paid, payment row — all in the caller's transaction.
        // The payment row's rowid: the row a first submit is about to insert
        // (rows are never deleted), or the payer-pending row being decided —
        // unique either way, where a count would repeat for a late decision.
        let seq: i64 = tx.query_row(
            "SELECT COALESCE((SELECT rowid FROM payments WHERE payment_id = ?1),
                             (SELECT IFNULL(MAX(rowid), 0) + 1 FROM payments))",
            [&req.payment_id],
            |r| r.get(0),
        )?;
        let reference = format!("PAY-{seq:06}");
        let amount = to_i64(total.minor)?;
        tx.execute(
            "UPDATE accounts SET balance_minor = balance_minor - ?2 WHERE account_id = ?1",
            params![account_id, amount],
        )?;
        tx.execute(
            "UPDATE merchants SET balance_minor = balance_minor + ?2 WHERE merchant_id = ?1",
            params![merchant_id, amount],
        )?;
        tx.execute(
            "INSERT INTO ledger (account_id, payment_id, delta_minor, kind, at)
             VALUES (?1, ?2, ?3, 'charge', ?4)",
            params![account_id, req.payment_id, -amount, to_i64(now)?],
        )?;
        if let Some(oid) = o {
            tx.execute(
                "UPDATE orders SET state = 'paid', payment_id = ?2 WHERE order_id = ?1",
                params![oid, req.payment_id],
            )?;
        }
        record("succeeded", m, o, Some(&reference), None)?;
        Ok(BackendReply::Succeeded {
            receipt: Receipt {
                reference,
                amount: total,
                paid_at: now,
            },
        })
    }

    /// `GET /v1/payments/{id}`, authenticated by the request signature in
    /// `authorization` (the `Authorization` header's value): 401 without a
    /// valid one, 403 for another account's payment.
    pub fn query(
        &self,
        payment_id: &str,
        authorization: Option<&str>,
    ) -> Result<BackendReply, ApiError> {
        if !is_valid_payment_id(payment_id) {
            return Err(ApiError::malformed("not a valid payment id"));
        }
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        Self::sweep(&conn, now)?;
        // A write transaction: the query that decides a payer-pending
        // payment charges in it, and the nonce is recorded in it.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let accounts = Self::authenticate(
            &tx,
            authorization,
            "GET",
            &payment_path(payment_id),
            payment_id,
        )?;
        let reply = match load_payment(&tx, payment_id)? {
            None if Self::tombstoned(&tx, &accounts, payment_id)? => BackendReply::Reversed,
            None => BackendReply::NotFound,
            Some(row) => {
                Self::check_owner(&row, &accounts)?;
                if row.state == "processing" {
                    self.query_processing(&tx, &row, payment_id, now)?
                } else {
                    row.reply(payment_id)?
                }
            }
        };
        tx.commit()?;
        Ok(reply)
    }

    /// `POST /v1/payments/{id}/reverse`, authenticated like
    /// [`SandboxData::query`]: a tombstone for an unknown id (for every
    /// account of the request key only: another account's later submit of
    /// that id is not affected), refund inside the reversal window,
    /// `succeeded` once settled; 403 for another account's payment.
    pub fn reverse(
        &self,
        payment_id: &str,
        authorization: Option<&str>,
    ) -> Result<BackendReply, ApiError> {
        if !is_valid_payment_id(payment_id) {
            return Err(ApiError::malformed("not a valid payment id"));
        }
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        Self::sweep(&conn, now)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let accounts = Self::authenticate(
            &tx,
            authorization,
            "POST",
            &reverse_path(payment_id),
            payment_id,
        )?;
        let reply = self.reverse_locked(&tx, payment_id, Some(&accounts), now)?;
        tx.commit()?;
        Ok(reply)
    }

    /// The reversal, inside the caller's transaction. `accounts` are the
    /// request key's (`None`: the merchant reversing its own order's payment).
    fn reverse_locked(
        &self,
        tx: &Connection,
        payment_id: &str,
        accounts: Option<&[String]>,
        now: u64,
    ) -> Result<BackendReply, ApiError> {
        let row = load_payment(tx, payment_id)?;
        if let (Some(row), Some(accounts)) = (&row, accounts) {
            Self::check_owner(row, accounts)?;
            // A pay-code charge is the till's to reverse, never the payer's
            // (who would otherwise refund what the shop handed over).
            if Self::is_paycode_charge(tx, payment_id)? {
                return Ok(row.reply(payment_id)?);
            }
        }
        let reply = match row {
            None => {
                // Every account the key acts for: a submit signed by the
                // wallet's older device key (before a reset and a new
                // registration) lands in the older account and must be
                // refused too.
                for a in accounts.unwrap_or_default() {
                    tx.execute(
                        "INSERT OR IGNORE INTO tombstones (account_id, payment_id, created_at)
                         VALUES (?1, ?2, ?3)",
                        params![a, payment_id, to_i64(now)?],
                    )?;
                }
                BackendReply::Reversed
            }
            Some(row) if row.state == "succeeded" => {
                let settled = row
                    .paid_at
                    .is_some_and(|p| now >= p.saturating_add(REVERSAL_WINDOW_SECS));
                if settled {
                    row.reply(payment_id)?
                } else {
                    Self::refund(tx, payment_id, &row, now)?;
                    BackendReply::Reversed
                }
            }
            Some(row) if row.state == "processing" => {
                // Nothing was charged: reversed, and never decided later.
                tx.execute(
                    "UPDATE payments SET state = 'reversed' WHERE payment_id = ?1",
                    [payment_id],
                )?;
                tx.execute(
                    "DELETE FROM payer_pending WHERE payment_id = ?1",
                    [payment_id],
                )?;
                BackendReply::Reversed
            }
            Some(row) => row.reply(payment_id)?,
        };
        Ok(reply)
    }

    fn refund(tx: &Connection, id: &str, row: &PaymentRow, now: u64) -> Result<(), ApiError> {
        let amount = to_i64(row.amount_minor)?;
        let account = row.account_id.as_deref().unwrap_or_default();
        tx.execute(
            "UPDATE accounts SET balance_minor = balance_minor + ?2 WHERE account_id = ?1",
            params![account, amount],
        )?;
        tx.execute(
            "UPDATE merchants SET balance_minor = balance_minor - ?2 WHERE merchant_id = ?1",
            params![row.merchant_id, amount],
        )?;
        tx.execute(
            "INSERT INTO ledger (account_id, payment_id, delta_minor, kind, at)
             VALUES (?1, ?2, ?3, 'refund', ?4)",
            params![account, id, amount, to_i64(now)?],
        )?;
        tx.execute(
            "UPDATE payments SET state = 'reversed', refunds = refunds + 1 WHERE payment_id = ?1",
            [id],
        )?;
        if let Some(oid) = &row.order_id {
            tx.execute(
                "UPDATE orders SET state = 'refunded' WHERE order_id = ?1",
                [oid],
            )?;
        }
        Ok(())
    }

    // ----- merchant routes -----

    /// `POST /v1/merchant/orders`: a dynamic order, signed with the merchant's
    /// active key, closing [`ORDER_TTL_SECS`] after creation.
    pub fn create_order(&self, req: &CreateOrderRequest) -> Result<CreateOrderResponse, ApiError> {
        self.create_order_with_ttl(req, ORDER_TTL_SECS)
    }

    /// [`SandboxData::create_order`] with another lifetime (1 s to
    /// [`MAX_ORDER_TTL_SECS`]), for QA on a real device where 45 s is short.
    pub fn create_order_with_ttl(
        &self,
        req: &CreateOrderRequest,
        ttl_secs: u64,
    ) -> Result<CreateOrderResponse, ApiError> {
        if ttl_secs == 0 || ttl_secs > MAX_ORDER_TTL_SECS {
            return Err(ApiError::malformed(format!(
                "an order lives 1 to {MAX_ORDER_TTL_SECS} seconds"
            )));
        }
        let reference = req.reference.trim();
        if reference.is_empty()
            || reference.len() > MAX_REFERENCE_LEN
            || !reference
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./ ".contains(&b))
        {
            return Err(ApiError::malformed(format!(
                "reference must be 1-{MAX_REFERENCE_LEN} characters of A-Z a-z 0-9 - _ . / space"
            )));
        }
        let merchant = self.merchant(&req.merchant_id).map_err(|e| match e {
            SandboxError::UnknownMerchant(_) => {
                ApiError::new(404, "unknown-merchant", e.to_string())
            }
            other => other.into(),
        })?;
        if req.amount.currency != merchant.currency
            || req.amount.is_zero()
            || req.amount.minor > MAX_AMOUNT_MINOR
        {
            return Err(ApiError::malformed(format!(
                "the amount must be a positive amount in {} of at most {MAX_AMOUNT_MINOR} minor units",
                merchant.currency
            )));
        }
        // The order travels as an EMVCo payload, whose tag 54 holds at most
        // 13 characters: refuse here what the signer could not encode,
        // rather than failing inside the signer with a 500.
        if req.amount.to_emv_string().len() > MAX_AMOUNT_CHARS {
            return Err(ApiError::malformed(format!(
                "the amount {} does not fit the {MAX_AMOUNT_CHARS} characters of an EMVCo amount",
                req.amount.to_emv_string()
            )));
        }
        let (key_id, key) = self
            .merchant_active_key(&merchant.merchant_id)
            .map_err(ApiError::from)?;
        let order_id = new_id("ord_")?;
        let short: String = order_id.chars().take(20).collect();
        let now = self.now()?;
        let expires_at = now.saturating_add(ttl_secs);
        let nonce = random_nonce(&SystemRandom::new()).map_err(SandboxError::from)?;
        let unsigned = SandboxData::unsigned_payload(
            &merchant,
            Some(req.amount),
            Some(reference),
            Some(&short),
        )?;
        let payload = sign_payload(
            &unsigned,
            &key,
            &key_id,
            Some(DynamicInfo {
                expires_at,
                nonce: nonce.clone(),
            }),
        )
        .map_err(SandboxError::from)?;
        self.conn().execute(
            "INSERT INTO orders (order_id, merchant_id, amount_minor, currency, reference, nonce,
                key_id, payload, created_at, expires_at, state)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,'open')",
            params![
                order_id,
                merchant.merchant_id,
                to_i64(req.amount.minor)?,
                req.amount.currency.code(),
                reference,
                nonce,
                key_id,
                payload,
                to_i64(now)?,
                to_i64(expires_at)?
            ],
        )?;
        Ok(CreateOrderResponse {
            order_id,
            payload,
            expires_at,
        })
    }

    /// An order, if it exists (after closing what expired).
    pub fn order(&self, order_id: &str) -> Result<Option<OrderInfo>, SandboxError> {
        let conn = self.conn();
        Self::sweep(&conn, self.now_locked(&conn)?)?;
        let row: Option<OrderRow> = conn
            .query_row(
                "SELECT merchant_id, amount_minor, currency, reference, state, expires_at,
                        payment_id, payload FROM orders WHERE order_id = ?1",
                [order_id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        r.get(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((merchant_id, amount, cur, reference, state, expires_at, payment_id, payload)) =
            row
        else {
            return Ok(None);
        };
        Ok(Some(OrderInfo {
            order_id: order_id.to_string(),
            merchant_id,
            amount: Money::new(to_u64(amount)?, currency(&cur)?),
            reference,
            state,
            expires_at: to_u64(expires_at)?,
            payment_id,
            payload,
        }))
    }

    /// The merchant reverses an order: an open one is closed, a paid one is
    /// refunded (through its payment). Returns the order after.
    pub fn reverse_order(&self, order_id: &str) -> Result<Option<OrderInfo>, ApiError> {
        let Some(order) = self.order(order_id)? else {
            return Ok(None);
        };
        match (order.state.as_str(), &order.payment_id) {
            ("open", _) => {
                self.conn().execute(
                    "UPDATE orders SET state = 'closed' WHERE order_id = ?1 AND state = 'open'",
                    [order_id],
                )?;
            }
            ("paid", Some(pid)) => {
                let mut conn = self.conn();
                let now = self.now_locked(&conn)?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                self.reverse_locked(&tx, pid, None, now)?;
                tx.commit()?;
            }
            _ => {}
        }
        Ok(self.order(order_id)?)
    }

    // ----- control -----

    /// The server-side truth about a payment (`GET /v1/control/payments/{id}`).
    pub fn payment_truth(&self, payment_id: &str) -> Result<ControlPayment, SandboxError> {
        let conn = self.conn();
        Self::sweep(&conn, self.now_locked(&conn)?)?;
        let tombstones: (i64, i64) = conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(submits), 0) FROM tombstones WHERE payment_id = ?1",
            [payment_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(match load_payment(&conn, payment_id)? {
            None => ControlPayment {
                payment_id: payment_id.to_string(),
                state: if tombstones.0 > 0 {
                    ServerPaymentState::Reversed
                } else {
                    ServerPaymentState::NotFound
                },
                charges_applied: 0,
                refunds_applied: 0,
                submits_received: u32::try_from(tombstones.1).unwrap_or(u32::MAX),
                method: None,
            },
            Some(row) => ControlPayment {
                payment_id: payment_id.to_string(),
                state: row.server_state(),
                charges_applied: row.charges,
                refunds_applied: row.refunds,
                submits_received: row.submits,
                method: row.method,
            },
        })
    }
}

/// The convenience fee a code of amount `amount` and tip rule `rule` charges,
/// by the core's own breakdown (fixed, or the percentage of the amount
/// rounded half up); zero for a tip prompt or no rule. `None` when the sum
/// overflows: no request can match it.
pub(crate) fn code_fee(amount: Money, rule: Option<TipRule>) -> Option<Money> {
    breakdown(amount, rule, None).ok().map(|b| b.fee)
}
