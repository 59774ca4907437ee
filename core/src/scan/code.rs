//! The output: a code the scanner read, with its bytes, text, corners and
//! the properties of the symbol.

/// A point in upright (rotated) frame coordinates, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    /// Horizontal, growing to the right.
    pub x: f32,
    /// Vertical, growing downwards.
    pub y: f32,
}

/// Error-correction level of a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EcLevel {
    /// About 7 % of codewords recoverable.
    L,
    /// About 15 %.
    M,
    /// About 25 %.
    Q,
    /// About 30 %.
    H,
}

/// Structured append: this symbol is part `index` of `total` of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StructuredAppend {
    /// Position of this symbol, from 0.
    pub index: u8,
    /// Number of symbols in the message (1..=16).
    pub total: u8,
    /// Parity byte shared by all the symbols of one message.
    pub parity: u8,
}

/// One code found in a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct ScannedCode {
    /// The payload bytes exactly as encoded (numeric and alphanumeric
    /// segments as ASCII, Kanji segments as Shift_JIS). Always present.
    pub bytes: Vec<u8>,
    /// The payload as text, decoded per ECI (UTF-8 / Shift_JIS / ISO-8859-1
    /// guessed when untagged); `None` if it is not valid text in its charset.
    pub text: Option<String>,
    /// The first ECI designator in the code, if any.
    pub eci: Option<u32>,
    /// Corners in upright coordinates: the code's own top-left (finder),
    /// top-right, bottom-right and bottom-left, including the finder edges.
    pub corners: [Point; 4],
    /// QR version, 1..=40.
    pub version: u8,
    /// Error-correction level.
    pub ec_level: EcLevel,
    /// The code was printed light-on-dark.
    pub inverted: bool,
    /// The code was read mirrored (transposed).
    pub mirrored: bool,
    /// The code is a GS1 code (FNC1 in first position).
    pub gs1: bool,
    /// Structured-append header, if this is one part of a longer message.
    pub structured_append: Option<StructuredAppend>,
}
