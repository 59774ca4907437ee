//! The pass loop: crop, our own front end at full, half and double scale,
//! the rqrr fallback passes under the evidence gate and the work budget,
//! decoding, dedupe, and mapping corners back into upright coordinates
//! (the pipeline the module documentation describes, steps 2–7).

use std::panic::{catch_unwind, AssertUnwindSafe};

use rqrr::{BitGrid, PreparedImage};

use super::bitstream;
use super::code::{EcLevel, Point, ScannedCode, StructuredAppend};
use super::detect;
use super::error::ScanError;
use super::frame::{validate, validate_region, LumaFrame, Region, Rotation};
use super::image;
use super::options::ScanOptions;
use super::text;

/// Images whose longer side is at least this get a 2× downscaled pass first.
pub(crate) const DOWNSCALE_FROM: u32 = 1000;

/// The rqrr fallback passes run only when our own front end saw at least
/// this many finder-pattern candidates in that polarity (unless
/// [`ScanOptions::exhaustive`]).
pub(crate) const FALLBACK_EVIDENCE: usize = 2;

/// Images (regions) whose longer side is below this also get our own front
/// end on a 2× upscaled copy.
pub(crate) const OWN_UPSCALE_BELOW: u32 = 400;

/// Frames (regions) whose longer side is at least this also get our own
/// front end at half scale.
pub(crate) const MIN_HALF_SIDE: u32 = 320;

/// At most this many rqrr fallback passes run per frame (unless
/// [`ScanOptions::exhaustive`]): each costs several of our own passes, and
/// the first three of the plan read everything the rest did on the dataset.
pub(crate) const MAX_FALLBACK_PASSES: usize = 3;

/// Pixels the rqrr fallback passes may process per frame, all passes
/// together (unless [`ScanOptions::exhaustive`]): rqrr costs roughly 5–10 ms
/// per megapixel here, so this caps the fallback near 20 ms. A 720p frame or
/// a 640×480 still gets its three passes, a 1080p frame only the half-scale
/// ones.
pub(crate) const FALLBACK_PIXELS: usize = 2_200_000;

/// A reusable scanner: keeps its working buffers between frames, so a camera
/// loop does not reallocate for every frame.
#[derive(Debug, Default)]
pub struct Scanner {
    work: Vec<u8>,
    scratch: Vec<u8>,
    binary: Vec<u8>,
    integral: Vec<u32>,
    bitmap: detect::Bitmap,
    /// The 2×2-averaged working image, made once per frame for both
    /// polarities' half-scale passes.
    half: Vec<u8>,
    half_size: (usize, usize),
    half_ready: bool,
    finders: Vec<detect::Finder>,
    /// Light-on-dark finder candidates seen in the same row scan.
    inv_finders: Vec<detect::Finder>,
    triples: Vec<detect::Triple>,
    /// One scanned row's run lengths.
    runs: Vec<u32>,
}

/// The resolution a pass works at, relative to the (cropped) frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Half,
    Full,
    Double,
}

/// One attempt: our own front end (`detect`) at full resolution, or an rqrr
/// pass at a resolution with a binarisation (rqrr's row mean, or our local
/// mean); and a polarity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pass {
    own: bool,
    scale: Scale,
    local: bool,
    inverted: bool,
}

/// How one own pass runs, per polarity (index 0: dark-on-light, 1:
/// light-on-dark).
#[derive(Debug, Clone, Copy)]
struct OwnPass {
    scale: Scale,
    /// Which polarities to search.
    enabled: [bool; 2],
    /// A quarter of the work budget (a noisy frame's coarser pass).
    frugal: [bool; 2],
    /// Decode both polarities even after one read.
    exhaustive: bool,
}

/// What one own pass found and saw, per polarity (index 0: dark-on-light,
/// 1: light-on-dark).
struct OwnOutcome {
    found: Vec<Found>,
    /// Confirmed finder candidates.
    evidence: [usize; 2],
    /// The scanned rows were pixel-scale noise.
    noise: [bool; 2],
    /// Any finder candidate at all.
    any: [bool; 2],
}

/// Finder pairs the third-finder search tries per polarity and pass.
const RESCUE_PAIRS: usize = 3;

