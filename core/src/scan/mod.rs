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
//!    evidence it could not decode (at least two strong candidates in that
//!    polarity, and rows that are not pixel-scale noise), at most three
//!    passes and 2.2 Mpx of rqrr work (`FALLBACK_EVIDENCE`,
//!    `MAX_FALLBACK_PASSES`, `FALLBACK_PIXELS` in `scanner.rs`): this is
//!    the per-frame work budget that keeps empty and noise
//!    frames cheap. [`rqrr`] finds finder regions by flood fill, fits the grid and
//!    samples its modules; each pass runs inside `catch_unwind`, because
//!    rqrr has assertion panics on real photos (release builds keep `panic =
//!    "unwind"` for exactly this). In order, per polarity: a 2× downscaled
//!    pass for large frames, the full-resolution pass, a local-mean
//!    binarisation; then for small images 2× bilinear-upscaled passes.
//!    Stopping at the first pass that finds a code (unless
//!    [`ScanOptions::exhaustive`], which also lifts the evidence gate).
//!    The dataset test (`core/tests/it/scan_dataset.rs`, `SCAN_DATASET_ABLATION=1`)
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
//! each code once. The synthetic degraded frames the scanner's tests and
//! benchmark use are rendered by test code (`core/tests/it/synth.rs`), not
//! by this module: they are no part of the API (ADR 0020).

mod bitstream;
mod code;
mod detect;
mod error;
mod frame;
mod image;
mod options;
mod rs;
mod scanner;
mod stream;
mod tables;
mod text;

pub use code::{EcLevel, Point, ScannedCode, StructuredAppend};
pub use error::ScanError;
pub use frame::{LumaFrame, Region, Rotation, MAX_PIXELS, MAX_SIDE, MIN_SIDE};
pub use options::ScanOptions;
pub use scanner::{scan_luma, Scanner};
pub use stream::{StreamScanner, DEFAULT_FORGET_AFTER};
