//! The wire format of a ScanPay-signed EMVCo MPM payload.
//!
//! The signature rides in three unreserved templates (IDs 80–99), each starting
//! with the ScanPay GUID in sub-ID 00, so the payload stays a valid MPM payload
//! that any other parser accepts:
//!
//! * the **signature-info template** — `01` format version, `02` algorithm,
//!   `03` key id and, for dynamic codes, `04` expiry and `05` nonce. It is
//!   covered by the signature, so none of these can be swapped;
//! * two **signature-value templates** — `98` the first 43 and `99` the last 43
//!   characters of the 64-byte signature in unpadded base64url (86 characters
//!   do not fit one value next to the GUID).
//!
//! The signed bytes are [`SIGNED_BYTES_PREFIX`] followed by the payload text with
//! the two signature-value templates and the CRC object cut out: every other
//! top-level data object, in payload order, byte for byte as it appears. Nothing
//! is re-serialised, so two parsers can never disagree on what was signed.
//! `docs/signed-qr.md` is the normative description.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use thiserror::Error;

use super::keys::{Algorithm, SIGNATURE_LEN};
use crate::payload::tlv::{self, DataObject, TlvError};

/// The GUID in sub-ID 00 of every ScanPay template (compared ASCII-case-insensitively).
pub const SCANPAY_GUID: &str = "app.scanpay";
/// The only signature format version this verifier understands.
pub const FORMAT_VERSION: &str = "1";
/// Domain-separation prefix of the signed bytes: a QR signature can never be
/// mistaken for a registry signature or anything else a merchant key signs.
pub const SIGNED_BYTES_PREFIX: &[u8] = b"scanpay:mpm-sig:v1\n";
/// Sub-ID of the format version in the signature-info template.
pub const SUB_VERSION: u8 = 1;
/// Sub-ID of the algorithm code (`ED` / `ES`).
pub const SUB_ALGORITHM: u8 = 2;
/// Sub-ID of the merchant key id.
pub const SUB_KEY_ID: u8 = 3;
/// Sub-ID of the expiry (unix seconds, decimal), dynamic codes only.
pub const SUB_EXPIRY: u8 = 4;
/// Sub-ID of the nonce (unpadded base64url), dynamic codes only.
pub const SUB_NONCE: u8 = 5;
/// Sub-ID of the first half of the signature.
pub const SUB_SIG_FIRST: u8 = 98;
/// Sub-ID of the second half of the signature.
pub const SUB_SIG_SECOND: u8 = 99;
/// Characters of base64url in each signature half (86 = 64 bytes unpadded).
pub const SIG_HALF_CHARS: usize = 43;
/// Longest key id, in characters.
pub const MAX_KEY_ID_CHARS: usize = 32;
/// Shortest nonce in characters: 16 base64url characters carry 96 bits.
pub const MIN_NONCE_CHARS: usize = 16;
/// Longest nonce in characters.
pub const MAX_NONCE_CHARS: usize = 32;
/// Longest payload text the verifier looks at. An MPM payload is at most
/// 512 characters in practice; a QR code of version 40 holds under 3 KB.
pub const MAX_PAYLOAD_BYTES: usize = 4096;

