//! The merchant key registry: which key belongs to which merchant, name, city
//! and accounts, as signed by the acquirer's root keys.
//!
//! A registry travels as a *document*:
//!
//! ```json
//! {"payload": "<base64url of the registry JSON bytes>",
//!  "signatures": [{"key_id": "root-1", "alg": "ed25519", "sig": "<base64url>"}]}
//! ```
//!
//! Each root signs `REGISTRY_SIGNED_PREFIX || payload bytes`: the exact bytes,
//! never a re-serialisation. The registry JSON inside is parsed only after
//! enough pinned roots (the threshold in `roots.json`, 1 by default) have
//! verified those bytes, so a JSON parser bug is not reachable by anyone
//! without a root key.

use std::collections::{BTreeMap, HashMap, HashSet};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::keys::{Algorithm, KeyError, PublicKey};
use super::signed_qr::is_valid_key_id;

/// Largest registry document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Largest `roots.json` accepted, in bytes.
pub const MAX_ROOTS_BYTES: usize = 16 * 1024;
/// Most merchant keys one registry may hold.
pub const MAX_KEYS: usize = 20_000;
/// Most signatures one document may carry (more is not a registry, it is a puzzle).
pub const MAX_DOCUMENT_SIGNATURES: usize = 16;
/// Most pinned root keys.
pub const MAX_ROOTS: usize = 16;
/// Most accounts one merchant key may list.
pub const MAX_ACCOUNTS_PER_KEY: usize = 16;
/// The registry JSON format this code understands.
pub const REGISTRY_FORMAT: u32 = 1;
/// Domain-separation prefix of the bytes a root signs.
pub const REGISTRY_SIGNED_PREFIX: &[u8] = b"scanpay:registry:v1\n";

/// `roots.json` or a registry document could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    /// The input is larger than its cap.
    #[error("document is {got} bytes, at most {max} are accepted")]
    TooLarge {
        /// Size of the input.
        got: usize,
        /// The cap.
        max: usize,
    },
    /// The outer JSON (document or roots file) is malformed.
    #[error("malformed JSON: {0}")]
    Json(String),
    /// The document's payload is not unpadded base64url.
    #[error("document payload is not unpadded base64url")]
    PayloadEncoding,
    /// Too few distinct pinned roots produced a valid signature.
    #[error("{valid} valid root signature(s), {threshold} required")]
    NotEnoughSignatures {
        /// Distinct pinned roots whose signature verified.
        valid: usize,
        /// Required count.
        threshold: usize,
    },
    /// The document carries more than [`MAX_DOCUMENT_SIGNATURES`] signatures.
    #[error("document carries {0} signatures, more than accepted")]
    TooManySignatures(usize),
    /// The signed registry JSON is malformed (it was signed, so this is an issuer bug).
    #[error("signed registry content is malformed: {0}")]
    Content(String),
    /// The registry's format number is not [`REGISTRY_FORMAT`].
    #[error("registry format {0} is not supported")]
    UnsupportedFormat(u32),
    /// A key entry is invalid.
    #[error("registry entry {key_id:?} is invalid: {why}")]
    BadEntry {
        /// The entry's key id.
        key_id: String,
        /// What is wrong.
        why: String,
    },
    /// Two entries share a key id.
    #[error("key id {0:?} appears twice")]
    DuplicateKeyId(String),
    /// More than [`MAX_KEYS`] entries.
    #[error("registry holds {0} keys, more than accepted")]
    TooManyKeys(usize),
    /// The offered version is older than the one in use.
    #[error("registry version {offered} is older than version {current} already in use")]
    Rollback {
        /// Version in use.
        current: u64,
        /// Version offered.
        offered: u64,
    },
    /// The offered version equals the one in use but its bytes differ.
    #[error("registry version {0} offered with different content")]
    VersionConflict(u64),
    /// A merchant key in the registry is refused at load: not a valid point
    /// of prime order, padded, or otherwise not a key (see [`KeyError`]).
    /// The whole document is refused: a registry is signed as one unit.
    #[error("registry entry {key_id:?} has an unusable public key: {error}")]
    BadKey {
        /// The entry's key id.
        key_id: String,
        /// Why the key was refused.
        error: KeyError,
    },
    /// A pinned root's public key is refused at load (see [`KeyError`]): a
    /// small-order root would let anyone sign registries.
    #[error("root {key_id:?} has an unusable public key: {error}")]
    BadRootKey {
        /// The root's key id.
        key_id: String,
        /// Why the key was refused.
        error: KeyError,
    },
    /// A signature by a pinned root is not unpadded base64url (for example it
    /// carries `=` padding). Refused rather than skipped, so that an issuer's
    /// encoding mistake is named instead of surfacing as too few signatures.
    #[error("signature by root {key_id:?} is not unpadded base64url{}", if *.padded { " ('=' padding is not accepted)" } else { "" })]
    SignatureEncoding {
        /// The root the signature claims.
        key_id: String,
        /// Whether the text carried `=` padding.
        padded: bool,
    },
    /// The roots file is unusable.
    #[error("roots file is invalid: {0}")]
    BadRoots(String),
    /// The document names another registry than the one in use.
    #[error("document is registry {offered:?}, the store holds {current:?}")]
    DifferentRegistry {
        /// Registry id in use.
        current: String,
        /// Registry id offered.
        offered: String,
    },
}

