//! # scan — camera luma frames to QR codes
//!
//! The input is what phone cameras hand over: the luma (Y) plane of a frame,
//! with its row stride and the clockwise rotation the app applies to show it
//! upright, optionally a region of interest (the viewfinder box). The output
//! is every code found, with its raw bytes, its text when it is text, and its
//! corners in the upright coordinate system the UI draws in.
//!
//! ## Pipeline, and why
//!
//! 1. **Caps.** Width, height, pixel count, stride and buffer length are
//!    checked before any work ([`ScanError`]), so a bad or hostile frame costs
//!    nothing and never indexes out of bounds.
//! 2. **ROI crop.** Only the region is copied into a tightly packed working
//!    image: less work, and codes outside the viewfinder are not reported.
//! 3. **Our own front end first** (`detect`, ADR 0008): block-adaptive
//!    binarisation, a row scan for the 1:1:3:1:1 finder ratio with
//!    vertical/horizontal/diagonal cross-checks, finder triples ranked by
//!    geometry, alignment-pattern–assisted perspective sampling. One
//!    binarisation yields both polarities (a bit plane each; the
//!    light-on-dark one is exactly the binarisation of `255 - v`) and one
//!    row scan finds finders of either, so a light-on-dark code costs what a
//!    dark-on-light one does. Where only two finders are confirmed, a
//!    looser search looks for the third where they put it. It runs at full
//!    and at half scale (2×2 averaging halves sensor noise); it is rotation
//!    invariant, and mirrored codes are read by the transposed retry.
//!    Its cost is bounded per frame: at most `detect::MAX_CONFIRMS`
//!    cross-checks, `MAX_TRIPLES` hypotheses and `MAX_ATTEMPTS` samplings
//!    per polarity and pass, and a sampled grid whose timing patterns are
//!    at chance is dropped before any decoding.
//! 4. **rqrr fallback passes**, only where our front end saw finder-like
//!    evidence it could not decode (at least [`FALLBACK_EVIDENCE`] strong
//!    candidates in that polarity, and rows that are not pixel-scale noise),
//!    at most [`MAX_FALLBACK_PASSES`] passes and [`FALLBACK_PIXELS`] of rqrr
//!    work: this is the per-frame work budget that keeps empty and noise
//!    frames cheap. [`rqrr`] finds finder regions by flood fill, fits the grid and
//!    samples its modules; each pass runs inside `catch_unwind`, because
//!    rqrr has assertion panics on real photos (release builds keep `panic =
//!    "unwind"` for exactly this). In order, per polarity: a 2× downscaled
//!    pass for large frames, the full-resolution pass, a local-mean
//!    binarisation; then for small images 2× bilinear-upscaled passes.
//!    Stopping at the first pass that finds a code (unless
//!    [`ScanOptions::exhaustive`], which also lifts the evidence gate).
//!    The dataset test (`tests/scan_dataset.rs`, `SCAN_DATASET_ABLATION=1`)
//!    measures what each pass adds.
//! 5. **Our own bitstream decode.** rqrr's `decode_to` drops ECI designators,
//!    so a Latin-1 or Shift_JIS payload would come back as wrong text. We take
//!    rqrr's sampled modules and raw codewords and do the Reed–Solomon
//!    correction and segment parsing ourselves (`bitstream`), keeping the raw
//!    bytes and every ECI; text is decoded strictly per ECI (`text`).
//! 6. **Dedupe.** The same code seen by two passes (same bytes, overlapping
//!    position) is reported once; two identical stickers side by side stay two.
//! 7. **Rotate points.** Corners are mapped from the pass image back to frame
//!    (sensor) coordinates and then rotated into the upright system; rotating
//!    four points is far cheaper than rotating the pixels.
//!
//! [`StreamScanner`] wraps a [`Scanner`] for live camera frames and reports
//! each code once; [`synth`] renders degraded frames for tests and QA.

