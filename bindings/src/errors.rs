//! Typed errors. The payer's text of every error comes from the core's
//! catalogue in the current locale ([`crate::i18n::set_locales`], ADR 0024):
//! - flat errors (`WalletError`, `FlowError`, `ScanError`: the variant and a
//!   message) carry the catalogue text as their message (Kotlin `message`,
//!   Swift `localizedDescription` via the generated description, Python
//!   `str(e)`), rendered when the error is converted, through the core
//!   error's [`Describe`] or, where the bindings make the variant
//!   themselves, the matching [`Msg`];
//! - errors with fields (`PinError`, `PlatformKeyStoreError`, `TrustError`,
//!   `PaycodeError`, `BiometricError`) keep their fields for the UI to act on
//!   (attempts left, a wait, a code), and their `text()` method gives the
//!   payer's text with its id and typed arguments. Their generated
//!   `message` lists the fields and is not for the payer.
//!
//! An error's technical detail (the platform's or the server's words) is
//! not in the payer's text; where a variant keeps it in a field, it is for
//! logs and support.

use scanpay_core::auth::{AuthError, KeyStoreError as CoreKeyStoreError, PinRejected, PIN_LENGTH};
use scanpay_core::i18n::catalogue::Msg;
use scanpay_core::i18n::describe::Describe;
use scanpay_core::net::{ConfigError, NetError};
use scanpay_core::payment::{EngineError, FlowError as CoreFlowError};
use scanpay_core::scan::ScanError as CoreScanError;
use scanpay_core::store::StoreError;
use scanpay_core::trust::RegistryError;
use scanpay_core::wallet::WalletError as CoreWalletError;

use crate::biometric::BiometricError;
use crate::i18n::{localized, render, LocalizedText};
use crate::worker::WorkerFailure;

/// The catalogue text of a core value, in the current locale.
fn say(e: &impl Describe) -> String {
    render(&e.message())
}

/// Why a wallet operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum WalletError {
    /// The data directory cannot be created or used.
    #[error("{0}")]
    DataDir(String),
    /// The wallet's database failed (damaged, newer schema, disk full…).
    #[error("{0}")]
    Storage(String),
    /// The pinned registry roots are not valid.
    #[error("{0}")]
    Roots(String),
    /// A merchant registry document was refused.
    #[error("{0}")]
    Registry(String),
    /// The backend configuration is invalid (URL, CA, pins, timeouts).
    #[error("{0}")]
    BackendConfig(String),
    /// The wallet was opened without a backend.
    #[error("{}", render(&Msg::NetNoBackend))]
    NoBackend,
    /// The wallet is not enrolled: set a PIN first (`enrol`).
    #[error("{}", render(&Msg::PinNotEnrolled))]
    NotEnrolled,
    /// The backend could not be reached (no route, name not resolved,
    /// connection refused or timed out). Nothing was sent: check the
    /// connection and try again.
    #[error("{0}")]
    Unreachable(String),
    /// The secure connection failed: the certificate did not validate or its
    /// key matches no pin (a captive portal, an interception proxy). Nothing
    /// was sent; do not retry on this network.
    #[error("{0}")]
    Tls(String),
    /// The request went out but no usable answer came back (timeout,
    /// connection lost, malformed reply). Safe to retry: these calls are
    /// idempotent.
    #[error("{0}")]
    NoAnswer(String),
    /// The backend refused the request (HTTP 4xx): for `register_device`,
    /// the enrolment code is wrong or was already used. Retrying the same
    /// request will not help.
    #[error("{0}")]
    Refused(String),
    /// Payment queries and reversals cannot be signed: the wallet has no
    /// request key (registered by an app version from before request keys)
    /// or it is unusable. Call `register_device` again with the enrolment code.
    #[error("{0}")]
    RequestKey(String),
    /// The backend failed (HTTP 5xx): try again later.
    #[error("{0}")]
    ServerFailure(String),
    /// A payment operation failed.
    #[error("{0}")]
    Payment(String),
    /// A limit is missing or invalid in the configuration.
    #[error("{0}")]
    InvalidConfig(String),
    /// An internal failure (a bug); the operation did not complete.
    #[error("{0}")]
    Internal(String),
}