/// Why the signature templates of a payload could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignatureFormatError {
    /// The payload is longer than [`MAX_PAYLOAD_BYTES`].
    #[error("payload is {0} bytes, more than the 4096 accepted")]
    TooLong(usize),
    /// The payload's top level is not a TLV sequence.
    #[error("payload is not a TLV sequence: {0}")]
    Tlv(#[from] TlvError),
    /// The CRC object (ID 63) is missing or not the last object.
    #[error("the CRC object (63) is missing or not last")]
    CrcNotLast,
    /// Two templates of the same ScanPay role.
    #[error("more than one ScanPay {0} template")]
    DuplicateTemplate(&'static str),
    /// A ScanPay template of one role is present but another is missing.
    #[error("ScanPay {0} template is missing")]
    MissingTemplate(&'static str),
    /// A ScanPay template holds a sub-ID this version does not define.
    #[error("ScanPay template {template} holds unknown sub-ID {sub_id:02}")]
    UnknownSubId {
        /// The template's top-level ID.
        template: u8,
        /// The unexpected sub-ID.
        sub_id: u8,
    },
    /// A required sub-field is missing.
    #[error("signature-info sub-ID {0:02} is missing")]
    MissingField(u8),
    /// A sub-field's value is not well-formed.
    #[error("signature-info sub-ID {sub_id:02} is malformed: {why}")]
    BadField {
        /// The sub-ID.
        sub_id: u8,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The format version is not [`FORMAT_VERSION`].
    #[error("unsupported signature format version {0:?}")]
    UnsupportedVersion(String),
    /// The algorithm code is not one this verifier knows.
    #[error("unsupported signature algorithm {0:?}")]
    UnsupportedAlgorithm(String),
    /// Expiry without nonce or nonce without expiry.
    #[error("a dynamic code needs both expiry (04) and nonce (05)")]
    DynamicIncomplete,
    /// The signature halves are not 2 × 43 characters of base64url for 64 bytes.
    #[error("signature value is not 86 characters of unpadded base64url")]
    BadSignatureEncoding,
}

/// Expiry and nonce of a dynamic (single-use) code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DynamicInfo {
    /// Unix seconds; the code is valid while `now < expires_at`.
    pub expires_at: u64,
    /// The nonce exactly as printed (base64url, 16–32 characters).
    pub nonce: String,
}

/// The signed claims of the signature-info template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// The algorithm the code says it was signed with.
    pub algorithm: Algorithm,
    /// The merchant key id to look up in the registry.
    pub key_id: String,
    /// Expiry and nonce, for dynamic codes.
    pub dynamic: Option<DynamicInfo>,
}

/// Everything a verifier needs from a signed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedParts {
    /// The signed claims.
    pub info: SignatureInfo,
    /// The 64 signature bytes.
    pub signature: Vec<u8>,
    /// The exact bytes the signature covers (prefix included).
    pub signed_bytes: Vec<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Info,
    SigFirst,
    SigSecond,
}

/// Returns the sub-objects of `obj` if it is a ScanPay template (ID 80–99,
/// parseable, GUID in sub-ID 00). A template that is not TLV or carries another
/// GUID is someone else's and is left alone.
pub(crate) fn scanpay_children<'a>(obj: &'a DataObject<'a>) -> Option<Vec<DataObject<'a>>> {
    if !(80..=99).contains(&obj.id) {
        return None;
    }
    let children = obj.children().ok()?;
    let guid = children.iter().find(|c| c.id == 0)?;
    guid.value
        .eq_ignore_ascii_case(SCANPAY_GUID)
        .then_some(children)
}

fn role_of(template: u8, children: &[DataObject<'_>]) -> Result<Role, SignatureFormatError> {
    let has = |id: u8| children.iter().any(|c| c.id == id);
    let role = if has(SUB_SIG_FIRST) {
        Role::SigFirst
    } else if has(SUB_SIG_SECOND) {
        Role::SigSecond
    } else {
        Role::Info
    };
    let allowed: &[u8] = match role {
        Role::Info => &[
            0,
            SUB_VERSION,
            SUB_ALGORITHM,
            SUB_KEY_ID,
            SUB_EXPIRY,
            SUB_NONCE,
        ],
        Role::SigFirst => &[0, SUB_SIG_FIRST],
        Role::SigSecond => &[0, SUB_SIG_SECOND],
    };
    // Unknown sub-IDs are refused rather than ignored: a later version may give
    // one a meaning (a restriction) that this verifier would silently drop.
    if let Some(c) = children.iter().find(|c| !allowed.contains(&c.id)) {
        return Err(SignatureFormatError::UnknownSubId {
            template,
            sub_id: c.id,
        });
    }
    Ok(role)
}

fn field<'a>(children: &[DataObject<'a>], id: u8) -> Option<&'a str> {
    children.iter().find(|c| c.id == id).map(|c| c.value)
}

fn is_b64url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Whether `key_id` is a well-formed key id: 1–32 characters of
/// `A–Z a–z 0–9 . _ : -`.
pub fn is_valid_key_id(key_id: &str) -> bool {
    !key_id.is_empty()
        && key_id.len() <= MAX_KEY_ID_CHARS
        && key_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
}

