//! Why a frame could not be scanned.

use super::frame::{Region, MAX_PIXELS, MAX_SIDE, MIN_SIDE};

/// Why a frame could not be scanned. Each names what the caller must fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// Width or height below [`MIN_SIDE`] (this includes zero).
    #[error("frame {width}x{height} is too small (min {MIN_SIDE} px a side)")]
    FrameTooSmall {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
    },
    /// Width or height above [`MAX_SIDE`], or area above [`MAX_PIXELS`].
    #[error("frame {width}x{height} is too large (max {MAX_SIDE} px a side, {MAX_PIXELS} px)")]
    FrameTooLarge {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
    },
    /// The row stride is smaller than the width.
    #[error("row stride {row_stride} is less than width {width}")]
    StrideTooSmall {
        /// Given stride.
        row_stride: u32,
        /// Frame width.
        width: u32,
    },
    /// The buffer is shorter than `row_stride * (height - 1) + width`.
    #[error("luma buffer has {len} bytes, frame needs {needed}")]
    DataTooShort {
        /// Buffer length.
        len: usize,
        /// Bytes the frame geometry needs.
        needed: u64,
    },
    /// The region of interest is smaller than [`MIN_SIDE`] or reaches outside
    /// the frame.
    #[error("region {region:?} is empty, too small or outside the {width}x{height} frame")]
    BadRegion {
        /// The region given.
        region: Region,
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
    },
    /// A rotation other than 0, 90, 180 or 270 degrees.
    #[error("rotation {degrees} is not a multiple of 90 degrees")]
    InvalidRotation {
        /// The degrees given.
        degrees: u32,
    },
    /// The underlying decoder (rqrr) failed internally on this frame and no
    /// code was found; the next frame may well work.
    #[error("the QR decoder failed internally on this frame")]
    DecoderFault,
}
