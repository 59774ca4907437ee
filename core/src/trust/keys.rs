//! Signature algorithms and public keys: the one place where `ring` verifies.
//!
//! Every signature ScanPay checks — a merchant's QR signature, a root's
//! signature over the key registry — goes through [`PublicKey::verify`], and the
//! Wycheproof suites (`core/tests/it/wycheproof.rs`) run through the same function,
//! so what is tested is what ships.
//!
//! Both algorithms produce 64-byte signatures: Ed25519 natively, ECDSA P-256 in
//! the fixed-length `r || s` form (IEEE P1363), never DER. A fixed length keeps
//! the QR layout fixed and removes the DER parsing surface altogether.
//!
//! Public keys are validated when they are *loaded* ([`PublicKey::new`]), not
//! when they first verify: a root, a registry entry or a device key that is not
//! a sound point is refused with a [`KeyError`] before anything trusts it.
//! ADR 0011 (`docs/decisions/0011-public-key-validation.md`) says why and how:
//!
//! * **Ed25519**: the 32 bytes must be the canonical encoding of a point of
//!   prime order ℓ. A small-order key (the identity, all-zero bytes, the other
//!   torsion points) makes trivial signatures verify — `ring`, like RFC 8032's
//!   cofactorless check, accepts them — so one such entry in a registry would
//!   let anyone sign codes as that merchant. Checked with `curve25519-dalek`.
//! * **P-256**: `04 || x || y` with `x, y < p`, on the curve (the point at
//!   infinity has no such encoding). P-256 has cofactor 1, so every such point
//!   has prime order. Checked by `ring`'s ECDH peer-key validation (NIST SP
//!   800-56A partial public-key validation), so no second P-256 implementation
//!   ships.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ring::agreement::{self, EphemeralPrivateKey, ECDH_P256};
use ring::rand::SystemRandom;
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ED25519};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Length in bytes of every signature ScanPay accepts (both algorithms).
pub const SIGNATURE_LEN: usize = 64;

/// A signature algorithm ScanPay accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Algorithm {
    /// Ed25519 (RFC 8032), 32-byte public keys.
    #[serde(rename = "ed25519")]
    Ed25519,
    /// ECDSA over P-256 with SHA-256, fixed-length `r || s` signatures,
    /// uncompressed 65-byte public keys (`04 || x || y`).
    #[serde(rename = "ecdsa-p256-sha256")]
    EcdsaP256Sha256,
}

impl Algorithm {
    /// The two-letter code written in the QR signature-info template (sub-ID 02).
    pub fn qr_code(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ED",
            Algorithm::EcdsaP256Sha256 => "ES",
        }
    }

    /// Parses the QR code of an algorithm. Exact match: the code is signed, so
    /// there is no reason to be lenient about its case.
    pub fn from_qr_code(code: &str) -> Option<Algorithm> {
        match code {
            "ED" => Some(Algorithm::Ed25519),
            "ES" => Some(Algorithm::EcdsaP256Sha256),
            _ => None,
        }
    }

    /// The name used in JSON documents (`ed25519`, `ecdsa-p256-sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::EcdsaP256Sha256 => "ecdsa-p256-sha256",
        }
    }

    /// Length in bytes of a public key of this algorithm.
    pub fn public_key_len(self) -> usize {
        match self {
            Algorithm::Ed25519 => 32,
            Algorithm::EcdsaP256Sha256 => 65,
        }
    }
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A public key was rejected before any signature was checked.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyError {
    /// The key has the wrong length for its algorithm.
    #[error("{algorithm} public key is {got} bytes, expected {expected}")]
    WrongLength {
        /// The key's algorithm.
        algorithm: Algorithm,
        /// Length found.
        got: usize,
        /// Length required.
        expected: usize,
    },
    /// A P-256 key is not in uncompressed form (first byte 0x04).
    #[error("ECDSA P-256 public key is not uncompressed (first byte is not 0x04)")]
    NotUncompressed,
    /// The key's text is not unpadded base64url.
    #[error("public key is not unpadded base64url")]
    BadEncoding,
    /// The key's text is base64url *with* `=` padding. Keys are written
    /// unpadded; a padded one is refused rather than silently accepted so that
    /// every key has exactly one written form.
    #[error("public key is padded base64url ('='); keys are written unpadded")]
    Padded,
    /// The Ed25519 key is not a canonical encoding: its y coordinate is not
    /// below the field prime p = 2^255 - 19, or it encodes x = 0 with the sign
    /// bit set. Another, canonical, encoding names the same point.
    #[error("Ed25519 public key is not canonically encoded (y >= p or a negative zero x)")]
    NonCanonical,
    /// The key's bytes are not a point of the curve: an Ed25519 y with no
    /// matching x, or a P-256 `04 || x || y` whose coordinates are not below p
    /// or do not satisfy the curve equation.
    #[error("{0} public key is not a point on the curve")]
    NotOnCurve(Algorithm),
    /// The Ed25519 key is a point of small order (one of the eight torsion
    /// points, the identity and all-zero bytes among them) or of mixed order
    /// (a torsion component added to a good key). Signatures under such a key
    /// can be forged without any secret, so it is never trusted.
    #[error("Ed25519 public key is not of prime order (small-order or mixed-order point)")]
    WeakKey,
    /// The system random generator failed while a P-256 key was validated
    /// (the check runs an ECDH with a fresh ephemeral key). Not a property of
    /// the key: retrying may succeed.
    #[error("P-256 public key could not be validated: the system random generator failed")]
    ValidationUnavailable,
}