mod bitstream;
mod detect;
mod image;
mod rs;
mod stream;
pub mod synth;
mod tables;
mod text;

pub use stream::{StreamScanner, DEFAULT_FORGET_AFTER};

use std::panic::{catch_unwind, AssertUnwindSafe};

use rqrr::{BitGrid, PreparedImage};

/// Largest accepted frame side, in pixels.
pub const MAX_SIDE: u32 = 4096;
/// Largest accepted frame area, in pixels (16 Mpx).
pub const MAX_PIXELS: u64 = 16 * 1024 * 1024;
/// Smallest accepted frame (and region) side: a version 1 code is 21 modules.
pub const MIN_SIDE: u32 = 21;
/// Images whose longer side is at least this get a 2× downscaled pass first.
pub const DOWNSCALE_FROM: u32 = 1000;
/// Default for [`ScanOptions::upscale_below`]: images whose longer side is
/// below this get 2× upscaled passes last. Stills and crops that small gain a
/// lot from it (small modules); a 640×480 camera frame does not get them, as
/// they would triple the cost of every empty frame.
pub const UPSCALE_BELOW: u32 = 640;
/// [`ScanOptions::for_still_image`]'s upscale limit: a still is scanned once,
/// so it can afford the upscaled passes up to this size.
pub const STILL_UPSCALE_BELOW: u32 = 1280;

/// The rqrr fallback passes run only when our own front end saw at least
/// this many finder-pattern candidates in that polarity (unless
/// [`ScanOptions::exhaustive`]).
pub const FALLBACK_EVIDENCE: usize = 2;

/// Images (regions) whose longer side is below this also get our own front
/// end on a 2× upscaled copy.
pub const OWN_UPSCALE_BELOW: u32 = 400;

/// Frames (regions) whose longer side is at least this also get our own
/// front end at half scale.
pub const MIN_HALF_SIDE: u32 = 320;

/// At most this many rqrr fallback passes run per frame (unless
/// [`ScanOptions::exhaustive`]): each costs several of our own passes, and
/// the first three of the plan read everything the rest did on the dataset.
pub const MAX_FALLBACK_PASSES: usize = 3;

/// Pixels the rqrr fallback passes may process per frame, all passes
/// together (unless [`ScanOptions::exhaustive`]): rqrr costs roughly 5–10 ms
/// per megapixel here, so this caps the fallback near 20 ms. A 720p frame or
/// a 640×480 still gets its three passes, a 1080p frame only the half-scale
/// ones.
pub const FALLBACK_PIXELS: usize = 2_200_000;

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

/// What the scanner tries. The default suits a live camera preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Scan only this part of the frame (the viewfinder box); codes outside
    /// it are not reported.
    pub region: Option<Region>,
    /// Also look for light-on-dark codes (an inverted pass).
    pub try_inverted: bool,
    /// Also run our own front end on the 2×2-averaged image (frames of at
    /// least [`MIN_HALF_SIDE`] px), and, for large frames, start the rqrr
    /// fallback with a 2× downscaled pass.
    pub try_downscaled: bool,
    /// Also try a second binarisation (local mean threshold) that copes with
    /// uneven lighting.
    pub try_local_threshold: bool,
    /// For small images, try 2× upscaled (bilinear) passes: our own front
    /// end below [`OWN_UPSCALE_BELOW`] px, rqrr's last, below
    /// `upscale_below`. Both sample each module at one pixel, and
    /// interpolation makes small, rotated codes sample cleanly.
    pub try_upscaled: bool,
    /// Longer-side limit (exclusive, in region pixels) for the upscaled passes.
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
    /// import): upscaled passes up to [`STILL_UPSCALE_BELOW`] and every pass
    /// run, since a few tens of milliseconds more do not matter there.
    pub fn for_still_image() -> Self {
        ScanOptions {
            upscale_below: STILL_UPSCALE_BELOW,
            exhaustive: true,
            ..ScanOptions::default()
        }
    }
}

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

