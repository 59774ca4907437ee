//! The platform key store: an outer wrapping of the sealed device key.
//!
//! On phones the app supplies an implementation backed by hardware (Android
//! Keystore, iOS Secure Enclave / Keychain), which the bindings expose as a
//! foreign interface. Its key never leaves the secure hardware, so a copy of
//! the app's database alone is useless: the PIN-sealed blob inside can only be
//! attacked on the device itself, where the attempt limits apply.
//!
//! [`SoftwareKeyStore`] is the desktop and test implementation: AES-256-GCM
//! under a 32-byte key held in memory that is wiped on drop. It protects
//! nothing against someone who can read that key, so desktops must keep its
//! key somewhere the OS protects.

use std::fmt;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use thiserror::Error;
use zeroize::Zeroizing;

/// The alias under which the core wraps the sealed device key.
pub const DEVICE_KEY_ALIAS: &str = "scanpay.device-key.v1";

/// Longest alias accepted by [`SoftwareKeyStore`].
pub const MAX_ALIAS_LEN: usize = 64;
/// Largest plaintext [`SoftwareKeyStore`] wraps.
pub const MAX_WRAP_LEN: usize = 4096;

/// A platform key store failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum KeyStoreError {
    /// The key store (or its key for this alias) is not available, e.g. the
    /// device was restored to new hardware or the user removed the lock screen.
    #[error("key store unavailable: {0}")]
    Unavailable(String),
    /// The wrapped data did not unwrap: altered, or wrapped under another key.
    #[error("wrapped data was rejected by the key store")]
    Rejected,
    /// Input too large or malformed for the key store.
    #[error("key store input is invalid: {0}")]
    InvalidInput(String),
    /// Any other platform failure, with the platform's message.
    #[error("key store failed: {0}")]
    Failed(String),
}

/// Why the core refused what a [`PlatformKeyStore`] did at enrolment or PIN
/// change (checked on every wrap, before anything is stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum WrapDefect {
    /// The wrapping contains its input in the clear (an identity "wrap", or
    /// one that only adds a header): the PIN-sealed key would be stored
    /// without the hardware's protection.
    #[error("the key store returned its input in the clear")]
    Cleartext,
    /// The wrapping did not unwrap to its input (rejected, or different
    /// bytes): the key would be stored but never open again.
    #[error("the key store's wrapping does not unwrap to what it wrapped")]
    RoundTrip,
}

/// Wraps and unwraps small secrets under a key the platform protects.
///
/// Implementations must be authenticated (an altered wrapping is
/// [`KeyStoreError::Rejected`], never garbage) and bind `alias`. The core
/// checks every wrap at once: the result must not contain the plaintext and
/// must unwrap to it ([`WrapDefect`]).
///
/// Calls may come from any thread, and the core holds no lock while it calls
/// them: an implementation may call back into the wallet (its PIN status, the
/// device public key) without deadlocking it.
pub trait PlatformKeyStore: Send + Sync {
    /// Encrypts `plaintext` under the key for `alias` (creating it if needed).
    fn wrap(&self, alias: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError>;
    /// Decrypts what [`PlatformKeyStore::wrap`] returned for `alias`.
    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError>;
}

/// Magic opening a [`SoftwareKeyStore`] wrapping.
const SOFT_MAGIC: [u8; 4] = *b"SPKS";
const SOFT_VERSION: u8 = 1;
const SOFT_HEADER_LEN: usize = 5 + NONCE_LEN;
const TAG_LEN: usize = 16;

/// Desktop/test key store: AES-256-GCM under a key it holds.
///
/// Wrapping layout: `"SPKS"`, version byte 1, 12-byte random nonce, then the
/// ciphertext and 16-byte tag. The additional data is `"SPKS"`, 1, the alias
/// length (one byte) and the alias, so a wrapping made for one alias does not
/// unwrap under another.
pub struct SoftwareKeyStore {
    key: Zeroizing<[u8; 32]>,
    rng: SystemRandom,
}

impl SoftwareKeyStore {
    /// A store using `key` (e.g. loaded from an OS-protected file).
    pub fn from_key_bytes(key: [u8; 32]) -> SoftwareKeyStore {
        SoftwareKeyStore {
            key: Zeroizing::new(key),
            rng: SystemRandom::new(),
        }
    }

    /// A store with a fresh random key.
    pub fn generate() -> Result<SoftwareKeyStore, KeyStoreError> {
        let rng = SystemRandom::new();
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill(key.as_mut_slice())
            .map_err(|_| KeyStoreError::Failed("random generator failed".into()))?;
        Ok(SoftwareKeyStore { key, rng })
    }

    /// The key, so a desktop can persist it. Wiped when the result drops.
    pub fn key_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(*self.key)
    }

    fn cipher(&self) -> Result<LessSafeKey, KeyStoreError> {
        UnboundKey::new(&AES_256_GCM, self.key.as_slice())
            .map(LessSafeKey::new)
            .map_err(|_| KeyStoreError::Failed("key rejected".into()))
    }
}

fn soft_aad(alias: &str) -> Result<Vec<u8>, KeyStoreError> {
    let len = u8::try_from(alias.len())
        .ok()
        .filter(|l| usize::from(*l) <= MAX_ALIAS_LEN && *l > 0)
        .ok_or_else(|| KeyStoreError::InvalidInput("alias must be 1-64 bytes".into()))?;
    let mut aad = Vec::with_capacity(6 + alias.len());
    aad.extend_from_slice(&SOFT_MAGIC);
    aad.push(SOFT_VERSION);
    aad.push(len);
    aad.extend_from_slice(alias.as_bytes());
    Ok(aad)
}

impl PlatformKeyStore for SoftwareKeyStore {
    fn wrap(&self, alias: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        if plaintext.len() > MAX_WRAP_LEN {
            return Err(KeyStoreError::InvalidInput("plaintext too large".into()));
        }
        let aad = soft_aad(alias)?;
        let mut nonce = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| KeyStoreError::Failed("random generator failed".into()))?;
        let mut out = Vec::with_capacity(SOFT_HEADER_LEN + plaintext.len() + TAG_LEN);
        out.extend_from_slice(&SOFT_MAGIC);
        out.push(SOFT_VERSION);
        out.extend_from_slice(&nonce);
        let mut body = Zeroizing::new(plaintext.to_vec());
        self.cipher()?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut *body,
            )
            .map_err(|_| KeyStoreError::Failed("encryption failed".into()))?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        if wrapped.len() > SOFT_HEADER_LEN + MAX_WRAP_LEN + TAG_LEN {
            return Err(KeyStoreError::InvalidInput("wrapped data too large".into()));
        }
        let aad = soft_aad(alias)?;
        let (magic, rest) = wrapped
            .split_first_chunk::<4>()
            .ok_or(KeyStoreError::Rejected)?;
        let (version, rest) = rest.split_first().ok_or(KeyStoreError::Rejected)?;
        if *magic != SOFT_MAGIC || *version != SOFT_VERSION {
            return Err(KeyStoreError::Rejected);
        }
        let (nonce, body) = rest
            .split_first_chunk::<NONCE_LEN>()
            .ok_or(KeyStoreError::Rejected)?;
        let mut buf = Zeroizing::new(body.to_vec());
        let plain = self
            .cipher()?
            .open_in_place(
                Nonce::assume_unique_for_key(*nonce),
                Aad::from(aad),
                &mut buf,
            )
            .map_err(|_| KeyStoreError::Rejected)?;
        Ok(plain.to_vec())
    }
}

impl fmt::Debug for SoftwareKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SoftwareKeyStore(<key redacted>)")
    }
}
