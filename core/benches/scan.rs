//! Scanner cost per camera frame: synthetic 640x480, 1280x720 and 1920x1080
//! luma frames with a payment-sized code, empty (a soft gradient, the common
//! case between codes), and noise (worst case for candidate search).
//!
//! `cargo bench -p scanpay-core --bench scan -- --warm-up-time 1 --measurement-time 3`
//!
//! With `SCAN_BENCH_P99=1` it first prints the median and p99 over 300
//! varied 1280x720 frames per kind (criterion reports no tail): codes at
//! random scale, rotation, tilt, blur and noise (`core/tests/it/synth.rs`), empty
//! frames with varied gradients, and noise of varied strength.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use qrcode::{Color, QrCode};
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, Scanner};
use synth::{render, Degradation};

// The test suite's frame generator (ADR 0020); the bench reads only the luma
// of what it renders.
#[allow(dead_code)]
#[path = "../tests/it/synth.rs"]
mod synth;

const PAYLOAD: &str = "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988770708123456786304A13A";

/// A frame `w`×`h` with a soft horizontal gradient, and optionally a code of
/// `m`-pixel modules in the middle.
fn frame(w: usize, h: usize, m: Option<usize>) -> Vec<u8> {
    let mut px: Vec<u8> = (0..w * h).map(|i| 120 + ((i % w) * 80 / w) as u8).collect();
    if let Some(m) = m {
        let Ok(code) = QrCode::new(PAYLOAD.as_bytes()) else {
            return px;
        };
        let n = code.width();
        let colors = code.to_colors();
        let side = (n + 8) * m;
        let (x0, y0) = ((w - side) / 2, (h - side) / 2);
        for y in 0..side {
            for x in 0..side {
                let (mx, my) = ((x / m).wrapping_sub(4), (y / m).wrapping_sub(4));
                let dark = mx < n && my < n && colors[my * n + mx] == Color::Dark;
                px[(y0 + y) * w + x0 + x] = if dark { 30 } else { 230 };
            }
        }
    }
    px
}

fn noise(w: usize, h: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..w * h)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Median and p99 (ms) of scanning each frame once with one reused scanner.
fn percentiles(frames: &[Vec<u8>], w: u32, h: u32) -> (f64, f64, usize) {
    let mut scanner = Scanner::new();
    let opts = ScanOptions::default();
    let mut ms = Vec::with_capacity(frames.len());
    let mut read = 0;
    for data in frames {
        let f = LumaFrame {
            data,
            width: w,
            height: h,
            row_stride: w,
            rotation: Rotation::R0,
        };
        let start = std::time::Instant::now();
        let found = scanner.scan(&f, &opts).map(|c| c.len()).unwrap_or(0);
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        read += usize::from(found > 0);
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| {
        ms.get(((ms.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
    };
    (at(0.5), at(0.99), read)
}

fn tail_report() {
    let (w, h) = (1280usize, 720usize);
    let Ok(code) = QrCode::new(PAYLOAD.as_bytes()) else {
        return;
    };
    let n = code.width();
    let modules: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut codes = Vec::new();
    let mut empties = Vec::new();
    let mut noises = Vec::new();
    for i in 0..300u64 {
        let d = Degradation {
            module_px: (3.0 + rnd() * 5.0) as f32,
            rotation_deg: (rnd() * 360.0) as f32,
            perspective: (rnd() * 0.2) as f32,
            blur_radius: u32::from(rnd() < 0.3),
            noise_sigma: (rnd() * 6.0) as f32,
            contrast: (0.4 + rnd() * 0.5) as f32,
            seed: i + 1,
            ..Degradation::default()
        };
        if let Ok(f) = render(&modules, n, w as u32, h as u32, &d) {
            codes.push(f.luma);
        }
        let (a, b) = (rnd() * 120.0, rnd() * 100.0);
        empties.push(
            (0..w * h)
                .map(|p| (a + ((p % w) as f64 * b / w as f64)) as u8 + 20)
                .collect(),
        );
        let amp = 16 + (rnd() * 240.0) as u64;
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        noises.push(
            (0..w * h)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (128 - amp / 2 + x % amp) as u8
                })
                .collect(),
        );
    }
    for (kind, frames) in [("code", &codes), ("empty", &empties), ("noise", &noises)] {
        let (p50, p99, read) = percentiles(frames, w as u32, h as u32);
        println!(
            "tail 1280x720/{kind}: {} frames, median {p50:.2} ms, p99 {p99:.2} ms, frames with a code found: {read}",
            frames.len()
        );
    }
}

fn bench(c: &mut Criterion) {
    if std::env::var_os("SCAN_BENCH_P99").is_some() {
        tail_report();
    }
    let mut group = c.benchmark_group("scan");
    let opts = ScanOptions::default();
    for (w, h, m) in [
        (640usize, 480usize, 4usize),
        (1280, 720, 6),
        (1920, 1080, 8),
    ] {
        for (kind, data) in [
            ("code", frame(w, h, Some(m))),
            ("empty", frame(w, h, None)),
            ("noise", noise(w, h)),
        ] {
            let mut scanner = Scanner::new();
            let f = LumaFrame {
                data: &data,
                width: w as u32,
                height: h as u32,
                row_stride: w as u32,
                rotation: Rotation::R90,
            };
            if kind == "code" {
                // A benchmark of a frame that does not decode measures nothing useful.
                let found = scanner.scan(&f, &opts).map(|c| c.len()).unwrap_or(0);
                assert_eq!(found, 1, "{w}x{h} code frame must decode");
            }
            group.bench_function(format!("{w}x{h}/{kind}"), |b| {
                b.iter(|| black_box(scanner.scan(black_box(&f), &opts)))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
