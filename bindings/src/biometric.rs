//! Biometric confirmation (ADR 0022): the platform's biometric-bound signing
//! key behind a foreign interface, and (feature `testing` only) the core's
//! software key for tests.
//!
//! The app implements [`BiometricKey`] over the platform (Android Keystore +
//! `BiometricPrompt`: `android/`; iOS Secure Enclave + LocalAuthentication:
//! `ios/`). The core never asks the app "did the user pass?": it hands over a
//! challenge and verifies the returned signature with the public key it
//! recorded at opt-in (the backend verifies it again). So the adapter here
//! only has to keep the foreign side from crashing or passing by accident:
//! every outcome the app reports is typed ([`BiometricError`]), and an
//! implementation that throws something undeclared or panics becomes
//! [`BiometricError::Failed`] (for `availability`, "no hardware": the option
//! is not offered), never an unwinding through the core and never a
//! signature.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

#[cfg(feature = "testing")]
use scanpay_core::auth::SoftwareBiometricKey as CoreSoftwareBiometricKey;
pub use scanpay_core::auth::{BiometricAvailability, BiometricPromptText};
use scanpay_core::auth::{BiometricError as CoreBiometricError, BiometricKey as CoreBiometricKey};

#[cfg(feature = "testing")]
use crate::LiveToken;

/// Whether the platform can run a strong biometric check now, for the UI to
/// offer (or explain the absence of) biometric confirmation.
#[uniffi::remote(Enum)]
pub enum BiometricAvailability {
    /// A strong biometric is enrolled and usable.
    Available,
    /// The hardware exists but no fingerprint or face is enrolled.
    NotEnrolled,
    /// No strong biometric hardware (or the platform's policy forbids it).
    NoHardware,
    /// The platform locked biometrics after too many failed matches.
    LockedOut,
}

/// What the platform's biometric dialog shows, written by the core so both
/// platforms say the same (the amount and the payee).
///
/// Not called `BiometricPrompt`: the Android implementation imports
/// `android.hardware.biometrics.BiometricPrompt` in the same file.
#[uniffi::remote(Record)]
pub struct BiometricPromptText {
    /// The dialog's title, e.g. "Pay SGD 4.50".
    pub title: String,
    /// The line under it, e.g. "to KOPI CORNER".
    pub subtitle: String,
    /// The dialog's cancel (negative) button, which goes back to the PIN
    /// pad: "Use PIN" (Android `setNegativeButton`, iOS
    /// `localizedCancelTitle`). In the same language as the title.
    pub cancel: String,
}

/// Why the platform produced no signature. The app's implementation throws
/// these (Kotlin `BiometricException`, Swift `BiometricError`); none of them
/// ever authorises a payment: the flow falls back to the PIN with the reason,
/// and `KeyInvalidated` / `KeyMissing` also turn biometric confirmation off
/// until the payer opts in again with the PIN.
// A wrapper: the core's `Failed` holds `message`, which as a Kotlin exception
// field would clash with `Throwable.message`; and the foreign side constructs
// these, so the error cannot be flat.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum BiometricError {
    /// The payer dismissed the dialog or chose the PIN. Trying again is fine.
    #[error("biometric confirmation was cancelled")]
    Cancelled,
    /// The platform locked biometrics after too many failed matches; the
    /// device's own unlock clears it.
    #[error("biometrics are locked after too many attempts")]
    LockedOut,
    /// No biometric is enrolled on the device.
    #[error("no fingerprint or face is enrolled on this device")]
    NotEnrolled,
    /// A new fingerprint or face was enrolled (or all were removed): the key
    /// can never sign again (Android `KeyPermanentlyInvalidatedException`, an
    /// iOS `.biometryCurrentSet` key after an enrolment change).
    #[error("biometrics changed on this device")]
    KeyInvalidated,
    /// The platform has no such key (app data restored elsewhere, key store
    /// wiped).
    #[error("the biometric key is gone from this device")]
    KeyMissing,
    /// Biometrics cannot be used now (no sensor, sensor busy, policy).
    #[error("biometrics are not available on this device now")]
    Unavailable,
    /// Any other platform failure; `reason` is for logs (never a secret).
    #[error("biometric check failed: {reason}")]
    Failed {
        /// What the platform said.
        reason: String,
    },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for BiometricError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> BiometricError {
        BiometricError::Failed { reason: e.reason }
    }
}

