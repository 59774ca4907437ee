//! What a screen draws for a pay code, so that apps need no barcode
//! library: the Code 128 bars of the numeric form and the QR module matrix
//! of the CPM form.
//!
//! The QR encoder is our own, deliberately small: byte mode only, error
//! correction level M, versions 1 to 6 (up to 106 bytes; the CPM text is 52
//! and makes a version 4 code, 33 × 33). The `qrcode` crate would have cost
//! about 36 KB of the phone library (ADR 0014), more than the whole budget
//! left; its output is the reference our tests compare with, module for
//! module, and the core's own scanner reads ours back.

use thiserror::Error;

use super::code::{to_cpm_text, PayCode};

/// Modules of light space a scanner needs on each side of the Code 128
/// bars (ISO/IEC 15417 asks for at least 10).
pub const CODE128_QUIET_MODULES: u32 = 10;
/// Code 128 symbol value of "Start C" (the double-density numeric set).
const START_C: u8 = 105;
/// Index of the stop pattern in [`PATTERNS`].
const STOP: usize = 106;

/// Bar and space widths (in modules, bar first) of the Code 128 symbol
/// values 0–105 (six elements, 11 modules each) and of the stop pattern
/// (index 106: seven elements, 13 modules), from ISO/IEC 15417 table 1.
const PATTERNS: [&[u8]; 107] = [
    &[2, 1, 2, 2, 2, 2],
    &[2, 2, 2, 1, 2, 2],
    &[2, 2, 2, 2, 2, 1],
    &[1, 2, 1, 2, 2, 3],
    &[1, 2, 1, 3, 2, 2],
    &[1, 3, 1, 2, 2, 2],
    &[1, 2, 2, 2, 1, 3],
    &[1, 2, 2, 3, 1, 2],
    &[1, 3, 2, 2, 1, 2],
    &[2, 2, 1, 2, 1, 3],
    &[2, 2, 1, 3, 1, 2],
    &[2, 3, 1, 2, 1, 2],
    &[1, 1, 2, 2, 3, 2],
    &[1, 2, 2, 1, 3, 2],
    &[1, 2, 2, 2, 3, 1],
    &[1, 1, 3, 2, 2, 2],
    &[1, 2, 3, 1, 2, 2],
    &[1, 2, 3, 2, 2, 1],
    &[2, 2, 3, 2, 1, 1],
    &[2, 2, 1, 1, 3, 2],
    &[2, 2, 1, 2, 3, 1],
    &[2, 1, 3, 2, 1, 2],
    &[2, 2, 3, 1, 1, 2],
    &[3, 1, 2, 1, 3, 1],
    &[3, 1, 1, 2, 2, 2],
    &[3, 2, 1, 1, 2, 2],
    &[3, 2, 1, 2, 2, 1],
    &[3, 1, 2, 2, 1, 2],
    &[3, 2, 2, 1, 1, 2],
    &[3, 2, 2, 2, 1, 1],
    &[2, 1, 2, 1, 2, 3],
    &[2, 1, 2, 3, 2, 1],
    &[2, 3, 2, 1, 2, 1],
    &[1, 1, 1, 3, 2, 3],
    &[1, 3, 1, 1, 2, 3],
    &[1, 3, 1, 3, 2, 1],
    &[1, 1, 2, 3, 1, 3],
    &[1, 3, 2, 1, 1, 3],
    &[1, 3, 2, 3, 1, 1],
    &[2, 1, 1, 3, 1, 3],
    &[2, 3, 1, 1, 1, 3],
    &[2, 3, 1, 3, 1, 1],
    &[1, 1, 2, 1, 3, 3],
    &[1, 1, 2, 3, 3, 1],
    &[1, 3, 2, 1, 3, 1],
    &[1, 1, 3, 1, 2, 3],
    &[1, 1, 3, 3, 2, 1],
    &[1, 3, 3, 1, 2, 1],
    &[3, 1, 3, 1, 2, 1],
    &[2, 1, 1, 3, 3, 1],
    &[2, 3, 1, 1, 3, 1],
    &[2, 1, 3, 1, 1, 3],
    &[2, 1, 3, 3, 1, 1],
    &[2, 1, 3, 1, 3, 1],
    &[3, 1, 1, 1, 2, 3],
    &[3, 1, 1, 3, 2, 1],
    &[3, 3, 1, 1, 2, 1],
    &[3, 1, 2, 1, 1, 3],
    &[3, 1, 2, 3, 1, 1],
    &[3, 3, 2, 1, 1, 1],
    &[3, 1, 4, 1, 1, 1],
    &[2, 2, 1, 4, 1, 1],
    &[4, 3, 1, 1, 1, 1],
    &[1, 1, 1, 2, 2, 4],
    &[1, 1, 1, 4, 2, 2],
    &[1, 2, 1, 1, 2, 4],
    &[1, 2, 1, 4, 2, 1],
    &[1, 4, 1, 1, 2, 2],
    &[1, 4, 1, 2, 2, 1],
    &[1, 1, 2, 2, 1, 4],
    &[1, 1, 2, 4, 1, 2],
    &[1, 2, 2, 1, 1, 4],
    &[1, 2, 2, 4, 1, 1],
    &[1, 4, 2, 1, 1, 2],
    &[1, 4, 2, 2, 1, 1],
    &[2, 4, 1, 2, 1, 1],
    &[2, 2, 1, 1, 1, 4],
    &[4, 1, 3, 1, 1, 1],
    &[2, 4, 1, 1, 1, 2],
    &[1, 3, 4, 1, 1, 1],
    &[1, 1, 1, 2, 4, 2],
    &[1, 2, 1, 1, 4, 2],
    &[1, 2, 1, 2, 4, 1],
    &[1, 1, 4, 2, 1, 2],
    &[1, 2, 4, 1, 1, 2],
    &[1, 2, 4, 2, 1, 1],
    &[4, 1, 1, 2, 1, 2],
    &[4, 2, 1, 1, 1, 2],
    &[4, 2, 1, 2, 1, 1],
    &[2, 1, 2, 1, 4, 1],
    &[2, 1, 4, 1, 2, 1],
    &[4, 1, 2, 1, 2, 1],
    &[1, 1, 1, 1, 4, 3],
    &[1, 1, 1, 3, 4, 1],
    &[1, 3, 1, 1, 4, 1],
    &[1, 1, 4, 1, 1, 3],
    &[1, 1, 4, 3, 1, 1],
    &[4, 1, 1, 1, 1, 3],
    &[4, 1, 1, 3, 1, 1],
    &[1, 1, 3, 1, 4, 1],
    &[1, 1, 4, 1, 3, 1],
    &[3, 1, 1, 1, 4, 1],
    &[4, 1, 1, 1, 3, 1],
    &[2, 1, 1, 4, 1, 2],
    &[2, 1, 1, 2, 1, 4],
    &[2, 1, 1, 2, 3, 2],
    &[2, 3, 3, 1, 1, 1, 2],
];

