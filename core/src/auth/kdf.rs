//! PIN → key: PBKDF2-HMAC-SHA256 through `ring`.
//!
//! The PIN never checks itself against a stored hash; it derives the AES-256
//! key that opens the sealed device key (see [`super::sealed`]). A 6-digit PIN
//! has only 10⁶ values, so the derivation cost is what slows an attacker who
//! copied the blob *and* got it unwrapped from the platform key store — the
//! platform wrapping (hardware-bound on phones) is the main defence; the
//! iteration count makes each offline guess cost as much as one on the phone.
//!
//! [`MIN_ITERATIONS`] follows OWASP's 2023 recommendation for
//! PBKDF2-HMAC-SHA256. Blobs with fewer iterations are refused when opened, so
//! nobody can downgrade a stored blob; [`MAX_ITERATIONS`] caps the work a
//! corrupted or hostile blob can ask for.

use std::fmt;
use std::num::NonZeroU32;

use ring::pbkdf2;
use zeroize::Zeroizing;

use super::pinpad::PinPad;
use super::sealed::SealedError;

/// Iterations used for new blobs.
pub const DEFAULT_ITERATIONS: u32 = 600_000;
/// Fewest iterations a blob may declare.
pub const MIN_ITERATIONS: u32 = 600_000;
/// Most iterations a blob may declare (about 2.5 s on a 2020 phone core).
pub const MAX_ITERATIONS: u32 = 10_000_000;
/// Bytes of random salt per blob.
pub const SALT_LEN: usize = 16;
/// Bytes of derived key (AES-256).
pub const KEY_LEN: usize = 32;

/// The stored KDF parameters of one blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// PBKDF2 iteration count, within [`MIN_ITERATIONS`]..=[`MAX_ITERATIONS`].
    pub iterations: u32,
    /// Random salt, fresh for every seal (enrolment and every PIN change).
    pub salt: [u8; SALT_LEN],
}

impl KdfParams {
    /// Checks the iteration bounds.
    pub fn validate(&self) -> Result<NonZeroU32, SealedError> {
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&self.iterations) {
            return Err(SealedError::KdfIterations(self.iterations));
        }
        NonZeroU32::new(self.iterations).ok_or(SealedError::KdfIterations(self.iterations))
    }
}

/// A key derived from a PIN. Wiped on drop; `Debug` is redacted; the bytes are
/// only reachable inside the crate.
pub struct PinKey(Zeroizing<[u8; KEY_LEN]>);

impl PinKey {
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for PinKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinKey(<redacted>)")
    }
}

/// Derives the key for `params` from a complete PIN (the PBKDF2 password is
/// the PIN's six ASCII digits).
pub fn derive_pin_key(pin: &PinPad, params: &KdfParams) -> Result<PinKey, SealedError> {
    let iterations = params.validate()?;
    let ascii = pin
        .ascii()
        .map_err(|_| SealedError::PinIncomplete { entered: pin.len() })?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &params.salt,
        ascii.as_slice(),
        key.as_mut_slice(),
    );
    Ok(PinKey(key))
}
