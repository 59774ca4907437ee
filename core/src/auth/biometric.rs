//! Biometric confirmation through the platform's key (ADR 0022).
//!
//! The app owns a P-256 key that the platform releases only after its strong
//! biometric check (Android Keystore with `BIOMETRIC_STRONG` and
//! invalidation on new enrolment; an iOS Secure Enclave key with
//! `.biometryCurrentSet`). The core never asks the app "did the user pass?":
//! it hands the app a challenge — the payment's exact terms under the
//! biometric domain, [`crate::auth::PaymentAuthorisation::signed_bytes_for`] —
//! and checks the returned signature with the public key it recorded at
//! opt-in. The backend checks it again with the key registered for the
//! device. A yes/no answer from a compromised app is therefore worth nothing.
//!
//! [`SoftwareBiometricKey`] implements the interface in memory for desktop
//! tools and tests. It verifies no biometric at all and must never ship in
//! a phone app.

use std::sync::{Mutex, PoisonError};

use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1,
    ECDSA_P256_SHA256_ASN1_SIGNING,
};
use thiserror::Error;
use zeroize::Zeroizing;

use super::authorisation::AuthorisationError;
use crate::trust::{Algorithm, PublicKey};

/// Length of a P-256 public key as the core records it: the uncompressed
/// SEC1 point (`0x04 ‖ X ‖ Y`).
pub const BIOMETRIC_PUBLIC_KEY_LEN: usize = 65;
/// Longest ASN.1 DER ECDSA P-256 signature (two 33-byte integers and their
/// headers).
pub const MAX_BIOMETRIC_SIGNATURE_LEN: usize = 72;
/// The fixed DER prefix of a P-256 X.509 SubjectPublicKeyInfo (what
/// Android's `PublicKey.getEncoded()` returns), before the 65-byte point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Whether the platform can run a strong biometric check now, for the UI to
/// offer (or explain the absence of) biometric confirmation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

impl BiometricAvailability {
    /// Stable code for apps and logs.
    pub fn code(&self) -> &'static str {
        match self {
            BiometricAvailability::Available => "available",
            BiometricAvailability::NotEnrolled => "not-enrolled",
            BiometricAvailability::NoHardware => "no-hardware",
            BiometricAvailability::LockedOut => "locked-out",
        }
    }
}

/// What the platform's biometric dialog shows (the payee and the amount,
/// written by the core so both platforms say the same).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiometricPromptText {
    /// The dialog's title, e.g. "Pay SGD 4.50".
    pub title: String,
    /// The line under it, e.g. "to KOPI CORNER".
    pub subtitle: String,
    /// The dialog's cancel (negative) button, which goes back to the PIN
    /// pad: "Use PIN". Both platforms require one; it is in the same
    /// language as the title.
    pub cancel: String,
}

/// Why the platform produced no signature. Every variant is an outcome the
/// flow handles (back to the PIN, or try again); none authorises anything.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
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
    /// The key was invalidated, typically because a new fingerprint or face
    /// was enrolled. Biometric confirmation lapses until the payer opts in
    /// again with the PIN.
    #[error(
        "biometrics changed on this device; confirm with the PIN and turn biometrics on again"
    )]
    KeyInvalidated,
    /// The platform has no such key (app data restored elsewhere, key store
    /// wiped). Biometric confirmation lapses.
    #[error("the biometric key is gone from this device")]
    KeyMissing,
    /// Biometrics cannot be used now (no hardware, hardware busy, policy).
    #[error("biometrics are not available on this device now")]
    Unavailable,
    /// Any other platform failure, with its message for logs (never a
    /// secret).
    #[error("biometric check failed: {message}")]
    Failed {
        /// The platform's description.
        message: String,
    },
}

impl BiometricError {
    /// Stable code for apps and logs.
    pub fn code(&self) -> &'static str {
        match self {
            BiometricError::Cancelled => "cancelled",
            BiometricError::LockedOut => "locked-out",
            BiometricError::NotEnrolled => "not-enrolled",
            BiometricError::KeyInvalidated => "key-invalidated",
            BiometricError::KeyMissing => "key-missing",
            BiometricError::Unavailable => "unavailable",
            BiometricError::Failed { .. } => "failed",
        }
    }

    /// True when the key can never sign again: biometric confirmation must
    /// lapse until the payer opts in again.
    pub fn key_lost(&self) -> bool {
        matches!(
            self,
            BiometricError::KeyInvalidated | BiometricError::KeyMissing
        )
    }
}

/// A public key the platform returned is not a P-256 key the core accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BiometricKeyError {
    /// Neither a 65-byte uncompressed point nor a 91-byte P-256
    /// SubjectPublicKeyInfo.
    #[error(
        "the biometric public key is not an uncompressed P-256 point or its X.509 form ({0} bytes)"
    )]
    Malformed(usize),
    /// The right shape, but not a point on P-256.
    #[error("the biometric public key is not a point on P-256")]
    NotOnCurve,
}

