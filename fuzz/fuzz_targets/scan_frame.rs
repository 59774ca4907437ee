//! The scanner on small random frames: two bytes pick the size (16 to
//! 115 px a side), one the rotation and region, the rest is luma (cycled). No
//! panic: a frame is scanned or refused with a typed error.
//!
//! One exception, by design: rqrr (the fallback detector) asserts on some
//! frames (`geometry.rs`, known upstream), and the scanner runs every rqrr
//! call inside `catch_unwind` so such a frame is simply not read. libFuzzer's
//! panic hook would abort on that contained panic before `catch_unwind` sees
//! it, so this target's hook lets panics raised *inside rqrr* unwind (to the
//! scanner's `catch_unwind`) and aborts on every other panic, ours included.
//! The input that first showed it is in the seeds, so every smoke run
//! exercises the containment.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;
use scanpay_core::scan::{LumaFrame, Region, Rotation, ScanOptions, Scanner};

static HOOK: Once = Once::new();

fn contained_rqrr_panics_only() {
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let in_rqrr = info
                .location()
                .is_some_and(|l| l.file().contains("/rqrr-"));
            if !in_rqrr {
                eprintln!("{info}");
                std::process::abort();
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    contained_rqrr_panics_only();
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