/// A reusable scanner: keeps its working buffers between frames, so a camera
/// loop does not reallocate for every frame.
#[derive(Debug, Default)]
pub struct Scanner {
    work: Vec<u8>,
    scratch: Vec<u8>,
    binary: Vec<u8>,
    integral: Vec<u32>,
    bitmap: detect::Bitmap,
    /// The 2×2-averaged working image, made once per frame for both
    /// polarities' half-scale passes.
    half: Vec<u8>,
    half_size: (usize, usize),
    half_ready: bool,
    finders: Vec<detect::Finder>,
    /// Light-on-dark finder candidates seen in the same row scan.
    inv_finders: Vec<detect::Finder>,
    triples: Vec<detect::Triple>,
    /// One scanned row's run lengths.
    runs: Vec<u32>,
}

/// The resolution a pass works at, relative to the (cropped) frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Half,
    Full,
    Double,
}

/// One attempt: our own front end (`detect`) at full resolution, or an rqrr
/// pass at a resolution with a binarisation (rqrr's row mean, or our local
/// mean); and a polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pass {
    own: bool,
    scale: Scale,
    local: bool,
    inverted: bool,
}

/// How one own pass runs, per polarity (index 0: dark-on-light, 1:
/// light-on-dark).
#[derive(Debug, Clone, Copy)]
struct OwnPass {
    scale: Scale,
    /// Which polarities to search.
    enabled: [bool; 2],
    /// A quarter of the work budget (a noisy frame's coarser pass).
    frugal: [bool; 2],
    /// Decode both polarities even after one read.
    exhaustive: bool,
}

/// What one own pass found and saw, per polarity (index 0: dark-on-light,
/// 1: light-on-dark).
struct OwnOutcome {
    found: Vec<Found>,
    /// Confirmed finder candidates.
    evidence: [usize; 2],
    /// The scanned rows were pixel-scale noise.
    noise: [bool; 2],
    /// Any finder candidate at all.
    any: [bool; 2],
}

/// Finder pairs the third-finder search tries per polarity and pass.
const RESCUE_PAIRS: usize = 3;

/// Sampling attempts the triples the third-finder search completes may
/// spend per polarity and pass (two triples' worth of dimensions).
const RESCUE_ATTEMPTS: usize = 12;

/// Decoding one polarity's finder candidates of an own pass.
struct Decoding<'a> {
    view: detect::View<'a>,
    /// Pass image to working image scale.
    to_work: f32,
    inverted: bool,
    max_triples: usize,
}

impl Decoding<'_> {
    /// Decodes the plausible triples of `finders` (only those using a
    /// candidate from index `new_from` on), best first, each finder in at
    /// most one code, spending `attempts`. Returns the candidates used by
    /// the codes read.
    fn run(
        &self,
        finders: &[detect::Finder],
        new_from: usize,
        triples: &mut Vec<detect::Triple>,
        attempts: &mut usize,
        out: &mut Vec<Found>,
    ) -> Vec<usize> {
        if finders.len() < 3 {
            return Vec::new();
        }
        detect::triples(finders, triples, self.max_triples);
        let mut used: Vec<usize> = Vec::new();
        for t in triples.iter() {
            let ids = t.ids();
            if ids.iter().all(|&i| i < new_from) || ids.iter().any(|i| used.contains(i)) {
                continue;
            }
            if let Some(d) = detect::decode_triple(self.view, t, attempts) {
                used.extend(ids);
                let b = d.bounds.map(|(x, y)| (x * self.to_work, y * self.to_work));
                let bounds = if d.symbol.mirrored {
                    [b[0], b[3], b[2], b[1]]
                } else {
                    b
                };
                out.push(Found {
                    symbol: d.symbol,
                    bounds,
                    inverted: self.inverted,
                });
            }
        }
        used
    }
}