/// The platform's biometric-bound signing key, implemented by the app.
///
/// The core calls it on a background thread, never the UI thread; `sign`
/// blocks while the platform dialog is up. Implementations: Android
/// (`android/`), iOS (`ios/`), and [`SoftwareBiometricKey`] for tests.
pub trait BiometricKey: Send + Sync {
    /// Whether a strong biometric check can run now.
    fn availability(&self) -> BiometricAvailability;
    /// Creates the key, replacing any previous one, and returns its public
    /// key: the 65-byte uncompressed SEC1 point or the 91-byte X.509
    /// SubjectPublicKeyInfo.
    fn create_key(&self) -> Result<Vec<u8>, BiometricError>;
    /// Shows the platform dialog with `prompt` and, once the biometric
    /// matches, signs `challenge` with ECDSA P-256 over SHA-256, returning
    /// the ASN.1 DER signature.
    fn sign(
        &self,
        challenge: &[u8],
        prompt: &BiometricPromptText,
    ) -> Result<Vec<u8>, BiometricError>;
    /// Deletes the key (opt-out). Deleting a key that does not exist is not
    /// an error.
    fn delete_key(&self) -> Result<(), BiometricError>;
}

/// The 65-byte point of a platform public key given as the point itself or
/// as a P-256 X.509 SubjectPublicKeyInfo.
pub fn biometric_public_key(
    bytes: &[u8],
) -> Result<[u8; BIOMETRIC_PUBLIC_KEY_LEN], BiometricKeyError> {
    let point = match bytes.len() {
        BIOMETRIC_PUBLIC_KEY_LEN => bytes,
        91 if bytes.starts_with(&P256_SPKI_PREFIX) => &bytes[P256_SPKI_PREFIX.len()..],
        n => return Err(BiometricKeyError::Malformed(n)),
    };
    let mut out = [0u8; BIOMETRIC_PUBLIC_KEY_LEN];
    out.copy_from_slice(point);
    if out[0] != 0x04 {
        return Err(BiometricKeyError::Malformed(bytes.len()));
    }
    // On the curve, checked once at opt-in (ADR 0011): a bad point would
    // otherwise surface only as every payment's signature failing.
    PublicKey::new(Algorithm::EcdsaP256Sha256, &out).map_err(|_| BiometricKeyError::NotOnCurve)?;
    Ok(out)
}

/// Verifies an ASN.1 DER ECDSA P-256 / SHA-256 `signature` over `message`
/// with the 65-byte `public_key`. An invalid point, an over-long or
/// malformed signature and a wrong one are all
/// [`AuthorisationError::BadSignature`].
pub fn verify_biometric_signature(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), AuthorisationError> {
    if public_key.len() != BIOMETRIC_PUBLIC_KEY_LEN
        || signature.is_empty()
        || signature.len() > MAX_BIOMETRIC_SIGNATURE_LEN
    {
        return Err(AuthorisationError::BadSignature);
    }
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, public_key)
        .verify(message, signature)
        .map_err(|_| AuthorisationError::BadSignature)
}

/// A [`BiometricKey`] in memory, for desktop tools (`scanpay demo`) and
/// tests. **Not for phones:** it checks no biometric; anyone holding the
/// object can sign. Its switches simulate what a platform does: a cancelled
/// dialog, a lockout, a new enrolment that invalidates the key.
pub struct SoftwareBiometricKey {
    state: Mutex<SoftwareState>,
}

struct SoftwareState {
    /// The PKCS#8 document of the current key, wiped on drop.
    pkcs8: Option<Zeroizing<Vec<u8>>>,
    /// The outcome of the next `sign` (then cleared).
    fail_next: Option<BiometricError>,
    /// A new enrolment happened: every `sign` is `KeyInvalidated` until
    /// `create_key`.
    invalidated: bool,
    availability: BiometricAvailability,
}

impl Default for SoftwareBiometricKey {
    fn default() -> Self {
        SoftwareBiometricKey::new()
    }
}

impl std::fmt::Debug for SoftwareBiometricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("SoftwareBiometricKey")
            .field("has_key", &s.pkcs8.is_some())
            .field("invalidated", &s.invalidated)
            .field("availability", &s.availability)
            .finish_non_exhaustive()
    }
}

