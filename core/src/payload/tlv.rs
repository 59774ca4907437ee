//! The EMVCo TLV layer: `ID (2 digits) + length (2 digits) + value`, shared by
//! Merchant-Presented Mode payloads and ScanPay's signature templates.
//!
//! Lengths count *characters*, not bytes: a merchant name in Thai or Chinese is
//! measured in Unicode scalar values, as the specification and real payloads do.
//! The CRC, by contrast, runs over the UTF-8 bytes (see [`crc16_ccitt_false`]).
//!
//! This layer is strict: a malformed ID or length, a value that overruns its
//! container, an empty value or a duplicate ID at one level is an error. What a
//! value *means* is the concern of [`super::mpm`], which is lenient where real
//! payloads bend the rules.

use thiserror::Error;

/// Largest value one data object can carry (two decimal digits of length).
pub const MAX_VALUE_CHARS: usize = 99;

/// A structural error in a TLV sequence. `at` is the character offset, within
/// the sequence being parsed, of the data object that failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TlvError {
    /// The sequence ends inside a data object's ID or length field.
    #[error("truncated data object header at character {at}")]
    TruncatedHeader {
        /// Character offset of the data object.
        at: usize,
    },
    /// The ID field is not two ASCII digits.
    #[error("data object ID at character {at} is not two digits")]
    BadId {
        /// Character offset of the data object.
        at: usize,
    },
    /// The length field is not two ASCII digits.
    #[error("length of data object {id:02} at character {at} is not two digits")]
    BadLength {
        /// The object's ID.
        id: u8,
        /// Character offset of the data object.
        at: usize,
    },
    /// The length field is `00`; EMVCo lengths run from 01 to 99.
    #[error("data object {id:02} at character {at} has length 00")]
    EmptyValue {
        /// The object's ID.
        id: u8,
        /// Character offset of the data object.
        at: usize,
    },
    /// The value runs past the end of its container.
    #[error("data object {id:02} at character {at} declares {declared} characters but only {available} remain")]
    Overrun {
        /// The object's ID.
        id: u8,
        /// Character offset of the data object.
        at: usize,
        /// Declared length in characters.
        declared: usize,
        /// Characters left in the container.
        available: usize,
    },
    /// The same ID appears twice at one level.
    #[error("data object {id:02} appears twice (second at character {at})")]
    DuplicateId {
        /// The repeated ID.
        id: u8,
        /// Character offset of the second occurrence.
        at: usize,
    },
    /// An encoder was handed a value longer than 99 characters.
    #[error("value for data object {id:02} is {chars} characters; at most 99 fit")]
    ValueTooLong {
        /// The object's ID.
        id: u8,
        /// The value's length in characters.
        chars: usize,
    },
    /// An encoder was handed an empty value.
    #[error("value for data object {id:02} is empty")]
    EncodeEmpty {
        /// The object's ID.
        id: u8,
    },
    /// An encoder was handed an ID above 99.
    #[error("data object ID {id} is not in 00..=99")]
    IdOutOfRange {
        /// The offending ID.
        id: u8,
    },
}

impl TlvError {
    /// A stable, kebab-case code for the error's kind (no positions or
    /// values), for UIs, logs and tests that must not match on messages.
    pub fn code(&self) -> &'static str {
        match self {
            TlvError::TruncatedHeader { .. } => "truncated-header",
            TlvError::BadId { .. } => "bad-id",
            TlvError::BadLength { .. } => "bad-length",
            TlvError::EmptyValue { .. } => "empty-value",
            TlvError::Overrun { .. } => "overrun",
            TlvError::DuplicateId { .. } => "duplicate-id",
            TlvError::ValueTooLong { .. } => "value-too-long",
            TlvError::EncodeEmpty { .. } => "encode-empty",
            TlvError::IdOutOfRange { .. } => "id-out-of-range",
        }
    }
}

/// One data object, borrowing its value from the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataObject<'a> {
    /// The two-digit ID, 0..=99.
    pub id: u8,
    /// The value, exactly as it appears in the payload.
    pub value: &'a str,
    /// Character offset of the object's ID within the parsed sequence.
    pub at: usize,
    /// Byte range of the whole object (ID, length and value) within the parsed sequence.
    pub span: std::ops::Range<usize>,
}

impl DataObject<'_> {
    /// The object's value parsed as a nested TLV sequence (templates 26–51, 62, 64, 80–99).
    pub fn children(&self) -> Result<Vec<DataObject<'_>>, TlvError> {
        parse(self.value)
    }
}

fn two_digits(a: char, b: char) -> Option<u8> {
    let hi = a.to_digit(10)?;
    let lo = b.to_digit(10)?;
    // Both digits are 0..=9, so the value is at most 99 and fits a u8.
    u8::try_from(hi * 10 + lo).ok()
}

/// Parses a TLV sequence into its data objects, in order.
///
/// Every ID must be unique at this level; nested templates are parsed on demand
/// with [`DataObject::children`].
pub fn parse(input: &str) -> Result<Vec<DataObject<'_>>, TlvError> {
    let mut out: Vec<DataObject<'_>> = Vec::new();
    let mut seen = [false; 100];
    // (byte index, char) pairs, with the end sentinel, so that character
    // counts and byte slices stay in step.
    let chars: Vec<(usize, char)> = input.char_indices().collect();
    let mut pos = 0usize; // index into `chars`
    while pos < chars.len() {
        let at = pos;
        let header = chars
            .get(pos..pos + 4)
            .ok_or(TlvError::TruncatedHeader { at })?;
        let id = two_digits(header[0].1, header[1].1).ok_or(TlvError::BadId { at })?;
        let len = two_digits(header[2].1, header[3].1).ok_or(TlvError::BadLength { id, at })?;
        let len = usize::from(len);
        if len == 0 {
            return Err(TlvError::EmptyValue { id, at });
        }
        let start = pos + 4;
        let available = chars.len() - start;
        if len > available {
            return Err(TlvError::Overrun {
                id,
                at,
                declared: len,
                available,
            });
        }
        if std::mem::replace(&mut seen[usize::from(id)], true) {
            return Err(TlvError::DuplicateId { id, at });
        }
        let byte_start = chars[start].0;
        let byte_end = chars.get(start + len).map_or(input.len(), |c| c.0);
        out.push(DataObject {
            id,
            value: &input[byte_start..byte_end],
            at,
            span: chars[at].0..byte_end,
        });
        pos = start + len;
    }
    Ok(out)
}