/// The Code 128 symbol values of a code in code set C: Start C, one value
/// per digit pair (nine), the mod-103 check value. The stop pattern has no
/// value and is not included.
pub fn code128_values(code: &PayCode) -> Vec<u8> {
    let mut values = vec![START_C];
    for pair in code.digits().as_bytes().chunks(2) {
        // PayCode guarantees 18 ASCII digits: every chunk is two digits.
        let v = pair
            .iter()
            .fold(0u8, |acc, d| acc * 10 + (d.wrapping_sub(b'0') % 10));
        values.push(v);
    }
    // Check = (start + Σ position · value) mod 103, positions from 1.
    let sum = values
        .iter()
        .enumerate()
        .map(|(i, v)| i.max(1) as u64 * u64::from(*v))
        .sum::<u64>();
    values.push(u8::try_from(sum % 103).unwrap_or(0));
    values
}

/// The Code 128 (code set C) bars of the numeric form: element widths in
/// modules, alternating bar, space, bar, …, starting and ending with a bar
/// (Start C, nine digit pairs, check, Stop: 73 elements, 134 modules).
/// Draw [`CODE128_QUIET_MODULES`] light modules on each side.
pub fn code128_bars(code: &PayCode) -> Vec<u8> {
    let mut bars = Vec::with_capacity(73);
    for v in code128_values(code) {
        if let Some(p) = PATTERNS.get(usize::from(v)) {
            bars.extend_from_slice(p);
        }
    }
    bars.extend_from_slice(PATTERNS[STOP]);
    bars
}

