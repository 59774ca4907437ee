//! The pay code itself: an 18-digit one-time code derived offline from a
//! per-device secret, a counter and a one-minute time step (ADR 0014,
//! `docs/paycode.md`).
//!
//! ```text
//! h     = HMAC-SHA256(K, counter as 8-byte big-endian ‖ step as 8-byte big-endian)
//! value = truncate(h, 16)          (RFC 4226 dynamic truncation, widened to 63 bits)
//! code  = "39" ‖ value as 16 zero-padded decimal digits
//! ```
//!
//! The wallet calls [`derive()`]; the issuer (the sandbox backend) calls
//! [`find`] over the counters and steps it accepts. The code carries no
//! device identifier: it is HMAC output, which a shop cannot link to other
//! codes of the same wallet.
//!
//! The QR form is the same 18 digits in an EMVCo Consumer-Presented Mode
//! payload ([`to_cpm_text`]); [`PayCode::parse`] reads either form.

use std::fmt;
use std::ops::{Range, RangeInclusive};

use base64::Engine as _;
use ring::hmac;
use ring::rand::SecureRandom;
use thiserror::Error;
use zeroize::Zeroizing;

use crate::payload::cpm::{ConsumerPayload, CpmError, MAX_CPM_CHARS};

/// The fixed first two digits of every ScanPay pay code. Chosen to stay
/// clear of the ranges cashier systems already route to other wallets
/// (Alipay 25–30, WeChat Pay 10–15); a real deployment uses the prefix its
/// acquirers route to it.
pub const PAYCODE_PREFIX: &str = "39";
/// Digits in a pay code, prefix included.
pub const PAYCODE_DIGITS: usize = 18;
/// Digits after the prefix: the truncated HMAC.
pub const PAYCODE_VALUE_DIGITS: u32 = 16;
/// Length of a time step, seconds (the published one-minute refresh).
pub const STEP_SECS: u64 = 60;
/// Length of the per-device secret K, bytes.
pub const SECRET_LEN: usize = 32;
/// Steps before the issuer's current one in which a code is still accepted
/// (60 s of display plus up to 60 s of clock skew).
pub const ACCEPT_STEPS_BEFORE: u64 = 2;
/// Steps after the issuer's current one in which a code is accepted (a
/// wallet clock up to 60 s ahead).
pub const ACCEPT_STEPS_AFTER: u64 = 1;
/// The application identifier of the QR form: a proprietary, unregistered
/// AID of category F (ISO/IEC 7816-5): `F0` ‖ ASCII "SCANPAY".
pub const SCANPAY_AID: [u8; 8] = [0xF0, 0x53, 0x43, 0x41, 0x4E, 0x50, 0x41, 0x59];
/// [`SCANPAY_AID`] as upper-case hex, as [`crate::payload::cpm::CpmApplication::aid`] shows it.
pub const SCANPAY_AID_HEX: &str = "F05343414E504159";
/// The application label (tag 50) of the QR form.
pub const SCANPAY_LABEL: &str = "ScanPay";

/// Why a text is not a pay code. The backend answers every one of these
/// with the decline `code-unknown` (a till cannot fix a scan); the
/// variants exist for the cashier tool and the logs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PaycodeFormatError {
    /// Longer than [`MAX_CPM_CHARS`] bytes: neither form is that long.
    #[error("the code is {len} bytes long; at most {max} are allowed")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Characters other than digits and spaces (and not the QR form).
    #[error("the code has characters other than digits and spaces")]
    NotDigits,
    /// Not [`PAYCODE_DIGITS`] digits.
    #[error("the code has {len} digits; a pay code has 18")]
    Length {
        /// Digits found.
        len: usize,
    },
    /// 18 digits, but not starting with [`PAYCODE_PREFIX`]: another
    /// wallet's code.
    #[error("the code does not start with the ScanPay prefix 39")]
    Prefix,
    /// Looks like the QR form, but is not a valid CPM payload.
    #[error("the QR form is not a valid consumer-presented payload: {0}")]
    Cpm(#[from] CpmError),
    /// A valid CPM payload without a ScanPay application carrying a pay
    /// code: a card's or another wallet's code.
    #[error("the QR form carries no ScanPay pay code")]
    NotScanPay,
}

impl PaycodeFormatError {
    /// A stable, kebab-case code for the error's kind, for UIs, logs and
    /// tests that must not match on messages.
    pub fn code(&self) -> &'static str {
        match self {
            PaycodeFormatError::TooLong { .. } => "too-long",
            PaycodeFormatError::NotDigits => "not-digits",
            PaycodeFormatError::Length { .. } => "length",
            PaycodeFormatError::Prefix => "prefix",
            PaycodeFormatError::Cpm(_) => "cpm",
            PaycodeFormatError::NotScanPay => "not-scanpay",
        }
    }
}

