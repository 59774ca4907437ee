//! Synthetic frames through the public scan API: codes rendered with the
//! `qrcode` crate, placed in frames with padded strides, rotated, cropped,
//! inverted, mirrored, and the typed errors for malformed frames.
// Helpers outside `#[test]` fns are still test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};
use scanpay_core::scan::{
    scan_luma, LumaFrame, Point, Region, Rotation, ScanError, ScanOptions, ScannedCode, Scanner,
};

/// An upright greyscale canvas, tightly packed.
#[derive(Clone)]
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize, bg: u8) -> Self {
        Canvas {
            w,
            h,
            px: vec![bg; w * h],
        }
    }

    /// Draws `code` with its top-left module corner at (x0, y0), `m` px per
    /// module, with a 4-module white quiet zone. Returns the code's outer box
    /// (x0, y0, side).
    fn draw(&mut self, code: &QrCode, x0: usize, y0: usize, m: usize) -> (usize, usize, usize) {
        let n = code.width();
        let colors = code.to_colors();
        let side = n * m;
        for y in y0.saturating_sub(4 * m)..(y0 + side + 4 * m).min(self.h) {
            for x in x0.saturating_sub(4 * m)..(x0 + side + 4 * m).min(self.w) {
                self.px[y * self.w + x] = 255;
            }
        }
        for my in 0..n {
            for mx in 0..n {
                if colors[my * n + mx] == Color::Dark {
                    for y in 0..m {
                        for x in 0..m {
                            self.px[(y0 + my * m + y) * self.w + x0 + mx * m + x] = 20;
                        }
                    }
                }
            }
        }
        (x0, y0, side)
    }

    fn invert(&mut self) {
        for p in &mut self.px {
            *p = 255 - *p;
        }
    }

    /// The sensor frame whose clockwise rotation by `r` gives this canvas.
    fn to_sensor(&self, r: Rotation) -> Canvas {
        let (w, h) = (self.w, self.h);
        match r {
            Rotation::R0 => self.clone(),
            Rotation::R180 => {
                let mut px = self.px.clone();
                px.reverse();
                Canvas { w, h, px }
            }
            // Upright (u, v) comes from sensor (v, H_s - 1 - u) for 90°, where
            // the sensor is h wide and w high.
            Rotation::R90 => {
                let (sw, sh) = (h, w);
                let mut px = vec![0; w * h];
                for v in 0..h {
                    for u in 0..w {
                        px[(sh - 1 - u) * sw + v] = self.px[v * w + u];
                    }
                }
                Canvas { w: sw, h: sh, px }
            }
            Rotation::R270 => {
                let (sw, sh) = (h, w);
                let mut px = vec![0; w * h];
                for v in 0..h {
                    for u in 0..w {
                        px[u * sw + (sw - 1 - v)] = self.px[v * w + u];
                    }
                }
                Canvas { w: sw, h: sh, px }
            }
        }
    }

    /// Copies the canvas into a buffer with `pad` junk bytes after each row.
    fn strided(&self, pad: usize) -> (Vec<u8>, u32) {
        let stride = self.w + pad;
        let mut out = vec![0x5A; stride * self.h];
        for y in 0..self.h {
            out[y * stride..y * stride + self.w]
                .copy_from_slice(&self.px[y * self.w..(y + 1) * self.w]);
        }
        (out, stride as u32)
    }
}

fn scan_canvas(
    c: &Canvas,
    rotation: Rotation,
    opts: &ScanOptions,
) -> Result<Vec<ScannedCode>, ScanError> {
    let (data, stride) = c.strided(13);
    Scanner::new().scan(
        &LumaFrame {
            data: &data,
            width: c.w as u32,
            height: c.h as u32,
            row_stride: stride,
            rotation,
        },
        opts,
    )
}

fn one(c: &Canvas) -> ScannedCode {
    let codes = scan_canvas(c, Rotation::R0, &ScanOptions::default()).unwrap();
    assert_eq!(codes.len(), 1, "expected one code, got {codes:?}");
    codes.into_iter().next().unwrap()
}

