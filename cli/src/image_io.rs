//! Image files to luma planes, the way a camera would hand them to the core.

use image::{DynamicImage, GenericImageView as _};

/// A tightly packed 8-bit luma image.
pub struct Luma {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Reads an image file (PNG, JPEG, WebP) and converts it to luma.
///
/// Transparent pixels are composited over white first: a QR code drawn on a
/// transparent PNG is meant to be seen on a light page, and converting alpha to
/// black would erase the quiet zone.
pub fn load_luma(path: &std::path::Path) -> Result<Luma, String> {
    let img = image::ImageReader::open(path)
        .map_err(|e| format!("cannot open: {e}"))?
        .with_guessed_format()
        .map_err(|e| format!("cannot read: {e}"))?
        .decode()
        .map_err(|e| format!("cannot decode image: {e}"))?;
    Ok(to_luma(&img))
}

/// Converts a decoded image to luma, compositing any alpha over white.
pub fn to_luma(img: &DynamicImage) -> Luma {
    let (width, height) = img.dimensions();
    let pixels = if img.color().has_alpha() {
        let rgba = img.to_rgba8();
        rgba.pixels()
            .map(|p| {
                let [r, g, b, a] = p.0;
                // Rec. 601 luma in integer arithmetic, then blend over white.
                let y = (299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b)) / 1000;
                let a = u32::from(a);
                let blended = (y * a + 255 * (255 - a)) / 255;
                u8::try_from(blended).unwrap_or(u8::MAX)
            })
            .collect()
    } else {
        img.to_luma8().into_raw()
    };
    Luma {
        width,
        height,
        pixels,
    }
}