impl From<CoreWalletError> for WalletError {
    fn from(e: CoreWalletError) -> WalletError {
        match e {
            CoreWalletError::DataDir { .. } => WalletError::DataDir(say(&e)),
            CoreWalletError::Store(s) => s.into(),
            CoreWalletError::Registry(r) => r.into(),
            CoreWalletError::Payment(p) => p.into(),
            CoreWalletError::NoBackend => WalletError::NoBackend,
            CoreWalletError::NotEnrolled => WalletError::NotEnrolled,
            CoreWalletError::Net(n) => n.into(),
            CoreWalletError::Auth(a) => a.into(),
            CoreWalletError::DamagedRecord { .. } => WalletError::Storage(say(&e)),
        }
    }
}

impl From<StoreError> for WalletError {
    fn from(e: StoreError) -> WalletError {
        WalletError::Storage(say(&e))
    }
}

impl From<RegistryError> for WalletError {
    /// The registry's own code is for support (`TrustChecker` gives it as
    /// `TrustError.Registry.code`); the payer reads that the update was
    /// refused and the list in use stays.
    fn from(_: RegistryError) -> WalletError {
        WalletError::Registry(render(&Msg::WalletRegistryRefused))
    }
}

impl From<EngineError> for WalletError {
    fn from(e: EngineError) -> WalletError {
        match e {
            EngineError::Store(s) => s.into(),
            other => WalletError::Payment(say(&other)),
        }
    }
}

impl From<ConfigError> for WalletError {
    /// A bad backend configuration is the app's bug, found at `open`
    /// before anything is journalled or sent.
    fn from(_: ConfigError) -> WalletError {
        WalletError::BackendConfig(render(&Msg::WalletInternalError))
    }
}

impl From<NetError> for WalletError {
    /// One variant per thing a UI does differently: check the connection,
    /// distrust the network, retry, fix the input, or wait.
    fn from(e: NetError) -> WalletError {
        let text = say(&e);
        match e {
            NetError::InvalidRequest(_) => WalletError::Internal(text),
            NetError::RequestKey(_) => WalletError::RequestKey(text),
            NetError::Tls(_) | NetError::PinMismatch => WalletError::Tls(text),
            NetError::Resolve(_) | NetError::Connect(_) | NetError::ConnectTimeout(_) => {
                WalletError::Unreachable(text)
            }
            NetError::Status { status, .. } if (400..500).contains(&status) => {
                WalletError::Refused(text)
            }
            NetError::Status { .. } => WalletError::ServerFailure(text),
            NetError::ResponseTimeout
            | NetError::ConnectionLost(_)
            | NetError::BadResponse(_)
            | NetError::UnsupportedTransferEncoding(_)
            | NetError::TooLarge { .. }
            | NetError::BadBody(_) => WalletError::NoAnswer(text),
        }
    }
}

impl From<AuthError> for WalletError {
    fn from(e: AuthError) -> WalletError {
        match e {
            AuthError::Store(s) => s.into(),
            AuthError::NotEnrolled => WalletError::NotEnrolled,
            other => WalletError::Internal(say(&other)),
        }
    }
}

impl From<WorkerFailure> for WalletError {
    /// A worker that panicked may have been resolving a payment: the payer
    /// is sent to the history rather than told nothing moved.
    fn from(_: WorkerFailure) -> WalletError {
        WalletError::Internal(render(&Msg::WalletInternalErrorCheck))
    }
}