fn near(p: Point, x: f32, y: f32, tol: f32) -> bool {
    (p.x - x).abs() <= tol && (p.y - y).abs() <= tol
}

fn with_bits(version: i16, level: EcLevel, build: impl FnOnce(&mut Bits)) -> QrCode {
    let mut bits = Bits::new(Version::Normal(version));
    build(&mut bits);
    bits.push_terminator(level).unwrap();
    QrCode::with_bits(bits, level).unwrap()
}

#[test]
fn utf8_text_with_padded_stride() {
    let code =
        QrCode::new("https://pay.example/merchant/42?amount=1250 — ok ✓".as_bytes()).unwrap();
    let mut c = Canvas::new(320, 240, 180);
    c.draw(&code, 60, 40, 3);
    let got = one(&c);
    assert_eq!(
        got.text.as_deref(),
        Some("https://pay.example/merchant/42?amount=1250 — ok ✓")
    );
    assert_eq!(
        got.bytes,
        "https://pay.example/merchant/42?amount=1250 — ok ✓".as_bytes()
    );
    assert_eq!(got.eci, None);
    assert!(!got.inverted && !got.mirrored);
    assert_eq!(usize::from(got.version) * 4 + 17, code.width());
}

#[test]
fn latin1_payload_with_eci_3_is_text_and_keeps_raw_bytes() {
    let code = with_bits(2, EcLevel::M, |b| {
        b.push_eci_designator(3).unwrap();
        b.push_byte_data(b"Caf\xe9 cr\xe8me \xa3 5").unwrap();
    });
    let mut c = Canvas::new(200, 200, 230);
    c.draw(&code, 40, 40, 4);
    let got = one(&c);
    assert_eq!(got.eci, Some(3));
    assert_eq!(got.bytes, b"Caf\xe9 cr\xe8me \xa3 5");
    assert_eq!(got.text.as_deref(), Some("Café crème £ 5"));
}

#[test]
fn kanji_mode_and_shift_jis_eci_decode_as_japanese() {
    let (sjis, _, bad) = encoding_rs::SHIFT_JIS.encode("日本語のお支払い");
    assert!(!bad);
    let kanji = with_bits(3, EcLevel::M, |b| b.push_kanji_data(&sjis).unwrap());
    let mut c = Canvas::new(220, 220, 230);
    c.draw(&kanji, 40, 40, 4);
    let got = one(&c);
    assert_eq!(got.text.as_deref(), Some("日本語のお支払い"));
    assert_eq!(got.bytes, sjis.as_ref());

    let eci20 = with_bits(3, EcLevel::M, |b| {
        b.push_eci_designator(20).unwrap();
        b.push_byte_data(&sjis).unwrap();
    });
    let mut c = Canvas::new(220, 220, 230);
    c.draw(&eci20, 40, 40, 4);
    let got = one(&c);
    assert_eq!(got.eci, Some(20));
    assert_eq!(got.text.as_deref(), Some("日本語のお支払い"));
}

#[test]
fn binary_payload_that_is_not_text_keeps_bytes_and_gives_no_text() {
    let payload = [0x00u8, 0xFF, 0xC3, 0x28, 0x80, 0x81, 0xFE];
    let code = with_bits(2, EcLevel::L, |b| {
        b.push_eci_designator(26).unwrap();
        b.push_byte_data(&payload).unwrap();
    });
    let mut c = Canvas::new(160, 160, 230);
    c.draw(&code, 30, 30, 4);
    let got = one(&c);
    assert_eq!(got.bytes, payload);
    assert_eq!(got.eci, Some(26));
    assert_eq!(
        got.text, None,
        "invalid UTF-8 under ECI 26 must not become text"
    );
}