/// Sampling attempts the triples the third-finder search completes may
/// spend per polarity and pass (two triples' worth of dimensions).
const RESCUE_ATTEMPTS: usize = 12;

/// Decoding one polarity's finder candidates of an own pass.
struct Decoding<'a> {
    view: detect::View<'a>,
    /// Pass image to working image scale.
    to_work: f32,
    inverted: bool,
    max_triples: usize,
}

impl Decoding<'_> {
    /// Decodes the plausible triples of `finders` (only those using a
    /// candidate from index `new_from` on), best first, each finder in at
    /// most one code, spending `attempts`. Returns the candidates used by
    /// the codes read.
    fn run(
        &self,
        finders: &[detect::Finder],
        new_from: usize,
        triples: &mut Vec<detect::Triple>,
        attempts: &mut usize,
        out: &mut Vec<Found>,
    ) -> Vec<usize> {
        if finders.len() < 3 {
            return Vec::new();
        }
        detect::triples(finders, triples, self.max_triples);
        let mut used: Vec<usize> = Vec::new();
        for t in triples.iter() {
            let ids = t.ids();
            if ids.iter().all(|&i| i < new_from) || ids.iter().any(|i| used.contains(i)) {
                continue;
            }
            if let Some(d) = detect::decode_triple(self.view, t, attempts) {
                used.extend(ids);
                let b = d.bounds.map(|(x, y)| (x * self.to_work, y * self.to_work));
                let bounds = if d.symbol.mirrored {
                    [b[0], b[3], b[2], b[1]]
                } else {
                    b
                };
                out.push(Found {
                    symbol: d.symbol,
                    bounds,
                    inverted: self.inverted,
                });
            }
        }
        used
    }
}

/// A grid decoded by one pass, in working-image coordinates.
struct Found {
    symbol: bitstream::Symbol,
    bounds: [(f32, f32); 4],
    inverted: bool,
}

impl Scanner {
    /// A scanner with empty buffers.
    pub fn new() -> Self {
        Self::default()
    }

