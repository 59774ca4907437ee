//! Properties of the scanner on small frames (the fuzz target `scan_frame`
//! explores the same): no panic on any frame, geometry or region; and a real
//! code, damaged by random pixels, is either read exactly or not at all —
//! never read as something else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use qrcode::{Color, QrCode};
use scanpay_core::scan::{LumaFrame, Region, Rotation, ScanOptions, Scanner};

fn rotation() -> impl Strategy<Value = Rotation> {
    prop_oneof![
        Just(Rotation::R0),
        Just(Rotation::R90),
        Just(Rotation::R180),
        Just(Rotation::R270)
    ]
}

/// `text` as a QR code, 3 px per module, 4-module quiet zone, on white.
fn render(text: &str) -> (Vec<u8>, u32) {
    let code = QrCode::new(text.as_bytes()).unwrap();
    let n = code.width();
    let m = 3;
    let side = (n + 8) * m;
    let mut px = vec![255u8; side * side];
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == Color::Dark {
            let (mx, my) = (i % n + 4, i / n + 4);
            for y in 0..m {
                for x in 0..m {
                    px[(my * m + y) * side + mx * m + x] = 0;
                }
            }
        }
    }
    (px, u32::try_from(side).unwrap())
}

const PAYLOAD: &str = "00020101021129370016A000000677010111011300668987654325204581253037645802TH5920BANGKOK NOODLE HOUSE6007BANGKOK6304ABCD";

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_small_frame_is_scanned_or_refused(
        w in 0u32..140, h in 0u32..140, pad in 0u32..4,
        seed in proptest::collection::vec(any::<u8>(), 1..64),
        rot in rotation(),
        region in proptest::option::of((0u32..200, 0u32..200, 0u32..200, 0u32..200)),
        short in any::<bool>(),
    ) {
        let stride = w + pad;
        let mut n = usize::try_from(stride * h).unwrap();
        if short && n > 0 {
            n -= 1;
        }
        let data: Vec<u8> = seed.iter().copied().cycle().take(n).collect();
        let frame = LumaFrame { data: &data, width: w, height: h, row_stride: stride, rotation: rot };
        let opts = ScanOptions {
            region: region.map(|(x, y, width, height)| Region { x, y, width, height }),
            ..ScanOptions::default()
        };
        let _ = Scanner::new().scan(&frame, &opts);
    }

    #[test]
    fn a_damaged_code_is_read_exactly_or_not_at_all(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..300),
        rot in rotation(),
    ) {
        let (mut px, side) = render(PAYLOAD);
        for (i, v) in &flips {
            let at = i.index(px.len());
            px[at] = *v;
        }
        let frame = LumaFrame { data: &px, width: side, height: side, row_stride: side, rotation: rot };
        if let Ok(codes) = Scanner::new().scan(&frame, &ScanOptions::default()) {
            for c in codes {
                prop_assert_eq!(c.text.as_deref(), Some(PAYLOAD));
            }
        }
    }
}

#[test]
fn the_undamaged_code_is_read() {
    let (px, side) = render(PAYLOAD);
    let frame = LumaFrame {
        data: &px,
        width: side,
        height: side,
        row_stride: side,
        rotation: Rotation::R0,
    };
    let codes = Scanner::new()
        .scan(&frame, &ScanOptions::default())
        .unwrap();
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].text.as_deref(), Some(PAYLOAD));
}
