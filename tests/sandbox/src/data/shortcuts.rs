//! Shortcuts on the backend side (issue 12, ADR 0022; the wire contract is
//! `docs/api.md` "Authorisation methods", "PIN-free rules and the
//! `pin-required` decline" and `POST /v1/devices/shortcuts`, the sandbox's
//! choices `docs/sandbox.md` "Shortcuts"): the settings document each device holds with the sandbox
//! (`POST /v1/devices/shortcuts`), the sandbox's own caps on PIN-free
//! limits, the keys a payment of each method is verified with, and the
//! PIN-free rules, checked on the sandbox's own records inside the submit's
//! transaction before any money moves.
//!
//! The wallet checks the same rules before it offers one tap; the sandbox
//! does not take its word for it. A PIN-free payment that breaks a rule is
//! declined `pin-required` (stored and replayed like every decline), with a
//! message that starts `pin-free: <rule word>:`, so the wallet can ask for
//! the PIN and try again as a new payment.

use scanpay_core::auth::{
    verify_authorisation_with, verify_shortcuts, PaymentAuthMethod, PinFreeLimits, RegisteredKeys,
    ShortcutSettings, ShortcutSigner, ShortcutsError, SignedShortcuts,
};
use scanpay_core::net::api::ShortcutsAccepted;
use scanpay_core::payment::AmountBreakdown;
use scanpay_core::trust::PublicKey;

use super::*;

/// How far (seconds) a settings document's `time`, or a PIN-free
/// authorisation's, may be from the sandbox's clock when it arrives (the
/// same window as request signatures).
pub const SHORTCUT_SKEW_SECS: u64 = MAX_CLOCK_SKEW_SECS;
/// The rolling window of the PIN-free daily total and count, seconds.
pub const PIN_FREE_WINDOW_SECS: u64 = 24 * 3600;
/// A merchant is known (not "first paid today") once a payment to it from
/// the same account succeeded at least this long ago, seconds.
pub const KNOWN_MERCHANT_SECS: u64 = 24 * 3600;

/// The sandbox's caps on the PIN-free limits a payer may opt in to, per
/// currency: the backend's own ceiling, whatever the wallet offers. A
/// document with any limit above its currency's cap is refused 400
/// `shortcuts-over-cap`.
///
/// In major units: SGD (and any currency not listed) 100 per payment, 300
/// a day, 20 payments a day; THB 2,000 / 6,000 / 20; JPY 10,000 / 30,000 /
/// 20; IDR 1,000,000 / 3,000,000 / 20; CNY 1,000 / 1,000 / 20 (the PBoC's
/// daily ceiling for payments verified by fewer than two factors).
pub fn shortcut_caps(currency: Currency) -> PinFreeLimits {
    let major = 10u64.saturating_pow(u32::from(currency.exponent()));
    let (per_payment, daily_total): (u64, u64) = match currency.code() {
        "THB" => (2_000, 6_000),
        "JPY" => (10_000, 30_000),
        "IDR" => (1_000_000, 3_000_000),
        "CNY" => (1_000, 1_000),
        _ => (100, 300),
    };
    PinFreeLimits {
        currency,
        per_payment: per_payment.saturating_mul(major),
        daily_total: daily_total.saturating_mul(major),
        daily_count: 20,
    }
}

/// Why the sandbox refuses to let a payment go without the PIN: the rules
/// of ADR 0022 §4 it can check, in the order it checks them. The
/// [`PinFreeRefusal::word`] starts the `pin-required` decline's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinFreeRefusal {
    /// The device holds no PIN-free limits in the payment's currency (never
    /// opted in, opted out, or registered again with a new device key).
    NotOptedIn {
        /// The payment's currency.
        currency: Currency,
    },
    /// The authorisation's time is more than [`SHORTCUT_SKEW_SECS`] from
    /// the sandbox's clock: it was queued offline, or the phone's clock is
    /// off.
    StaleTime {
        /// Seconds between the signed time and the nearer sandbox clock.
        off_by: u64,
    },
    /// The code does not verify.
    MerchantUnverified {
        /// The trust verdict's reason code.
        reason: String,
    },
    /// The code verifies, with a trust warning.
    TrustWarning {
        /// The warning's code.
        warning: String,
    },
    /// The code is static, or carries no amount: the payer typed it.
    StaticCode,
    /// The payer typed a tip.
    TipEntered {
        /// The tip.
        tip: Money,
    },
    /// The request's fee or total is not the code's amount plus the
    /// convenience fee the code's own rule computes (EMVCo 55 with 56/57).
    FeeMismatch {
        /// The request's total.
        total: Money,
        /// The code's amount plus its fee (`None`: the sum overflows).
        code_total: Option<Money>,
    },
    /// The total is above the per-payment limit.
    OverPerPayment {
        /// The total.
        total: Money,
        /// The limit.
        limit: Money,
    },
    /// The daily count is used up.
    OverDailyCount {
        /// PIN-free payments in the last 24 hours (not declined or reversed).
        count: u64,
        /// The limit.
        limit: u32,
    },
    /// This payment would take the daily total over its limit.
    OverDailyTotal {
        /// The sum of the last 24 hours' PIN-free payments and this one.
        with_this: Money,
        /// The limit.
        limit: Money,
    },
    /// No payment from this account to this merchant succeeded 24 hours or
    /// more ago.
    NewMerchant {
        /// The merchant's id.
        merchant_id: String,
    },
}