    /// Scans one frame and returns every code found (possibly none).
    ///
    /// # Errors
    /// A [`ScanError`] for a frame or region that fails the caps, or
    /// [`ScanError::DecoderFault`] if rqrr failed internally and nothing
    /// was found.
    pub fn scan(
        &mut self,
        frame: &LumaFrame<'_>,
        opts: &ScanOptions,
    ) -> Result<Vec<ScannedCode>, ScanError> {
        validate(frame)?;
        let region = match opts.region {
            Some(r) => validate_region(frame, r)?,
            None => Region {
                x: 0,
                y: 0,
                width: frame.width,
                height: frame.height,
            },
        };
        image::crop(frame, region, &mut self.work);
        let (w, h) = (region.width as usize, region.height as usize);

        let mut found: Vec<Found> = Vec::new();
        let mut faulted = false;
        // Finder candidates our own front end saw, per polarity, and whether
        // the full-resolution pass found pixel-scale noise there (which no
        // coarser pass may overrule: averaged noise looks like texture).
        let mut evidence = [0usize; 2];
        let mut noisy = [false; 2];
        let mut any_finder = [false; 2];
        let mut rqrr_runs = 0usize;
        let mut rqrr_pixels = 0usize;
        self.half_ready = false;
        for pass in plan(opts, region.width.max(region.height)) {
            let result = if pass.own {
                let mut enabled = [false; 2];
                for (k, e) in enabled.iter_mut().enumerate() {
                    if k == 1 && !opts.try_inverted {
                        continue;
                    }
                    // The coarser and finer own passes are for noise and
                    // for small finders: a clean frame whose full pass saw
                    // no finder-like pattern at all skips them.
                    let hinted = noisy.get(k).copied().unwrap_or(false)
                        || any_finder.get(k).copied().unwrap_or(false);
                    *e = pass.scale == Scale::Full || hinted || opts.exhaustive;
                }
                if !enabled.contains(&true) {
                    continue;
                }
                // On a frame the full pass found noisy, the half pass gets a
                // quarter of the budget: it is there for moderate sensor noise
                // over a code, not to search snow.
                let own = OwnPass {
                    scale: pass.scale,
                    enabled,
                    frugal: noisy,
                    exhaustive: opts.exhaustive,
                };
                // Our own code does not panic by design (every access is
                // checked); the guard makes a bug a DecoderFault, not a crash.
                let outcome = catch_unwind(AssertUnwindSafe(|| self.run_own_pass(own, w, h)));
                let Ok(outcome) = outcome else {
                    faulted = true;
                    continue;
                };
                for (k, _) in enabled.iter().enumerate().filter(|(_, &e)| e) {
                    if pass.scale == Scale::Full {
                        if let (Some(n), Some(&seen)) = (noisy.get_mut(k), outcome.noise.get(k)) {
                            *n = seen;
                        }
                        if let (Some(a), Some(&seen)) = (any_finder.get_mut(k), outcome.any.get(k))
                        {
                            *a = seen;
                        }
                    }
                    let vetoed = noisy.get(k).copied().unwrap_or(false);
                    if let (Some(e), Some(&seen)) = (evidence.get_mut(k), outcome.evidence.get(k)) {
                        *e = if vetoed { 0 } else { (*e).max(seen) };
                    }
                }
                let list = outcome.found;
                if self.bitmap.flat
                    && pass.scale == Scale::Full
                    && list.is_empty()
                    && !opts.exhaustive
                {
                    // No edge anywhere: no pass can find a code here.
                    break;
                }
                Ok(list)
            } else {
                // The work budget: rqrr's passes cost several times ours, so
                // they run only where ours saw finder-like patterns it could
                // not decode. An empty or noisy frame stops here.
                let seen = evidence
                    .get(usize::from(pass.inverted))
                    .copied()
                    .unwrap_or(0);
                let pixels = match pass.scale {
                    Scale::Half => (w / 2) * (h / 2),
                    Scale::Full => w * h,
                    Scale::Double => 4 * w * h,
                };
                if !opts.exhaustive
                    && (seen < FALLBACK_EVIDENCE
                        || rqrr_runs >= MAX_FALLBACK_PASSES
                        || rqrr_pixels + pixels > FALLBACK_PIXELS)
                {
                    continue;
                }
                rqrr_runs += 1;
                rqrr_pixels += pixels;
                self.run_pass(pass, w, h)
            };
            match result {
                Ok(list) => {
                    let any = !list.is_empty();
                    found.extend(list);
                    if any && !opts.exhaustive {
                        break;
                    }
                }
                Err(()) => faulted = true,
            }
        }
        if found.is_empty() && faulted {
            return Err(ScanError::DecoderFault);
        }

        let mut out: Vec<ScannedCode> = Vec::new();
        for f in found {
            let corners = f.bounds.map(|(x, y)| {
                let fx = x + region.x as f32;
                let fy = y + region.y as f32;
                rotate(
                    fx,
                    fy,
                    frame.width as f32,
                    frame.height as f32,
                    frame.rotation,
                )
            });
            let code = to_code(f.symbol, corners, f.inverted);
            if !out.iter().any(|o| same_code(o, &code)) {
                out.push(code);
            }
        }
        Ok(out)
    }