impl RegistryError {
    /// A stable kebab-case code for the error (CLI output, test vectors).
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::TooLarge { .. } => "too-large",
            RegistryError::Json(_) => "malformed-json",
            RegistryError::PayloadEncoding => "payload-encoding",
            RegistryError::NotEnoughSignatures { .. } => "not-enough-signatures",
            RegistryError::TooManySignatures(_) => "too-many-signatures",
            RegistryError::Content(_) => "malformed-content",
            RegistryError::UnsupportedFormat(_) => "unsupported-format",
            RegistryError::BadEntry { .. } => "bad-entry",
            RegistryError::DuplicateKeyId(_) => "duplicate-key-id",
            RegistryError::TooManyKeys(_) => "too-many-keys",
            RegistryError::Rollback { .. } => "rollback",
            RegistryError::VersionConflict(_) => "version-conflict",
            RegistryError::BadKey { .. } => "bad-key",
            RegistryError::BadRootKey { .. } => "bad-root-key",
            RegistryError::SignatureEncoding { .. } => "signature-encoding",
            RegistryError::BadRoots(_) => "bad-roots",
            RegistryError::DifferentRegistry { .. } => "different-registry",
        }
    }
}

/// One pinned root key, as written in `roots.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootKeyJson {
    /// The root's key id, as named in document signatures.
    pub key_id: String,
    /// The root's algorithm.
    pub alg: Algorithm,
    /// The public key, unpadded base64url.
    pub public_key: String,
}

/// `roots.json`: the root keys a wallet build pins, and how many must sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootsJson {
    /// Distinct roots that must sign a registry document (default 1).
    #[serde(default = "one")]
    pub threshold: usize,
    /// The pinned roots.
    pub roots: Vec<RootKeyJson>,
}

fn one() -> usize {
    1
}

/// The pinned root keys and the signature threshold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootKeys {
    threshold: usize,
    keys: Vec<(String, PublicKey)>,
}

impl RootKeys {
    /// Builds a root set. `threshold` must be between 1 and the number of keys;
    /// key ids and public keys must both be unique.
    pub fn new(
        keys: Vec<(String, PublicKey)>,
        threshold: usize,
    ) -> Result<RootKeys, RegistryError> {
        if keys.is_empty() || keys.len() > MAX_ROOTS {
            return Err(RegistryError::BadRoots(format!(
                "{} root keys; 1 to {MAX_ROOTS} are accepted",
                keys.len()
            )));
        }
        if threshold == 0 || threshold > keys.len() {
            return Err(RegistryError::BadRoots(format!(
                "threshold {threshold} is not between 1 and {}",
                keys.len()
            )));
        }
        let mut ids = HashSet::new();
        let mut public_keys = HashSet::new();
        for (id, key) in &keys {
            if !is_valid_key_id(id) || !ids.insert(id.as_str()) {
                return Err(RegistryError::BadRoots(format!(
                    "root key id {id:?} is invalid or repeated"
                )));
            }
            // The threshold counts distinct key *ids*: one key pinned under two
            // ids would let a single signature (copied under both ids) satisfy
            // a 2-of-n threshold, silently turning k-of-n into 1-of-n.
            if !public_keys.insert(key.as_bytes()) {
                return Err(RegistryError::BadRoots(format!(
                    "root {id:?} repeats the public key of another root"
                )));
            }
        }
        Ok(RootKeys { threshold, keys })
    }

