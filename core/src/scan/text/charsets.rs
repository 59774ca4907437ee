//! The legacy character sets QR payloads use, decoded strictly from flat
//! tables that `core/build/charsets.rs` generates from encoding_rs (ADR 0009).
//!
//! Each decoder returns `None` for any byte sequence that is not valid in its
//! charset, exactly where encoding_rs's strict decoder fails, so swapping the
//! crate for tables changed no result. Two charsets are only partly covered,
//! both by choice: GB18030 (ECI 29) decodes ASCII and two-byte GB2312 text,
//! and Big5 (ECI 28) and EUC-KR (ECI 30) are not decoded at all; such codes
//! still report their raw bytes, just no text.

mod tables {
    include!(concat!(env!("OUT_DIR"), "/charsets.rs"));
}

/// The single-byte code pages (`ISO_8859_2` … `WINDOWS_1256`), generated.
pub(crate) use tables::{
    ISO_8859_10, ISO_8859_13, ISO_8859_14, ISO_8859_15, ISO_8859_16, ISO_8859_2, ISO_8859_3,
    ISO_8859_4, ISO_8859_5, ISO_8859_6, ISO_8859_7, ISO_8859_8, WINDOWS_1250, WINDOWS_1251,
    WINDOWS_1252, WINDOWS_1254, WINDOWS_1256, WINDOWS_874,
};

/// A single-byte code page: ASCII below 0x80, a table above.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SingleByte(&'static [u16; 128]);

/// A BMP code point from a table cell; 0 marks an unassigned cell.
fn cell(v: Option<&u16>) -> Option<char> {
    v.copied()
        .filter(|&v| v != 0)
        .and_then(|v| char::from_u32(u32::from(v)))
}

impl SingleByte {
    pub(crate) fn decode(self, bytes: &[u8]) -> Option<String> {
        let mut out = String::with_capacity(bytes.len());
        for &b in bytes {
            out.push(match b {
                0..=0x7F => char::from(b),
                _ => cell(self.0.get(usize::from(b - 0x80)))?,
            });
        }
        Some(out)
    }
}

/// Shift_JIS as the WHATWG Encoding Standard defines it (JIS X 0208 with the
/// NEC and IBM extensions, user-defined area to the Private Use Area).
pub(crate) fn shift_jis(bytes: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            0..=0x80 => {
                out.push(char::from(b));
                i += 1;
            }
            // Half-width katakana.
            0xA1..=0xDF => {
                out.push(char::from_u32(0xFF61 + u32::from(b - 0xA1))?);
                i += 1;
            }
            0x81..=0x9F | 0xE0..=0xFC => {
                let trail = *bytes.get(i + 1)?;
                if !(0x40..=0xFC).contains(&trail) {
                    return None;
                }
                let slot = usize::from(if b < 0xA0 { b - 0x81 } else { b - 0xE0 + 31 });
                let index = slot * 189 + usize::from(trail - 0x40);
                out.push(cell(tables::SHIFT_JIS_DOUBLE.get(index))?);
                i += 2;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// GB2312 in its EUC form (the bytes of QR Hanzi mode), with GBK's mapping
/// of the user-defined rows to the Private Use Area, plus ASCII.
pub(crate) fn gb2312(bytes: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            out.push(char::from(b));
            i += 1;
            continue;
        }
        let cell_byte = *bytes.get(i + 1)?;
        if !(0xA1..=0xFE).contains(&b) || !(0xA1..=0xFE).contains(&cell_byte) {
            return None;
        }
        let index = usize::from(b - 0xA1) * 94 + usize::from(cell_byte - 0xA1);
        out.push(cell(tables::GB2312.get(index))?);
        i += 2;
    }
    Some(out)
}

