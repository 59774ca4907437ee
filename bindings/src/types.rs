//! Records and enums that mirror core types which cannot cross as they are
//! (private fields, `&'static str`, fixed arrays, non-FFI error payloads).
//! Each converts from the core type; none adds logic.

use scanpay_core::money::{Currency, Money as CoreMoney};
use scanpay_core::payload::mpm::TipRule as CoreTipRule;
use scanpay_core::payment::{self as pay};
use scanpay_core::status as st;
use scanpay_core::trust::{self as tr};

use crate::errors::FlowError;

/// An amount in integer minor units of an ISO 4217 currency. Never a float.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Money {
    /// Minor units (cents for USD, satang for THB, yen for JPY).
    pub minor_units: u64,
    /// ISO 4217 alphabetic code ("THB").
    pub currency: String,
    /// Digits after the decimal point for this currency (2 for THB, 0 for JPY).
    pub exponent: u8,
}

impl From<CoreMoney> for Money {
    fn from(m: CoreMoney) -> Money {
        Money {
            minor_units: m.minor,
            currency: m.currency.code().to_string(),
            exponent: m.currency.exponent(),
        }
    }
}

/// The app's echo of an amount (the total it displayed, `Confirm`). The
/// exponent is part of what the app displayed — 1250 minor units with
/// exponent 0 is "1,250", with exponent 2 "12.50" — so an exponent other than
/// the currency's is refused, as [`FlowError::TotalMismatch`]: the app showed
/// the user a different amount from the one that would be paid.
impl TryFrom<&Money> for CoreMoney {
    type Error = FlowError;
    fn try_from(m: &Money) -> Result<CoreMoney, FlowError> {
        let currency = Currency::from_code(&m.currency)
            .ok_or_else(|| FlowError::InvalidInput(format!("unknown currency {:?}", m.currency)))?;
        if m.exponent != currency.exponent() {
            return Err(FlowError::TotalMismatch(format!(
                "the displayed amount has exponent {} but {} has {}: it is not the amount to pay",
                m.exponent,
                currency.code(),
                currency.exponent()
            )));
        }
        Ok(CoreMoney::new(m.minor_units, currency))
    }
}

/// The amount as a UI shows it ("1,234.50 THB"), formatted by the core.
#[uniffi::export]
pub fn format_money(money: Money) -> String {
    match Currency::from_code(&money.currency) {
        Some(c) => CoreMoney::new(money.minor_units, c).to_display_string(),
        None => format!("{} {}", money.minor_units, money.currency),
    }
}

/// The amounts of a payment, as the payer saw them.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AmountBreakdown {
    /// The amount to the merchant.
    pub amount: Money,
    /// The payer's tip.
    pub tip: Money,
    /// The convenience fee.
    pub fee: Money,
    /// What is paid in total.
    pub total: Money,
}

impl From<pay::AmountBreakdown> for AmountBreakdown {
    fn from(b: pay::AmountBreakdown) -> AmountBreakdown {
        AmountBreakdown {
            amount: b.amount.into(),
            tip: b.tip.into(),
            fee: b.fee.into(),
            total: b.total.into(),
        }
    }
}

/// The backend's proof of a payment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Receipt {
    /// The backend's reference.
    pub reference: String,
    /// The amount paid.
    pub amount: Money,
    /// When (unix seconds).
    pub paid_at: u64,
}

impl From<pay::Receipt> for Receipt {
    fn from(r: pay::Receipt) -> Receipt {
        Receipt {
            reference: r.reference,
            amount: r.amount.into(),
            paid_at: r.paid_at,
        }
    }
}

/// The tip / convenience-fee rule of a merchant code (EMVCo 55/56/57).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum TipRule {
    /// The payer is asked for a tip.
    Prompt,
    /// A fixed convenience fee.
    FixedFee {
        /// The fee.
        fee: Money,
    },
    /// A percentage convenience fee.
    PercentageFee {
        /// The percentage in basis points (1 % = 100).
        basis_points: u16,
    },
}

impl From<CoreTipRule> for TipRule {
    fn from(t: CoreTipRule) -> TipRule {
        match t {
            CoreTipRule::Prompt => TipRule::Prompt,
            CoreTipRule::FixedFee(m) => TipRule::FixedFee { fee: m.into() },
            CoreTipRule::PercentageFee(p) => TipRule::PercentageFee {
                basis_points: p.basis_points(),
            },
        }
    }
}