impl PinFreeRefusal {
    /// The stable rule word: `not-opted-in`, `stale-time`,
    /// `merchant-unverified`, `trust-warning`, `static-code`, `tip-entered`,
    /// `fee-mismatch`, `over-per-payment`, `over-daily-count`, `over-daily-total`,
    /// `new-merchant`.
    pub fn word(&self) -> &'static str {
        match self {
            PinFreeRefusal::NotOptedIn { .. } => "not-opted-in",
            PinFreeRefusal::StaleTime { .. } => "stale-time",
            PinFreeRefusal::MerchantUnverified { .. } => "merchant-unverified",
            PinFreeRefusal::TrustWarning { .. } => "trust-warning",
            PinFreeRefusal::StaticCode => "static-code",
            PinFreeRefusal::TipEntered { .. } => "tip-entered",
            PinFreeRefusal::FeeMismatch { .. } => "fee-mismatch",
            PinFreeRefusal::OverPerPayment { .. } => "over-per-payment",
            PinFreeRefusal::OverDailyCount { .. } => "over-daily-count",
            PinFreeRefusal::OverDailyTotal { .. } => "over-daily-total",
            PinFreeRefusal::NewMerchant { .. } => "new-merchant",
        }
    }
}

impl std::fmt::Display for PinFreeRefusal {
    /// `pin-free: <word>: <what, with the figures>` — the decline message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pin-free: {}: ", self.word())?;
        match self {
            PinFreeRefusal::NotOptedIn { currency } => {
                write!(f, "no PIN-free limits are held for {currency} on this device")
            }
            PinFreeRefusal::StaleTime { off_by } => write!(
                f,
                "the authorisation's time is {off_by} s from the server's clock, at most {SHORTCUT_SKEW_SECS}"
            ),
            PinFreeRefusal::MerchantUnverified { reason } => {
                write!(f, "the merchant code does not verify ({reason})")
            }
            PinFreeRefusal::TrustWarning { warning } => {
                write!(f, "the merchant code verifies with a warning ({warning})")
            }
            PinFreeRefusal::StaticCode => {
                f.write_str("the code is not a dynamic code carrying the amount")
            }
            PinFreeRefusal::TipEntered { tip } => write!(f, "a tip of {tip} was entered"),
            PinFreeRefusal::FeeMismatch { total, code_total } => match code_total {
                Some(c) => write!(
                    f,
                    "{total} is not the code's amount plus its convenience fee, {c}"
                ),
                None => write!(f, "{total} is not the code's amount plus its convenience fee"),
            },
            PinFreeRefusal::OverPerPayment { total, limit } => {
                write!(f, "{total} is over the per-payment limit of {limit}")
            }
            PinFreeRefusal::OverDailyCount { count, limit } => write!(
                f,
                "{count} PIN-free payments in the last 24 h, at most {limit}"
            ),
            PinFreeRefusal::OverDailyTotal { with_this, limit } => write!(
                f,
                "{with_this} in the last 24 h with this one, at most {limit}"
            ),
            PinFreeRefusal::NewMerchant { merchant_id } => write!(
                f,
                "no payment to {merchant_id} succeeded 24 h or more ago"
            ),
        }
    }
}

/// The method a stored code names (`None` for NULL or an unknown text).
pub(super) fn method_from_code(code: Option<&str>) -> Option<PaymentAuthMethod> {
    let code = code?;
    PaymentAuthMethod::ALL
        .into_iter()
        .find(|m| m.code() == code)
}

