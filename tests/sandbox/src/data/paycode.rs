//! The acquirer side of the pay code (issue 11, `docs/paycode.md`,
//! `docs/api.md` "Pay code"): provisioning the per-device secret, the tills'
//! charge, query and reversal, the wallet's event feed, and the payer's
//! confirmation of a charge above the no-PIN amount.
//!
//! Every state change of one charge (code used, counter advanced, money
//! moved, payment row, pay-code row, event, stored answer) is one SQLite
//! transaction, like a payment's: a crash leaves all of it or none.
//!
//! The secret K of each device is stored AES-256-GCM-sealed under the master
//! key in `paycode-master.key` beside the database (created 0600 on first
//! start), so a copy of the database alone yields no secret.

use std::collections::HashMap;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use scanpay_core::auth::{verify_authorisation, SignedAuthorisation};
use scanpay_core::net::api::paycode::{
    charge_descriptor, confirm_path, decline_path, decline_reason, error_code as pc_error,
    is_valid_out_trade_no, ChargeEvent, ChargeState, ConfirmRequest, EventsResponse, PaycodeLimits,
    ProvisionRequest, ProvisionResponse, TillCharge, TillChargeRequest, TillChargeState,
    MAX_EVENTS_PER_ANSWER, PATH_EVENTS, PATH_PROVISION, REQUEST_SIGNATURE_SUBJECT,
    TILL_AUTH_SCHEME, USERPAYING_TIMEOUT_SECS,
};
use scanpay_core::paycode::code::{
    accepted_steps, derive, find, step_of, PayCode, PaycodeSecret, SECRET_LEN, STEP_SECS,
};

use super::*;

/// How many counters past the next unused one a code may carry
/// (`ProvisionResponse.window`).
pub const PAYCODE_WINDOW: u32 = 50;
/// Refused codes a till may present per [`RATE_WINDOW_SECS`] before it is
/// answered 429.
pub const TILL_REFUSALS_PER_WINDOW: u32 = 5;
/// Refused codes a merchant's tills together may present per
/// [`RATE_WINDOW_SECS`].
pub const MERCHANT_REFUSALS_PER_WINDOW: u32 = 20;
/// The rate limit's sliding window, seconds (sandbox clock).
pub const RATE_WINDOW_SECS: u64 = 600;
/// How many steps back a code is still recognised as `code-expired` rather
/// than `code-unknown` (a quarter of an hour).
pub const EXPIRED_STEPS_RECOGNISED: u64 = 15;
/// Longest `auth_code` accepted (the CPM text is 52 characters; a scanner
/// may add whitespace).
pub const MAX_AUTH_CODE_LEN: usize = 256;
/// The file holding the master key that seals every device secret.
pub const MASTER_KEY_FILE: &str = "paycode-master.key";
/// The file listing the seeded tills and their API keys (0600), for the
/// cashier tool and QA.
pub const TILLS_FILE: &str = "tills.json";
/// `merchant_key_id` a confirmation's authorisation carries.
pub const CONFIRM_MERCHANT_KEY_ID: &str = "paycode";

/// Domain of the AES-GCM associated data binding a sealed secret to its
/// device and generation (a sealed secret copied to another row fails).
const SEAL_DOMAIN: &str = "scanpay:paycode-secret:v1\n";

/// A till and its API key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TillInfo {
    /// The merchant the till charges for.
    pub merchant_id: String,
    /// The till's id (appears on nothing the payer sees).
    pub till_id: String,
    /// The API key: `Authorization: ScanPay-Till <till_key>`.
    pub till_key: String,
}

/// A pay-code charge as the sandbox holds it (`GET
/// /v1/control/paycode/charges/{charge_id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaycodeChargeInfo {
    /// The charge id (also the `payments` row's id, so
    /// `/v1/control/payments/{charge_id}` counts its charges and refunds).
    pub charge_id: String,
    /// The merchant.
    pub merchant_id: String,
    /// The till that charged.
    pub till_id: String,
    /// The shop's order number.
    pub out_trade_no: String,
    /// The payer's device.
    pub device_id: String,
    /// The payer's account.
    pub account_id: String,
    /// The code's counter.
    pub counter: u64,
    /// The code's time step.
    pub step: u64,
    /// The amount.
    pub amount: Money,
    /// `userpaying`, `paid`, `closed` or `reversed`.
    pub state: ChargeState,
    /// The receipt number, once paid.
    pub receipt: Option<String>,
    /// What authorised the charge once paid: `code` (the code alone, up to
    /// the no-PIN amount) or `code+pin` (confirmed with the PIN).
    pub method: Option<String>,
    /// Created, unix seconds (sandbox clock).
    pub created_at: u64,
    /// When a `userpaying` charge closes if unconfirmed.
    pub expires_at: Option<u64>,
}

/// A till's answer: status, body, whether it is a replay, and for 429 when
/// to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TillAnswer {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
    /// The stored first answer, replayed (`Idempotent-Replayed: true`).
    pub replayed: bool,
    /// Seconds until the rate limit lets this till charge again (429 only).
    pub retry_after: Option<u64>,
}

impl TillAnswer {
    fn ok(charge: &TillCharge) -> Result<TillAnswer, ApiError> {
        Ok(TillAnswer {
            status: 200,
            body: json(charge).map_err(ApiError::from)?,
            replayed: false,
            retry_after: None,
        })
    }
}

/// A wallet whose event-feed request was authenticated: what a long-poll
/// re-reads without authenticating again (its nonce is spent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsFeed {
    device_id: String,
}

/// The default limits for an account's currency: 30 / 300 major units of
/// the few currencies the sandbox seeds, scaled to what that money buys
/// (THB 800 is about SGD 30), and 30 / 300 major units of any other.
pub fn default_limits(currency: Currency) -> PaycodeLimits {
    let major = 10u64.saturating_pow(u32::from(currency.exponent()));
    let (no_pin, total): (u64, u64) = match currency.code() {
        "THB" => (800, 8_000),
        "JPY" => (3_000, 30_000),
        "IDR" => (300_000, 3_000_000),
        _ => (30, 300),
    };
    PaycodeLimits {
        no_pin_max: Money::new(no_pin.saturating_mul(major), currency),
        offline_max_codes: 10,
        offline_max_total: Money::new(total.saturating_mul(major), currency),
    }
}

fn till_error(message: impl Into<String>) -> ApiError {
    ApiError::new(401, pc_error::BAD_TILL_KEY, message)
}

fn unknown_charge() -> ApiError {
    ApiError::new(404, pc_error::UNKNOWN_CHARGE, "no such charge")
}

fn not_pending() -> ApiError {
    ApiError::new(
        409,
        pc_error::CHARGE_NOT_PENDING,
        "the charge is not waiting for the payer",
    )
}

fn state_text(s: ChargeState) -> &'static str {
    match s {
        ChargeState::Userpaying => "userpaying",
        ChargeState::Paid => "paid",
        ChargeState::Closed => "closed",
        ChargeState::Reversed => "reversed",
    }
}

fn parse_state(s: &str) -> Result<ChargeState, SandboxError> {
    Ok(match s {
        "userpaying" => ChargeState::Userpaying,
        "paid" => ChargeState::Paid,
        "closed" => ChargeState::Closed,
        "reversed" => ChargeState::Reversed,
        other => return Err(SandboxError::Corrupt(format!("charge state {other:?}"))),
    })
}