/// A grid decoded by one pass, in working-image coordinates.
struct Found {
    symbol: bitstream::Symbol,
    bounds: [(f32, f32); 4],
    inverted: bool,
}

impl Scanner {
    /// A scanner with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scans one frame and returns every code found (possibly none).
    ///
    /// # Errors
    /// A [`ScanError`] for a frame or region that fails the caps, or
    /// [`ScanError::DecoderFault`] if rqrr failed internally and nothing
    /// was found.
    pub fn scan(
        &mut self,
        frame: &LumaFrame<'_>,
        opts: &ScanOptions,
    ) -> Result<Vec<ScannedCode>, ScanError> {
        validate(frame)?;
        let region = match opts.region {
            Some(r) => validate_region(frame, r)?,
            None => Region {
                x: 0,
                y: 0,
                width: frame.width,
                height: frame.height,
            },
        };
        image::crop(frame, region, &mut self.work);
        let (w, h) = (region.width as usize, region.height as usize);

        let mut found: Vec<Found> = Vec::new();
        let mut faulted = false;
        // Finder candidates our own front end saw, per polarity, and whether
        // the full-resolution pass found pixel-scale noise there (which no
        // coarser pass may overrule: averaged noise looks like texture).
        let mut evidence = [0usize; 2];
        let mut noisy = [false; 2];
        let mut any_finder = [false; 2];
        let mut rqrr_runs = 0usize;
        let mut rqrr_pixels = 0usize;
        self.half_ready = false;
        for pass in plan(opts, region.width.max(region.height)) {
            let result = if pass.own {
                let mut enabled = [false; 2];
                for (k, e) in enabled.iter_mut().enumerate() {
                    if k == 1 && !opts.try_inverted {
                        continue;
                    }
                    // The coarser and finer own passes are for noise and
                    // for small finders: a clean frame whose full pass saw
                    // no finder-like pattern at all skips them.
                    let hinted = noisy.get(k).copied().unwrap_or(false)
                        || any_finder.get(k).copied().unwrap_or(false);
                    *e = pass.scale == Scale::Full || hinted || opts.exhaustive;
                }
                if !enabled.contains(&true) {
                    continue;
                }
                // On a frame the full pass found noisy, the half pass gets a
                // quarter of the budget: it is there for moderate sensor noise
                // over a code, not to search snow.
                let own = OwnPass {
                    scale: pass.scale,
                    enabled,
                    frugal: noisy,
                    exhaustive: opts.exhaustive,
                };
                // Our own code does not panic by design (every access is
                // checked); the guard makes a bug a DecoderFault, not a crash.
                let outcome = catch_unwind(AssertUnwindSafe(|| self.run_own_pass(own, w, h)));
                let Ok(outcome) = outcome else {
                    faulted = true;
                    continue;
                };
                for (k, _) in enabled.iter().enumerate().filter(|(_, &e)| e) {
                    if pass.scale == Scale::Full {
                        if let (Some(n), Some(&seen)) = (noisy.get_mut(k), outcome.noise.get(k)) {
                            *n = seen;
                        }
                        if let (Some(a), Some(&seen)) = (any_finder.get_mut(k), outcome.any.get(k))
                        {
                            *a = seen;
                        }
                    }
                    let vetoed = noisy.get(k).copied().unwrap_or(false);
                    if let (Some(e), Some(&seen)) = (evidence.get_mut(k), outcome.evidence.get(k)) {
                        *e = if vetoed { 0 } else { (*e).max(seen) };
                    }
                }
                let list = outcome.found;
                if self.bitmap.flat
                    && pass.scale == Scale::Full
                    && list.is_empty()
                    && !opts.exhaustive
                {
                    // No edge anywhere: no pass can find a code here.
                    break;
                }
                Ok(list)
            } else {
                // The work budget: rqrr's passes cost several times ours, so
                // they run only where ours saw finder-like patterns it could
                // not decode. An empty or noisy frame stops here.
                let seen = evidence
                    .get(usize::from(pass.inverted))
                    .copied()
                    .unwrap_or(0);
                let pixels = match pass.scale {
                    Scale::Half => (w / 2) * (h / 2),
                    Scale::Full => w * h,
                    Scale::Double => 4 * w * h,
                };
                if !opts.exhaustive
                    && (seen < FALLBACK_EVIDENCE
                        || rqrr_runs >= MAX_FALLBACK_PASSES
                        || rqrr_pixels + pixels > FALLBACK_PIXELS)
                {
                    continue;
                }
                rqrr_runs += 1;
                rqrr_pixels += pixels;
                self.run_pass(pass, w, h)
            };
            match result {
                Ok(list) => {
                    let any = !list.is_empty();
                    found.extend(list);
                    if any && !opts.exhaustive {
                        break;
                    }
                }
                Err(()) => faulted = true,
            }
        }
        if found.is_empty() && faulted {
            return Err(ScanError::DecoderFault);
        }

        let mut out: Vec<ScannedCode> = Vec::new();
        for f in found {
            let corners = f.bounds.map(|(x, y)| {
                let fx = x + region.x as f32;
                let fy = y + region.y as f32;
                rotate(
                    fx,
                    fy,
                    frame.width as f32,
                    frame.height as f32,
                    frame.rotation,
                )
            });
            let code = to_code(f.symbol, corners, f.inverted);
            if !out.iter().any(|o| same_code(o, &code)) {
                out.push(code);
            }
        }
        Ok(out)
    }

