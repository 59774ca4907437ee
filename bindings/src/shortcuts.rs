//! Shortcuts (ADR 0022): biometric confirmation and PIN-free small payments,
//! as the settings screen calls them. The core decides (offers, caps, the
//! backend's acceptance, lapses); this module converts and runs the blocking
//! calls on `scanpay-worker` threads.

use std::sync::Arc;

pub use scanpay_core::auth::PaymentAuthMethod;
use scanpay_core::auth::{
    AuthError, BiometricError as CoreBiometricError, PinFreeLimits as CoreLimits,
};
use scanpay_core::i18n::catalogue::Msg;
use scanpay_core::i18n::describe::Describe;
use scanpay_core::money::Currency;
pub use scanpay_core::payment::ShortcutLapse;
use scanpay_core::payment::{
    BackendError, LapsedShortcut as CoreLapsed, PinFreeOffer as CoreOffer,
    Shortcut as CoreShortcut, ShortcutError as CoreError, ShortcutPushError, ShortcutRejection,
    ShortcutStatus as CoreStatus,
};

use crate::biometric::{BiometricAdapter, BiometricAvailability, BiometricKey};
use crate::errors::PinError;
use crate::i18n::{localized, LocalizedText};
use crate::pinpad::PinPad;
use crate::wallet::Wallet;
use crate::worker::{run_blocking, WorkerFailure};

/// How a payment was authorised: shown in history, and recorded by the
/// backend, which verifies each method's signature with its own key.
///
/// Crosses as `PaymentAuthMethod`, not `AuthMethod`: that name is the pay
/// code's (`CODE`, `CODE_AND_PIN`).
#[uniffi::remote(Enum)]
pub enum PaymentAuthMethod {
    /// The six-digit PIN opened the device key, which signed.
    Pin,
    /// The platform's strong biometric check released the biometric key,
    /// which signed the core's challenge.
    Biometric,
    /// No user verification: a small payment within the limits the payer
    /// set with the PIN, signed by the request key.
    PinFree,
}

/// Why a shortcut was turned off, for the UI to explain.
#[uniffi::remote(Enum)]
pub enum ShortcutLapse {
    /// The PIN changed: shortcuts the old PIN allowed need the new one.
    PinChanged,
    /// The platform invalidated the biometric key (a fingerprint or face
    /// was added).
    KeyInvalidated,
    /// The platform no longer has the biometric key.
    KeyMissing,
    /// The platform's signature did not verify with the key recorded at
    /// opt-in (a replaced key, or a platform fault).
    BadSignature,
    /// The payer turned it off.
    OptedOut,
}

/// PIN-free limits in one currency, in its minor units.
// A wrapper: the core's holds a `Currency` (a table entry); this one the ISO
// code, like `CurrencyLimits`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PinFreeLimits {
    /// ISO 4217 code ("SGD").
    pub currency: String,
    /// Largest total of one PIN-free payment.
    pub per_payment: u64,
    /// Largest sum of PIN-free payments in any rolling 24 hours.
    pub daily_total: u64,
    /// Most PIN-free payments in any rolling 24 hours.
    pub daily_count: u32,
}

impl From<CoreLimits> for PinFreeLimits {
    fn from(l: CoreLimits) -> PinFreeLimits {
        PinFreeLimits {
            currency: l.currency.code().to_string(),
            per_payment: l.per_payment,
            daily_total: l.daily_total,
            daily_count: l.daily_count,
        }
    }
}

fn currency(code: &str) -> Result<Currency, ShortcutError> {
    Currency::from_code(code).ok_or_else(|| ShortcutError::UnknownCurrency {
        currency: code.to_string(),
    })
}

impl PinFreeLimits {
    pub(crate) fn to_core(&self) -> Result<CoreLimits, ShortcutError> {
        Ok(CoreLimits {
            currency: currency(&self.currency)?,
            per_payment: self.per_payment,
            daily_total: self.daily_total,
            daily_count: self.daily_count,
        })
    }
}

/// What the opt-in screen may offer in one currency.
// A wrapper: holds `PinFreeLimits`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PinFreeOffer {
    /// The highest limits a payer may choose (each field separately).
    pub caps: PinFreeLimits,
    /// The limits to offer by default.
    pub defaults: PinFreeLimits,
}

