//! From a sampled QR module grid to bytes, ECI runs and metadata.
//!
//! rqrr reads the format information and walks the zig-zag for us
//! (`Grid::get_raw_data`), but its own `decode_to` drops ECI designators and
//! structured-append headers. So we unmask the grid (a wrapping [`BitGrid`]),
//! take rqrr's raw codewords, de-interleave and correct them ourselves
//! ([`super::rs`]) and parse the segments here. Every read is bounds-checked:
//! the bitstream is attacker-controlled.

use rqrr::{BitGrid, Grid};

use super::rs;
use super::tables;

/// Why a detected grid did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SymbolError {
    /// Format information unreadable or the size is not a QR version.
    Format,
    /// A block had more errors than its parity corrects.
    Ecc,
    /// The corrected bitstream is malformed (unknown mode, overrun).
    Bitstream,
}

/// A run of bytes under one character set: the ECI in force (if any) and
/// whether it came from Kanji/Hanzi mode, whose bytes are Shift_JIS/GB2312
/// by definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub eci: Option<u32>,
    pub kind: RunKind,
    pub bytes: Vec<u8>,
}

/// Where a run's bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunKind {
    /// Numeric, alphanumeric or byte mode.
    Bytes,
    /// Kanji mode: Shift_JIS bytes.
    Kanji,
    /// Hanzi mode: GB2312 bytes.
    Hanzi,
}

/// Structured-append header (ISO/IEC 18004 §7.4.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Append {
    pub index: u8,
    pub total: u8,
    pub parity: u8,
}

/// A decoded symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Symbol {
    pub version: u8,
    /// 0 = L, 1 = M, 2 = Q, 3 = H.
    pub level: u8,
    /// Read transposed (a mirrored print or a back-lit sticker).
    pub mirrored: bool,
    pub runs: Vec<Run>,
    pub append: Option<Append>,
    pub gs1: bool,
}

impl Symbol {
    /// All payload bytes in order, as rqrr's `decode_to` would write them.
    pub fn bytes(&self) -> Vec<u8> {
        self.runs
            .iter()
            .flat_map(|r| r.bytes.iter().copied())
            .collect()
    }

    /// First ECI designator in the symbol, if any.
    pub fn first_eci(&self) -> Option<u32> {
        self.runs.iter().find_map(|r| r.eci)
    }
}

/// Decodes `grid`, trying the transposed reading when the direct one fails
/// (as rqrr does).
pub(crate) fn decode_grid(grid: &dyn BitGrid) -> Result<Symbol, SymbolError> {
    match decode_once(grid, false) {
        Ok(s) => Ok(s),
        Err(first) => decode_once(&Transposed(grid), true).map_err(|_| first),
    }
}

struct Transposed<'a>(&'a dyn BitGrid);

impl BitGrid for Transposed<'_> {
    fn size(&self) -> usize {
        self.0.size()
    }
    fn bit(&self, y: usize, x: usize) -> bool {
        self.0.bit(x, y)
    }
}

/// Removes the data mask from every cell except the format information, so
/// rqrr's raw reader still finds the format and yields unmasked codewords.
struct Unmasked<'a> {
    inner: &'a dyn BitGrid,
    mask: u16,
}

impl BitGrid for Unmasked<'_> {
    fn size(&self) -> usize {
        self.inner.size()
    }
    fn bit(&self, y: usize, x: usize) -> bool {
        let size = self.inner.size();
        let format = (y == 8 && (x <= 8 || x + 8 >= size)) || (x == 8 && (y <= 8 || y + 7 >= size));
        let v = self.inner.bit(y, x);
        if format {
            v
        } else {
            v ^ mask_bit(self.mask, y, x)
        }
    }
}

fn mask_bit(mask: u16, y: usize, x: usize) -> bool {
    match mask {
        0 => (y + x) % 2 == 0,
        1 => y % 2 == 0,
        2 => x % 3 == 0,
        3 => (y + x) % 3 == 0,
        4 => ((y / 2) + (x / 3)) % 2 == 0,
        5 => (y * x) % 2 + (y * x) % 3 == 0,
        6 => ((y * x) % 2 + (y * x) % 3) % 2 == 0,
        _ => ((y * x) % 3 + (y + x) % 2) % 2 == 0,
    }
}

/// Maps rqrr's raw format value (00 = M, 01 = L, 10 = H, 11 = Q) to L, M, Q, H.
fn level_index(raw: u16) -> usize {
    match raw {
        1 => 0,
        0 => 1,
        3 => 2,
        _ => 3,
    }
}