/// A merchant key's signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Algorithm {
    /// Ed25519.
    Ed25519,
    /// ECDSA P-256 with SHA-256.
    EcdsaP256Sha256,
}

impl From<tr::Algorithm> for Algorithm {
    fn from(a: tr::Algorithm) -> Algorithm {
        match a {
            tr::Algorithm::Ed25519 => Algorithm::Ed25519,
            tr::Algorithm::EcdsaP256Sha256 => Algorithm::EcdsaP256Sha256,
        }
    }
}

/// Expiry and nonce of a dynamic code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DynamicInfo {
    /// Valid while now < expires_at (unix seconds).
    pub expires_at: u64,
    /// The nonce as printed.
    pub nonce: String,
}

/// A caveat on a verified code: mention it, do not refuse.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Warning {
    /// The registry is stale but within the offline grace period.
    RegistryStale {
        /// When it went stale (unix seconds).
        expired_at: u64,
    },
    /// The printed city differs from the registered one (show the registered).
    CityDiffers {
        /// Printed city.
        printed: String,
        /// Registered city.
        registered: String,
    },
    /// Marked dynamic but signed without expiry and nonce.
    DynamicWithoutNonce,
}

impl From<tr::Warning> for Warning {
    fn from(w: tr::Warning) -> Warning {
        match w {
            tr::Warning::RegistryStale { expired_at } => Warning::RegistryStale { expired_at },
            tr::Warning::CityDiffers {
                printed,
                registered,
            } => Warning::CityDiffers {
                printed,
                registered,
            },
            tr::Warning::DynamicWithoutNonce => Warning::DynamicWithoutNonce,
        }
    }
}

/// The kebab-case code of a warning ("city-differs"), as in the JSON vectors.
#[uniffi::export]
pub fn warning_code(warning: Warning) -> String {
    match warning {
        Warning::RegistryStale { .. } => "registry-stale",
        Warning::CityDiffers { .. } => "city-differs",
        Warning::DynamicWithoutNonce => "dynamic-without-nonce",
    }
    .to_string()
}

/// Why a merchant code is unverified; each variant carries what the UI needs
/// to explain it. `reason_code` gives the stable kebab-case code.
#[allow(missing_docs)] // Field meanings: see `scanpay_core::trust::Reason`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Reason {
    MalformedPayload {
        detail: String,
    },
    NoSignature,
    MalformedSignature {
        detail: String,
    },
    UnsupportedVersion {
        version: String,
    },
    UnsupportedAlgorithm {
        algorithm: String,
    },
    NoRegistry,
    RegistryExpired {
        expired_at: u64,
    },
    UnknownKey {
        key_id: String,
    },
    AlgorithmMismatch {
        key_id: String,
        signed_with: Algorithm,
        registered: Algorithm,
    },
    BadSignature {
        key_id: String,
    },
    RevokedKey {
        key_id: String,
        merchant_id: String,
    },
    KeyNotYetValid {
        key_id: String,
        not_before: u64,
    },
    KeyExpired {
        key_id: String,
        not_after: u64,
    },
    CodeExpired {
        expires_at: u64,
    },
    ExpiryTooFar {
        expires_at: u64,
        latest_accepted: u64,
    },
    ReplayedNonce {
        key_id: String,
        nonce: String,
    },
    NameMismatch {
        printed: String,
        registered: String,
    },
    ConfusableName {
        printed: String,
        registered: String,
    },
    MixedScriptName {
        name: String,
    },
    AccountNotRegistered {
        key_id: String,
        account_id: u8,
        guid: Option<String>,
    },
}