impl From<CoreOffer> for PinFreeOffer {
    fn from(o: CoreOffer) -> PinFreeOffer {
        PinFreeOffer {
            caps: o.caps.into(),
            defaults: o.defaults.into(),
        }
    }
}

/// A shortcut.
// A wrapper: the core's `PinFree` holds a `Currency`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Shortcut {
    /// Biometric confirmation.
    Biometric,
    /// PIN-free payments in one currency.
    PinFree {
        /// ISO 4217 code.
        currency: String,
    },
}

impl From<CoreShortcut> for Shortcut {
    fn from(s: CoreShortcut) -> Shortcut {
        match s {
            CoreShortcut::Biometric => Shortcut::Biometric,
            CoreShortcut::PinFree { currency } => Shortcut::PinFree {
                currency: currency.code().to_string(),
            },
        }
    }
}

/// A shortcut that was turned off without the payer asking in the settings
/// (or by opting out), why, and when.
// A wrapper: holds `Shortcut`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LapsedShortcut {
    /// Which shortcut.
    pub shortcut: Shortcut,
    /// Why it is off: show it ("biometrics changed on this phone: turn it on
    /// again with your PIN").
    pub reason: ShortcutLapse,
    /// When, unix seconds (wallet clock).
    pub at: u64,
}

impl Describe for LapsedShortcut {
    /// The core's sentence for the lapse. The currency of a PIN-free lapse
    /// does not change the sentence, so an unknown code cannot fail it.
    fn message(&self) -> Msg {
        let shortcut = match &self.shortcut {
            Shortcut::Biometric => CoreShortcut::Biometric,
            Shortcut::PinFree { currency } => CoreShortcut::PinFree {
                currency: Currency::from_code(currency).unwrap_or(Currency::SGD),
            },
        };
        CoreLapsed {
            shortcut,
            reason: self.reason,
            at: self.at,
        }
        .message()
    }
}

impl From<CoreLapsed> for LapsedShortcut {
    fn from(l: CoreLapsed) -> LapsedShortcut {
        LapsedShortcut {
            shortcut: l.shortcut.into(),
            reason: l.reason,
            at: l.at,
        }
    }
}

/// What the settings screen shows about the shortcuts.
// A wrapper: holds the wrappers above.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ShortcutStatus {
    /// Biometric confirmation is on.
    pub biometric: bool,
    /// This wallet offers biometric confirmation at all.
    pub biometric_offered: bool,
    /// What the attached biometric key says now (`None`: none attached,
    /// see `Wallet.set_biometric_key`).
    pub biometric_availability: Option<BiometricAvailability>,
    /// The PIN-free limits on, per currency.
    pub pin_free: Vec<PinFreeLimits>,
    /// What may be chosen, per currency.
    pub pin_free_offers: Vec<PinFreeOffer>,
    /// Shortcuts that lapsed and why (cleared when turned on again).
    pub lapses: Vec<LapsedShortcut>,
    /// An opt-out or lapse is still to reach the backend (it already applies
    /// in the wallet); the next sync or `push_shortcuts` sends it.
    pub push_pending: bool,
    /// The settings version the backend last accepted.
    pub held_version: Option<u64>,
}

impl From<CoreStatus> for ShortcutStatus {
    fn from(s: CoreStatus) -> ShortcutStatus {
        ShortcutStatus {
            biometric: s.biometric,
            biometric_offered: s.biometric_offered,
            biometric_availability: s.biometric_availability,
            pin_free: s.pin_free.into_iter().map(PinFreeLimits::from).collect(),
            pin_free_offers: s
                .pin_free_offers
                .into_iter()
                .map(PinFreeOffer::from)
                .collect(),
            lapses: s.lapses.into_iter().map(LapsedShortcut::from).collect(),
            push_pending: s.push_pending,
            held_version: s.held_version,
        }
    }
}