/// Why a pay-code secret could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretError {
    /// Not [`SECRET_LEN`] bytes.
    #[error("a pay-code secret is 32 bytes, not {len}")]
    Length {
        /// Bytes given.
        len: usize,
    },
    /// The system random generator failed.
    #[error("the system random generator failed")]
    Random,
}

impl SecretError {
    /// A stable, kebab-case code for the error's kind.
    pub fn code(&self) -> &'static str {
        match self {
            SecretError::Length { .. } => "secret-length",
            SecretError::Random => "random",
        }
    }
}

/// The per-device pay-code secret K. Wiped on drop; no `Clone` (copy it
/// deliberately with [`PaycodeSecret::from_bytes`]); `Debug` shows nothing
/// of it.
pub struct PaycodeSecret(Zeroizing<[u8; SECRET_LEN]>);

impl fmt::Debug for PaycodeSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PaycodeSecret(<redacted>)")
    }
}

impl PaycodeSecret {
    /// The secret with these 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<PaycodeSecret, SecretError> {
        let mut k = Zeroizing::new([0u8; SECRET_LEN]);
        if bytes.len() != SECRET_LEN {
            return Err(SecretError::Length { len: bytes.len() });
        }
        k.copy_from_slice(bytes);
        Ok(PaycodeSecret(k))
    }

    /// A fresh random secret (the issuer makes it at provisioning).
    pub fn generate(rng: &dyn SecureRandom) -> Result<PaycodeSecret, SecretError> {
        let mut k = Zeroizing::new([0u8; SECRET_LEN]);
        rng.fill(k.as_mut_slice())
            .map_err(|_| SecretError::Random)?;
        Ok(PaycodeSecret(k))
    }

    /// The 32 bytes, to seal or to send at provisioning. Never log them.
    pub fn as_bytes(&self) -> &[u8; SECRET_LEN] {
        &self.0
    }

    fn hmac_key(&self) -> hmac::Key {
        hmac::Key::new(hmac::HMAC_SHA256, self.0.as_slice())
    }
}

/// One pay code: exactly [`PAYCODE_DIGITS`] ASCII digits starting with
/// [`PAYCODE_PREFIX`].
///
/// `Display` and [`PayCode::digits`] give the whole code (the UI must show
/// it). `Debug` shows only the prefix and the last four digits,
/// `PayCode(39…1234)`: a code is a bearer credential for up to about three
/// minutes, so it must not reach logs whole, while the last four digits let
/// support match a log line to what the payer saw. Twelve hidden digits
/// leave 10^12 candidates, far beyond what the till rate limit allows
/// within a code's life.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PayCode {
    digits: String,
}

impl fmt::Display for PayCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.digits)
    }
}

impl fmt::Debug for PayCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.digits.get(..2).unwrap_or_default();
        let last4 = self
            .digits
            .get(self.digits.len().saturating_sub(4)..)
            .unwrap_or_default();
        write!(f, "PayCode({prefix}…{last4})")
    }
}

impl PayCode {
    /// The 18 digits.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// Reads a scanned or typed code: the 18 digits (ASCII whitespace
    /// anywhere is ignored, so "39 1234 …" and a scanner's trailing CR are
    /// fine), or the CPM text of the QR form.
    pub fn parse(text: &str) -> Result<PayCode, PaycodeFormatError> {
        if text.len() > MAX_CPM_CHARS {
            return Err(PaycodeFormatError::TooLong {
                len: text.len(),
                max: MAX_CPM_CHARS,
            });
        }
        if ConsumerPayload::looks_like(text) {
            let payload = ConsumerPayload::parse(text)?;
            return payload
                .applications
                .iter()
                .find_map(|a| a.paycode.clone())
                .ok_or(PaycodeFormatError::NotScanPay);
        }
        let mut digits = String::with_capacity(PAYCODE_DIGITS);
        for c in text.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !c.is_ascii_whitespace() {
                return Err(PaycodeFormatError::NotDigits);
            }
        }
        PayCode::from_digits(digits)
    }

    /// Checks 18 ASCII digits with the prefix (no whitespace allowed).
    pub(crate) fn from_digits(digits: String) -> Result<PayCode, PaycodeFormatError> {
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PaycodeFormatError::NotDigits);
        }
        if digits.len() != PAYCODE_DIGITS {
            return Err(PaycodeFormatError::Length { len: digits.len() });
        }
        if !digits.starts_with(PAYCODE_PREFIX) {
            return Err(PaycodeFormatError::Prefix);
        }
        Ok(PayCode { digits })
    }
}

