//! EMVCo Consumer-Presented Mode: a payer's payment code, shown on *their*
//! phone for a merchant to scan.
//!
//! A wallet that scans one has been pointed at the wrong code (or at someone's
//! card data), so this module only recognises and describes it: enough to say
//! "this is someone's payment code, not a merchant code". The text is base64 of
//! BER-TLV starting with tag 85 = "CPV01", followed by application templates
//! (61) and an optional common data template (62).
//!
//! Card data is handled with care: a PAN is kept only as a [`MaskedPan`]
//! (first six and last four digits), track 2 is reduced to its PAN, and raw
//! values of other tags are not kept at all, only their tags.
//!
//! One application is read whole: ScanPay's own pay code (AID
//! [`SCANPAY_AID_HEX`], `docs/paycode.md`), whose 5A carries an 18-digit
//! one-time code, not a PAN. It is kept as a [`PayCode`] (whose `Debug`
//! hides the middle digits) so that a till can charge it.

use std::fmt;

use base64::Engine as _;
use thiserror::Error;

use crate::paycode::code::{PayCode, SCANPAY_AID_HEX};

/// Longest CPM text accepted, in bytes. Real payment codes are a few hundred.
pub const MAX_CPM_CHARS: usize = 1024;
/// Deepest template nesting accepted (61 → 63 → value is 2).
pub const MAX_DEPTH: usize = 4;
/// Most data objects accepted in one payload, all levels together.
pub const MAX_OBJECTS: usize = 128;

/// Why a text is not a valid Consumer-Presented Mode payload.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CpmError {
    /// Longer than [`MAX_CPM_CHARS`].
    #[error("the payment code is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not valid base64.
    #[error("the payment code is not valid base64")]
    Base64,
    /// Malformed BER-TLV at byte `offset` of the decoded data.
    #[error("malformed BER-TLV at byte {offset}: {reason}")]
    Ber {
        /// Byte offset in the decoded data.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// Templates nested deeper than [`MAX_DEPTH`], or more than [`MAX_OBJECTS`] objects.
    #[error("the payment code is nested too deeply or has too many data objects")]
    TooComplex,
    /// The first data object is not tag 85 with value "CPV01".
    #[error("the payment code does not start with the CPV01 payload format indicator")]
    FormatIndicator,
    /// No application template (61).
    #[error("the payment code carries no application template")]
    NoApplication,
}

impl CpmError {
    /// A stable, kebab-case code for the error's kind (no offsets), for UIs,
    /// logs and tests that must not match on messages.
    pub fn code(&self) -> &'static str {
        match self {
            CpmError::TooLong { .. } => "too-long",
            CpmError::Base64 => "base64",
            CpmError::Ber { .. } => "ber",
            CpmError::TooComplex => "too-complex",
            CpmError::FormatIndicator => "format-indicator",
            CpmError::NoApplication => "no-application",
        }
    }
}

/// A primary account number, of which only the first six and last four digits
/// are kept; `Debug` and `Display` both show it masked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MaskedPan {
    first6: String,
    last4: String,
    len: usize,
}

impl MaskedPan {
    /// Masks a PAN given as digits; `None` unless it is 8 to 19 ASCII digits.
    pub fn from_digits(digits: &str) -> Option<MaskedPan> {
        let len = digits.len();
        if !(8..=19).contains(&len) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Short PANs would be almost fully revealed by 6 + 4: show only the last four.
        let first6 = if len >= 13 {
            digits.get(..6)?.to_owned()
        } else {
            String::new()
        };
        Some(MaskedPan {
            first6,
            last4: digits.get(len - 4..)?.to_owned(),
            len,
        })
    }

    /// The issuer identification number (first six digits), when the PAN is long enough to show it.
    pub fn bin(&self) -> Option<&str> {
        (!self.first6.is_empty()).then_some(self.first6.as_str())
    }

    /// The last four digits.
    pub fn last4(&self) -> &str {
        &self.last4
    }

    /// Number of digits in the full PAN.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always false: a PAN has at least eight digits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Display for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = self.len - self.first6.len() - self.last4.len();
        write!(f, "{}{}{}", self.first6, "*".repeat(hidden), self.last4)
    }
}

impl fmt::Debug for MaskedPan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MaskedPan({self})")
    }
}