impl From<BiometricError> for CoreBiometricError {
    fn from(e: BiometricError) -> CoreBiometricError {
        match e {
            BiometricError::Cancelled => CoreBiometricError::Cancelled,
            BiometricError::LockedOut => CoreBiometricError::LockedOut,
            BiometricError::NotEnrolled => CoreBiometricError::NotEnrolled,
            BiometricError::KeyInvalidated => CoreBiometricError::KeyInvalidated,
            BiometricError::KeyMissing => CoreBiometricError::KeyMissing,
            BiometricError::Unavailable => CoreBiometricError::Unavailable,
            BiometricError::Failed { reason } => CoreBiometricError::Failed { message: reason },
        }
    }
}

impl From<CoreBiometricError> for BiometricError {
    fn from(e: CoreBiometricError) -> BiometricError {
        match e {
            CoreBiometricError::Cancelled => BiometricError::Cancelled,
            CoreBiometricError::LockedOut => BiometricError::LockedOut,
            CoreBiometricError::NotEnrolled => BiometricError::NotEnrolled,
            CoreBiometricError::KeyInvalidated => BiometricError::KeyInvalidated,
            CoreBiometricError::KeyMissing => BiometricError::KeyMissing,
            CoreBiometricError::Unavailable => BiometricError::Unavailable,
            CoreBiometricError::Failed { message } => BiometricError::Failed { reason: message },
        }
    }
}

/// The platform's biometric-bound P-256 signing key, implemented by the app
/// (`AndroidBiometricKey`, `SecureEnclaveBiometricKey`), or
/// `InsecureSoftwareBiometricKey.as_biometric_key` in tests (a library built
/// with the `testing` feature only).
///
/// Called by the core on a background thread, never the UI thread: the
/// thread of the call that needs it (enabling biometric confirmation, the
/// `AuthenticateBiometric` intent). `sign` blocks while the platform dialog
/// is up; an implementation that must show its dialog on the main thread
/// posts it there and waits (and refuses with `Failed` if it is called on the
/// main thread, where waiting would deadlock).
#[uniffi::export(rust, foreign)]
pub trait BiometricKey: Send + Sync {
    /// Whether a strong biometric check can run now.
    fn availability(&self) -> BiometricAvailability;
    /// Creates the key, replacing any previous one, and returns its public
    /// key: the 65-byte uncompressed SEC1 point (iOS) or the 91-byte X.509
    /// SubjectPublicKeyInfo (Android `getEncoded()`).
    fn create_key(&self) -> Result<Vec<u8>, BiometricError>;
    /// Shows the platform dialog with `prompt` and, once a strong biometric
    /// matches, signs `challenge` with ECDSA P-256 over SHA-256, returning the
    /// ASN.1 DER signature.
    fn sign(
        &self,
        challenge: Vec<u8>,
        prompt: BiometricPromptText,
    ) -> Result<Vec<u8>, BiometricError>;
    /// Deletes the key (opting out). Deleting a missing key is not an error.
    fn delete_key(&self) -> Result<(), BiometricError>;
}

/// Runs one foreign call, turning a panic (a foreign exception UniFFI could
/// not map, a bug in the app's code) into [`CoreBiometricError::Failed`].
fn guarded<T>(
    what: &str,
    f: impl FnOnce() -> Result<T, BiometricError>,
) -> Result<T, CoreBiometricError> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r.map_err(CoreBiometricError::from),
        Err(_) => Err(CoreBiometricError::Failed {
            message: format!("the platform biometric key failed unexpectedly in {what}"),
        }),
    }
}

/// Plugs a [`BiometricKey`] into the core.
pub(crate) struct BiometricAdapter(pub(crate) Arc<dyn BiometricKey>);