/// Why a PIN operation failed. No variant carries PIN digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PinError {
    /// A press that is not a digit 0–9.
    #[error("only digits 0-9 can be entered")]
    NotADigit,
    /// A press after all digits were entered.
    #[error("the PIN is already complete")]
    PadFull,
    /// The PIN is not complete; nothing was attempted or counted.
    #[error("the PIN has 6 digits; {entered} entered")]
    Incomplete {
        /// Digits entered.
        entered: u32,
    },
    /// The new PIN is refused by the policy; nothing changed. `text()` says
    /// why in the payer's language.
    #[error("the new PIN is refused ({reason})")]
    Rejected {
        /// The rule, as its stable catalogue id: `pin-rejected-same-digit`,
        /// `pin-rejected-sequence` or `pin-rejected-common`.
        reason: String,
    },
    /// Wrong PIN.
    #[error("wrong PIN: {attempts_left} attempts left")]
    WrongPin {
        /// Attempts left before the key is disabled (0: this one disabled it).
        attempts_left: u32,
        /// Seconds to wait before the next attempt (0 = none).
        wait_secs: u64,
    },
    /// Too many wrong PINs: wait.
    #[error("too many wrong PINs: try again in {retry_after_secs} s")]
    LockedOut {
        /// When the next attempt is allowed (unix seconds).
        until: u64,
        /// Seconds from now.
        retry_after_secs: u64,
    },
    /// The PIN is blocked after too many wrong attempts: re-enrol.
    #[error("the PIN is blocked after too many wrong attempts; re-enrol the wallet")]
    Disabled,
    /// The wallet is not enrolled.
    #[error("the wallet is not enrolled")]
    NotEnrolled,
    /// The wallet is already enrolled.
    #[error("the wallet is already enrolled")]
    AlreadyEnrolled,
    /// The platform key store failed (nothing was counted). Possibly
    /// transient: the same call may work later.
    #[error("the device key store failed: {reason}")]
    KeyStore {
        /// The platform's message.
        reason: String,
    },
    /// The device key can no longer be opened on this device, whatever PIN is
    /// entered: the platform key store lost its key (app data restored onto a
    /// new phone, Keystore / Keychain wiped) or rejects the wrapping, or the
    /// stored key is damaged. Nothing was counted. Offer
    /// `Wallet.resetDeviceKey()`, then enrolment and device registration
    /// again, instead of asking for the PIN again.
    #[error("this wallet's device key cannot be opened on this device; set up the PIN again")]
    DeviceKeyUnusable {
        /// What the key store or the stored key reported, for support.
        reason: String,
    },
    /// `changePin` was given the same pad for the old and the new PIN; nothing
    /// was attempted or counted. Use two pads.
    #[error("the old and the new PIN must be entered on two different pads")]
    SamePinPad,
    /// Storage, the stored key or cryptography failed (nothing was counted).
    #[error("{reason}")]
    Internal {
        /// What failed.
        reason: String,
    },
}

impl From<AuthError> for PinError {
    fn from(e: AuthError) -> PinError {
        match e {
            AuthError::NotADigit => PinError::NotADigit,
            AuthError::PinPadFull => PinError::PadFull,
            AuthError::PinIncomplete { entered } => PinError::Incomplete {
                entered: u32::try_from(entered).unwrap_or(u32::MAX),
            },
            // Too few digits is the pad's state, not a rule of the policy.
            AuthError::PinRejected(PinRejected::Incomplete { entered, .. }) => {
                PinError::Incomplete {
                    entered: u32::try_from(entered).unwrap_or(u32::MAX),
                }
            }
            AuthError::PinRejected(r) => PinError::Rejected {
                reason: r.message().id().to_string(),
            },
            AuthError::WrongPin {
                attempts_left,
                wait_secs,
            } => PinError::WrongPin {
                attempts_left,
                wait_secs,
            },
            AuthError::LockedOut {
                until,
                retry_after_secs,
            } => PinError::LockedOut {
                until,
                retry_after_secs,
            },
            AuthError::Disabled => PinError::Disabled,
            AuthError::NotEnrolled => PinError::NotEnrolled,
            AuthError::AlreadyEnrolled => PinError::AlreadyEnrolled,
            e if e.device_key_unusable() => PinError::DeviceKeyUnusable {
                reason: e.to_string(),
            },
            AuthError::KeyStore(k) => PinError::KeyStore {
                reason: k.to_string(),
            },
            // The app's key store returned its input in the clear or a
            // wrapping it cannot unwrap (refused at enrolment / PIN change).
            e @ AuthError::KeyStoreIneffective(_) => PinError::KeyStore {
                reason: e.to_string(),
            },
            other => PinError::Internal {
                reason: other.to_string(),
            },
        }
    }
}

