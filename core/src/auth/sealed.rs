//! The sealed device key: the Ed25519 PKCS#8 encrypted under the PIN key.
//!
//! Layout (version 1; all integers big-endian; documented with its reasons in
//! `docs/decisions/0005-pin-and-device-key.md`):
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `"SPDK"` |
//! | 4 | 1 | format version, 1 |
//! | 5 | 1 | KDF, 1 = PBKDF2-HMAC-SHA256 |
//! | 6 | 1 | cipher, 1 = AES-256-GCM |
//! | 7 | 1 | key algorithm, 1 = Ed25519 (PKCS#8) |
//! | 8 | 4 | PBKDF2 iterations (u32) |
//! | 12 | 16 | PBKDF2 salt |
//! | 28 | 12 | GCM nonce |
//! | 40 | 32 | Ed25519 public key |
//! | 72 | n | ciphertext of the PKCS#8 document (1 ≤ n ≤ 256) |
//! | 72+n | 16 | GCM tag |
//!
//! Bytes 0–71 (the whole header) are the GCM additional data, so changing the
//! version, the parameters or the public key makes decryption fail exactly as a
//! wrong PIN does. After decryption the PKCS#8's own public key must equal the
//! header's.
//!
//! A fresh salt and nonce are drawn for every seal (enrolment and each PIN
//! change), so a (key, nonce) pair is never reused: each key encrypts once.

use std::fmt;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::SecureRandom;
use thiserror::Error;
use zeroize::Zeroizing;

use super::device::{DeviceKey, PUBLIC_KEY_LEN};
use super::kdf::{derive_pin_key, KdfParams, PinKey, SALT_LEN};
use super::pinpad::PinPad;

/// Magic bytes opening a sealed device key.
pub const MAGIC: [u8; 4] = *b"SPDK";
/// The only format version written and read.
pub const VERSION: u8 = 1;
/// KDF id: PBKDF2-HMAC-SHA256.
pub const KDF_PBKDF2_SHA256: u8 = 1;
/// Cipher id: AES-256-GCM.
pub const CIPHER_AES_256_GCM: u8 = 1;
/// Key algorithm id: Ed25519 PKCS#8.
pub const KEY_ED25519: u8 = 1;
/// Header length (also the AAD).
pub const HEADER_LEN: usize = 72;
/// GCM tag length.
pub const TAG_LEN: usize = 16;
/// Largest PKCS#8 document accepted (ring's Ed25519 v2 documents are 83 bytes).
pub const MAX_PLAINTEXT_LEN: usize = 256;
/// Largest sealed blob accepted, checked before anything is parsed.
pub const MAX_SEALED_LEN: usize = HEADER_LEN + MAX_PLAINTEXT_LEN + TAG_LEN;

/// A sealed blob could not be made or opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealedError {
    /// Too short, too long, or bad magic.
    #[error("sealed key is malformed: {0}")]
    Malformed(&'static str),
    /// A version this build does not read (a newer app wrote it?).
    #[error("sealed key format version {0} is not supported")]
    UnsupportedVersion(u8),
    /// Unknown KDF, cipher or key algorithm id.
    #[error("sealed key uses an unsupported algorithm")]
    UnsupportedAlgorithm,
    /// The iteration count is outside the accepted range.
    #[error("sealed key declares {0} KDF iterations, outside the accepted range")]
    KdfIterations(u32),
    /// The PIN is not complete.
    #[error("PIN incomplete: {entered} digits entered")]
    PinIncomplete {
        /// Digits entered.
        entered: usize,
    },
    /// Authenticated decryption failed: the PIN is wrong (or the blob was
    /// altered — the two are indistinguishable by design).
    #[error("the PIN did not open the device key")]
    Decrypt,
    /// The decrypted key is not a valid Ed25519 PKCS#8 or does not match the
    /// header's public key.
    #[error("the decrypted device key is invalid")]
    KeyRejected,
    /// The system random generator failed.
    #[error("random generator failed")]
    Random,
    /// Encryption failed inside `ring`.
    #[error("encryption failed")]
    Encrypt,
}

/// A parsed sealed device key.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedKey {
    kdf: KdfParams,
    nonce: [u8; NONCE_LEN],
    public_key: [u8; PUBLIC_KEY_LEN],
    /// Ciphertext followed by the tag.
    ciphertext: Vec<u8>,
}