impl CoreBiometricKey for BiometricAdapter {
    fn availability(&self) -> scanpay_core::auth::BiometricAvailability {
        // A throwing availability check is "no hardware": the option is not
        // offered, and payments use the PIN.
        catch_unwind(AssertUnwindSafe(|| self.0.availability()))
            .unwrap_or(BiometricAvailability::NoHardware)
    }
    fn create_key(&self) -> Result<Vec<u8>, CoreBiometricError> {
        guarded("create_key", || self.0.create_key())
    }
    fn sign(
        &self,
        challenge: &[u8],
        prompt: &BiometricPromptText,
    ) -> Result<Vec<u8>, CoreBiometricError> {
        guarded("sign", || self.0.sign(challenge.to_vec(), prompt.clone()))
    }
    fn delete_key(&self) -> Result<(), CoreBiometricError> {
        guarded("delete_key", || self.0.delete_key())
    }
}

/// The core's software biometric key, in memory, for desktop tools and tests.
///
/// **Insecure by design, never for phones:** it checks no biometric, so
/// anyone holding it can sign. The name says so, and it exists only in a
/// library built with the `testing` feature (the host builds of the binding
/// suites), so a phone library cannot ship it (ADR 0025): it also links
/// ring's P-256 signing, which nothing else on a phone needs. Its switches simulate what a platform does: a cancelled dialog
/// or a lockout ([`InsecureSoftwareBiometricKey::fail_next`]), a new
/// enrolment that invalidates the key ([`InsecureSoftwareBiometricKey::invalidate`]),
/// no sensor or no enrolment ([`InsecureSoftwareBiometricKey::set_availability`]).
#[cfg(feature = "testing")]
#[derive(uniffi::Object)]
pub struct InsecureSoftwareBiometricKey {
    key: Arc<CoreSoftwareBiometricKey>,
    _live: LiveToken,
}

#[cfg(feature = "testing")]
impl std::fmt::Debug for InsecureSoftwareBiometricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsecureSoftwareBiometricKey")
            .field("key", &self.key)
            .finish()
    }
}

/// The software key as the foreign interface (shares the switches' state).
#[cfg(feature = "testing")]
struct SoftwareKeyHandle(Arc<CoreSoftwareBiometricKey>);

#[cfg(feature = "testing")]
impl BiometricKey for SoftwareKeyHandle {
    fn availability(&self) -> BiometricAvailability {
        self.0.availability()
    }
    fn create_key(&self) -> Result<Vec<u8>, BiometricError> {
        Ok(self.0.create_key()?)
    }
    fn sign(
        &self,
        challenge: Vec<u8>,
        prompt: BiometricPromptText,
    ) -> Result<Vec<u8>, BiometricError> {
        Ok(self.0.sign(&challenge, &prompt)?)
    }
    fn delete_key(&self) -> Result<(), BiometricError> {
        Ok(self.0.delete_key()?)
    }
}

#[cfg(feature = "testing")]
#[uniffi::export]
impl InsecureSoftwareBiometricKey {
    /// No key yet, biometrics "available".
    #[uniffi::constructor]
    pub fn new() -> InsecureSoftwareBiometricKey {
        InsecureSoftwareBiometricKey {
            key: Arc::new(CoreSoftwareBiometricKey::new()),
            _live: LiveToken::new(),
        }
    }

    /// This key as the [`BiometricKey`] interface the wallet takes. Every
    /// handle shares this object's key and switches.
    pub fn as_biometric_key(&self) -> Arc<dyn BiometricKey> {
        Arc::new(SoftwareKeyHandle(Arc::clone(&self.key)))
    }

    /// The next `sign` fails with `error` (a cancelled dialog, a lockout…).
    pub fn fail_next(&self, error: BiometricError) {
        self.key.fail_next(error.into());
    }

    /// Simulates a new biometric enrolment: every `sign` is
    /// [`BiometricError::KeyInvalidated`] until `create_key`.
    pub fn invalidate(&self) {
        self.key.invalidate();
    }

