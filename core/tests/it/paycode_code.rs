//! The pay-code construction and its forms (issue 11, ADR 0014,
//! `docs/paycode.md`): published and committed vectors, the CPM round trip,
//! the bars against an independent Code 128 encoder, the QR matrix against
//! an independent QR encoder and read back by the core's own scanner, and
//! the issuer's search.
// Helpers outside #[test] fns unwrap too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashSet;
use std::path::PathBuf;

use proptest::prelude::*;
use scanpay_core::paycode::code::{
    accepted_steps, derive, find, step_of, to_cpm_text, truncate, PayCode, PaycodeFormatError,
    PaycodeSecret, PAYCODE_DIGITS,
};
use scanpay_core::paycode::render::{
    code128_bars, code128_values, paycode_qr, qr_matrix, qr_matrix_with_mask, QrMatrix,
    RenderError, QR_MAX_BYTES, QR_QUIET_MODULES,
};
use scanpay_core::scan::scan_luma;
use serde_json::Value;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), msg);
    tag.as_ref().try_into().unwrap()
}

/// RFC 6238 Appendix B, the SHA-256 column: 8 digits, T = floor(time / 30)
/// as 8 bytes big-endian, the 32-byte ASCII key. Our one `truncate` is
/// RFC 4226 dynamic truncation up to 9 digits, so it must give these.
#[test]
fn rfc6238_sha256_vectors_through_truncate() {
    let key = b"12345678901234567890123456789012";
    for (time, want) in [
        (59u64, 46_119_246u64),
        (1_111_111_109, 68_084_774),
        (1_111_111_111, 67_062_674),
        (1_234_567_890, 91_819_424),
        (2_000_000_000, 90_698_825),
        (20_000_000_000, 77_737_706),
    ] {
        let h = hmac_sha256(key, &(time / 30).to_be_bytes());
        assert_eq!(truncate(&h, 8), want, "time {time}");
    }
}

fn vectors() -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/paycode.json");
    let doc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