    /// Parses `roots.json` (capped at [`MAX_ROOTS_BYTES`]).
    pub fn from_json(bytes: &[u8]) -> Result<RootKeys, RegistryError> {
        if bytes.len() > MAX_ROOTS_BYTES {
            return Err(RegistryError::TooLarge {
                got: bytes.len(),
                max: MAX_ROOTS_BYTES,
            });
        }
        let parsed: RootsJson =
            serde_json::from_slice(bytes).map_err(|e| RegistryError::Json(e.to_string()))?;
        let mut keys = Vec::with_capacity(parsed.roots.len());
        for r in parsed.roots {
            let pk = PublicKey::from_base64url(r.alg, &r.public_key).map_err(|error| {
                RegistryError::BadRootKey {
                    key_id: r.key_id.clone(),
                    error,
                }
            })?;
            keys.push((r.key_id, pk));
        }
        RootKeys::new(keys, parsed.threshold)
    }

    /// The roots as `roots.json` content.
    pub fn to_json(&self) -> RootsJson {
        RootsJson {
            threshold: self.threshold,
            roots: self
                .keys
                .iter()
                .map(|(id, k)| RootKeyJson {
                    key_id: id.clone(),
                    alg: k.algorithm(),
                    public_key: k.to_base64url(),
                })
                .collect(),
        }
    }

    /// Distinct roots that must sign.
    pub fn threshold(&self) -> usize {
        self.threshold
    }

    fn get(&self, key_id: &str) -> Option<&PublicKey> {
        self.keys
            .iter()
            .find(|(id, _)| id == key_id)
            .map(|(_, k)| k)
    }
}

/// One root signature in a registry document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSignature {
    /// Which root signed.
    pub key_id: String,
    /// The root's algorithm (must match the pinned key's).
    pub alg: Algorithm,
    /// The signature, unpadded base64url.
    pub sig: String,
}

/// The signed envelope of a registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryDocument {
    /// Unpadded base64url of the registry JSON bytes that the roots signed.
    pub payload: String,
    /// Root signatures over `REGISTRY_SIGNED_PREFIX || payload bytes`.
    pub signatures: Vec<DocumentSignature>,
}

/// A merchant account as the registry records it.
///
/// The matching rule (see `docs/signed-qr.md`, "Accounts"): a payload account
/// object matches when it is the same kind and
/// * `template` (IDs 26–51): the GUID in its sub-ID 00 equals `guid` ignoring
///   ASCII case, **and** the set of its other sub-objects equals `fields`
///   exactly (same sub-IDs, byte-identical values, none missing, none extra);
/// * `primitive` (IDs 02–25): the object's ID equals `id` and its value equals
///   `value` byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RegisteredAccount {
    /// A merchant account information template (IDs 26–51).
    Template {
        /// The scheme GUID (sub-ID 00).
        guid: String,
        /// Every other sub-object, keyed by two-digit sub-ID.
        fields: BTreeMap<String, String>,
    },
    /// A primitive merchant account (IDs 02–25, e.g. card network PANs).
    Primitive {
        /// The top-level ID (2–25).
        id: u8,
        /// The object's value as it appears in the code (e.g. a card PAN),
        /// compared exactly.
        value: String,
    },
}

/// One merchant key entry in the registry JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MerchantKeyJson {
    /// Key id, as written in the QR's signature-info template.
    pub key_id: String,
    /// The acquirer's merchant id.
    pub merchant_id: String,
    /// Registered display name (what the wallet shows).
    pub name: String,
    /// Registered city.
    pub city: String,
    /// Accounts this key may sign for.
    pub accounts: Vec<RegisteredAccount>,
    /// The key's algorithm.
    pub alg: Algorithm,
    /// The public key, unpadded base64url.
    pub public_key: String,
    /// First second of validity (unix seconds, inclusive).
    pub not_before: u64,
    /// End of validity (unix seconds, exclusive).
    pub not_after: u64,
    /// Whether the key is revoked.
    #[serde(default)]
    pub revoked: bool,
}

