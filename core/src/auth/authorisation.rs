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
//!
//! Three methods can authorise a payment (ADR 0022). They sign the same
//! fields under different domain prefixes, so a signature made for one
//! method never verifies as another:
//!
//! | [`PaymentAuthMethod`] | domain | key | signature |
//! |---|---|---|---|
//! | `pin` | [`AUTH_DOMAIN`] | the device key (Ed25519, PIN-sealed) | 64 bytes |
//! | `biometric` | [`BIOMETRIC_AUTH_DOMAIN`] | the platform biometric key (ECDSA P-256, SHA-256) | ASN.1 DER |
//! | `pin-free` | [`PIN_FREE_AUTH_DOMAIN`] | the request key (Ed25519) | 64 bytes |

use ring::digest;
use ring::signature::{UnparsedPublicKey, ED25519};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::biometric::verify_biometric_signature;
use crate::money::Currency;

/// Domain-separation prefix of the bytes the PIN-sealed device key signs.
pub const AUTH_DOMAIN: &[u8] = b"scanpay:payment-auth:v1\n";
/// Domain-separation prefix of the bytes the platform biometric key signs.
pub const BIOMETRIC_AUTH_DOMAIN: &[u8] = b"scanpay:payment-auth:biometric:v1\n";
/// Domain-separation prefix of the bytes the request key signs for a
/// PIN-free payment.
pub const PIN_FREE_AUTH_DOMAIN: &[u8] = b"scanpay:payment-auth:pin-free:v1\n";
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

/// How the payer authorised a payment, and so which key signed it and under
/// which domain (ADR 0022).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PaymentAuthMethod {
    /// The six-digit PIN opened the device key, which signed.
    #[default]
    Pin,
    /// The platform's strong biometric check released the biometric key,
    /// which signed the core's challenge.
    Biometric,
    /// No user verification: a small payment within the limits the payer
    /// set with the PIN, signed by the request key.
    PinFree,
}

impl PaymentAuthMethod {
    /// Every method, in a stable order (for tables and tests).
    pub const ALL: [PaymentAuthMethod; 3] = [
        PaymentAuthMethod::Pin,
        PaymentAuthMethod::Biometric,
        PaymentAuthMethod::PinFree,
    ];

    /// The stable code on the wire, in the journal and for the apps:
    /// `pin`, `biometric`, `pin-free`.
    pub fn code(&self) -> &'static str {
        match self {
            PaymentAuthMethod::Pin => "pin",
            PaymentAuthMethod::Biometric => "biometric",
            PaymentAuthMethod::PinFree => "pin-free",
        }
    }

    /// The domain prefix of the bytes this method's key signs.
    pub fn domain(&self) -> &'static [u8] {
        match self {
            PaymentAuthMethod::Pin => AUTH_DOMAIN,
            PaymentAuthMethod::Biometric => BIOMETRIC_AUTH_DOMAIN,
            PaymentAuthMethod::PinFree => PIN_FREE_AUTH_DOMAIN,
        }
    }
}

/// An authorisation with its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAuthorisation {
    /// What was signed.
    pub authorisation: PaymentAuthorisation,
    /// Which key signed, under which domain. Absent on the wire and in
    /// records written before ADR 0022: the PIN.
    #[serde(default)]
    pub method: PaymentAuthMethod,
    /// The 32-byte Ed25519 device public key: it identifies the device
    /// whatever the method.
    pub device_public_key: Vec<u8>,
    /// The signature over [`PaymentAuthorisation::signed_bytes_for`] the
    /// method: 64-byte Ed25519 (`pin`, `pin-free`) or ASN.1 DER ECDSA P-256
    /// (`biometric`).
    pub signature: Vec<u8>,
}

