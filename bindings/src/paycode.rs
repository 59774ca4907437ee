//! The pay code: the phone shows a one-time code, a shop's till charges it.
//!
//! Conversions only (the crate's rule): the construction, the counters, the
//! offline limits, the event sync and the PIN confirmation are the core's
//! [`scanpay_core::paycode`]; this module turns its types into records an app
//! can hold and its errors into [`PaycodeError`], whose variants say what the
//! UI does next.
//!
//! The app's calls, in order (docs/bindings.md, "Pay code"):
//! 1. `Wallet.paycodeStatus()` — whether a code can be shown, and if not why
//!    ([`PaycodeBlock`]);
//! 2. `Wallet.openPaycode(pin)` — one counted PIN attempt; provisions the pay
//!    code with the backend the first time (online only);
//! 3. [`PaycodeSession::current`] on every refresh tick (once a second is
//!    fine: it returns the same code until `valid_until`, or until the wallet
//!    learns the code was used), drawing [`PaycodeDisplay::qr`] and
//!    [`PaycodeDisplay::bars`]; [`PaycodeSession::set_screen_captured`] from
//!    the platform's capture signal; [`PaycodeSession::end`] when the
//!    screen goes away;
//! 4. `Wallet.syncPaycode(wait)` while the app is in the foreground (a
//!    long-poll: the till's charge reaches the phone within a couple of
//!    seconds), `Wallet.pendingCharges()` to show a charge above the no-PIN
//!    amount, `Wallet.confirmCharge(id, pin)` / `Wallet.declineCharge(id)`;
//! 5. `Wallet.paycodeHistory()` for the receipts.

use std::sync::Arc;

use scanpay_core::auth::AuthError;
use scanpay_core::i18n::catalogue::Msg;
use scanpay_core::i18n::describe::Describe;
use scanpay_core::money::Money as CoreMoney;
pub use scanpay_core::net::api::paycode::ChargeState;
use scanpay_core::net::api::paycode::PaycodeLimits as CoreLimits;
use scanpay_core::paycode::render::{CODE128_QUIET_MODULES, QR_QUIET_MODULES};
pub use scanpay_core::paycode::ChargeOutcome;
pub use scanpay_core::paycode::{AuthMethod, ChargeMerchant, PayerAnswer};
use scanpay_core::paycode::{
    OfflineLimit as CoreOfflineLimit, PaycodeBlock as CoreBlock, PaycodeChargeInfo,
    PaycodeDisplay as CoreDisplay, PaycodeError as CoreError, PaycodeSession as CoreSession,
    PaycodeStatus as CoreStatus, PendingCharge as CorePending,
};
use scanpay_core::payment::BackendError;

use crate::errors::PinError;
use crate::i18n::{localized, LocalizedText};
use crate::pinpad::PinPad;
use crate::types::Money;
use crate::wallet::{Shared, Wallet};
use crate::worker::{run_blocking, WorkerFailure};
use crate::LiveToken;

/// Light modules to leave on each side of the Code 128 bars.
#[uniffi::export]
pub fn paycode_bars_quiet_modules() -> u32 {
    CODE128_QUIET_MODULES
}

/// Light modules to leave around the QR matrix.
#[uniffi::export]
pub fn paycode_qr_quiet_modules() -> u32 {
    QR_QUIET_MODULES
}

/// The pay code's limits (the stricter of the wallet's and the backend's).
// A wrapper because its amounts are [`Money`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PaycodeLimits {
    /// Largest charge a code authorises alone; above it the phone asks for
    /// the PIN.
    pub no_pin_max: Money,
    /// Most codes shown between two syncs.
    pub offline_max_codes: u32,
    /// Largest total the codes shown between two syncs may be charged.
    pub offline_max_total: Money,
}

impl From<CoreLimits> for PaycodeLimits {
    fn from(l: CoreLimits) -> PaycodeLimits {
        PaycodeLimits {
            no_pin_max: l.no_pin_max.into(),
            offline_max_codes: l.offline_max_codes,
            offline_max_total: l.offline_max_total.into(),
        }
    }
}