    /// Our own front end over the working image: binarise, find finder
    /// patterns, decode the most plausible triples. Also returns how many
    /// finder candidates it saw per polarity: the evidence that decides
    /// whether the slower rqrr passes are worth running.
    ///
    /// Both polarities come from one binarisation and one row scan (a
    /// light-on-dark finder is the same runs with the colours swapped), so
    /// a light-on-dark code costs no failed dark-on-light pass first. The
    /// polarity with more confirmed finders is decoded first.
    ///
    /// The half-scale pass averages 2×2 blocks first: that halves sensor
    /// noise and joins the speckle that breaks finder run lengths, at a
    /// quarter of the pixels.
    fn run_own_pass(&mut self, pass: OwnPass, w: usize, h: usize) -> OwnOutcome {
        let to_work = match pass.scale {
            Scale::Double => {
                let (uw, uh) = image::upscale2(&self.work, w, h, &mut self.scratch);
                self.bitmap.binarise(&self.scratch, uw, uh);
                0.5
            }
            Scale::Half => {
                if !self.half_ready {
                    let (dw, dh) = image::downscale2(&self.work, w, h, &mut self.half);
                    self.half_size = (dw, dh);
                    self.half_ready = true;
                }
                let (dw, dh) = self.half_size;
                self.bitmap.binarise(&self.half, dw, dh);
                2.0
            }
            Scale::Full => {
                self.bitmap.binarise(&self.work, w, h);
                1.0
            }
        };
        let share = |k: usize, full: usize| match (pass.enabled.get(k), pass.frugal.get(k)) {
            (Some(true), Some(true)) => full / 4,
            (Some(true), _) => full,
            _ => 0,
        };
        let mean_run = detect::find_finders(
            &self.bitmap,
            [&mut self.finders, &mut self.inv_finders],
            [
                share(0, detect::MAX_CONFIRMS),
                share(1, detect::MAX_CONFIRMS),
            ],
            &mut self.runs,
            detect::MAX_CANDIDATES,
        );
        let noise = mean_run.map(|m| m < detect::NOISE_RUN);
        // Pixel-scale noise forms many finder-like patterns and triples of
        // them, each a costly sampling attempt at a large dimension; a code
        // is not readable at this scale there anyway (the half-scale pass is
        // for that), so such a pass gets a quarter of the decoding budget.
        let budget = |k: usize, full: usize| {
            let starved = noise.get(k).copied().unwrap_or(false);
            if starved {
                share(k, full) / 4
            } else {
                share(k, full)
            }
        };
        let mut evidence = [0usize; 2];
        let mut any = [false; 2];
        for (k, list) in [&mut self.finders, &mut self.inv_finders]
            .into_iter()
            .enumerate()
        {
            detect::rank(list);
            if let (Some(e), Some(a)) = (evidence.get_mut(k), any.get_mut(k)) {
                *e = list.iter().filter(|f| f.is_evidence()).count();
                *a = !list.is_empty();
            }
        }
        let order: [usize; 2] = if evidence[1] > evidence[0] {
            [1, 0]
        } else {
            [0, 1]
        };
        let mut list = Vec::new();
        for k in order {
            let inverted = k == 1;
            let finders = if inverted {
                &mut self.inv_finders
            } else {
                &mut self.finders
            };
            let view = self.bitmap.view(inverted);
            let mut attempts = budget(k, detect::MAX_ATTEMPTS);
            let max_triples = budget(k, detect::MAX_TRIPLES);
            let job = Decoding {
                view,
                to_work,
                inverted,
                max_triples,
            };
            let used = job.run(finders, 0, &mut self.triples, &mut attempts, &mut list);
            // Two confirmed finders left unread: the third may be there but
            // fail the strict run test (no quiet zone on one side, blur), or
            // a small code sits inside a larger one.
            let unread = finders
                .iter()
                .enumerate()
                .filter(|(i, f)| f.is_evidence() && !used.contains(i))
                .count();
            let noisy = noise.get(k).copied().unwrap_or(false);
            if unread >= 2 && !noisy && attempts > 0 && max_triples > 0 {
                let known = finders.len();
                detect::rescue_third(view, finders, &used, RESCUE_PAIRS);
                if finders.len() > known {
                    // The found candidates passed a looser test: a small
                    // share of the budget, so texture cannot spend it all.
                    let mut spend = attempts.min(RESCUE_ATTEMPTS);
                    job.run(finders, known, &mut self.triples, &mut spend, &mut list);
                }
            }
            if !list.is_empty() && !pass.exhaustive {
                break;
            }
        }
        // Finders in pixel noise are no evidence for the fallback passes.
        for (e, &n) in evidence.iter_mut().zip(noise.iter()) {
            if n {
                *e = 0;
            }
        }
        OwnOutcome {
            found: list,
            evidence,
            noise,
            any,
        }
    }