/// Why a shortcut could not be turned on, off or pushed. One variant per
/// thing the settings screen does differently.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum ShortcutError {
    /// This wallet does not offer biometric confirmation: hide the option.
    #[error("biometric confirmation is not offered")]
    BiometricNotOffered,
    /// No PIN-free payments in this currency: hide the option.
    #[error("PIN-free payments are not offered in {currency}")]
    PinFreeNotOffered {
        /// ISO 4217 code.
        currency: String,
    },
    /// A currency code the core does not know.
    #[error("unknown currency {currency}")]
    UnknownCurrency {
        /// What was given.
        currency: String,
    },
    /// A chosen limit is above the wallet's cap: lower it.
    #[error("{field} is above the cap of {cap}")]
    OverCap {
        /// `per_payment`, `daily_total` or `daily_count`.
        field: String,
        /// The cap (minor units, or a count).
        cap: u64,
    },
    /// Already on: turn it off first to replace the key or the limits.
    #[error("already on: {shortcut:?}")]
    AlreadyOn {
        /// Which.
        shortcut: Shortcut,
    },
    /// No biometric key attached (`Wallet.set_biometric_key`).
    #[error("no biometric key is attached")]
    NoBiometricKey,
    /// The platform cannot run a strong biometric check now: say why
    /// (`NotEnrolled`: enrol a fingerprint or face first).
    #[error("biometrics are not available: {availability:?}")]
    BiometricUnavailable {
        /// What the platform said.
        availability: BiometricAvailability,
    },
    /// The platform failed to create the biometric key, or returned a
    /// public key the core does not accept. `code` is the platform
    /// outcome's stable code (`cancelled`, `not-enrolled`, `failed`…, or
    /// `bad-public-key`).
    #[error("the biometric key could not be created ({code}): {detail}")]
    Biometric {
        /// Stable code.
        code: String,
        /// For logs.
        detail: String,
    },
    /// The settings were refused by the core's own checks (a limit of 0, too
    /// many currencies).
    #[error("invalid shortcut settings: {reason}")]
    Invalid {
        /// Which rule.
        reason: String,
    },
    /// The PIN is not complete; nothing was attempted or counted.
    #[error("the PIN has 6 digits; {entered} entered")]
    PinIncomplete {
        /// Digits entered.
        entered: u32,
    },
    /// Wrong PIN: nothing changed.
    #[error("wrong PIN: {attempts_left} attempts left")]
    WrongPin {
        /// Attempts left.
        attempts_left: u32,
        /// Seconds to wait before the next attempt.
        wait_secs: u64,
    },
    /// Too many wrong PINs: wait.
    #[error("too many wrong PINs: try again in {retry_after_secs} s")]
    PinLockedOut {
        /// Seconds from now.
        retry_after_secs: u64,
    },
    /// The PIN is disabled or the device key unusable: reset and enrol.
    #[error("the PIN cannot be used: {reason}")]
    PinUnusable {
        /// Why.
        reason: String,
    },
    /// No PIN is set up yet.
    #[error("the wallet is not enrolled: set a PIN first")]
    NotEnrolled,
    /// The request key is missing or unusable: register the device again.
    #[error("the device must be registered again: {reason}")]
    RequestKey {
        /// Why.
        reason: String,
    },
    /// The wallet was opened without a backend: opting in needs one.
    #[error("no backend is configured")]
    NoBackend,
    /// The backend refused the settings. `code`: `bad-shortcuts`,
    /// `stale-shortcuts`, `shortcuts-widen-without-pin`,
    /// `shortcuts-over-cap`, or another backend code. An opt-in changed
    /// nothing; an opt-out already applies in the wallet.
    #[error("the ScanPay service refused the settings ({code}): {detail}")]
    Rejected {
        /// The backend's code.
        code: String,
        /// The backend's words, for logs.
        detail: String,
    },
    /// The backend could not be reached; nothing was sent. An opt-in did
    /// not happen (try again online); an opt-out is pending.
    #[error("the ScanPay service cannot be reached: {reason}")]
    Unreachable {
        /// Transport detail.
        reason: String,
    },
    /// The secure connection failed (certificate or pin).
    #[error("the secure connection to ScanPay failed: {reason}")]
    Tls {
        /// Transport detail.
        reason: String,
    },
    /// Sent, but no usable answer (or a server failure): try again.
    #[error("no answer from the ScanPay service: {reason}")]
    NoAnswer {
        /// Transport detail.
        reason: String,
    },
    /// The wallet's storage failed.
    #[error("the wallet's storage failed: {reason}")]
    Storage {
        /// Why.
        reason: String,
    },
    /// A bug; nothing was done.
    #[error("internal error: {reason}")]
    Internal {
        /// Why.
        reason: String,
    },
}