    /// Our own front end over the working image: binarise, find finder
    /// patterns, decode the most plausible triples. Also returns how many
    /// finder candidates it saw per polarity: the evidence that decides
    /// whether the slower rqrr passes are worth running.
    ///
    /// Both polarities come from one binarisation and one row scan (a
    /// light-on-dark finder is the same runs with the colours swapped), so
    /// a light-on-dark code costs no failed dark-on-light pass first. The
    /// polarity with more confirmed finders is decoded first.
    ///
    /// The half-scale pass averages 2×2 blocks first: that halves sensor
    /// noise and joins the speckle that breaks finder run lengths, at a
    /// quarter of the pixels.
    fn run_own_pass(&mut self, pass: OwnPass, w: usize, h: usize) -> OwnOutcome {
        let to_work = match pass.scale {
            Scale::Double => {
                let (uw, uh) = image::upscale2(&self.work, w, h, &mut self.scratch);
                self.bitmap.binarise(&self.scratch, uw, uh);
                0.5
            }
            Scale::Half => {
                if !self.half_ready {
                    let (dw, dh) = image::downscale2(&self.work, w, h, &mut self.half);
                    self.half_size = (dw, dh);
                    self.half_ready = true;
                }
                let (dw, dh) = self.half_size;
                self.bitmap.binarise(&self.half, dw, dh);
                2.0
            }
            Scale::Full => {
                self.bitmap.binarise(&self.work, w, h);
                1.0
            }
        };
        let share = |k: usize, full: usize| match (pass.enabled.get(k), pass.frugal.get(k)) {
            (Some(true), Some(true)) => full / 4,
            (Some(true), _) => full,
            _ => 0,
        };
        let mean_run = detect::find_finders(
            &self.bitmap,
            [&mut self.finders, &mut self.inv_finders],
            [
                share(0, detect::MAX_CONFIRMS),
                share(1, detect::MAX_CONFIRMS),
            ],
            &mut self.runs,
            detect::MAX_CANDIDATES,
        );
        let noise = mean_run.map(|m| m < detect::NOISE_RUN);
        // Pixel-scale noise forms many finder-like patterns and triples of
        // them, each a costly sampling attempt at a large dimension; a code
        // is not readable at this scale there anyway (the half-scale pass is
        // for that), so such a pass gets a quarter of the decoding budget.
        let budget = |k: usize, full: usize| {
            let starved = noise.get(k).copied().unwrap_or(false);
            if starved {
                share(k, full) / 4
            } else {
                share(k, full)
            }
        };
        let mut evidence = [0usize; 2];
        let mut any = [false; 2];
        for (k, list) in [&mut self.finders, &mut self.inv_finders]
            .into_iter()
            .enumerate()
        {
            detect::rank(list);
            if let (Some(e), Some(a)) = (evidence.get_mut(k), any.get_mut(k)) {
                *e = list.iter().filter(|f| f.is_evidence()).count();
                *a = !list.is_empty();
            }
        }
        let order: [usize; 2] = if evidence[1] > evidence[0] {
            [1, 0]
        } else {
            [0, 1]
        };
        let mut list = Vec::new();
        for k in order {
            let inverted = k == 1;
            let finders = if inverted {
                &mut self.inv_finders
            } else {
                &mut self.finders
            };
            let view = self.bitmap.view(inverted);
            let mut attempts = budget(k, detect::MAX_ATTEMPTS);
            let max_triples = budget(k, detect::MAX_TRIPLES);
            let job = Decoding {
                view,
                to_work,
                inverted,
                max_triples,
            };
            let used = job.run(finders, 0, &mut self.triples, &mut attempts, &mut list);
            // Two confirmed finders left unread: the third may be there but
            // fail the strict run test (no quiet zone on one side, blur), or
            // a small code sits inside a larger one.
            let unread = finders
                .iter()
                .enumerate()
                .filter(|(i, f)| f.is_evidence() && !used.contains(i))
                .count();
            let noisy = noise.get(k).copied().unwrap_or(false);
            if unread >= 2 && !noisy && attempts > 0 && max_triples > 0 {
                let known = finders.len();
                detect::rescue_third(view, finders, &used, RESCUE_PAIRS);
                if finders.len() > known {
                    // The found candidates passed a looser test: a small
                    // share of the budget, so texture cannot spend it all.
                    let mut spend = attempts.min(RESCUE_ATTEMPTS);
                    job.run(finders, known, &mut self.triples, &mut spend, &mut list);
                }
            }
            if !list.is_empty() && !pass.exhaustive {
                break;
            }
        }
        // Finders in pixel noise are no evidence for the fallback passes.
        for (e, &n) in evidence.iter_mut().zip(noise.iter()) {
            if n {
                *e = 0;
            }
        }
        OwnOutcome {
            found: list,
            evidence,
            noise,
            any,
        }
    }

