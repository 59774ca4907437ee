//! The signing side: registry documents and signed merchant payloads.
//!
//! Used by tests, the sandbox backend and the CLI demo — a wallet never signs.
//!
//! Secret material: [`SigningKey`] holds a `ring` key pair, whose secret scalar
//! lives inside `ring`'s own types (ring does not zeroize them on drop; ScanPay
//! has no `zeroize` dependency yet). [`Pkcs8Secret`] holds an encoded private
//! key as bytes and overwrites them with zeros on drop (a best-effort volatile
//! loop is not available without `unsafe`, so the compiler may in principle
//! elide it; treat it as hygiene, not a guarantee). Neither type prints its
//! secret in `Debug`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING,
};
use thiserror::Error;

use super::keys::{Algorithm, PublicKey};
use super::registry::{registry_signed_bytes, DocumentSignature, RegistryDocument, RegistryJson};
use super::signed_qr::{
    self, is_valid_key_id, is_valid_nonce, DynamicInfo, SignatureInfo, MAX_PAYLOAD_BYTES,
};
use crate::payload::mpm::{MerchantPayload, MpmError};
use crate::payload::tlv::{self, TlvError};

/// Bytes of randomness in a generated nonce (16 base64url characters).
pub const NONCE_BYTES: usize = 12;

/// Signing failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IssueError {
    /// The private key was rejected by `ring`.
    #[error("private key rejected: {0}")]
    KeyRejected(String),
    /// The system random generator failed.
    #[error("random generator failed")]
    Random,
    /// Signing failed inside `ring`.
    #[error("signing failed")]
    Signing,
    /// The unsigned payload is not TLV.
    #[error("payload is not TLV: {0}")]
    Tlv(#[from] TlvError),
    /// The unsigned payload is too long.
    #[error("payload is too long")]
    TooLong,
    /// The unsigned payload already carries ScanPay templates.
    #[error("payload is already signed")]
    AlreadySigned,
    /// Fewer than three unreserved IDs (80–99) are free.
    #[error("fewer than three template IDs in 80-99 are free")]
    NoFreeTemplateIds,
    /// The key id is not well-formed.
    #[error("key id {0:?} is not 1-32 characters of A-Z a-z 0-9 . _ : -")]
    BadKeyId(String),
    /// The nonce is not well-formed.
    #[error("nonce must be 16-32 base64url characters")]
    BadNonce,
    /// The signed result is not a valid MPM payload (too long, for example).
    #[error("signed payload is not valid MPM: {0}")]
    Mpm(#[from] MpmError),
    /// The registry could not be serialised.
    #[error("registry serialisation failed: {0}")]
    Json(String),
}

/// An encoded PKCS#8 private key. `Debug` is redacted; zeroed on drop.
pub struct Pkcs8Secret(Vec<u8>);

impl Pkcs8Secret {
    /// Wraps PKCS#8 bytes.
    pub fn new(bytes: Vec<u8>) -> Pkcs8Secret {
        Pkcs8Secret(bytes)
    }

    /// The PKCS#8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Pkcs8Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pkcs8Secret(<redacted>)")
    }
}

impl Drop for Pkcs8Secret {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(|b| *b = 0);
    }
}

enum Pair {
    Ed(Ed25519KeyPair),
    Ec(EcdsaKeyPair),
}

/// A private signing key (merchant or root). `Debug` shows only the public key.
pub struct SigningKey {
    pair: Pair,
    public: PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("public", &self.public)
            .field("secret", &"<redacted>")
            .finish()
    }
}

fn rejected(e: ring::error::KeyRejected) -> IssueError {
    IssueError::KeyRejected(e.to_string())
}

impl SigningKey {
    /// An Ed25519 key from a 32-byte seed (deterministic; for test vectors and
    /// for keys kept as seeds in a secure store).
    pub fn ed25519_from_seed(seed: &[u8; 32]) -> Result<SigningKey, IssueError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(rejected)?;
        SigningKey::from_pair(Pair::Ed(pair))
    }

    /// A key from PKCS#8 bytes (v1 or v2 for Ed25519, v1 with public key for P-256).
    pub fn from_pkcs8(algorithm: Algorithm, pkcs8: &[u8]) -> Result<SigningKey, IssueError> {
        let pair = match algorithm {
            Algorithm::Ed25519 => {
                Pair::Ed(Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8).map_err(rejected)?)
            }
            Algorithm::EcdsaP256Sha256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    pkcs8,
                    &SystemRandom::new(),
                )
                .map_err(rejected)?,
            ),
        };
        SigningKey::from_pair(pair)
    }

    /// Generates a new private key as PKCS#8.
    pub fn generate_pkcs8(
        algorithm: Algorithm,
        rng: &dyn SecureRandom,
    ) -> Result<Pkcs8Secret, IssueError> {
        let doc = match algorithm {
            Algorithm::Ed25519 => Ed25519KeyPair::generate_pkcs8(rng),
            Algorithm::EcdsaP256Sha256 => {
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng)
            }
        }
        .map_err(|_| IssueError::Random)?;
        Ok(Pkcs8Secret(doc.as_ref().to_vec()))
    }

    fn from_pair(pair: Pair) -> Result<SigningKey, IssueError> {
        let (alg, bytes) = match &pair {
            Pair::Ed(p) => (Algorithm::Ed25519, p.public_key().as_ref().to_vec()),
            Pair::Ec(p) => (Algorithm::EcdsaP256Sha256, p.public_key().as_ref().to_vec()),
        };
        let public =
            PublicKey::new(alg, &bytes).map_err(|e| IssueError::KeyRejected(e.to_string()))?;
        Ok(SigningKey { pair, public })
    }

    /// The public half.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.public.algorithm()
    }

    /// Signs `message`: 64 bytes for both algorithms (P-256 in fixed `r || s`
    /// form, with a fresh random nonce from the system generator).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, IssueError> {
        match &self.pair {
            Pair::Ed(p) => Ok(p.sign(message).as_ref().to_vec()),
            Pair::Ec(p) => p
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| IssueError::Signing),
        }
    }
}