/// Light modules to leave around a QR code on every side (ISO/IEC 18004).
pub const QR_QUIET_MODULES: u32 = 4;
/// Largest text [`qr_matrix`] encodes, bytes (version 6, level M, byte mode).
pub const QR_MAX_BYTES: usize = 106;

/// Why a text cannot be drawn as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RenderError {
    /// Longer than [`QR_MAX_BYTES`].
    #[error("the text is {len} bytes long; at most {max} fit the pay-code QR encoder")]
    TooLong {
        /// Length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
}

impl RenderError {
    /// A stable, kebab-case code for the error's kind.
    pub fn code(&self) -> &'static str {
        match self {
            RenderError::TooLong { .. } => "too-long",
        }
    }
}

/// A QR code's modules: `size` × `size`, row-major, `true` = dark. Draw
/// [`QR_QUIET_MODULES`] light modules around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side (21 for version 1, + 4 per version).
    pub size: u32,
    /// `size * size` modules, row after row from the top; `true` = dark.
    pub modules: Vec<bool>,
}

impl QrMatrix {
    /// Whether the module at column `x`, row `y` is dark (`false` outside).
    pub fn is_dark(&self, x: u32, y: u32) -> bool {
        x < self.size
            && y < self.size
            && self
                .modules
                .get(y as usize * self.size as usize + x as usize)
                .copied()
                .unwrap_or(false)
    }
}

/// The QR code of a pay code's CPM form ([`to_cpm_text`]): version 4, 33 × 33.
pub fn paycode_qr(code: &PayCode) -> QrMatrix {
    // 52 bytes always fit; the fallback is never taken.
    qr_matrix(&to_cpm_text(code)).unwrap_or(QrMatrix {
        size: 0,
        modules: Vec::new(),
    })
}

/// `text` as a QR code: byte mode, error correction level M (15 % of the
/// codewords can be restored), the smallest version from 1 to 6 that holds
/// it, and the mask with the lowest ISO/IEC 18004 penalty.
pub fn qr_matrix(text: &str) -> Result<QrMatrix, RenderError> {
    let data = text.as_bytes();
    let version = (1..=6)
        .find(|&v| data.len() <= qr::capacity(v))
        .ok_or(RenderError::TooLong {
            len: data.len(),
            max: QR_MAX_BYTES,
        })?;
    let codewords = qr::codewords(data, version);
    let (mut best, mut best_penalty) = (None, u32::MAX);
    for mask in 0..8 {
        let m = qr::Matrix::build(version, &codewords, mask);
        let p = m.penalty();
        if p < best_penalty {
            best_penalty = p;
            best = Some(m);
        }
    }
    let m = best.unwrap_or_else(|| qr::Matrix::build(version, &codewords, 0));
    Ok(m.into_qr())
}

/// The same as [`qr_matrix`] with a given mask (0–7), for the tests that
/// compare each mask with an independent encoder.
#[doc(hidden)]
pub fn qr_matrix_with_mask(text: &str, mask: u8) -> Result<QrMatrix, RenderError> {
    let data = text.as_bytes();
    let version = (1..=6)
        .find(|&v| data.len() <= qr::capacity(v))
        .ok_or(RenderError::TooLong {
            len: data.len(),
            max: QR_MAX_BYTES,
        })?;
    Ok(qr::Matrix::build(version, &qr::codewords(data, version), mask & 7).into_qr())
}

/// The QR encoder's internals (ISO/IEC 18004:2015; the structure follows
/// Project Nayuki's reference encoder). Coordinates are (x = column,
/// y = row); every index is below `size`, checked by `get`.
mod qr {
    use super::QrMatrix;

    /// Level M, versions 1–6: (EC codewords per block, blocks, total
    /// codewords). Every block of these versions has the same length.
    const BLOCKS_M: [(usize, usize, usize); 6] = [
        (10, 1, 26),
        (16, 1, 44),
        (26, 1, 70),
        (18, 2, 100),
        (24, 2, 134),
        (16, 4, 172),
    ];