    /// Sets what `availability` answers; `LockedOut`, `NotEnrolled` and
    /// `NoHardware` make `sign` fail the same way.
    pub fn set_availability(&self, availability: BiometricAvailability) {
        self.key.set_availability(availability);
    }
}

#[cfg(feature = "testing")]
impl Default for InsecureSoftwareBiometricKey {
    fn default() -> Self {
        InsecureSoftwareBiometricKey::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "testing")]
    use scanpay_core::auth::{biometric_public_key, verify_biometric_signature};

    fn prompt() -> BiometricPromptText {
        BiometricPromptText {
            title: "Pay SGD 4.50".into(),
            subtitle: "to KOPI CORNER".into(),
            cancel: "Use PIN".into(),
        }
    }

    /// A foreign implementation with a bug: it panics in every method (what
    /// UniFFI does on the Rust side when a foreign method without a declared
    /// error throws).
    struct Panicking;

    #[allow(clippy::panic)]
    impl BiometricKey for Panicking {
        fn availability(&self) -> BiometricAvailability {
            panic!("availability bug")
        }
        fn create_key(&self) -> Result<Vec<u8>, BiometricError> {
            panic!("create bug")
        }
        fn sign(&self, _: Vec<u8>, _: BiometricPromptText) -> Result<Vec<u8>, BiometricError> {
            panic!("sign bug")
        }
        fn delete_key(&self) -> Result<(), BiometricError> {
            panic!("delete bug")
        }
    }

    #[test]
    fn a_panicking_implementation_is_failed_never_a_signature_or_a_crash() {
        let adapter = BiometricAdapter(Arc::new(Panicking));
        assert_eq!(adapter.availability(), BiometricAvailability::NoHardware);
        for r in [
            adapter.sign(b"challenge", &prompt()).map(drop),
            adapter.create_key().map(drop),
            adapter.delete_key(),
        ] {
            assert!(matches!(r, Err(CoreBiometricError::Failed { .. })), "{r:?}");
        }
    }

    #[test]
    fn an_undeclared_foreign_exception_is_failed() {
        let e = BiometricError::from(uniffi::UnexpectedUniFFICallbackError::new(
            "java.lang.IllegalStateException",
        ));
        assert!(matches!(
            CoreBiometricError::from(e),
            CoreBiometricError::Failed { .. }
        ));
    }

    #[test]
    fn every_typed_outcome_crosses_both_ways_unchanged() {
        let all = [
            CoreBiometricError::Cancelled,
            CoreBiometricError::LockedOut,
            CoreBiometricError::NotEnrolled,
            CoreBiometricError::KeyInvalidated,
            CoreBiometricError::KeyMissing,
            CoreBiometricError::Unavailable,
            CoreBiometricError::Failed {
                message: "sensor said no".into(),
            },
        ];
        for e in all {
            let back = CoreBiometricError::from(BiometricError::from(e.clone()));
            assert_eq!(back, e);
        }
    }

    #[cfg(feature = "testing")]
    #[test]
    fn the_software_key_signs_through_the_interface_and_its_switches_hold() {
        let sw = InsecureSoftwareBiometricKey::new();
        let adapter = BiometricAdapter(sw.as_biometric_key());
        let public = adapter.create_key().unwrap();
        let point = biometric_public_key(&public).unwrap();
        let sig = adapter.sign(b"challenge", &prompt()).unwrap();
        verify_biometric_signature(&point, b"challenge", &sig).unwrap();
        assert!(verify_biometric_signature(&point, b"other", &sig).is_err());

        sw.fail_next(BiometricError::Cancelled);
        assert_eq!(
            adapter.sign(b"challenge", &prompt()),
            Err(CoreBiometricError::Cancelled)
        );
        sw.invalidate();
        assert_eq!(
            adapter.sign(b"challenge", &prompt()),
            Err(CoreBiometricError::KeyInvalidated)
        );
        sw.set_availability(BiometricAvailability::LockedOut);
        assert_eq!(adapter.availability(), BiometricAvailability::LockedOut);
    }
}
