//! Writes the QR frame fixtures the Kotlin and Python binding tests scan: raw
//! 8-bit luma planes with a padded row stride (as camera buffers have), plus
//! `frames.json` describing them. Payloads come from `tests/vectors/`.
//!
//! Usage: cargo run -p scanpay-ffi --example fixtures -- OUT_DIR

use std::path::{Path, PathBuf};

use image::Luma;
use qrcode::QrCode;

/// Extra bytes at the end of every row, like a camera's padded stride.
const STRIDE_PAD: u32 = 13;

fn luma_frame(payload: &str, rotate90: bool) -> Result<(Vec<u8>, u32, u32, u32), String> {
    let code = QrCode::new(payload.as_bytes()).map_err(|e| e.to_string())?;
    let img = code
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(4, 4)
        .build();
    // A sensor frame that must be rotated 90° clockwise to be upright is the
    // upright image rotated 90° counter-clockwise.
    let img = if rotate90 {
        image::imageops::rotate270(&img)
    } else {
        img
    };
    let (w, h) = img.dimensions();
    let stride = w + STRIDE_PAD;
    let mut data = vec![0x55u8; (stride * h) as usize];
    for (y, row) in img.rows().enumerate() {
        for (x, px) in row.enumerate() {
            if let Some(slot) = data.get_mut(y * stride as usize + x) {
                *slot = px.0[0];
            }
        }
    }
    Ok((data, w, h, stride))
}

fn run(out: &Path) -> Result<(), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let cases: serde_json::Value = serde_json::from_slice(
        &std::fs::read(root.join("tests/vectors/trust/cases.json")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let payload = cases["cases"][0]["payload"]
        .as_str()
        .ok_or("cases.json: no payload")?
        .to_string();
    std::fs::create_dir_all(out).map_err(|e| e.to_string())?;
    let mut frames = Vec::new();
    for (name, rotate) in [("merchant-r0", false), ("merchant-r90", true)] {
        let (data, w, h, stride) = luma_frame(&payload, rotate)?;
        let file = format!("{name}.luma");
        std::fs::write(out.join(&file), &data).map_err(|e| e.to_string())?;
        frames.push(serde_json::json!({
            "name": name, "file": file, "width": w, "height": h, "row_stride": stride,
            "rotation_degrees": if rotate { 90 } else { 0 }, "payload": payload,
        }));
    }
    let doc = serde_json::json!({ "frames": frames });
    std::fs::write(
        out.join("frames.json"),
        serde_json::to_vec_pretty(&doc).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())
}

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/bindings/fixtures".into());
    if let Err(e) = run(Path::new(&out)) {
        eprintln!("fixtures: {e}");
        std::process::exit(1);
    }
}
