//! Payment authorisations: what the device key signs.
//!
//! A signature by the device key proves the PIN was entered, because the key
//! only exists decrypted after a correct PIN. The signed bytes are exact and
//! domain-separated, so a signature can never be replayed as anything else:
//!
//! ```text
//! "scanpay:payment-auth:v1\n"                  24 bytes, ASCII
//! u32 len ‖ payment_id                         UTF-8
//! u32 len ‖ merchant_key_id                    UTF-8
//! u32 len ‖ merchant_account                   UTF-8
//! u64 amount_minor
//! u32 len ‖ currency alpha code                ASCII, e.g. "THB"
//! u16 currency numeric code                    e.g. 764
//! u8  currency exponent                        e.g. 2
//! 32 bytes payload_sha256                      SHA-256 of the scanned payload text
//! u64 time                                     unix seconds
//! ```
//!
//! All integers are big-endian. Strings are length-prefixed so no two field
//! lists produce the same bytes.

use ring::digest;
use ring::signature::{UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::money::Currency;

/// Domain-separation prefix of the signed bytes.
pub const AUTH_DOMAIN: &[u8] = b"scanpay:payment-auth:v1\n";
/// Longest payment id accepted (a UUID is 36).
pub const MAX_PAYMENT_ID_LEN: usize = 64;
/// Longest merchant key id accepted (registry key ids are at most 32).
pub const MAX_KEY_ID_LEN: usize = 64;
/// Longest merchant account text accepted (EMVCo template values are at most 99
/// characters; a rendered account may add its GUID).
pub const MAX_ACCOUNT_LEN: usize = 256;
/// Ed25519 signature length.
pub const SIGNATURE_LEN: usize = 64;

/// What the payer approves with the PIN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentAuthorisation {
    /// The payment's id (UUID v4, its idempotency key).
    pub payment_id: String,
    /// The registry key id that verified the merchant.
    pub merchant_key_id: String,
    /// The merchant account being paid.
    pub merchant_account: String,
    /// Total in minor units.
    pub amount_minor: u64,
    /// Currency of the total.
    pub currency: Currency,
    /// SHA-256 of the scanned payload text (see [`PaymentAuthorisation::payload_digest`]).
    pub payload_sha256: [u8; 32],
    /// When the payer authorised, unix seconds.
    pub time: u64,
}

/// An authorisation with the device key's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAuthorisation {
    /// What was signed.
    pub authorisation: PaymentAuthorisation,
    /// The 32-byte Ed25519 device public key.
    pub device_public_key: Vec<u8>,
    /// The 64-byte Ed25519 signature over [`PaymentAuthorisation::signed_bytes`].
    pub signature: Vec<u8>,
}

/// An authorisation did not verify or is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthorisationError {
    /// A field is longer than its cap.
    #[error("authorisation field {0} is too long")]
    FieldTooLong(&'static str),
    /// The authorisation names another device key than the one expected.
    #[error("authorisation is signed by another device key")]
    KeyMismatch,
    /// The signature does not verify.
    #[error("authorisation signature does not verify")]
    BadSignature,
}

impl PaymentAuthorisation {
    /// SHA-256 of the scanned payload text, for [`PaymentAuthorisation::payload_sha256`].
    pub fn payload_digest(payload: &str) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(digest::digest(&digest::SHA256, payload.as_bytes()).as_ref());
        out
    }

    /// Checks the field caps.
    pub fn validate(&self) -> Result<(), AuthorisationError> {
        for (name, value, cap) in [
            ("payment_id", &self.payment_id, MAX_PAYMENT_ID_LEN),
            ("merchant_key_id", &self.merchant_key_id, MAX_KEY_ID_LEN),
            ("merchant_account", &self.merchant_account, MAX_ACCOUNT_LEN),
        ] {
            if value.len() > cap {
                return Err(AuthorisationError::FieldTooLong(name));
            }
        }
        Ok(())
    }

    /// The exact bytes the device key signs (layout in the module docs).
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            AUTH_DOMAIN.len()
                + 3 * 4
                + self.payment_id.len()
                + self.merchant_key_id.len()
                + self.merchant_account.len()
                + 8
                + 4
                + 3
                + 2
                + 1
                + 32
                + 8,
        );
        out.extend_from_slice(AUTH_DOMAIN);
        put_str(&mut out, &self.payment_id);
        put_str(&mut out, &self.merchant_key_id);
        put_str(&mut out, &self.merchant_account);
        out.extend_from_slice(&self.amount_minor.to_be_bytes());
        put_str(&mut out, self.currency.code());
        out.extend_from_slice(&self.currency.numeric().to_be_bytes());
        out.push(self.currency.exponent());
        out.extend_from_slice(&self.payload_sha256);
        out.extend_from_slice(&self.time.to_be_bytes());
        out
    }
}

/// Appends a u32 big-endian length and the bytes. Fields are capped far below
/// `u32::MAX` by [`PaymentAuthorisation::validate`]; a longer string (only
/// possible without validation) saturates the prefix and would never verify.
fn put_str(out: &mut Vec<u8>, s: &str) {
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Verifies `signed` against the registered device `public_key` (what the
/// backend does before moving money).
pub fn verify_authorisation(
    public_key: &[u8],
    signed: &SignedAuthorisation,
) -> Result<(), AuthorisationError> {
    signed.authorisation.validate()?;
    if signed.device_public_key != public_key {
        return Err(AuthorisationError::KeyMismatch);
    }
    if signed.signature.len() != SIGNATURE_LEN {
        return Err(AuthorisationError::BadSignature);
    }
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&signed.authorisation.signed_bytes(), &signed.signature)
        .map_err(|_| AuthorisationError::BadSignature)
}