#[test]
fn every_rotation_reports_corners_in_upright_coordinates() {
    let code = QrCode::new(b"rotate me").unwrap();
    let m = 4;
    let mut upright = Canvas::new(300, 200, 200);
    let (x0, y0, side) = upright.draw(&code, 90, 40, m);
    let (x0, y0, s) = (x0 as f32, y0 as f32, side as f32);
    // Finder order: the code's own top-left, top-right, bottom-right, bottom-left.
    let expected = [(x0, y0), (x0 + s, y0), (x0 + s, y0 + s), (x0, y0 + s)];
    for r in [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270] {
        let sensor = upright.to_sensor(r);
        let codes = scan_canvas(&sensor, r, &ScanOptions::default()).unwrap();
        assert_eq!(codes.len(), 1, "{r:?}");
        let got = &codes[0];
        assert_eq!(got.text.as_deref(), Some("rotate me"));
        for (i, (ex, ey)) in expected.iter().enumerate() {
            assert!(
                near(got.corners[i], *ex, *ey, 2.0 * m as f32),
                "{r:?} corner {i}: got {:?}, expected ({ex}, {ey}); all {:?}",
                got.corners[i],
                got.corners
            );
        }
    }
}

#[test]
fn rotation_from_degrees() {
    assert_eq!(Rotation::try_from(0), Ok(Rotation::R0));
    assert_eq!(Rotation::try_from(90), Ok(Rotation::R90));
    assert_eq!(Rotation::try_from(180), Ok(Rotation::R180));
    assert_eq!(Rotation::try_from(270), Ok(Rotation::R270));
    assert_eq!(Rotation::try_from(450), Ok(Rotation::R90));
    assert_eq!(
        Rotation::try_from(45),
        Err(ScanError::InvalidRotation { degrees: 45 })
    );
    assert_eq!(Rotation::R270.degrees(), 270);
}

#[test]
fn region_of_interest_limits_the_search_and_keeps_frame_coordinates() {
    let left = QrCode::new(b"LEFT").unwrap();
    let right = QrCode::new(b"RIGHT").unwrap();
    let mut c = Canvas::new(400, 200, 200);
    c.draw(&left, 40, 50, 4);
    let (rx, ry, side) = c.draw(&right, 260, 50, 4);

    let all = scan_canvas(&c, Rotation::R0, &ScanOptions::default()).unwrap();
    let mut texts: Vec<_> = all.iter().filter_map(|c| c.text.clone()).collect();
    texts.sort();
    assert_eq!(texts, ["LEFT", "RIGHT"]);

    let region = Region {
        x: 220,
        y: 10,
        width: 170,
        height: 180,
    };
    let opts = ScanOptions {
        region: Some(region),
        ..ScanOptions::default()
    };
    let got = scan_canvas(&c, Rotation::R0, &opts).unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].text.as_deref(), Some("RIGHT"));
    assert!(
        near(got[0].corners[0], rx as f32, ry as f32, 8.0),
        "{:?}",
        got[0].corners
    );
    assert!(near(
        got[0].corners[2],
        (rx + side) as f32,
        (ry + side) as f32,
        8.0
    ));

    let only_left = ScanOptions {
        region: Some(Region {
            x: 0,
            y: 0,
            width: 200,
            height: 200,
        }),
        ..ScanOptions::default()
    };
    let got = scan_canvas(&c, Rotation::R0, &only_left).unwrap();
    assert_eq!(
        got.iter()
            .filter_map(|c| c.text.as_deref())
            .collect::<Vec<_>>(),
        ["LEFT"]
    );
}

#[test]
fn light_on_dark_code_needs_the_inverted_pass() {
    let code = QrCode::new(b"dark mode menu").unwrap();
    let mut c = Canvas::new(240, 240, 200);
    c.draw(&code, 60, 60, 4);
    c.invert();
    let got = one(&c);
    assert_eq!(got.text.as_deref(), Some("dark mode menu"));
    assert!(got.inverted);

    let no_inverse = ScanOptions {
        try_inverted: false,
        ..ScanOptions::default()
    };
    assert_eq!(scan_canvas(&c, Rotation::R0, &no_inverse).unwrap(), vec![]);
}