/// Why no new code may be shown until the wallet syncs (UI: "connect to the
/// internet to show more codes").
// A wrapper because its amounts are [`Money`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum OfflineLimit {
    /// `issued` codes since the last sync reached the most allowed, `max`.
    Codes {
        /// Codes shown since the last sync.
        issued: u32,
        /// The limit.
        max: u32,
    },
    /// One more code could take the worst case (every code charged
    /// `no_pin_max`) over `max_total`.
    Total {
        /// Codes shown since the last sync.
        issued: u32,
        /// What each could be charged without the PIN.
        no_pin_max: Money,
        /// The limit on the total.
        max_total: Money,
    },
}

impl From<CoreOfflineLimit> for OfflineLimit {
    fn from(l: CoreOfflineLimit) -> OfflineLimit {
        match l {
            CoreOfflineLimit::Codes { issued, max } => OfflineLimit::Codes { issued, max },
            CoreOfflineLimit::Total {
                issued,
                no_pin_max,
                max_total,
            } => OfflineLimit::Total {
                issued,
                no_pin_max: no_pin_max.into(),
                max_total: max_total.into(),
            },
        }
    }
}

/// Why no code can be shown right now, for the UI to explain and offer the
/// way out.
// A wrapper: the core's `OfflineLimit(..)` is a tuple variant whose name
// would shadow the type in Kotlin; here it is `OfflineLimitReached { limit }`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PaycodeBlock {
    /// No PIN yet: enrol.
    NotEnrolled,
    /// Not set up yet: open it with the PIN while online.
    NotProvisioned,
    /// Too many wrong PINs: wait.
    PinLocked {
        /// Seconds until the next attempt.
        retry_after_secs: u64,
    },
    /// The PIN is blocked: re-enrol.
    PinDisabled,
    /// The device key no longer opens on this phone: `resetDeviceKey`, enrol
    /// and register again.
    KeyUnusable,
    /// The offline limits: sync to show more codes. (Not named
    /// `OfflineLimit`: in Kotlin the variant would shadow the type.)
    OfflineLimitReached {
        /// Which limit.
        limit: OfflineLimit,
    },
    /// Every code of this secret's window was shown without one being used:
    /// open the pay code again with the PIN while online (a fresh secret).
    WindowExhausted,
}

impl From<CoreBlock> for PaycodeBlock {
    fn from(b: CoreBlock) -> PaycodeBlock {
        match b {
            CoreBlock::NotEnrolled => PaycodeBlock::NotEnrolled,
            CoreBlock::NotProvisioned => PaycodeBlock::NotProvisioned,
            CoreBlock::PinLocked { retry_after_secs } => {
                PaycodeBlock::PinLocked { retry_after_secs }
            }
            CoreBlock::PinDisabled => PaycodeBlock::PinDisabled,
            CoreBlock::KeyUnusable => PaycodeBlock::KeyUnusable,
            CoreBlock::OfflineLimit(l) => PaycodeBlock::OfflineLimitReached { limit: l.into() },
            CoreBlock::WindowExhausted => PaycodeBlock::WindowExhausted,
        }
    }
}

/// What the UI shows about the pay code before (and while) showing one.
// A wrapper because it holds [`PaycodeLimits`] and [`PaycodeBlock`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PaycodeStatus {
    /// A secret is provisioned.
    pub provisioned: bool,
    /// The backend's generation of the secret.
    pub generation: Option<u32>,
    /// The account charged.
    pub account_id: Option<String>,
    /// Codes shown since the last sync.
    pub issued_since_sync: u32,
    /// The limits that apply, once provisioned.
    pub limits: Option<PaycodeLimits>,
    /// The last successful sync (unix seconds, wallet clock).
    pub last_sync_at: Option<u64>,
    /// Why no code can be shown now, if none can.
    pub blocked: Option<PaycodeBlock>,
    /// Charges waiting for the PIN.
    pub pending_charges: u32,
}

