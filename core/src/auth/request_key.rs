//! The request key: signs payment queries and reversals without the PIN.
//!
//! `GET /v1/payments/{id}` and `POST /v1/payments/{id}/reverse` must be
//! authenticated (whoever learns a payment id must not read its receipt,
//! refund it, or tombstone it), yet the payment engine sends them without the
//! user: at start-up after a crash and while recovering an unclear payment.
//! The PIN-sealed device key cannot sign them, so each wallet holds a second
//! Ed25519 key, the *request key*: generated at device registration, stored in
//! the wallet database wrapped by the app's [`PlatformKeyStore`] (never
//! PIN-sealed), registered with the backend next to the device key, and kept
//! across [`super::Authenticator::reset_device_key`] so a re-registered wallet
//! still resolves its older in-flight payments. Design:
//! `docs/decisions/0013-request-authentication.md`; wire format: `docs/api.md`.
//!
//! Every request carries a fresh signature (new time and nonce for each
//! attempt) over these exact bytes (ASCII; `\n` is one byte 0x0A):
//!
//! ```text
//! "scanpay:request:v1\n" METHOD "\n" PATH "\n" PAYMENT_ID "\n" TIME "\n" NONCE
//! ```
//!
//! `METHOD` is `GET` or `POST`, `PATH` the `/v1/...` path (no deployment
//! prefix, no query), `TIME` decimal unix seconds without leading zeros,
//! `NONCE` the 16 random bytes as unpadded base64url (22 characters). The
//! header is
//!
//! ```text
//! Authorization: ScanPay-Request key=<b64url 32 B>, time=<unix s>, nonce=<b64url 16 B>, sig=<b64url 64 B>
//! ```
//!
//! At registration the key proves possession by signing
//! `"scanpay:request-key:v1\n" ‖ device public key (32 raw bytes)`, so nobody
//! can register someone else's request key under their own account.

use std::fmt;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};
use thiserror::Error;
use zeroize::Zeroizing;

use super::authorisation::{PaymentAuthMethod, PaymentAuthorisation, SignedAuthorisation};
use super::keystore::{KeyStoreError, PlatformKeyStore};
use super::shortcuts::{ShortcutSettings, ShortcutSigner, SignedShortcuts};
use crate::payment::{Clock, SystemClock};
use crate::store::{Store, StoreError};

/// Domain-separation prefix of a request signature's signed bytes.
pub const REQUEST_DOMAIN: &str = "scanpay:request:v1\n";
/// Domain-separation prefix of the registration proof's signed bytes.
pub const REQUEST_KEY_PROOF_DOMAIN: &[u8] = b"scanpay:request-key:v1\n";
/// The authorisation scheme name in the `Authorization` header.
pub const AUTH_SCHEME: &str = "ScanPay-Request";
/// The alias under which the request key's seed is wrapped by the platform
/// key store.
pub const REQUEST_KEY_ALIAS: &str = "scanpay.request-key.v1";
/// Largest accepted difference between a request's `time` and the server's
/// clock, either way, in seconds.
pub const MAX_CLOCK_SKEW_SECS: u64 = 300;
/// Bytes of a request nonce.
pub const NONCE_LEN: usize = 16;
/// Bytes of an Ed25519 public key.
pub const REQUEST_PUBLIC_KEY_LEN: usize = 32;
/// Bytes of an Ed25519 signature.
pub const REQUEST_SIGNATURE_LEN: usize = 64;
/// Longest `Authorization` header value accepted by [`RequestAuthorization::parse`]
/// (the real one is about 200 bytes).
pub const MAX_HEADER_VALUE_LEN: usize = 512;