impl From<AuthError> for ShortcutError {
    /// The PIN errors as [`PinError`] tells them apart.
    fn from(e: AuthError) -> ShortcutError {
        match PinError::from(e) {
            PinError::Incomplete { entered } => ShortcutError::PinIncomplete { entered },
            PinError::WrongPin {
                attempts_left,
                wait_secs,
            } => ShortcutError::WrongPin {
                attempts_left,
                wait_secs,
            },
            PinError::LockedOut {
                retry_after_secs, ..
            } => ShortcutError::PinLockedOut { retry_after_secs },
            PinError::NotEnrolled => ShortcutError::NotEnrolled,
            e @ (PinError::Disabled
            | PinError::DeviceKeyUnusable { .. }
            | PinError::KeyStore { .. }) => ShortcutError::PinUnusable {
                reason: e.to_string(),
            },
            other => ShortcutError::Internal {
                reason: other.to_string(),
            },
        }
    }
}

impl From<BackendError> for ShortcutError {
    fn from(e: BackendError) -> ShortcutError {
        match e {
            BackendError::NotSent(reason) => ShortcutError::Unreachable { reason },
            BackendError::Tls(reason) => ShortcutError::Tls { reason },
            e @ (BackendError::MaybeSent(_) | BackendError::Server { .. }) => {
                ShortcutError::NoAnswer {
                    reason: e.to_string(),
                }
            }
        }
    }
}

impl From<CoreError> for ShortcutError {
    fn from(e: CoreError) -> ShortcutError {
        let text = e.to_string();
        match e {
            CoreError::BiometricNotOffered => ShortcutError::BiometricNotOffered,
            CoreError::PinFreeNotOffered(c) => ShortcutError::PinFreeNotOffered {
                currency: c.code().to_string(),
            },
            CoreError::OverCap { field, cap } => ShortcutError::OverCap {
                field: field.to_string(),
                cap,
            },
            CoreError::AlreadyOn(s) => ShortcutError::AlreadyOn { shortcut: s.into() },
            CoreError::NoBiometricKey => ShortcutError::NoBiometricKey,
            CoreError::BiometricUnavailable(availability) => {
                ShortcutError::BiometricUnavailable { availability }
            }
            CoreError::Biometric(b) => ShortcutError::Biometric {
                code: b.code().to_string(),
                detail: b.to_string(),
            },
            CoreError::BiometricPublicKey(k) => ShortcutError::Biometric {
                code: "bad-public-key".to_string(),
                detail: k.to_string(),
            },
            CoreError::Invalid(i) => ShortcutError::Invalid {
                reason: i.to_string(),
            },
            CoreError::Auth(a) => a.into(),
            CoreError::NotEnrolled => ShortcutError::NotEnrolled,
            CoreError::RequestKey(_) => ShortcutError::RequestKey { reason: text },
            CoreError::Store(_) | CoreError::Damaged(_) => ShortcutError::Storage { reason: text },
            CoreError::NoBackend => ShortcutError::NoBackend,
            CoreError::Push(ShortcutPushError::Rejected { reason, message }) => {
                let code = match &reason {
                    ShortcutRejection::Other { code } => code.clone(),
                    known => rejection_code(known).to_string(),
                };
                ShortcutError::Rejected {
                    code,
                    detail: message,
                }
            }
            CoreError::Push(ShortcutPushError::Transport(t)) => t.into(),
        }
    }
}

#[uniffi::export]
impl ShortcutError {
    /// The payer's text for this error in the current locale, with its id
    /// and arguments. The `reason`/`detail` fields are for logs and support.
    pub fn text(&self) -> LocalizedText {
        localized(&self.message())
    }
}