impl SealedKey {
    /// Encrypts `key` under a key derived from `pin` with `iterations`, drawing
    /// a fresh salt and nonce from `rng`.
    pub fn seal(
        pin: &PinPad,
        key: &DeviceKey,
        iterations: u32,
        rng: &dyn SecureRandom,
    ) -> Result<SealedKey, SealedError> {
        let mut salt = [0u8; SALT_LEN];
        rng.fill(&mut salt).map_err(|_| SealedError::Random)?;
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce).map_err(|_| SealedError::Random)?;
        let kdf = KdfParams { iterations, salt };
        let pin_key = derive_pin_key(pin, &kdf)?;
        let plaintext = key.pkcs8();
        if plaintext.is_empty() || plaintext.len() > MAX_PLAINTEXT_LEN {
            return Err(SealedError::KeyRejected);
        }
        let mut sealed = SealedKey {
            kdf,
            nonce,
            public_key: *key.public_key(),
            ciphertext: Vec::new(),
        };
        let aad = sealed.header();
        // The buffer briefly holds the plaintext before encryption overwrites
        // it in place; wipe whatever capacity it had if sealing fails.
        let mut buf = Zeroizing::new(Vec::with_capacity(plaintext.len() + TAG_LEN));
        buf.extend_from_slice(plaintext);
        cipher(&pin_key)?
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad[..]),
                &mut *buf,
            )
            .map_err(|_| SealedError::Encrypt)?;
        sealed.ciphertext = std::mem::take(&mut *buf);
        Ok(sealed)
    }

    /// Parses a blob (length-capped first; version, algorithms and iteration
    /// bounds checked). Does not decrypt.
    pub fn parse(bytes: &[u8]) -> Result<SealedKey, SealedError> {
        if bytes.len() > MAX_SEALED_LEN {
            return Err(SealedError::Malformed("too long"));
        }
        if bytes.len() < HEADER_LEN + 1 + TAG_LEN {
            return Err(SealedError::Malformed("too short"));
        }
        let (header, ciphertext) = bytes.split_at(HEADER_LEN);
        let field = |from: usize, to: usize| -> Result<&[u8], SealedError> {
            header
                .get(from..to)
                .ok_or(SealedError::Malformed("too short"))
        };
        if field(0, 4)? != MAGIC {
            return Err(SealedError::Malformed("not a sealed device key"));
        }
        match field(4, 8)? {
            [VERSION, KDF_PBKDF2_SHA256, CIPHER_AES_256_GCM, KEY_ED25519] => {}
            [VERSION, ..] => return Err(SealedError::UnsupportedAlgorithm),
            [v, ..] => return Err(SealedError::UnsupportedVersion(*v)),
            [] => return Err(SealedError::Malformed("too short")),
        }
        let iterations = u32::from_be_bytes(array(field(8, 12)?)?);
        let kdf = KdfParams {
            iterations,
            salt: array(field(12, 28)?)?,
        };
        kdf.validate()?;
        Ok(SealedKey {
            kdf,
            nonce: array(field(28, 40)?)?,
            public_key: array(field(40, 72)?)?,
            ciphertext: ciphertext.to_vec(),
        })
    }

    /// The blob's bytes (layout in the module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER_LEN + self.ciphertext.len());
        out.extend_from_slice(&self.header());
        out.extend_from_slice(&self.ciphertext);
        out
    }

    /// The device public key recorded in the header (readable without the PIN).
    pub fn public_key(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.public_key
    }

    /// The KDF parameters recorded in the header.
    pub fn kdf(&self) -> &KdfParams {
        &self.kdf
    }

    /// Derives the PIN key and decrypts the device key. A wrong PIN yields
    /// [`SealedError::Decrypt`].
    pub fn unseal(&self, pin: &PinPad) -> Result<DeviceKey, SealedError> {
        let pin_key = derive_pin_key(pin, &self.kdf)?;
        let aad = self.header();
        let mut buf = Zeroizing::new(self.ciphertext.clone());
        let plain_len = cipher(&pin_key)?
            .open_in_place(
                Nonce::assume_unique_for_key(self.nonce),
                Aad::from(&aad[..]),
                &mut buf,
            )
            .map_err(|_| SealedError::Decrypt)?
            .len();
        buf.truncate(plain_len);
        let key = DeviceKey::from_pkcs8(buf)?;
        if key.public_key() != &self.public_key {
            return Err(SealedError::KeyRejected);
        }
        Ok(key)
    }

    fn header(&self) -> [u8; HEADER_LEN] {
        let mut h = [0u8; HEADER_LEN];
        let parts: [&[u8]; 6] = [
            &MAGIC,
            &[VERSION, KDF_PBKDF2_SHA256, CIPHER_AES_256_GCM, KEY_ED25519],
            &self.kdf.iterations.to_be_bytes(),
            &self.kdf.salt,
            &self.nonce,
            &self.public_key,
        ];
        let mut at = 0;
        for part in parts {
            if let Some(dst) = h.get_mut(at..at + part.len()) {
                dst.copy_from_slice(part);
            }
            at += part.len();
        }
        h
    }
}

impl fmt::Debug for SealedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedKey")
            .field("iterations", &self.kdf.iterations)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

fn cipher(key: &PinKey) -> Result<LessSafeKey, SealedError> {
    // ring keeps the expanded AES key schedule in its own (unwiped) type for
    // the duration of this one operation.
    UnboundKey::new(&AES_256_GCM, key.bytes())
        .map(LessSafeKey::new)
        .map_err(|_| SealedError::Encrypt)
}

fn array<const N: usize>(bytes: &[u8]) -> Result<[u8; N], SealedError> {
    bytes
        .try_into()
        .map_err(|_| SealedError::Malformed("too short"))
}