impl From<WorkerFailure> for PinError {
    fn from(e: WorkerFailure) -> PinError {
        PinError::Internal {
            reason: format!("{e:?}"),
        }
    }
}

/// The policy rule whose catalogue id is `id` (what `PinError::Rejected`
/// carries).
fn rejected_rule(id: &str) -> Option<Msg> {
    [
        PinRejected::AllSame,
        PinRejected::Sequence,
        PinRejected::Common,
    ]
    .into_iter()
    .map(|r| r.message())
    .find(|m| m.id() == id)
}

#[uniffi::export]
impl PinError {
    /// The payer's text for this error in the current locale, with its id
    /// and arguments (`pin-wrong` with `attempts_left`, `pin-locked-out`
    /// with `wait`…).
    pub fn text(&self) -> LocalizedText {
        localized(&self.message())
    }
}

impl PinError {
    /// The catalogue message: the core's own (`Describe`) wherever the
    /// variant holds what the core error held.
    pub(crate) fn message(&self) -> Msg {
        match self {
            PinError::NotADigit => AuthError::NotADigit.message(),
            PinError::PadFull => AuthError::PinPadFull.message(),
            PinError::Incomplete { entered } => Msg::PinIncomplete {
                length: PIN_LENGTH as u64,
                entered: u64::from(*entered),
            },
            PinError::Rejected { reason } => {
                rejected_rule(reason).unwrap_or(Msg::WalletInternalError)
            }
            PinError::WrongPin {
                attempts_left,
                wait_secs,
            } => AuthError::WrongPin {
                attempts_left: *attempts_left,
                wait_secs: *wait_secs,
            }
            .message(),
            PinError::LockedOut {
                until,
                retry_after_secs,
            } => AuthError::LockedOut {
                until: *until,
                retry_after_secs: *retry_after_secs,
            }
            .message(),
            PinError::Disabled => AuthError::Disabled.message(),
            PinError::NotEnrolled => AuthError::NotEnrolled.message(),
            PinError::AlreadyEnrolled => AuthError::AlreadyEnrolled.message(),
            // Failed and "does not protect the key" (KeyStoreIneffective)
            // share this variant; the transient reading is the one that does
            // not send the payer away for nothing.
            PinError::KeyStore { .. } => Msg::PinKeyStoreFailed,
            PinError::DeviceKeyUnusable { .. } => Msg::PinDeviceKeyUnusable,
            PinError::SamePinPad => Msg::PinSamePad,
            // Storage, the stored key or cryptography: nothing was counted
            // or signed, so nothing moved.
            PinError::Internal { .. } => Msg::WalletInternalError,
        }
    }
}

/// Why a frame could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum ScanError {
    /// A side below 21 px.
    #[error("{0}")]
    FrameTooSmall(String),
    /// A side above 4096 px or more than 16 Mpx.
    #[error("{0}")]
    FrameTooLarge(String),
    /// Row stride below the width.
    #[error("{0}")]
    StrideTooSmall(String),
    /// Fewer bytes than the geometry needs.
    #[error("{0}")]
    DataTooShort(String),
    /// The region is too small or outside the frame.
    #[error("{0}")]
    BadRegion(String),
    /// A rotation other than 0, 90, 180, 270.
    #[error("{0}")]
    InvalidRotation(String),
    /// The decoder failed internally on this frame; try the next one.
    #[error("{0}")]
    DecoderFault(String),
}