impl From<CoreStatus> for PaycodeStatus {
    fn from(s: CoreStatus) -> PaycodeStatus {
        PaycodeStatus {
            provisioned: s.provisioned,
            generation: s.generation,
            account_id: s.account_id,
            issued_since_sync: s.issued_since_sync,
            limits: s.limits.map(PaycodeLimits::from),
            last_sync_at: s.last_sync_at,
            blocked: s.blocked.map(PaycodeBlock::from),
            pending_charges: s.pending_charges,
        }
    }
}

/// A QR code's modules, to draw as squares (no barcode library needed).
// A wrapper: its `Debug` leaves the modules (a live code) out, where the
// core's derived one prints them.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct QrMatrix {
    /// Modules per side (0 when nothing may be drawn).
    pub size: u32,
    /// `size * size` modules, row after row from the top; `true` = dark.
    pub modules: Vec<bool>,
}

impl std::fmt::Debug for QrMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The modules encode a live code.
        f.debug_struct("QrMatrix")
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

/// What the UI draws for one code. While the screen is captured everything
/// drawable is empty and `displayable` is false.
// A wrapper because it holds [`QrMatrix`].
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct PaycodeDisplay {
    /// The 18 digits (empty when not displayable). Show them in groups
    /// ("39 1234 5678 9012 3456") under the bars.
    pub digits: String,
    /// The QR form's text, EMVCo CPM (empty when not displayable).
    pub cpm_text: String,
    /// The QR matrix of `cpm_text`; leave `paycodeQrQuietModules()` light
    /// modules around it.
    pub qr: QrMatrix,
    /// Code 128 bar widths in modules, a bar first, then alternating space
    /// and bar; leave `paycodeBarsQuietModules()` light modules each side.
    pub bars: Vec<u8>,
    /// The code's counter (not secret; for support and tests).
    pub counter: u64,
    /// When the code was made (unix seconds, wallet clock).
    pub issued_at: u64,
    /// When the wallet stops showing it (at most 60 s after `issued_at`).
    pub valid_until: u64,
    /// Seconds until the next code (the countdown to show).
    pub refresh_in_secs: u64,
    /// False while the screen is captured or recorded.
    pub displayable: bool,
}

impl std::fmt::Debug for PaycodeDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the digits: a shown code is a payment authorisation until used.
        f.debug_struct("PaycodeDisplay")
            .field("counter", &self.counter)
            .field("issued_at", &self.issued_at)
            .field("valid_until", &self.valid_until)
            .field("displayable", &self.displayable)
            .finish_non_exhaustive()
    }
}

impl From<CoreDisplay> for PaycodeDisplay {
    fn from(d: CoreDisplay) -> PaycodeDisplay {
        PaycodeDisplay {
            digits: d.digits,
            cpm_text: d.cpm_text,
            qr: QrMatrix {
                size: d.qr.size,
                modules: d.qr.modules,
            },
            bars: d.bars,
            counter: d.counter,
            issued_at: d.issued_at,
            valid_until: d.valid_until,
            refresh_in_secs: d.refresh_in_secs,
            displayable: d.displayable,
        }
    }
}

/// A charge's state as the event feed last gave it.
#[uniffi::remote(Enum)]
pub enum ChargeState {
    /// Waiting for the payer's PIN on this phone.
    Userpaying,
    /// Charged.
    Paid,
    /// Never charged (declined, timed out, or reversed while waiting).
    Closed,
    /// Charged, then refunded by the till.
    Reversed,
}

/// How a charge was authorised.
#[uniffi::remote(Enum)]
pub enum AuthMethod {
    /// The code alone (at most the no-PIN amount).
    Code,
    /// The code, then the payer's PIN on the phone.
    CodeAndPin,
}

/// What this wallet answered to a charge that asked for the PIN.
#[uniffi::remote(Enum)]
pub enum PayerAnswer {
    /// Confirmed with the PIN.
    Confirmed,
    /// Declined.
    Declined,
}