/// The time step of a moment: `floor(unix_secs / 60)`.
pub fn step_of(unix_secs: u64) -> u64 {
    unix_secs / STEP_SECS
}

/// The steps the issuer accepts at `now_step`:
/// `now_step − ACCEPT_STEPS_BEFORE ..= now_step + ACCEPT_STEPS_AFTER`
/// (saturating at both ends).
pub fn accepted_steps(now_step: u64) -> RangeInclusive<u64> {
    now_step.saturating_sub(ACCEPT_STEPS_BEFORE)..=now_step.saturating_add(ACCEPT_STEPS_AFTER)
}

/// The HMAC message: counter then step, each 8 bytes big-endian.
fn message(counter: u64, step: u64) -> [u8; 16] {
    let mut m = [0u8; 16];
    let (c, s) = m.split_at_mut(8);
    c.copy_from_slice(&counter.to_be_bytes());
    s.copy_from_slice(&step.to_be_bytes());
    m
}

fn derive_with(key: &hmac::Key, counter: u64, step: u64) -> PayCode {
    let tag = hmac::sign(key, &message(counter, step));
    let mut h = [0u8; 32];
    // HMAC-SHA256 tags are always 32 bytes; zip keeps this panic-free anyway.
    for (d, s) in h.iter_mut().zip(tag.as_ref()) {
        *d = *s;
    }
    let value = truncate(&h, PAYCODE_VALUE_DIGITS);
    PayCode {
        digits: format!("{PAYCODE_PREFIX}{value:016}"),
    }
}

/// The code for `counter` at `step`:
/// `"39" ‖ truncate(HMAC-SHA256(K, counter_be ‖ step_be), 16)` zero-padded.
pub fn derive(secret: &PaycodeSecret, counter: u64, step: u64) -> PayCode {
    derive_with(&secret.hmac_key(), counter, step)
}

/// Dynamic truncation of an HMAC-SHA256 tag to `digits` decimal digits.
///
/// `offset = h[31] & 0x0f`. Up to 9 digits this is RFC 4226 §5.3 exactly
/// (31 bits from `h[offset..offset+4]`, so it reproduces the RFC 6238
/// SHA-256 vectors); above 9 it takes 63 bits from `h[offset..offset+8]`
/// (top bit cleared), since 31 bits hold fewer than 10 decimal digits.
/// The result is that value mod 10^digits; from 19 digits on, 10^digits
/// exceeds any 63-bit value and the value is returned whole.
pub fn truncate(hmac: &[u8; 32], digits: u32) -> u64 {
    let offset = usize::from(hmac[31] & 0x0f);
    // offset ≤ 15, so offset + 8 ≤ 23 < 32: every index below is in bounds.
    let mut be = [0u8; 8];
    let take = if digits <= 9 { 4 } else { 8 };
    for (i, b) in be.iter_mut().take(take).enumerate() {
        *b = hmac[offset + i];
    }
    let value = if take == 4 {
        u64::from(u32::from_be_bytes([be[0], be[1], be[2], be[3]]) & 0x7fff_ffff)
    } else {
        u64::from_be_bytes(be) & 0x7fff_ffff_ffff_ffff
    };
    match 10u64.checked_pow(digits) {
        Some(modulus) => value % modulus,
        None => value,
    }
}

/// Compares two equal-length byte strings without a data-dependent branch
/// or early exit, so the time taken says nothing about how many leading
/// digits of a guess were right.
fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Issuer side: the `(counter, step)` in `counters × steps` whose code is
/// `code`, if any.
///
/// Every candidate is derived and compared in constant time, and the search
/// does not stop at a match, so its duration depends only on the size of
/// the ranges (the issuer's own state), never on the code presented. With
/// a window of W counters and 4 steps that is 4·W HMACs. If two candidates
/// gave the same code (probability about (4W)²/10^16), the lowest counter,
/// then the lowest step, is returned.
pub fn find(
    secret: &PaycodeSecret,
    code: &PayCode,
    counters: Range<u64>,
    steps: RangeInclusive<u64>,
) -> Option<(u64, u64)> {
    let key = secret.hmac_key();
    let mut found = None;
    for counter in counters {
        for step in steps.clone() {
            let candidate = derive_with(&key, counter, step);
            if ct_eq(candidate.digits.as_bytes(), code.digits.as_bytes()) && found.is_none() {
                found = Some((counter, step));
            }
        }
    }
    found
}

/// The 18 digits as 9 bytes of packed BCD (two digits per byte, high
/// nibble first).
fn bcd(code: &PayCode) -> [u8; 9] {
    let mut out = [0u8; 9];
    let d = code.digits.as_bytes();
    for (i, byte) in out.iter_mut().enumerate() {
        // The digits are ASCII 0-9 (a PayCode invariant); the mask keeps
        // even a broken invariant from overflowing.
        let hi = d.get(2 * i).map_or(0, |c| c.wrapping_sub(b'0') & 0x0f);
        let lo = d.get(2 * i + 1).map_or(0, |c| c.wrapping_sub(b'0') & 0x0f);
        *byte = hi << 4 | lo;
    }
    out
}

