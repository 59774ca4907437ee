//! Payload bytes to text, honouring ECI designators.
//!
//! A QR symbol's bytes carry no charset unless an ECI designator names one;
//! the standard's default is ISO-8859-1, but most untagged codes in the wild
//! are UTF-8 and Japanese ones Shift_JIS. Decoding is strict: a run that is
//! not valid in its charset gives no text (the raw bytes are still reported)
//! rather than text with replacement characters, which a payment UI must
//! never show as if it were the merchant's data.

use encoding_rs::Encoding;

use super::bitstream::{Run, RunKind};

/// The text of all runs, or `None` if any run does not decode.
pub(crate) fn runs_to_text(runs: &[Run]) -> Option<String> {
    let mut out = String::new();
    for run in runs {
        out.push_str(&run_to_text(run)?);
    }
    Some(out)
}

fn run_to_text(run: &Run) -> Option<String> {
    match run.kind {
        RunKind::Kanji => strict(encoding_rs::SHIFT_JIS, &run.bytes),
        RunKind::Hanzi => strict(encoding_rs::GBK, &run.bytes),
        RunKind::Bytes => match run.eci {
            Some(eci) => eci_text(eci, &run.bytes),
            None => guess(&run.bytes),
        },
    }
}

fn strict(enc: &'static Encoding, bytes: &[u8]) -> Option<String> {
    enc.decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
}

/// ISO-8859-1 maps each byte to the code point of the same value. encoding_rs
/// treats the label as windows-1252, which differs in 0x80..0x9F, so do it here.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn ascii(bytes: &[u8]) -> Option<String> {
    bytes.is_ascii().then(|| latin1(bytes))
}

/// Character sets by ECI assignment number (AIM ECI specification).
fn eci_text(eci: u32, bytes: &[u8]) -> Option<String> {
    let enc: &'static Encoding = match eci {
        // 0 and 2 are CP437, which encoding_rs lacks: accept only ASCII.
        0 | 2 | 27 | 170 => return ascii(bytes),
        1 | 3 => return Some(latin1(bytes)),
        4 => encoding_rs::ISO_8859_2,
        5 => encoding_rs::ISO_8859_3,
        6 => encoding_rs::ISO_8859_4,
        7 => encoding_rs::ISO_8859_5,
        8 => encoding_rs::ISO_8859_6,
        9 => encoding_rs::ISO_8859_7,
        10 => encoding_rs::ISO_8859_8,
        // ISO-8859-9 is windows-1254 in the WHATWG set encoding_rs follows.
        11 => encoding_rs::WINDOWS_1254,
        12 => encoding_rs::ISO_8859_10,
        13 => encoding_rs::WINDOWS_874,
        15 => encoding_rs::ISO_8859_13,
        16 => encoding_rs::ISO_8859_14,
        17 => encoding_rs::ISO_8859_15,
        18 => encoding_rs::ISO_8859_16,
        20 => encoding_rs::SHIFT_JIS,
        21 => encoding_rs::WINDOWS_1250,
        22 => encoding_rs::WINDOWS_1251,
        23 => encoding_rs::WINDOWS_1252,
        24 => encoding_rs::WINDOWS_1256,
        25 => encoding_rs::UTF_16BE,
        26 => encoding_rs::UTF_8,
        28 => encoding_rs::BIG5,
        29 => encoding_rs::GB18030,
        30 => encoding_rs::EUC_KR,
        _ => return None,
    };
    strict(enc, bytes)
}

/// Untagged bytes: UTF-8 if valid; else Shift_JIS if valid and it looks like
/// Japanese; else ISO-8859-1 (the standard's default, which always decodes).
///
/// "Looks like Japanese": at least one double-byte character and no more
/// lone half-width katakana than double-byte characters, or a run of three
/// or more half-width katakana (common on Japanese signs and receipts). Latin-1
/// accented capitals also fall in the katakana byte range, but rarely three in
/// a row.
fn guess(bytes: &[u8]) -> Option<String> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some(s.to_owned());
    }
    if let Some(s) = strict(encoding_rs::SHIFT_JIS, bytes) {
        let is_kana = |c: char| ('\u{FF61}'..='\u{FF9F}').contains(&c);
        let (mut kana, mut wide, mut run, mut max_run) = (0usize, 0usize, 0usize, 0usize);
        for c in s.chars() {
            if is_kana(c) {
                kana += 1;
                run += 1;
                max_run = max_run.max(run);
            } else {
                run = 0;
                if !c.is_ascii() {
                    wide += 1;
                }
            }
        }
        if (wide > 0 && wide >= kana) || max_run >= 3 {
            return Some(s);
        }
    }
    Some(latin1(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(eci: Option<u32>, bytes: &[u8]) -> Run {
        Run {
            eci,
            kind: RunKind::Bytes,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn eci_and_guessing() {
        assert_eq!(
            runs_to_text(&[run(Some(3), b"caf\xe9")]).as_deref(),
            Some("café")
        );
        assert_eq!(runs_to_text(&[run(Some(26), b"caf\xe9")]), None);
        assert_eq!(
            runs_to_text(&[run(None, "café".as_bytes())]).as_deref(),
            Some("café")
        );
        assert_eq!(
            runs_to_text(&[run(None, b"caf\xe9 au lait")]).as_deref(),
            Some("café au lait")
        );
        assert_eq!(
            runs_to_text(&[run(None, b"\x93\xfa\x96\x7b")]).as_deref(),
            Some("日本")
        );
        assert_eq!(
            runs_to_text(&[run(Some(20), b"\x93\xfa\x96\x7b")]).as_deref(),
            Some("日本")
        );
        assert_eq!(runs_to_text(&[run(Some(999), b"abc")]), None);
        // half-width katakana "ﾃﾞｻﾞｲﾝ" untagged, and Latin-1 capitals that are not
        assert_eq!(
            runs_to_text(&[run(None, b"\xc3\xde\xbb\xde\xb2\xddQR")]).as_deref(),
            Some("ﾃﾞｻﾞｲﾝQR")
        );
        assert_eq!(
            runs_to_text(&[run(None, b"CAF\xc9 \xc0 LA")]).as_deref(),
            Some("CAFÉ À LA")
        );
        assert_eq!(
            runs_to_text(&[
                run(Some(22), b"\xcf\xf0\xe8"),
                run(Some(26), "ø".as_bytes())
            ])
            .as_deref(),
            Some("Приø")
        );
    }
}