/// Why a request could not be signed, or a signature is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestKeyError {
    /// The wallet has no request key: it registered before request keys
    /// existed (or never registered). Register the device again
    /// (`register_device`, same enrolment code): that creates and registers one.
    #[error("no request key: register the device with the backend again")]
    NotRegistered,
    /// The stored request key does not unwrap or is damaged.
    #[error("the stored request key is unusable: {0}")]
    Unusable(String),
    /// The platform key store failed.
    #[error("platform key store: {0}")]
    KeyStore(#[from] KeyStoreError),
    /// The wallet database failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Random generation or signing failed inside `ring`.
    #[error("cryptographic operation failed")]
    Crypto,
    /// The `Authorization` header is not a well-formed `ScanPay-Request` value.
    #[error("malformed request signature: {0}")]
    Malformed(&'static str),
    /// The signature does not verify for this method, path and payment id.
    #[error("the request signature does not verify")]
    BadSignature,
    /// The method, path or payment id cannot be signed (outside the
    /// protocol's character sets).
    #[error("cannot sign this request: {0}")]
    InvalidInput(&'static str),
}

/// Whether `s` is non-empty printable ASCII without spaces (what a method,
/// path or payment id is): no `\n` can make two field lists sign alike.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())
}

/// The exact bytes a request signature covers (layout in the module docs).
pub fn request_signed_bytes(
    method: &str,
    path: &str,
    payment_id: &str,
    time: u64,
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>, RequestKeyError> {
    for (what, v) in [
        ("method", method),
        ("path", path),
        ("payment id", payment_id),
    ] {
        if !is_token(v) {
            return Err(RequestKeyError::InvalidInput(what));
        }
    }
    Ok(format!(
        "{REQUEST_DOMAIN}{method}\n{path}\n{payment_id}\n{time}\n{}",
        URL_SAFE_NO_PAD.encode(nonce)
    )
    .into_bytes())
}

/// The bytes the registration proof signs.
pub fn registration_proof_bytes(device_public_key: &[u8]) -> Vec<u8> {
    let mut out = REQUEST_KEY_PROOF_DOMAIN.to_vec();
    out.extend_from_slice(device_public_key);
    out
}

/// Verifies a registration proof: `proof` is the request key's signature over
/// [`registration_proof_bytes`] of the device key it is registered with.
pub fn verify_registration_proof(
    request_public_key: &[u8],
    device_public_key: &[u8],
    proof: &[u8],
) -> Result<(), RequestKeyError> {
    UnparsedPublicKey::new(&ED25519, request_public_key)
        .verify(&registration_proof_bytes(device_public_key), proof)
        .map_err(|_| RequestKeyError::BadSignature)
}

/// One request's signature: what the `Authorization` header carries.
#[derive(Clone, PartialEq, Eq)]
pub struct RequestAuthorization {
    /// The request key's public key.
    pub key: [u8; REQUEST_PUBLIC_KEY_LEN],
    /// When it was signed, unix seconds.
    pub time: u64,
    /// 16 random bytes, unique per request.
    pub nonce: [u8; NONCE_LEN],
    /// Ed25519 signature over [`request_signed_bytes`].
    pub signature: [u8; REQUEST_SIGNATURE_LEN],
}

impl fmt::Debug for RequestAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestAuthorization")
            .field("key", &URL_SAFE_NO_PAD.encode(self.key))
            .field("time", &self.time)
            .finish_non_exhaustive()
    }
}

fn decode_fixed<const N: usize>(v: &str, what: &'static str) -> Result<[u8; N], RequestKeyError> {
    // Unpadded base64url only: a padded or standard-alphabet value is refused,
    // not silently accepted.
    URL_SAFE_NO_PAD
        .decode(v.as_bytes())
        .ok()
        .and_then(|b| <[u8; N]>::try_from(b.as_slice()).ok())
        .ok_or(RequestKeyError::Malformed(what))
}

impl RequestAuthorization {
    /// The `Authorization` header value.
    pub fn header_value(&self) -> String {
        format!(
            "{AUTH_SCHEME} key={}, time={}, nonce={}, sig={}",
            URL_SAFE_NO_PAD.encode(self.key),
            self.time,
            URL_SAFE_NO_PAD.encode(self.nonce),
            URL_SAFE_NO_PAD.encode(self.signature)
        )
    }