/// `tests/vectors/paycode.json` was written by an independent Python
/// `hmac` implementation; every field must come out the same here.
#[test]
fn committed_vectors() {
    let vs = vectors();
    assert!(vs.len() >= 10);
    for v in vs {
        let secret = PaycodeSecret::from_bytes(&hex(v["secret_hex"].as_str().unwrap())).unwrap();
        let counter = v["counter"].as_u64().unwrap();
        let step = v["step"].as_u64().unwrap();
        let want = v["code"].as_str().unwrap();
        let h = hmac_sha256(
            secret.as_bytes(),
            &[counter.to_be_bytes(), step.to_be_bytes()].concat(),
        );
        assert_eq!(h.to_vec(), hex(v["hmac_hex"].as_str().unwrap()));
        assert_eq!(u64::from(h[31] & 0x0f), v["offset"].as_u64().unwrap());
        let code = derive(&secret, counter, step);
        assert_eq!(code.digits(), want, "counter {counter} step {step}");
        let cpm = to_cpm_text(&code);
        assert_eq!(cpm, v["cpm_text"].as_str().unwrap());
        // Both forms read back to the same code.
        assert_eq!(PayCode::parse(&cpm).unwrap(), code);
        assert_eq!(PayCode::parse(want).unwrap(), code);
        let values: Vec<u8> = v["code128_values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| u8::try_from(x.as_u64().unwrap()).unwrap())
            .collect();
        assert_eq!(code128_values(&code), values);
    }
}

#[test]
fn a_zero_padded_value_keeps_eighteen_digits() {
    // One committed vector has a value below 10^15 ("3900…"): the padding
    // is part of the code, not dropped.
    let padded = vectors()
        .into_iter()
        .find(|v| v["code"].as_str().unwrap().starts_with("3900"))
        .unwrap();
    let secret = PaycodeSecret::from_bytes(&hex(padded["secret_hex"].as_str().unwrap())).unwrap();
    let code = derive(
        &secret,
        padded["counter"].as_u64().unwrap(),
        padded["step"].as_u64().unwrap(),
    );
    assert_eq!(code.digits().len(), PAYCODE_DIGITS);
    assert!(code.digits().starts_with("3900"));
}

#[test]
fn steps_and_window() {
    assert_eq!(step_of(1_764_720_000), 29_412_000);
    assert_eq!(step_of(1_764_720_059), 29_412_000);
    assert_eq!(step_of(1_764_720_060), 29_412_001);
    assert_eq!(accepted_steps(100), 98..=101);
    assert_eq!(accepted_steps(1), 0..=2);
}

#[test]
fn other_texts_are_refused_with_a_reason() {
    // A card's CPM (dongri/emv-qrcode's example) is valid CPM, but no pay code.
    let card = "hQVDUFYwMWETTwegAAAAVVVVUAhQcm9kdWN0MWETTwegAAAAZmZmUAhQcm9kdWN0MmJJWggSNFZ4kBI0WF8gDkNBUkRIT0xERVIvRU1WXy0IcnVlc2RlZW5kIZ8QBwYBCgMAAACfJghYT9OF+iNLzJ82AgABnzcEbVjvEw==";
    assert_eq!(
        PayCode::parse(card).unwrap_err(),
        PaycodeFormatError::NotScanPay
    );
    assert_eq!(PayCode::parse("hQVDUFY!!").unwrap_err().code(), "cpm");
    // Alipay's and WeChat's code ranges are not ours.
    assert_eq!(
        PayCode::parse("281234567890123456").unwrap_err(),
        PaycodeFormatError::Prefix
    );
    assert_eq!(
        PayCode::parse("1312345678901234567").unwrap_err(),
        PaycodeFormatError::Length { len: 19 }
    );
}

/// Run lengths of a 0/1 module string (barcoders' output), from the first bar.
fn run_lengths(modules: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let mut prev = None;
    for &m in modules {
        if Some(m) == prev {
            *out.last_mut().unwrap() += 1;
        } else {
            out.push(1);
            prev = Some(m);
        }
    }
    out
}

fn barcoders_widths(code: &PayCode) -> Vec<u8> {
    // "Ć" selects code set C in barcoders.
    let b = barcoders::sym::code128::Code128::new(format!("Ć{}", code.digits())).unwrap();
    let modules = b.encode();
    assert_eq!(modules.first(), Some(&1), "starts with a bar");
    run_lengths(&modules)
}

#[test]
fn bars_match_an_independent_code128_encoder() {
    for v in vectors() {
        let code = PayCode::parse(v["code"].as_str().unwrap()).unwrap();
        let bars = code128_bars(&code);
        assert_eq!(bars, barcoders_widths(&code), "{}", code.digits());
        assert_eq!(bars.len(), 73);
        assert_eq!(bars.iter().map(|&w| u32::from(w)).sum::<u32>(), 134);
    }
}

/// The `qrcode` crate's matrix of `text` (byte mode, level M, the given
/// version) with mask `mask`: an independent encoder.
fn reference_qr(text: &str, version: i16, mask: u8) -> Vec<bool> {
    use qrcode::bits::Bits;
    use qrcode::canvas::{Canvas, MaskPattern};
    use qrcode::types::{Color, EcLevel, Version};
    let v = Version::Normal(version);
    let mut bits = Bits::new(v);
    bits.push_byte_data(text.as_bytes()).unwrap();
    bits.push_terminator(EcLevel::M).unwrap();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), v, EcLevel::M).unwrap();
    let mut canvas = Canvas::new(v, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let pattern = [
        MaskPattern::Checkerboard,
        MaskPattern::HorizontalLines,
        MaskPattern::VerticalLines,
        MaskPattern::DiagonalLines,
        MaskPattern::LargeCheckerboard,
        MaskPattern::Fields,
        MaskPattern::Diamonds,
        MaskPattern::Meadow,
    ][usize::from(mask)];
    canvas.apply_mask(pattern);
    canvas
        .into_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect()
}

#[test]
fn qr_matches_an_independent_encoder_for_every_mask_and_version() {
    let code = PayCode::parse("398702977497215198").unwrap();
    let cpm = to_cpm_text(&code);
    // Texts that need versions 1 to 6 (capacities 14, 26, 42, 62, 84, 106).
    let texts = [
        "hQVDUFYwMW".to_owned(),
        "x".repeat(26),
        "y".repeat(42),
        cpm.clone(),
        "z".repeat(84),
        "w".repeat(QR_MAX_BYTES),
    ];
    for (i, text) in texts.iter().enumerate() {
        let version = i16::try_from(i + 1).unwrap();
        for mask in 0..8 {
            let ours = qr_matrix_with_mask(text, mask).unwrap();
            assert_eq!(ours.size, 17 + 4 * u32::try_from(version).unwrap());
            assert!(
                ours.modules == reference_qr(text, version, mask),
                "version {version} mask {mask} differs"
            );
        }
        // The chosen mask is one of those eight.
        let chosen = qr_matrix(text).unwrap();
        assert!((0..8).any(|m| qr_matrix_with_mask(text, m).unwrap() == chosen));
    }
    assert_eq!(paycode_qr(&code).size, 33);
    assert_eq!(
        qr_matrix(&"v".repeat(QR_MAX_BYTES + 1)).unwrap_err(),
        RenderError::TooLong {
            len: QR_MAX_BYTES + 1,
            max: QR_MAX_BYTES
        }
    );
}

