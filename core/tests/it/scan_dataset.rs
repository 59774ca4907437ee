//! Regression test over the real QR photos in `shared/datasets/qr-samples`.
//!
//! Reads every image with the default options and checks: at least
//! [`READ_FLOOR`] images give exactly the expected text (byte for byte), every
//! false-positive photo gives nothing, and nothing panics. The misses are
//! printed so a change that loses one is easy to spot.
//!
//! With `SCAN_DATASET_ABLATION=1` it also prints what each cheap pass adds
//! (plain rqrr, then the passes switched on one by one in scan order); run with
//! `cargo test --release -p scanpay-core --test it scan_dataset:: -- --nocapture`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use scanpay_core::scan::{LumaFrame, Rotation, ScanOptions, ScannedCode, Scanner};

/// Images read with exactly the expected text today. It may only rise.
const READ_FLOOR: usize = 131;

const DATASET: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/datasets/qr-samples"
);

struct Case {
    folder: String,
    image: PathBuf,
    expected: Option<Vec<u8>>,
}

fn is_image(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("png" | "jpg" | "jpeg" | "webp")
    )
}

/// Expected text: `NAME.txt` beside `NAME.png`; a structured-append part
/// `01-02.png` shares `01.txt` (the whole message).
fn expected_for(image: &Path) -> Option<Vec<u8>> {
    let stem = image.file_stem()?.to_str()?;
    let dir = image.parent()?;
    if let Ok(b) = fs::read(dir.join(format!("{stem}.txt"))) {
        return Some(b);
    }
    let (group, _) = stem.rsplit_once('-')?;
    fs::read(dir.join(format!("{group}.txt"))).ok()
}

fn cases(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    let Ok(dirs) = fs::read_dir(root) else {
        return out;
    };
    let mut dirs: Vec<PathBuf> = dirs
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let folder = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let positive = folder.starts_with("qrcode-");
        let mut images: Vec<PathBuf> = fs::read_dir(&dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| is_image(p))
                    .collect()
            })
            .unwrap_or_default();
        images.sort();
        for image in images {
            let expected = if positive { expected_for(&image) } else { None };
            out.push(Case {
                folder: folder.clone(),
                image,
                expected,
            });
        }
    }
    out
}

fn load(path: &Path) -> Option<(Vec<u8>, u32, u32)> {
    let img = image::open(path).ok()?.to_luma8();
    let (w, h) = img.dimensions();
    Some((img.into_raw(), w, h))
}

/// Structured-append parts are judged on the whole message: the texts of a
/// group's parts, in index order, must equal the group's `.txt`.
fn matches(expected: &[u8], codes: &[ScannedCode], group: &[Vec<ScannedCode>]) -> bool {
    if codes
        .iter()
        .any(|c| c.text.as_deref().map(str::as_bytes) == Some(expected))
    {
        return true;
    }
    let mut parts: Vec<(u8, Vec<u8>)> = group
        .iter()
        .flatten()
        .filter_map(|c| Some((c.structured_append?.index, c.text.clone()?.into_bytes())))
        .collect();
    parts.sort();
    parts.dedup_by_key(|p| p.0);
    let joined: Vec<u8> = parts.into_iter().flat_map(|p| p.1).collect();
    !joined.is_empty() && codes.iter().any(|c| c.structured_append.is_some()) && joined == expected
}

struct Outcome {
    read: Vec<bool>,
    false_positives: Vec<String>,
}

fn run(cases: &[Case], images: &[Option<(Vec<u8>, u32, u32)>], opts: &ScanOptions) -> Outcome {
    let mut scanner = Scanner::new();
    let results: Vec<Vec<ScannedCode>> = images
        .iter()
        .map(|img| match img {
            Some((data, w, h)) => {
                let frame = LumaFrame {
                    data,
                    width: *w,
                    height: *h,
                    row_stride: *w,
                    rotation: Rotation::R0,
                };
                // A DecoderFault is "nothing found" for this purpose.
                scanner.scan(&frame, opts).unwrap_or_default()
            }
            None => Vec::new(),
        })
        .collect();
    let mut read = Vec::new();
    let mut false_positives = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        match &case.expected {
            Some(expected) => {
                let dir = case.image.parent();
                let group: Vec<Vec<ScannedCode>> = cases
                    .iter()
                    .zip(&results)
                    .filter(|(c, _)| {
                        c.image.parent() == dir && c.expected.as_ref() == Some(expected)
                    })
                    .map(|(_, r)| r.clone())
                    .collect();
                read.push(matches(expected, &results[i], &group));
            }
            None => {
                read.push(false);
                if !results[i].is_empty() {
                    false_positives.push(case.image.display().to_string());
                }
            }
        }
    }
    Outcome {
        read,
        false_positives,
    }
}