    /// Parses an `Authorization` header value: the scheme, one space, then
    /// exactly the four parameters `key`, `time`, `nonce`, `sig` in this
    /// order, separated by `", "`. Anything else is
    /// [`RequestKeyError::Malformed`].
    pub fn parse(value: &str) -> Result<RequestAuthorization, RequestKeyError> {
        if value.len() > MAX_HEADER_VALUE_LEN {
            return Err(RequestKeyError::Malformed("header too long"));
        }
        let rest = value
            .strip_prefix(AUTH_SCHEME)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or(RequestKeyError::Malformed("not the ScanPay-Request scheme"))?;
        let mut parts = rest.split(", ");
        let mut field = |name: &'static str| -> Result<&str, RequestKeyError> {
            parts
                .next()
                .and_then(|p| p.strip_prefix(name))
                .and_then(|p| p.strip_prefix('='))
                .ok_or(RequestKeyError::Malformed(name))
        };
        let key = decode_fixed::<REQUEST_PUBLIC_KEY_LEN>(field("key")?, "key")?;
        let time_text = field("time")?;
        let nonce = decode_fixed::<NONCE_LEN>(field("nonce")?, "nonce")?;
        let signature = decode_fixed::<REQUEST_SIGNATURE_LEN>(field("sig")?, "sig")?;
        if parts.next().is_some() {
            return Err(RequestKeyError::Malformed("extra parameters"));
        }
        // Decimal digits only, no sign, no leading zero: one text per time,
        // so the signed bytes are the header's text.
        let canonical = time_text.bytes().all(|b| b.is_ascii_digit())
            && !time_text.is_empty()
            && (time_text == "0" || !time_text.starts_with('0'));
        let time = canonical
            .then(|| time_text.parse::<u64>().ok())
            .flatten()
            .ok_or(RequestKeyError::Malformed("time"))?;
        Ok(RequestAuthorization {
            key,
            time,
            nonce,
            signature,
        })
    }

    /// Checks the signature for this method, path and payment id. Time, nonce
    /// and key registration are the server's checks, not this one's.
    pub fn verify(
        &self,
        method: &str,
        path: &str,
        payment_id: &str,
    ) -> Result<(), RequestKeyError> {
        let bytes = request_signed_bytes(method, path, payment_id, self.time, &self.nonce)?;
        UnparsedPublicKey::new(&ED25519, &self.key)
            .verify(&bytes, &self.signature)
            .map_err(|_| RequestKeyError::BadSignature)
    }
}

/// A request key in memory: the 32-byte Ed25519 seed, wiped on drop. No
/// `Clone`; `Debug` shows only the public key.
pub struct RequestKey {
    seed: Zeroizing<[u8; 32]>,
    public_key: [u8; REQUEST_PUBLIC_KEY_LEN],
}

impl fmt::Debug for RequestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestKey")
            .field("public_key", &URL_SAFE_NO_PAD.encode(self.public_key))
            .finish_non_exhaustive()
    }
}

impl RequestKey {
    /// A fresh random key.
    pub fn generate(rng: &dyn SecureRandom) -> Result<RequestKey, RequestKeyError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill(seed.as_mut_slice())
            .map_err(|_| RequestKeyError::Crypto)?;
        RequestKey::from_seed(seed)
    }

    /// The key with this seed (RFC 8032 private key).
    pub fn from_seed(seed: Zeroizing<[u8; 32]>) -> Result<RequestKey, RequestKeyError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.as_slice())
            .map_err(|_| RequestKeyError::Unusable("seed rejected".into()))?;
        let public_key = <[u8; 32]>::try_from(pair.public_key().as_ref())
            .map_err(|_| RequestKeyError::Crypto)?;
        Ok(RequestKey { seed, public_key })
    }

    /// The public key registered with the backend.
    pub fn public_key(&self) -> &[u8; REQUEST_PUBLIC_KEY_LEN] {
        &self.public_key
    }

    fn sign_bytes(&self, message: &[u8]) -> Result<[u8; REQUEST_SIGNATURE_LEN], RequestKeyError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(self.seed.as_slice())
            .map_err(|_| RequestKeyError::Crypto)?;
        <[u8; 64]>::try_from(pair.sign(message).as_ref()).map_err(|_| RequestKeyError::Crypto)
    }

    /// Signs one request with the given time and nonce.
    pub fn sign_request(
        &self,
        method: &str,
        path: &str,
        payment_id: &str,
        time: u64,
        nonce: [u8; NONCE_LEN],
    ) -> Result<RequestAuthorization, RequestKeyError> {
        let bytes = request_signed_bytes(method, path, payment_id, time, &nonce)?;
        Ok(RequestAuthorization {
            key: self.public_key,
            time,
            nonce,
            signature: self.sign_bytes(&bytes)?,
        })
    }

    /// Signs a PIN-free payment (ADR 0022): the authorisation's fields under
    /// the PIN-free domain. The backend accepts it only within the limits
    /// the payer set with the PIN.
    pub fn sign_pin_free(
        &self,
        authorisation: PaymentAuthorisation,
        device_public_key: &[u8],
    ) -> Result<SignedAuthorisation, RequestKeyError> {
        let signature = self
            .sign_bytes(&authorisation.signed_bytes_for(PaymentAuthMethod::PinFree))?
            .to_vec();
        Ok(SignedAuthorisation {
            authorisation,
            method: PaymentAuthMethod::PinFree,
            device_public_key: device_public_key.to_vec(),
            signature,
        })
    }

    /// Signs shortcut settings without the PIN. The backend accepts such a
    /// document only when it narrows what it holds (opt-out, lapse).
    pub fn sign_shortcuts(
        &self,
        settings: ShortcutSettings,
        device_public_key: &[u8],
    ) -> Result<SignedShortcuts, RequestKeyError> {
        let signature = self
            .sign_bytes(&settings.signed_bytes(device_public_key))?
            .to_vec();
        Ok(SignedShortcuts {
            settings,
            device_public_key: device_public_key.to_vec(),
            signer: ShortcutSigner::RequestKey,
            signature,
        })
    }

    /// The registration proof for `device_public_key` (see the module docs).
    pub fn registration_proof(
        &self,
        device_public_key: &[u8],
    ) -> Result<[u8; REQUEST_SIGNATURE_LEN], RequestKeyError> {
        self.sign_bytes(&registration_proof_bytes(device_public_key))
    }
}

