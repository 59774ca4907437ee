//! PIN, device key and payment authorisation.
//!
//! The PIN proves itself by opening a key, not by matching a stored hash:
//!
//! ```text
//! PinPad digits ──PBKDF2-HMAC-SHA256 (600k, salt)──▶ AES-256 key
//!     ──AES-256-GCM──▶ Ed25519 device key (PKCS#8)
//!     ──signs──▶ PaymentAuthorisation ──▶ backend verifies with the registered public key
//! ```
//!
//! The PIN-encrypted blob ([`SealedKey`]) is wrapped again by the app's
//! [`PlatformKeyStore`] (hardware-backed on phones) and stored in the
//! [`crate::store::Store`]. [`Authenticator`] ties it together with the attempt
//! limits ([`FAILURES_BEFORE_WAIT`], [`FAILURES_BEFORE_DISABLE`]), whose state
//! is persisted *before* each attempt is evaluated. Design and blob layout:
//! `docs/decisions/0005-pin-and-device-key.md`.
//!
//! | file (private) | concern | public items |
//! |---|---|---|
//! | `pinpad` | the core-owned PIN pad (digits never leave Rust) | [`PinPad`] |
//! | `policy` | which new PINs are refused | [`check_new_pin`] |
//! | `kdf` | PIN → AES key | [`derive_pin_key`], [`KdfParams`] |
//! | `sealed` | the encrypted device key blob, byte by byte | [`SealedKey`] |
//! | `device` | the Ed25519 device key | [`DeviceKey`] |
//! | `keystore` | the platform key store trait and the software implementation | [`PlatformKeyStore`], [`SoftwareKeyStore`] |
//! | `limits` | attempt limits, waits and the clock | [`FIRST_WAIT_SECS`] |
//! | `authorisation` | what the device key signs, and its verification | [`PaymentAuthorisation`], [`verify_authorisation`] |
//! | `authenticator` | enrol, verify, change, authorise, status, reset | [`Authenticator`] |
//! | `request_key` | the PIN-less key that signs payment queries and reversals | [`RequestKey`], [`StoredRequestSigner`] |
//! | `paycode_secret` | the pay-code secret, sealed under the device key | (internal) |
//! | `biometric` | the platform's biometric key: the trait the app implements, verification, the software key for tests | [`BiometricKey`], [`SoftwareBiometricKey`], [`verify_biometric_signature`] |
//! | `shortcuts` | the shortcut settings document (biometric key, PIN-free limits) and its verification | [`ShortcutSettings`], [`SignedShortcuts`], [`verify_shortcuts`] |
//!
//! Secrets (PIN digits, derived keys, decrypted PKCS#8) live in buffers wiped
//! on drop, never appear in `Debug` or error messages, and never cross the
//! public API. `ring`'s internal key types (AES key schedules, Ed25519 key
//! pairs) are not wiped by `ring`; they live only for one operation.

// The submodules are private: what the app, the CLI, the sandbox and the
// tests use is re-exported below, so a file can be split or renamed without
// changing a caller (ADR 0021).
mod authenticator;
mod authorisation;
mod biometric;
mod device;
mod kdf;
mod keystore;
mod limits;
mod paycode_secret;
mod pinpad;
mod policy;
mod request_key;
mod sealed;
mod shortcuts;

use thiserror::Error;

pub use authenticator::{AuthStatus, Authenticator};
pub(crate) use authorisation::MAX_PAYMENT_ID_LEN;
pub use authorisation::{
    verify_authorisation, verify_authorisation_with, AuthorisationError, PaymentAuthMethod,
    PaymentAuthorisation, RegisteredKeys, SignedAuthorisation, AUTH_DOMAIN, BIOMETRIC_AUTH_DOMAIN,
    PIN_FREE_AUTH_DOMAIN,
};
pub use biometric::{
    biometric_public_key, verify_biometric_signature, BiometricAvailability, BiometricError,
    BiometricKey, BiometricKeyError, BiometricPromptText, SoftwareBiometricKey,
    BIOMETRIC_PUBLIC_KEY_LEN, MAX_BIOMETRIC_SIGNATURE_LEN,
};
pub use device::DeviceKey;
// The KDF is public because `SealedKey::seal` takes its iteration count and
// `SealedKey::kdf` returns its parameters; `derive_pin_key` is what the auth
// bench times (the cost of every PIN check).
pub use kdf::{
    derive_pin_key, KdfParams, PinKey, DEFAULT_ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS,
};
pub use keystore::{KeyStoreError, PlatformKeyStore, SoftwareKeyStore, WrapDefect};
// The attempt policy a UI explains ("5 wrong PINs, then a wait").
pub use limits::{FAILURES_BEFORE_DISABLE, FAILURES_BEFORE_WAIT, FIRST_WAIT_SECS};
pub use pinpad::{PinPad, PIN_LENGTH};
pub use policy::{check_new_pin, PinRejected, BLOCKLIST};
// The backend's side of the request key (the sandbox verifies with these).
pub use request_key::{
    registration_proof_bytes, request_signed_bytes, verify_registration_proof,
    RequestAuthorization, RequestKey, RequestKeyError, RequestKeyRegistration, RequestSigner,
    StoredRequestSigner, MAX_CLOCK_SKEW_SECS,
};
pub use sealed::{SealedError, SealedKey, MAX_SEALED_LEN};
pub use shortcuts::{
    verify_shortcuts, PinFreeLimits, ShortcutSettings, ShortcutSigner, ShortcutsError,
    SignedShortcuts, MAX_PIN_FREE_CURRENCIES, SHORTCUTS_DOMAIN,
};