impl From<tr::Reason> for Reason {
    fn from(r: tr::Reason) -> Reason {
        use tr::Reason as R;
        match r {
            R::MalformedPayload { detail } => Reason::MalformedPayload { detail },
            R::NoSignature => Reason::NoSignature,
            R::MalformedSignature { detail } => Reason::MalformedSignature { detail },
            R::UnsupportedVersion { version } => Reason::UnsupportedVersion { version },
            R::UnsupportedAlgorithm { algorithm } => Reason::UnsupportedAlgorithm { algorithm },
            R::NoRegistry => Reason::NoRegistry,
            R::RegistryExpired { expired_at } => Reason::RegistryExpired { expired_at },
            R::UnknownKey { key_id } => Reason::UnknownKey { key_id },
            R::AlgorithmMismatch {
                key_id,
                signed_with,
                registered,
            } => Reason::AlgorithmMismatch {
                key_id,
                signed_with: signed_with.into(),
                registered: registered.into(),
            },
            R::BadSignature { key_id } => Reason::BadSignature { key_id },
            R::RevokedKey {
                key_id,
                merchant_id,
            } => Reason::RevokedKey {
                key_id,
                merchant_id,
            },
            R::KeyNotYetValid { key_id, not_before } => {
                Reason::KeyNotYetValid { key_id, not_before }
            }
            R::KeyExpired { key_id, not_after } => Reason::KeyExpired { key_id, not_after },
            R::CodeExpired { expires_at } => Reason::CodeExpired { expires_at },
            R::ExpiryTooFar {
                expires_at,
                latest_accepted,
            } => Reason::ExpiryTooFar {
                expires_at,
                latest_accepted,
            },
            R::ReplayedNonce { key_id, nonce } => Reason::ReplayedNonce { key_id, nonce },
            R::NameMismatch {
                printed,
                registered,
            } => Reason::NameMismatch {
                printed,
                registered,
            },
            R::ConfusableName {
                printed,
                registered,
            } => Reason::ConfusableName {
                printed,
                registered,
            },
            R::MixedScriptName { name } => Reason::MixedScriptName { name },
            R::AccountNotRegistered {
                key_id,
                account_id,
                guid,
            } => Reason::AccountNotRegistered {
                key_id,
                account_id,
                guid,
            },
        }
    }
}

/// The kebab-case code of a reason ("bad-signature"), as in the JSON vectors.
#[uniffi::export]
pub fn reason_code(reason: Reason) -> String {
    use Reason as R;
    match reason {
        R::MalformedPayload { .. } => "malformed-payload",
        R::NoSignature => "no-signature",
        R::MalformedSignature { .. } => "malformed-signature",
        R::UnsupportedVersion { .. } => "unsupported-version",
        R::UnsupportedAlgorithm { .. } => "unsupported-algorithm",
        R::NoRegistry => "no-registry",
        R::RegistryExpired { .. } => "registry-expired",
        R::UnknownKey { .. } => "unknown-key",
        R::AlgorithmMismatch { .. } => "algorithm-mismatch",
        R::BadSignature { .. } => "bad-signature",
        R::RevokedKey { .. } => "revoked-key",
        R::KeyNotYetValid { .. } => "key-not-yet-valid",
        R::KeyExpired { .. } => "key-expired",
        R::CodeExpired { .. } => "code-expired",
        R::ExpiryTooFar { .. } => "expiry-too-far",
        R::ReplayedNonce { .. } => "replayed-nonce",
        R::NameMismatch { .. } => "name-mismatch",
        R::ConfusableName { .. } => "confusable-name",
        R::MixedScriptName { .. } => "mixed-script-name",
        R::AccountNotRegistered { .. } => "account-not-registered",
    }
    .to_string()
}

/// A verified merchant, from the registry (never from the QR text).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VerifiedMerchant {
    /// The registered name: what the wallet shows as who is paid.
    pub registered_name: String,
    /// The registered city.
    pub registered_city: String,
    /// The acquirer's merchant id.
    pub merchant_id: String,
    /// The key that signed.
    pub key_id: String,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// Expiry and nonce of a dynamic code.
    pub dynamic: Option<DynamicInfo>,
    /// The registry version that vouched for the key.
    pub registry_version: u64,
    /// Caveats to mention.
    pub warnings: Vec<Warning>,
}

/// The outcome of verifying a merchant code.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Verdict {
    /// Signed by a registered key for registered accounts.
    Verified {
        /// Who it is.
        merchant: VerifiedMerchant,
    },
    /// Not verified.
    Unverified {
        /// Why.
        reason: Reason,
    },
}

impl From<tr::Verdict> for Verdict {
    fn from(v: tr::Verdict) -> Verdict {
        match v {
            tr::Verdict::Verified(m) => Verdict::Verified {
                merchant: VerifiedMerchant {
                    registered_name: m.registered_name,
                    registered_city: m.registered_city,
                    merchant_id: m.merchant_id,
                    key_id: m.key_id,
                    algorithm: m.algorithm.into(),
                    dynamic: m.dynamic.map(|d| DynamicInfo {
                        expires_at: d.expires_at,
                        nonce: d.nonce,
                    }),
                    registry_version: m.registry_version,
                    warnings: m.warnings.into_iter().map(Warning::from).collect(),
                },
            },
            tr::Verdict::Unverified { reason } => Verdict::Unverified {
                reason: reason.into(),
            },
        }
    }
}

