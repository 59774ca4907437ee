//! The scanner reads synthetic camera frames at stated degradation levels
//! (rendered by [`crate::synth`]), and the stream mode reports a code once.
//!
//! Each level below is one the scanner must keep reading; a change that
//! loses one fails here with the level named. Frames are 640x480 with a
//! version 5 payment payload (37 modules) unless stated.

#![allow(clippy::panic)]

use crate::synth::{render, Degradation, SynthError, SynthFrame};
use qrcode::{Color, EcLevel, QrCode};
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, Scanner, StreamScanner};

const PAYLOAD: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING6304A13A";

fn modules(payload: &str) -> (Vec<bool>, usize) {
    let code = match QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M) {
        Ok(c) => c,
        Err(e) => panic!("qrcode: {e:?}"),
    };
    let n = code.width();
    (
        code.to_colors().iter().map(|c| *c == Color::Dark).collect(),
        n,
    )
}

fn frame_of(f: &SynthFrame) -> LumaFrame<'_> {
    LumaFrame {
        data: &f.luma,
        width: f.width,
        height: f.height,
        row_stride: f.width,
        rotation: Rotation::R0,
    }
}

fn reads(d: &Degradation, w: u32, h: u32) -> bool {
    let (m, n) = modules(PAYLOAD);
    let f = match render(&m, n, w, h, d) {
        Ok(f) => f,
        Err(e) => panic!("render: {e}"),
    };
    Scanner::new()
        .scan(&frame_of(&f), &ScanOptions::default())
        .map(|codes| codes.iter().any(|c| c.bytes == PAYLOAD.as_bytes()))
        .unwrap_or(false)
}

fn assert_reads(name: &str, d: Degradation) {
    assert!(reads(&d, 640, 480), "{name}: not read at {d:?}");
}

#[test]
fn clean_code_reads() {
    assert_reads("clean", Degradation::default());
}

#[test]
fn every_rotation_in_15_degree_steps() {
    for deg in (0..360).step_by(15) {
        assert_reads(
            "rotation",
            Degradation {
                rotation_deg: deg as f32,
                ..Degradation::default()
            },
        );
    }
}

#[test]
fn perspective_up_to_a_quarter() {
    for p in [0.1, 0.2, 0.25] {
        for deg in [0.0, 30.0, 90.0] {
            assert_reads(
                "perspective",
                Degradation {
                    perspective: p,
                    rotation_deg: deg,
                    ..Degradation::default()
                },
            );
        }
    }
}

#[test]
fn blur_noise_gamma_glare_contrast() {
    let base = Degradation::default();
    for (name, d) in [
        (
            "blur radius 1 twice (sigma about 1.2 px) at 4 px modules, noise 5",
            Degradation {
                blur_radius: 1,
                noise_sigma: 5.0,
                ..base
            },
        ),
        (
            "noise sigma 10",
            Degradation {
                noise_sigma: 10.0,
                ..base
            },
        ),
        ("gamma 0.4", Degradation { gamma: 0.4, ..base }),
        ("gamma 2.5", Degradation { gamma: 2.5, ..base }),
        ("glare 0.6", Degradation { glare: 0.6, ..base }),
        (
            "contrast 0.12",
            Degradation {
                contrast: 0.12,
                ..base
            },
        ),
        (
            "low contrast with noise",
            Degradation {
                contrast: 0.25,
                noise_sigma: 8.0,
                ..base
            },
        ),
    ] {
        assert_reads(name, d);
    }
}

#[test]
fn inverted_reads_like_upright_across_levels() {
    for d in [
        Degradation::default(),
        Degradation {
            rotation_deg: 40.0,
            ..Degradation::default()
        },
        Degradation {
            blur_radius: 1,
            noise_sigma: 5.0,
            ..Degradation::default()
        },
        Degradation {
            noise_sigma: 10.0,
            ..Degradation::default()
        },
        Degradation {
            perspective: 0.2,
            ..Degradation::default()
        },
    ] {
        assert_reads(
            "inverted",
            Degradation {
                inverted: true,
                ..d
            },
        );
    }
}

#[test]
fn scale_from_2_to_12_px_modules() {
    for m in [2.0, 3.0, 6.0, 12.0] {
        assert_reads(
            "scale",
            Degradation {
                module_px: m,
                ..Degradation::default()
            },
        );
    }
}

#[test]
fn combined_moderate_degradation_reads_in_720p() {
    let d = Degradation {
        module_px: 5.0,
        rotation_deg: 20.0,
        perspective: 0.15,
        blur_radius: 1,
        noise_sigma: 5.0,
        gamma: 1.6,
        glare: 0.3,
        contrast: 0.5,
        ..Degradation::default()
    };
    assert!(reads(&d, 1280, 720), "combined: not read at {d:?}");
}

#[test]
fn too_degraded_reads_nothing_rather_than_something_wrong() {
    // Contrast 1 % under heavy noise is unreadable; the scanner must say
    // nothing (Reed–Solomon and format checks reject garbage), not guess.
    let (m, n) = modules(PAYLOAD);
    let d = Degradation {
        contrast: 0.01,
        noise_sigma: 40.0,
        ..Degradation::default()
    };
    let f = render(&m, n, 640, 480, &d).unwrap_or_else(|e| panic!("{e}"));
    let codes = Scanner::new()
        .scan(&frame_of(&f), &ScanOptions::default())
        .unwrap_or_default();
    assert!(codes.iter().all(|c| c.bytes == PAYLOAD.as_bytes()));
}

#[test]
fn render_rejects_bad_input() {
    let (m, n) = modules(PAYLOAD);
    assert!(matches!(
        render(&m[1..], n, 64, 64, &Degradation::default()),
        Err(SynthError::BadModules { .. })
    ));
    assert!(matches!(
        render(&m, n, 0, 64, &Degradation::default()),
        Err(SynthError::BadFrame { .. })
    ));
    assert!(matches!(
        render(&m, n, 5000, 64, &Degradation::default()),
        Err(SynthError::BadFrame { .. })
    ));
    // Deterministic for a seed.
    let d = Degradation {
        noise_sigma: 10.0,
        ..Degradation::default()
    };
    assert_eq!(render(&m, n, 100, 80, &d), render(&m, n, 100, 80, &d));
}

#[test]
fn stream_reports_a_code_once_until_it_leaves_view() {
    let (m, n) = modules(PAYLOAD);
    let with = render(&m, n, 640, 480, &Degradation::default()).unwrap_or_else(|e| panic!("{e}"));
    let without = SynthFrame {
        luma: vec![180; 640 * 480],
        ..with.clone()
    };
    let mut s = StreamScanner::new(ScanOptions::default()).with_forget_after(5);
    let first = s.feed(&frame_of(&with)).unwrap_or_default();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].bytes, PAYLOAD.as_bytes());
    // Still in view, with a few dropped frames in between: silent.
    for i in 0..20 {
        let f = if i % 4 == 3 { &without } else { &with };
        assert!(
            s.feed(&frame_of(f)).unwrap_or_default().is_empty(),
            "frame {i}"
        );
    }
    // Out of view for longer than forget_after, then back: reported again.
    for _ in 0..6 {
        assert!(s.feed(&frame_of(&without)).unwrap_or_default().is_empty());
    }
    assert_eq!(s.feed(&frame_of(&with)).unwrap_or_default().len(), 1);
    // reset() forgets at once.
    s.reset();
    assert_eq!(s.feed(&frame_of(&with)).unwrap_or_default().len(), 1);
}