use crate::store::StoreError;

/// Why a PIN or device-key operation failed. No variant carries PIN digits or
/// key material.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthError {
    /// A PIN pad press was not a digit value 0–9.
    #[error("only digits 0-9 can be entered")]
    NotADigit,
    /// A PIN pad press after all digits were entered.
    #[error("the PIN already has {PIN_LENGTH} digits")]
    PinPadFull,
    /// The PIN is not complete; nothing was attempted or counted.
    #[error("the PIN has {PIN_LENGTH} digits; {entered} entered")]
    PinIncomplete {
        /// Digits entered.
        entered: usize,
    },
    /// The new PIN is refused by the policy; nothing was changed.
    #[error("PIN refused: {0}")]
    PinRejected(#[from] PinRejected),
    /// The PIN is wrong. `wait_secs` is the wait now imposed before the next
    /// attempt (0 = none); `attempts_left` is how many attempts remain before
    /// the device key is disabled — 0 means this failure disabled it.
    #[error("wrong PIN: {attempts_left} attempts left, next attempt in {wait_secs} s")]
    WrongPin {
        /// Attempts left before the key is disabled.
        attempts_left: u32,
        /// Seconds to wait before the next attempt.
        wait_secs: u64,
    },
    /// Too many failures: no attempt is evaluated (or counted) before `until`
    /// on the caller's clock, `retry_after_secs` from now.
    #[error("too many wrong PINs: try again in {retry_after_secs} s")]
    LockedOut {
        /// Caller-clock time of the next allowed attempt.
        until: u64,
        /// Seconds from the `now` passed in.
        retry_after_secs: u64,
    },
    /// The device key was disabled after too many wrong PINs; the wallet must
    /// be re-enrolled.
    #[error("the PIN is blocked after too many wrong attempts; re-enrol the wallet")]
    Disabled,
    /// No device key: the wallet is not enrolled.
    #[error("the wallet is not enrolled")]
    NotEnrolled,
    /// A device key exists; enrolment is only possible when there is none or
    /// after it was disabled.
    #[error("the wallet is already enrolled")]
    AlreadyEnrolled,
    /// The stored device key blob is unreadable (damaged, or written by a
    /// newer app). Nothing was counted.
    #[error("the stored device key is unusable: {0}")]
    SealedKey(SealedError),
    /// The platform key store failed. Nothing was counted.
    #[error("platform key store: {0}")]
    KeyStore(#[from] KeyStoreError),
    /// The app's platform key store does not protect the key (enrolment or
    /// PIN change): its wrapping holds the sealed key in the clear, or does
    /// not unwrap again. Nothing was stored or counted; the app's key store
    /// implementation must be fixed — retrying will not help.
    #[error("the platform key store does not protect the device key: {0}")]
    KeyStoreIneffective(WrapDefect),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The authorisation is not acceptable (a field over its cap).
    #[error("authorisation: {0}")]
    Authorisation(#[from] AuthorisationError),
    /// The shortcut settings are not acceptable (a field out of range);
    /// nothing was signed or counted.
    #[error("shortcut settings: {0}")]
    Shortcuts(#[from] ShortcutsError),
    /// Random generation, encryption or signing failed inside `ring`.
    #[error("cryptographic operation failed")]
    Crypto,
}

impl AuthError {
    /// True when the stored device key can no longer be opened on this device
    /// whatever PIN is entered: the platform key store reports its key
    /// unavailable (app data restored onto a new phone, Keystore / Keychain
    /// wiped) or rejects the wrapping, or the sealed blob is damaged. No
    /// attempt was counted. The UI should offer
    /// [`Authenticator::reset_device_key`] and re-enrolment instead of asking
    /// for the PIN again.
    ///
    /// Not for transient key store failures ([`KeyStoreError::Failed`]), and
    /// not for a blob written by a newer app version
    /// ([`SealedError::UnsupportedVersion`]): updating the app opens that key,
    /// a reset would destroy it.
    pub fn device_key_unusable(&self) -> bool {
        match self {
            AuthError::KeyStore(k) => {
                matches!(k, KeyStoreError::Unavailable(_) | KeyStoreError::Rejected)
            }
            AuthError::SealedKey(s) => matches!(
                s,
                SealedError::Malformed(_)
                    | SealedError::UnsupportedAlgorithm
                    | SealedError::KdfIterations(_)
                    | SealedError::KeyRejected
            ),
            _ => false,
        }
    }
}

impl From<SealedError> for AuthError {
    fn from(e: SealedError) -> AuthError {
        match e {
            SealedError::PinIncomplete { entered } => AuthError::PinIncomplete { entered },
            SealedError::Random | SealedError::Encrypt => AuthError::Crypto,
            other => AuthError::SealedKey(other),
        }
    }
}