impl ShortcutError {
    /// The catalogue message: the core's own (`Describe`) wherever the
    /// variant holds what the core error held.
    fn message(&self) -> Msg {
        match self {
            ShortcutError::BiometricNotOffered => CoreError::BiometricNotOffered.message(),
            ShortcutError::PinFreeNotOffered { .. } => Msg::ShortcutSettingsNotOffered,
            ShortcutError::AlreadyOn { .. } => Msg::ShortcutSettingsAlreadyOn,
            // A code the app passed that no currency has: its bug, refused
            // before anything changed.
            ShortcutError::UnknownCurrency { .. } => Msg::WalletInternalError,
            ShortcutError::OverCap { .. } => Msg::ShortcutSettingsOverCap,
            ShortcutError::NoBiometricKey => CoreError::NoBiometricKey.message(),
            ShortcutError::BiometricUnavailable { availability } => {
                CoreError::BiometricUnavailable(*availability).message()
            }
            // The platform's outcome by its stable code; "bad-public-key"
            // (and any code no outcome has) is the key the core refused.
            ShortcutError::Biometric { code, .. } => biometric_outcome(code)
                .map(CoreError::Biometric)
                .unwrap_or(CoreError::NoBiometricKey)
                .message(),
            ShortcutError::Invalid { .. } => Msg::WalletInternalError,
            ShortcutError::PinIncomplete { entered } => {
                PinError::Incomplete { entered: *entered }.message()
            }
            ShortcutError::WrongPin {
                attempts_left,
                wait_secs,
            } => PinError::WrongPin {
                attempts_left: *attempts_left,
                wait_secs: *wait_secs,
            }
            .message(),
            ShortcutError::PinLockedOut { retry_after_secs } => AuthError::LockedOut {
                until: 0,
                retry_after_secs: *retry_after_secs,
            }
            .message(),
            // Disabled PIN, unusable device key or a failed key store: in
            // each case the PIN cannot confirm this change; setting the
            // wallet up again is what the variant asks of the app.
            ShortcutError::PinUnusable { .. } => Msg::PinDeviceKeyUnusable,
            ShortcutError::NotEnrolled => CoreError::NotEnrolled.message(),
            ShortcutError::RequestKey { .. } => Msg::NetRegisterAgain,
            ShortcutError::NoBackend => CoreError::NoBackend.message(),
            ShortcutError::Rejected { code, detail } => ShortcutPushError::Rejected {
                reason: rejection(code),
                message: detail.clone(),
            }
            .message(),
            ShortcutError::Unreachable { reason } => {
                BackendError::NotSent(reason.clone()).message()
            }
            ShortcutError::Tls { reason } => BackendError::Tls(reason.clone()).message(),
            ShortcutError::NoAnswer { reason } => BackendError::MaybeSent(reason.clone()).message(),
            ShortcutError::Storage { .. } => Msg::WalletStorageFailed,
            // "A bug; nothing was done."
            ShortcutError::Internal { .. } => Msg::WalletInternalError,
        }
    }
}

/// The platform outcome whose stable code is `code`.
fn biometric_outcome(code: &str) -> Option<CoreBiometricError> {
    [
        CoreBiometricError::Cancelled,
        CoreBiometricError::LockedOut,
        CoreBiometricError::NotEnrolled,
        CoreBiometricError::KeyInvalidated,
        CoreBiometricError::KeyMissing,
        CoreBiometricError::Unavailable,
        CoreBiometricError::Failed {
            message: String::new(),
        },
    ]
    .into_iter()
    .find(|b| b.code() == code)
}

/// The typed rejection whose backend code is `code` (the inverse of
/// [`rejection_code`]).
fn rejection(code: &str) -> ShortcutRejection {
    [
        ShortcutRejection::BadShortcuts,
        ShortcutRejection::Stale,
        ShortcutRejection::WidensWithoutPin,
        ShortcutRejection::OverCap,
    ]
    .into_iter()
    .find(|r| rejection_code(r) == code)
    .unwrap_or_else(|| ShortcutRejection::Other {
        code: code.to_string(),
    })
}