    /// Runs one pass over the working image (`w`×`h`). Returns the decoded
    /// grids with bounds in working-image coordinates; `Err` means rqrr
    /// panicked and nothing decoded in this pass.
    fn run_pass(&mut self, pass: Pass, w: usize, h: usize) -> Result<Vec<Found>, ()> {
        let (src, sw, sh, to_work): (&[u8], usize, usize, f32) = match pass.scale {
            Scale::Full => (&self.work, w, h, 1.0),
            Scale::Half => {
                let (dw, dh) = image::downscale2(&self.work, w, h, &mut self.scratch);
                (&self.scratch, dw, dh, 2.0)
            }
            Scale::Double => {
                let (uw, uh) = image::upscale2(&self.work, w, h, &mut self.scratch);
                (&self.scratch, uw, uh, 0.5)
            }
        };
        // No virtual white quiet zone around the pass image: we tried one, and
        // it lost a fifth of the plain pass's dataset reads (rqrr's row-mean
        // window grows with the width). Edge-touching codes are read by the
        // upscaled passes instead.
        let inverted = pass.inverted;
        let prepared = if pass.local {
            image::local_threshold(src, sw, sh, inverted, &mut self.integral, &mut self.binary);
            let bin: &[u8] = &self.binary;
            catch_unwind(AssertUnwindSafe(|| {
                PreparedImage::prepare_from_bitmap(sw, sh, |x, y| {
                    bin.get(y * sw + x).is_some_and(|&v| v != 0)
                })
            }))
        } else {
            catch_unwind(AssertUnwindSafe(|| {
                PreparedImage::prepare_from_greyscale(sw, sh, |x, y| match src.get(y * sw + x) {
                    Some(&v) if inverted => 255 - v,
                    Some(&v) => v,
                    None => 255,
                })
            }))
        };
        let Ok(mut prepared) = prepared else {
            return Err(());
        };
        let to_work_coords = |p: rqrr::Point| (p.x as f32 * to_work, p.y as f32 * to_work);
        let detected = catch_unwind(AssertUnwindSafe(|| {
            prepared
                .detect_grids()
                .into_iter()
                .map(|g| (Cells::sample(&g.grid), g.bounds.map(to_work_coords)))
                .collect::<Vec<_>>()
        }));
        let Ok(detected) = detected else {
            return Err(());
        };
        let mut list = Vec::new();
        let mut faulted = false;
        for (cells, bounds) in detected {
            match catch_unwind(AssertUnwindSafe(|| bitstream::decode_grid(&cells))) {
                Ok(Ok(symbol)) => {
                    // A transposed read swaps the code's top-right and
                    // bottom-left corners relative to rqrr's bounds.
                    let bounds = if symbol.mirrored {
                        [bounds[0], bounds[3], bounds[2], bounds[1]]
                    } else {
                        bounds
                    };
                    list.push(Found {
                        symbol,
                        bounds,
                        inverted,
                    });
                }
                Ok(Err(_)) => {}
                Err(_) => faulted = true,
            }
        }
        if list.is_empty() && faulted {
            return Err(());
        }
        Ok(list)
    }
}