/// One application (template 61) or the common data template (62).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CpmApplication {
    /// 4F: application identifier, upper-case hex (e.g. "A0000000031010" for Visa).
    pub aid: Option<String>,
    /// 50: application label ("VISA CREDIT").
    pub label: Option<String>,
    /// 5A, or the PAN part of 57 (track 2 equivalent), masked. Never set
    /// for the ScanPay application, whose 5A is a pay code, not a PAN.
    pub pan: Option<MaskedPan>,
    /// For the ScanPay application (4F = [`SCANPAY_AID_HEX`]) only: the
    /// whole pay code in its 5A, when that is 18 BCD digits with the
    /// ScanPay prefix.
    pub paycode: Option<PayCode>,
    /// Whether track 2 equivalent data (57) is present.
    pub has_track2: bool,
    /// 5F20: cardholder name, if the code carries one.
    pub cardholder_name: Option<String>,
    /// Whether an application cryptogram (9F26) is present: a live payment authorisation.
    pub has_cryptogram: bool,
    /// Every tag seen in the template (nested ones included), in order; values are not kept.
    pub tags: Vec<u32>,
}

/// A parsed Consumer-Presented Mode payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerPayload {
    /// Application templates (61), in order.
    pub applications: Vec<CpmApplication>,
    /// The common data template (62), if any.
    pub common: Option<CpmApplication>,
}

impl ConsumerPayload {
    /// Whether `text` looks like a CPM payload: base64 of tag 85, length 5, "CPV".
    pub fn looks_like(text: &str) -> bool {
        text.trim_start().starts_with("hQVDUFY")
    }

    /// Decodes and parses a payload.
    pub fn parse(text: &str) -> Result<ConsumerPayload, CpmError> {
        if text.len() > MAX_CPM_CHARS {
            return Err(CpmError::TooLong {
                len: text.len(),
                max: MAX_CPM_CHARS,
            });
        }
        let text = text.trim();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
            .map_err(|_| CpmError::Base64)?;
        let mut budget = MAX_OBJECTS;
        let top = parse_ber(&bytes, 0, 0, &mut budget)?;
        match top.first() {
            Some(o) if o.tag == 0x85 && o.value == b"CPV01" => {}
            _ => return Err(CpmError::FormatIndicator),
        }
        let mut applications = Vec::new();
        let mut common = None;
        for o in top.iter().skip(1) {
            match o.tag {
                0x61 => applications.push(describe(&o.children)),
                0x62 => common = Some(describe(&o.children)),
                _ => {}
            }
        }
        if applications.is_empty() {
            return Err(CpmError::NoApplication);
        }
        Ok(ConsumerPayload {
            applications,
            common,
        })
    }

    /// The first masked PAN in the payload (applications first, then common data).
    pub fn pan(&self) -> Option<&MaskedPan> {
        self.applications
            .iter()
            .chain(self.common.iter())
            .find_map(|a| a.pan.as_ref())
    }
}

struct Ber<'a> {
    tag: u32,
    value: &'a [u8],
    children: Vec<Ber<'a>>,
}

fn ber_err(offset: usize, reason: &'static str) -> CpmError {
    CpmError::Ber { offset, reason }
}

/// A bounded BER-TLV parser: tags of up to three bytes, definite lengths of
/// up to two bytes, nesting up to [`MAX_DEPTH`], at most [`MAX_OBJECTS`] objects.
fn parse_ber<'a>(
    data: &'a [u8],
    base: usize,
    depth: usize,
    budget: &mut usize,
) -> Result<Vec<Ber<'a>>, CpmError> {
    if depth > MAX_DEPTH {
        return Err(CpmError::TooComplex);
    }
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < data.len() {
        let at = base + i;
        *budget = budget.checked_sub(1).ok_or(CpmError::TooComplex)?;
        let first = *data.get(i).ok_or_else(|| ber_err(at, "truncated tag"))?;
        if first == 0x00 || first == 0xFF {
            // Padding between objects is allowed by ISO 7816-4.
            i += 1;
            continue;
        }
        let mut tag = u32::from(first);
        i += 1;
        if first & 0x1F == 0x1F {
            let mut n = 0;
            loop {
                let b = *data.get(i).ok_or_else(|| ber_err(at, "truncated tag"))?;
                tag = (tag << 8) | u32::from(b);
                i += 1;
                n += 1;
                if b & 0x80 == 0 {
                    break;
                }
                if n >= 2 {
                    return Err(ber_err(at, "tag longer than three bytes"));
                }
            }
        }
        let l0 = *data.get(i).ok_or_else(|| ber_err(at, "truncated length"))?;
        i += 1;
        let len = match l0 {
            0x00..=0x7F => usize::from(l0),
            0x81 => {
                let b = *data.get(i).ok_or_else(|| ber_err(at, "truncated length"))?;
                i += 1;
                usize::from(b)
            }
            0x82 => {
                let hi = *data.get(i).ok_or_else(|| ber_err(at, "truncated length"))?;
                let lo = *data
                    .get(i + 1)
                    .ok_or_else(|| ber_err(at, "truncated length"))?;
                i += 2;
                usize::from(hi) << 8 | usize::from(lo)
            }
            _ => return Err(ber_err(at, "unsupported length form")),
        };
        let value = data
            .get(i..i + len)
            .ok_or_else(|| ber_err(at, "value runs past the end"))?;
        let constructed = first & 0x20 != 0;
        let children = if constructed {
            parse_ber(value, base + i, depth + 1, budget)?
        } else {
            Vec::new()
        };
        out.push(Ber {
            tag,
            value,
            children,
        });
        i += len;
    }
    Ok(out)
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// BCD digits of a PAN: nibbles, trailing 'F' padding removed.
fn bcd_pan(bytes: &[u8]) -> Option<MaskedPan> {
    let hex = hex_upper(bytes);
    MaskedPan::from_digits(hex.trim_end_matches('F'))
}