/// What a registration sends about the request key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestKeyRegistration {
    /// The request key's public key.
    pub public_key: [u8; REQUEST_PUBLIC_KEY_LEN],
    /// Its signature over [`registration_proof_bytes`] of the device key.
    pub proof: [u8; REQUEST_SIGNATURE_LEN],
}

/// Signs query and reverse requests; injected into
/// [`crate::net::HttpsBackend`]. Implementations never need the PIN.
pub trait RequestSigner: Send + Sync {
    /// The request key to register with `device_public_key`, creating (and
    /// storing) the key first if the wallet has none.
    fn registration(
        &self,
        device_public_key: &[u8],
    ) -> Result<RequestKeyRegistration, RequestKeyError>;
    /// A fresh signature (new time and nonce) for one request attempt.
    fn authorize(
        &self,
        method: &str,
        path: &str,
        payment_id: &str,
    ) -> Result<RequestAuthorization, RequestKeyError>;
}

/// The wallet's [`RequestSigner`]: the key lives in the wallet database,
/// wrapped by the platform key store, and is unwrapped for each signature
/// (the seed is wiped right after). Time is the system clock, not the
/// payment engine's: the backend compares it with its own wall clock.
pub struct StoredRequestSigner {
    store: Store,
    keystore: Arc<dyn PlatformKeyStore>,
    clock: Arc<dyn Clock>,
    rng: SystemRandom,
    // Serialises "create if missing" so two registrations at once cannot
    // store two different keys and register the loser.
    create: std::sync::Mutex<()>,
}

impl fmt::Debug for StoredRequestSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredRequestSigner")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl StoredRequestSigner {
    /// A signer over the wallet's `store`, unwrapping with `keystore`, timing
    /// with the system clock.
    pub fn new(store: Store, keystore: Arc<dyn PlatformKeyStore>) -> StoredRequestSigner {
        StoredRequestSigner::with_clock(store, keystore, Arc::new(SystemClock))
    }

    /// The same with another clock (tests: a stale or future time).
    pub fn with_clock(
        store: Store,
        keystore: Arc<dyn PlatformKeyStore>,
        clock: Arc<dyn Clock>,
    ) -> StoredRequestSigner {
        StoredRequestSigner {
            store,
            keystore,
            clock,
            rng: SystemRandom::new(),
            create: std::sync::Mutex::new(()),
        }
    }

    /// The stored key, if the wallet has one.
    pub fn load(&self) -> Result<Option<RequestKey>, RequestKeyError> {
        let Some(wrapped) = self.store.load_request_key()? else {
            return Ok(None);
        };
        let plain = Zeroizing::new(self.keystore.unwrap(REQUEST_KEY_ALIAS, &wrapped)?);
        let seed = <[u8; 32]>::try_from(plain.as_slice())
            .map_err(|_| RequestKeyError::Unusable(format!("seed is {} bytes", plain.len())))?;
        RequestKey::from_seed(Zeroizing::new(seed)).map(Some)
    }

    /// The stored key, creating and storing one if there is none.
    pub fn load_or_create(&self) -> Result<RequestKey, RequestKeyError> {
        let _one = self
            .create
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(k) = self.load()? {
            return Ok(k);
        }
        let key = RequestKey::generate(&self.rng)?;
        let wrapped = self.keystore.wrap(REQUEST_KEY_ALIAS, key.seed.as_slice())?;
        // A key store whose wrap hands back the seed would leave it in the
        // database in clear: refuse it, as the device key's enrolment does.
        if wrapped.as_slice() == key.seed.as_slice() {
            return Err(RequestKeyError::Unusable(
                "the key store's wrap returned its input unchanged".into(),
            ));
        }
        self.store.save_request_key(&wrapped)?;
        Ok(key)
    }
}