impl KeyError {
    /// A stable kebab-case code for the error (CLI output, test vectors).
    pub fn code(&self) -> &'static str {
        match self {
            KeyError::WrongLength { .. } => "wrong-length",
            KeyError::NotUncompressed => "not-uncompressed",
            KeyError::BadEncoding => "bad-encoding",
            KeyError::Padded => "padded",
            KeyError::NonCanonical => "non-canonical",
            KeyError::NotOnCurve(_) => "not-on-curve",
            KeyError::WeakKey => "weak-key",
            KeyError::ValidationUnavailable => "validation-unavailable",
        }
    }
}

/// A signature did not verify. Deliberately carries no detail: a verifier that
/// explains *why* a signature failed only helps someone forging one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("signature does not verify")]
pub struct BadSignature;

/// A public key of a known algorithm, length-checked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    algorithm: Algorithm,
    bytes: Vec<u8>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({}, {})", self.algorithm, self.to_base64url())
    }
}

impl PublicKey {
    /// Wraps raw public key bytes after validating them: the length, and that
    /// they encode a point of prime order (see the module docs). Every
    /// `PublicKey` — pinned roots, registry merchant keys, keys derived from a
    /// signing key — is built here, so no unchecked key can exist.
    pub fn new(algorithm: Algorithm, bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let expected = algorithm.public_key_len();
        if bytes.len() != expected {
            return Err(KeyError::WrongLength {
                algorithm,
                got: bytes.len(),
                expected,
            });
        }
        match algorithm {
            Algorithm::Ed25519 => check_ed25519_point(bytes)?,
            Algorithm::EcdsaP256Sha256 => {
                if bytes.first() != Some(&0x04) {
                    return Err(KeyError::NotUncompressed);
                }
                check_p256_point(bytes)?;
            }
        }
        Ok(PublicKey {
            algorithm,
            bytes: bytes.to_vec(),
        })
    }

    /// Parses a key written as unpadded base64url (the form used in JSON documents).
    pub fn from_base64url(algorithm: Algorithm, text: &str) -> Result<PublicKey, KeyError> {
        // A P-256 key is 88 characters; anything much longer is not a key.
        if text.len() > 128 {
            return Err(KeyError::BadEncoding);
        }
        // Named apart from other bad text: a padded key is the one mistake an
        // issuer following a generic base64 library is likely to make.
        if text.ends_with('=') {
            return Err(KeyError::Padded);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| KeyError::BadEncoding)?;
        PublicKey::new(algorithm, &bytes)
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The raw key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key as unpadded base64url.
    pub fn to_base64url(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.bytes)
    }

    /// Verifies `signature` over `message`. Any failure — wrong length, a key
    /// that is not a valid point, a signature that does not match — is the same
    /// [`BadSignature`].
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        let alg: &dyn ring::signature::VerificationAlgorithm = match self.algorithm {
            Algorithm::Ed25519 => &ED25519,
            Algorithm::EcdsaP256Sha256 => &ECDSA_P256_SHA256_FIXED,
        };
        UnparsedPublicKey::new(alg, &self.bytes)
            .verify(message, signature)
            .map_err(|_| BadSignature)
    }
}

/// Ed25519: canonical encoding of a point in the prime-order subgroup.
fn check_ed25519_point(bytes: &[u8]) -> Result<(), KeyError> {
    let compressed = CompressedEdwardsY::from_slice(bytes).map_err(|_| KeyError::WrongLength {
        algorithm: Algorithm::Ed25519,
        got: bytes.len(),
        expected: 32,
    })?;
    let point = compressed
        .decompress()
        .ok_or(KeyError::NotOnCurve(Algorithm::Ed25519))?;
    // `decompress` reduces y modulo p and ignores a sign bit on x = 0, so a
    // non-canonical encoding decompresses to a valid point: re-encoding it
    // gives other bytes. Refused so that one key has one byte form (the
    // registry's duplicate-key checks compare bytes).
    if point.compress() != compressed {
        return Err(KeyError::NonCanonical);
    }
    // Small order: [8]P = identity (the eight torsion points). Mixed order:
    // [ℓ]P ≠ identity (a torsion component added to a prime-order point).
    // Both are needed: the identity is torsion-free but of order 1.
    if point.is_small_order() || !point.is_torsion_free() {
        return Err(KeyError::WeakKey);
    }
    Ok(())
}

