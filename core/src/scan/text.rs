//! Payload bytes to text, honouring ECI designators.
//!
//! A QR symbol's bytes carry no charset unless an ECI designator names one;
//! the standard's default is ISO-8859-1, but most untagged codes in the wild
//! are UTF-8 and Japanese ones Shift_JIS. Decoding is strict: a run that is
//! not valid in its charset gives no text (the raw bytes are still reported)
//! rather than text with replacement characters, which a payment UI must
//! never show as if it were the merchant's data.

mod charsets;

use self::charsets::SingleByte;
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
        RunKind::Kanji => charsets::shift_jis(&run.bytes),
        RunKind::Hanzi => charsets::gb2312(&run.bytes),
        RunKind::Bytes => match run.eci {
            Some(eci) => eci_text(eci, &run.bytes),
            None => guess(&run.bytes),
        },
    }
}

/// ISO-8859-1 maps each byte to the code point of the same value (the WHATWG
/// label maps it to windows-1252, which differs in 0x80..0x9F; ECI 3 does not).
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

fn ascii(bytes: &[u8]) -> Option<String> {
    bytes.is_ascii().then(|| latin1(bytes))
}

/// Character sets by ECI assignment number (AIM ECI specification).
/// Big5 (28) and EUC-KR (30) are not decoded and GB18030 (29) only as far as
/// GB2312 (see `charsets`): their codes keep their bytes, without text.
fn eci_text(eci: u32, bytes: &[u8]) -> Option<String> {
    let table: SingleByte = match eci {
        // 0 and 2 are CP437: accept only its ASCII half.
        0 | 2 | 27 | 170 => return ascii(bytes),
        1 | 3 => return Some(latin1(bytes)),
        4 => charsets::ISO_8859_2,
        5 => charsets::ISO_8859_3,
        6 => charsets::ISO_8859_4,
        7 => charsets::ISO_8859_5,
        8 => charsets::ISO_8859_6,
        9 => charsets::ISO_8859_7,
        10 => charsets::ISO_8859_8,
        // ISO-8859-9 is windows-1254 in the WHATWG set the tables follow.
        11 => charsets::WINDOWS_1254,
        12 => charsets::ISO_8859_10,
        13 => charsets::WINDOWS_874,
        15 => charsets::ISO_8859_13,
        16 => charsets::ISO_8859_14,
        17 => charsets::ISO_8859_15,
        18 => charsets::ISO_8859_16,
        20 => return charsets::shift_jis(bytes),
        21 => charsets::WINDOWS_1250,
        22 => charsets::WINDOWS_1251,
        23 => charsets::WINDOWS_1252,
        24 => charsets::WINDOWS_1256,
        25 => return charsets::utf16be(bytes),
        26 => return std::str::from_utf8(bytes).ok().map(str::to_owned),
        29 => return charsets::gb2312(bytes),
        _ => return None,
    };
    table.decode(bytes)
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
    if let Some(s) = charsets::shift_jis(bytes) {
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