/// The BER-TLV bytes of the QR form:
/// `85 05 "CPV01"` ‖ `61 1E { 4F 08 <AID> ‖ 50 07 "ScanPay" ‖ 5A 09 <BCD> }`.
pub fn to_cpm_bytes(code: &PayCode) -> Vec<u8> {
    let mut app = Vec::with_capacity(30);
    app.extend_from_slice(&[0x4F, 0x08]);
    app.extend_from_slice(&SCANPAY_AID);
    app.extend_from_slice(&[0x50, 0x07]);
    app.extend_from_slice(SCANPAY_LABEL.as_bytes());
    app.extend_from_slice(&[0x5A, 0x09]);
    app.extend_from_slice(&bcd(code));
    let mut out = Vec::with_capacity(39);
    out.extend_from_slice(&[0x85, 0x05]);
    out.extend_from_slice(b"CPV01");
    // 30 bytes: always a one-byte BER length.
    out.push(0x61);
    out.push(u8::try_from(app.len()).unwrap_or(0x1E));
    out.extend_from_slice(&app);
    out
}

/// The QR form's text: standard base64 (with padding) of [`to_cpm_bytes`],
/// 52 characters, always starting "hQVDUFYwMW".
pub fn to_cpm_text(code: &PayCode) -> String {
    base64::engine::general_purpose::STANDARD.encode(to_cpm_bytes(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_middle() {
        let code = PayCode::parse("391234567890123456").unwrap();
        assert_eq!(format!("{code:?}"), "PayCode(39…3456)");
        assert_eq!(code.to_string(), "391234567890123456");
        let s = PaycodeSecret::from_bytes(&[7; 32]).unwrap();
        assert_eq!(format!("{s:?}"), "PaycodeSecret(<redacted>)");
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            PayCode::parse("39 1234 5678 9012 3456\r\n")
                .unwrap()
                .digits(),
            "391234567890123456"
        );
        assert_eq!(
            PayCode::parse("39123456789012345").unwrap_err(),
            PaycodeFormatError::Length { len: 17 }
        );
        assert_eq!(
            PayCode::parse("281234567890123456").unwrap_err().code(),
            "prefix"
        );
        assert_eq!(
            PayCode::parse("39123456789012345x").unwrap_err().code(),
            "not-digits"
        );
        assert_eq!(
            PayCode::parse("٣٩1234567890123456").unwrap_err().code(),
            "not-digits"
        );
        assert_eq!(PayCode::parse("").unwrap_err().code(), "length");
        assert_eq!(
            PayCode::parse(&"3".repeat(2000)).unwrap_err().code(),
            "too-long"
        );
        assert_eq!(
            PaycodeSecret::from_bytes(&[0; 31]).unwrap_err(),
            SecretError::Length { len: 31 }
        );
    }

    #[test]
    fn cpm_bytes_layout() {
        let code = PayCode::parse("391234567890123456").unwrap();
        let b = to_cpm_bytes(&code);
        assert_eq!(b.len(), 39);
        assert_eq!(&b[..9], b"\x85\x05CPV01\x61\x1e");
        assert_eq!(
            &b[28..],
            &[0x5A, 0x09, 0x39, 0x12, 0x34, 0x56, 0x78, 0x90, 0x12, 0x34, 0x56]
        );
        let text = to_cpm_text(&code);
        assert_eq!(text.len(), 52);
        assert!(text.starts_with("hQVDUFYwMW"));
    }

    #[test]
    fn truncate_short_and_long() {
        // RFC 4226 §5.4's worked example (an SHA-1 tag, padded here to 32
        // bytes with the offset nibble moved to byte 31): offset 10 gives
        // 0x50ef7f19 → 1357872921 → 872921 for 6 digits.
        let sha1 = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        let mut h = [0u8; 32];
        h[..20].copy_from_slice(&sha1);
        h[31] = 0x5a;
        assert_eq!(truncate(&h, 6), 872_921);
        assert_eq!(truncate(&h, 10), 0x50ef_7f19_da8e_945b % 10_000_000_000);
        assert_eq!(truncate(&h, 19), 0x50ef_7f19_da8e_945b);
        assert_eq!(truncate(&h, 0), 0);
        let mut top = [0xffu8; 32];
        top[31] = 0x00;
        assert_eq!(truncate(&top, 30), 0x7fff_ffff_ffff_ffff);
    }
}