impl From<CoreScanError> for ScanError {
    /// A frame the app passed wrongly, or a decoder fault: never the payer's
    /// doing, and no money is involved. The variant tells the app what to
    /// fix; the message is the catalogue's "something went wrong" text.
    fn from(e: CoreScanError) -> ScanError {
        let m = render(&Msg::WalletInternalError);
        match e {
            CoreScanError::FrameTooSmall { .. } => ScanError::FrameTooSmall(m),
            CoreScanError::FrameTooLarge { .. } => ScanError::FrameTooLarge(m),
            CoreScanError::StrideTooSmall { .. } => ScanError::StrideTooSmall(m),
            CoreScanError::DataTooShort { .. } => ScanError::DataTooShort(m),
            CoreScanError::BadRegion { .. } => ScanError::BadRegion(m),
            CoreScanError::InvalidRotation { .. } => ScanError::InvalidRotation(m),
            CoreScanError::DecoderFault => ScanError::DecoderFault(m),
        }
    }
}

/// Why an intent was refused; the flow's state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum FlowError {
    /// The intent does not apply in the current state.
    #[error("{0}")]
    InvalidIntent(String),
    /// The scanned text is not a merchant code.
    #[error("{0}")]
    NotAMerchantCode(String),
    /// The merchant code is damaged.
    #[error("{0}")]
    DamagedCode(String),
    /// The scanned code carries no text.
    #[error("{0}")]
    NoText(String),
    /// The scanned text is too long.
    #[error("{0}")]
    TooLong(String),
    /// The merchant did not verify and cannot be paid.
    #[error("{0}")]
    MerchantNotPayable(String),
    /// The amount of this code is fixed.
    #[error("{0}")]
    AmountFixed(String),
    /// The code does not take a tip.
    #[error("{0}")]
    TipNotAllowed(String),
    /// The amount text is too long.
    #[error("{0}")]
    AmountTooLong(String),
    /// Confirm without a valid amount.
    #[error("{0}")]
    AmountRequired(String),
    /// The displayed total is not the amount to pay.
    #[error("{0}")]
    TotalMismatch(String),
    /// A PIN pad error (not a digit, pad full).
    #[error("{0}")]
    Pin(String),
    /// Still locked out after wrong PINs.
    #[error("{0}")]
    StillLockedOut(String),
    /// The last PIN digit could not be checked because the device key can no
    /// longer be opened on this device (platform key store lost its key,
    /// stored key damaged); nothing was counted. Offer
    /// `Wallet.resetDeviceKey()` and enrolment, as for `PinError.DeviceKeyUnusable`.
    #[error("{0}")]
    DeviceKeyUnusable(String),
    /// Over a spending limit: per payment, the rolling 24 hours, or (offline)
    /// per offline payment or the queued offline total. The message names
    /// the limit and what is already spent or queued. Nothing was journalled.
    #[error("{0}")]
    LimitExceeded(String),
    /// Offline, and this wallet's policy allows no offline payments: ask the
    /// user for a connection. Nothing was journalled.
    #[error("{0}")]
    OfflineNotAllowed(String),
    /// The code's currency has no limits configured in this wallet, so it
    /// cannot be paid here. Nothing was journalled.
    #[error("{0}")]
    CurrencyNotAllowed(String),
    /// The journal or the payment engine refused (storage, a payment that
    /// is not found or not in a state for this).
    #[error("{0}")]
    Payment(String),
    /// The flow is processing a payment on another thread.
    #[error("{0}")]
    Busy(String),
    /// An argument from the app is invalid (e.g. an unknown currency).
    #[error("{0}")]
    InvalidInput(String),
    /// An internal failure (a bug).
    #[error("{0}")]
    Internal(String),
}