/// UTF-16, big-endian, no byte-order-mark handling: an odd length or an
/// unpaired surrogate is invalid.
pub(crate) fn utf16be(bytes: &[u8]) -> Option<String> {
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units = bytes
        .chunks_exact(2)
        .map(|p| u16::from_be_bytes([p[0], p[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

#[cfg(test)]
mod tests {
    //! Every table entry and random byte strings against encoding_rs, the
    //! implementation the tables were generated from.
    use super::*;
    use encoding_rs::Encoding;
    use proptest::prelude::*;

    fn reference(enc: &'static Encoding, bytes: &[u8]) -> Option<String> {
        enc.decode_without_bom_handling_and_without_replacement(bytes)
            .map(|c| c.into_owned())
    }

    /// The generated pages with the encoding_rs encoding of the same name.
    fn single() -> Vec<(SingleByte, &'static Encoding)> {
        tables::ALL_SINGLE_BYTE
            .iter()
            .map(|(name, page)| match Encoding::for_label(name.as_bytes()) {
                Some(enc) => (*page, enc),
                None => panic!("no encoding named {name}"),
            })
            .collect()
    }

    #[test]
    fn every_single_byte_matches() {
        let pages = single();
        assert_eq!(pages.len(), 18);
        for (ours, enc) in pages {
            for b in 0..=255u8 {
                assert_eq!(
                    ours.decode(&[b]),
                    reference(enc, &[b]),
                    "{} {b:02X}",
                    enc.name()
                );
            }
        }
    }

    #[test]
    fn every_shift_jis_pair_matches() {
        let mut valid = 0;
        for lead in 0..=255u8 {
            assert_eq!(
                shift_jis(&[lead]),
                reference(encoding_rs::SHIFT_JIS, &[lead])
            );
            for trail in 0..=255u8 {
                let ours = shift_jis(&[lead, trail]);
                valid += usize::from(ours.is_some());
                assert_eq!(
                    ours,
                    reference(encoding_rs::SHIFT_JIS, &[lead, trail]),
                    "{lead:02X} {trail:02X}"
                );
            }
        }
        // JIS X 0208 + extensions + user-defined area: a table that decoded
        // nothing would fail here even if encoding_rs agreed on every error.
        assert!(valid > 20_000, "{valid}");
    }

    #[test]
    fn every_gb2312_pair_matches_gbk() {
        let mut valid = 0;
        for row in 0xA1..=0xFEu8 {
            for cell_byte in 0xA1..=0xFEu8 {
                let ours = gb2312(&[row, cell_byte]);
                valid += usize::from(ours.is_some());
                assert_eq!(ours, reference(encoding_rs::GBK, &[row, cell_byte]));
            }
        }
        assert!(valid > 8_000, "{valid}");
        assert_eq!(gb2312(b"\xd6\xd0\xce\xc4 ok").as_deref(), Some("中文 ok"));
    }

    #[test]
    fn utf16_edges() {
        assert_eq!(utf16be(b"\x00A\xd8\x3d\xde\x00").as_deref(), Some("A😀"));
        assert_eq!(utf16be(b"\xfe\xff\x00A").as_deref(), Some("\u{feff}A"));
        assert_eq!(utf16be(b"\x00A\x00"), None);
        assert_eq!(utf16be(b"\xd8\x3d\x00A"), None);
    }

    proptest! {
        #[test]
        fn random_bytes_match_encoding_rs(bytes in proptest::collection::vec(any::<u8>(), 0..24), k in 0usize..18) {
            prop_assert_eq!(shift_jis(&bytes), reference(encoding_rs::SHIFT_JIS, &bytes));
            prop_assert_eq!(utf16be(&bytes), reference(encoding_rs::UTF_16BE, &bytes));
            let (ours, enc) = single()[k];
            prop_assert_eq!(ours.decode(&bytes), reference(enc, &bytes));
            // The GB2312 subset never disagrees with GB18030 where it decodes.
            if let Some(text) = gb2312(&bytes) {
                prop_assert_eq!(Some(text), reference(encoding_rs::GB18030, &bytes));
            }
        }

        #[test]
        fn random_japanese_text_round_trips(text in "[ -~ｱ-ﾝあ-ん亜-腕]{0,16}") {
            let (bytes, _, lossy) = encoding_rs::SHIFT_JIS.encode(&text);
            prop_assume!(!lossy);
            prop_assert_eq!(shift_jis(&bytes), Some(text.clone()));
        }
    }
}