#[test]
fn dataset_read_floor_and_no_false_positives() {
    let root = Path::new(DATASET);
    if !root.is_dir() {
        println!("skipped: dataset folder {} not found", root.display());
        return;
    }
    let cases = cases(root);
    let images: Vec<_> = cases.iter().map(|c| load(&c.image)).collect();
    let positives = cases.iter().filter(|c| c.expected.is_some()).count();
    assert!(
        positives > 0,
        "no images with expected text under {}",
        root.display()
    );

    let outcome = run(&cases, &images, &ScanOptions::default());
    let mut per_folder: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for (case, &ok) in cases.iter().zip(&outcome.read) {
        if case.expected.is_some() {
            let e = per_folder.entry(&case.folder).or_default();
            e.0 += 1;
            if ok {
                e.1 += 1;
            } else {
                misses.push(case.image.display().to_string());
            }
        }
    }
    let read = outcome.read.iter().filter(|&&r| r).count();
    for (folder, (n, r)) in &per_folder {
        println!("{folder}: {r}/{n}");
    }
    println!("read {read} of {positives} images; misses:");
    for m in &misses {
        println!("  {m}");
    }

    if std::env::var_os("SCAN_DATASET_ABLATION").is_some() {
        let none = ScanOptions {
            try_inverted: false,
            try_downscaled: false,
            try_local_threshold: false,
            try_upscaled: false,
            ..ScanOptions::default()
        };
        let downscaled = ScanOptions {
            try_downscaled: true,
            ..none
        };
        let local = ScanOptions {
            try_local_threshold: true,
            ..downscaled
        };
        let inverted = ScanOptions {
            try_inverted: true,
            ..local
        };
        let own_only = ScanOptions {
            try_rqrr: false,
            try_inverted: false,
            ..ScanOptions::default()
        };
        let configs = [
            ("own front end only", own_only),
            (
                "own front end, both polarities",
                ScanOptions {
                    try_inverted: true,
                    ..own_only
                },
            ),
            ("own front end + plain rqrr pass", none),
            ("+ downscaled (large images)", downscaled),
            ("+ local threshold", local),
            ("+ inverted", inverted),
            ("+ upscaled (= default)", ScanOptions::default()),
            (
                "default, exhaustive",
                ScanOptions {
                    exhaustive: true,
                    ..ScanOptions::default()
                },
            ),
            ("for_still_image", ScanOptions::for_still_image()),
            (
                "upscaled alone",
                ScanOptions {
                    try_upscaled: true,
                    ..none
                },
            ),
        ];
        // What only the rqrr fallback reads: the work list for our front end.
        let own = run(
            &cases,
            &images,
            &ScanOptions {
                try_inverted: true,
                ..own_only
            },
        );
        for ((case, &all), &mine) in cases.iter().zip(&outcome.read).zip(&own.read) {
            if all && !mine {
                println!("read only by the rqrr fallback: {}", case.image.display());
            }
        }
        for (name, opts) in configs {
            let o = run(&cases, &images, &opts);
            println!(
                "ablation {name}: read {} / {positives}, false positives {}",
                o.read.iter().filter(|&&r| r).count(),
                o.false_positives.len()
            );
        }
    }

    assert!(
        outcome.false_positives.is_empty(),
        "codes reported on photos without one: {:?}",
        outcome.false_positives
    );
    assert!(
        read >= READ_FLOOR,
        "read {read} images, floor is {READ_FLOOR}"
    );
}