/// P-256: `ring`'s ECDH validates the peer's public key before using it
/// (`04` prefix, x and y below p, on the curve; infinity has no encoding).
/// An ECDH with a throw-away ephemeral key therefore fails exactly when the
/// key is not a valid point, and P-256's cofactor of 1 makes every valid
/// point one of prime order. This reuses the P-256 code already shipped for
/// ECDSA instead of adding a second implementation (ADR 0011).
fn check_p256_point(bytes: &[u8]) -> Result<(), KeyError> {
    let rng = SystemRandom::new();
    let ephemeral = EphemeralPrivateKey::generate(&ECDH_P256, &rng)
        .map_err(|_| KeyError::ValidationUnavailable)?;
    let peer = agreement::UnparsedPublicKey::new(&ECDH_P256, bytes);
    agreement::agree_ephemeral(ephemeral, &peer, |_shared| ())
        .map_err(|_| KeyError::NotOnCurve(Algorithm::EcdsaP256Sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithm_codes_round_trip() {
        for alg in [Algorithm::Ed25519, Algorithm::EcdsaP256Sha256] {
            assert_eq!(Algorithm::from_qr_code(alg.qr_code()), Some(alg));
        }
        assert_eq!(Algorithm::from_qr_code("ed"), None);
        assert_eq!(Algorithm::from_qr_code(""), None);
    }

    #[test]
    fn key_lengths_are_checked() {
        assert!(matches!(
            PublicKey::new(Algorithm::Ed25519, &[0u8; 31]),
            Err(KeyError::WrongLength { got: 31, .. })
        ));
        assert_eq!(
            PublicKey::new(Algorithm::EcdsaP256Sha256, &[0u8; 65]),
            Err(KeyError::NotUncompressed)
        );
        assert_eq!(
            PublicKey::new(Algorithm::EcdsaP256Sha256, &[0u8; 64]),
            Err(KeyError::WrongLength {
                algorithm: Algorithm::EcdsaP256Sha256,
                got: 64,
                expected: 65
            })
        );
        assert_eq!(
            PublicKey::from_base64url(Algorithm::Ed25519, "not base64!"),
            Err(KeyError::BadEncoding)
        );
    }

    #[test]
    fn all_zero_and_identity_keys_are_refused() {
        // All-zero bytes are y = 0, a point of order 4; the identity is y = 1.
        // Under either, trivial signatures verify.
        assert_eq!(
            PublicKey::new(Algorithm::Ed25519, &[0u8; 32]),
            Err(KeyError::WeakKey)
        );
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            PublicKey::new(Algorithm::Ed25519, &identity),
            Err(KeyError::WeakKey)
        );
        // 04 || 0 || 0 and 04 || 4…: not on P-256.
        let mut zero = [0u8; 65];
        zero[0] = 4;
        assert_eq!(
            PublicKey::new(Algorithm::EcdsaP256Sha256, &zero),
            Err(KeyError::NotOnCurve(Algorithm::EcdsaP256Sha256))
        );
        assert_eq!(
            PublicKey::new(Algorithm::EcdsaP256Sha256, &[4u8; 65]),
            Err(KeyError::NotOnCurve(Algorithm::EcdsaP256Sha256))
        );
    }

    #[test]
    fn padded_key_text_is_its_own_error() {
        // 32 bytes are 43 characters unpadded, 44 with one '='.
        let good = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
        assert!(PublicKey::from_base64url(Algorithm::Ed25519, good).is_ok());
        assert_eq!(
            PublicKey::from_base64url(Algorithm::Ed25519, &format!("{good}=")),
            Err(KeyError::Padded)
        );
    }

    #[test]
    fn garbage_signature_is_bad_not_panic() {
        // RFC 8032 test 1's public key.
        let k = PublicKey::from_base64url(
            Algorithm::Ed25519,
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
        );
        assert!(k.is_ok());
        if let Ok(k) = k {
            assert_eq!(k.verify(b"m", &[0u8; 64]), Err(BadSignature));
            assert_eq!(k.verify(b"m", &[]), Err(BadSignature));
        }
    }
}
