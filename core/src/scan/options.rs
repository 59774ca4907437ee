//! What the scanner tries on a frame: the passes a caller can switch on and
//! off, and the presets for a live preview and for a still image.

use super::frame::Region;

/// Default for [`ScanOptions::upscale_below`]: images whose longer side is
/// below this get 2× upscaled passes last. Stills and crops that small gain a
/// lot from it (small modules); a 640×480 camera frame does not get them, as
/// they would triple the cost of every empty frame.
pub(crate) const UPSCALE_BELOW: u32 = 640;
/// [`ScanOptions::for_still_image`]'s upscale limit: a still is scanned once,
/// so it can afford the upscaled passes up to this size.
pub(crate) const STILL_UPSCALE_BELOW: u32 = 1280;

/// What the scanner tries. The default suits a live camera preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Scan only this part of the frame (the viewfinder box); codes outside
    /// it are not reported.
    pub region: Option<Region>,
    /// Also look for light-on-dark codes (an inverted pass).
    pub try_inverted: bool,
    /// Also run our own front end on the 2×2-averaged image (frames whose
    /// longer side is at least 320 px), and, for large frames, start the rqrr
    /// fallback with a 2× downscaled pass.
    pub try_downscaled: bool,
    /// Also try a second binarisation (local mean threshold) that copes with
    /// uneven lighting.
    pub try_local_threshold: bool,
    /// For small images, try 2× upscaled (bilinear) passes: our own front
    /// end below 400 px, rqrr's last, below
    /// `upscale_below`. Both sample each module at one pixel, and
    /// interpolation makes small, rotated codes sample cleanly.
    pub try_upscaled: bool,
    /// Longer-side limit (exclusive, in region pixels) for the upscaled
    /// passes: 640 by default, 1280 for [`ScanOptions::for_still_image`].
    pub upscale_below: u32,
    /// After our own front end, fall back to rqrr's detector passes (its
    /// flood-fill finder search reads some damaged or oddly lit codes ours
    /// misses; it is also several times slower).
    pub try_rqrr: bool,
    /// Run every pass even after one found a code, and the rqrr fallback
    /// passes even without finder evidence: slower, but finds codes that only
    /// a later pass reads (e.g. a dark and a light code side by side).
    pub exhaustive: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            region: None,
            try_inverted: true,
            try_downscaled: true,
            try_local_threshold: true,
            try_upscaled: true,
            upscale_below: UPSCALE_BELOW,
            try_rqrr: true,
            exhaustive: false,
        }
    }
}

impl ScanOptions {
    /// Options for a photo or screenshot scanned once (the CLI, gallery
    /// import): upscaled passes below 1280 px and every pass
    /// run, since a few tens of milliseconds more do not matter there.
    pub fn for_still_image() -> Self {
        ScanOptions {
            upscale_below: STILL_UPSCALE_BELOW,
            exhaustive: true,
            ..ScanOptions::default()
        }
    }
}
