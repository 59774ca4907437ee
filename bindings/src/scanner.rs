//! The scanner: camera luma frames (the Y plane, with its row stride and the
//! rotation that makes it upright, optionally a region) to QR codes.

use std::sync::{Mutex, PoisonError};

pub use scanpay_core::scan::{EcLevel, Point, Region, StructuredAppend};
use scanpay_core::scan::{
    LumaFrame, Rotation, ScanOptions, ScannedCode as CoreScannedCode, Scanner as CoreScanner,
};

use crate::errors::ScanError;
use crate::LiveToken;

/// A rectangle in frame (sensor, unrotated) pixels: the viewfinder box.
#[uniffi::remote(Record)]
pub struct Region {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// A point in upright (rotated) frame coordinates.
#[uniffi::remote(Record)]
pub struct Point {
    /// Horizontal, growing right.
    pub x: f32,
    /// Vertical, growing down.
    pub y: f32,
}

/// Error-correction level.
#[uniffi::remote(Enum)]
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

/// Structured append: part `index` of `total`.
#[uniffi::remote(Record)]
pub struct StructuredAppend {
    /// Position, from 0.
    pub index: u8,
    /// Number of parts.
    pub total: u8,
    /// Parity shared by the parts.
    pub parity: u8,
}

/// One code found in a frame.
// A wrapper: the core's corners are a fixed array `[Point; 4]`, which
// UniFFI cannot carry; here they are a list of four.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScannedCode {
    /// The payload bytes as encoded.
    pub bytes: Vec<u8>,
    /// The payload as text (per ECI), when it is text.
    pub text: Option<String>,
    /// The first ECI designator.
    pub eci: Option<u32>,
    /// Corners in upright coordinates: top-left, top-right, bottom-right, bottom-left.
    pub corners: Vec<Point>,
    /// QR version 1..=40.
    pub version: u8,
    /// Error-correction level.
    pub ec_level: EcLevel,
    /// Printed light-on-dark.
    pub inverted: bool,
    /// Read mirrored.
    pub mirrored: bool,
    /// A GS1 code.
    pub gs1: bool,
    /// Structured-append header.
    pub structured_append: Option<StructuredAppend>,
}

impl From<CoreScannedCode> for ScannedCode {
    fn from(c: CoreScannedCode) -> ScannedCode {
        ScannedCode {
            bytes: c.bytes,
            text: c.text,
            eci: c.eci,
            corners: c.corners.to_vec(),
            version: c.version,
            ec_level: c.ec_level,
            inverted: c.inverted,
            mirrored: c.mirrored,
            gs1: c.gs1,
            structured_append: c.structured_append,
        }
    }
}

impl From<&ScannedCode> for CoreScannedCode {
    fn from(c: &ScannedCode) -> CoreScannedCode {
        let mut corners = [Point::default(); 4];
        for (slot, p) in corners.iter_mut().zip(&c.corners) {
            *slot = *p;
        }
        CoreScannedCode {
            bytes: c.bytes.clone(),
            text: c.text.clone(),
            eci: c.eci,
            corners,
            version: c.version,
            ec_level: c.ec_level,
            inverted: c.inverted,
            mirrored: c.mirrored,
            gs1: c.gs1,
            structured_append: c.structured_append,
        }
    }
}

/// A reusable scanner: keeps its buffers between frames. Calls on one
/// scanner are serialised; use one per camera stream. `scan` runs on the
/// calling thread (the camera's analysis thread) and takes a few
/// milliseconds: never call it on the UI thread.
#[derive(uniffi::Object)]
pub struct QrScanner {
    inner: Mutex<CoreScanner>,
    opts: ScanOptions,
    _live: LiveToken,
}

impl std::fmt::Debug for QrScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QrScanner")
            .field("opts", &self.opts)
            .finish()
    }
}

#[uniffi::export]
impl QrScanner {
    /// A scanner tuned for a live camera preview.
    #[uniffi::constructor]
    pub fn new() -> QrScanner {
        QrScanner {
            inner: Mutex::new(CoreScanner::new()),
            opts: ScanOptions::default(),
            _live: LiveToken::new(),
        }
    }

    /// A scanner for photos and screenshots scanned once (gallery import):
    /// slower, reads more.
    #[uniffi::constructor]
    pub fn for_still_images() -> QrScanner {
        QrScanner {
            inner: Mutex::new(CoreScanner::new()),
            opts: ScanOptions::for_still_image(),
            _live: LiveToken::new(),
        }
    }

    /// Scans one luma frame: `data` holds `height` rows `row_stride` bytes
    /// apart; `rotation_degrees` (0, 90, 180, 270: Android's
    /// `rotationDegrees`) makes it upright, and corners are reported in the
    /// upright system; `region` limits the scan to the viewfinder box (frame
    /// coordinates). Returns every code found, possibly none.
    pub fn scan(
        &self,
        data: Vec<u8>,
        width: u32,
        height: u32,
        row_stride: u32,
        rotation_degrees: u32,
        region: Option<Region>,
    ) -> Result<Vec<ScannedCode>, ScanError> {
        let rotation = Rotation::try_from(rotation_degrees)?;
        let frame = LumaFrame {
            data: &data,
            width,
            height,
            row_stride,
            rotation,
        };
        let opts = ScanOptions {
            region,
            ..self.opts
        };
        let codes = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .scan(&frame, &opts)?;
        Ok(codes.into_iter().map(ScannedCode::from).collect())
    }
}

impl Default for QrScanner {
    fn default() -> Self {
        QrScanner::new()
    }
}