/// Who charged (from the verified registry when it lists the merchant).
#[uniffi::remote(Record)]
pub struct ChargeMerchant {
    /// The merchant id.
    pub id: String,
    /// The name to show.
    pub name: String,
    /// True when `name` is the verified registry's; false when it is the
    /// backend event's (mark it, e.g. "as named by ScanPay").
    pub registered: bool,
}

/// A charge made with one of this wallet's codes (history, notifications).
// A wrapper: a flat view of the core's journal record and its merchant,
// with the amount as [`Money`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PaycodeCharge {
    /// The backend's id of the charge.
    pub charge_id: String,
    /// Its last state heard from the feed.
    pub state: ChargeState,
    /// Who charged.
    pub merchant: ChargeMerchant,
    /// How much.
    pub amount: Money,
    /// The receipt number the till got, once paid.
    pub receipt: Option<String>,
    /// The counter of the code used.
    pub counter: u64,
    /// The backend's time of the last event (unix seconds).
    pub at: u64,
    /// While waiting for the PIN: when the backend closes it.
    pub expires_at: Option<u64>,
    /// How it was authorised.
    pub method: AuthMethod,
    /// What this wallet answered, if it was asked.
    pub payer_answer: Option<PayerAnswer>,
}

impl From<PaycodeChargeInfo> for PaycodeCharge {
    fn from(i: PaycodeChargeInfo) -> PaycodeCharge {
        let c = i.charge;
        PaycodeCharge {
            charge_id: c.charge_id,
            state: c.state,
            merchant: i.merchant,
            amount: c.amount.into(),
            receipt: c.receipt,
            counter: c.counter,
            at: c.at,
            expires_at: c.expires_at,
            method: i.method,
            payer_answer: c.payer_answer,
        }
    }
}

/// A charge above the no-PIN amount waiting for the payer: show who and how
/// much, then ask for the PIN (`confirmCharge`) or offer `declineCharge`.
// A wrapper because its amount is [`Money`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PendingCharge {
    /// The backend's id of the charge.
    pub charge_id: String,
    /// Who asks.
    pub merchant: ChargeMerchant,
    /// How much.
    pub amount: Money,
    /// When the backend closes it if unanswered (backend clock, unix s).
    pub expires_at: Option<u64>,
}

impl From<CorePending> for PendingCharge {
    fn from(p: CorePending) -> PendingCharge {
        PendingCharge {
            charge_id: p.charge_id,
            merchant: p.merchant,
            amount: p.amount.into(),
            expires_at: p.expires_at,
        }
    }
}

/// What became of a charge the payer answered.
#[uniffi::remote(Enum)]
pub enum ChargeOutcome {
    /// Paid.
    Paid {
        /// The receipt number, when the feed already gave it.
        receipt: Option<String>,
    },
    /// Closed without a charge.
    Closed,
    /// Paid, then refunded by the till.
    Reversed,
    /// Sent, outcome not known yet: the next `syncPaycode` tells.
    Unknown,
}