fn decode_once(grid: &dyn BitGrid, mirrored: bool) -> Result<Symbol, SymbolError> {
    let size = grid.size();
    // The format read is cheap; it tells us the mask before we unmask.
    let (meta, _) = Grid::new(Unmasked {
        inner: grid,
        mask: 0,
    })
    .get_raw_data()
    .map_err(|_| SymbolError::Format)?;
    let version = meta.version.0;
    if !(1..=40).contains(&version) || size != 17 + 4 * version {
        return Err(SymbolError::Format);
    }
    let (_, raw) = Grid::new(Unmasked {
        inner: grid,
        mask: meta.mask,
    })
    .get_raw_data()
    .map_err(|_| SymbolError::Format)?;
    let level = level_index(meta.ecc_level);
    let (total, blocks) = tables::blocks(version, level).ok_or(SymbolError::Format)?;
    let codewords = raw.data.get(..total).ok_or(SymbolError::Format)?;
    let data = deinterleave_and_correct(codewords, total, blocks)?;
    let parsed = parse_segments(&data, version)?;
    Ok(Symbol {
        version: version as u8,
        level: level as u8,
        mirrored,
        runs: parsed.runs,
        append: parsed.append,
        gs1: parsed.gs1,
    })
}

fn deinterleave_and_correct(
    codewords: &[u8],
    total: usize,
    b: tables::Blocks,
) -> Result<Vec<u8>, SymbolError> {
    let long_count = (total - b.bs * b.ns) / (b.bs + 1);
    let count = b.ns + long_count;
    let ec = b.bs - b.dw;
    let ec_offset = b.dw * count + long_count;
    let mut data = Vec::with_capacity(total);
    let mut block = Vec::with_capacity(b.bs + 1);
    for i in 0..count {
        block.clear();
        for j in 0..b.dw {
            block.push(*codewords.get(j * count + i).ok_or(SymbolError::Format)?);
        }
        if i >= b.ns {
            // Long blocks' extra data codeword sits in a run after the
            // common columns, since short blocks have nothing there.
            block.push(
                *codewords
                    .get(b.dw * count + (i - b.ns))
                    .ok_or(SymbolError::Format)?,
            );
        }
        let dw = block.len();
        for j in 0..ec {
            block.push(
                *codewords
                    .get(ec_offset + j * count + i)
                    .ok_or(SymbolError::Format)?,
            );
        }
        rs::correct(&mut block, ec).map_err(|_| SymbolError::Ecc)?;
        data.extend_from_slice(block.get(..dw).ok_or(SymbolError::Ecc)?);
    }
    Ok(data)
}

struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bits<'_> {
    fn remaining(&self) -> usize {
        (self.data.len() * 8).saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<u32, SymbolError> {
        if n > 32 || self.remaining() < n {
            return Err(SymbolError::Bitstream);
        }
        let mut v = 0u32;
        for _ in 0..n {
            let byte = self.data.get(self.pos / 8).copied().unwrap_or(0);
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        Ok(v)
    }
}

struct Parsed {
    runs: Vec<Run>,
    append: Option<Append>,
    gs1: bool,
}

/// Character-count bits for (numeric, alphanumeric, byte, kanji/hanzi).
fn count_bits(version: usize) -> (usize, usize, usize, usize) {
    match version {
        1..=9 => (10, 9, 8, 8),
        10..=26 => (12, 11, 16, 10),
        _ => (14, 13, 16, 12),
    }
}

const ALNUM: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

fn parse_segments(data: &[u8], version: usize) -> Result<Parsed, SymbolError> {
    let (nb, ab, bb, kb) = count_bits(version);
    let mut bits = Bits { data, pos: 0 };
    let mut out = Parsed {
        runs: Vec::new(),
        append: None,
        gs1: false,
    };
    let mut eci: Option<u32> = None;
    let push = |runs: &mut Vec<Run>, eci: Option<u32>, kind: RunKind, bytes: &[u8]| match runs
        .last_mut()
    {
        Some(last) if last.eci == eci && last.kind == kind => last.bytes.extend_from_slice(bytes),
        _ => runs.push(Run {
            eci,
            kind,
            bytes: bytes.to_vec(),
        }),
    };
    while bits.remaining() >= 4 {
        let mode = bits.take(4)?;
        let mut buf: Vec<u8> = Vec::new();
        match mode {
            0 => break,
            1 => {
                let mut count = bits.take(nb)? as usize;
                while count >= 3 {
                    let v = bits.take(10)?;
                    if v >= 1000 {
                        return Err(SymbolError::Bitstream);
                    }
                    buf.extend_from_slice(format!("{v:03}").as_bytes());
                    count -= 3;
                }
                if count == 2 {
                    let v = bits.take(7)?;
                    if v >= 100 {
                        return Err(SymbolError::Bitstream);
                    }
                    buf.extend_from_slice(format!("{v:02}").as_bytes());
                } else if count == 1 {
                    let v = bits.take(4)?;
                    if v >= 10 {
                        return Err(SymbolError::Bitstream);
                    }
                    buf.extend_from_slice(format!("{v}").as_bytes());
                }
                push(&mut out.runs, eci, RunKind::Bytes, &buf);
            }
            2 => {
                let mut count = bits.take(ab)? as usize;
                let ch = |i: u32| ALNUM.get(i as usize).copied().ok_or(SymbolError::Bitstream);
                while count >= 2 {
                    let v = bits.take(11)?;
                    buf.push(ch(v / 45)?);
                    buf.push(ch(v % 45)?);
                    count -= 2;
                }
                if count == 1 {
                    buf.push(ch(bits.take(6)?)?);
                }
                if out.gs1 {
                    buf = gs1_percent(&buf);
                }
                push(&mut out.runs, eci, RunKind::Bytes, &buf);
            }
            4 => {
                let count = bits.take(bb)? as usize;
                if bits.remaining() < count * 8 {
                    return Err(SymbolError::Bitstream);
                }
                for _ in 0..count {
                    buf.push(bits.take(8)? as u8);
                }
                push(&mut out.runs, eci, RunKind::Bytes, &buf);
            }
            8 => {
                let count = bits.take(kb)? as usize;
                if bits.remaining() < count * 13 {
                    return Err(SymbolError::Bitstream);
                }
                for _ in 0..count {
                    let v = bits.take(13)?;
                    let joined = ((v / 0xC0) << 8) | (v % 0xC0);
                    let sjis = if joined + 0x8140 <= 0x9FFC {
                        joined + 0x8140
                    } else {
                        joined + 0xC140
                    };
                    buf.push((sjis >> 8) as u8);
                    buf.push(sjis as u8);
                }
                push(&mut out.runs, eci, RunKind::Kanji, &buf);
            }
            13 => {
                // Hanzi (GB/T 18284): 4-bit subset, only GB2312 (1) defined.
                let subset = bits.take(4)?;
                if subset != 1 {
                    return Err(SymbolError::Bitstream);
                }
                let count = bits.take(kb)? as usize;
                if bits.remaining() < count * 13 {
                    return Err(SymbolError::Bitstream);
                }
                for _ in 0..count {
                    let v = bits.take(13)?;
                    let joined = ((v / 0x60) << 8) | (v % 0x60);
                    let gb = if joined < 0x0A00 {
                        joined + 0xA1A1
                    } else {
                        joined + 0xA6A1
                    };
                    buf.push((gb >> 8) as u8);
                    buf.push(gb as u8);
                }
                push(&mut out.runs, eci, RunKind::Hanzi, &buf);
            }
            7 => {
                let first = bits.take(8)?;
                let value = if first & 0x80 == 0 {
                    first
                } else if first & 0xC0 == 0x80 {
                    ((first & 0x3F) << 8) | bits.take(8)?
                } else if first & 0xE0 == 0xC0 {
                    ((first & 0x1F) << 16) | bits.take(16)?
                } else {
                    return Err(SymbolError::Bitstream);
                };
                eci = Some(value);
            }
            3 => {
                let index = bits.take(4)? as u8;
                let total = bits.take(4)? as u8 + 1;
                let parity = bits.take(8)? as u8;
                out.append = Some(Append {
                    index,
                    total,
                    parity,
                });
            }
            5 => out.gs1 = true,
            9 => {
                // FNC1 second position: an application indicator follows.
                bits.take(8)?;
            }
            _ => return Err(SymbolError::Bitstream),
        }
    }
    Ok(out)
}

/// GS1 in alphanumeric mode: `%` stands for FNC1 (GS, 0x1D), `%%` for `%`.
fn gs1_percent(buf: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(buf.len());
    let mut i = 0;
    while let Some(&c) = buf.get(i) {
        if c == b'%' {
            if buf.get(i + 1) == Some(&b'%') {
                out.push(b'%');
                i += 2;
                continue;
            }
            out.push(0x1D);
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eci_designator_forms_and_segments() {
        // ECI 3 (one byte), byte mode "\xE9" (version 1: 8-bit count), terminator.
        // 0111 00000011 0100 00000001 11101001 0000
        let bits = "0111000000110100000000011110100100000000";
        let data: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| c.iter().fold(0u8, |a, &b| (a << 1) | (b - b'0')))
            .collect();
        let p = parse_segments(&data, 1)
            .map_err(|_| ())
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(p.runs.len(), 1);
        assert_eq!(p.runs[0].eci, Some(3));
        assert_eq!(p.runs[0].bytes, vec![0xE9]);
    }

    #[test]
    fn overrunning_count_is_an_error() {
        // byte mode claiming 255 bytes in a 3-byte stream
        let data = [0x4F, 0xF0, 0x00];
        assert_eq!(parse_segments(&data, 1).err(), Some(SymbolError::Bitstream));
    }
}