/// A fresh nonce for a dynamic code: 12 random bytes as 16 base64url characters.
pub fn random_nonce(rng: &dyn SecureRandom) -> Result<String, IssueError> {
    let mut b = [0u8; NONCE_BYTES];
    rng.fill(&mut b).map_err(|_| IssueError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(b))
}

/// Signs an MPM payload with a merchant key.
///
/// `payload` is a complete payload (its CRC object, if any, is dropped and
/// recomputed; it is not checked). The signature-info template and the two
/// signature-value templates take the three lowest free IDs in 80–99 and are
/// appended after the existing objects, then `6304` and the new CRC. The result
/// is checked with [`MerchantPayload::parse`] before it is returned.
pub fn sign_payload(
    payload: &str,
    key: &SigningKey,
    key_id: &str,
    dynamic: Option<DynamicInfo>,
) -> Result<String, IssueError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(IssueError::TooLong);
    }
    if !is_valid_key_id(key_id) {
        return Err(IssueError::BadKeyId(key_id.to_string()));
    }
    if let Some(d) = &dynamic {
        if !is_valid_nonce(&d.nonce) {
            return Err(IssueError::BadNonce);
        }
    }
    let objects = tlv::parse(payload)?;
    if objects
        .iter()
        .any(|o| signed_qr::scanpay_children(o).is_some())
    {
        return Err(IssueError::AlreadySigned);
    }
    let mut used = [false; 100];
    let mut body = String::with_capacity(payload.len() + 240);
    for o in &objects {
        if let Some(slot) = used.get_mut(usize::from(o.id)) {
            *slot = true;
        }
        if o.id != 63 {
            body.push_str(payload.get(o.span.clone()).unwrap_or_default());
        }
    }
    let free: Vec<u8> = (80u8..=99)
        .filter(|id| !used.get(usize::from(*id)).copied().unwrap_or(true))
        .take(3)
        .collect();
    let [info_id, first_id, second_id] = free[..] else {
        return Err(IssueError::NoFreeTemplateIds);
    };
    let info = SignatureInfo {
        algorithm: key.algorithm(),
        key_id: key_id.to_string(),
        dynamic,
    };
    tlv::encode_into(&mut body, info_id, &signed_qr::encode_info(&info)?)?;
    let mut message = signed_qr::SIGNED_BYTES_PREFIX.to_vec();
    message.extend_from_slice(body.as_bytes());
    let sig = key.sign(&message)?;
    let (first, second) = signed_qr::encode_signature(&sig)?;
    tlv::encode_into(&mut body, first_id, &first)?;
    tlv::encode_into(&mut body, second_id, &second)?;
    body.push_str("6304");
    let crc = tlv::crc16_ccitt_false(body.as_bytes());
    body.push_str(&tlv::crc_hex(crc));
    MerchantPayload::parse(&body)?;
    Ok(body)
}

/// Serialises `registry` once and signs those bytes with every root in `roots`,
/// returning the document bytes (`{"payload": …, "signatures": […]}`).
pub fn sign_registry(
    registry: &RegistryJson,
    roots: &[(&str, &SigningKey)],
) -> Result<Vec<u8>, IssueError> {
    let payload = serde_json::to_vec(registry).map_err(|e| IssueError::Json(e.to_string()))?;
    sign_registry_bytes(&payload, roots)
}

/// Signs exact registry JSON bytes with every root in `roots`.
pub fn sign_registry_bytes(
    payload: &[u8],
    roots: &[(&str, &SigningKey)],
) -> Result<Vec<u8>, IssueError> {
    let message = registry_signed_bytes(payload);
    let mut signatures = Vec::with_capacity(roots.len());
    for (key_id, key) in roots {
        signatures.push(DocumentSignature {
            key_id: (*key_id).to_string(),
            alg: key.algorithm(),
            sig: URL_SAFE_NO_PAD.encode(key.sign(&message)?),
        });
    }
    let doc = RegistryDocument {
        payload: URL_SAFE_NO_PAD.encode(payload),
        signatures,
    };
    serde_json::to_vec_pretty(&doc).map_err(|e| IssueError::Json(e.to_string()))
}