/// Why a pay-code operation failed: one variant per thing the UI does
/// differently. No variant carries a code's digits or the PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PaycodeError {
    /// Not set up, and no backend to set it up with: go online. No PIN
    /// attempt was spent.
    #[error("the pay code is not set up yet: connect to the internet")]
    NotProvisioned,
    /// The wallet was opened without a backend.
    #[error("no backend is configured")]
    NoBackend,
    /// No new code until the wallet syncs: connect to the internet.
    #[error("offline limit reached: connect to the internet to show more codes")]
    OfflineLimitReached {
        /// Which limit.
        limit: OfflineLimit,
    },
    /// The PIN is not complete; nothing was attempted or counted.
    #[error("the PIN has 6 digits; {entered} entered")]
    PinIncomplete {
        /// Digits entered.
        entered: u32,
    },
    /// Wrong PIN.
    #[error("wrong PIN: {attempts_left} attempts left")]
    WrongPin {
        /// Attempts left before the key is disabled.
        attempts_left: u32,
        /// Seconds to wait before the next attempt (0 = none).
        wait_secs: u64,
    },
    /// Too many wrong PINs: wait.
    #[error("too many wrong PINs: try again in {retry_after_secs} s")]
    LockedOut {
        /// Seconds from now.
        retry_after_secs: u64,
    },
    /// The PIN is blocked: re-enrol.
    #[error("the PIN is blocked after too many wrong attempts; re-enrol the wallet")]
    PinDisabled,
    /// No PIN yet: enrol.
    #[error("the wallet is not enrolled")]
    NotEnrolled,
    /// The device key no longer opens on this phone: offer
    /// `resetDeviceKey`, enrolment and registration again.
    #[error("this wallet's device key cannot be opened on this device; set up the PIN again")]
    DeviceKeyUnusable {
        /// For support.
        reason: String,
    },
    /// The platform key store failed (possibly transient).
    #[error("the device key store failed: {reason}")]
    KeyStore {
        /// The platform's message.
        reason: String,
    },
    /// The backend could not be reached; nothing was sent. A confirmation or
    /// decline is journalled: the next sync tells its outcome.
    #[error("the ScanPay service cannot be reached: {reason}")]
    Unreachable {
        /// What failed.
        reason: String,
    },
    /// The secure connection failed (certificate, pin): do not retry on
    /// this network.
    #[error("the secure connection to ScanPay failed: {reason}")]
    Tls {
        /// What failed.
        reason: String,
    },
    /// Sent, but no usable answer: retry, or sync to learn the outcome.
    #[error("no answer from the ScanPay service: {reason}")]
    NoAnswer {
        /// What failed.
        reason: String,
    },
    /// The backend refused (HTTP 4xx, e.g. 409 when a charge had already
    /// ended): sync to see how it ended.
    #[error("the ScanPay service refused the request (HTTP {status}): {detail}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The backend's message (not `message`: Kotlin exceptions have one).
        detail: String,
    },
    /// The backend failed (HTTP 5xx): try later.
    #[error("the ScanPay service failed (HTTP {status}): {detail}")]
    ServerFailure {
        /// HTTP status.
        status: u16,
        /// The backend's message.
        detail: String,
    },
    /// The backend's pay-code answer was not acceptable; nothing stored.
    #[error("the backend's pay-code answer is not acceptable: {reason}")]
    BadAnswer {
        /// What was wrong.
        reason: String,
    },
    /// Every code of this secret's window was shown without one being used:
    /// open the pay code again with the PIN while online (a fresh secret).
    #[error("no more codes with this secret: open the pay code again while online")]
    WindowExhausted,
    /// The pay code was set up again meanwhile: open it again.
    #[error("the pay code was set up again: open it again")]
    SecretReplaced,
    /// The session was closed.
    #[error("the pay-code session is closed")]
    Closed,
    /// No such charge in the journal: sync first.
    #[error("no charge {charge_id}")]
    UnknownCharge {
        /// The id asked for.
        charge_id: String,
    },
    /// The charge is not waiting for the PIN any more.
    #[error("charge {charge_id} is {state}, not waiting for the PIN")]
    NotPending {
        /// The charge.
        charge_id: String,
        /// Its state (`paid`, `closed`, `reversed`).
        state: String,
    },
    /// The wallet's storage failed.
    #[error("the wallet's storage failed: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// A bug; the operation did not complete.
    #[error("internal error: {reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

impl From<AuthError> for PaycodeError {
    /// The PIN errors as [`PinError`] already tells them apart, re-labelled.
    fn from(e: AuthError) -> PaycodeError {
        match PinError::from(e) {
            PinError::Incomplete { entered } => PaycodeError::PinIncomplete { entered },
            PinError::WrongPin {
                attempts_left,
                wait_secs,
            } => PaycodeError::WrongPin {
                attempts_left,
                wait_secs,
            },
            PinError::LockedOut {
                retry_after_secs, ..
            } => PaycodeError::LockedOut { retry_after_secs },
            PinError::Disabled => PaycodeError::PinDisabled,
            PinError::NotEnrolled => PaycodeError::NotEnrolled,
            PinError::DeviceKeyUnusable { reason } => PaycodeError::DeviceKeyUnusable { reason },
            PinError::KeyStore { reason } => PaycodeError::KeyStore { reason },
            other => PaycodeError::Internal {
                reason: other.to_string(),
            },
        }
    }
}

