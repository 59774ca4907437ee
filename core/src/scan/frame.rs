//! The input: one camera frame's luma plane, its rotation, an optional
//! region of interest, and the caps every frame is checked against before
//! any work (so a bad or hostile frame costs nothing and never indexes out
//! of bounds).

use super::error::ScanError;

/// Largest accepted frame side, in pixels.
pub const MAX_SIDE: u32 = 4096;
/// Largest accepted frame area, in pixels (16 Mpx).
pub const MAX_PIXELS: u64 = 16 * 1024 * 1024;
/// Smallest accepted frame (and region) side: a version 1 code is 21 modules.
pub const MIN_SIDE: u32 = 21;

/// One camera frame's luma plane, borrowed from the platform buffer.
#[derive(Debug, Clone, Copy)]
pub struct LumaFrame<'a> {
    /// Luma bytes, row after row, `row_stride` bytes apart (0 = black).
    pub data: &'a [u8],
    /// Width in pixels, as the sensor delivers it.
    pub width: u32,
    /// Height in pixels, as the sensor delivers it.
    pub height: u32,
    /// Bytes from one row to the next; at least `width` (often padded).
    pub row_stride: u32,
    /// Clockwise rotation that makes the frame upright (Android's
    /// `rotationDegrees`); reported corners are in the rotated system.
    pub rotation: Rotation,
}

/// Clockwise rotation that turns a sensor frame upright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// Already upright.
    #[default]
    R0,
    /// Rotate 90° clockwise to be upright.
    R90,
    /// Rotate 180°.
    R180,
    /// Rotate 270° clockwise (90° counter-clockwise).
    R270,
}

impl Rotation {
    /// The rotation in degrees (0, 90, 180 or 270).
    pub fn degrees(self) -> u32 {
        match self {
            Rotation::R0 => 0,
            Rotation::R90 => 90,
            Rotation::R180 => 180,
            Rotation::R270 => 270,
        }
    }
}

impl TryFrom<u32> for Rotation {
    type Error = ScanError;

    /// Accepts 0, 90, 180 and 270 (and their equivalents modulo 360, which
    /// some camera APIs report).
    fn try_from(degrees: u32) -> Result<Self, ScanError> {
        match degrees % 360 {
            0 => Ok(Rotation::R0),
            90 => Ok(Rotation::R90),
            180 => Ok(Rotation::R180),
            270 => Ok(Rotation::R270),
            _ => Err(ScanError::InvalidRotation { degrees }),
        }
    }
}

/// A rectangle in frame (sensor, unrotated) pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Checks the frame against the caps and its buffer against its geometry.
pub(crate) fn validate(frame: &LumaFrame<'_>) -> Result<(), ScanError> {
    let (width, height) = (frame.width, frame.height);
    if width < MIN_SIDE || height < MIN_SIDE {
        return Err(ScanError::FrameTooSmall { width, height });
    }
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ScanError::FrameTooLarge { width, height });
    }
    if frame.row_stride < width {
        return Err(ScanError::StrideTooSmall {
            row_stride: frame.row_stride,
            width,
        });
    }
    let needed = u64::from(frame.row_stride) * u64::from(height - 1) + u64::from(width);
    if (frame.data.len() as u64) < needed {
        return Err(ScanError::DataTooShort {
            len: frame.data.len(),
            needed,
        });
    }
    Ok(())
}

/// Checks that the region is at least [`MIN_SIDE`] a side and inside the frame.
pub(crate) fn validate_region(frame: &LumaFrame<'_>, r: Region) -> Result<Region, ScanError> {
    let fits = r.width >= MIN_SIDE
        && r.height >= MIN_SIDE
        && u64::from(r.x) + u64::from(r.width) <= u64::from(frame.width)
        && u64::from(r.y) + u64::from(r.height) <= u64::from(frame.height);
    if fits {
        Ok(r)
    } else {
        Err(ScanError::BadRegion {
            region: r,
            width: frame.width,
            height: frame.height,
        })
    }
}