    fn blocks(version: usize) -> (usize, usize, usize) {
        BLOCKS_M
            .get(version.saturating_sub(1))
            .copied()
            .unwrap_or((10, 1, 26))
    }

    fn data_codewords(version: usize) -> usize {
        let (ec, n, total) = blocks(version);
        total - ec * n
    }

    /// Bytes that fit: the data codewords less 4 bits of mode and 8 of count.
    pub(super) fn capacity(version: usize) -> usize {
        (data_codewords(version) * 8 - 12) / 8
    }

    /// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11D).
    fn gf_mul(x: u8, y: u8) -> u8 {
        let mut z: u16 = 0;
        for i in (0..8).rev() {
            z = (z << 1) ^ ((z >> 7) * 0x11D);
            z ^= u16::from((y >> i) & 1) * u16::from(x);
        }
        (z & 0xFF) as u8
    }

    /// Reed–Solomon error-correction codewords of `data` (generator
    /// ∏ (x − α^i), i < degree).
    fn rs_ec(data: &[u8], degree: usize) -> Vec<u8> {
        let mut divisor = vec![0u8; degree];
        if let Some(last) = divisor.last_mut() {
            *last = 1;
        }
        let mut root = 1u8;
        for _ in 0..degree {
            for j in 0..degree {
                let next = divisor.get(j + 1).copied().unwrap_or(0);
                if let Some(d) = divisor.get_mut(j) {
                    *d = gf_mul(*d, root);
                    if j + 1 < degree {
                        *d ^= next;
                    }
                }
            }
            root = gf_mul(root, 0x02);
        }
        let mut rem = vec![0u8; degree];
        for &b in data {
            let factor = b ^ rem.first().copied().unwrap_or(0);
            rem.rotate_left(1);
            if let Some(last) = rem.last_mut() {
                *last = 0;
            }
            for (r, d) in rem.iter_mut().zip(&divisor) {
                *r ^= gf_mul(*d, factor);
            }
        }
        rem
    }

    /// The final codeword sequence: the byte-mode bit stream padded to the
    /// version's data capacity, split into blocks, each with its EC
    /// codewords, interleaved.
    pub(super) fn codewords(data: &[u8], version: usize) -> Vec<u8> {
        let capacity = data_codewords(version);
        fn push(bits: &mut Vec<bool>, value: u32, n: usize) {
            for i in (0..n).rev() {
                bits.push((value >> i) & 1 == 1);
            }
        }
        let mut bits: Vec<bool> = Vec::with_capacity(capacity * 8);
        push(&mut bits, 0b0100, 4);
        // At most QR_MAX_BYTES (106) bytes get here: the count fits 8 bits.
        push(&mut bits, u32::try_from(data.len()).unwrap_or(0), 8);
        for &b in data {
            push(&mut bits, u32::from(b), 8);
        }
        let room = (capacity * 8).saturating_sub(bits.len());
        push(&mut bits, 0, room.min(4));
        let pad_bits = (8 - bits.len() % 8) % 8;
        bits.extend(std::iter::repeat_n(false, pad_bits));
        let mut bytes: Vec<u8> = bits
            .chunks(8)
            .map(|c| c.iter().fold(0u8, |acc, &b| acc << 1 | u8::from(b)))
            .collect();
        for pad in [0xECu8, 0x11].iter().cycle() {
            if bytes.len() >= capacity {
                break;
            }
            bytes.push(*pad);
        }
        let (ec_len, n, _) = blocks(version);
        let per_block = capacity / n;
        let data_blocks: Vec<&[u8]> = bytes.chunks(per_block).collect();
        let ec_blocks: Vec<Vec<u8>> = data_blocks.iter().map(|b| rs_ec(b, ec_len)).collect();
        let mut out = Vec::with_capacity(capacity + ec_len * n);
        for i in 0..per_block {
            out.extend(data_blocks.iter().filter_map(|b| b.get(i)));
        }
        for i in 0..ec_len {
            out.extend(ec_blocks.iter().filter_map(|b| b.get(i)));
        }
        out
    }

    pub(super) struct Matrix {
        size: usize,
        dark: Vec<bool>,
        function: Vec<bool>,
    }