impl From<BackendError> for PaycodeError {
    fn from(e: BackendError) -> PaycodeError {
        match e {
            BackendError::NotSent(reason) => PaycodeError::Unreachable { reason },
            BackendError::Tls(reason) => PaycodeError::Tls { reason },
            BackendError::MaybeSent(reason) => PaycodeError::NoAnswer { reason },
            BackendError::Server { status, message } if (400..500).contains(&status) => {
                PaycodeError::Refused {
                    status,
                    detail: message,
                }
            }
            BackendError::Server { status, message } => PaycodeError::ServerFailure {
                status,
                detail: message,
            },
        }
    }
}

impl From<CoreError> for PaycodeError {
    fn from(e: CoreError) -> PaycodeError {
        match e {
            CoreError::NotProvisioned => PaycodeError::NotProvisioned,
            CoreError::NoBackend => PaycodeError::NoBackend,
            CoreError::OfflineLimit(l) => PaycodeError::OfflineLimitReached { limit: l.into() },
            CoreError::Auth(a) => a.into(),
            CoreError::Backend(b) => b.into(),
            CoreError::BadAnswer(reason) => PaycodeError::BadAnswer { reason },
            CoreError::SecretReplaced => PaycodeError::SecretReplaced,
            CoreError::WindowExhausted => PaycodeError::WindowExhausted,
            CoreError::Closed => PaycodeError::Closed,
            CoreError::UnknownCharge(charge_id) => PaycodeError::UnknownCharge { charge_id },
            CoreError::NotPending { charge_id, state } => {
                PaycodeError::NotPending { charge_id, state }
            }
            CoreError::Store(s) => PaycodeError::Storage {
                reason: s.to_string(),
            },
        }
    }
}

impl From<WorkerFailure> for PaycodeError {
    fn from(e: WorkerFailure) -> PaycodeError {
        PaycodeError::Internal {
            reason: format!("{e:?}"),
        }
    }
}

impl OfflineLimit {
    /// The catalogue message of the limit reached.
    fn message(&self) -> Msg {
        match self {
            OfflineLimit::Codes { issued, max } => Msg::PaycodeOfflineLimitCodes {
                issued: u64::from(*issued),
                max: u64::from(*max),
            },
            // Built from the core's amount, so it converts back; an amount
            // that did not would be a bug, told as one.
            OfflineLimit::Total { max_total, .. } => match CoreMoney::try_from(max_total) {
                Ok(limit) => Msg::PaycodeOfflineLimitTotal { limit },
                Err(_) => Msg::WalletInternalError,
            },
        }
    }
}

#[uniffi::export]
impl PaycodeBlock {
    /// Why no code can be shown, for the payer, in the current locale.
    pub fn text(&self) -> LocalizedText {
        localized(&match self {
            PaycodeBlock::NotEnrolled => CoreBlock::NotEnrolled.message(),
            PaycodeBlock::NotProvisioned => CoreBlock::NotProvisioned.message(),
            PaycodeBlock::PinLocked { retry_after_secs } => CoreBlock::PinLocked {
                retry_after_secs: *retry_after_secs,
            }
            .message(),
            PaycodeBlock::PinDisabled => CoreBlock::PinDisabled.message(),
            PaycodeBlock::KeyUnusable => CoreBlock::KeyUnusable.message(),
            PaycodeBlock::OfflineLimitReached { limit } => limit.message(),
            PaycodeBlock::WindowExhausted => CoreBlock::WindowExhausted.message(),
        })
    }
}