#[test]
fn mirrored_code_is_read_and_flagged() {
    let code = QrCode::new(b"mirror").unwrap();
    let n = code.width();
    let colors = code.to_colors();
    let mut c = Canvas::new(200, 200, 230);
    c.draw(&code, 50, 50, 4);
    // transpose the modules in place
    for my in 0..n {
        for mx in 0..n {
            let dark = colors[mx * n + my] == Color::Dark;
            for y in 0..4 {
                for x in 0..4 {
                    c.px[(50 + my * 4 + y) * 200 + 50 + mx * 4 + x] = if dark { 20 } else { 255 };
                }
            }
        }
    }
    let got = one(&c);
    assert_eq!(got.text.as_deref(), Some("mirror"));
    assert!(got.mirrored);
}

#[test]
fn two_codes_in_one_frame_and_exhaustive_passes_do_not_duplicate() {
    let a = QrCode::new(b"first code").unwrap();
    let b = QrCode::new(b"second code").unwrap();
    let mut c = Canvas::new(640, 480, 170);
    c.draw(&a, 60, 100, 5);
    c.draw(&b, 380, 220, 4);
    let exhaustive = ScanOptions {
        exhaustive: true,
        ..ScanOptions::default()
    };
    for opts in [ScanOptions::default(), exhaustive] {
        let got = scan_canvas(&c, Rotation::R0, &opts).unwrap();
        let mut texts: Vec<_> = got.iter().filter_map(|c| c.text.clone()).collect();
        texts.sort();
        assert_eq!(texts, ["first code", "second code"], "{opts:?}");
    }
}

#[test]
fn decodes_every_level_across_versions() {
    for version in [1i16, 2, 5, 7, 10, 14, 20, 27, 33, 40] {
        for level in [EcLevel::L, EcLevel::M, EcLevel::Q, EcLevel::H] {
            let text: String = (0..)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .take(6 * version as usize)
                .collect();
            let code =
                QrCode::with_version(text.as_bytes(), Version::Normal(version), level).unwrap();
            let m = if version > 20 { 2 } else { 3 };
            let side = code.width() * m;
            let mut c = Canvas::new(side + 16 * m, side + 16 * m, 255);
            c.draw(&code, 8 * m, 8 * m, m);
            let (data, w, h) = (c.px.clone(), c.w as u32, c.h as u32);
            let got = scan_luma(&data, w, h).unwrap();
            assert_eq!(got.len(), 1, "version {version} {level:?}");
            assert_eq!(
                got[0].text.as_deref(),
                Some(text.as_str()),
                "version {version} {level:?}"
            );
            assert_eq!(i16::from(got[0].version), version);
            let want = match level {
                EcLevel::L => scanpay_core::scan::EcLevel::L,
                EcLevel::M => scanpay_core::scan::EcLevel::M,
                EcLevel::Q => scanpay_core::scan::EcLevel::Q,
                EcLevel::H => scanpay_core::scan::EcLevel::H,
            };
            assert_eq!(got[0].ec_level, want);
        }
    }
}

#[test]
fn damaged_code_is_corrected_within_its_level() {
    let code = QrCode::with_error_correction_level(b"damage within budget", EcLevel::H).unwrap();
    let mut c = Canvas::new(200, 200, 255);
    let (x0, y0, side) = c.draw(&code, 40, 40, 4);
    // a blot over a corner of the data area, away from the finders
    for y in y0 + side - 24..y0 + side - 4 {
        for x in x0 + side - 24..x0 + side - 4 {
            c.px[y * c.w + x] = 20;
        }
    }
    assert_eq!(one(&c).text.as_deref(), Some("damage within budget"));
}