fn till_state(s: ChargeState) -> TillChargeState {
    match s {
        ChargeState::Userpaying => TillChargeState::Userpaying,
        ChargeState::Paid => TillChargeState::Paid,
        ChargeState::Closed => TillChargeState::Closed,
        ChargeState::Reversed => TillChargeState::Reversed,
    }
}

/// Reads or creates the master key file (32 random bytes, 0600).
pub(super) fn load_master_key(data_dir: &Path) -> Result<Zeroizing<[u8; 32]>, SandboxError> {
    let path = data_dir.join(MASTER_KEY_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                SandboxError::Corrupt(format!("{} is not 32 bytes", path.display()))
            })?;
            Ok(Zeroizing::new(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Written whole under a temporary name, then linked into place:
            // linking fails if the file exists, so two processes opening a
            // new data dir at once (the server and a CLI command) cannot
            // end up with different keys; the loser reads the winner's.
            let key = Zeroizing::new(random_bytes::<32>()?);
            let tmp = data_dir.join(format!(
                "{MASTER_KEY_FILE}.{}.tmp",
                URL_SAFE_NO_PAD.encode(random_bytes::<9>()?)
            ));
            write_private(&tmp, key.as_slice())?;
            let linked = std::fs::hard_link(&tmp, &path);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => Ok(key),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    load_master_key(data_dir)
                }
                Err(e) => Err(SandboxError::io(&path, e)),
            }
        }
        Err(e) => Err(SandboxError::io(&path, e)),
    }
}

/// Writes a file readable by its owner only (a secret: the master key, the
/// till keys).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SandboxError> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| SandboxError::io(path, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| SandboxError::io(path, e))
}

fn seal_aad(device_id: &str, generation: u32) -> Vec<u8> {
    format!("{SEAL_DOMAIN}{device_id}\n{generation}").into_bytes()
}

fn master(key: &[u8; 32]) -> Result<LessSafeKey, SandboxError> {
    UnboundKey::new(&AES_256_GCM, key)
        .map(LessSafeKey::new)
        .map_err(|_| SandboxError::Corrupt("master key rejected".into()))
}

/// One provisioned device, with its secret unsealed (matching only).
struct Device {
    device_id: String,
    generation: u32,
    next_counter: u64,
    secret: PaycodeSecret,
}

/// Charge columns, as stored.
struct ChargeRow {
    info: PaycodeChargeInfo,
}

fn load_charge(conn: &Connection, charge_id: &str) -> Result<Option<ChargeRow>, SandboxError> {
    let row = conn
        .query_row(
            "SELECT merchant_id, till_id, out_trade_no, device_id, account_id, counter, step,
                    amount_minor, currency, state, receipt, method, created_at, expires_at
             FROM pc_charges WHERE charge_id = ?1",
            [charge_id],
            |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ),
                    (
                        r.get::<_, i64>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, i64>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, String>(9)?,
                    ),
                    (
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, Option<String>>(11)?,
                        r.get::<_, i64>(12)?,
                        r.get::<_, Option<i64>>(13)?,
                    ),
                ))
            },
        )
        .optional()?;
    let Some((
        (merchant_id, till_id, out_trade_no, device_id, account_id),
        (counter, step, amount, cur, state),
        (receipt, method, created_at, expires_at),
    )) = row
    else {
        return Ok(None);
    };
    Ok(Some(ChargeRow {
        info: PaycodeChargeInfo {
            charge_id: charge_id.to_string(),
            merchant_id,
            till_id,
            out_trade_no,
            device_id,
            account_id,
            counter: to_u64(counter)?,
            step: to_u64(step)?,
            amount: Money::new(to_u64(amount)?, currency(&cur)?),
            state: parse_state(&state)?,
            receipt,
            method,
            created_at: to_u64(created_at)?,
            expires_at: expires_at.map(to_u64).transpose()?,
        },
    }))
}

/// The outcome of matching a code against every provisioned device.
enum Match {
    /// A valid code of this device: `(device, counter, step)`.
    Valid(String, u64, u64),
    /// No valid code: the typed reason.
    Refused(&'static str),
}

impl SandboxData {
    // ----- tills -----

