//! The shortcut settings document: what the payer allowed instead of the
//! PIN, signed so that the backend can hold the wallet to it (ADR 0022).
//!
//! The wallet sends a [`SignedShortcuts`] to `POST /v1/devices/shortcuts`.
//! Signed by the device key (so after the PIN), it may say anything within
//! the backend's caps; signed by the request key (no PIN: an opt-out, a PIN
//! change, a lapsed biometric key), it may only **narrow** what the backend
//! holds. Its `version` must rise with every document, so an older, wider
//! one cannot be replayed. Signed bytes (integers big-endian, strings and
//! keys preceded by their u32 byte length):
//!
//! ```text
//! "scanpay:shortcuts:v1\n"                     21 bytes, ASCII
//! u32 len ‖ device public key                  32 bytes (Ed25519)
//! u64 version
//! u64 time                                     unix seconds
//! u8 0 | u8 1 ‖ u32 len ‖ biometric key        65-byte uncompressed P-256 point
//! u32 n ‖ n × PIN-free limits:
//!     u32 len ‖ currency alpha code            ASCII, e.g. "SGD"
//!     u16 currency numeric code                e.g. 702
//!     u8  currency exponent                    e.g. 2
//!     u64 per_payment                          minor units
//!     u64 daily_total                          minor units, rolling 24 h
//!     u32 daily_count                          payments, rolling 24 h
//! ```

use ring::signature::{UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::authorisation::RegisteredKeys;
use super::biometric::BIOMETRIC_PUBLIC_KEY_LEN;
use crate::money::Currency;

/// Domain-separation prefix of the settings document's signed bytes.
pub const SHORTCUTS_DOMAIN: &[u8] = b"scanpay:shortcuts:v1\n";
/// Most currencies one document may set PIN-free limits for.
pub const MAX_PIN_FREE_CURRENCIES: usize = 8;
/// Ed25519 signature length (both signers are Ed25519 keys).
const SIGNATURE_LEN: usize = 64;

/// The PIN-free limits the payer chose in one currency (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PinFreeLimits {
    /// The currency.
    pub currency: Currency,
    /// Largest total of one PIN-free payment.
    pub per_payment: u64,
    /// Largest sum of PIN-free payments in any rolling 24 hours.
    pub daily_total: u64,
    /// Most PIN-free payments in any rolling 24 hours.
    pub daily_count: u32,
}

impl PinFreeLimits {
    /// True when every limit is at most `other`'s (same currency).
    pub fn within(&self, other: &PinFreeLimits) -> bool {
        self.currency == other.currency
            && self.per_payment <= other.per_payment
            && self.daily_total <= other.daily_total
            && self.daily_count <= other.daily_count
    }
}

/// What the payer allowed instead of the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShortcutSettings {
    /// Rises with every document the wallet sends.
    pub version: u64,
    /// When the wallet made it, unix seconds (the backend accepts ±300 s).
    pub time: u64,
    /// The platform biometric key's 65-byte uncompressed P-256 point, if
    /// biometric confirmation is on.
    pub biometric_public_key: Option<Vec<u8>>,
    /// PIN-free limits per currency; none = PIN-free is off.
    pub pin_free: Vec<PinFreeLimits>,
}

/// Which key signed a settings document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShortcutSigner {
    /// The PIN-sealed device key: any settings.
    DeviceKey,
    /// The request key (no PIN): only a document that narrows.
    RequestKey,
}

/// A settings document with its signature (the body of
/// `POST /v1/devices/shortcuts`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedShortcuts {
    /// The settings.
    pub settings: ShortcutSettings,
    /// The 32-byte Ed25519 device public key (identifies the device).
    pub device_public_key: Vec<u8>,
    /// Which key signed.
    pub signer: ShortcutSigner,
    /// 64-byte Ed25519 signature over [`ShortcutSettings::signed_bytes`].
    pub signature: Vec<u8>,
}

/// Why a settings document is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShortcutsError {
    /// A field is out of range (named).
    #[error("shortcut settings: {0} is invalid")]
    Invalid(&'static str),
    /// The document names another device key than the verifier's.
    #[error("the shortcut settings are for another device")]
    KeyMismatch,
    /// The signature does not verify.
    #[error("the shortcut settings' signature does not verify")]
    BadSignature,
    /// Signed by the request key, but the device has none registered.
    #[error("no request key is registered for this device")]
    NoRequestKey,
    /// Signed by the request key but allows more than the held settings:
    /// widening needs the PIN.
    #[error("only the PIN can turn a shortcut on or raise a limit")]
    Widens,
    /// Not newer than the held settings.
    #[error("shortcut settings version {got} is not above the held {held}")]
    StaleVersion {
        /// The held version.
        held: u64,
        /// The document's.
        got: u64,
    },
}