/// How far `time` is from the nearer of the sandbox's two clocks: the
/// business clock `now` (which tests move ahead, e.g. to age a merchant's
/// first payment) and the wall clock (what a phone signs with).
fn skew(time: u64, now: u64) -> u64 {
    time.abs_diff(now).min(time.abs_diff(system_now()))
}

fn bad_shortcuts(message: impl Into<String>) -> ApiError {
    ApiError::new(401, error_code::BAD_SHORTCUTS, message)
}

impl SandboxData {
    /// The settings `device_id` holds, if any.
    fn held_shortcuts(
        conn: &Connection,
        device_id: &str,
    ) -> Result<Option<ShortcutSettings>, SandboxError> {
        let stored: Option<Vec<u8>> = conn
            .query_row(
                "SELECT settings FROM shortcuts WHERE device_id = ?1",
                [device_id],
                |r| r.get(0),
            )
            .optional()?;
        stored
            .map(|s| {
                serde_json::from_slice(&s)
                    .map_err(|e| SandboxError::Corrupt(format!("shortcuts of {device_id}: {e}")))
            })
            .transpose()
    }

    /// The request key `device_id` registered last, if any. A device
    /// registered again with a new request key has several; queries and
    /// reversals still accept each, but a key that authorises paying
    /// without the PIN (and narrowing the settings) must be the current
    /// one: a superseded key, perhaps copied off an old backup, signs
    /// nothing that moves money.
    fn latest_request_key(
        conn: &Connection,
        device_id: &str,
    ) -> Result<Option<Vec<u8>>, SandboxError> {
        Ok(conn
            .query_row(
                "SELECT request_key FROM request_keys WHERE device_id = ?1
                 ORDER BY registered_at DESC, rowid DESC LIMIT 1",
                [device_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The shortcut settings `device_id` holds (what the last accepted
    /// document says), if any.
    pub fn shortcuts(&self, device_id: &str) -> Result<Option<ShortcutSettings>, SandboxError> {
        Self::held_shortcuts(&self.conn(), device_id)
    }

    /// `POST /v1/devices/shortcuts`: verifies the document against the
    /// device's registered keys and the settings it holds, its time against
    /// the clock and its limits against [`shortcut_caps`], and holds it.
    ///
    /// Answers, first failure wins: 400 `malformed-request` (not the JSON,
    /// a field out of range, a biometric key that is not a P-256 point),
    /// 401 `bad-shortcuts` (device not enrolled), 401 `bad-shortcuts` (no
    /// request key, or the signature does not verify; a request-key
    /// document with the device's latest request key only), 409
    /// `stale-shortcuts` (version not above the held one), 403
    /// `shortcuts-widen-without-pin` (signed by the request key, but not
    /// narrowing), 401 `bad-shortcuts` (time over 300 s off), 400
    /// `shortcuts-over-cap`.
    pub fn set_shortcuts(&self, body: &[u8]) -> Result<ShortcutsAccepted, ApiError> {
        let signed: SignedShortcuts =
            serde_json::from_slice(body).map_err(|e| ApiError::malformed(format!("body: {e}")))?;
        // Field checks first, so a malformed document is a 400 whatever
        // else is wrong with it (verify_shortcuts repeats them).
        signed
            .settings
            .validate()
            .map_err(|e| ApiError::malformed(e.to_string()))?;
        if let Some(k) = &signed.settings.biometric_public_key {
            // Through core's key type: a point off the curve is refused
            // here, not at the first payment (ADR 0011).
            PublicKey::new(Algorithm::EcdsaP256Sha256, k).map_err(|e| {
                ApiError::malformed(format!(
                    "biometric_public_key is not a usable P-256 key: {e}"
                ))
            })?;
        }
        let mut conn = self.conn();
        let now = self.now_locked(&conn)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let device: Option<String> = tx
            .query_row(
                "SELECT device_id FROM devices WHERE public_key = ?1",
                [&signed.device_public_key],
                |r| r.get(0),
            )
            .optional()?;
        let device_id = device.ok_or_else(|| bad_shortcuts("the device is not enrolled"))?;
        let held = Self::held_shortcuts(&tx, &device_id)?;
        // One key to verify with, so the verdict (stale, widening, bad
        // signature) is that key's.
        let request = match signed.signer {
            ShortcutSigner::DeviceKey => None,
            ShortcutSigner::RequestKey => Self::latest_request_key(&tx, &device_id)?,
        };
        verify_shortcuts(
            &RegisteredKeys {
                device: &signed.device_public_key,
                request: request.as_deref(),
                biometric: None,
            },
            held.as_ref(),
            &signed,
        )
        .map_err(|e| match e {
            ShortcutsError::Invalid(_) => ApiError::malformed(e.to_string()),
            ShortcutsError::StaleVersion { .. } => {
                ApiError::new(409, error_code::STALE_SHORTCUTS, e.to_string())
            }
            ShortcutsError::Widens => {
                ApiError::new(403, error_code::SHORTCUTS_WIDEN_WITHOUT_PIN, e.to_string())
            }
            ShortcutsError::KeyMismatch
            | ShortcutsError::BadSignature
            | ShortcutsError::NoRequestKey => bad_shortcuts(e.to_string()),
        })?;
        let off_by = skew(signed.settings.time, now);
        if off_by > SHORTCUT_SKEW_SECS {
            return Err(bad_shortcuts(format!(
                "the settings' time is {off_by} s from the server's clock, at most {SHORTCUT_SKEW_SECS}"
            )));
        }
        for l in &signed.settings.pin_free {
            let cap = shortcut_caps(l.currency);
            let over = if l.per_payment > cap.per_payment {
                Some((
                    "per_payment",
                    Money::new(cap.per_payment, l.currency).to_string(),
                ))
            } else if l.daily_total > cap.daily_total {
                Some((
                    "daily_total",
                    Money::new(cap.daily_total, l.currency).to_string(),
                ))
            } else if l.daily_count > cap.daily_count {
                Some(("daily_count", cap.daily_count.to_string()))
            } else {
                None
            };
            if let Some((field, cap)) = over {
                return Err(ApiError::new(
                    400,
                    error_code::SHORTCUTS_OVER_CAP,
                    format!("{} {field} is over this backend's cap of {cap}", l.currency),
                ));
            }
        }
        tx.execute(
            "INSERT INTO shortcuts (device_id, version, settings, document, accepted_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(device_id) DO UPDATE SET version = excluded.version,
                settings = excluded.settings, document = excluded.document,
                accepted_at = excluded.accepted_at",
            params![
                device_id,
                to_i64(signed.settings.version)?,
                json(&signed.settings).map_err(ApiError::from)?,
                json(&signed).map_err(ApiError::from)?,
                to_i64(now)?
            ],
        )?;
        tx.commit()?;
        Ok(ShortcutsAccepted {
            version: signed.settings.version,
        })
    }

    /// Verifies a submit's authorisation with the key its method names:
    /// the device key (PIN), the biometric key the device's held settings
    /// carry, or the device's latest request key (PIN-free). A method
    /// whose key the device lacks is `NoKeyForMethod`.
    pub(super) fn verify_method(
        conn: &Connection,
        device_id: &str,
        device_key: &[u8],
        signed: &SignedAuthorisation,
    ) -> Result<(), ApiError> {
        let held = match signed.method {
            PaymentAuthMethod::Biometric => Self::held_shortcuts(conn, device_id)?,
            PaymentAuthMethod::Pin | PaymentAuthMethod::PinFree => None,
        };
        let request = match signed.method {
            PaymentAuthMethod::PinFree => Self::latest_request_key(conn, device_id)?,
            PaymentAuthMethod::Pin | PaymentAuthMethod::Biometric => None,
        };
        verify_authorisation_with(
            &RegisteredKeys {
                device: device_key,
                request: request.as_deref(),
                biometric: held
                    .as_ref()
                    .and_then(|h| h.biometric_public_key.as_deref()),
            },
            signed,
        )
        .map_err(|e| ApiError::bad_auth(format!("authorisation: {e}")))
    }

    /// The first PIN-free rule this payment breaks, checked on the
    /// sandbox's records in the submit's transaction `tx` (`None`: it may
    /// go without the PIN). `terms` is the payload's verification.
    pub(super) fn pin_free_refusal(
        tx: &Connection,
        req: &PaymentRequestBody,
        device: &(String, String),
        terms: &Result<(VerifiedMerchant, MerchantPayload), Reason>,
        now: u64,
    ) -> Result<Option<PinFreeRefusal>, ApiError> {
        let (device_id, account_id) = device;
        let b: &AmountBreakdown = &req.breakdown;
        let total = b.total;
        let held = Self::held_shortcuts(tx, device_id)?;
        let Some(limits) = held.as_ref().and_then(|h| h.pin_free_for(total.currency)) else {
            return Ok(Some(PinFreeRefusal::NotOptedIn {
                currency: total.currency,
            }));
        };
        let off_by = skew(req.authorisation.authorisation.time, now);
        if off_by > SHORTCUT_SKEW_SECS {
            return Ok(Some(PinFreeRefusal::StaleTime { off_by }));
        }
        let (verified, payload) = match terms {
            Err(reason) => {
                return Ok(Some(PinFreeRefusal::MerchantUnverified {
                    reason: reason.code().to_string(),
                }))
            }
            Ok(t) => t,
        };
        if let Some(w) = verified.warnings.first() {
            // The warning's wire code (its serde tag).
            let warning = serde_json::to_value(w)
                .ok()
                .and_then(|v| v["warning"].as_str().map(str::to_string))
                .unwrap_or_else(|| "warning".into());
            return Ok(Some(PinFreeRefusal::TrustWarning { warning }));
        }
        if verified.dynamic.is_none() || payload.amount.is_none() {
            return Ok(Some(PinFreeRefusal::StaticCode));
        }
        if !b.tip.is_zero() {
            return Ok(Some(PinFreeRefusal::TipEntered { tip: b.tip }));
        }
        // The split is the client's: the total allowed without the PIN is
        // the code's amount plus the fee its own rule computes, or any extra
        // put in `fee` would pass as "typed nothing".
        let code_total = payload.amount.and_then(|a| {
            code_fee(a, payload.tip).and_then(|fee| a.checked_add(fee).ok().map(|t| (fee, t)))
        });
        if code_total != Some((b.fee, total)) {
            return Ok(Some(PinFreeRefusal::FeeMismatch {
                total,
                code_total: code_total.map(|(_, t)| t),
            }));
        }
        if total.minor > limits.per_payment {
            return Ok(Some(PinFreeRefusal::OverPerPayment {
                total,
                limit: Money::new(limits.per_payment, total.currency),
            }));
        }
        // The rolling 24 hours of this device's PIN-free payments that are
        // not declined or reversed (a payer-pending one still deciding
        // counts: the rule errs towards asking for the PIN).
        let (count, sum): (i64, i64) = tx.query_row(
            "SELECT COUNT(*), COALESCE(SUM(amount_minor), 0) FROM payments
             WHERE device_id = ?1 AND method = ?2 AND currency = ?3
               AND state IN ('succeeded', 'processing') AND created_at > ?4
               AND payment_id != ?5",
            params![
                device_id,
                PaymentAuthMethod::PinFree.code(),
                total.currency.code(),
                to_i64(now.saturating_sub(PIN_FREE_WINDOW_SECS))?,
                req.payment_id
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let count = to_u64(count)?;
        if count >= u64::from(limits.daily_count) {
            return Ok(Some(PinFreeRefusal::OverDailyCount {
                count,
                limit: limits.daily_count,
            }));
        }
        let with_this = to_u64(sum)?.saturating_add(total.minor);
        if with_this > limits.daily_total {
            return Ok(Some(PinFreeRefusal::OverDailyTotal {
                with_this: Money::new(with_this, total.currency),
                limit: Money::new(limits.daily_total, total.currency),
            }));
        }
        let known: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM payments
                WHERE account_id = ?1 AND merchant_id = ?2 AND state = 'succeeded'
                  AND paid_at <= ?3)",
            params![
                account_id,
                verified.merchant_id,
                to_i64(now.saturating_sub(KNOWN_MERCHANT_SECS))?
            ],
            |r| r.get(0),
        )?;
        if !known {
            return Ok(Some(PinFreeRefusal::NewMerchant {
                merchant_id: verified.merchant_id.clone(),
            }));
        }
        Ok(None)
    }

    /// Drops the shortcuts of every other device the request key `rk` is
    /// registered with: the wallet registered a new device key (a PIN
    /// reset), so what the old key opted in to lapses with it.
    pub(super) fn drop_superseded_shortcuts(
        tx: &Connection,
        rk: &[u8],
        device_id: &str,
    ) -> Result<(), SandboxError> {
        tx.execute(
            "DELETE FROM shortcuts WHERE device_id != ?2 AND device_id IN
                (SELECT device_id FROM request_keys WHERE request_key = ?1)",
            params![rk, device_id],
        )?;
        Ok(())
    }
}
