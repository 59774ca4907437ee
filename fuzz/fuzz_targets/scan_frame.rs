//! The scanner on small random frames: two bytes pick the size (16 to
//! 115 px a side), one the rotation and region, the rest is luma (cycled). No
//! panic: a frame is scanned or refused with a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use scanpay_core::scan::{LumaFrame, Region, Rotation, ScanOptions, Scanner};

fuzz_target!(|data: &[u8]| {
    let [a, b, c, rest @ ..] = data else { return };
    if rest.is_empty() {
        return;
    }
    let width = 16 + u32::from(*a) % 100;
    let height = 16 + u32::from(*b) % 100;
    let stride = width + u32::from(*c >> 6);
    let n = (stride * height) as usize;
    let luma: Vec<u8> = rest.iter().copied().cycle().take(n).collect();
    let rotation = match *c & 3 {
        0 => Rotation::R0,
        1 => Rotation::R90,
        2 => Rotation::R180,
        _ => Rotation::R270,
    };
    let mut opts = ScanOptions::default();
    if *c & 4 != 0 {
        opts.region = Some(Region {
            x: u32::from(*a) % width,
            y: u32::from(*b) % height,
            width: width / 2 + 1,
            height: height / 2 + 1,
        });
    }
    let frame = LumaFrame {
        data: &luma,
        width,
        height,
        row_stride: stride,
        rotation,
    };
    let _ = Scanner::new().scan(&frame, &opts);
});
