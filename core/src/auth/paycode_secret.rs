//! The pay-code secret, sealed under the device key.
//!
//! The 32-byte secret the backend issues at provisioning makes every pay
//! code, so it gets the device key's protection and no less: the PIN opens
//! the device key (one counted attempt, [`super::Authenticator`]), and a key
//! derived from the device key opens the secret. Why derive from the device
//! key rather than seal under the PIN key a second time (ADR 0016): one PBKDF2
//! per unlock instead of two, one attempt counter, a PIN change needs no
//! second re-seal (the device key, and so this key, does not change), and
//! whatever later replaces the PIN as the device key's opener (a platform
//! authenticator) opens the pay code with it. The blob is then wrapped by the
//! platform key store under its own alias, like the device key.
//!
//! ```text
//! seal key = HMAC-SHA256(key = device key PKCS#8, "scanpay:paycode-seal:v1")
//! ```
//!
//! Layout (version 1, big-endian):
//!
//! | offset | bytes | field |
//! |---|---|---|
//! | 0 | 4 | magic `"SPPC"` |
//! | 4 | 1 | version, 1 |
//! | 5 | 4 | the backend's generation of the secret (u32) |
//! | 9 | 32 | the device public key it is sealed to |
//! | 41 | 12 | AES-256-GCM nonce (fresh for every seal) |
//! | 53 | 32 | ciphertext of the secret |
//! | 85 | 16 | GCM tag |
//!
//! Bytes 0–52 are the additional data: a blob moved to another device key
//! or another generation does not open.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hmac;
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::device::{DeviceKey, PUBLIC_KEY_LEN};
use super::sealed::SealedError;

/// The alias under which the platform key store wraps the sealed secret.
pub const PAYCODE_SECRET_ALIAS: &str = "scanpay.paycode-secret.v1";
/// Magic bytes of a sealed pay-code secret.
pub const MAGIC: [u8; 4] = *b"SPPC";
/// The only version written and read.
pub const VERSION: u8 = 1;
/// Bytes of the secret.
pub const SECRET_LEN: usize = 32;
/// Header (additional data) length.
pub const HEADER_LEN: usize = 4 + 1 + 4 + PUBLIC_KEY_LEN + NONCE_LEN;
/// GCM tag length.
pub const TAG_LEN: usize = 16;
/// Length of a sealed secret.
pub const SEALED_LEN: usize = HEADER_LEN + SECRET_LEN + TAG_LEN;
/// What the seal key's HMAC is computed over.
const SEAL_DOMAIN: &[u8] = b"scanpay:paycode-seal:v1";

fn seal_key(device: &DeviceKey) -> Result<LessSafeKey, SealedError> {
    let mac = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, device.pkcs8()),
        SEAL_DOMAIN,
    );
    let bytes = Zeroizing::new(mac.as_ref().to_vec());
    UnboundKey::new(&AES_256_GCM, &bytes)
        .map(LessSafeKey::new)
        .map_err(|_| SealedError::Encrypt)
}

fn header(generation: u32, public_key: &[u8; PUBLIC_KEY_LEN], nonce: &[u8; NONCE_LEN]) -> Vec<u8> {
    let mut h = Vec::with_capacity(HEADER_LEN);
    h.extend_from_slice(&MAGIC);
    h.push(VERSION);
    h.extend_from_slice(&generation.to_be_bytes());
    h.extend_from_slice(public_key);
    h.extend_from_slice(nonce);
    h
}

/// Seals `secret` (generation `generation`) to `device`.
pub fn seal(
    device: &DeviceKey,
    secret: &[u8; SECRET_LEN],
    generation: u32,
    rng: &dyn SecureRandom,
) -> Result<Vec<u8>, SealedError> {
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce).map_err(|_| SealedError::Random)?;
    let mut out = header(generation, device.public_key(), &nonce);
    let mut buf = Zeroizing::new(Vec::with_capacity(SECRET_LEN + TAG_LEN));
    buf.extend_from_slice(secret);
    seal_key(device)?
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&out[..]),
            &mut *buf,
        )
        .map_err(|_| SealedError::Encrypt)?;
    out.extend_from_slice(&buf);
    Ok(out)
}

/// Opens a sealed secret with `device`. Returns its generation and the
/// secret. A blob of another device key or altered fails with
/// [`SealedError::Decrypt`] (not a PIN failure: the PIN already opened
/// `device`).
pub fn open(
    device: &DeviceKey,
    blob: &[u8],
) -> Result<(u32, Zeroizing<[u8; SECRET_LEN]>), SealedError> {
    if blob.len() != SEALED_LEN {
        return Err(SealedError::Malformed("not a sealed pay-code secret"));
    }
    let (head, body) = blob.split_at(HEADER_LEN);
    if head.get(0..4) != Some(&MAGIC[..]) {
        return Err(SealedError::Malformed("not a sealed pay-code secret"));
    }
    match head.get(4) {
        Some(&VERSION) => {}
        Some(v) => return Err(SealedError::UnsupportedVersion(*v)),
        None => return Err(SealedError::Malformed("too short")),
    }
    let field = |from: usize, to: usize| {
        head.get(from..to)
            .ok_or(SealedError::Malformed("too short"))
    };
    let generation = u32::from_be_bytes(
        field(5, 9)?
            .try_into()
            .map_err(|_| SealedError::Malformed("too short"))?,
    );
    if field(9, 9 + PUBLIC_KEY_LEN)? != device.public_key() {
        return Err(SealedError::Decrypt);
    }
    let nonce: [u8; NONCE_LEN] = field(9 + PUBLIC_KEY_LEN, HEADER_LEN)?
        .try_into()
        .map_err(|_| SealedError::Malformed("too short"))?;
    let mut buf = Zeroizing::new(body.to_vec());
    let plain = seal_key(device)?
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(head),
            &mut buf,
        )
        .map_err(|_| SealedError::Decrypt)?;
    let mut secret = Zeroizing::new([0u8; SECRET_LEN]);
    if plain.len() != SECRET_LEN {
        return Err(SealedError::Malformed("secret length"));
    }
    secret.copy_from_slice(plain);
    Ok((generation, secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn opens_only_with_its_device_key_and_unaltered() {
        let rng = SystemRandom::new();
        let a = DeviceKey::generate(&rng).unwrap();
        let b = DeviceKey::generate(&rng).unwrap();
        let blob = seal(&a, &[7; 32], 3, &rng).unwrap();
        assert_eq!(blob.len(), SEALED_LEN);
        let (g, s) = open(&a, &blob).unwrap();
        assert_eq!((g, *s), (3, [7; 32]));
        assert_eq!(open(&b, &blob).unwrap_err(), SealedError::Decrypt);
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 1;
            assert!(open(&a, &bad).is_err(), "byte {i}");
        }
        assert!(open(&a, &blob[1..]).is_err());
        // Two seals of one secret differ (fresh nonce).
        assert_ne!(blob, seal(&a, &[7; 32], 3, &rng).unwrap());
    }
}