impl ShortcutsError {
    /// Stable code for apps and logs.
    pub fn code(&self) -> &'static str {
        match self {
            ShortcutsError::Invalid(_) => "invalid",
            ShortcutsError::KeyMismatch => "key-mismatch",
            ShortcutsError::BadSignature => "bad-signature",
            ShortcutsError::NoRequestKey => "no-request-key",
            ShortcutsError::Widens => "widens",
            ShortcutsError::StaleVersion { .. } => "stale-version",
        }
    }
}

impl ShortcutSettings {
    /// Everything off, at `version` and `time`.
    pub fn off(version: u64, time: u64) -> ShortcutSettings {
        ShortcutSettings {
            version,
            time,
            biometric_public_key: None,
            pin_free: Vec::new(),
        }
    }

    /// The PIN-free limits in `currency`, if PIN-free is on for it.
    pub fn pin_free_for(&self, currency: Currency) -> Option<&PinFreeLimits> {
        self.pin_free.iter().find(|l| l.currency == currency)
    }

    /// Whether biometric confirmation is on.
    pub fn biometric_on(&self) -> bool {
        self.biometric_public_key.is_some()
    }

    /// Checks the fields: a 65-byte uncompressed biometric point; at most
    /// [`MAX_PIN_FREE_CURRENCIES`] distinct currencies; each with a
    /// non-zero per-payment limit no larger than its daily total and a
    /// daily count of at least one.
    pub fn validate(&self) -> Result<(), ShortcutsError> {
        if let Some(k) = &self.biometric_public_key {
            if k.len() != BIOMETRIC_PUBLIC_KEY_LEN || k.first() != Some(&0x04) {
                return Err(ShortcutsError::Invalid("biometric_public_key"));
            }
        }
        if self.pin_free.len() > MAX_PIN_FREE_CURRENCIES {
            return Err(ShortcutsError::Invalid("pin_free"));
        }
        for (i, l) in self.pin_free.iter().enumerate() {
            if self.pin_free[..i].iter().any(|o| o.currency == l.currency) {
                return Err(ShortcutsError::Invalid("pin_free.currency"));
            }
            if l.per_payment == 0 || l.per_payment > l.daily_total {
                return Err(ShortcutsError::Invalid("pin_free.per_payment"));
            }
            if l.daily_count == 0 {
                return Err(ShortcutsError::Invalid("pin_free.daily_count"));
            }
        }
        Ok(())
    }

    /// True when these settings allow nothing `held` does not: no new or
    /// different biometric key, no currency `held` lacks, no limit raised.
    pub fn narrows(&self, held: &ShortcutSettings) -> bool {
        let biometric = match &self.biometric_public_key {
            None => true,
            Some(k) => held.biometric_public_key.as_ref() == Some(k),
        };
        biometric
            && self
                .pin_free
                .iter()
                .all(|l| held.pin_free_for(l.currency).is_some_and(|h| l.within(h)))
    }

    /// The exact bytes signed for `device_public_key` (layout in the module
    /// docs).
    pub fn signed_bytes(&self, device_public_key: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            SHORTCUTS_DOMAIN.len() + 4 + 32 + 16 + 1 + 4 + 65 + 4 + self.pin_free.len() * 34,
        );
        out.extend_from_slice(SHORTCUTS_DOMAIN);
        put_bytes(&mut out, device_public_key);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&self.time.to_be_bytes());
        match &self.biometric_public_key {
            None => out.push(0),
            Some(k) => {
                out.push(1);
                put_bytes(&mut out, k);
            }
        }
        put_len(&mut out, self.pin_free.len());
        for l in &self.pin_free {
            put_bytes(&mut out, l.currency.code().as_bytes());
            out.extend_from_slice(&l.currency.numeric().to_be_bytes());
            out.push(l.currency.exponent());
            out.extend_from_slice(&l.per_payment.to_be_bytes());
            out.extend_from_slice(&l.daily_total.to_be_bytes());
            out.extend_from_slice(&l.daily_count.to_be_bytes());
        }
        out
    }
}