fn frame(
    data: &[u8],
    width: u32,
    height: u32,
    row_stride: u32,
) -> Result<Vec<ScannedCode>, ScanError> {
    Scanner::new().scan(
        &LumaFrame {
            data,
            width,
            height,
            row_stride,
            rotation: Rotation::R0,
        },
        &ScanOptions::default(),
    )
}

#[test]
fn malformed_frames_give_typed_errors() {
    let buf = vec![255u8; 64 * 64];
    assert_eq!(
        frame(&buf, 0, 0, 0),
        Err(ScanError::FrameTooSmall {
            width: 0,
            height: 0
        })
    );
    assert_eq!(
        frame(&buf, 20, 64, 20),
        Err(ScanError::FrameTooSmall {
            width: 20,
            height: 64
        })
    );
    assert_eq!(
        frame(&buf, 4097, 30, 4097),
        Err(ScanError::FrameTooLarge {
            width: 4097,
            height: 30
        })
    );
    // 4096 x 4096 is exactly 16 Mpx (allowed by area), but the buffer is short
    assert!(matches!(
        frame(&buf, 4096, 4096, 4096),
        Err(ScanError::DataTooShort { .. })
    ));
    assert_eq!(
        frame(&buf, 64, 64, 63),
        Err(ScanError::StrideTooSmall {
            row_stride: 63,
            width: 64
        })
    );
    assert_eq!(
        frame(&buf, 64, 64, 65),
        Err(ScanError::DataTooShort {
            len: 4096,
            needed: 65 * 63 + 64
        })
    );
    // The last row needs only `width` bytes, not a full stride.
    assert_eq!(frame(&buf[..65 * 62 + 64], 64, 63, 65), Ok(vec![]));

    let bad_region = |r: Region| {
        Scanner::new().scan(
            &LumaFrame {
                data: &buf,
                width: 64,
                height: 64,
                row_stride: 64,
                rotation: Rotation::R0,
            },
            &ScanOptions {
                region: Some(r),
                ..ScanOptions::default()
            },
        )
    };
    let outside = Region {
        x: 50,
        y: 0,
        width: 30,
        height: 30,
    };
    assert_eq!(
        bad_region(outside),
        Err(ScanError::BadRegion {
            region: outside,
            width: 64,
            height: 64
        })
    );
    let tiny = Region {
        x: 0,
        y: 0,
        width: 10,
        height: 40,
    };
    assert!(matches!(bad_region(tiny), Err(ScanError::BadRegion { .. })));
    let overflow = Region {
        x: u32::MAX,
        y: 0,
        width: 30,
        height: 30,
    };
    assert!(matches!(
        bad_region(overflow),
        Err(ScanError::BadRegion { .. })
    ));
}

#[test]
fn blank_frame_finds_nothing() {
    let flat = vec![128u8; 640 * 480];
    assert_eq!(scan_luma(&flat, 640, 480), Ok(vec![]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random small frames never panic; the only outcomes are a list of
    /// codes or the decoder-fault error.
    #[test]
    fn random_frames_never_panic(
        w in 21u32..96,
        h in 21u32..96,
        pad in 0u32..8,
        rot in 0u32..4,
        seed in any::<u64>(),
        blocky in any::<bool>(),
    ) {
        let stride = w + pad;
        let len = (stride * (h - 1) + w) as usize;
        let mut x = seed | 1;
        let data: Vec<u8> = (0..len).map(|i| {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            // blocky frames have module-like structure rqrr may lock onto
            if blocky && (i % 4 != 0) { if (x >> 3) & 1 == 1 { 0 } else { 255 } } else { x as u8 }
        }).collect();
        let rotation = Rotation::try_from(rot * 90).unwrap();
        let res = Scanner::new().scan(
            &LumaFrame { data: &data, width: w, height: h, row_stride: stride, rotation },
            &ScanOptions { exhaustive: true, ..ScanOptions::default() },
        );
        prop_assert!(matches!(res, Ok(_) | Err(ScanError::DecoderFault)), "{res:?}");
    }
}