/// Scans a tightly packed, upright still image (PNG/JPEG/WebP turned into
/// luma) with [`ScanOptions::for_still_image`].
///
/// # Errors
/// As [`Scanner::scan`].
pub fn scan_luma(data: &[u8], width: u32, height: u32) -> Result<Vec<ScannedCode>, ScanError> {
    Scanner::new().scan(
        &LumaFrame {
            data,
            width,
            height,
            row_stride: width,
            rotation: Rotation::R0,
        },
        &ScanOptions::for_still_image(),
    )
}

/// A grid's modules copied out of rqrr's image, so decoding (and the mirrored
/// retry) reads a plain bitmap instead of re-running the perspective map.
struct Cells {
    size: usize,
    bits: Vec<bool>,
}

impl Cells {
    fn sample(grid: &dyn BitGrid) -> Self {
        // rqrr only reports versions 1..=40; anything larger decodes as nothing.
        let size = grid.size();
        if size > 177 {
            return Cells {
                size: 0,
                bits: Vec::new(),
            };
        }
        let mut bits = Vec::with_capacity(size * size);
        for y in 0..size {
            for x in 0..size {
                bits.push(grid.bit(y, x));
            }
        }
        Cells { size, bits }
    }
}

impl BitGrid for Cells {
    fn size(&self) -> usize {
        self.size
    }
    fn bit(&self, y: usize, x: usize) -> bool {
        self.bits.get(y * self.size + x).copied().unwrap_or(false)
    }
}