/// The registry JSON that the roots sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistryJson {
    /// Format number, [`REGISTRY_FORMAT`].
    pub format: u32,
    /// Which registry this is (an acquirer or a sandbox).
    pub registry_id: String,
    /// Monotonic version; a wallet never goes back.
    pub version: u64,
    /// When it was issued (unix seconds). Informational: a value ahead of the
    /// wallet's clock is accepted (versions order registries, `expires_at`
    /// bounds staleness; see `docs/signed-qr.md`).
    pub issued_at: u64,
    /// When it goes stale (unix seconds); see the staleness policy.
    pub expires_at: u64,
    /// The merchant keys.
    pub keys: Vec<MerchantKeyJson>,
}

/// A merchant key after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantKey {
    /// Key id.
    pub key_id: String,
    /// Merchant id.
    pub merchant_id: String,
    /// Registered display name.
    pub name: String,
    /// Registered city.
    pub city: String,
    /// Accounts this key may sign for.
    pub accounts: Vec<RegisteredAccount>,
    /// The public key.
    pub public_key: PublicKey,
    /// Validity start (inclusive).
    pub not_before: u64,
    /// Validity end (exclusive).
    pub not_after: u64,
    /// Revoked flag.
    pub revoked: bool,
}

/// A verified, parsed registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registry {
    /// Registry id.
    pub registry_id: String,
    /// Version; a registry only replaces a cached one with a higher version
    /// (no rollback).
    pub version: u64,
    /// Issue time.
    pub issued_at: u64,
    /// Staleness time.
    pub expires_at: u64,
    /// SHA-256 of the registry payload bytes (the decoded `payload`, without
    /// the [`REGISTRY_SIGNED_PREFIX`] the roots sign), lower-case hex.
    pub payload_sha256: String,
    keys: HashMap<String, MerchantKey>,
}

impl Registry {
    /// Looks a key up by id.
    pub fn key(&self, key_id: &str) -> Option<&MerchantKey> {
        self.keys.get(key_id)
    }

    /// Number of keys.
    pub fn key_count(&self) -> usize {
        self.keys.len()
    }

