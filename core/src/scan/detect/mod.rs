//! Our own QR front end: block-adaptive binarisation, finder-pattern search by
//! run-length ratios, alignment-assisted perspective sampling.
//!
//! Why our own rather than rqrr's: rqrr thresholds along rows and then flood
//! fills every connected region of the image, which costs tens of
//! milliseconds on a 720p frame, most of it on frames with no code at all.
//! Scanning every few rows for the 1:1:3:1:1 run ratio of a finder pattern
//! touches each scanned pixel once and finds nothing quickly on empty and
//! noise frames; it is also rotation-invariant and, with a second bit plane
//! from the same binarisation, reads light-on-dark codes in the same scan.
//! The sampled modules go to our own bitstream decoder, exactly like rqrr's
//! grids do, so a wrong hypothesis costs one Reed–Solomon check and cannot
//! produce a false read.
//!
//! Every pixel access goes through `get`, so a geometry slip makes a
//! hypothesis fail instead of panicking.
//!
//! One file per step, in the order a frame meets them: [`binarise`], then
//! [`finder`] (candidates) and [`triple`] (which three make a code), then
//! [`sample`] (dimension, corners, grid) with [`alignment`] and
//! [`homography`]. The scanner's pass loop (`scan::scanner`) drives them
//! within the budgets below.

mod alignment;
mod binarise;
mod finder;
mod homography;
mod sample;
mod triple;

pub(crate) use binarise::{Bitmap, View};
pub(crate) use finder::{find_finders, rank, rescue_third, Finder};
pub(crate) use sample::decode_triple;
pub(crate) use triple::{triples, Triple};

/// Finder candidates collected per pass at most (noise makes many).
pub(crate) const MAX_CANDIDATES: usize = 64;
/// Triples tried per pass at most.
pub(crate) const MAX_TRIPLES: usize = 24;

/// Cross-checks per pass at most: the per-frame work budget of the finder
/// search (a real code needs a few dozen).
pub(crate) const MAX_CONFIRMS: usize = 400;
/// Scanned rows whose mean run is shorter than this (pixels) are taken as
/// pixel-scale noise: no code is readable there, so no fallback pass runs.
pub(crate) const NOISE_RUN: f32 = 2.5;

/// Sampling attempts per polarity and pass at most (a triple takes up to 16
/// at its candidate dimensions — up to three alignment-pattern anchors and
/// the parallelogram's corner each — plus up to 48 per dimension for the
/// bottom-right search of small codes): bounds the cost of texture that
/// forms many plausible triples. Most failing attempts stop at the timing
/// check, so a sampling costs little more than its homography.
pub(crate) const MAX_ATTEMPTS: usize = 120;
