//! The wallet's device signing key: Ed25519, created at enrolment.
//!
//! Its public key is what the backend registers; its signature on a
//! [`super::PaymentAuthorisation`] is what proves the PIN was entered, because
//! the private key only exists decrypted after a correct PIN.
//!
//! [`DeviceKey`] holds the PKCS#8 encoding in a buffer wiped on drop. `ring`
//! parses it into an `Ed25519KeyPair` for each signature; `ring`'s own types
//! (the key pair and the `Pkcs8Document` returned at generation) do not wipe
//! themselves — they live only for the duration of one call, on the stack.

use std::fmt;

use ring::rand::SecureRandom;
use ring::signature::{Ed25519KeyPair, KeyPair as _};
use zeroize::Zeroizing;

use super::sealed::SealedError;

/// Bytes of an Ed25519 public key.
pub const PUBLIC_KEY_LEN: usize = 32;

/// A decrypted device key. No `Clone`; `Debug` shows only the public key.
pub struct DeviceKey {
    pkcs8: Zeroizing<Vec<u8>>,
    public_key: [u8; PUBLIC_KEY_LEN],
}

impl DeviceKey {
    /// Generates a fresh key.
    pub fn generate(rng: &dyn SecureRandom) -> Result<DeviceKey, SealedError> {
        let doc = Ed25519KeyPair::generate_pkcs8(rng).map_err(|_| SealedError::Random)?;
        DeviceKey::from_pkcs8(Zeroizing::new(doc.as_ref().to_vec()))
    }

    /// Wraps decrypted PKCS#8 bytes, checking that `ring` accepts them.
    pub(crate) fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Result<DeviceKey, SealedError> {
        let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| SealedError::KeyRejected)?;
        let public_key = pair
            .public_key()
            .as_ref()
            .try_into()
            .map_err(|_| SealedError::KeyRejected)?;
        Ok(DeviceKey { pkcs8, public_key })
    }

    /// The 32-byte Ed25519 public key.
    pub fn public_key(&self) -> &[u8; PUBLIC_KEY_LEN] {
        &self.public_key
    }

    /// Signs `message` (64-byte Ed25519 signature).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealedError> {
        let pair = Ed25519KeyPair::from_pkcs8(&self.pkcs8).map_err(|_| SealedError::KeyRejected)?;
        Ok(pair.sign(message).as_ref().to_vec())
    }

    pub(crate) fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKey")
            .field("public_key", &hex(&self.public_key))
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
