//! Rendering payloads as QR images (PNG and SVG), for `qr make`, `fixtures` and `demo`.

use std::path::Path;

use image::{GrayImage, Luma};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode, Version};

/// How a QR image is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Pixels per module.
    pub module_px: u32,
    /// Light modules dark and dark modules light (a "light-on-dark" print).
    pub inverted: bool,
    /// Quarter turns clockwise.
    pub quarter_turns: u8,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            module_px: 6,
            inverted: false,
            quarter_turns: 0,
        }
    }
}

/// A rendered code: the image and its QR version.
pub struct Rendered {
    pub image: GrayImage,
    pub version: i16,
}

fn encode(text: &str) -> Result<QrCode, String> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| format!("cannot encode {} bytes as a QR code: {e}", text.len()))
}

/// Renders `text` at error-correction level M (what ScanPay sizes its
/// signed codes for) with a 4-module quiet zone.
pub fn render(text: &str, style: Style) -> Result<Rendered, String> {
    let code = encode(text)?;
    let version = match code.version() {
        Version::Normal(v) | Version::Micro(v) => v,
    };
    let mut image = code
        .render::<Luma<u8>>()
        .module_dimensions(style.module_px, style.module_px)
        .build();
    if style.inverted {
        image::imageops::invert(&mut image);
    }
    for _ in 0..style.quarter_turns % 4 {
        image = image::imageops::rotate90(&image);
    }
    Ok(Rendered { image, version })
}

/// Writes a PNG.
pub fn save_png(image: &GrayImage, path: &Path) -> Result<(), String> {
    image
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes an SVG of `text` (for print: scales without blur).
pub fn save_svg(text: &str, path: &Path) -> Result<(), String> {
    let code = encode(text)?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build();
    std::fs::write(path, svg).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