    /// Runs one pass over the working image (`w`×`h`). Returns the decoded
    /// grids with bounds in working-image coordinates; `Err` means rqrr
    /// panicked and nothing decoded in this pass.
    fn run_pass(&mut self, pass: Pass, w: usize, h: usize) -> Result<Vec<Found>, ()> {
        let (src, sw, sh, to_work): (&[u8], usize, usize, f32) = match pass.scale {
            Scale::Full => (&self.work, w, h, 1.0),
            Scale::Half => {
                let (dw, dh) = image::downscale2(&self.work, w, h, &mut self.scratch);
                (&self.scratch, dw, dh, 2.0)
            }
            Scale::Double => {
                let (uw, uh) = image::upscale2(&self.work, w, h, &mut self.scratch);
                (&self.scratch, uw, uh, 0.5)
            }
        };
        // No virtual white quiet zone around the pass image: we tried one, and
        // it lost a fifth of the plain pass's dataset reads (rqrr's row-mean
        // window grows with the width). Edge-touching codes are read by the
        // upscaled passes instead.
        let inverted = pass.inverted;
        let prepared = if pass.local {
            image::local_threshold(src, sw, sh, inverted, &mut self.integral, &mut self.binary);
            let bin: &[u8] = &self.binary;
            catch_unwind(AssertUnwindSafe(|| {
                PreparedImage::prepare_from_bitmap(sw, sh, |x, y| {
                    bin.get(y * sw + x).is_some_and(|&v| v != 0)
                })
            }))
        } else {
            catch_unwind(AssertUnwindSafe(|| {
                PreparedImage::prepare_from_greyscale(sw, sh, |x, y| match src.get(y * sw + x) {
                    Some(&v) if inverted => 255 - v,
                    Some(&v) => v,
                    None => 255,
                })
            }))
        };
        let Ok(mut prepared) = prepared else {
            return Err(());
        };
        let to_work_coords = |p: rqrr::Point| (p.x as f32 * to_work, p.y as f32 * to_work);
        let detected = catch_unwind(AssertUnwindSafe(|| {
            prepared
                .detect_grids()
                .into_iter()
                .map(|g| (Cells::sample(&g.grid), g.bounds.map(to_work_coords)))
                .collect::<Vec<_>>()
        }));
        let Ok(detected) = detected else {
            return Err(());
        };
        let mut list = Vec::new();
        let mut faulted = false;
        for (cells, bounds) in detected {
            match catch_unwind(AssertUnwindSafe(|| bitstream::decode_grid(&cells))) {
                Ok(Ok(symbol)) => {
                    // A transposed read swaps the code's top-right and
                    // bottom-left corners relative to rqrr's bounds.
                    let bounds = if symbol.mirrored {
                        [bounds[0], bounds[3], bounds[2], bounds[1]]
                    } else {
                        bounds
                    };
                    list.push(Found {
                        symbol,
                        bounds,
                        inverted,
                    });
                }
                Ok(Err(_)) => {}
                Err(_) => faulted = true,
            }
        }
        if list.is_empty() && faulted {
            return Err(());
        }
        Ok(list)
    }
}

/// Scans a tightly packed, upright still image (PNG/JPEG/WebP turned into
/// luma) with [`ScanOptions::for_still_image`].
///
/// # Errors
/// As [`Scanner::scan`].
pub fn scan_luma(data: &[u8], width: u32, height: u32) -> Result<Vec<ScannedCode>, ScanError> {
    Scanner::new().scan(
        &LumaFrame {
            data,
            width,
            height,
            row_stride: width,
            rotation: Rotation::R0,
        },
        &ScanOptions::for_still_image(),
    )
}

/// A grid's modules copied out of rqrr's image, so decoding (and the mirrored
/// retry) reads a plain bitmap instead of re-running the perspective map.
struct Cells {
    size: usize,
    bits: Vec<bool>,
}

impl Cells {
    fn sample(grid: &dyn BitGrid) -> Self {
        // rqrr only reports versions 1..=40; anything larger decodes as nothing.
        let size = grid.size();
        if size > 177 {
            return Cells {
                size: 0,
                bits: Vec::new(),
            };
        }
        let mut bits = Vec::with_capacity(size * size);
        for y in 0..size {
            for x in 0..size {
                bits.push(grid.bit(y, x));
            }
        }
        Cells { size, bits }
    }
}

impl BitGrid for Cells {
    fn size(&self) -> usize {
        self.size
    }
    fn bit(&self, y: usize, x: usize) -> bool {
        self.bits.get(y * self.size + x).copied().unwrap_or(false)
    }
}