impl From<CoreFlowError> for FlowError {
    fn from(e: CoreFlowError) -> FlowError {
        let m = say(&e);
        match e {
            CoreFlowError::InvalidIntent { .. } => FlowError::InvalidIntent(m),
            CoreFlowError::NotAMerchantCode { .. } => FlowError::NotAMerchantCode(m),
            CoreFlowError::DamagedCode { .. } => FlowError::DamagedCode(m),
            CoreFlowError::NoText => FlowError::NoText(m),
            CoreFlowError::TooLong => FlowError::TooLong(m),
            CoreFlowError::MerchantNotPayable { .. } => FlowError::MerchantNotPayable(m),
            CoreFlowError::AmountFixed => FlowError::AmountFixed(m),
            CoreFlowError::TipNotAllowed => FlowError::TipNotAllowed(m),
            CoreFlowError::AmountTooLong => FlowError::AmountTooLong(m),
            CoreFlowError::AmountRequired => FlowError::AmountRequired(m),
            CoreFlowError::TotalMismatch { .. } => FlowError::TotalMismatch(m),
            // The same text as PinError::DeviceKeyUnusable (the core's
            // Describe gives both).
            CoreFlowError::Pin(p) if p.device_key_unusable() => FlowError::DeviceKeyUnusable(m),
            CoreFlowError::Pin(_) => FlowError::Pin(m),
            CoreFlowError::StillLockedOut { .. } => FlowError::StillLockedOut(m),
            CoreFlowError::Payment(
                EngineError::PerPaymentLimit { .. }
                | EngineError::DailyLimit { .. }
                | EngineError::OfflinePerPaymentLimit { .. }
                | EngineError::OfflineTotalLimit { .. },
            ) => FlowError::LimitExceeded(m),
            CoreFlowError::Payment(EngineError::OfflineNotAllowed) => {
                FlowError::OfflineNotAllowed(m)
            }
            CoreFlowError::Payment(EngineError::CurrencyNotAllowed(_)) => {
                FlowError::CurrencyNotAllowed(m)
            }
            CoreFlowError::Payment(_) => FlowError::Payment(m),
        }
    }
}

impl From<WorkerFailure> for FlowError {
    /// `process` panicked: the payment may have been sent, so the payer is
    /// sent to the history rather than told nothing moved.
    fn from(_: WorkerFailure) -> FlowError {
        FlowError::Internal(render(&Msg::WalletInternalErrorCheck))
    }
}

impl FlowError {
    /// `process` or an intent while another thread processes the payment.
    pub(crate) fn busy() -> FlowError {
        FlowError::Busy(render(&Msg::FlowPaymentInProgress))
    }

    /// An argument from the app the core cannot take (an unknown currency
    /// code): the app's bug, refused before anything happened.
    pub(crate) fn invalid_input() -> FlowError {
        FlowError::InvalidInput(render(&Msg::WalletInternalError))
    }
}

impl WalletError {
    /// The pinned registry roots given to `open` are not valid (the app's
    /// bug, found before anything was stored).
    pub(crate) fn invalid_roots() -> WalletError {
        WalletError::Roots(render(&Msg::WalletInternalError))
    }

    /// A limit of the configuration is invalid (the app's bug, found at
    /// `open`).
    pub(crate) fn invalid_config() -> WalletError {
        WalletError::InvalidConfig(render(&Msg::WalletInternalError))
    }

    /// No payment with the id the app asked for.
    pub(crate) fn payment_not_found() -> WalletError {
        WalletError::Payment(render(&Msg::FlowPaymentNotFound))
    }
}

