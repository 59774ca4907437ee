//! Records and enums of the core as the foreign code sees them.
//!
//! Two kinds (ADR 0019). Core types whose shape can cross as it is cross
//! *once*: they are re-exported here and described to UniFFI with
//! `#[uniffi::remote(...)]`, a compiler-checked copy of the core definition
//! (a field or variant that differs fails to build) that emits only the
//! converters, so there is no second Rust type and no `From` impl. The
//! copies carry the docs the foreign code shows. The others are wrappers,
//! each with its reason next to it: a field whose type cannot cross
//! (`Money`'s `Currency`, `usize`, `&'static str`, private fields) or a
//! foreign shape that apps rely on and that differs from the core's. None
//! adds logic.

use scanpay_core::i18n::catalogue::Msg;
use scanpay_core::money::{Currency, Money as CoreMoney};
use scanpay_core::payload::mpm::TipRule as CoreTipRule;
use scanpay_core::payment as pay;
use scanpay_core::trust as tr;

pub use scanpay_core::auth::AuthStatus;
pub use scanpay_core::payment::PaymentState;
pub use scanpay_core::status::{ConnectivityStatus, DegradedReason, StatusSnapshot};
pub use scanpay_core::trust::signed_qr::DynamicInfo;
pub use scanpay_core::trust::{Algorithm, Reason, RegistryInfo, VerifiedMerchant, Warning};

use crate::errors::FlowError;

/// An amount in integer minor units of an ISO 4217 currency. Never a float.
// A wrapper: the core's `Money` holds a `Currency` (a table entry, not a
// string), and the foreign record carries the exponent beside the code so
// that the app can format and echo the amount without a currency table.
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
        let currency = Currency::from_code(&m.currency).ok_or_else(FlowError::invalid_input)?;
        if m.exponent != currency.exponent() {
            // The payer reads the core's "the total changed" text, as for
            // any echo that is not the amount to pay.
            return Err(FlowError::TotalMismatch(crate::i18n::render(
                &Msg::FlowTotalChanged,
            )));
        }
        Ok(CoreMoney::new(m.minor_units, currency))
    }
}

/// The amount as a UI shows it in the current locale, written by CLDR
/// ("THB 1,234.50" in en, "$12.50" for SGD in en-SG, "Rp 12.500" in id):
/// the `text` of [`crate::i18n::amount_text`]. Never rounded. A currency
/// code the core does not know, or an exponent other than ISO 4217's (which
/// no core value carries), is written plainly with the record's own exponent
/// ("XTS 12.50" for 1250 minor units, exponent 2), so the figure is never a
/// power of ten off.
#[uniffi::export]
pub fn format_money(money: Money) -> String {
    match CoreMoney::try_from(&money) {
        Ok(m) => scanpay_core::i18n::format_amount(&m, &crate::i18n::locale()).text,
        Err(_) => {
            let exponent = usize::from(money.exponent);
            let digits = format!("{:0>width$}", money.minor_units, width = exponent + 1);
            let (int, frac) = digits.split_at(digits.len() - exponent);
            if frac.is_empty() {
                format!("{} {int}", money.currency)
            } else {
                format!("{} {int}.{frac}", money.currency)
            }
        }
    }
}

/// The amounts of a payment, as the payer saw them.
// A wrapper because its fields are [`Money`].
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
// A wrapper because its amount is [`Money`].
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
// A wrapper: the core's variants are tuples of [`Money`] and a
// `Percentage`; the foreign variants have named fields.
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
#[uniffi::remote(Enum)]
pub enum Algorithm {
    /// Ed25519.
    Ed25519,
    /// ECDSA P-256 with SHA-256.
    EcdsaP256Sha256,
}

/// Expiry and nonce of a dynamic code.
#[uniffi::remote(Record)]
pub struct DynamicInfo {
    /// Valid while now < expires_at (unix seconds).
    pub expires_at: u64,
    /// The nonce as printed.
    pub nonce: String,
}

/// A caveat on a verified code: mention it, do not refuse.
#[uniffi::remote(Enum)]
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

/// The kebab-case code of a warning ("city-differs"), as in the JSON vectors.
#[uniffi::export]
pub fn warning_code(warning: Warning) -> String {
    warning.code().to_string()
}

