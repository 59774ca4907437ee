//! Signature algorithms and public keys: the one place where `ring` verifies.
//!
//! Every signature ScanPay checks — a merchant's QR signature, a root's
//! signature over the key registry — goes through [`PublicKey::verify`], and the
//! Wycheproof suites (`core/tests/wycheproof.rs`) run through the same function,
//! so what is tested is what ships.
//!
//! Both algorithms produce 64-byte signatures: Ed25519 natively, ECDSA P-256 in
//! the fixed-length `r || s` form (IEEE P1363), never DER. A fixed length keeps
//! the QR layout fixed and removes the DER parsing surface altogether.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
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
    /// Wraps raw public key bytes, checking their length (and, for P-256, the
    /// uncompressed-point prefix). Whether the point is on the curve is checked
    /// by `ring` at verification time, which then fails as [`BadSignature`].
    pub fn new(algorithm: Algorithm, bytes: &[u8]) -> Result<PublicKey, KeyError> {
        let expected = algorithm.public_key_len();
        if bytes.len() != expected {
            return Err(KeyError::WrongLength {
                algorithm,
                got: bytes.len(),
                expected,
            });
        }
        if algorithm == Algorithm::EcdsaP256Sha256 && bytes.first() != Some(&0x04) {
            return Err(KeyError::NotUncompressed);
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
        assert!(PublicKey::new(Algorithm::Ed25519, &[0u8; 32]).is_ok());
        assert_eq!(
            PublicKey::from_base64url(Algorithm::Ed25519, "not base64!"),
            Err(KeyError::BadEncoding)
        );
    }

    #[test]
    fn garbage_signature_is_bad_not_panic() {
        let k = PublicKey::new(Algorithm::EcdsaP256Sha256, &[4u8; 65]);
        assert!(k.is_ok());
        if let Ok(k) = k {
            assert_eq!(k.verify(b"m", &[0u8; 64]), Err(BadSignature));
            assert_eq!(k.verify(b"m", &[]), Err(BadSignature));
        }
    }
}
