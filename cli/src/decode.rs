//! `scanpay decode [--json] IMAGE...`
//!
//! JSON contract (one line per image, in the order given):
//! `{"file": "<path as given>", "codes": [{"text": "...", ...}], "ms": 1.23}`.
//! `ms` is the time spent in the core's scanner only (file reading and image
//! decoding excluded). An image that cannot be read still gets its line, with
//! `"error"` set, `"codes": []` and `"ms": null`. A frame the scanner refuses
//! (too large, say) gets `"error"` and the time spent before refusing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use base64::Engine as _;
use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, ScannedCode, Scanner};
use serde_json::{json, Value};

use crate::image_io::load_luma;

/// Arguments of `scanpay decode`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print one JSON object per image, one per line.
    #[arg(long)]
    json: bool,
    /// Image files (PNG, JPEG, WebP).
    #[arg(required = true)]
    images: Vec<PathBuf>,
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    let mut scanner = Scanner::new();
    let opts = ScanOptions::default();
    let mut any_unreadable = false;
    for path in &args.images {
        let file = path.to_string_lossy().into_owned();
        let (codes, ms, error) = match load_luma(path) {
            Err(e) => {
                any_unreadable = true;
                (Vec::new(), None, Some(e))
            }
            Ok(img) => {
                let frame = LumaFrame {
                    data: &img.pixels,
                    width: img.width,
                    height: img.height,
                    row_stride: img.width,
                    rotation: Rotation::R0,
                };
                let start = Instant::now();
                let result = scanner.scan(&frame, &opts);
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                match result {
                    Ok(codes) => (codes, Some(ms), None),
                    Err(e) => (Vec::new(), Some(ms), Some(e.to_string())),
                }
            }
        };
        if args.json {
            let mut line = json!({
                "file": file,
                "codes": codes.iter().map(code_json).collect::<Vec<_>>(),
                "ms": ms.map(|m| (m * 1000.0).round() / 1000.0),
            });
            if let (Some(e), Some(obj)) = (error, line.as_object_mut()) {
                obj.insert("error".into(), Value::String(e));
            }
            println!("{line}");
        } else {
            print_human(&file, &codes, ms, error.as_deref());
        }
    }
    Ok(if any_unreadable {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn code_json(code: &ScannedCode) -> Value {
    json!({
        "text": code.text,
        "bytes_base64": base64::engine::general_purpose::STANDARD.encode(&code.bytes),
        "eci": code.eci,
        "version": code.version,
        "corners": code.corners.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>(),
    })
}

fn print_human(file: &str, codes: &[ScannedCode], ms: Option<f64>, error: Option<&str>) {
    match (error, ms) {
        (Some(e), _) => println!("{file}: error: {e}"),
        (None, Some(ms)) => println!("{file}: {} code(s) in {ms:.2} ms", codes.len()),
        (None, None) => println!("{file}: {} code(s)", codes.len()),
    }
    for code in codes {
        match &code.text {
            Some(t) => println!("  {t}"),
            None => println!("  <{} bytes, not text>", code.bytes.len()),
        }
    }
}