/// Why a merchant code is unverified; each variant carries what the UI needs
/// to explain it. `reason_code` gives the stable kebab-case code.
#[uniffi::remote(Enum)]
pub enum Reason {
    /// The text is not a valid EMVCo MPM payload (bad CRC, structure, …).
    MalformedPayload {
        /// The parser's explanation.
        detail: String,
    },
    /// An ordinary EMVCo code without a ScanPay signature.
    NoSignature,
    /// ScanPay templates are present but malformed or incomplete.
    MalformedSignature {
        /// What is wrong.
        detail: String,
    },
    /// The signature format version is not supported by this wallet.
    UnsupportedVersion {
        /// The version in the code.
        version: String,
    },
    /// The signature algorithm is not supported by this wallet.
    UnsupportedAlgorithm {
        /// The algorithm code in the code.
        algorithm: String,
    },
    /// No registry has been loaded: nothing can be verified.
    NoRegistry,
    /// The registry is stale beyond the offline grace period.
    RegistryExpired {
        /// When the registry went stale (unix seconds).
        expired_at: u64,
    },
    /// The key id is not in the registry.
    UnknownKey {
        /// The key id in the code.
        key_id: String,
    },
    /// The code claims another algorithm than the registered key's.
    AlgorithmMismatch {
        /// The key id.
        key_id: String,
        /// Algorithm the code claims.
        signed_with: Algorithm,
        /// Algorithm registered for the key.
        registered: Algorithm,
    },
    /// The signature does not verify: the code was altered or forged.
    BadSignature {
        /// The key id.
        key_id: String,
    },
    /// The key has been revoked by the acquirer.
    RevokedKey {
        /// The key id.
        key_id: String,
        /// Whose key it was.
        merchant_id: String,
    },
    /// The key's validity has not started.
    KeyNotYetValid {
        /// The key id.
        key_id: String,
        /// Start of validity (unix seconds).
        not_before: u64,
    },
    /// The key's validity has ended.
    KeyExpired {
        /// The key id.
        key_id: String,
        /// End of validity (unix seconds).
        not_after: u64,
    },
    /// The dynamic code has expired.
    CodeExpired {
        /// Its expiry (unix seconds).
        expires_at: u64,
    },
    /// The dynamic code claims to live longer than the wallet accepts.
    ExpiryTooFar {
        /// Its expiry (unix seconds).
        expires_at: u64,
        /// The latest expiry accepted now.
        latest_accepted: u64,
    },
    /// The dynamic code has been used before.
    ReplayedNonce {
        /// The key id.
        key_id: String,
        /// The nonce.
        nonce: String,
    },
    /// The printed merchant name is not the registered one.
    NameMismatch {
        /// Name printed in the code.
        printed: String,
        /// Registered name.
        registered: String,
    },
    /// The printed name is a lookalike of the registered one.
    ConfusableName {
        /// Name printed in the code.
        printed: String,
        /// Registered name.
        registered: String,
    },
    /// A name mixes scripts in a way used for spoofing (e.g. Latin with Cyrillic).
    MixedScriptName {
        /// The offending name.
        name: String,
    },
    /// The code lists an account that is not registered to the signing key
    /// (the sticker-swap case).
    AccountNotRegistered {
        /// The key id.
        key_id: String,
        /// The account's data object ID (02–51).
        account_id: u8,
        /// The account's GUID, for templates.
        guid: Option<String>,
    },
}

/// The kebab-case code of a reason ("bad-signature"), as in the JSON vectors.
#[uniffi::export]
pub fn reason_code(reason: Reason) -> String {
    reason.code().to_string()
}

/// A verified merchant, from the registry (never from the QR text).
#[uniffi::remote(Record)]
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
// A wrapper: the core's `Verified` is a tuple variant, and apps read the
// merchant as the named field `merchant` (a tuple variant would cross as
// `v1`).
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
            tr::Verdict::Verified(merchant) => Verdict::Verified { merchant },
            tr::Verdict::Unverified { reason } => Verdict::Unverified { reason },
        }
    }
}

/// The loaded merchant key registry.
#[uniffi::remote(Record)]
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

/// Why the connection is degraded.
#[uniffi::remote(Enum)]
pub enum DegradedReason {
    /// Replies are slow.
    Slow,
    /// Requests fail.
    Errors,
    /// TLS or pin failures (captive portal or interception proxy).
    TlsFailure,
}

/// The connectivity the UI shows.
#[uniffi::remote(Enum)]
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
#[uniffi::remote(Record)]
pub struct StatusSnapshot {
    /// Connectivity.
    pub connectivity: ConnectivityStatus,
    /// Payments not yet resolved.
    pub pending_payments: u32,
}

/// Where a journalled payment is.
#[uniffi::remote(Enum)]
pub enum PaymentState {
    /// Journalled, not sent yet (queued offline, or about to be sent).
    Queued,
    /// Being sent.
    Sending,
    /// Could not be sent; nothing left the phone.
    NotSent,
    /// Sent, outcome unclear: being checked.
    Unknown,
    /// No answer in time: being cancelled.
    Reversing,
    /// Paid.
    Succeeded,
    /// Declined by the backend.
    Declined,
    /// Cancelled after an unclear outcome: nothing was paid.
    Reversed,
    /// Cancelled before it was sent.
    Cancelled,
    /// The wallet cannot tell whether money moved: show the id and support.
    NeedsAttention,
}

/// One payment, as the history screen shows it (no authorisation, no payload).
// A wrapper: a flat view of the core's `PaymentRecord` (merchant and
// decline flattened, no authorisation or payload, which stay in Rust).
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
    /// How the payer authorised it: PIN, biometric or PIN-free.
    pub method: crate::shortcuts::PaymentAuthMethod,
}

impl From<pay::PaymentRecord> for Payment {
    fn from(r: pay::PaymentRecord) -> Payment {
        Payment {
            method: r.method(),
            id: r.id,
            state: r.state,
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
#[uniffi::remote(Record)]
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

/// Where a history page ended; pass it back unchanged to
/// `Wallet::history_page` for the next (older) page. (creation time, journal
/// position) rather than a bare time, so payments created in the same second
/// are neither skipped nor repeated.
// A wrapper: the core's cursor keeps its fields private so that only the
// journal makes one; the foreign record is plain data the app hands back.
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
// A wrapper because its entries are [`Payment`] views.
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