/// The backend's code for a typed rejection (`docs/api.md`).
fn rejection_code(r: &ShortcutRejection) -> &'static str {
    use scanpay_core::net::api::error_code as c;
    match r {
        ShortcutRejection::BadShortcuts => c::BAD_SHORTCUTS,
        ShortcutRejection::Stale => c::STALE_SHORTCUTS,
        ShortcutRejection::WidensWithoutPin => c::SHORTCUTS_WIDEN_WITHOUT_PIN,
        ShortcutRejection::OverCap => c::SHORTCUTS_OVER_CAP,
        ShortcutRejection::Other { .. } => "other",
    }
}

impl From<WorkerFailure> for ShortcutError {
    fn from(e: WorkerFailure) -> ShortcutError {
        ShortcutError::Internal {
            reason: format!("{e:?}"),
        }
    }
}

#[uniffi::export]
impl Wallet {
    /// Attaches the platform's biometric key (`AndroidBiometricKey`,
    /// `SecureEnclaveBiometricKey`) at app start, so payments can offer
    /// biometric confirmation the payer turned on earlier. Quick.
    pub fn set_biometric_key(&self, key: Arc<dyn BiometricKey>) {
        self.shared
            .wallet
            .set_biometric_key(Arc::new(BiometricAdapter(key)));
    }

    /// What is on, what may be chosen, what lapsed and why (quick, local).
    pub fn shortcut_status(&self) -> Result<ShortcutStatus, ShortcutError> {
        Ok(self.shared.wallet.shortcut_status()?.into())
    }

    /// Turns biometric confirmation on with the PIN in `pin` (one counted
    /// attempt; the pad is wiped): `key` creates the platform key (and is
    /// attached), the settings are signed and sent to the backend. On only
    /// once the backend accepted (online). On a `scanpay-worker` thread.
    pub async fn enable_biometric(
        &self,
        pin: Arc<PinPad>,
        key: Arc<dyn BiometricKey>,
    ) -> Result<ShortcutStatus, ShortcutError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let digits = pin.take();
            let r = shared
                .wallet
                .enable_biometric(&digits, Arc::new(BiometricAdapter(key)));
            pin.clear();
            Ok(r?.into())
        })
        .await?
    }

    /// Turns PIN-free payments on in `limits.currency` (or changes the
    /// limits) with the PIN in `pin` (one counted attempt; the pad is wiped),
    /// within the wallet's caps (`ShortcutStatus.pin_free_offers`). On only
    /// once the backend accepted (online). On a `scanpay-worker` thread.
    pub async fn enable_pin_free(
        &self,
        pin: Arc<PinPad>,
        limits: PinFreeLimits,
    ) -> Result<ShortcutStatus, ShortcutError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let digits = pin.take();
            let r = limits
                .to_core()
                .and_then(|l| Ok(shared.wallet.enable_pin_free(&digits, l)?));
            pin.clear();
            Ok(r?.into())
        })
        .await?
    }

    /// Turns biometric confirmation off: at once in the wallet (the platform
    /// key is deleted), then told to the backend without the PIN; when the
    /// backend is not reachable the status says `push_pending` and a later
    /// sync sends it. On a `scanpay-worker` thread.
    pub async fn disable_biometric(&self) -> Result<ShortcutStatus, ShortcutError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || Ok(shared.wallet.disable_biometric()?.into())).await?
    }

    /// Turns PIN-free payments off in `currency` (ISO code), like
    /// `disable_biometric`.
    pub async fn disable_pin_free(
        &self,
        currency: String,
    ) -> Result<ShortcutStatus, ShortcutError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || {
            let c = self::currency(&currency)?;
            Ok(shared.wallet.disable_pin_free(c)?.into())
        })
        .await?
    }

    /// Sends a pending opt-out or lapse to the backend (signed by the request
    /// key, no PIN). Nothing pending is a success. On a `scanpay-worker`
    /// thread.
    pub async fn push_shortcuts(&self) -> Result<ShortcutStatus, ShortcutError> {
        let shared = Arc::clone(&self.shared);
        run_blocking(move || Ok(shared.wallet.push_shortcuts()?.into())).await?
    }
}