/// The matrix as an app would draw it: 4 px per module, a quiet zone of
/// [`QR_QUIET_MODULES`], black on white.
fn draw(m: &QrMatrix) -> (Vec<u8>, u32) {
    let px = 4;
    let side = (m.size + 2 * QR_QUIET_MODULES) * px;
    let mut luma = vec![255u8; (side * side) as usize];
    for y in 0..side {
        for x in 0..side {
            let (mx, my) = (x / px, y / px);
            if mx >= QR_QUIET_MODULES
                && my >= QR_QUIET_MODULES
                && m.is_dark(mx - QR_QUIET_MODULES, my - QR_QUIET_MODULES)
            {
                luma[(y * side + x) as usize] = 0;
            }
        }
    }
    (luma, side)
}

#[test]
fn the_core_scanner_reads_the_drawn_qr_back() {
    for v in vectors() {
        let code = PayCode::parse(v["code"].as_str().unwrap()).unwrap();
        let (luma, side) = draw(&paycode_qr(&code));
        let found = scan_luma(&luma, side, side).unwrap();
        assert_eq!(found.len(), 1);
        let text = found[0].text.as_deref().unwrap();
        assert_eq!(text, to_cpm_text(&code));
        assert_eq!(PayCode::parse(text).unwrap(), code);
    }
}

fn secret_strategy() -> impl Strategy<Value = [u8; 32]> {
    any::<[u8; 32]>()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// No two codes alike within what an issuer accepts at once for one
    /// device (50 counters × 4 steps): a collision among 200 codes has
    /// probability about 200² / 2 / 10^16 = 2·10⁻¹².
    #[test]
    fn no_two_codes_alike_in_a_window(
        k in secret_strategy(),
        c0 in 0u64..u64::MAX - 100,
        s0 in 0u64..u64::MAX - 10,
    ) {
        let secret = PaycodeSecret::from_bytes(&k).unwrap();
        let mut seen = HashSet::new();
        for c in c0..c0 + 50 {
            for s in s0..s0 + 4 {
                let code = derive(&secret, c, s);
                prop_assert_eq!(code.digits().len(), 18);
                prop_assert!(code.digits().starts_with("39"));
                prop_assert!(seen.insert(code.digits().to_owned()), "collision at {} {}", c, s);
            }
        }
    }

    /// `find` returns exactly the (counter, step) `derive` used when both are
    /// in its ranges, and nothing when either is outside or a digit changed.
    #[test]
    fn find_finds_exactly_what_derive_made(
        k in secret_strategy(),
        next in 0u64..1_000_000,
        offset in 0u64..50,
        now in 5u64..10_000_000,
        dstep in 0u64..4,
        pos in 2usize..18,
        bump in 1u8..10,
    ) {
        let secret = PaycodeSecret::from_bytes(&k).unwrap();
        let steps = accepted_steps(now);
        let (c, s) = (next + offset, now - 2 + dstep);
        let code = derive(&secret, c, s);
        prop_assert_eq!(find(&secret, &code, next..next + 50, steps.clone()), Some((c, s)));
        // Counter below the window (already superseded) or above it.
        prop_assert_eq!(find(&secret, &code, c + 1..c + 51, steps.clone()), None);
        prop_assert_eq!(find(&secret, &code, c.saturating_sub(50)..c, steps.clone()), None);
        // Step outside the accepted steps, before and after.
        prop_assert_eq!(find(&secret, &code, next..next + 50, accepted_steps(s + 3)), None);
        prop_assert_eq!(find(&secret, &code, next..next + 50, accepted_steps(s - 2)), None);
        // Another device's secret.
        let mut other = k;
        other[0] ^= 1;
        let other = PaycodeSecret::from_bytes(&other).unwrap();
        prop_assert_eq!(find(&other, &code, next..next + 50, steps.clone()), None);
        // One edited digit.
        let mut digits = code.digits().as_bytes().to_vec();
        digits[pos] = b'0' + (digits[pos] - b'0' + bump) % 10;
        let edited = PayCode::parse(std::str::from_utf8(&digits).unwrap()).unwrap();
        prop_assert_eq!(find(&secret, &edited, next..next + 50, steps), None);
    }

    /// Any code's bars equal the independent encoder's, and both forms parse
    /// to the same code.
    #[test]
    fn forms_agree_for_any_code(value in 0u64..10_000_000_000_000_000) {
        let code = PayCode::parse(&format!("39{value:016}")).unwrap();
        prop_assert_eq!(code128_bars(&code), barcoders_widths(&code));
        prop_assert_eq!(PayCode::parse(&to_cpm_text(&code)).unwrap(), code.clone());
        let spaced: String = code.digits().chars().flat_map(|c| [c, ' ']).collect();
        prop_assert_eq!(PayCode::parse(&spaced).unwrap(), code);
    }
}