/// A platform key store failure, raised by the app's
/// [`crate::platform::PlatformKeyStore`]. Named like the trait, and not
/// `KeyStoreError`, so the generated Kotlin `PlatformKeyStoreException` does
/// not clash with `java.security.KeyStoreException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum PlatformKeyStoreError {
    /// The key store or its key is unavailable (new hardware, lock screen removed).
    #[error("key store unavailable: {reason}")]
    Unavailable {
        /// The platform's message.
        reason: String,
    },
    /// The wrapped data was altered or wrapped under another key.
    #[error("wrapped data was rejected by the key store")]
    Rejected,
    /// The input is too large or malformed.
    #[error("key store input is invalid: {reason}")]
    InvalidInput {
        /// The platform's message.
        reason: String,
    },
    /// Any other platform failure.
    #[error("key store failed: {reason}")]
    Failed {
        /// The platform's message.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for PlatformKeyStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> PlatformKeyStoreError {
        PlatformKeyStoreError::Failed { reason: e.reason }
    }
}

impl From<PlatformKeyStoreError> for CoreKeyStoreError {
    fn from(e: PlatformKeyStoreError) -> CoreKeyStoreError {
        match e {
            PlatformKeyStoreError::Unavailable { reason } => CoreKeyStoreError::Unavailable(reason),
            PlatformKeyStoreError::Rejected => CoreKeyStoreError::Rejected,
            PlatformKeyStoreError::InvalidInput { reason } => {
                CoreKeyStoreError::InvalidInput(reason)
            }
            PlatformKeyStoreError::Failed { reason } => CoreKeyStoreError::Failed(reason),
        }
    }
}

impl From<CoreKeyStoreError> for PlatformKeyStoreError {
    fn from(e: CoreKeyStoreError) -> PlatformKeyStoreError {
        match e {
            CoreKeyStoreError::Unavailable(reason) => PlatformKeyStoreError::Unavailable { reason },
            CoreKeyStoreError::Rejected => PlatformKeyStoreError::Rejected,
            CoreKeyStoreError::InvalidInput(reason) => {
                PlatformKeyStoreError::InvalidInput { reason }
            }
            CoreKeyStoreError::Failed(reason) => PlatformKeyStoreError::Failed { reason },
        }
    }
}

#[uniffi::export]
impl PlatformKeyStoreError {
    /// The payer's text for this key store failure in the current locale
    /// (the platform's `reason` is for logs).
    pub fn text(&self) -> LocalizedText {
        localized(&CoreKeyStoreError::from(self.clone()).message())
    }
}

/// Why roots or a registry document were refused by a [`crate::inspect::TrustChecker`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TrustError {
    /// The roots document is invalid.
    #[error("{reason}")]
    Roots {
        /// Why, for logs and support (`text()` is the payer's).
        reason: String,
    },
    /// The registry document was refused.
    #[error("{reason}")]
    Registry {
        /// Stable kebab-case code ("rollback", "bad-signature"…).
        code: String,
        /// Why, for logs and support (`text()` is the payer's).
        reason: String,
    },
}

#[uniffi::export]
impl TrustError {
    /// The payer's text in the current locale: roots the app pinned are its
    /// own bug, found before anything is checked; a refused registry update
    /// leaves the list in use as it was.
    pub fn text(&self) -> LocalizedText {
        localized(&match self {
            TrustError::Roots { .. } => Msg::WalletInternalError,
            TrustError::Registry { .. } => Msg::WalletRegistryRefused,
        })
    }
}

impl From<RegistryError> for TrustError {
    fn from(e: RegistryError) -> TrustError {
        TrustError::Registry {
            code: e.code().to_string(),
            reason: e.to_string(),
        }
    }
}

// Here rather than in biometric.rs with the type: the texts of every error
// are chosen in this module.
#[uniffi::export]
impl BiometricError {
    /// The payer's text for this biometric outcome in the current locale
    /// ("Confirmation cancelled. Try again or use your PIN.").
    pub fn text(&self) -> LocalizedText {
        localized(&scanpay_core::auth::BiometricError::from(self.clone()).message())
    }
}