    impl Matrix {
        fn new(version: usize) -> Matrix {
            let size = version * 4 + 17;
            Matrix {
                size,
                dark: vec![false; size * size],
                function: vec![false; size * size],
            }
        }

        fn get(&self, x: usize, y: usize) -> bool {
            x < self.size && y < self.size && self.dark.get(y * self.size + x) == Some(&true)
        }

        fn set_function(&mut self, x: isize, y: isize, dark: bool) {
            if x < 0 || y < 0 {
                return;
            }
            let (x, y) = (x as usize, y as usize);
            if x < self.size && y < self.size {
                let i = y * self.size + x;
                if let (Some(d), Some(f)) = (self.dark.get_mut(i), self.function.get_mut(i)) {
                    *d = dark;
                    *f = true;
                }
            }
        }

        fn finder(&mut self, cx: isize, cy: isize) {
            for dy in -4isize..=4 {
                for dx in -4isize..=4 {
                    let dist = dx.abs().max(dy.abs());
                    self.set_function(cx + dx, cy + dy, dist != 2 && dist != 4);
                }
            }
        }

        fn alignment(&mut self, cx: isize, cy: isize) {
            for dy in -2isize..=2 {
                for dx in -2isize..=2 {
                    self.set_function(cx + dx, cy + dy, dx.abs().max(dy.abs()) != 1);
                }
            }
        }

        /// Format information: level M (00) and the mask, BCH(15,5),
        /// XOR 0x5412, in both copies; plus the dark module.
        fn format(&mut self, mask: u8) {
            let data = u32::from(mask);
            let mut rem = data;
            for _ in 0..10 {
                rem = (rem << 1) ^ ((rem >> 9) * 0x537);
            }
            let bits = (data << 10 | rem) ^ 0x5412;
            let bit = |i: u32| (bits >> i) & 1 == 1;
            let s = self.size as isize;
            for i in 0..=5 {
                self.set_function(8, i, bit(i as u32));
            }
            self.set_function(8, 7, bit(6));
            self.set_function(8, 8, bit(7));
            self.set_function(7, 8, bit(8));
            for i in 9..15 {
                self.set_function(14 - i, 8, bit(i as u32));
            }
            for i in 0..8 {
                self.set_function(s - 1 - i, 8, bit(i as u32));
            }
            for i in 8..15 {
                self.set_function(8, s - 15 + i, bit(i as u32));
            }
            self.set_function(8, s - 8, true);
        }

        fn functions(&mut self, version: usize) {
            let s = self.size as isize;
            for i in 0..s {
                self.set_function(6, i, i % 2 == 0);
                self.set_function(i, 6, i % 2 == 0);
            }
            self.finder(3, 3);
            self.finder(s - 4, 3);
            self.finder(3, s - 4);
            if version >= 2 {
                // Versions 2–6 have one alignment pattern, 7 modules in
                // from the bottom-right corner.
                self.alignment(s - 7, s - 7);
            }
            // Reserve the format areas (drawn for real per mask).
            self.format(0);
        }

        fn place(&mut self, codewords: &[u8]) {
            let size = self.size;
            let total = codewords.len() * 8;
            let mut i = 0usize;
            let mut right = size as isize - 1;
            while right >= 1 {
                if right == 6 {
                    right = 5;
                }
                let upward = (right + 1) & 2 == 0;
                for vert in 0..size {
                    for j in 0..2 {
                        let x = (right - j) as usize;
                        let y = if upward { size - 1 - vert } else { vert };
                        let idx = y * size + x;
                        if self.function.get(idx) == Some(&false) && i < total {
                            let byte = codewords.get(i >> 3).copied().unwrap_or(0);
                            if let Some(d) = self.dark.get_mut(idx) {
                                *d = (byte >> (7 - (i & 7))) & 1 == 1;
                            }
                            i += 1;
                        }
                    }
                }
                right -= 2;
            }
        }