impl RequestSigner for StoredRequestSigner {
    fn registration(
        &self,
        device_public_key: &[u8],
    ) -> Result<RequestKeyRegistration, RequestKeyError> {
        let key = self.load_or_create()?;
        Ok(RequestKeyRegistration {
            public_key: *key.public_key(),
            proof: key.registration_proof(device_public_key)?,
        })
    }

    fn authorize(
        &self,
        method: &str,
        path: &str,
        payment_id: &str,
    ) -> Result<RequestAuthorization, RequestKeyError> {
        let key = self.load()?.ok_or(RequestKeyError::NotRegistered)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| RequestKeyError::Crypto)?;
        key.sign_request(method, path, payment_id, self.clock.now(), nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> RequestKey {
        RequestKey::from_seed(Zeroizing::new([7u8; 32])).unwrap()
    }

    #[test]
    fn header_round_trips_and_verifies() {
        let a = key()
            .sign_request("GET", "/v1/payments/p-1", "p-1", 1_767_225_600, [9; 16])
            .unwrap();
        let parsed = RequestAuthorization::parse(&a.header_value()).unwrap();
        assert_eq!(parsed, a);
        parsed.verify("GET", "/v1/payments/p-1", "p-1").unwrap();
        assert_eq!(
            parsed.verify("POST", "/v1/payments/p-1/reverse", "p-1"),
            Err(RequestKeyError::BadSignature)
        );
        assert_eq!(
            parsed.verify("GET", "/v1/payments/p-2", "p-2"),
            Err(RequestKeyError::BadSignature)
        );
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = key()
            .sign_request("GET", "/v1/payments/p-1", "p-1", 5, [1; 16])
            .unwrap()
            .header_value();
        let bad = [
            String::new(),
            good.replacen("ScanPay-Request", "Bearer", 1),
            good.replacen(", ", ",", 1),
            good.replacen("time=5", "time=05", 1),
            good.replacen("time=5", "time=-5", 1),
            good.replacen("time=5", "time=99999999999999999999", 1),
            format!("{good}, extra=1"),
            format!("{good}="),
            "ScanPay-Request key=AA, time=1, nonce=AA, sig=AA".to_string(),
        ];
        for b in bad {
            assert!(
                matches!(
                    RequestAuthorization::parse(&b),
                    Err(RequestKeyError::Malformed(_))
                ),
                "{b:?}"
            );
        }
    }

    #[test]
    fn signed_bytes_refuse_newlines() {
        assert!(request_signed_bytes("GET", "/v1/x\n", "p", 1, &[0; 16]).is_err());
        assert!(request_signed_bytes("GET", "/v1/x", "", 1, &[0; 16]).is_err());
    }

    #[test]
    fn registration_proof_binds_the_device_key() {
        let k = key();
        let proof = k.registration_proof(&[3; 32]).unwrap();
        verify_registration_proof(k.public_key(), &[3; 32], &proof).unwrap();
        assert!(verify_registration_proof(k.public_key(), &[4; 32], &proof).is_err());
    }

    #[test]
    fn debug_shows_no_seed() {
        let text = format!("{:?}", key());
        assert!(!text.contains("seed"), "{text}");
    }
}