/// The loaded merchant key registry.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RegistryInfo {
    /// Registry id.
    pub registry_id: String,
    /// Version.
    pub version: u64,
    /// Issue time (unix seconds).
    pub issued_at: u64,
    /// Staleness time (unix seconds).
    pub expires_at: u64,
    /// Number of merchant keys.
    pub key_count: u64,
    /// SHA-256 of the signed bytes (hex).
    pub payload_sha256: String,
    /// Stale when applied.
    pub stale: bool,
}

impl From<tr::RegistryInfo> for RegistryInfo {
    fn from(i: tr::RegistryInfo) -> RegistryInfo {
        RegistryInfo {
            registry_id: i.registry_id,
            version: i.version,
            issued_at: i.issued_at,
            expires_at: i.expires_at,
            key_count: u64::try_from(i.key_count).unwrap_or(u64::MAX),
            payload_sha256: i.payload_sha256,
            stale: i.stale,
        }
    }
}

/// Why the connection is degraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DegradedReason {
    /// Replies are slow.
    Slow,
    /// Requests fail.
    Errors,
    /// TLS or pin failures (captive portal or interception proxy).
    TlsFailure,
}

/// The connectivity the UI shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConnectivityStatus {
    /// Requests succeed promptly.
    Online,
    /// Reachable, but not well.
    Degraded {
        /// Why.
        reason: DegradedReason,
    },
    /// No network or backend unreachable.
    Offline {
        /// Since when (unix milliseconds).
        since_ms: u64,
    },
}

/// What status subscribers receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct StatusSnapshot {
    /// Connectivity.
    pub connectivity: ConnectivityStatus,
    /// Payments not yet resolved.
    pub pending_payments: u32,
}

impl From<st::StatusSnapshot> for StatusSnapshot {
    fn from(s: st::StatusSnapshot) -> StatusSnapshot {
        let connectivity = match s.connectivity {
            st::ConnectivityStatus::Online => ConnectivityStatus::Online,
            st::ConnectivityStatus::Degraded { reason } => ConnectivityStatus::Degraded {
                reason: match reason {
                    st::DegradedReason::Slow => DegradedReason::Slow,
                    st::DegradedReason::Errors => DegradedReason::Errors,
                    st::DegradedReason::TlsFailure => DegradedReason::TlsFailure,
                },
            },
            st::ConnectivityStatus::Offline { since } => {
                ConnectivityStatus::Offline { since_ms: since }
            }
        };
        StatusSnapshot {
            connectivity,
            pending_payments: s.pending_payments,
        }
    }
}

/// Where a journalled payment is.
#[allow(missing_docs)] // See `scanpay_core::payment::PaymentState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PaymentState {
    Queued,
    Sending,
    NotSent,
    Unknown,
    Reversing,
    Succeeded,
    Declined,
    Reversed,
    Cancelled,
    NeedsAttention,
}

impl From<pay::PaymentState> for PaymentState {
    fn from(s: pay::PaymentState) -> PaymentState {
        use pay::PaymentState as S;
        match s {
            S::Queued => PaymentState::Queued,
            S::Sending => PaymentState::Sending,
            S::NotSent => PaymentState::NotSent,
            S::Unknown => PaymentState::Unknown,
            S::Reversing => PaymentState::Reversing,
            S::Succeeded => PaymentState::Succeeded,
            S::Declined => PaymentState::Declined,
            S::Reversed => PaymentState::Reversed,
            S::Cancelled => PaymentState::Cancelled,
            S::NeedsAttention => PaymentState::NeedsAttention,
        }
    }
}

/// One payment, as the history screen shows it (no authorisation, no payload).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Payment {
    /// The payment id (idempotency key; quote it to support).
    pub id: String,
    /// Where it is.
    pub state: PaymentState,
    /// Who is paid (registered name when verified).
    pub merchant_name: String,
    /// The merchant's city.
    pub merchant_city: Option<String>,
    /// Whether the merchant verified.
    pub merchant_verified: bool,
    /// The amounts.
    pub breakdown: AmountBreakdown,
    /// Created (unix seconds).
    pub created_at: u64,
    /// Last change (unix seconds).
    pub updated_at: u64,
    /// Authorised offline.
    pub offline: bool,
    /// The receipt, when paid.
    pub receipt: Option<Receipt>,
    /// The decline code, when declined.
    pub decline_code: Option<String>,
    /// The decline message, when declined.
    pub decline_message: Option<String>,
    /// The last transport or backend error, for support.
    pub last_error: Option<String>,
}