        fn apply_mask(&mut self, mask: u8) {
            for y in 0..self.size {
                for x in 0..self.size {
                    let invert = match mask {
                        0 => (x + y) % 2 == 0,
                        1 => y % 2 == 0,
                        2 => x % 3 == 0,
                        3 => (x + y) % 3 == 0,
                        4 => (x / 3 + y / 2) % 2 == 0,
                        5 => x * y % 2 + x * y % 3 == 0,
                        6 => (x * y % 2 + x * y % 3) % 2 == 0,
                        _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                    };
                    let i = y * self.size + x;
                    if invert && self.function.get(i) == Some(&false) {
                        if let Some(d) = self.dark.get_mut(i) {
                            *d = !*d;
                        }
                    }
                }
            }
        }

        pub(super) fn build(version: usize, codewords: &[u8], mask: u8) -> Matrix {
            let mut m = Matrix::new(version);
            m.functions(version);
            m.place(codewords);
            m.apply_mask(mask);
            m.format(mask);
            m
        }

        /// ISO/IEC 18004 §7.8.3 penalty: runs of five or more (N1 = 3, +1
        /// per extra module), 2 × 2 blocks (N2 = 3), finder-like
        /// 1:1:3:1:1 with four light modules on one side (N3 = 40), and 10
        /// per full 5 % the dark share is away from 50 % (N4).
        pub(super) fn penalty(&self) -> u32 {
            let n = self.size;
            let mut score = 0u32;
            for horizontal in [true, false] {
                for a in 0..n {
                    let at = |b: usize| {
                        if horizontal {
                            self.get(b, a)
                        } else {
                            self.get(a, b)
                        }
                    };
                    let mut run = 1u32;
                    for b in 1..n {
                        if at(b) == at(b - 1) {
                            run += 1;
                        } else {
                            if run >= 5 {
                                score += run - 2;
                            }
                            run = 1;
                        }
                    }
                    if run >= 5 {
                        score += run - 2;
                    }
                    const FINDER: [bool; 11] = [
                        true, false, true, true, true, false, true, false, false, false, false,
                    ];
                    for b in 0..n.saturating_sub(10) {
                        let fwd = (0..11).all(|k| at(b + k) == FINDER[k]);
                        let rev = (0..11).all(|k| at(b + k) == FINDER[10 - k]);
                        score += 40 * (u32::from(fwd) + u32::from(rev));
                    }
                }
            }
            for y in 0..n.saturating_sub(1) {
                for x in 0..n.saturating_sub(1) {
                    let c = self.get(x, y);
                    if c == self.get(x + 1, y)
                        && c == self.get(x, y + 1)
                        && c == self.get(x + 1, y + 1)
                    {
                        score += 3;
                    }
                }
            }
            let dark = self.dark.iter().filter(|&&d| d).count();
            if let Some(percent) = (dark * 100).checked_div(n * n) {
                let off = percent.abs_diff(50) / 5;
                score += 10 * u32::try_from(off).unwrap_or(10);
            }
            score
        }

        pub(super) fn into_qr(self) -> QrMatrix {
            QrMatrix {
                size: self.size as u32,
                modules: self.dark,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_table_is_well_formed() {
        for (i, p) in PATTERNS.iter().enumerate() {
            let total: u32 = p.iter().map(|&w| u32::from(w)).sum();
            let bars: u32 = p.iter().step_by(2).map(|&w| u32::from(w)).sum();
            if i == STOP {
                assert_eq!((p.len(), total), (7, 13));
            } else {
                assert_eq!((p.len(), total), (6, 11), "value {i}");
                // Code 128's parity rule: bar modules are even, spaces odd.
                assert_eq!(bars % 2, 0, "value {i}");
            }
        }
        let mut unique = PATTERNS.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 107);
    }

    #[test]
    fn bars_of_a_code() {
        let code = PayCode::parse("391234567890123456").unwrap();
        let v = code128_values(&code);
        assert_eq!(v[..10], [105, 39, 12, 34, 56, 78, 90, 12, 34, 56]);
        // 105 + 39·1 + 12·2 + 34·3 + 56·4 + 78·5 + 90·6 + 12·7 + 34·8 + 56·9 = 2284; 2284 mod 103 = 18.
        assert_eq!(v[10], 18);
        let bars = code128_bars(&code);
        assert_eq!(bars.len(), 73);
        assert_eq!(bars.iter().map(|&w| u32::from(w)).sum::<u32>(), 134);
    }
}