fn describe(children: &[Ber<'_>]) -> CpmApplication {
    let mut a = CpmApplication::default();
    // The first 5A's raw BCD, kept until the AID is known (4F may follow 5A).
    let mut first_5a: Option<String> = None;
    let mut stack: Vec<&Ber<'_>> = children.iter().rev().collect();
    while let Some(o) = stack.pop() {
        a.tags.push(o.tag);
        match o.tag {
            0x4F => a.aid = Some(hex_upper(o.value)),
            0x50 => a.label = Some(String::from_utf8_lossy(o.value).into_owned()),
            0x5A => {
                if first_5a.is_none() {
                    first_5a = Some(hex_upper(o.value));
                }
                a.pan = bcd_pan(o.value).or(a.pan.take());
            }
            0x57 => {
                a.has_track2 = true;
                if a.pan.is_none() {
                    // Track 2: PAN, separator 'D', expiry, service code, discretionary data.
                    let hex = hex_upper(o.value);
                    a.pan = hex.split('D').next().and_then(MaskedPan::from_digits);
                }
            }
            0x5F20 => a.cardholder_name = Some(String::from_utf8_lossy(o.value).trim().to_owned()),
            0x9F26 => a.has_cryptogram = true,
            _ => {}
        }
        stack.extend(o.children.iter().rev());
    }
    if a.aid.as_deref() == Some(SCANPAY_AID_HEX) {
        // A one-time code, not card data: keep it whole, never as a PAN.
        a.pan = None;
        a.paycode = first_5a.and_then(|hex| PayCode::from_digits(hex).ok());
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Consumer-Presented Mode example from dongri/emv-qrcode's README
    /// (two applications, a common data template with PAN 1234567890123458).
    const EXAMPLE: &str = "hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0MmJJWggSNFZ4kBI0WF8gDkNBUkRIT0xERVIvRU1WXy0IcnVlc2RlZW5kIZ8QBwYBCgMAAACfJghYT9OF+iNLzJ82AgABnzcEbVjvEw==";

    #[test]
    fn parses_the_example() {
        assert!(ConsumerPayload::looks_like(EXAMPLE));
        let p = ConsumerPayload::parse(EXAMPLE).unwrap();
        assert_eq!(p.applications.len(), 2);
        assert_eq!(p.applications[0].aid.as_deref(), Some("A0000000555555"));
        assert_eq!(p.applications[0].label.as_deref(), Some("Product1"));
        assert_eq!(p.applications[1].label.as_deref(), Some("Product2"));
        let c = p.common.as_ref().unwrap();
        assert_eq!(c.cardholder_name.as_deref(), Some("CARDHOLDER/EMV"));
        assert!(c.has_cryptogram);
        assert!(c.tags.contains(&0x9F36));
        let pan = p.pan().unwrap();
        assert_eq!(pan.to_string(), "123456******3458");
        assert_eq!(pan.bin(), Some("123456"));
        // Never the full PAN, in any output.
        let debug = format!("{p:?}");
        assert!(!debug.contains("1234567890123458"), "{debug}");
        assert!(!debug.contains("7890"), "{debug}");
    }

    #[test]
    fn masks() {
        let p = MaskedPan::from_digits("4111111111111111").unwrap();
        assert_eq!(p.to_string(), "411111******1111");
        assert_eq!(format!("{p:?}"), "MaskedPan(411111******1111)");
        let short = MaskedPan::from_digits("12345678").unwrap();
        assert_eq!(short.to_string(), "****5678");
        assert_eq!(short.bin(), None);
        assert!(MaskedPan::from_digits("1234567").is_none());
        assert!(MaskedPan::from_digits("12345678901234567890").is_none());
        assert!(MaskedPan::from_digits("4111x11111111111").is_none());
    }

    #[test]
    fn track2_gives_a_masked_pan() {
        // 85 05 CPV01, 61 { 4F 07 A0000000031010, 57 13 4761739001010119D22122011143804400000F }
        let mut raw = vec![0x85, 0x05];
        raw.extend_from_slice(b"CPV01");
        let app: Vec<u8> = [
            &[0x4F, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10][..],
            &[
                0x57, 0x13, 0x47, 0x61, 0x73, 0x90, 0x01, 0x01, 0x01, 0x19, 0xD2, 0x21, 0x22, 0x01,
                0x11, 0x43, 0x80, 0x44, 0x00, 0x00, 0x0F,
            ][..],
        ]
        .concat();
        raw.push(0x61);
        raw.push(u8::try_from(app.len()).unwrap());
        raw.extend_from_slice(&app);
        let text = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert!(ConsumerPayload::looks_like(&text));
        let p = ConsumerPayload::parse(&text).unwrap();
        let a = &p.applications[0];
        assert!(a.has_track2);
        assert_eq!(a.aid.as_deref(), Some("A0000000031010"));
        assert_eq!(
            a.pan.as_ref().map(ToString::to_string).as_deref(),
            Some("476173******0119")
        );
    }

    #[test]
    fn errors() {
        assert_eq!(ConsumerPayload::parse("hQVDUFY!!"), Err(CpmError::Base64));
        let enc = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        assert_eq!(
            ConsumerPayload::parse(&enc(b"\x85\x05CPV02")),
            Err(CpmError::FormatIndicator)
        );
        assert_eq!(
            ConsumerPayload::parse(&enc(b"\x85\x05CPV01")),
            Err(CpmError::NoApplication)
        );
        assert!(matches!(
            ConsumerPayload::parse(&enc(b"\x85\x09CPV01")),
            Err(CpmError::Ber { .. })
        ));
        assert!(matches!(
            ConsumerPayload::parse(&enc(b"\x85\x05CPV01\x61\x83\x00\x00\x01")),
            Err(CpmError::Ber { .. })
        ));
        // Deep nesting: 61 { 61 { 61 { ... } } }.
        let mut deep = b"\x4F\x01\x00".to_vec();
        for _ in 0..8 {
            let mut outer = vec![0x61, u8::try_from(deep.len()).unwrap()];
            outer.extend_from_slice(&deep);
            deep = outer;
        }
        let mut raw = b"\x85\x05CPV01".to_vec();
        raw.extend_from_slice(&deep);
        assert_eq!(
            ConsumerPayload::parse(&enc(&raw)),
            Err(CpmError::TooComplex)
        );
        let long = "hQVDUFY".to_owned() + &"A".repeat(MAX_CPM_CHARS);
        assert!(matches!(
            ConsumerPayload::parse(&long),
            Err(CpmError::TooLong { .. })
        ));
    }

    #[test]
    fn scanpay_application_keeps_the_whole_pay_code() {
        use crate::paycode::code::{to_cpm_bytes, to_cpm_text};
        let code = PayCode::parse("390012345678901234").unwrap();
        let text = to_cpm_text(&code);
        assert!(ConsumerPayload::looks_like(&text));
        let p = ConsumerPayload::parse(&text).unwrap();
        let a = &p.applications[0];
        assert_eq!(a.aid.as_deref(), Some(SCANPAY_AID_HEX));
        assert_eq!(a.label.as_deref(), Some("ScanPay"));
        assert_eq!(a.paycode.as_ref(), Some(&code));
        // Not card data: no PAN, and no full code in Debug output.
        assert_eq!(p.pan(), None);
        assert!(!format!("{p:?}").contains(code.digits()));
        // The same 5A under a card AID stays a masked PAN.
        let mut raw = to_cpm_bytes(&code);
        raw[11] = 0xA0;
        let p = ConsumerPayload::parse(&base64::engine::general_purpose::STANDARD.encode(&raw))
            .unwrap();
        assert_eq!(p.applications[0].paycode, None);
        assert_eq!(
            p.pan().map(ToString::to_string).as_deref(),
            Some("390012********1234")
        );
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
                let mut raw = b"\x85\x05CPV01".to_vec();
                raw.extend_from_slice(&bytes);
                let text = base64::engine::general_purpose::STANDARD.encode(&raw);
                let _ = ConsumerPayload::parse(&text);
                let text = base64::engine::general_purpose::STANDARD.encode(&bytes);
                let _ = ConsumerPayload::parse(&text);
            }

            #[test]
            fn never_panics_on_text(s in "\\PC{0,200}") {
                let _ = ConsumerPayload::parse(&s);
            }
        }
    }
}
