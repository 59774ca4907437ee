//! Typed errors. Each variant's message (Kotlin `message`, Python `str(e)`)
//! is written for a UI; variants are flat (message only) where the UI only
//! needs to show them, and carry fields where it must act on them (attempts
//! left, a wait, a registry error code).

use scanpay_core::auth::{AuthError, KeyStoreError as CoreKeyStoreError};
use scanpay_core::net::{ConfigError, NetError};
use scanpay_core::payment::{EngineError, FlowError as CoreFlowError};
use scanpay_core::scan::ScanError as CoreScanError;
use scanpay_core::store::StoreError;
use scanpay_core::trust::RegistryError;
use scanpay_core::wallet::WalletError as CoreWalletError;

use crate::worker::WorkerFailure;

/// Why a wallet operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum WalletError {
    /// The data directory cannot be created or used.
    #[error("{0}")]
    DataDir(String),
    /// The wallet's database failed (damaged, newer schema, disk full…).
    #[error("the wallet's storage failed: {0}")]
    Storage(String),
    /// The pinned registry roots are not valid.
    #[error("the registry roots are invalid: {0}")]
    Roots(String),
    /// A merchant registry document was refused.
    #[error("the merchant registry was refused: {0}")]
    Registry(String),
    /// The backend configuration is invalid (URL, CA, pins, timeouts).
    #[error("the backend configuration is invalid: {0}")]
    BackendConfig(String),
    /// The wallet was opened without a backend.
    #[error("no backend is configured")]
    NoBackend,
    /// The wallet is not enrolled: set a PIN first (`enrol`).
    #[error("the wallet is not enrolled: set a PIN first")]
    NotEnrolled,
    /// The backend could not be reached (no route, name not resolved,
    /// connection refused or timed out). Nothing was sent: check the
    /// connection and try again.
    #[error("the ScanPay service cannot be reached: {0}")]
    Unreachable(String),
    /// The secure connection failed: the certificate did not validate or its
    /// key matches no pin (a captive portal, an interception proxy). Nothing
    /// was sent; do not retry on this network.
    #[error("the secure connection to ScanPay failed: {0}")]
    Tls(String),
    /// The request went out but no usable answer came back (timeout,
    /// connection lost, malformed reply). Safe to retry: these calls are
    /// idempotent.
    #[error("no answer from the ScanPay service: {0}")]
    NoAnswer(String),
    /// The backend refused the request (HTTP 4xx): for `register_device`,
    /// the enrolment code is wrong or was already used. Retrying the same
    /// request will not help.
    #[error("the ScanPay service refused the request: {0}")]
    Refused(String),
    /// Payment queries and reversals cannot be signed: the wallet has no
    /// request key (registered by an app version from before request keys)
    /// or it is unusable. Call `register_device` again with the enrolment code.
    #[error("the device must be registered again: {0}")]
    RequestKey(String),
    /// The backend failed (HTTP 5xx): try again later.
    #[error("the ScanPay service failed: {0}")]
    ServerFailure(String),
    /// A payment operation failed.
    #[error("{0}")]
    Payment(String),
    /// A limit is missing or invalid in the configuration.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// An internal failure (a bug); the operation did not complete.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CoreWalletError> for WalletError {
    fn from(e: CoreWalletError) -> WalletError {
        match e {
            CoreWalletError::DataDir { .. } => WalletError::DataDir(e.to_string()),
            CoreWalletError::Store(s) => s.into(),
            CoreWalletError::Registry(r) => r.into(),
            CoreWalletError::Payment(p) => p.into(),
            CoreWalletError::NoBackend => WalletError::NoBackend,
            CoreWalletError::NotEnrolled => WalletError::NotEnrolled,
            CoreWalletError::Net(n) => n.into(),
            CoreWalletError::Auth(a) => a.into(),
            CoreWalletError::DamagedRecord { .. } => WalletError::Storage(e.to_string()),
        }
    }
}

impl From<StoreError> for WalletError {
    fn from(e: StoreError) -> WalletError {
        WalletError::Storage(e.to_string())
    }
}

impl From<RegistryError> for WalletError {
    fn from(e: RegistryError) -> WalletError {
        WalletError::Registry(format!("{} ({})", e, e.code()))
    }
}

impl From<EngineError> for WalletError {
    fn from(e: EngineError) -> WalletError {
        match e {
            EngineError::Store(s) => s.into(),
            other => WalletError::Payment(other.to_string()),
        }
    }
}

impl From<ConfigError> for WalletError {
    fn from(e: ConfigError) -> WalletError {
        WalletError::BackendConfig(e.to_string())
    }
}

impl From<NetError> for WalletError {
    /// One variant per thing a UI does differently: check the connection,
    /// distrust the network, retry, fix the input, or wait.
    fn from(e: NetError) -> WalletError {
        let text = e.to_string();
        match e {
            NetError::InvalidRequest(_) => WalletError::Internal(text),
            NetError::RequestKey(_) => WalletError::RequestKey(text),
            NetError::Tls(_) | NetError::PinMismatch => WalletError::Tls(text),
            NetError::Resolve(_) | NetError::Connect(_) | NetError::ConnectTimeout(_) => {
                WalletError::Unreachable(text)
            }
            NetError::Status { status, message } if (400..500).contains(&status) => {
                WalletError::Refused(format!("{message} (HTTP {status})"))
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
            other => WalletError::Internal(other.to_string()),
        }
    }
}

impl From<WorkerFailure> for WalletError {
    fn from(e: WorkerFailure) -> WalletError {
        WalletError::Internal(format!("{e:?}"))
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
    /// The new PIN is refused by the policy; nothing changed.
    #[error("{reason}")]
    Rejected {
        /// Why, for the UI ("a PIN of consecutive digits is too easy to guess").
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
            AuthError::PinRejected(r) => PinError::Rejected {
                reason: r.to_string(),
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
    fn from(e: CoreScanError) -> ScanError {
        let m = e.to_string();
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
        let m = e.to_string();
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
            CoreFlowError::Pin(p) if p.device_key_unusable() => {
                // The same UI sentence as PinError::DeviceKeyUnusable; the
                // core's message stays in brackets for support.
                FlowError::DeviceKeyUnusable(format!(
                    "this wallet's device key cannot be opened on this device; \
                     set up the PIN again ({m})"
                ))
            }
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
    fn from(e: WorkerFailure) -> FlowError {
        FlowError::Internal(format!("{e:?}"))
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

/// Why roots or a registry document were refused by a [`crate::inspect::TrustChecker`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TrustError {
    /// The roots document is invalid.
    #[error("{reason}")]
    Roots {
        /// Why.
        reason: String,
    },
    /// The registry document was refused.
    #[error("{reason}")]
    Registry {
        /// Stable kebab-case code ("rollback", "bad-signature"…).
        code: String,
        /// Why, for the UI.
        reason: String,
    },
}

impl From<RegistryError> for TrustError {
    fn from(e: RegistryError) -> TrustError {
        TrustError::Registry {
            code: e.code().to_string(),
            reason: e.to_string(),
        }
    }
}