/// The keys a backend holds for one device, against which an authorisation
/// of any method is verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisteredKeys<'a> {
    /// The 32-byte Ed25519 device public key.
    pub device: &'a [u8],
    /// The 32-byte Ed25519 request public key, if registered.
    pub request: Option<&'a [u8]>,
    /// The 65-byte P-256 biometric public key, if the payer opted in.
    pub biometric: Option<&'a [u8]>,
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
    /// The method needs a key the verifier does not hold for this device
    /// (a biometric payment from a device that never opted in, a PIN-free
    /// one without a request key), or the verifier accepts only the PIN.
    #[error("no key for a {} authorisation", .0.code())]
    NoKeyForMethod(PaymentAuthMethod),
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

    /// The exact bytes the device key signs for a PIN payment (layout in
    /// the module docs).
    pub fn signed_bytes(&self) -> Vec<u8> {
        self.signed_bytes_for(PaymentAuthMethod::Pin)
    }

    /// The exact bytes signed for `method`: its domain, then the fields in
    /// the layout of the module docs. For [`PaymentAuthMethod::Biometric`] these
    /// bytes are the challenge the platform key signs.
    pub fn signed_bytes_for(&self, method: PaymentAuthMethod) -> Vec<u8> {
        let domain = method.domain();
        let mut out = Vec::with_capacity(
            domain.len()
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
        out.extend_from_slice(domain);
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

/// Verifies a PIN authorisation `signed` against the registered device
/// `public_key` (what the backend does before moving money). Any other
/// method is [`AuthorisationError::NoKeyForMethod`]: use
/// [`verify_authorisation_with`] where shortcuts are accepted.
pub fn verify_authorisation(
    public_key: &[u8],
    signed: &SignedAuthorisation,
) -> Result<(), AuthorisationError> {
    verify_authorisation_with(
        &RegisteredKeys {
            device: public_key,
            request: None,
            biometric: None,
        },
        signed,
    )
}

/// Verifies `signed` with the key its method names: the device key (PIN),
/// the biometric key or the request key (PIN-free), each under its own
/// domain. `signed.device_public_key` must be `keys.device` in every method.
pub fn verify_authorisation_with(
    keys: &RegisteredKeys<'_>,
    signed: &SignedAuthorisation,
) -> Result<(), AuthorisationError> {
    signed.authorisation.validate()?;
    if signed.device_public_key != keys.device {
        return Err(AuthorisationError::KeyMismatch);
    }
    let message = signed.authorisation.signed_bytes_for(signed.method);
    let ed25519 = |key: &[u8]| {
        if signed.signature.len() != SIGNATURE_LEN {
            return Err(AuthorisationError::BadSignature);
        }
        UnparsedPublicKey::new(&ED25519, key)
            .verify(&message, &signed.signature)
            .map_err(|_| AuthorisationError::BadSignature)
    };
    match signed.method {
        PaymentAuthMethod::Pin => ed25519(keys.device),
        PaymentAuthMethod::PinFree => ed25519(keys.request.ok_or(
            AuthorisationError::NoKeyForMethod(PaymentAuthMethod::PinFree),
        )?),
        PaymentAuthMethod::Biometric => {
            let key = keys.biometric.ok_or(AuthorisationError::NoKeyForMethod(
                PaymentAuthMethod::Biometric,
            ))?;
            verify_biometric_signature(key, &message, &signed.signature)
        }
    }
}

#[cfg(test)]
mod tests {
    use ring::signature::{Ed25519KeyPair, KeyPair};

    use super::*;
    use crate::auth::biometric::{BiometricKey, BiometricPromptText, SoftwareBiometricKey};

    fn auth() -> PaymentAuthorisation {
        PaymentAuthorisation {
            payment_id: "0f8fad5b-d9cb-469f-a165-70867728950e".into(),
            merchant_key_id: "kopi-2".into(),
            merchant_account: "26=0010SG.SCANPAY0105M0001".into(),
            amount_minor: 450,
            currency: Currency::SGD,
            payload_sha256: [7; 32],
            time: 1_767_225_600,
        }
    }

    fn ed25519(seed: u8) -> Ed25519KeyPair {
        Ed25519KeyPair::from_seed_unchecked(&[seed; 32]).unwrap()
    }

    #[test]
    fn each_method_verifies_only_with_its_key_and_domain() {
        let device = ed25519(1);
        let request = ed25519(2);
        let bio = SoftwareBiometricKey::new();
        let bio_pk = bio.create_key().unwrap();
        let keys = RegisteredKeys {
            device: device.public_key().as_ref(),
            request: Some(request.public_key().as_ref()),
            biometric: Some(&bio_pk),
        };
        let a = auth();
        let prompt = BiometricPromptText {
            title: String::new(),
            subtitle: String::new(),
            cancel: String::new(),
        };
        let signed = |method, signature: Vec<u8>| SignedAuthorisation {
            authorisation: a.clone(),
            method,
            device_public_key: keys.device.to_vec(),
            signature,
        };
        let pin = signed(
            PaymentAuthMethod::Pin,
            device.sign(&a.signed_bytes()).as_ref().to_vec(),
        );
        let free = signed(
            PaymentAuthMethod::PinFree,
            request
                .sign(&a.signed_bytes_for(PaymentAuthMethod::PinFree))
                .as_ref()
                .to_vec(),
        );
        let touch = signed(
            PaymentAuthMethod::Biometric,
            bio.sign(&a.signed_bytes_for(PaymentAuthMethod::Biometric), &prompt)
                .unwrap(),
        );
        for ok in [&pin, &free, &touch] {
            assert_eq!(
                verify_authorisation_with(&keys, ok),
                Ok(()),
                "{:?}",
                ok.method
            );
        }
        // The same signature presented as another method never verifies.
        for (s, as_method) in [
            (&pin, PaymentAuthMethod::PinFree),
            (&free, PaymentAuthMethod::Pin),
            (&touch, PaymentAuthMethod::Pin),
            (&free, PaymentAuthMethod::Biometric),
        ] {
            let mut relabelled = s.clone();
            relabelled.method = as_method;
            assert_eq!(
                verify_authorisation_with(&keys, &relabelled),
                Err(AuthorisationError::BadSignature),
                "{:?} relabelled {:?}",
                s.method,
                as_method
            );
        }
        // The PIN-only verifier refuses the shortcuts outright.
        assert_eq!(
            verify_authorisation(keys.device, &free),
            Err(AuthorisationError::NoKeyForMethod(
                PaymentAuthMethod::PinFree
            ))
        );
        assert_eq!(verify_authorisation(keys.device, &pin), Ok(()));
        let no_bio = RegisteredKeys {
            biometric: None,
            ..keys
        };
        assert_eq!(
            verify_authorisation_with(&no_bio, &touch),
            Err(AuthorisationError::NoKeyForMethod(
                PaymentAuthMethod::Biometric
            ))
        );
    }

    #[test]
    fn the_domains_are_distinct_and_the_pin_bytes_unchanged() {
        let a = auth();
        assert_eq!(a.signed_bytes(), a.signed_bytes_for(PaymentAuthMethod::Pin));
        assert!(a.signed_bytes().starts_with(AUTH_DOMAIN));
        let tails: Vec<Vec<u8>> = PaymentAuthMethod::ALL
            .iter()
            .map(|m| a.signed_bytes_for(*m)[m.domain().len()..].to_vec())
            .collect();
        assert!(tails.windows(2).all(|w| w[0] == w[1]), "same fields");
        assert_eq!(
            PaymentAuthMethod::ALL.map(|m| m.code()),
            ["pin", "biometric", "pin-free"]
        );
    }
}