/// Appends one data object (`ID + length + value`) to `out`.
pub fn encode_into(out: &mut String, id: u8, value: &str) -> Result<(), TlvError> {
    if id > 99 {
        return Err(TlvError::IdOutOfRange { id });
    }
    let chars = value.chars().count();
    if chars == 0 {
        return Err(TlvError::EncodeEmpty { id });
    }
    if chars > MAX_VALUE_CHARS {
        return Err(TlvError::ValueTooLong { id, chars });
    }
    use std::fmt::Write as _;
    // Writing to a String cannot fail.
    let _ = write!(out, "{id:02}{chars:02}{value}");
    Ok(())
}

/// Encodes one data object as a new string.
pub fn encode(id: u8, value: &str) -> Result<String, TlvError> {
    let mut s = String::with_capacity(value.len() + 4);
    encode_into(&mut s, id, value)?;
    Ok(s)
}

/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection,
/// no final XOR. EMVCo computes it over the UTF-8 bytes of the payload up to and
/// including the `6304` that introduces the CRC itself.
pub fn crc16_ccitt_false(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &b in bytes {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Formats a CRC as EMVCo writes it: four upper-case hexadecimal digits.
pub fn crc_hex(crc: u16) -> String {
    format!("{crc:04X}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
        assert_eq!(crc16_ccitt_false(b""), 0xFFFF);
    }

    #[test]
    fn parses_flat_sequence() {
        let objs = parse("000201010211").unwrap_or_default();
        assert_eq!(objs.len(), 2);
        assert_eq!((objs[0].id, objs[0].value), (0, "01"));
        assert_eq!((objs[1].id, objs[1].value, objs[1].at), (1, "11", 6));
        assert_eq!(objs[1].span, 6..12);
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // "ร้านค้า" is 7 characters and 21 bytes in UTF-8.
        let s = "5907ร้านค้า6002TH";
        let objs = parse(s).unwrap_or_default();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].value, "ร้านค้า");
        assert_eq!(objs[1].value, "TH");
        assert_eq!(encode(59, "ร้านค้า").as_deref(), Ok("5907ร้านค้า"));
    }

    #[test]
    fn structural_errors() {
        assert_eq!(parse("000"), Err(TlvError::TruncatedHeader { at: 0 }));
        assert_eq!(parse("0a0201"), Err(TlvError::BadId { at: 0 }));
        assert_eq!(parse("00x201"), Err(TlvError::BadLength { id: 0, at: 0 }));
        assert_eq!(parse("0000"), Err(TlvError::EmptyValue { id: 0, at: 0 }));
        assert_eq!(
            parse("000501"),
            Err(TlvError::Overrun {
                id: 0,
                at: 0,
                declared: 5,
                available: 2
            })
        );
        assert_eq!(
            parse("00020100020"),
            Err(TlvError::Overrun {
                id: 0,
                at: 6,
                declared: 2,
                available: 1
            })
        );
        assert_eq!(parse("000201000"), Err(TlvError::TruncatedHeader { at: 6 }));
        assert_eq!(
            parse("000201000202"),
            Err(TlvError::DuplicateId { id: 0, at: 6 })
        );
    }

    #[test]
    fn encoder_limits() {
        assert_eq!(encode(100, "x"), Err(TlvError::IdOutOfRange { id: 100 }));
        assert_eq!(encode(5, ""), Err(TlvError::EncodeEmpty { id: 5 }));
        let long = "x".repeat(100);
        assert_eq!(
            encode(5, &long),
            Err(TlvError::ValueTooLong { id: 5, chars: 100 })
        );
        assert!(encode(5, &long[..99]).is_ok());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn object() -> impl Strategy<Value = (u8, String)> {
            (0u8..100, "\\PC{1,99}")
        }

        proptest! {
            #[test]
            fn round_trip(objs in proptest::collection::vec(object(), 0..12)) {
                let mut uniq = std::collections::BTreeMap::new();
                for (id, v) in objs { uniq.entry(id).or_insert(v); }
                let mut s = String::new();
                for (id, v) in &uniq { encode_into(&mut s, *id, v).map_err(|e| TestCaseError::fail(e.to_string()))?; }
                let parsed = parse(&s).map_err(|e| TestCaseError::fail(e.to_string()))?;
                let back: Vec<(u8, String)> = parsed.iter().map(|o| (o.id, o.value.to_string())).collect();
                let want: Vec<(u8, String)> = uniq.into_iter().collect();
                prop_assert_eq!(back, want);
            }

            #[test]
            fn never_panics(s in "\\PC{0,300}") {
                let _ = parse(&s);
            }

            #[test]
            fn never_panics_on_digit_soup(s in "[0-9]{0,200}") {
                if let Ok(objs) = parse(&s) {
                    for o in objs { let _ = o.children(); }
                }
            }
        }
    }
}