#[uniffi::export]
impl PaycodeError {
    /// The payer's text for this error in the current locale, with its id
    /// and arguments. The `reason`/`detail` fields are for logs and support.
    pub fn text(&self) -> LocalizedText {
        localized(&self.message())
    }
}

impl PaycodeError {
    /// The catalogue message: the core's own (`Describe`) wherever the
    /// variant holds what the core error held.
    fn message(&self) -> Msg {
        match self {
            PaycodeError::NotProvisioned => CoreError::NotProvisioned.message(),
            PaycodeError::NoBackend => CoreError::NoBackend.message(),
            PaycodeError::OfflineLimitReached { limit } => limit.message(),
            PaycodeError::PinIncomplete { entered } => {
                PinError::Incomplete { entered: *entered }.message()
            }
            PaycodeError::WrongPin {
                attempts_left,
                wait_secs,
            } => PinError::WrongPin {
                attempts_left: *attempts_left,
                wait_secs: *wait_secs,
            }
            .message(),
            PaycodeError::LockedOut { retry_after_secs } => CoreBlock::PinLocked {
                retry_after_secs: *retry_after_secs,
            }
            .message(),
            PaycodeError::PinDisabled => PinError::Disabled.message(),
            PaycodeError::NotEnrolled => PinError::NotEnrolled.message(),
            PaycodeError::DeviceKeyUnusable { .. } => Msg::PinDeviceKeyUnusable,
            PaycodeError::KeyStore { .. } => Msg::PinKeyStoreFailed,
            PaycodeError::Unreachable { reason } => BackendError::NotSent(reason.clone()).message(),
            PaycodeError::Tls { reason } => BackendError::Tls(reason.clone()).message(),
            PaycodeError::NoAnswer { reason } => BackendError::MaybeSent(reason.clone()).message(),
            PaycodeError::Refused { status, detail }
            | PaycodeError::ServerFailure { status, detail } => BackendError::Server {
                status: *status,
                message: detail.clone(),
            }
            .message(),
            PaycodeError::BadAnswer { reason } => CoreError::BadAnswer(reason.clone()).message(),
            PaycodeError::WindowExhausted => CoreError::WindowExhausted.message(),
            PaycodeError::SecretReplaced => CoreError::SecretReplaced.message(),
            PaycodeError::Closed => CoreError::Closed.message(),
            PaycodeError::UnknownCharge { charge_id } => {
                CoreError::UnknownCharge(charge_id.clone()).message()
            }
            PaycodeError::NotPending { charge_id, state } => CoreError::NotPending {
                charge_id: charge_id.clone(),
                state: state.clone(),
            }
            .message(),
            PaycodeError::Storage { .. } => Msg::WalletStorageFailed,
            // A confirmation may have been on its way: the history tells.
            PaycodeError::Internal { .. } => Msg::WalletInternalErrorCheck,
        }
    }
}

/// An opened pay code: hands out the code to draw. The secret lives in Rust
/// only and is wiped on [`PaycodeSession::end`] and when the object is freed
/// (Kotlin `close()`/`use`, Swift deinit, Python `del`).
#[derive(uniffi::Object)]
pub struct PaycodeSession {
    session: Arc<CoreSession>,
    shared: Arc<Shared>,
    _live: LiveToken,
}

impl std::fmt::Debug for PaycodeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaycodeSession").finish_non_exhaustive()
    }
}

#[uniffi::export]
impl PaycodeSession {
    /// The code to show now: the same one until `valid_until` or until the
    /// wallet learns it was used, then the next. Runs on a `scanpay-worker`
    /// thread, since making a new code first syncs when online. Call it on
    /// every tick of the countdown.
    pub async fn current(&self) -> Result<PaycodeDisplay, PaycodeError> {
        let session = Arc::clone(&self.session);
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            // The platform's word on the network decides whether a new code
            // first tries a sync (offline: made at once, counted against the
            // offline limits).
            shared.refresh_network();
            session.current(shared.now()).map(PaycodeDisplay::from)
        })
        .await?
        .map_err(PaycodeError::from)
    }

    /// The platform reports the screen captured or recorded (iOS
    /// `UIScreen.isCaptured`): while true, `current` returns nothing to draw.
    pub fn set_screen_captured(&self, captured: bool) {
        self.session.set_screen_captured(captured);
    }

    /// Wipes the secret now; every later `current` is
    /// [`PaycodeError::Closed`]. Call it when the screen goes away. (Not
    /// named `close`: Kotlin's `close()` frees the object itself, which wipes
    /// too; `end` works while the object is still shared.)
    pub fn end(&self) {
        self.session.close();
    }
}