    /// The registered name of merchant `merchant_id`, from one of its keys
    /// that is not revoked (the pay code shows it for a charge, whose event
    /// carries only the backend's word for the name). The smallest key id
    /// wins, so the answer does not depend on the map's order.
    pub fn merchant_name(&self, merchant_id: &str) -> Option<&str> {
        self.keys
            .values()
            .filter(|k| k.merchant_id == merchant_id && !k.revoked)
            .min_by(|a, b| a.key_id.cmp(&b.key_id))
            .map(|k| k.name.as_str())
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn bad(key_id: &str, why: impl Into<String>) -> RegistryError {
    RegistryError::BadEntry {
        key_id: key_id.to_string(),
        why: why.into(),
    }
}

fn validate_text(key_id: &str, what: &str, s: &str) -> Result<(), RegistryError> {
    let n = s.chars().count();
    if n == 0 || n > 99 || s.chars().any(char::is_control) {
        return Err(bad(
            key_id,
            format!("{what} must be 1-99 characters without control characters"),
        ));
    }
    Ok(())
}

fn validate_account(key_id: &str, a: &RegisteredAccount) -> Result<(), RegistryError> {
    match a {
        RegisteredAccount::Template { guid, fields } => {
            validate_text(key_id, "account guid", guid)?;
            if fields.is_empty() {
                return Err(bad(key_id, "template account without fields"));
            }
            for (k, v) in fields {
                let ok = k.len() == 2 && k.bytes().all(|b| b.is_ascii_digit()) && k != "00";
                if !ok {
                    return Err(bad(key_id, format!("account field id {k:?} is not 01-99")));
                }
                validate_text(key_id, "account field", v)?;
            }
        }
        RegisteredAccount::Primitive { id, value } => {
            if !(2..=25).contains(id) {
                return Err(bad(
                    key_id,
                    format!("primitive account id {id} is not 02-25"),
                ));
            }
            validate_text(key_id, "account value", value)?;
        }
    }
    Ok(())
}

fn validate_entry(e: MerchantKeyJson) -> Result<MerchantKey, RegistryError> {
    if !is_valid_key_id(&e.key_id) {
        return Err(bad(
            &e.key_id,
            "key id must be 1-32 characters of A-Z a-z 0-9 . _ : -",
        ));
    }
    validate_text(&e.key_id, "merchant id", &e.merchant_id)?;
    validate_text(&e.key_id, "name", &e.name)?;
    validate_text(&e.key_id, "city", &e.city)?;
    if e.accounts.is_empty() || e.accounts.len() > MAX_ACCOUNTS_PER_KEY {
        return Err(bad(
            &e.key_id,
            format!("1 to {MAX_ACCOUNTS_PER_KEY} accounts required"),
        ));
    }
    for a in &e.accounts {
        validate_account(&e.key_id, a)?;
    }
    if e.not_before >= e.not_after {
        return Err(bad(&e.key_id, "not_before must be before not_after"));
    }
    let public_key =
        PublicKey::from_base64url(e.alg, &e.public_key).map_err(|error| RegistryError::BadKey {
            key_id: e.key_id.clone(),
            error,
        })?;
    Ok(MerchantKey {
        key_id: e.key_id,
        merchant_id: e.merchant_id,
        name: e.name,
        city: e.city,
        accounts: e.accounts,
        public_key,
        not_before: e.not_before,
        not_after: e.not_after,
        revoked: e.revoked,
    })
}

/// The bytes a root signs for a registry payload.
pub fn registry_signed_bytes(payload: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(REGISTRY_SIGNED_PREFIX.len() + payload.len());
    m.extend_from_slice(REGISTRY_SIGNED_PREFIX);
    m.extend_from_slice(payload);
    m
}

/// Verifies a registry document against the pinned roots and parses it.
///
/// Order matters: size cap, envelope JSON, base64url, root signatures over the
/// exact payload bytes, and only then the registry JSON itself.
pub fn verify_document(doc: &[u8], roots: &RootKeys) -> Result<Registry, RegistryError> {
    if doc.len() > MAX_DOCUMENT_BYTES {
        return Err(RegistryError::TooLarge {
            got: doc.len(),
            max: MAX_DOCUMENT_BYTES,
        });
    }
    let envelope: RegistryDocument =
        serde_json::from_slice(doc).map_err(|e| RegistryError::Json(e.to_string()))?;
    if envelope.signatures.len() > MAX_DOCUMENT_SIGNATURES {
        return Err(RegistryError::TooManySignatures(envelope.signatures.len()));
    }
    let payload = URL_SAFE_NO_PAD
        .decode(envelope.payload.as_bytes())
        .map_err(|_| RegistryError::PayloadEncoding)?;
    let message = registry_signed_bytes(&payload);
    let mut valid: HashSet<&str> = HashSet::new();
    for s in &envelope.signatures {
        // Signatures by roots this build does not pin (a newer root, another
        // acquirer's) are ignored, not fatal: they prove nothing to us.
        let Some(root) = roots.get(&s.key_id) else {
            continue;
        };
        if root.algorithm() != s.alg {
            continue;
        }
        let sig = match URL_SAFE_NO_PAD.decode(s.sig.as_bytes()) {
            Ok(sig) if s.sig.len() <= 128 => sig,
            _ => {
                return Err(RegistryError::SignatureEncoding {
                    key_id: s.key_id.clone(),
                    padded: s.sig.ends_with('='),
                })
            }
        };
        if root.verify(&message, &sig).is_ok() {
            valid.insert(s.key_id.as_str());
        }
    }
    if valid.len() < roots.threshold() {
        return Err(RegistryError::NotEnoughSignatures {
            valid: valid.len(),
            threshold: roots.threshold(),
        });
    }
    let content: RegistryJson =
        serde_json::from_slice(&payload).map_err(|e| RegistryError::Content(e.to_string()))?;
    if content.format != REGISTRY_FORMAT {
        return Err(RegistryError::UnsupportedFormat(content.format));
    }
    if content.keys.len() > MAX_KEYS {
        return Err(RegistryError::TooManyKeys(content.keys.len()));
    }
    let mut keys = HashMap::with_capacity(content.keys.len());
    for e in content.keys {
        let k = validate_entry(e)?;
        if keys.contains_key(&k.key_id) {
            return Err(RegistryError::DuplicateKeyId(k.key_id));
        }
        keys.insert(k.key_id.clone(), k);
    }
    Ok(Registry {
        registry_id: content.registry_id,
        version: content.version,
        issued_at: content.issued_at,
        expires_at: content.expires_at,
        payload_sha256: sha256_hex(&payload),
        keys,
    })
}
