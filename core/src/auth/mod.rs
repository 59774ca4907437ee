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
//! The PIN-encrypted blob ([`sealed`]) is wrapped again by the app's
//! [`PlatformKeyStore`] (hardware-backed on phones) and stored in the
//! [`crate::store::Store`]. [`Authenticator`] ties it together with the attempt
//! limits of [`limits`], whose state is persisted *before* each attempt is
//! evaluated. Design and blob layout: `docs/decisions/0005-pin-and-device-key.md`.
//!
//! | submodule | concern |
//! |---|---|
//! | [`pinpad`] | the core-owned PIN pad (digits never leave Rust) |
//! | [`policy`] | which new PINs are refused |
//! | [`kdf`] | PIN → AES key |
//! | [`sealed`] | the encrypted device key blob, byte by byte |
//! | [`device`] | the Ed25519 device key |
//! | [`keystore`] | the platform key store trait and the software implementation |
//! | [`limits`] | attempt limits, waits and the clock |
//! | [`authorisation`] | what the device key signs, and its verification |
//! | [`authenticator`] | enrol, verify, change, authorise, status, reset |
//! | [`request_key`] | the PIN-less key that signs payment queries and reversals |
//! | [`paycode_secret`] | the pay-code secret, sealed under the device key |
//!
//! Secrets (PIN digits, derived keys, decrypted PKCS#8) live in buffers wiped
//! on drop, never appear in `Debug` or error messages, and never cross the
//! public API. `ring`'s internal key types (AES key schedules, Ed25519 key
//! pairs) are not wiped by `ring`; they live only for one operation.

pub mod authenticator;
pub mod authorisation;
pub mod device;
pub mod kdf;
pub mod keystore;
pub mod limits;
pub mod paycode_secret;
pub mod pinpad;
pub mod policy;
pub mod request_key;
pub mod sealed;

use thiserror::Error;

pub use authenticator::{AuthStatus, Authenticator};
pub use authorisation::{
    verify_authorisation, AuthorisationError, PaymentAuthorisation, SignedAuthorisation,
};
pub use device::DeviceKey;
pub use keystore::{KeyStoreError, PlatformKeyStore, SoftwareKeyStore, WrapDefect};
pub use pinpad::{PinPad, PIN_LENGTH};
pub use policy::{check_new_pin, PinRejected};
pub use request_key::{
    RequestAuthorization, RequestKey, RequestKeyError, RequestSigner, StoredRequestSigner,
};
pub use sealed::{SealedError, SealedKey};

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
