//! Scanner cost per camera frame: synthetic 640x480, 1280x720 and 1920x1080
//! luma frames with a payment-sized code, empty (a soft gradient, the common
//! case between codes), and noise (worst case for candidate search).
//!
//! `cargo bench -p scanpay-core --bench scan -- --warm-up-time 1 --measurement-time 3`
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use qrcode::{Color, QrCode};
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, Scanner};

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

fn bench(c: &mut Criterion) {
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