impl From<pay::PaymentRecord> for Payment {
    fn from(r: pay::PaymentRecord) -> Payment {
        Payment {
            id: r.id,
            state: r.state.into(),
            merchant_name: r.merchant.name,
            merchant_city: r.merchant.city,
            merchant_verified: r.merchant.verified,
            breakdown: r.breakdown.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            offline: r.offline,
            receipt: r.receipt.map(Receipt::from),
            decline_code: r.decline.as_ref().map(|d| d.code.clone()),
            decline_message: r.decline.map(|d| d.message),
            last_error: r.last_error,
        }
    }
}

/// What the UI shows about the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct AuthStatus {
    /// A device key exists and is not disabled. Read from the journal only:
    /// a key the platform key store lost still counts until a PIN check says
    /// `PinError.DeviceKeyUnusable` and the app calls `resetDeviceKey`.
    pub enrolled: bool,
    /// Disabled after too many failures: re-enrol.
    pub disabled: bool,
    /// Consecutive failures.
    pub failures: u32,
    /// Attempts left before the key is disabled.
    pub attempts_left: u32,
    /// When the next attempt is allowed (unix seconds), when waiting.
    pub locked_until: Option<u64>,
    /// Seconds until the next attempt is allowed (0 = now).
    pub retry_after_secs: u64,
}

impl From<scanpay_core::auth::AuthStatus> for AuthStatus {
    fn from(s: scanpay_core::auth::AuthStatus) -> AuthStatus {
        AuthStatus {
            enrolled: s.enrolled,
            disabled: s.disabled,
            failures: s.failures,
            attempts_left: s.attempts_left,
            locked_until: s.locked_until,
            retry_after_secs: s.retry_after_secs,
        }
    }
}

/// Where a history page ended; pass it back unchanged to
/// `Wallet::history_page` for the next (older) page. (creation time, journal
/// position) rather than a bare time, so payments created in the same second
/// are neither skipped nor repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct HistoryCursor {
    /// Creation time of the page's last payment (unix seconds).
    pub created_at: u64,
    /// Journal position of the page's last payment (orders same-second payments).
    pub seq: u64,
}

impl From<scanpay_core::store::HistoryCursor> for HistoryCursor {
    fn from(c: scanpay_core::store::HistoryCursor) -> HistoryCursor {
        HistoryCursor {
            created_at: c.created_at(),
            seq: c.seq(),
        }
    }
}

/// One page of history, newest first.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HistoryPage {
    /// The payments on this page.
    pub payments: Vec<Payment>,
    /// The cursor for the next page; `None` when this page is the last.
    pub next: Option<HistoryCursor>,
}

#[cfg(test)]
mod money_tests {
    use super::*;

    fn money(minor_units: u64, currency: &str, exponent: u8) -> Money {
        Money {
            minor_units,
            currency: currency.into(),
            exponent,
        }
    }

    #[test]
    fn an_echoed_amount_keeps_its_exponent_and_a_wrong_one_is_refused() {
        let thb = Currency::from_code("THB").unwrap();
        assert_eq!(
            CoreMoney::try_from(&money(1250, "THB", 2)),
            Ok(CoreMoney::new(1250, thb))
        );
        // 1250 with exponent 0 is what the app showed as "1,250 THB".
        for wrong in [0, 1, 3, u8::MAX] {
            assert!(matches!(
                CoreMoney::try_from(&money(1250, "THB", wrong)),
                Err(FlowError::TotalMismatch(_))
            ));
        }
        // A currency without minor units: only exponent 0 is its own.
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(jpy.exponent(), 0);
        assert_eq!(
            CoreMoney::try_from(&money(500, "JPY", 0)),
            Ok(CoreMoney::new(500, jpy))
        );
        assert!(matches!(
            CoreMoney::try_from(&money(500, "JPY", 2)),
            Err(FlowError::TotalMismatch(_))
        ));
        // And the conversion out carries the currency's exponent.
        assert_eq!(
            Money::from(CoreMoney::new(1250, thb)),
            money(1250, "THB", 2)
        );
    }
}