/// The passes to try, cheapest and most productive first.
fn plan(opts: &ScanOptions, long_side: u32) -> Vec<Pass> {
    let pass = |scale, local, inverted| Pass {
        own: false,
        scale,
        local,
        inverted,
    };
    let own = |scale| Pass {
        own: true,
        scale,
        local: false,
        inverted: false,
    };
    let mut passes = Vec::with_capacity(16);
    // Each own pass searches both polarities (when `try_inverted`).
    passes.push(own(Scale::Full));
    // Half scale needs modules of 2 px or more to remain; frames below
    // MIN_HALF_SIDE are too small for that to matter.
    if opts.try_downscaled && long_side >= MIN_HALF_SIDE {
        passes.push(own(Scale::Half));
    }
    // Small stills: modules of 1–2 px sample badly; the 2× bilinear image
    // gives the finder ratios and the sampler room.
    if opts.try_upscaled && long_side < OWN_UPSCALE_BELOW {
        passes.push(own(Scale::Double));
    }
    if !opts.try_rqrr {
        return passes;
    }
    // Light-on-dark codes get the same passes as dark-on-light ones, so a
    // code reads the same in either polarity; the evidence gate keeps the
    // inverted ones from costing anything on frames without such a code.
    let polarities: &[bool] = if opts.try_inverted {
        &[false, true]
    } else {
        &[false]
    };
    for &inv in polarities {
        if opts.try_downscaled && long_side >= DOWNSCALE_FROM {
            passes.push(pass(Scale::Half, false, inv));
        }
        passes.push(pass(Scale::Full, false, inv));
        if opts.try_local_threshold {
            passes.push(pass(Scale::Full, true, inv));
        }
    }
    if opts.try_upscaled && long_side < opts.upscale_below {
        // The plain upscaled pass read nothing the others missed on the
        // dataset once our own front end ran first; only exhaustive scans
        // keep it.
        for &inv in polarities {
            if opts.exhaustive || !opts.try_local_threshold {
                passes.push(pass(Scale::Double, false, inv));
            }
            if opts.try_local_threshold {
                passes.push(pass(Scale::Double, true, inv));
            }
        }
    }
    passes
}

fn validate(frame: &LumaFrame<'_>) -> Result<(), ScanError> {
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

fn validate_region(frame: &LumaFrame<'_>, r: Region) -> Result<Region, ScanError> {
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

/// Maps a point of the sensor frame (`w`×`h`) into the upright frame after a
/// clockwise rotation. Coordinates are continuous (pixel edges), so a corner
/// at the frame's edge stays on the edge.
fn rotate(x: f32, y: f32, w: f32, h: f32, rotation: Rotation) -> Point {
    match rotation {
        Rotation::R0 => Point { x, y },
        Rotation::R90 => Point { x: h - y, y: x },
        Rotation::R180 => Point { x: w - x, y: h - y },
        Rotation::R270 => Point { x: y, y: w - x },
    }
}

fn to_code(symbol: bitstream::Symbol, corners: [Point; 4], inverted: bool) -> ScannedCode {
    let bytes = symbol.bytes();
    let text = text::runs_to_text(&symbol.runs);
    ScannedCode {
        bytes,
        text,
        eci: symbol.first_eci(),
        corners,
        version: symbol.version,
        ec_level: match symbol.level {
            0 => EcLevel::L,
            1 => EcLevel::M,
            2 => EcLevel::Q,
            _ => EcLevel::H,
        },
        inverted,
        mirrored: symbol.mirrored,
        gs1: symbol.gs1,
        structured_append: symbol.append.map(|a| StructuredAppend {
            index: a.index,
            total: a.total,
            parity: a.parity,
        }),
    }
}

fn centre(c: &[Point; 4]) -> Point {
    let (sx, sy) = c
        .iter()
        .fold((0.0, 0.0), |(sx, sy), p| (sx + p.x, sy + p.y));
    Point {
        x: sx / 4.0,
        y: sy / 4.0,
    }
}

/// Same payload, and centres closer than half the code's diagonal: one code.
fn same_code(a: &ScannedCode, b: &ScannedCode) -> bool {
    if a.bytes != b.bytes {
        return false;
    }
    let (ca, cb) = (centre(&a.corners), centre(&b.corners));
    let diag = {
        let dx = a.corners[0].x - a.corners[2].x;
        let dy = a.corners[0].y - a.corners[2].y;
        (dx * dx + dy * dy).sqrt()
    };
    let (dx, dy) = (ca.x - cb.x, ca.y - cb.y);
    (dx * dx + dy * dy).sqrt() < diag / 2.0
}