impl SoftwareBiometricKey {
    /// No key yet, biometrics available.
    pub fn new() -> SoftwareBiometricKey {
        SoftwareBiometricKey {
            state: Mutex::new(SoftwareState {
                pkcs8: None,
                fail_next: None,
                invalidated: false,
                availability: BiometricAvailability::Available,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SoftwareState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The next `sign` fails with `error` (a cancelled dialog, a lockout…).
    pub fn fail_next(&self, error: BiometricError) {
        self.lock().fail_next = Some(error);
    }

    /// Simulates a new biometric enrolment: the key is invalidated, every
    /// `sign` answers [`BiometricError::KeyInvalidated`] until `create_key`.
    pub fn invalidate(&self) {
        self.lock().invalidated = true;
    }

    /// Sets what `availability` answers (and `LockedOut`/`NotEnrolled`/
    /// `NoHardware` make `sign` fail the same way).
    pub fn set_availability(&self, availability: BiometricAvailability) {
        self.lock().availability = availability;
    }
}

impl BiometricKey for SoftwareBiometricKey {
    fn availability(&self) -> BiometricAvailability {
        self.lock().availability
    }

    fn create_key(&self) -> Result<Vec<u8>, BiometricError> {
        let rng = SystemRandom::new();
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).map_err(|_| {
                BiometricError::Failed {
                    message: "P-256 key generation failed".to_string(),
                }
            })?;
        let pkcs8 = Zeroizing::new(doc.as_ref().to_vec());
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &rng)
            .map_err(|_| BiometricError::Failed {
                message: "P-256 key rejected".to_string(),
            })?;
        let public = pair.public_key().as_ref().to_vec();
        let mut s = self.lock();
        s.pkcs8 = Some(pkcs8);
        s.invalidated = false;
        Ok(public)
    }

    fn sign(
        &self,
        challenge: &[u8],
        _prompt: &BiometricPromptText,
    ) -> Result<Vec<u8>, BiometricError> {
        let pkcs8 = {
            let mut s = self.lock();
            match s.availability {
                BiometricAvailability::Available => {}
                BiometricAvailability::NotEnrolled => return Err(BiometricError::NotEnrolled),
                BiometricAvailability::NoHardware => return Err(BiometricError::Unavailable),
                BiometricAvailability::LockedOut => return Err(BiometricError::LockedOut),
            }
            if let Some(e) = s.fail_next.take() {
                return Err(e);
            }
            if s.invalidated {
                return Err(BiometricError::KeyInvalidated);
            }
            s.pkcs8.clone().ok_or(BiometricError::KeyMissing)?
        };
        let rng = SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &pkcs8, &rng)
            .map_err(|_| BiometricError::Failed {
                message: "P-256 key rejected".to_string(),
            })?;
        pair.sign(&rng, challenge)
            .map(|sig| sig.as_ref().to_vec())
            .map_err(|_| BiometricError::Failed {
                message: "signing failed".to_string(),
            })
    }

    fn delete_key(&self) -> Result<(), BiometricError> {
        let mut s = self.lock();
        s.pkcs8 = None;
        s.invalidated = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt() -> BiometricPromptText {
        BiometricPromptText {
            title: "Pay SGD 4.50".into(),
            subtitle: "to KOPI CORNER".into(),
            cancel: "Use PIN".into(),
        }
    }

    #[test]
    fn a_software_signature_verifies_only_for_its_message_and_key() {
        let k = SoftwareBiometricKey::new();
        let public = k.create_key().unwrap();
        let point = biometric_public_key(&public).unwrap();
        let sig = k.sign(b"challenge", &prompt()).unwrap();
        assert!(sig.len() <= MAX_BIOMETRIC_SIGNATURE_LEN);
        verify_biometric_signature(&point, b"challenge", &sig).unwrap();
        assert_eq!(
            verify_biometric_signature(&point, b"challengE", &sig),
            Err(AuthorisationError::BadSignature)
        );
        let other = SoftwareBiometricKey::new();
        let other_point = biometric_public_key(&other.create_key().unwrap()).unwrap();
        assert_eq!(
            verify_biometric_signature(&other_point, b"challenge", &sig),
            Err(AuthorisationError::BadSignature)
        );
    }

    #[test]
    fn the_spki_form_normalises_to_the_point() {
        let k = SoftwareBiometricKey::new();
        let point = k.create_key().unwrap();
        let mut spki = P256_SPKI_PREFIX.to_vec();
        spki.extend_from_slice(&point);
        assert_eq!(biometric_public_key(&spki).unwrap().to_vec(), point);
        assert_eq!(
            biometric_public_key(&spki[1..]),
            Err(BiometricKeyError::Malformed(90))
        );
        let mut compressed_tag = point.clone();
        compressed_tag[0] = 0x02;
        assert!(biometric_public_key(&compressed_tag).is_err());
        let mut off_curve = point.clone();
        off_curve[64] ^= 1;
        assert_eq!(
            biometric_public_key(&off_curve),
            Err(BiometricKeyError::NotOnCurve)
        );
    }

    #[test]
    fn the_switches_give_typed_outcomes_and_never_a_signature() {
        let k = SoftwareBiometricKey::new();
        assert_eq!(k.sign(b"x", &prompt()), Err(BiometricError::KeyMissing));
        k.create_key().unwrap();
        k.fail_next(BiometricError::Cancelled);
        assert_eq!(k.sign(b"x", &prompt()), Err(BiometricError::Cancelled));
        assert!(k.sign(b"x", &prompt()).is_ok(), "fail_next is one-shot");
        k.invalidate();
        assert_eq!(k.sign(b"x", &prompt()), Err(BiometricError::KeyInvalidated));
        assert!(BiometricError::KeyInvalidated.key_lost());
        k.create_key().unwrap();
        k.set_availability(BiometricAvailability::LockedOut);
        assert_eq!(k.sign(b"x", &prompt()), Err(BiometricError::LockedOut));
        assert!(!BiometricError::LockedOut.key_lost());
    }
}