fn put_len(out: &mut Vec<u8>, len: usize) {
    // Every length is capped far below u32::MAX by `validate`; an
    // unvalidated longer one saturates and never verifies.
    out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Verifies a settings document against the device's registered keys and
/// the settings the verifier holds (`None`: none yet). Checks, in order:
/// the fields, the device, the signature by the named signer, the version
/// (above `held`'s), and that a request-key document narrows `held` (with
/// nothing held, only the all-off document narrows). The time window is
/// the caller's (it owns the clock).
pub fn verify_shortcuts(
    keys: &RegisteredKeys<'_>,
    held: Option<&ShortcutSettings>,
    signed: &SignedShortcuts,
) -> Result<(), ShortcutsError> {
    let s = &signed.settings;
    s.validate()?;
    if signed.device_public_key != keys.device {
        return Err(ShortcutsError::KeyMismatch);
    }
    let key = match signed.signer {
        ShortcutSigner::DeviceKey => keys.device,
        ShortcutSigner::RequestKey => keys.request.ok_or(ShortcutsError::NoRequestKey)?,
    };
    if signed.signature.len() != SIGNATURE_LEN {
        return Err(ShortcutsError::BadSignature);
    }
    UnparsedPublicKey::new(&ED25519, key)
        .verify(&s.signed_bytes(keys.device), &signed.signature)
        .map_err(|_| ShortcutsError::BadSignature)?;
    // The version after the signature: an unauthenticated caller must not
    // learn the held version from a 409.
    if let Some(h) = held {
        if s.version <= h.version {
            return Err(ShortcutsError::StaleVersion {
                held: h.version,
                got: s.version,
            });
        }
    }
    if signed.signer == ShortcutSigner::RequestKey {
        let off = ShortcutSettings::off(0, 0);
        if !s.narrows(held.unwrap_or(&off)) {
            return Err(ShortcutsError::Widens);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgd(per_payment: u64, daily_total: u64, daily_count: u32) -> PinFreeLimits {
        PinFreeLimits {
            currency: Currency::SGD,
            per_payment,
            daily_total,
            daily_count,
        }
    }

    #[test]
    fn narrowing_allows_only_less() {
        let held = ShortcutSettings {
            version: 3,
            time: 0,
            biometric_public_key: Some(vec![4; 65]),
            pin_free: vec![sgd(3_000, 10_000, 10)],
        };
        let mut s = held.clone();
        assert!(s.narrows(&held), "the same settings narrow");
        s.biometric_public_key = None;
        s.pin_free = vec![sgd(2_000, 10_000, 5)];
        assert!(s.narrows(&held));
        s.pin_free = vec![sgd(2_000, 10_001, 5)];
        assert!(!s.narrows(&held), "a raised daily total widens");
        s.pin_free = vec![sgd(2_000, 10_000, 11)];
        assert!(!s.narrows(&held), "a raised count widens");
        s.pin_free.clear();
        s.biometric_public_key = Some(vec![4; 64].into_iter().chain([5]).collect());
        assert!(!s.narrows(&held), "another biometric key widens");
        let mut thb = sgd(1, 1, 1);
        thb.currency = Currency::THB;
        s.biometric_public_key = None;
        s.pin_free = vec![thb];
        assert!(!s.narrows(&held), "a new currency widens");
    }

    #[test]
    fn validate_names_the_bad_field() {
        let mut s = ShortcutSettings::off(1, 0);
        s.pin_free = vec![sgd(0, 1, 1)];
        assert_eq!(
            s.validate(),
            Err(ShortcutsError::Invalid("pin_free.per_payment"))
        );
        s.pin_free = vec![sgd(2, 1, 1)];
        assert!(s.validate().is_err(), "per payment over the daily total");
        s.pin_free = vec![sgd(1, 1, 0)];
        assert_eq!(
            s.validate(),
            Err(ShortcutsError::Invalid("pin_free.daily_count"))
        );
        s.pin_free = vec![sgd(1, 1, 1), sgd(1, 1, 1)];
        assert_eq!(
            s.validate(),
            Err(ShortcutsError::Invalid("pin_free.currency"))
        );
        s.pin_free.clear();
        s.biometric_public_key = Some(vec![4; 33]);
        assert_eq!(
            s.validate(),
            Err(ShortcutsError::Invalid("biometric_public_key"))
        );
    }
}