    /// Gives every merchant without a till one (`<merchant_id>-T1`, a fresh
    /// random key), then writes [`TILLS_FILE`]. Called when a data dir is
    /// opened, so a data dir from before pay codes gains tills too.
    pub(super) fn ensure_tills(&self, conn: &Connection) -> Result<(), SandboxError> {
        let missing: Vec<String> = {
            let mut stmt = conn.prepare(
                "SELECT merchant_id FROM merchants WHERE merchant_id NOT IN
                    (SELECT merchant_id FROM pc_tills) ORDER BY merchant_id",
            )?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<_, _>>()?
        };
        for m in missing {
            let key: [u8; 24] = random_bytes()?;
            conn.execute(
                "INSERT INTO pc_tills (till_key, till_id, merchant_id) VALUES (?1, ?2, ?3)",
                params![
                    format!("till_{}", URL_SAFE_NO_PAD.encode(key)),
                    format!("{m}-T1"),
                    m
                ],
            )?;
        }
        let tills = Self::tills_locked(conn)?;
        let text =
            serde_json::to_vec_pretty(&tills).map_err(|e| SandboxError::Corrupt(e.to_string()))?;
        // Replaced atomically: a reader never sees half a file.
        let path = self.inner.data_dir.join(TILLS_FILE);
        let tmp = self.inner.data_dir.join(format!(
            "{TILLS_FILE}.{}.tmp",
            URL_SAFE_NO_PAD.encode(random_bytes::<9>()?)
        ));
        write_private(&tmp, &text)?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            SandboxError::io(&path, e)
        })
    }

    fn tills_locked(conn: &Connection) -> Result<Vec<TillInfo>, SandboxError> {
        let mut stmt = conn.prepare(
            "SELECT merchant_id, till_id, till_key FROM pc_tills ORDER BY merchant_id, till_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TillInfo {
                merchant_id: r.get(0)?,
                till_id: r.get(1)?,
                till_key: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every till with its API key (`GET /v1/control/tills`).
    pub fn tills(&self) -> Result<Vec<TillInfo>, SandboxError> {
        Self::tills_locked(&self.conn())
    }

    /// The till key of `merchant_id`'s first till.
    pub fn till_key(&self, merchant_id: &str) -> Result<String, SandboxError> {
        self.tills()?
            .into_iter()
            .find(|t| t.merchant_id == merchant_id)
            .map(|t| t.till_key)
            .ok_or_else(|| SandboxError::UnknownMerchant(merchant_id.to_string()))
    }

    /// `(till_id, merchant_id)` of the `Authorization: ScanPay-Till` header.
    fn till_auth(conn: &Connection, header: Option<&str>) -> Result<(String, String), ApiError> {
        let header = header.ok_or_else(|| {
            till_error("till paths need an Authorization: ScanPay-Till <key> header")
        })?;
        let key = header
            .strip_prefix(TILL_AUTH_SCHEME)
            .and_then(|k| k.strip_prefix(' '))
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| till_error("not the ScanPay-Till scheme"))?;
        conn.query_row(
            "SELECT till_id, merchant_id FROM pc_tills WHERE till_key = ?1",
            [key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .ok_or_else(|| till_error("unknown till key"))
    }

    // ----- secrets -----

    fn seal(
        &self,
        device_id: &str,
        generation: u32,
        secret: &[u8],
    ) -> Result<Vec<u8>, SandboxError> {
        let nonce: [u8; 12] = random_bytes()?;
        let mut out = secret.to_vec();
        master(&self.inner.paycode_master)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(seal_aad(device_id, generation)),
                &mut out,
            )
            .map_err(|_| SandboxError::Corrupt("sealing a pay-code secret failed".into()))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&out);
        Ok(sealed)
    }

    fn unseal(
        &self,
        device_id: &str,
        generation: u32,
        sealed: &[u8],
    ) -> Result<PaycodeSecret, SandboxError> {
        let corrupt = || SandboxError::Corrupt(format!("the sealed secret of {device_id}"));
        let (nonce, ct) = sealed.split_first_chunk::<12>().ok_or_else(corrupt)?;
        let mut buf = Zeroizing::new(ct.to_vec());
        let plain = master(&self.inner.paycode_master)?
            .open_in_place(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(seal_aad(device_id, generation)),
                &mut buf,
            )
            .map_err(|_| corrupt())?;
        PaycodeSecret::from_bytes(plain).map_err(|_| corrupt())
    }

    fn devices_locked(&self, conn: &Connection) -> Result<Vec<Device>, SandboxError> {
        let rows: Vec<(String, u32, Vec<u8>, i64)> = {
            let mut stmt = conn.prepare(
                "SELECT device_id, generation, sealed_secret, next_counter FROM pc_devices
                 ORDER BY device_id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        rows.into_iter()
            .map(|(device_id, generation, sealed, next)| {
                let secret = self.unseal(&device_id, generation, &sealed)?;
                Ok(Device {
                    device_id,
                    generation,
                    next_counter: to_u64(next)?,
                    secret,
                })
            })
            .collect()
    }

    /// Matches a code against every provisioned device (the sandbox scans;
    /// `docs/paycode.md` describes the production index). A valid code:
    /// counter in `[next, next + W)`, step in the accepted steps. Otherwise
    /// the refusal is typed, in this order: a used code, a superseded one
    /// (`counter < next`, step accepted), an expired one (counter within W of
    /// next either way, step up to [`EXPIRED_STEPS_RECOGNISED`] back), else
    /// unknown.
    fn match_code(&self, conn: &Connection, code: &PayCode, now: u64) -> Result<Match, ApiError> {
        let now_step = step_of(now);
        let steps = accepted_steps(now_step);
        let window = u64::from(PAYCODE_WINDOW);
        let devices = self.devices_locked(conn)?;
        for d in &devices {
            let counters = d.next_counter..d.next_counter.saturating_add(window);
            if let Some((c, s)) = find(&d.secret, code, counters, steps.clone()) {
                return Ok(Match::Valid(d.device_id.clone(), c, s));
            }
        }
        let oldest = now_step.saturating_sub(EXPIRED_STEPS_RECOGNISED);
        for d in &devices {
            let used: Vec<(i64, i64)> = {
                let mut stmt = conn.prepare(
                    "SELECT counter, step FROM pc_used
                     WHERE device_id = ?1 AND generation = ?2 AND step >= ?3",
                )?;
                let rows = stmt
                    .query_map(params![d.device_id, d.generation, to_i64(oldest)?], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?;
                rows.collect::<Result<_, _>>()?
            };
            for (c, s) in used {
                if derive(&d.secret, to_u64(c)?, to_u64(s)?) == *code {
                    return Ok(Match::Refused(decline_reason::CODE_USED));
                }
            }
        }
        for d in &devices {
            let below = d.next_counter.saturating_sub(window)..d.next_counter;
            if find(&d.secret, code, below, steps.clone()).is_some() {
                return Ok(Match::Refused(decline_reason::CODE_SUPERSEDED));
            }
        }
        let expired_steps = oldest..=now_step.saturating_sub(ACCEPT_STEPS_BEFORE_PLUS_ONE);
        for d in &devices {
            let around =
                d.next_counter.saturating_sub(window)..d.next_counter.saturating_add(window);
            if now_step > ACCEPT_STEPS_BEFORE_PLUS_ONE
                && find(&d.secret, code, around, expired_steps.clone()).is_some()
            {
                return Ok(Match::Refused(decline_reason::CODE_EXPIRED));
            }
        }
        Ok(Match::Refused(decline_reason::CODE_UNKNOWN))
    }

    // ----- limits -----

    fn limits_locked(conn: &Connection, account_id: &str) -> Result<PaycodeLimits, SandboxError> {
        let account = Self::account_locked(conn, account_id)?
            .ok_or_else(|| SandboxError::Corrupt(format!("account {account_id} missing")))?;
        Ok(default_limits(account.balance.currency))
    }

    /// `(count, total minor)` of this device's charges since its last sync
    /// that took (or may take) money: `paid` and `userpaying`.
    fn since_sync(conn: &Connection, device_id: &str) -> Result<(u64, u64), SandboxError> {
        let (n, total): (i64, i64) = conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(c.amount_minor), 0) FROM pc_charges c
             JOIN pc_devices d ON d.device_id = c.device_id
             WHERE c.device_id = ?1 AND c.rowid > d.synced_through
               AND c.state IN ('paid', 'userpaying')",
            [device_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((to_u64(n)?, to_u64(total)?))
    }

    // ----- provisioning -----

    /// `POST /v1/paycode/provision`: the request key authenticates the
    /// wallet (subject [`REQUEST_SIGNATURE_SUBJECT`]), the device key's
    /// signature proves the PIN; a new secret K (generation + 1) replaces
    /// any earlier one.
    pub fn paycode_provision(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<ProvisionResponse, ApiError> {
        let req: ProvisionRequest =
            serde_json::from_slice(body).map_err(|e| ApiError::malformed(format!("body: {e}")))?;
        let nonce_ok = (16..=64).contains(&req.nonce.len())
            && req
                .nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !nonce_ok {
            return Err(ApiError::malformed(
                "nonce must be 16 to 64 characters of unpadded base64url",
            ));
        }
        let device_key = URL_SAFE_NO_PAD
            .decode(req.device_public_key.as_bytes())
            .ok()
            .filter(|k| k.len() == 32)
            .ok_or_else(|| ApiError::malformed("device_public_key is not 32 bytes of base64url"))?;
        let signature = URL_SAFE_NO_PAD
            .decode(req.signature.as_bytes())
            .ok()
            .filter(|s| s.len() == 64)
            .ok_or_else(|| ApiError::malformed("signature is not 64 bytes of base64url"))?;
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::authenticate(
            &tx,
            authorization,
            "POST",
            PATH_PROVISION,
            REQUEST_SIGNATURE_SUBJECT,
        )?;
        let request_key = request_key_of(authorization)?;
        let bad_device = |m: &str| ApiError::new(403, pc_error::BAD_DEVICE_SIGNATURE, m);
        let device: Option<(String, String)> = tx
            .query_row(
                "SELECT d.device_id, d.account_id FROM devices d
                 JOIN request_keys k ON k.device_id = d.device_id AND k.account_id = d.account_id
                 WHERE d.public_key = ?1 AND k.request_key = ?2",
                params![device_key, request_key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (device_id, account_id) = device
            .ok_or_else(|| bad_device("the device key is not registered with this request key"))?;
        ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &device_key)
            .verify(
                &ProvisionRequest::signed_bytes(req.time, &req.nonce),
                &signature,
            )
            .map_err(|_| bad_device("the device signature does not verify"))?;
        // The device signs with its wall clock, like request signatures.
        let wall = system_now();
        if req.time.abs_diff(wall) > MAX_CLOCK_SKEW_SECS {
            return Err(ApiError::unauthenticated(
                error_code::STALE_REQUEST,
                format!(
                    "the provisioning time is {} s from the server's clock, at most {MAX_CLOCK_SKEW_SECS} allowed",
                    req.time.abs_diff(wall)
                ),
            ));
        }
        let fresh = tx.execute(
            "INSERT OR IGNORE INTO pc_provision_nonces (device_id, nonce, time) VALUES (?1, ?2, ?3)",
            params![device_id, req.nonce, to_i64(req.time)?],
        )?;
        if fresh == 0 {
            return Err(ApiError::unauthenticated(
                error_code::REPLAYED_REQUEST,
                "this provisioning nonce was already used by this device",
            ));
        }
        let before: Option<(u32, i64)> = tx
            .query_row(
                "SELECT generation, next_counter FROM pc_devices WHERE device_id = ?1",
                [&device_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (generation, counter) = match before {
            // Counters keep counting up across secrets: a code is never
            // (counter, step)-equal to an earlier one of the same wallet.
            Some((g, next)) => (g.saturating_add(1), to_u64(next)?),
            None => (1, 0),
        };
        let secret = Zeroizing::new(random_bytes::<SECRET_LEN>()?);
        let sealed = self.seal(&device_id, generation, secret.as_slice())?;
        let max_rowid: i64 =
            tx.query_row("SELECT IFNULL(MAX(rowid), 0) FROM pc_charges", [], |r| {
                r.get(0)
            })?;
        tx.execute(
            "INSERT INTO pc_devices (device_id, account_id, request_key, generation,
                sealed_secret, next_counter, provisioned_at, synced_through)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(device_id) DO UPDATE SET
                account_id = excluded.account_id, request_key = excluded.request_key,
                generation = excluded.generation, sealed_secret = excluded.sealed_secret,
                provisioned_at = excluded.provisioned_at,
                synced_through = excluded.synced_through",
            params![
                device_id,
                account_id,
                request_key.to_vec(),
                generation,
                sealed,
                to_i64(counter)?,
                to_i64(now)?,
                max_rowid
            ],
        )?;
        let limits = Self::limits_locked(&tx, &account_id)?;
        tx.commit()?;
        Ok(ProvisionResponse {
            secret: URL_SAFE_NO_PAD.encode(secret.as_slice()),
            generation,
            counter,
            window: PAYCODE_WINDOW,
            step_secs: STEP_SECS,
            limits,
            account_id,
        })
    }

    // ----- events -----

    /// Authenticates an events request (`GET /v1/paycode/events`, subject
    /// [`REQUEST_SIGNATURE_SUBJECT`]): the feed of the device this request
    /// key provisioned last.
    pub fn paycode_events_auth(&self, authorization: Option<&str>) -> Result<EventsFeed, ApiError> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        Self::authenticate(
            &tx,
            authorization,
            "GET",
            PATH_EVENTS,
            REQUEST_SIGNATURE_SUBJECT,
        )?;
        let request_key = request_key_of(authorization)?;
        let device: Option<String> = tx
            .query_row(
                "SELECT device_id FROM pc_devices WHERE request_key = ?1
                 ORDER BY provisioned_at DESC, rowid DESC LIMIT 1",
                [request_key.to_vec()],
                |r| r.get(0),
            )
            .optional()?;
        // The nonce is spent even when the answer is 409.
        tx.commit()?;
        let device_id = device.ok_or_else(|| {
            ApiError::new(
                409,
                pc_error::NOT_PROVISIONED,
                "this wallet has no pay code: provision first",
            )
        })?;
        Ok(EventsFeed { device_id })
    }

    /// The feed's events after `after` (at most
    /// [`MAX_EVENTS_PER_ANSWER`]), recording the wallet's sync (its offline
    /// counters restart) in the same transaction, so a charge either is in
    /// this answer or counts against the next sync.
    pub fn paycode_events_read(
        &self,
        feed: &EventsFeed,
        after: u64,
    ) -> Result<EventsResponse, ApiError> {
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        Self::sweep(&conn, now)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let device = &feed.device_id;
        let (account_id, next): (String, i64) = tx.query_row(
            "SELECT account_id, next_counter FROM pc_devices WHERE device_id = ?1",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let limit = i64::try_from(MAX_EVENTS_PER_ANSWER).unwrap_or(100) + 1;
        let mut events = {
            let mut stmt = tx.prepare(
                "SELECT seq, charge_id, state, merchant_id, merchant_name, amount_minor,
                        currency, receipt, counter, at, expires_at
                 FROM pc_events WHERE device_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            )?;
            let rows = stmt.query_map(params![device, to_i64(after)?, limit], |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ),
                    (r.get::<_, String>(3)?, r.get::<_, String>(4)?),
                    (r.get::<_, i64>(5)?, r.get::<_, String>(6)?),
                    (
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, i64>(8)?,
                        r.get::<_, i64>(9)?,
                        r.get::<_, Option<i64>>(10)?,
                    ),
                ))
            })?;
            let rows: Vec<_> = rows.collect::<Result<_, _>>()?;
            rows.into_iter()
                .map(
                    |(
                        (seq, charge_id, state),
                        (merchant_id, merchant_name),
                        (amount, cur),
                        (receipt, counter, at, exp),
                    )| {
                        Ok(ChargeEvent {
                            seq: to_u64(seq)?,
                            charge_id,
                            state: parse_state(&state)?,
                            merchant_id,
                            merchant_name,
                            amount: Money::new(to_u64(amount)?, currency(&cur)?),
                            receipt,
                            counter: to_u64(counter)?,
                            at: to_u64(at)?,
                            expires_at: exp.map(to_u64).transpose()?,
                        })
                    },
                )
                .collect::<Result<Vec<_>, SandboxError>>()?
        };
        let has_more = events.len() > MAX_EVENTS_PER_ANSWER;
        events.truncate(MAX_EVENTS_PER_ANSWER);
        tx.execute(
            "UPDATE pc_devices SET synced_through =
                (SELECT IFNULL(MAX(rowid), 0) FROM pc_charges) WHERE device_id = ?1",
            [device],
        )?;
        let limits = Self::limits_locked(&tx, &account_id)?;
        tx.commit()?;
        Ok(EventsResponse {
            events,
            has_more,
            counter_next: to_u64(next)?,
            limits,
            time: now,
        })
    }

    /// A receiver that changes whenever a pay-code event is written: what an
    /// events long-poll waits on (no thread is held while it waits).
    pub fn paycode_event_signal(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.paycode_events.subscribe()
    }

    fn notify_events(&self) {
        self.inner
            .paycode_events
            .send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Appends an event to the charge's device feed (next seq, no gaps).
    fn write_event(
        tx: &Connection,
        charge: &PaycodeChargeInfo,
        state: ChargeState,
        receipt: Option<&str>,
        now: u64,
    ) -> Result<ChargeEvent, ApiError> {
        let seq: i64 = tx.query_row(
            "UPDATE pc_devices SET last_seq = last_seq + 1 WHERE device_id = ?1
             RETURNING last_seq",
            [&charge.device_id],
            |r| r.get(0),
        )?;
        let name: String = tx.query_row(
            "SELECT name FROM merchants WHERE merchant_id = ?1",
            [&charge.merchant_id],
            |r| r.get(0),
        )?;
        let expires_at = (state == ChargeState::Userpaying)
            .then_some(charge.expires_at)
            .flatten();
        tx.execute(
            "INSERT INTO pc_events (device_id, seq, charge_id, state, merchant_id, merchant_name,
                amount_minor, currency, receipt, counter, at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                charge.device_id,
                seq,
                charge.charge_id,
                state_text(state),
                charge.merchant_id,
                name,
                to_i64(charge.amount.minor)?,
                charge.amount.currency.code(),
                receipt,
                to_i64(charge.counter)?,
                to_i64(now)?,
                expires_at.map(to_i64).transpose()?
            ],
        )?;
        Ok(ChargeEvent {
            seq: to_u64(seq)?,
            charge_id: charge.charge_id.clone(),
            state,
            merchant_id: charge.merchant_id.clone(),
            merchant_name: name,
            amount: charge.amount,
            receipt: receipt.map(str::to_string),
            counter: charge.counter,
            at: now,
            expires_at,
        })
    }

    /// Closes `userpaying` charges past their `expires_at` (with their
    /// event), inside a savepoint so it is all or nothing whether or not the
    /// caller holds a transaction. Part of [`SandboxData::sweep`].
    pub(super) fn sweep_paycode(conn: &Connection, now: u64) -> Result<(), SandboxError> {
        let due: Vec<String> = {
            let mut stmt = conn.prepare(
                "SELECT charge_id FROM pc_charges WHERE state = 'userpaying' AND expires_at <= ?1",
            )?;
            let rows = stmt.query_map([to_i64(now)?], |r| r.get::<_, String>(0))?;
            rows.collect::<Result<_, _>>()?
        };
        if due.is_empty() {
            return Ok(());
        }
        conn.execute_batch("SAVEPOINT pc_sweep")?;
        let result = (|| -> Result<(), ApiError> {
            for id in &due {
                if let Some(row) = load_charge(conn, id)? {
                    Self::close_charge(conn, &row.info, now)?;
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                conn.execute_batch("RELEASE pc_sweep")?;
                Ok(())
            }
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK TO pc_sweep; RELEASE pc_sweep");
                Err(SandboxError::Db(e.message))
            }
        }
    }

    /// A `userpaying` charge ends without money moving: `closed`.
    fn close_charge(
        tx: &Connection,
        charge: &PaycodeChargeInfo,
        now: u64,
    ) -> Result<ChargeEvent, ApiError> {
        tx.execute(
            "UPDATE pc_charges SET state = 'closed' WHERE charge_id = ?1",
            [&charge.charge_id],
        )?;
        tx.execute(
            "UPDATE payments SET state = 'closed' WHERE payment_id = ?1",
            [&charge.charge_id],
        )?;
        Self::write_event(tx, charge, ChargeState::Closed, None, now)
    }

    /// Moves the money of a charge: payer debited, merchant credited, ledger
    /// entry, payment row `succeeded` with its receipt, pay-code row `paid`
    /// with what authorised it, event. Inside the caller's transaction.
    fn pay_charge(
        tx: &Connection,
        charge: &PaycodeChargeInfo,
        method: &str,
        now: u64,
    ) -> Result<(String, ChargeEvent), ApiError> {
        let seq: i64 = tx.query_row(
            "SELECT rowid FROM payments WHERE payment_id = ?1",
            [&charge.charge_id],
            |r| r.get(0),
        )?;
        let receipt = format!("PAY-{seq:06}");
        let amount = to_i64(charge.amount.minor)?;
        tx.execute(
            "UPDATE accounts SET balance_minor = balance_minor - ?2 WHERE account_id = ?1",
            params![charge.account_id, amount],
        )?;
        tx.execute(
            "UPDATE merchants SET balance_minor = balance_minor + ?2 WHERE merchant_id = ?1",
            params![charge.merchant_id, amount],
        )?;
        tx.execute(
            "INSERT INTO ledger (account_id, payment_id, delta_minor, kind, at)
             VALUES (?1, ?2, ?3, 'charge', ?4)",
            params![charge.account_id, charge.charge_id, -amount, to_i64(now)?],
        )?;
        tx.execute(
            "UPDATE payments SET state = 'succeeded', reference = ?2, paid_at = ?3,
                charges = charges + 1 WHERE payment_id = ?1",
            params![charge.charge_id, receipt, to_i64(now)?],
        )?;
        tx.execute(
            "UPDATE pc_charges SET state = 'paid', receipt = ?2, method = ?3, paid_at = ?4
             WHERE charge_id = ?1",
            params![charge.charge_id, receipt, method, to_i64(now)?],
        )?;
        let event = Self::write_event(tx, charge, ChargeState::Paid, Some(&receipt), now)?;
        Ok((receipt, event))
    }

    /// Why the account cannot pay `amount` now, if it cannot: balance,
    /// per-payment and 24-hour limits (all `insufficient-funds` to the till:
    /// the till cannot act on the difference, the payer's app shows it).
    fn cannot_pay(
        tx: &Connection,
        account: &AccountInfo,
        amount: Money,
        now: u64,
    ) -> Result<bool, ApiError> {
        let spent: i64 = tx.query_row(
            "SELECT COALESCE(-SUM(delta_minor), 0) FROM ledger WHERE account_id = ?1 AND at > ?2",
            params![account.account_id, to_i64(now.saturating_sub(86_400))?],
            |r| r.get(0),
        )?;
        let spent = u64::try_from(spent).unwrap_or(0);
        Ok(amount.minor > account.balance.minor
            || amount.minor > account.per_payment_limit.minor
            || spent.saturating_add(amount.minor) > account.daily_limit.minor)
    }

    // ----- till -----

    /// `POST /v1/merchant/paycode/charges`.
    pub fn till_charge(
        &self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<TillAnswer, ApiError> {
        let req: TillChargeRequest =
            serde_json::from_slice(body).map_err(|e| ApiError::malformed(format!("body: {e}")))?;
        if !is_valid_out_trade_no(&req.out_trade_no) {
            return Err(ApiError::malformed(
                "out_trade_no must be 1 to 32 characters of A-Z a-z 0-9 - _",
            ));
        }
        if req.amount.is_zero() || req.amount.minor > MAX_AMOUNT_MINOR {
            return Err(ApiError::malformed(format!(
                "the amount must be positive and at most {MAX_AMOUNT_MINOR} minor units"
            )));
        }
        if req.auth_code.len() > MAX_AUTH_CODE_LEN {
            return Err(ApiError::malformed(format!(
                "auth_code is longer than {MAX_AUTH_CODE_LEN} characters"
            )));
        }
        let fingerprint = sha256_hex(&json(&req).map_err(ApiError::from)?);
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        Self::sweep(&conn, now)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (till_id, merchant_id) = Self::till_auth(&tx, authorization)?;
        let stored: Option<(Option<String>, Vec<u8>)> = tx
            .query_row(
                "SELECT fingerprint, body FROM pc_orders WHERE merchant_id = ?1 AND out_trade_no = ?2",
                params![merchant_id, req.out_trade_no],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match stored {
            Some((Some(fp), body)) if fp == fingerprint => {
                return Ok(TillAnswer {
                    status: 200,
                    body,
                    replayed: true,
                    retry_after: None,
                })
            }
            Some((Some(_), _)) => {
                return Err(ApiError::new(
                    409,
                    error_code::IDEMPOTENCY_KEY_REUSE,
                    format!(
                        "order {} was first charged with other parameters",
                        req.out_trade_no
                    ),
                ))
            }
            // Reversed before any charge arrived (a tombstone): this late
            // charge is refused, closed, nothing taken.
            Some((None, _)) => {
                return TillAnswer::ok(&TillCharge {
                    out_trade_no: req.out_trade_no,
                    merchant_id,
                    state: TillChargeState::Closed,
                    amount: req.amount,
                    charge_id: None,
                    receipt: None,
                    reason: None,
                    expires_at: None,
                })
            }
            None => {}
        }
        if let Some(retry_after) = Self::rate_limited(&tx, &till_id, &merchant_id, now)? {
            let body = json(&ErrorBody::new(
                pc_error::RATE_LIMITED,
                format!("too many refused codes: try again in {retry_after} s"),
            ))
            .map_err(ApiError::from)?;
            // Nothing stored: the transaction is dropped (rolled back).
            return Ok(TillAnswer {
                status: 429,
                body,
                replayed: false,
                retry_after: Some(retry_after),
            });
        }
        let answer = self.decide_charge(&tx, &req, &till_id, &merchant_id, now)?;
        let body = json(&answer).map_err(ApiError::from)?;
        tx.execute(
            "INSERT INTO pc_orders (merchant_id, out_trade_no, till_id, fingerprint, body,
                charge_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                merchant_id,
                req.out_trade_no,
                till_id,
                fingerprint,
                body,
                answer.charge_id,
                to_i64(now)?
            ],
        )?;
        tx.commit()?;
        if answer.charge_id.is_some() {
            self.notify_events();
        }
        Ok(TillAnswer {
            status: 200,
            body,
            replayed: false,
            retry_after: None,
        })
    }

    /// Seconds until the till (or its merchant) may charge again, when it
    /// presented too many refused codes in the last [`RATE_WINDOW_SECS`].
    fn rate_limited(
        tx: &Connection,
        till_id: &str,
        merchant_id: &str,
        now: u64,
    ) -> Result<Option<u64>, ApiError> {
        let since = to_i64(now.saturating_sub(RATE_WINDOW_SECS))?;
        let mut wait = None::<u64>;
        for (column, value, max) in [
            ("till_id", till_id, TILL_REFUSALS_PER_WINDOW),
            ("merchant_id", merchant_id, MERCHANT_REFUSALS_PER_WINDOW),
        ] {
            let times: Vec<i64> = {
                let mut stmt = tx.prepare(&format!(
                    "SELECT at FROM pc_refusals WHERE {column} = ?1 AND at > ?2 ORDER BY at DESC"
                ))?;
                let rows = stmt.query_map(params![value, since], |r| r.get(0))?;
                rows.collect::<Result<_, _>>()?
            };
            let max = usize::try_from(max).unwrap_or(usize::MAX);
            // Allowed again once fewer than `max` refusals remain in the
            // window: when the max-th most recent one leaves it.
            if let Some(at) = times.get(max.saturating_sub(1)) {
                if times.len() >= max {
                    let free_at = to_u64(*at)?.saturating_add(RATE_WINDOW_SECS);
                    let w = free_at.saturating_sub(now).max(1);
                    wait = Some(wait.map_or(w, |x| x.max(w)));
                }
            }
        }
        Ok(wait)
    }

    /// Decides a first charge inside the caller's transaction; returns the
    /// answer to store.
    fn decide_charge(
        &self,
        tx: &Connection,
        req: &TillChargeRequest,
        till_id: &str,
        merchant_id: &str,
        now: u64,
    ) -> Result<TillCharge, ApiError> {
        let declined = |reason: &str| TillCharge {
            out_trade_no: req.out_trade_no.clone(),
            merchant_id: merchant_id.to_string(),
            state: TillChargeState::Declined,
            amount: req.amount,
            charge_id: None,
            receipt: None,
            reason: Some(reason.to_string()),
            expires_at: None,
        };
        let (m_currency, blocked): (String, bool) = tx.query_row(
            "SELECT currency, blocked FROM merchants WHERE merchant_id = ?1",
            [merchant_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if req.amount.currency.code() != m_currency {
            return Ok(declined(decline_reason::CURRENCY_MISMATCH));
        }
        if blocked {
            return Ok(declined(decline_reason::MERCHANT_BLOCKED));
        }
        let matched = match PayCode::parse(&req.auth_code) {
            Ok(code) => self.match_code(tx, &code, now)?,
            // Not a ScanPay code at all: a till cannot fix a scan, so this is
            // a stored decline like any unknown code (and counts as one).
            Err(_) => Match::Refused(decline_reason::CODE_UNKNOWN),
        };
        let (device_id, counter, step) = match matched {
            Match::Valid(d, c, s) => (d, c, s),
            Match::Refused(reason) => {
                tx.execute(
                    "INSERT INTO pc_refusals (till_id, merchant_id, at) VALUES (?1, ?2, ?3)",
                    params![till_id, merchant_id, to_i64(now)?],
                )?;
                return Ok(declined(reason));
            }
        };
        // The code is used whatever follows: single use, and the counters
        // before it are superseded.
        let (account_id, generation): (String, u32) = tx.query_row(
            "SELECT account_id, generation FROM pc_devices WHERE device_id = ?1",
            [&device_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let charge_id = new_id("chg_")?;
        tx.execute(
            "INSERT INTO pc_used (device_id, generation, counter, step, charge_id, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                device_id,
                generation,
                to_i64(counter)?,
                to_i64(step)?,
                charge_id,
                to_i64(now)?
            ],
        )?;
        tx.execute(
            "UPDATE pc_devices SET next_counter = ?2 WHERE device_id = ?1",
            params![device_id, to_i64(counter.saturating_add(1))?],
        )?;
        let account = Self::account_locked(tx, &account_id)?
            .ok_or_else(|| SandboxError::Corrupt(format!("account {account_id} missing")))?;
        if account.balance.currency != req.amount.currency {
            return Ok(declined(decline_reason::CURRENCY_MISMATCH));
        }
        let limits = default_limits(account.balance.currency);
        let (count, total) = Self::since_sync(tx, &device_id)?;
        if count >= u64::from(limits.offline_max_codes)
            || total.saturating_add(req.amount.minor) > limits.offline_max_total.minor
        {
            return Ok(declined(decline_reason::OFFLINE_LIMIT));
        }
        if Self::cannot_pay(tx, &account, req.amount, now)? {
            return Ok(declined(decline_reason::INSUFFICIENT_FUNDS));
        }
        let userpaying = req.amount.minor > limits.no_pin_max.minor;
        let expires_at = userpaying.then(|| now.saturating_add(USERPAYING_TIMEOUT_SECS));
        // The payment row (what /v1/control/payments counts) and the
        // pay-code row, then the decision.
        tx.execute(
            "INSERT INTO payments (payment_id, state, account_id, device_id, merchant_id,
                amount_minor, currency, created_at, submits)
             VALUES (?1, 'processing', ?2, ?3, ?4, ?5, ?6, ?7, 1)",
            params![
                charge_id,
                account_id,
                device_id,
                merchant_id,
                to_i64(req.amount.minor)?,
                req.amount.currency.code(),
                to_i64(now)?
            ],
        )?;
        tx.execute(
            "INSERT INTO pc_charges (charge_id, merchant_id, till_id, out_trade_no, device_id,
                account_id, counter, step, amount_minor, currency, state, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'userpaying', ?11, ?12)",
            params![
                charge_id,
                merchant_id,
                till_id,
                req.out_trade_no,
                device_id,
                account_id,
                to_i64(counter)?,
                to_i64(step)?,
                to_i64(req.amount.minor)?,
                req.amount.currency.code(),
                to_i64(now)?,
                expires_at.map(to_i64).transpose()?
            ],
        )?;
        let charge = load_charge(tx, &charge_id)?
            .ok_or_else(|| SandboxError::Corrupt(format!("charge {charge_id} vanished")))?
            .info;
        let mut answer = TillCharge {
            out_trade_no: req.out_trade_no.clone(),
            merchant_id: merchant_id.to_string(),
            state: TillChargeState::Userpaying,
            amount: req.amount,
            charge_id: Some(charge_id),
            receipt: None,
            reason: None,
            expires_at,
        };
        if userpaying {
            Self::write_event(tx, &charge, ChargeState::Userpaying, None, now)?;
        } else {
            let (receipt, _) = Self::pay_charge(tx, &charge, "code", now)?;
            answer.state = TillChargeState::Paid;
            answer.receipt = Some(receipt);
        }
        Ok(answer)
    }

    /// The current state of a till's order (query and reverse answer it).
    fn till_view(
        tx: &Connection,
        merchant_id: &str,
        out_trade_no: &str,
    ) -> Result<Option<TillCharge>, ApiError> {
        let stored: Option<(Option<String>, Vec<u8>, Option<String>)> = tx
            .query_row(
                "SELECT fingerprint, body, charge_id FROM pc_orders
                 WHERE merchant_id = ?1 AND out_trade_no = ?2",
                params![merchant_id, out_trade_no],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((_, body, charge_id)) = stored else {
            return Ok(None);
        };
        let first: TillCharge = serde_json::from_slice(&body)
            .map_err(|e| SandboxError::Corrupt(format!("stored till answer: {e}")))?;
        let Some(charge_id) = charge_id else {
            return Ok(Some(first));
        };
        let c = load_charge(tx, &charge_id)?
            .ok_or_else(|| SandboxError::Corrupt(format!("charge {charge_id} missing")))?
            .info;
        Ok(Some(TillCharge {
            out_trade_no: first.out_trade_no,
            merchant_id: first.merchant_id,
            state: till_state(c.state),
            amount: c.amount,
            charge_id: Some(charge_id),
            receipt: c.receipt,
            reason: None,
            expires_at: (c.state == ChargeState::Userpaying)
                .then_some(c.expires_at)
                .flatten(),
        }))
    }

    /// `GET /v1/merchant/paycode/charges/{out_trade_no}`: the order's state
    /// now; 404 `unknown-charge` when this merchant never charged it.
    pub fn till_query(
        &self,
        authorization: Option<&str>,
        out_trade_no: &str,
    ) -> Result<TillCharge, ApiError> {
        self.till_transaction(authorization, out_trade_no, |tx, _, merchant_id, _| {
            Self::till_view(tx, merchant_id, out_trade_no)?.ok_or_else(unknown_charge)
        })
    }

    /// Runs `f` in one IMMEDIATE transaction for a till's request about
    /// `out_trade_no`, after closing what expired, authenticating the till
    /// and checking the order number; `f` gets the till id, its merchant and
    /// the sandbox clock. Commits when `f` succeeds.
    fn till_transaction<T>(
        &self,
        authorization: Option<&str>,
        out_trade_no: &str,
        f: impl FnOnce(&rusqlite::Transaction<'_>, &str, &str, u64) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        Self::sweep(&conn, now)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (till_id, merchant_id) = Self::till_auth(&tx, authorization)?;
        if !is_valid_out_trade_no(out_trade_no) {
            return Err(ApiError::malformed("not a valid out_trade_no"));
        }
        let out = f(&tx, &till_id, &merchant_id, now)?;
        tx.commit()?;
        Ok(out)
    }

    /// `POST /v1/merchant/paycode/charges/{out_trade_no}/reverse`: paid →
    /// refunded (`reversed`, within the reversal window), `userpaying` →
    /// `closed`, an order never charged → `closed` with a tombstone (a late
    /// charge under that number is refused), anything else unchanged.
    pub fn till_reverse(
        &self,
        authorization: Option<&str>,
        out_trade_no: &str,
    ) -> Result<TillCharge, ApiError> {
        let (view, wrote_event) = self.till_transaction(
            authorization,
            out_trade_no,
            |tx, till_id, merchant_id, now| {
                Self::reverse_in(tx, till_id, merchant_id, out_trade_no, now)
            },
        )?;
        if wrote_event {
            self.notify_events();
        }
        Ok(view)
    }

    /// The body of [`SandboxData::till_reverse`], inside its transaction:
    /// the order after, and whether an event was written.
    fn reverse_in(
        tx: &rusqlite::Transaction<'_>,
        till_id: &str,
        merchant_id: &str,
        out_trade_no: &str,
        now: u64,
    ) -> Result<(TillCharge, bool), ApiError> {
        let mut wrote_event = false;
        let view = match Self::till_view(tx, merchant_id, out_trade_no)? {
            None => {
                let m_currency: String = tx.query_row(
                    "SELECT currency FROM merchants WHERE merchant_id = ?1",
                    [merchant_id],
                    |r| r.get(0),
                )?;
                let closed = TillCharge {
                    out_trade_no: out_trade_no.to_string(),
                    merchant_id: merchant_id.to_string(),
                    state: TillChargeState::Closed,
                    amount: Money::zero(currency(&m_currency)?),
                    charge_id: None,
                    receipt: None,
                    reason: None,
                    expires_at: None,
                };
                tx.execute(
                    "INSERT INTO pc_orders (merchant_id, out_trade_no, till_id, fingerprint, body,
                        charge_id, created_at) VALUES (?1, ?2, ?3, NULL, ?4, NULL, ?5)",
                    params![
                        merchant_id,
                        out_trade_no,
                        till_id,
                        json(&closed).map_err(ApiError::from)?,
                        to_i64(now)?
                    ],
                )?;
                closed
            }
            Some(view) => {
                if let Some(id) = &view.charge_id {
                    let c = load_charge(tx, id)?
                        .ok_or_else(|| SandboxError::Corrupt(format!("charge {id} missing")))?
                        .info;
                    match c.state {
                        ChargeState::Userpaying => {
                            Self::close_charge(tx, &c, now)?;
                            wrote_event = true;
                        }
                        ChargeState::Paid => {
                            let row = load_payment(tx, id)?.ok_or_else(|| {
                                SandboxError::Corrupt(format!("payment {id} missing"))
                            })?;
                            let settled = row
                                .paid_at
                                .is_some_and(|p| now >= p.saturating_add(REVERSAL_WINDOW_SECS));
                            if !settled {
                                Self::refund(tx, id, &row, now)?;
                                tx.execute(
                                    "UPDATE pc_charges SET state = 'reversed' WHERE charge_id = ?1",
                                    [id],
                                )?;
                                Self::write_event(
                                    tx,
                                    &c,
                                    ChargeState::Reversed,
                                    c.receipt.as_deref(),
                                    now,
                                )?;
                                wrote_event = true;
                            }
                        }
                        ChargeState::Closed | ChargeState::Reversed => {}
                    }
                }
                Self::till_view(tx, merchant_id, out_trade_no)?.ok_or_else(unknown_charge)?
            }
        };
        Ok((view, wrote_event))
    }

    // ----- the payer confirms or declines -----

    /// `POST /v1/paycode/charges/{charge_id}/confirm`: the device key's
    /// authorisation of exactly this charge (payment id = charge id,
    /// merchant key id `paycode`, merchant account = merchant id, amount,
    /// SHA-256 of [`charge_descriptor`]) pays a `userpaying` charge. Answers
    /// the event written (`paid`, or `closed` when the account can no longer
    /// pay).
    pub fn paycode_confirm(
        &self,
        authorization: Option<&str>,
        charge_id: &str,
        body: &[u8],
    ) -> Result<ChargeEvent, ApiError> {
        let req: ConfirmRequest =
            serde_json::from_slice(body).map_err(|e| ApiError::malformed(format!("body: {e}")))?;
        self.payer_decides(authorization, charge_id, Some(&req.authorisation))
    }

    /// `POST /v1/paycode/charges/{charge_id}/decline`: the payer refuses a
    /// `userpaying` charge; it is `closed`. Answers the event written.
    pub fn paycode_decline(
        &self,
        authorization: Option<&str>,
        charge_id: &str,
    ) -> Result<ChargeEvent, ApiError> {
        self.payer_decides(authorization, charge_id, None)
    }

    fn payer_decides(
        &self,
        authorization: Option<&str>,
        charge_id: &str,
        confirm: Option<&SignedAuthorisation>,
    ) -> Result<ChargeEvent, ApiError> {
        // A charge id is `chg_` and 32 hex digits; anything else (which the
        // request signature could not even cover) is no charge.
        let plausible = charge_id.len() <= 64
            && !charge_id.is_empty()
            && charge_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !plausible {
            return Err(unknown_charge());
        }
        let path = match confirm {
            Some(_) => confirm_path(charge_id),
            None => decline_path(charge_id),
        };
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        Self::sweep(&conn, now)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let accounts = Self::authenticate(&tx, authorization, "POST", &path, charge_id)?;
        // Another wallet's charge is no charge to this one (its id says
        // nothing about whether it exists).
        let Some(charge) = load_charge(&tx, charge_id)?
            .map(|c| c.info)
            .filter(|c| accounts.contains(&c.account_id))
        else {
            tx.commit()?;
            return Err(unknown_charge());
        };
        if charge.state != ChargeState::Userpaying {
            tx.commit()?;
            return Err(not_pending());
        }
        let event = match confirm {
            None => Self::close_charge(&tx, &charge, now)?,
            Some(signed) => {
                Self::check_confirmation(&tx, &charge, signed)?;
                let account = Self::account_locked(&tx, &charge.account_id)?.ok_or_else(|| {
                    SandboxError::Corrupt(format!("account {} missing", charge.account_id))
                })?;
                if Self::cannot_pay(&tx, &account, charge.amount, now)? {
                    Self::close_charge(&tx, &charge, now)?
                } else {
                    Self::pay_charge(&tx, &charge, "code+pin", now)?.1
                }
            }
        };
        tx.commit()?;
        self.notify_events();
        Ok(event)
    }

    fn check_confirmation(
        tx: &Connection,
        charge: &PaycodeChargeInfo,
        signed: &SignedAuthorisation,
    ) -> Result<(), ApiError> {
        let public_key: Vec<u8> = tx.query_row(
            "SELECT public_key FROM devices WHERE device_id = ?1",
            [&charge.device_id],
            |r| r.get(0),
        )?;
        verify_authorisation(&public_key, signed)
            .map_err(|e| ApiError::bad_auth(format!("authorisation: {e}")))?;
        let a = &signed.authorisation;
        let digest = ring::digest::digest(
            &ring::digest::SHA256,
            &charge_descriptor(&charge.charge_id, &charge.merchant_id, &charge.amount),
        );
        let mismatch = if a.payment_id != charge.charge_id {
            Some("payment_id (the charge id)")
        } else if a.merchant_key_id != CONFIRM_MERCHANT_KEY_ID {
            Some("merchant_key_id (\"paycode\")")
        } else if a.merchant_account != charge.merchant_id {
            Some("merchant_account (the merchant id)")
        } else if a.amount_minor != charge.amount.minor || a.currency != charge.amount.currency {
            Some("amount")
        } else if a.payload_sha256.as_slice() != digest.as_ref() {
            Some("payload_sha256 (of the charge descriptor)")
        } else {
            None
        };
        match mismatch {
            Some(what) => Err(ApiError::bad_auth(format!(
                "the authorisation signs another {what} than this charge's"
            ))),
            None => Ok(()),
        }
    }

    // ----- control -----

    /// Whether `payment_id` is a pay-code charge's payment row.
    pub(super) fn is_paycode_charge(
        tx: &Connection,
        payment_id: &str,
    ) -> Result<bool, SandboxError> {
        Ok(tx
            .query_row(
                "SELECT 1 FROM pc_charges WHERE charge_id = ?1",
                [payment_id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .is_some())
    }

    /// A pay-code charge as stored (`GET /v1/control/paycode/charges/{id}`).
    pub fn paycode_charge(
        &self,
        charge_id: &str,
    ) -> Result<Option<PaycodeChargeInfo>, SandboxError> {
        let conn = self.conn();
        Self::sweep(&conn, self.now_locked(&conn)?)?;
        Ok(load_charge(&conn, charge_id)?.map(|c| c.info))
    }

    /// How many charges each `(device, counter)` was used for: exactly one
    /// for every used code (a check for tests and QA).
    pub fn paycode_uses(&self) -> Result<HashMap<(String, u64), u32>, SandboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT device_id, counter, COUNT(*) FROM pc_charges GROUP BY device_id, counter",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (d, c, n) = row?;
            out.insert((d, to_u64(c)?), n);
        }
        Ok(out)
    }
}

/// One step more than the accepted steps reach back: where "expired"
/// begins.
const ACCEPT_STEPS_BEFORE_PLUS_ONE: u64 = scanpay_core::paycode::code::ACCEPT_STEPS_BEFORE + 1;

/// The request key of an `Authorization` header that already authenticated.
fn request_key_of(authorization: Option<&str>) -> Result<[u8; 32], ApiError> {
    authorization
        .and_then(|h| RequestAuthorization::parse(h).ok())
        .map(|a| a.key)
        .ok_or_else(|| {
            ApiError::unauthenticated(error_code::BAD_REQUEST_SIGNATURE, "no request key")
        })
}