fn charges(list: Vec<PaycodeChargeInfo>) -> Vec<PaycodeCharge> {
    list.into_iter().map(PaycodeCharge::from).collect()
}

#[uniffi::export]
impl Wallet {
    /// Whether a code can be shown now, and if not why; codes shown since the
    /// last sync; the limits. Local (journal and key store), quick.
    pub fn paycode_status(&self) -> Result<PaycodeStatus, PaycodeError> {
        let shared = &self.shared;
        Ok(shared.wallet.paycode_status(shared.now())?.into())
    }

    /// Opens the pay code with the PIN in `pin` (one counted attempt, like a
    /// payment's), setting it up with the backend first when needed (online
    /// only). Runs on a `scanpay-worker` thread; the pad is wiped afterwards.
    pub async fn open_paycode(&self, pin: Arc<PinPad>) -> Result<PaycodeSession, PaycodeError> {
        let shared = Arc::clone(&self.shared);
        let worker_shared = Arc::clone(&shared);
        let session = run_blocking(move || {
            let digits = pin.take();
            let r = worker_shared.wallet.open_paycode(&digits);
            pin.clear();
            r
        })
        .await??;
        Ok(PaycodeSession {
            session: Arc::new(session),
            shared,
            _live: LiveToken::new(),
        })
    }

    /// One sync with the backend: the charges made with this wallet's codes
    /// since the last one (each once), long-polled up to `wait_secs` (at most
    /// 25) for the first. Returns the charges that changed. A successful sync
    /// resets the offline limits. Runs on a `scanpay-worker` thread.
    pub async fn sync_paycode(&self, wait_secs: u64) -> Result<Vec<PaycodeCharge>, PaycodeError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || shared.wallet.sync_paycode(wait_secs).map(charges))
            .await?
            .map_err(PaycodeError::from)
    }

    /// Charges above the no-PIN amount waiting for the payer, oldest first
    /// (local; sync first to learn new ones).
    pub fn pending_charges(&self) -> Result<Vec<PendingCharge>, PaycodeError> {
        Ok(self
            .shared
            .wallet
            .pending_charges()?
            .into_iter()
            .map(PendingCharge::from)
            .collect())
    }

    /// Confirms a pending charge with the PIN in `pin` (one counted attempt).
    /// The answer is journalled before it is sent. Runs on a
    /// `scanpay-worker` thread; the pad is wiped afterwards.
    pub async fn confirm_charge(
        &self,
        charge_id: String,
        pin: Arc<PinPad>,
    ) -> Result<ChargeOutcome, PaycodeError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let digits = pin.take();
            let r = shared.wallet.confirm_charge(&charge_id, &digits);
            pin.clear();
            r
        })
        .await?
        .map_err(PaycodeError::from)
    }

    /// Declines a pending charge (no PIN). Runs on a `scanpay-worker` thread.
    pub async fn decline_charge(&self, charge_id: String) -> Result<ChargeOutcome, PaycodeError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || shared.wallet.decline_charge(&charge_id))
            .await?
            .map_err(PaycodeError::from)
    }

    /// The pay-code charges, newest first, with the receipt the till got
    /// (kept apart from `history`, the payments made by scanning).
    pub fn paycode_history(&self) -> Result<Vec<PaycodeCharge>, PaycodeError> {
        Ok(charges(self.shared.wallet.paycode_history()?))
    }
}
