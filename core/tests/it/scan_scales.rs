//! A clean code reads at every scale a screen or a camera can give it.
//!
//! The pay-code QR (version 4, from `paycode::render::qr_matrix`) drawn as
//! black and white squares with a 4-module quiet zone was read at 4–7, 9, 10
//! and 12 px per module but not at 8, 16 or 24: at a multiple of the
//! binariser's 8-pixel block every block lay inside one module, so every
//! block was flat and the frame was taken for one with no edge at all.
//! These tests draw the matrix at every integer scale from 1 to 32 px per
//! module, at non-integer scales, at offsets that do and do not line the
//! modules up with the blocks, inside a larger frame, and light on dark.

#![allow(clippy::panic)]

use scanpay_core::paycode::render::{qr_matrix, QrMatrix};
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, Scanner};

/// 52 characters, like a pay code's CPM text: a version 4 (33×33) code.
const TEXT: &str = "hQVDUFYwMWEfTwigAAAAAQECA1oKkjRWeJASNFZ4n1AhEjRWeJAS";

/// The quiet zone, in modules (the standard's 4).
const QUIET: u32 = 4;

fn matrix() -> QrMatrix {
    match qr_matrix(TEXT) {
        Ok(m) => m,
        Err(e) => panic!("qr_matrix: {e}"),
    }
}

/// A frame of `frame_side` px (at least the code's), the code with its
/// quiet zone drawn at `scale` px per module from (`offset`, `offset`): each
/// pixel takes the module under its centre, so a non-integer scale gives
/// modules of ⌊s⌋ and ⌈s⌉ px, as a screen's nearest-neighbour scaling does.
fn draw(m: &QrMatrix, scale: f32, offset: u32, frame_side: u32, inverted: bool) -> (Vec<u8>, u32) {
    let span = m.size + 2 * QUIET;
    let code_side = (span as f32 * scale).ceil() as u32;
    let side = frame_side.max(code_side + 2 * offset);
    let (dark, light) = if inverted { (255, 0) } else { (0, 255) };
    let mut luma = vec![light; (side * side) as usize];
    for y in 0..side {
        for x in 0..side {
            let (Some(px), Some(py)) = (x.checked_sub(offset), y.checked_sub(offset)) else {
                continue;
            };
            let mx = ((px as f32 + 0.5) / scale) as u32;
            let my = ((py as f32 + 0.5) / scale) as u32;
            if mx >= QUIET && my >= QUIET && m.is_dark(mx - QUIET, my - QUIET) {
                luma[(y * side + x) as usize] = dark;
            }
        }
    }
    (luma, side)
}

fn reads(m: &QrMatrix, scale: f32, offset: u32, frame_side: u32, inverted: bool) -> bool {
    let (luma, side) = draw(m, scale, offset, frame_side, inverted);
    let frame = LumaFrame {
        data: &luma,
        width: side,
        height: side,
        row_stride: side,
        rotation: Rotation::R0,
    };
    Scanner::new()
        .scan(&frame, &ScanOptions::default())
        .map(|codes| codes.iter().any(|c| c.bytes == TEXT.as_bytes()))
        .unwrap_or(false)
}

/// Every failing case, so one run names them all.
fn misses(cases: impl IntoIterator<Item = (f32, u32, u32, bool)>) -> Vec<String> {
    let m = matrix();
    cases
        .into_iter()
        .filter(|&(s, o, f, i)| !reads(&m, s, o, f, i))
        .map(|(s, o, f, i)| format!("{s} px/module, offset {o}, frame {f}, inverted {i}"))
        .collect()
}

#[test]
fn the_pay_code_matrix_is_version_4() {
    assert_eq!(matrix().size, 33);
}

#[test]
fn every_integer_scale_from_1_to_32_px_per_module() {
    // The image exactly the code and its quiet zone, as `wallet paycode
    // --png` writes it: the modules line up with the 8-px blocks at 8, 16,
    // 24 and 32.
    let missed = misses((1..=32).map(|s| (s as f32, 0, 0, false)));
    assert!(missed.is_empty(), "not read: {missed:#?}");
}

#[test]
fn integer_scales_inside_a_larger_frame_and_off_the_block_grid() {
    // The code inside a 640-px frame at a block-aligned offset (64) and at
    // offsets that put module edges at every other phase of the blocks.
    let missed = misses(
        [8u32, 16, 24, 32]
            .into_iter()
            .flat_map(|s| [0u32, 3, 5, 64].map(|o| (s as f32, o, 640, false))),
    );
    assert!(missed.is_empty(), "not read: {missed:#?}");
}

#[test]
fn non_integer_scales() {
    let missed = misses(
        [
            1.5f32, 2.5, 3.3, 4.5, 7.5, 7.9, 8.1, 8.5, 11.7, 15.5, 16.25, 23.8, 24.5, 31.3,
        ]
        .into_iter()
        .map(|s| (s, 0, 0, false)),
    );
    assert!(missed.is_empty(), "not read: {missed:#?}");
}

#[test]
fn light_on_dark_at_block_multiples() {
    let missed = misses(
        [8u32, 16, 24, 32]
            .into_iter()
            .map(|s| (s as f32, 0, 0, true)),
    );
    assert!(missed.is_empty(), "not read: {missed:#?}");
}