/// Whether `nonce` is a well-formed nonce: 16–32 base64url characters.
pub fn is_valid_nonce(nonce: &str) -> bool {
    (MIN_NONCE_CHARS..=MAX_NONCE_CHARS).contains(&nonce.len()) && nonce.chars().all(is_b64url_char)
}

fn parse_info(children: &[DataObject<'_>]) -> Result<SignatureInfo, SignatureFormatError> {
    let version =
        field(children, SUB_VERSION).ok_or(SignatureFormatError::MissingField(SUB_VERSION))?;
    if version != FORMAT_VERSION {
        return Err(SignatureFormatError::UnsupportedVersion(
            version.to_string(),
        ));
    }
    let alg =
        field(children, SUB_ALGORITHM).ok_or(SignatureFormatError::MissingField(SUB_ALGORITHM))?;
    let algorithm = Algorithm::from_qr_code(alg)
        .ok_or_else(|| SignatureFormatError::UnsupportedAlgorithm(alg.to_string()))?;
    let key_id =
        field(children, SUB_KEY_ID).ok_or(SignatureFormatError::MissingField(SUB_KEY_ID))?;
    if !is_valid_key_id(key_id) {
        return Err(SignatureFormatError::BadField {
            sub_id: SUB_KEY_ID,
            why: "key id must be 1-32 characters of A-Z a-z 0-9 . _ : -",
        });
    }
    let dynamic = match (field(children, SUB_EXPIRY), field(children, SUB_NONCE)) {
        (None, None) => None,
        (Some(exp), Some(nonce)) => {
            if exp.len() > 12 || !exp.bytes().all(|b| b.is_ascii_digit()) {
                return Err(SignatureFormatError::BadField {
                    sub_id: SUB_EXPIRY,
                    why: "expiry must be 1-12 decimal digits (unix seconds)",
                });
            }
            let expires_at = exp
                .parse::<u64>()
                .map_err(|_| SignatureFormatError::BadField {
                    sub_id: SUB_EXPIRY,
                    why: "expiry must be 1-12 decimal digits (unix seconds)",
                })?;
            if !is_valid_nonce(nonce) {
                return Err(SignatureFormatError::BadField {
                    sub_id: SUB_NONCE,
                    why: "nonce must be 16-32 base64url characters",
                });
            }
            Some(DynamicInfo {
                expires_at,
                nonce: nonce.to_string(),
            })
        }
        _ => return Err(SignatureFormatError::DynamicIncomplete),
    };
    Ok(SignatureInfo {
        algorithm,
        key_id: key_id.to_string(),
        dynamic,
    })
}

fn put_once<T>(slot: &mut Option<T>, v: T, role: &'static str) -> Result<(), SignatureFormatError> {
    if slot.replace(v).is_some() {
        return Err(SignatureFormatError::DuplicateTemplate(role));
    }
    Ok(())
}

/// Reads the ScanPay signature of an MPM payload.
///
/// Returns `Ok(None)` when the payload carries no ScanPay template at all (an
/// ordinary, unsigned EMVCo code), `Ok(Some(parts))` with the exact signed bytes
/// when it carries a complete, well-formed signature, and an error otherwise.
/// It does not check the signature itself, nor the CRC's value (the MPM parser
/// does that); it does require the CRC object to be last, because the signed
/// bytes are defined relative to it.
pub fn extract(payload: &str) -> Result<Option<SignedParts>, SignatureFormatError> {
    if payload.len() > MAX_PAYLOAD_BYTES {
        return Err(SignatureFormatError::TooLong(payload.len()));
    }
    let objects = tlv::parse(payload)?;
    let mut info: Option<SignatureInfo> = None;
    let mut first: Option<(usize, &str)> = None;
    let mut second: Option<(usize, &str)> = None;
    for (i, obj) in objects.iter().enumerate() {
        let Some(children) = scanpay_children(obj) else {
            continue;
        };
        match role_of(obj.id, &children)? {
            Role::Info => put_once(&mut info, parse_info(&children)?, "signature-info")?,
            Role::SigFirst => put_once(
                &mut first,
                (i, field(&children, SUB_SIG_FIRST).unwrap_or_default()),
                "signature-value (98)",
            )?,
            Role::SigSecond => put_once(
                &mut second,
                (i, field(&children, SUB_SIG_SECOND).unwrap_or_default()),
                "signature-value (99)",
            )?,
        }
    }
    let (info, first, second) = match (info, first, second) {
        (None, None, None) => return Ok(None),
        (None, _, _) => return Err(SignatureFormatError::MissingTemplate("signature-info")),
        (_, None, _) => {
            return Err(SignatureFormatError::MissingTemplate(
                "signature-value (98)",
            ))
        }
        (_, _, None) => {
            return Err(SignatureFormatError::MissingTemplate(
                "signature-value (99)",
            ))
        }
        (Some(i), Some(f), Some(s)) => (i, f, s),
    };
    match objects.last() {
        Some(last) if last.id == 63 => {}
        _ => return Err(SignatureFormatError::CrcNotLast),
    }
    let signature = decode_signature(first.1, second.1)?;
    let mut signed_bytes = Vec::with_capacity(SIGNED_BYTES_PREFIX.len() + payload.len());
    signed_bytes.extend_from_slice(SIGNED_BYTES_PREFIX);
    for (i, obj) in objects.iter().enumerate() {
        if i == first.0 || i == second.0 || obj.id == 63 {
            continue;
        }
        signed_bytes
            .extend_from_slice(payload.as_bytes().get(obj.span.clone()).unwrap_or_default());
    }
    Ok(Some(SignedParts {
        info,
        signature,
        signed_bytes,
    }))
}

fn decode_signature(first: &str, second: &str) -> Result<Vec<u8>, SignatureFormatError> {
    if first.len() != SIG_HALF_CHARS || second.len() != SIG_HALF_CHARS {
        return Err(SignatureFormatError::BadSignatureEncoding);
    }
    let mut joined = String::with_capacity(2 * SIG_HALF_CHARS);
    joined.push_str(first);
    joined.push_str(second);
    // The strict decoder refuses non-zero trailing bits, so each signature has
    // exactly one printed form.
    let sig = URL_SAFE_NO_PAD
        .decode(joined.as_bytes())
        .map_err(|_| SignatureFormatError::BadSignatureEncoding)?;
    if sig.len() != SIGNATURE_LEN {
        return Err(SignatureFormatError::BadSignatureEncoding);
    }
    Ok(sig)
}

/// Encodes a signature-info template value (GUID, version, algorithm, key id
/// and optional expiry/nonce), for the signing side.
pub fn encode_info(info: &SignatureInfo) -> Result<String, TlvError> {
    let mut v = String::with_capacity(80);
    tlv::encode_into(&mut v, 0, SCANPAY_GUID)?;
    tlv::encode_into(&mut v, SUB_VERSION, FORMAT_VERSION)?;
    tlv::encode_into(&mut v, SUB_ALGORITHM, info.algorithm.qr_code())?;
    tlv::encode_into(&mut v, SUB_KEY_ID, &info.key_id)?;
    if let Some(d) = &info.dynamic {
        tlv::encode_into(&mut v, SUB_EXPIRY, &d.expires_at.to_string())?;
        tlv::encode_into(&mut v, SUB_NONCE, &d.nonce)?;
    }
    Ok(v)
}

/// Encodes the two signature-value template values for a 64-byte signature.
pub fn encode_signature(signature: &[u8]) -> Result<(String, String), TlvError> {
    let text = URL_SAFE_NO_PAD.encode(signature);
    let (a, b) = text.split_at(text.len().min(SIG_HALF_CHARS));
    let mut first = String::with_capacity(70);
    tlv::encode_into(&mut first, 0, SCANPAY_GUID)?;
    tlv::encode_into(&mut first, SUB_SIG_FIRST, a)?;
    let mut second = String::with_capacity(70);
    tlv::encode_into(&mut second, 0, SCANPAY_GUID)?;
    tlv::encode_into(&mut second, SUB_SIG_SECOND, b)?;
    Ok((first, second))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: u8, fields: &[(u8, &str)]) -> String {
        let mut v = String::new();
        for (sub, val) in fields {
            tlv::encode_into(&mut v, *sub, val).unwrap();
        }
        tlv::encode(id, &v).unwrap()
    }

    const HALF: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    fn payload(info: &[(u8, &str)], halves: bool) -> String {
        let mut s = String::from("000201");
        s.push_str(&t(80, info));
        if halves {
            s.push_str(&t(81, &[(0, "APP.SCANPAY"), (98, HALF)]));
            s.push_str(&t(82, &[(0, "app.scanpay"), (99, HALF)]));
        }
        s.push_str("6304ABCD");
        s
    }

    const INFO: &[(u8, &str)] = &[(0, SCANPAY_GUID), (1, "1"), (2, "ED"), (3, "k1")];

    #[test]
    fn unsigned_and_foreign_templates_are_not_signatures() {
        assert_eq!(extract("0002016304ABCD"), Ok(None));
        let foreign = format!("000201{}6304ABCD", t(80, &[(0, "com.other"), (1, "x")]));
        assert_eq!(extract(&foreign), Ok(None));
    }

    #[test]
    fn well_formed_signature_is_extracted() {
        let p = payload(INFO, true);
        let parts = extract(&p).unwrap().unwrap();
        assert_eq!(parts.info.key_id, "k1");
        assert_eq!(parts.signature, vec![0u8; 64]);
        let mut want = SIGNED_BYTES_PREFIX.to_vec();
        want.extend_from_slice(format!("000201{}", t(80, INFO)).as_bytes());
        assert_eq!(parts.signed_bytes, want);
    }

    #[test]
    fn format_errors() {
        assert_eq!(
            extract(&payload(INFO, false)),
            Err(SignatureFormatError::MissingTemplate(
                "signature-value (98)"
            ))
        );
        let dyn_half = [INFO, &[(4, "123")]].concat();
        assert_eq!(
            extract(&payload(&dyn_half, true)),
            Err(SignatureFormatError::DynamicIncomplete)
        );
        let v2 = [(0, SCANPAY_GUID), (1, "2"), (2, "ED"), (3, "k1")];
        assert_eq!(
            extract(&payload(&v2, true)),
            Err(SignatureFormatError::UnsupportedVersion("2".into()))
        );
        let bad_key = [(0, SCANPAY_GUID), (1, "1"), (2, "ED"), (3, "k 1")];
        assert!(matches!(
            extract(&payload(&bad_key, true)),
            Err(SignatureFormatError::BadField { sub_id: 3, .. })
        ));
        let short_nonce = [INFO, &[(4, "123"), (5, "abc")]].concat();
        assert!(matches!(
            extract(&payload(&short_nonce, true)),
            Err(SignatureFormatError::BadField { sub_id: 5, .. })
        ));
        // CRC not last.
        let p = payload(INFO, true).replace("6304ABCD", "") + "6304ABCD0002xx";
        assert!(matches!(
            extract(&p),
            Err(SignatureFormatError::Tlv(_)) | Err(SignatureFormatError::CrcNotLast)
        ));
        let p = format!(
            "6304ABCD{}",
            payload(INFO, true)
                .replace("6304ABCD", "")
                .replace("000201", "")
        );
        assert_eq!(extract(&p), Err(SignatureFormatError::CrcNotLast));
        // Non-canonical base64url (trailing bits set in the last character).
        let p =
            payload(INFO, true).replace(&format!("9943{HALF}"), &format!("9943{}B", &HALF[..42]));
        assert_eq!(extract(&p), Err(SignatureFormatError::BadSignatureEncoding));
        assert_eq!(
            extract(&"0".repeat(MAX_PAYLOAD_BYTES + 1)),
            Err(SignatureFormatError::TooLong(MAX_PAYLOAD_BYTES + 1))
        );
    }

    #[test]
    fn duplicate_roles_are_refused() {
        let mut p = payload(INFO, true).replace("6304ABCD", "");
        p.push_str(&t(83, &[(0, SCANPAY_GUID), (98, HALF)]));
        p.push_str("6304ABCD");
        assert_eq!(
            extract(&p),
            Err(SignatureFormatError::DuplicateTemplate(
                "signature-value (98)"
            ))
        );
    }
}