/// The passes to try, cheapest and most productive first.
fn plan(opts: &ScanOptions, long_side: u32) -> Vec<Pass> {
    let pass = |scale, local, inverted| Pass {
        own: false,
        scale,
        local,
        inverted,
    };
    let own = |scale| Pass {
        own: true,
        scale,
        local: false,
        inverted: false,
    };
    let mut passes = Vec::with_capacity(16);
    // Each own pass searches both polarities (when `try_inverted`).
    passes.push(own(Scale::Full));
    // Half scale needs modules of 2 px or more to remain; frames below
    // MIN_HALF_SIDE are too small for that to matter.
    if opts.try_downscaled && long_side >= MIN_HALF_SIDE {
        passes.push(own(Scale::Half));
    }
    // Small stills: modules of 1–2 px sample badly; the 2× bilinear image
    // gives the finder ratios and the sampler room.
    if opts.try_upscaled && long_side < OWN_UPSCALE_BELOW {
        passes.push(own(Scale::Double));
    }
    if !opts.try_rqrr {
        return passes;
    }
    // Light-on-dark codes get the same passes as dark-on-light ones, so a
    // code reads the same in either polarity; the evidence gate keeps the
    // inverted ones from costing anything on frames without such a code.
    let polarities: &[bool] = if opts.try_inverted {
        &[false, true]
    } else {
        &[false]
    };
    for &inv in polarities {
        if opts.try_downscaled && long_side >= DOWNSCALE_FROM {
            passes.push(pass(Scale::Half, false, inv));
        }
        passes.push(pass(Scale::Full, false, inv));
        if opts.try_local_threshold {
            passes.push(pass(Scale::Full, true, inv));
        }
    }
    if opts.try_upscaled && long_side < opts.upscale_below {
        // The plain upscaled pass read nothing the others missed on the
        // dataset once our own front end ran first; only exhaustive scans
        // keep it.
        for &inv in polarities {
            if opts.exhaustive || !opts.try_local_threshold {
                passes.push(pass(Scale::Double, false, inv));
            }
            if opts.try_local_threshold {
                passes.push(pass(Scale::Double, true, inv));
            }
        }
    }
    passes
}
/// Maps a point of the sensor frame (`w`×`h`) into the upright frame after a
/// clockwise rotation. Coordinates are continuous (pixel edges), so a corner
/// at the frame's edge stays on the edge.
fn rotate(x: f32, y: f32, w: f32, h: f32, rotation: Rotation) -> Point {
    match rotation {
        Rotation::R0 => Point { x, y },
        Rotation::R90 => Point { x: h - y, y: x },
        Rotation::R180 => Point { x: w - x, y: h - y },
        Rotation::R270 => Point { x: y, y: w - x },
    }
}

fn to_code(symbol: bitstream::Symbol, corners: [Point; 4], inverted: bool) -> ScannedCode {
    let bytes = symbol.bytes();
    let text = text::runs_to_text(&symbol.runs);
    ScannedCode {
        bytes,
        text,
        eci: symbol.first_eci(),
        corners,
        version: symbol.version,
        ec_level: match symbol.level {
            0 => EcLevel::L,
            1 => EcLevel::M,
            2 => EcLevel::Q,
            _ => EcLevel::H,
        },
        inverted,
        mirrored: symbol.mirrored,
        gs1: symbol.gs1,
        structured_append: symbol.append.map(|a| StructuredAppend {
            index: a.index,
            total: a.total,
            parity: a.parity,
        }),
    }
}

fn centre(c: &[Point; 4]) -> Point {
    let (sx, sy) = c
        .iter()
        .fold((0.0, 0.0), |(sx, sy), p| (sx + p.x, sy + p.y));
    Point {
        x: sx / 4.0,
        y: sy / 4.0,
    }
}

/// Same payload, and centres closer than half the code's diagonal: one code.
fn same_code(a: &ScannedCode, b: &ScannedCode) -> bool {
    if a.bytes != b.bytes {
        return false;
    }
    let (ca, cb) = (centre(&a.corners), centre(&b.corners));
    let diag = {
        let dx = a.corners[0].x - a.corners[2].x;
        let dy = a.corners[0].y - a.corners[2].y;
        (dx * dx + dy * dy).sqrt()
    };
    let (dx, dy) = (ca.x - cb.x, ca.y - cb.y);
    (dx * dx + dy * dy).sqrt() < diag / 2.0
}
