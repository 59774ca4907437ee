//! Our own QR front end: block-adaptive binarisation, finder-pattern search by
//! run-length ratios, alignment-assisted perspective sampling.
//!
//! Why our own rather than rqrr's: rqrr thresholds along rows and then flood
//! fills every connected region of the image, which costs tens of
//! milliseconds on a 720p frame, most of it on frames with no code at all.
//! Scanning every few rows for the 1:1:3:1:1 run ratio of a finder pattern
//! touches each scanned pixel once and finds nothing quickly on empty and
//! noise frames; it is also rotation-invariant and, with a second bit plane
//! from the same binarisation, reads light-on-dark codes in the same scan.
//! The sampled modules go to our own bitstream decoder, exactly like rqrr's
//! grids do, so a wrong hypothesis costs one Reed–Solomon check and cannot
//! produce a false read.
//!
//! Every pixel access goes through `get`, so a geometry slip makes a
//! hypothesis fail instead of panicking.

use rqrr::BitGrid;

use super::bitstream;

/// Finder candidates collected per pass at most (noise makes many).
pub(crate) const MAX_CANDIDATES: usize = 64;
/// Candidates kept for triple search, best confirmed first.
const KEEP_CANDIDATES: usize = 12;
/// Triples tried per pass at most.
pub(crate) const MAX_TRIPLES: usize = 24;

/// Cross-checks per pass at most: the per-frame work budget of the finder
/// search (a real code needs a few dozen).
pub(crate) const MAX_CONFIRMS: usize = 400;
/// Scanned rows whose mean run is shorter than this (pixels) are taken as
/// pixel-scale noise: no code is readable there, so no fallback pass runs.
pub(crate) const NOISE_RUN: f32 = 2.5;

/// Sampling attempts per polarity and pass at most (a triple takes up to 16
/// at its candidate dimensions — up to three alignment-pattern anchors and
/// the parallelogram's corner each — plus up to 48 per dimension for the
/// bottom-right search of small codes): bounds the cost of texture that
/// forms many plausible triples. Most failing attempts stop at the timing
/// check, so a sampling costs little more than its homography.
pub(crate) const MAX_ATTEMPTS: usize = 120;

/// Side of the binariser's blocks, in pixels.
const BLOCK: usize = 8;
/// Blocks whose luma range is at most this are "flat": no edge inside.
const MIN_DYNAMIC_RANGE: u8 = 24;

/// A binarised image in both polarities: one byte per pixel, bit 0 set
/// where the pixel is dark in the dark-on-light reading, bit 1 where it is
/// dark in the light-on-dark one (the binarisation of `255 - v`).
///
/// The two readings are nearly complements, but not quite: a flat block is
/// taken as background (light) in *both*, so a flat dark quiet zone around
/// a light-on-dark code is light in its reading, which complementing the
/// dark-on-light bitmap would get wrong. Computing both planes in one pass
/// shares the block statistics and the pass over the pixels, and lets one
/// row scan look for finders of either polarity.
#[derive(Debug, Default)]
pub(crate) struct Bitmap {
    pub w: usize,
    pub h: usize,
    pub bits: Vec<u8>,
    /// Every block was flat: the frame has no edge a code could make, in
    /// either polarity or at any coarser scale.
    pub flat: bool,
    /// Per-column sum, min and max over one row of blocks.
    col_sum: Vec<u16>,
    col_min: Vec<u8>,
    col_max: Vec<u8>,
    /// Per-block (sum, min, max), reused between frames.
    stats: Vec<(u32, u8, u8)>,
    /// Per-block means, dark-on-light and light-on-dark, reused between
    /// frames.
    means: Vec<(u8, u8)>,
    /// Per-block black points, per polarity, reused between frames.
    blocks: [Vec<u8>; 2],
    /// One row of blocks' thresholds, per polarity.
    thresholds: [Vec<u8>; 2],
    /// The same, one entry per pixel column, in source luma (a pixel is
    /// dark-on-light dark at or below the first, light-on-dark dark at or
    /// above the second).
    limits: [Vec<u8>; 2],
    /// Five block rows' black points summed per block column.
    block_cols: Vec<u32>,
    /// Scratch row for the column folds.
    fold: Vec<u8>,
}

/// One polarity's reading of a [`Bitmap`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'a> {
    pub w: usize,
    pub h: usize,
    bits: &'a [u8],
    mask: u8,
}

impl View<'_> {
    /// Dark in this polarity; outside the image is always light (the quiet
    /// zone a cropped code lacks).
    #[inline]
    fn dark(&self, x: usize, y: usize) -> bool {
        x < self.w
            && self
                .bits
                .get(y * self.w + x)
                .is_some_and(|&b| b & self.mask != 0)
    }
}

impl Bitmap {
    /// The dark-on-light (`inverted` false) or light-on-dark reading.
    pub(crate) fn view(&self, inverted: bool) -> View<'_> {
        View {
            w: self.w,
            h: self.h,
            bits: &self.bits,
            mask: if inverted { 2 } else { 1 },
        }
    }

    /// Block-adaptive binarisation: each 8×8 block gets a black point (its
    /// mean, or for a flat block a value derived from its neighbours so flat
    /// areas stay light), and each pixel is compared with the average black
    /// point of the 5×5 blocks around its own. This follows shadows and
    /// gradients at a cost of two passes over the image. Both polarities
    /// are computed (see [`Bitmap`]); the light-on-dark one exactly as the
    /// same procedure on `255 - v`.
    pub(crate) fn binarise(&mut self, src: &[u8], w: usize, h: usize) {
        self.w = w;
        self.h = h;
        let bw = w.div_ceil(BLOCK);
        let bh = h.div_ceil(BLOCK);
        self.block_stats(src, w, h);
        // Every block's mean in both polarities first: a flat block next to
        // a step needs its neighbours' means.
        self.means.clear();
        for (at, &(sum, _, _)) in self.stats.iter().enumerate() {
            let (bx, by) = (at % bw.max(1), at / bw.max(1));
            let rows = (h - by * BLOCK).min(BLOCK) as u32;
            let cols = (w - bx * BLOCK).min(BLOCK) as u32;
            let n = rows * cols;
            // A whole block's mean is a shift, not a division. The
            // light-on-dark mean, of 255 - v, is 255 minus the mean
            // rounded up.
            let (down, up) = if n == (BLOCK * BLOCK) as u32 {
                (sum >> 6, (sum + 63) >> 6)
            } else {
                (
                    sum.checked_div(n).unwrap_or(0),
                    (sum + n.saturating_sub(1)).checked_div(n).unwrap_or(0),
                )
            };
            self.means
                .push((down.min(255) as u8, 255 - up.min(255) as u8));
        }
        let mut all_flat = true;
        let [normal, inverted] = &mut self.blocks;
        for blocks in [&mut *normal, &mut *inverted] {
            blocks.clear();
            blocks.resize(bw * bh, 0);
        }
        for by in 0..bh {
            for bx in 0..bw {
                let at = by * bw + bx;
                let (_, min, max) = self.stats.get(at).copied().unwrap_or((0, 0, 0));
                let (down, up) = self.means.get(at).copied().unwrap_or((0, 255));
                let flat = max.saturating_sub(min) <= MIN_DYNAMIC_RANGE;
                // An edge can lie exactly on a block boundary (a screen's
                // code at a multiple of the block size puts every module
                // edge there): each block is flat, yet the pixels on the two
                // sides differ by more than a flat block may. Such a block
                // gets the black point halfway across the step, as a block
                // straddling the edge would, rather than the background
                // guess below; without this a code at 8, 16 or 24 px per
                // module binarised to nothing.
                let (mut steps, mut across) = (0u32, (0u32, 0u32));
                if flat {
                    let neighbours = [
                        (bx > 0).then(|| at - 1),
                        (bx + 1 < bw).then_some(at + 1),
                        (by > 0).then(|| at - bw),
                        (by + 1 < bh).then_some(at + bw),
                    ];
                    for n in neighbours.into_iter().flatten() {
                        let (Some(&(_, nmin, nmax)), Some(&(nd, nu))) =
                            (self.stats.get(n), self.means.get(n))
                        else {
                            continue;
                        };
                        let gap = nmin.saturating_sub(max).max(min.saturating_sub(nmax));
                        if gap > MIN_DYNAMIC_RANGE {
                            steps += 1;
                            across = (across.0 + u32::from(nd), across.1 + u32::from(nu));
                        }
                    }
                }
                all_flat &= flat && steps == 0;
                for (blocks, avg, min, other) in [
                    (&mut *normal, down, min, across.0),
                    (&mut *inverted, up, 255 - max, across.1),
                ] {
                    let mut avg = avg;
                    if let Some(beyond) = other.checked_div(steps) {
                        avg = ((u32::from(avg) + beyond) / 2) as u8;
                    } else if flat {
                        // A flat block: assume it is light (background),
                        // unless its neighbours say it lies inside a dark
                        // area.
                        avg = min / 2;
                        if by > 0 && bx > 0 {
                            let at = |x: usize, y: usize| {
                                u32::from(blocks.get(y * bw + x).copied().unwrap_or(0))
                            };
                            let nb = (at(bx, by - 1) + 2 * at(bx - 1, by) + at(bx - 1, by - 1)) / 4;
                            if u32::from(min) < nb {
                                avg = nb as u8;
                            }
                        }
                    }
                    if let Some(b) = blocks.get_mut(at) {
                        *b = avg;
                    }
                }
            }
        }
        self.flat = all_flat;
        // Every pixel is written below unless the frame is flat, so the
        // buffer is only cleared in that case.
        self.bits.resize(w * h, 0);
        if all_flat {
            // Nothing but background: the all-light bitmap is the answer.
            self.bits.fill(0);
            return;
        }
        for by in 0..bh {
            // Thresholds: the mean black point of the 5×5 blocks around
            // each block (clamped inside the grid), one row of blocks at a
            // time, spread over the block's pixel columns.
            for k in 0..2 {
                let (Some(blocks), Some(t), Some(limit)) = (
                    self.blocks.get(k),
                    self.thresholds.get_mut(k),
                    self.limits.get_mut(k),
                ) else {
                    continue;
                };
                block_thresholds(blocks, bw, bh, by, &mut self.block_cols, t);
                limit.clear();
                for &v in t.iter() {
                    let v = if k == 1 { 255 - v } else { v };
                    limit.extend_from_slice(&[v; BLOCK]);
                }
                limit.truncate(w);
            }
            let y0 = by * BLOCK;
            let y1 = (y0 + BLOCK).min(h);
            let (Some(srows), Some(drows)) =
                (src.get(y0 * w..y1 * w), self.bits.get_mut(y0 * w..y1 * w))
            else {
                break;
            };
            let [dark_at, light_from] = &self.limits;
            for (srow, drow) in srows.chunks_exact(w).zip(drows.chunks_exact_mut(w)) {
                for ((o, &v), (&lo, &hi)) in drow
                    .iter_mut()
                    .zip(srow)
                    .zip(dark_at.iter().zip(light_from.iter()))
                {
                    *o = u8::from(v <= lo) | (u8::from(v >= hi) << 1);
                }
            }
        }
    }

    /// Per-block (sum, min, max) into `self.stats`: each row of blocks is
    /// accumulated per pixel column first (a loop the compiler vectorises),
    /// then folded into blocks eight columns at a time.
    fn block_stats(&mut self, src: &[u8], w: usize, h: usize) {
        let bw = w.div_ceil(BLOCK);
        self.stats.clear();
        self.stats.reserve(bw * h.div_ceil(BLOCK));
        // Padded to whole blocks; the padding columns keep the neutral
        // values, so they change no block's statistics.
        let padded = bw * BLOCK;
        for band in src.chunks(BLOCK * w.max(1)).take(h.div_ceil(BLOCK)) {
            self.col_sum.clear();
            self.col_sum.resize(padded, 0);
            self.col_min.clear();
            self.col_min.resize(padded, 255);
            self.col_max.clear();
            self.col_max.resize(padded, 0);
            for row in band.chunks_exact(w.max(1)) {
                for (s, &v) in self.col_sum.iter_mut().zip(row) {
                    *s += u16::from(v);
                }
                for (lo, &v) in self.col_min.iter_mut().zip(row) {
                    *lo = (*lo).min(v);
                }
                for (hi, &v) in self.col_max.iter_mut().zip(row) {
                    *hi = (*hi).max(v);
                }
            }
            // Eight-column minima and maxima by doubling windows (1, 2, 4
            // columns ahead): whole-row loops, branch-free and vectorised,
            // where a per-block fold mispredicts on every pixel.
            for step in [1usize, 2, 4] {
                fold_ahead(&mut self.col_min, &mut self.fold, step, u8::min);
                fold_ahead(&mut self.col_max, &mut self.fold, step, u8::max);
            }
            for (bx, s) in self.col_sum.chunks_exact(BLOCK).enumerate() {
                let sum = s.iter().map(|&v| u32::from(v)).sum::<u32>();
                let min = self.col_min.get(bx * BLOCK).copied().unwrap_or(0);
                let max = self.col_max.get(bx * BLOCK).copied().unwrap_or(0);
                self.stats.push((sum, min, max));
            }
        }
    }
}

/// `v[x] = f(v[x], v[x + step])` for every `x` with a neighbour `step`
/// ahead (the last `step` entries keep their value), via `tmp`.
#[inline]
fn fold_ahead(v: &mut Vec<u8>, tmp: &mut Vec<u8>, step: usize, f: fn(u8, u8) -> u8) {
    tmp.clear();
    tmp.extend(v.iter().zip(v.iter().skip(step)).map(|(&a, &b)| f(a, b)));
    tmp.extend_from_slice(v.get(v.len().saturating_sub(step)..).unwrap_or(&[]));
    std::mem::swap(v, tmp);
}

/// The mean black point of the 5×5 blocks around each block of block row
/// `by` (the window clamped inside the grid), into `out`: five rows of
/// blocks summed per column, then a five-column sum per block.
fn block_thresholds(
    blocks: &[u8],
    bw: usize,
    bh: usize,
    by: usize,
    cols: &mut Vec<u32>,
    out: &mut Vec<u8>,
) {
    let cy = by.clamp(2, bh.saturating_sub(3).max(2));
    let (y0, y1) = (cy.saturating_sub(2), (cy + 3).min(bh));
    cols.clear();
    cols.resize(bw, 0);
    for row in blocks
        .chunks_exact(bw.max(1))
        .skip(y0)
        .take(y1.saturating_sub(y0))
    {
        for (c, &v) in cols.iter_mut().zip(row) {
            *c += u32::from(v);
        }
    }
    let rows = y1.saturating_sub(y0) as u32;
    out.clear();
    for bx in 0..bw {
        let cx = bx.clamp(2, bw.saturating_sub(3).max(2));
        let window = cols
            .get(cx.saturating_sub(2)..(cx + 3).min(bw))
            .unwrap_or(&[]);
        let n = window.len() as u32 * rows;
        out.push(window.iter().sum::<u32>().checked_div(n).unwrap_or(0) as u8);
    }
}

/// A finder-pattern candidate: centre, module size, and how many scan rows
/// confirmed it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Finder {
    x: f32,
    y: f32,
    module: f32,
    count: u32,
    strong: bool,
}

impl Finder {
    /// Confirmed by its diagonal or by more than one scan row.
    pub(crate) fn is_evidence(&self) -> bool {
        self.strong || self.count > 1
    }
}

/// 1:1:3:1:1 within half a module per run: with `m = total / 7`, each
/// outer run within `m / 2` of `m` and the centre within `1.5 m` of `3 m`,
/// in integers (times 14).
#[inline]
fn finder_ratio(c: &[u32; 5]) -> bool {
    let total: u32 = c.iter().sum();
    if total < 7 || c.contains(&0) {
        return false;
    }
    let t = i64::from(total);
    let off = |v: u32, k: i64| (7 * i64::from(v) - k * t).abs() * 2;
    off(c[0], 1) < t
        && off(c[1], 1) < t
        && off(c[2], 3) < 3 * t
        && off(c[3], 1) < t
        && off(c[4], 1) < t
}

/// Counts the five runs of a finder pattern through (`cx`, `cy`) along the
/// direction (`dx`, `dy`), both ways from the centre, and how much of the
/// middle run lies backwards (centre pixel included). `None` if a run is
/// longer than `max` or the image edge comes first.
fn runs_through(
    bm: View<'_>,
    cx: usize,
    cy: usize,
    dx: isize,
    dy: isize,
    max: u32,
) -> Option<([u32; 5], u32)> {
    let step = |x: usize, y: usize, k: isize| -> Option<(usize, usize)> {
        let nx = x.checked_add_signed(dx * k)?;
        let ny = y.checked_add_signed(dy * k)?;
        (nx < bm.w && ny < bm.h).then_some((nx, ny))
    };
    let mut c = [0u32; 5];
    // Backwards: centre run, light, dark.
    let (mut x, mut y) = (cx, cy);
    if !bm.dark(x, y) {
        return None;
    }
    loop {
        if !bm.dark(x, y) {
            break;
        }
        c[2] += 1;
        (x, y) = step(x, y, -1)?;
    }
    let back = c[2];
    while !bm.dark(x, y) {
        c[1] += 1;
        if c[1] > max {
            return None;
        }
        (x, y) = step(x, y, -1)?;
    }
    while bm.dark(x, y) && c[0] <= max {
        c[0] += 1;
        match step(x, y, -1) {
            Some(p) => (x, y) = p,
            None => break,
        }
    }
    if c[0] > max {
        return None;
    }
    // Forwards: rest of the centre run, light, dark.
    let (mut x, mut y) = step(cx, cy, 1)?;
    while bm.dark(x, y) {
        c[2] += 1;
        (x, y) = step(x, y, 1)?;
    }
    while !bm.dark(x, y) {
        c[3] += 1;
        if c[3] > max {
            return None;
        }
        (x, y) = step(x, y, 1)?;
    }
    while bm.dark(x, y) && c[4] <= max {
        c[4] += 1;
        match step(x, y, 1) {
            Some(p) => (x, y) = p,
            None => break,
        }
    }
    if c[4] > max {
        return None;
    }
    Some((c, back))
}

/// Re-measures a row hit along `(dx, dy)` through `(cx, cy)`: the runs must
/// keep the finder ratio and a similar total. Returns the centre of the
/// middle run relative to `(cx, cy)`, along the direction.
fn cross_check(
    bm: View<'_>,
    cx: usize,
    cy: usize,
    dx: isize,
    dy: isize,
    total: u32,
    max: u32,
) -> Option<f32> {
    let (c, back) = runs_through(bm, cx, cy, dx, dy, max)?;
    let t: u32 = c.iter().sum();
    // Within a factor of two of the row's width: a finder seen obliquely is
    // that much narrower one way than the other (a 40 % tolerance lost
    // strongly tilted codes seen sideways); the ratio test still applies.
    if 2 * t <= total || t >= 2 * total || !finder_ratio(&c) {
        return None;
    }
    // The middle run covers offsets -(back - 1) ..= forward.
    let forward = c[2] as f32 - back as f32;
    Some((forward - back as f32 + 1.0) / 2.0)
}

/// Finds finder-pattern candidates of both polarities, scanning every
/// `skip`-th row: `out[0]` gets the dark-on-light ones, `out[1]` the
/// light-on-dark ones. Polarity `k` gets at most `confirms[k]` cross-checks
/// (0: not searched) and `max_candidates` candidates, which bounds the cost
/// of noise and fine texture.
///
/// Returns, per polarity, the mean run length (pixels per colour change) of
/// the rows scanned until its budget ran out: a frame of pixel-scale noise
/// has runs of about 2 px, a code's runs are about two modules long.
pub(crate) fn find_finders(
    bm: &Bitmap,
    out: [&mut Vec<Finder>; 2],
    confirms: [usize; 2],
    runs: &mut Vec<u32>,
    max_candidates: usize,
) -> [f32; 2] {
    let mut state = [0, 1].map(|k| Search {
        view: bm.view(k == 1),
        live: confirms.get(k).is_some_and(|&c| c > 0),
        left: confirms.get(k).copied().unwrap_or(0),
        pixels: 0,
        edges: 0,
    });
    let [normal, inverted] = out;
    normal.clear();
    inverted.clear();
    let mut lists = [normal, inverted];
    // Small enough that the three-module centre of a finder of modules about
    // 1.5 px is crossed by a scanned row in most images.
    let skip = (3 * bm.h / (4 * 97)).clamp(1, 4);
    let mut y = skip / 2;
    while y < bm.h && state.iter().any(|s| s.live) {
        let Some(row) = bm.bits.get(y * bm.w..(y + 1) * bm.w) else {
            break;
        };
        for (s, list) in state.iter_mut().zip(lists.iter_mut()) {
            if !s.live {
                continue;
            }
            row_runs(row, s.view.mask, runs);
            let first = row.first().is_some_and(|&b| b & s.view.mask != 0);
            s.pixels += row.len();
            s.edges += runs.len().saturating_sub(1) + usize::from(first);
            // Windows of five runs starting on a dark one: the first run is
            // dark when the row starts dark, then every second one.
            let mut pos = 0usize;
            let mut i = usize::from(!first);
            if let Some(&r) = runs.first().filter(|_| !first) {
                pos += r as usize;
            }
            while let Some(win) = runs.get(i..i + 5) {
                let c = [win[0], win[1], win[2], win[3], win[4]];
                if finder_ratio(&c) {
                    let end = pos + c.iter().sum::<u32>() as usize;
                    confirm(s.view, &c, end, y, list);
                    s.left = s.left.saturating_sub(1);
                    if list.len() >= max_candidates || s.left == 0 {
                        s.live = false;
                        break;
                    }
                }
                pos += (c[0] + c[1]) as usize;
                i += 2;
            }
        }
        y += skip;
    }
    state.map(|s| s.pixels as f32 / s.edges.max(1) as f32)
}

/// The run lengths of one row in the bit plane `mask` into `runs`, the
/// first run starting at x = 0 and the last ending at the row's end.
///
/// Eight pixels at a time: each byte's plane bit is compared with the
/// previous pixel's, and only the pixels where the colour changes cost
/// more than that (a row of a code changes colour every few pixels, a
/// background row rarely).
fn row_runs(row: &[u8], mask: u8, runs: &mut Vec<u32>) {
    runs.clear();
    const LOW: u64 = 0x0101_0101_0101_0101;
    let shift = mask.trailing_zeros();
    let mut prev = u64::from(row.first().is_some_and(|&b| b & mask != 0));
    let mut start = 0usize;
    let mut x = 0usize;
    let mut chunks = row.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let plane = (u64::from_le_bytes(bytes) >> shift) & LOW;
        // Bit 0 of byte i: pixel x + i differs from pixel x + i - 1.
        let mut change = plane ^ ((plane << 8) | prev);
        prev = plane >> 56;
        while change != 0 {
            let at = x + (change.trailing_zeros() / 8) as usize;
            runs.push((at - start) as u32);
            start = at;
            change &= change - 1;
        }
        x += 8;
    }
    for &b in chunks.remainder() {
        let bit = u64::from(b & mask != 0);
        if bit != prev {
            runs.push((x - start) as u32);
            start = x;
            prev = bit;
        }
        x += 1;
    }
    runs.push((row.len() - start) as u32);
}

/// One polarity's row-scan state in [`find_finders`].
struct Search<'a> {
    view: View<'a>,
    live: bool,
    /// Cross-checks left.
    left: usize,
    pixels: usize,
    edges: usize,
}

/// Cross-checks a row hit vertically, horizontally and diagonally; merges it
/// into an existing candidate or adds a new one.
fn confirm(bm: View<'_>, c: &[u32; 5], end: usize, y: usize, out: &mut Vec<Finder>) {
    let total: u32 = c.iter().sum();
    let cx = end as f32 - c[4] as f32 - c[3] as f32 - c[2] as f32 / 2.0;
    // Runs up to three times the row's centre run: room for the factor of
    // two the cross-checks allow.
    let max = c[2].max(2) * 3;
    let Some(ix) = float_px(cx) else { return };
    let Some(dyo) = cross_check(bm, ix, y, 0, 1, total, max) else {
        return;
    };
    let fy = y as f32 + dyo;
    let Some(iy) = float_px(fy + 0.5) else { return };
    let Some(dxo) = cross_check(bm, ix, iy, 1, 0, total, max) else {
        return;
    };
    let fx = ix as f32 + dxo;
    let Some(ix2) = float_px(fx + 0.5) else {
        return;
    };
    // The diagonal rejects the many 1:1:3:1:1 crossings of text and noise
    // that are not the concentric squares of a finder.
    // The diagonal tells the concentric squares of a finder from the many
    // 1:1:3:1:1 crossings of text and noise. It is not a gate (heavy ink or
    // blur can spoil a real finder's diagonal), but only such "strong"
    // candidates count as evidence for the slower fallback passes. One
    // diagonal step covers √2 pixels, so on an upright finder the step count
    // equals the row's total; rotation moves it by up to √2 either way.
    let strong = runs_through(bm, ix2, iy, 1, 1, max * 2).is_some_and(|(d, _)| {
        let t: u32 = d.iter().sum();
        !d.contains(&0) && 2 * t.abs_diff(total) < total && diag_ratio(&d)
    });
    let module = total as f32 / 7.0;
    let (px, py) = (fx + 0.5, fy + 0.5);
    for f in out.iter_mut() {
        if (f.x - px).abs() <= module
            && (f.y - py).abs() <= module
            && ((module - f.module).abs() <= 1.0 || (module - f.module).abs() <= f.module)
        {
            let n = f.count as f32;
            f.x = (f.x * n + px) / (n + 1.0);
            f.y = (f.y * n + py) / (n + 1.0);
            f.module = (f.module * n + module) / (n + 1.0);
            f.count += 1;
            f.strong |= strong;
            return;
        }
    }
    out.push(Finder {
        x: px,
        y: py,
        module,
        count: 1,
        strong,
    });
}

/// Diagonal runs are blurrier: allow three quarters of a module.
fn diag_ratio(c: &[u32; 5]) -> bool {
    let total: u32 = c.iter().sum();
    let m = total as f32 / 7.0;
    let v = m / 1.333;
    (m - c[0] as f32).abs() < v
        && (m - c[1] as f32).abs() < v
        && (3.0 * m - c[2] as f32).abs() < 3.0 * v
        && (m - c[3] as f32).abs() < v
        && (m - c[4] as f32).abs() < v
}

fn float_px(v: f32) -> Option<usize> {
    (0.0..1.0e7).contains(&v).then_some(v as usize)
}

/// Keeps the candidates most rows confirmed (ties: larger modules first,
/// since small spurious ones are the usual noise).
pub(crate) fn rank(finders: &mut Vec<Finder>) {
    finders.sort_by(|a, b| {
        (b.is_evidence(), b.count)
            .cmp(&(a.is_evidence(), a.count))
            .then(b.module.total_cmp(&a.module))
    });
    finders.truncate(KEEP_CANDIDATES);
}

/// Looks for a missing third finder where pairs of confirmed ones put it,
/// with a looser run test than the row scan's: a finder next to dark data
/// or the frame (no quiet zone on one side), or blurred into thicker rings,
/// fails 1:1:3:1:1 but still shows a light ring around a three-module dark
/// centre. Found candidates are appended to `finders` (at most `limit`
/// pairs of candidates not in `used` are tried).
///
/// For a pair that is a side of the code the third finder lies a side's
/// length away at a right angle from either end (four places); for a
/// diagonal pair, half a diagonal from its middle (two places).
pub(crate) fn rescue_third(bm: View<'_>, finders: &mut Vec<Finder>, used: &[usize], limit: usize) {
    let confirmed: Vec<Finder> = finders
        .iter()
        .enumerate()
        .filter(|(i, f)| f.is_evidence() && !used.contains(i))
        .map(|(_, f)| f)
        .take(4)
        .copied()
        .collect();
    let mut pairs = 0usize;
    for (i, a) in confirmed.iter().enumerate() {
        for b in confirmed.iter().skip(i + 1) {
            let (mn, mx) = (a.module.min(b.module), a.module.max(b.module));
            if mx > 1.5 * mn || pairs >= limit {
                continue;
            }
            pairs += 1;
            let m = (a.module + b.module) / 2.0;
            let (dx, dy) = (b.x - a.x, b.y - a.y);
            let side = (dx * dx + dy * dy).sqrt();
            if side < 10.0 * m {
                continue;
            }
            let (mx2, my2) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
            let places = [
                (a.x - dy, a.y + dx),
                (a.x + dy, a.y - dx),
                (b.x - dy, b.y + dx),
                (b.x + dy, b.y - dx),
                (mx2 - dy / 2.0, my2 + dx / 2.0),
                (mx2 + dy / 2.0, my2 - dx / 2.0),
            ];
            // Perspective moves the third finder by a fair share of the side
            // (capped, so a large code of small modules costs a bounded
            // window).
            let radius = (0.15 * side).min(24.0 * m).max(3.0 * m);
            for (px, py) in places {
                let near = |f: &Finder| (f.x - px).abs() < radius && (f.y - py).abs() < radius;
                if finders.iter().any(near) {
                    continue;
                }
                if let Some(f) = search_finder(bm, px, py, radius, m) {
                    finders.push(f);
                }
            }
        }
    }
}

/// Scans the rows within `radius` of (`px`, `py`) for a finder of module
/// `m` with the loose test of [`loose_ratio`], confirmed across; returns the
/// one nearest the estimate.
fn search_finder(bm: View<'_>, px: f32, py: f32, radius: f32, m: f32) -> Option<Finder> {
    let reach = radius + 5.0 * m;
    let x0 = float_px((px - reach).max(0.0))?;
    let x1 = float_px((px + reach).min(bm.w as f32 - 1.0))?;
    let y0 = float_px((py - radius).max(0.0))?;
    let y1 = float_px((py + radius).min(bm.h as f32 - 1.0))?;
    if x1 <= x0 + 7 || y1 <= y0 {
        return None;
    }
    // About half a module between rows, and at most 48 rows.
    let step = ((m / 2.0) as usize).max((y1 - y0) / 48).max(1);
    let mut best: Option<(f32, Finder)> = None;
    let mut runs: Vec<u32> = Vec::with_capacity(64);
    let mut y = y0;
    while y <= y1 {
        runs.clear();
        let first = bm.dark(x0, y);
        let mut prev = first;
        let mut len = 0u32;
        for x in x0..=x1 {
            let d = bm.dark(x, y);
            if d != prev {
                runs.push(len);
                len = 0;
                prev = d;
            }
            len += 1;
        }
        runs.push(len);
        let mut pos = x0;
        for (i, win) in runs.windows(5).enumerate() {
            let dark_start = (i % 2 == 0) == first;
            let c = [win[0], win[1], win[2], win[3], win[4]];
            if dark_start && loose_ratio(&c, m) {
                let cx = pos + (c[0] + c[1]) as usize + (c[2] / 2) as usize;
                if (cx as f32 - px).abs() <= radius {
                    if let Some(f) = loose_confirm(bm, cx, y, m) {
                        let d = (f.x - px).powi(2) + (f.y - py).powi(2);
                        if best.is_none_or(|(bd, _)| d < bd) {
                            best = Some((d, f));
                        }
                    }
                }
            }
            pos += c[0] as usize;
        }
        y += step;
    }
    best.map(|(_, f)| f)
}

/// Loose finder runs for module `m`: light rings of 0.4–1.8 modules, a
/// centre of 1.8–4.5 modules and clearly the widest, outer dark runs of at
/// least half a module (their far side may merge into anything).
fn loose_ratio(c: &[u32; 5], m: f32) -> bool {
    let [o0, l1, cc, l3, o4] = c.map(|v| v as f32);
    let ring = |v: f32| (0.4 * m..=1.8 * m).contains(&v);
    ring(l1)
        && ring(l3)
        && (1.8 * m..=4.5 * m).contains(&cc)
        && cc >= 1.5 * l1.max(l3)
        && o0 >= 0.5 * m
        && o4 >= 0.5 * m
}

/// Confirms a loose row hit at (`cx`, `y`) vertically, then horizontally
/// through the corrected centre.
fn loose_confirm(bm: View<'_>, cx: usize, y: usize, m: f32) -> Option<Finder> {
    let cap = (2.0 * m) as u32 + 1;
    let (cv, dyo) = capped_runs(bm, cx, y, 0, 1, cap)?;
    if !loose_ratio(&cv, m) {
        return None;
    }
    let fy = y as f32 + dyo;
    let iy = float_px(fy + 0.5)?;
    let (ch, dxo) = capped_runs(bm, cx, iy, 1, 0, cap)?;
    if !loose_ratio(&ch, m) {
        return None;
    }
    let inner = |c: &[u32; 5]| (c[1] + c[2] + c[3]) as f32 / 5.0;
    Some(Finder {
        x: cx as f32 + dxo + 0.5,
        y: fy + 0.5,
        module: (inner(&cv) + inner(&ch)) / 2.0,
        count: 1,
        strong: false,
    })
}

/// Like [`runs_through`], but the outer dark runs stop counting at `cap`
/// instead of failing (and at the image edge), and the inner runs may be at
/// most `2 cap` long. Returns the runs and the centre run's middle relative
/// to (`cx`, `cy`).
fn capped_runs(
    bm: View<'_>,
    cx: usize,
    cy: usize,
    dx: isize,
    dy: isize,
    cap: u32,
) -> Option<([u32; 5], f32)> {
    if !bm.dark(cx, cy) {
        return None;
    }
    let walk = |dir: isize| -> Option<[u32; 3]> {
        let mut c = [0u32; 3];
        let mut k = 0isize;
        let at = |k: isize| -> Option<bool> {
            let x = cx.checked_add_signed(dx * dir * k)?;
            let y = cy.checked_add_signed(dy * dir * k)?;
            (x < bm.w && y < bm.h).then(|| bm.dark(x, y))
        };
        // Centre run (from the centre pixel on), light ring, outer ring.
        while at(k)? {
            c[0] += 1;
            k += 1;
            if c[0] > 4 * cap {
                return None;
            }
        }
        while !at(k)? {
            c[1] += 1;
            k += 1;
            if c[1] > 2 * cap {
                return None;
            }
        }
        while c[2] < cap && at(k).unwrap_or(false) {
            c[2] += 1;
            k += 1;
        }
        Some(c)
    };
    let f = walk(1)?;
    let b = walk(-1)?;
    // The centre pixel was counted both ways.
    let centre = (f[0] + b[0]).saturating_sub(1);
    let offset = (f[0] as f32 - b[0] as f32) / 2.0;
    Some(([b[2], b[1], centre, f[1], f[2]], offset))
}

/// Three finders in code order: top-left, top-right, bottom-left.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Triple {
    tl: Finder,
    tr: Finder,
    bl: Finder,
    /// The fourth finder centre to sample against instead of the
    /// parallelogram's (see [`projective_corner`]).
    corner: Option<(f32, f32)>,
    ids: [usize; 3],
    score: f32,
}

fn d2(a: &Finder, b: &Finder) -> f32 {
    (a.x - b.x).powi(2) + (a.y - b.y).powi(2)
}

/// The plausible finder triples, best first: similar module sizes, about a
/// right isosceles triangle, a dimension a code can have.
pub(crate) fn triples(finders: &[Finder], out: &mut Vec<Triple>, limit: usize) {
    out.clear();
    let n = finders.len();
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                let (Some(a), Some(b), Some(c)) = (finders.get(i), finders.get(j), finders.get(k))
                else {
                    continue;
                };
                // A triple of lone, unconfirmed hits is texture more often
                // than a code: at least two must be evidence.
                let confirmed = [a, b, c].iter().filter(|f| f.is_evidence()).count();
                if confirmed < 2 {
                    continue;
                }
                let (mn, mx) = (
                    a.module.min(b.module).min(c.module),
                    a.module.max(b.module).max(c.module),
                );
                if mx > 2.0 * mn {
                    continue;
                }
                // The corner at the right angle is opposite the longest side.
                let (ab, bc, ac) = (d2(a, b), d2(b, c), d2(a, c));
                let (tl, p, q, ids, hyp, s0, s1) = if bc >= ab && bc >= ac {
                    (a, b, c, [i, j, k], bc, ab, ac)
                } else if ac >= ab && ac >= bc {
                    (b, a, c, [j, i, k], ac, ab, bc)
                } else {
                    (c, a, b, [k, i, j], ab, ac, bc)
                };
                let (short, long) = (s0.min(s1), s0.max(s1));
                if short <= 0.0 || long > 2.5 * short {
                    continue;
                }
                let right = (hyp - s0 - s1).abs() / hyp;
                if right > 0.4 {
                    continue;
                }
                let module = (a.module + b.module + c.module) / 3.0;
                let side = (s0.sqrt() + s1.sqrt()) / 2.0 / module + 7.0;
                if !(17.0..=185.0).contains(&side) {
                    continue;
                }
                let cross = (p.x - tl.x) * (q.y - tl.y) - (p.y - tl.y) * (q.x - tl.x);
                let (tr, bl, ids) = if cross > 0.0 {
                    (*p, *q, ids)
                } else {
                    (*q, *p, [ids[0], ids[2], ids[1]])
                };
                let score = right + (long / short - 1.0) * 0.5 + (mx / mn - 1.0);
                out.push(Triple {
                    tl: *tl,
                    tr,
                    bl,
                    corner: None,
                    ids,
                    score,
                });
            }
        }
    }
    out.sort_by(|a, b| a.score.total_cmp(&b.score));
    out.truncate(limit);
}

impl Triple {
    /// The finders this triple uses (indices into the candidate list).
    pub(crate) fn ids(&self) -> [usize; 3] {
        self.ids
    }
}

/// A projective map from module coordinates to image pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Homography([f32; 9]);

impl Homography {
    /// Unit square to quadrilateral (Heckbert).
    pub(crate) fn square_to_quad(q: [(f32, f32); 4]) -> Option<Self> {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let dx3 = x0 - x1 + x2 - x3;
        let dy3 = y0 - y1 + y2 - y3;
        if dx3.abs() < 1e-6 && dy3.abs() < 1e-6 {
            return Some(Homography([
                x1 - x0,
                x2 - x1,
                x0,
                y1 - y0,
                y2 - y1,
                y0,
                0.0,
                0.0,
                1.0,
            ]));
        }
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        if den.abs() < 1e-9 {
            return None;
        }
        let g = (dx3 * dy2 - dx2 * dy3) / den;
        let h = (dx1 * dy3 - dx3 * dy1) / den;
        Some(Homography([
            x1 - x0 + g * x1,
            x3 - x0 + h * x3,
            x0,
            y1 - y0 + g * y1,
            y3 - y0 + h * y3,
            y0,
            g,
            h,
            1.0,
        ]))
    }

    pub(crate) fn adjoint(&self) -> Self {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        Homography([
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ])
    }

    fn times(&self, o: &Self) -> Self {
        let a = self.0;
        let b = o.0;
        let mut r = [0.0f32; 9];
        for (idx, cell) in r.iter_mut().enumerate() {
            let (row, col) = (idx / 3, idx % 3);
            *cell = (0..3)
                .map(|k| {
                    a.get(row * 3 + k).copied().unwrap_or(0.0)
                        * b.get(k * 3 + col).copied().unwrap_or(0.0)
                })
                .sum();
        }
        Homography(r)
    }

    /// Maps quadrilateral `from` onto quadrilateral `to` (corner order
    /// matching).
    fn quad_to_quad(from: [(f32, f32); 4], to: [(f32, f32); 4]) -> Option<Self> {
        let s = Self::square_to_quad(from)?.adjoint();
        let t = Self::square_to_quad(to)?;
        Some(t.times(&s))
    }

    pub(crate) fn map(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        let w = g * x + h * y + i;
        ((a * x + b * y + c) / w, (d * x + e * y + f) / w)
    }
}

/// Sampled modules of one hypothesis.
pub(crate) struct Modules {
    size: usize,
    bits: Vec<bool>,
}

impl BitGrid for Modules {
    fn size(&self) -> usize {
        self.size
    }
    fn bit(&self, y: usize, x: usize) -> bool {
        self.bits.get(y * self.size + x).copied().unwrap_or(false)
    }
}

/// Alignment-pattern candidates one search returns at most.
const MAX_ALIGNMENTS: usize = 3;

/// Points of the 5×5 alignment pattern (out of 24: the light ring's 8 and
/// the dark ring's 16) that must have their colour for a candidate to count
/// as verified. Two may miss: the module vectors are extrapolated and a
/// ring point can land on a neighbouring module under curvature or blur.
const RING_MIN: u32 = 22;

/// One module along the code's x axis and one along its y axis, in pixels,
/// near the place searched: where the alignment pattern's rings should be.
type Axes = ((f32, f32), (f32, f32));

/// Alignment-pattern candidates near one estimate, best first.
#[derive(Debug, Clone, Copy, Default)]
struct Alignments {
    at: [(f32, f32); MAX_ALIGNMENTS],
    len: usize,
}

impl Alignments {
    fn iter(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        self.at.iter().take(self.len).copied()
    }

    fn first(&self) -> Option<(f32, f32)> {
        self.iter().next()
    }
}

/// Searches for the alignment pattern (a dark module in a light ring in a
/// dark ring) near `(ex, ey)`, within `allow` pixels.
///
/// Returns up to [`MAX_ALIGNMENTS`] candidates: those whose whole 5×5
/// pattern checks out along the code's axes (`axes`), nearest the estimate
/// first, then — when not among them — the nearest candidate that passes
/// the run test alone. A lone dark data module between two light ones
/// passes the run test as well as the pattern does, so in a busy area the
/// nearest such blob is often not the pattern; the ring check tells them
/// apart, and the nearest run-test candidate stays as a fallback for a
/// pattern whose rings are damaged. A centre dot that binarised smaller
/// than a module (ink spread, thresholding: an isolated dark module erodes
/// first) fails the run test and is taken only when its rings verify.
fn find_alignment(
    bm: View<'_>,
    ex: f32,
    ey: f32,
    module: f32,
    axes: Axes,
    allow: f32,
) -> Alignments {
    let mut out = Alignments::default();
    let (Some(x0), Some(x1), Some(y0), Some(y1)) = (
        float_px((ex - allow).max(0.0)),
        float_px((ex + allow).min(bm.w as f32 - 1.0)),
        float_px((ey - allow).max(0.0)),
        float_px((ey + allow).min(bm.h as f32 - 1.0)),
    ) else {
        return out;
    };
    if x1 <= x0 + 3 || y1 <= y0 + 3 {
        return out;
    }
    // Verified candidates (x, y, squared distance), nearest first, and the
    // nearest run-test candidate.
    let mut verified = [(0.0f32, 0.0f32, f32::INFINITY); MAX_ALIGNMENTS];
    let mut nearest: Option<(f32, f32, f32)> = None;
    let same =
        |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).powi(2) + (a.1 - b.1).powi(2) < module * module;
    for y in y0..=y1 {
        // Runs light, dark, light along the row.
        let mut runs = [0u32; 3];
        let mut prev = bm.dark(x0, y);
        let mut len = 0u32;
        for x in x0..=x1 + 1 {
            let d = if x > x1 { !prev } else { bm.dark(x, y) };
            if d == prev {
                len += 1;
                continue;
            }
            // A run of colour `prev` ended at x - 1.
            runs = [runs[1], runs[2], len];
            prev = d;
            len = 1;
            // Only when a light run just ended can light(runs0), dark(runs1),
            // light(runs2) have been completed.
            if !d {
                continue;
            }
            let across = ring_runs(runs, module);
            if across == RingRuns::No {
                continue;
            }
            // Centre of the dark run.
            let cx = x as f32 - runs[2] as f32 - runs[1] as f32 / 2.0;
            let Some((cy, down)) = vertical_alignment(bm, cx, y, module) else {
                continue;
            };
            let strict = across == RingRuns::Strict && down == RingRuns::Strict;
            let dist = (cx - ex).powi(2) + (cy - ey).powi(2);
            if strict && nearest.is_none_or(|n| dist < n.2) {
                nearest = Some((cx, cy, dist));
            }
            if ring_matches(bm, (cx, cy), axes) < RING_MIN {
                continue;
            }
            // The same pattern is crossed by several rows: keep it once.
            if let Some(v) = verified.iter_mut().find(|v| same((v.0, v.1), (cx, cy))) {
                if dist < v.2 {
                    *v = (cx, cy, dist);
                }
            } else if let Some(last) = verified.last_mut().filter(|l| dist < l.2) {
                *last = (cx, cy, dist);
            }
            verified.sort_by(|a, b| a.2.total_cmp(&b.2));
        }
    }
    for v in verified.iter().filter(|v| v.2.is_finite()) {
        if let Some(slot) = out.at.get_mut(out.len) {
            *slot = (v.0, v.1);
            out.len += 1;
        }
    }
    if let Some((nx, ny, _)) = nearest {
        if !out.iter().any(|p| same(p, (nx, ny))) {
            // The fallback takes the last place when all are taken.
            let i = out.len.min(MAX_ALIGNMENTS - 1);
            if let Some(slot) = out.at.get_mut(i) {
                *slot = (nx, ny);
                out.len = i + 1;
            }
        }
    }
    out
}

/// How a light, dark, light run triple fits an alignment pattern's centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RingRuns {
    No,
    /// Each run about a module.
    Strict,
    /// A dark centre thinner than a module in a light ring of the right
    /// width: acceptable only when the rings verify.
    Eroded,
}

fn ring_runs(runs: [u32; 3], module: f32) -> RingRuns {
    let ok = |c: u32| (c as f32 - module).abs() < module / 2.0 + 0.5;
    if runs.iter().all(|&c| ok(c)) {
        return RingRuns::Strict;
    }
    let [l1, d, l2] = runs.map(|c| c as f32);
    let eroded = d >= 1.0
        && d <= module
        && l1.min(l2) >= module / 2.0
        && (l1 - l2).abs() <= module / 2.0 + 1.0
        && (l1 + d + l2 - 3.0 * module).abs() <= module;
    if eroded {
        RingRuns::Eroded
    } else {
        RingRuns::No
    }
}

/// The column through `cx` checked for the same light, dark, light runs as
/// the row `y`: the centre's y and how the column's runs fit.
fn vertical_alignment(bm: View<'_>, cx: f32, y: usize, module: f32) -> Option<(f32, RingRuns)> {
    let x = float_px(cx)?;
    if !bm.dark(x, y) {
        return None;
    }
    let lim = (module * 2.0) as u32 + 2;
    let (mut up, mut yy) = (0u32, y);
    while bm.dark(x, yy) && up <= lim {
        up += 1;
        yy = yy.checked_sub(1)?;
    }
    let mut light_up = 0;
    while !bm.dark(x, yy) && light_up <= lim {
        light_up += 1;
        yy = yy.checked_sub(1)?;
    }
    let (mut down, mut yy) = (0u32, y + 1);
    while bm.dark(x, yy) && down <= lim && yy < bm.h {
        down += 1;
        yy += 1;
    }
    let mut light_down = 0;
    while !bm.dark(x, yy) && light_down <= lim && yy < bm.h {
        light_down += 1;
        yy += 1;
    }
    let centre = up + down;
    let fit = ring_runs([light_up, centre, light_down], module);
    (fit != RingRuns::No).then(|| (y as f32 - up as f32 + 1.0 + centre as f32 / 2.0, fit))
}

/// How many of the alignment pattern's 24 ring points around `(cx, cy)`
/// have their colour: light one module out (8), dark two modules out (16),
/// stepping along the code's own axes, so a rotated or sheared code is
/// checked as well as an upright one.
fn ring_matches(bm: View<'_>, (cx, cy): (f32, f32), ((ux, uy), (vx, vy)): Axes) -> u32 {
    let mut hits = 0;
    for j in -2i32..=2 {
        for i in -2i32..=2 {
            let ring = i.abs().max(j.abs());
            if ring == 0 {
                continue;
            }
            let (fi, fj) = (i as f32, j as f32);
            let (px, py) = (cx + fi * ux + fj * vx, cy + fi * uy + fj * vy);
            // Outside the image reads light (see `View::dark`).
            let dark = px >= 0.0 && py >= 0.0 && bm.dark(px as usize, py as usize);
            hits += u32::from(dark == (ring == 2));
        }
    }
    hits
}

/// A decoded hypothesis: the symbol and its corners (top-left, top-right,
/// bottom-right, bottom-left of the code, in bitmap pixels).
pub(crate) struct Decoded {
    pub symbol: bitstream::Symbol,
    pub bounds: [(f32, f32); 4],
}

/// Samples and decodes the code the triple implies, trying the estimated
/// dimension first and then its neighbours.
///
/// Every sampling attempt spends one unit of `budget`; at zero it stops.
pub(crate) fn decode_triple(bm: View<'_>, t: &Triple, budget: &mut usize) -> Option<Decoded> {
    let module = (t.tl.module + t.tr.module + t.bl.module) / 3.0;
    let dist = |a: &Finder, b: &Finder| d2(a, b).sqrt();
    // Module size per edge: under perspective the finders' sizes differ, and
    // each side's length is best measured in its own ends' modules.
    let est = (dist(&t.tl, &t.tr) / ((t.tl.module + t.tr.module) / 2.0)
        + dist(&t.tl, &t.bl) / ((t.tl.module + t.bl.module) / 2.0))
        / 2.0
        + 7.0;
    let snap = |e: f32| (((e - 17.0) / 4.0).round() * 4.0 + 17.0).clamp(21.0, 177.0) as usize;
    // The same, with each edge measured in modules along that edge: a
    // finder seen obliquely is narrower along one axis than the other, and
    // the row scan measured it across, not along the edge.
    let along = |a: &Finder, b: &Finder| -> Option<f32> {
        let m = (finder_width_along(bm, a, b)? + finder_width_along(bm, b, a)?) / 14.0;
        Some(dist(a, b) / m)
    };
    let edge_est = along(&t.tl, &t.tr)
        .zip(along(&t.tl, &t.bl))
        .map(|(a, b)| (a + b) / 2.0 + 7.0);
    let base = edge_est.map_or(snap(est), snap);
    // Dimensions to try, likeliest first: the along-edge estimate, the
    // row-scan one when it differs, then the along-edge one's neighbours.
    let mut dims = [Some(base), None, Some(base + 4), base.checked_sub(4)];
    if snap(est) != base {
        dims[1] = Some(snap(est));
        if dims[2] == dims[1] {
            dims[2] = None;
        }
        if dims[3] == dims[1] {
            dims[3] = None;
        }
    }
    let mut refine_anchor = None;
    for dim in dims.into_iter().flatten() {
        if !(21..=177).contains(&dim) {
            continue;
        }
        // Each dimension moves the alignment pattern's estimate by a few
        // modules, so each gets its own search.
        let alignments = if dim > 21 {
            locate_alignment(bm, t, dim, module)
        } else {
            Alignments::default()
        };
        if dim == base {
            refine_anchor = alignments.first();
        }
        // Each alignment candidate as the anchor, best first (a wrong one
        // mostly fails the timing check, cheaply), then the parallelogram.
        for anchor in alignments.iter().map(Some).chain([None]) {
            if *budget == 0 {
                return None;
            }
            *budget -= 1;
            if let Some(d) = sample_and_decode(bm, t, dim, module, anchor, (0.0, 0.0), false) {
                return Some(d);
            }
        }
    }
    // Version 7 and up: a curved or tilted sheet bends the grid between the
    // corners; locate every alignment pattern and sample cell by cell.
    if base >= 45 && *budget > 0 {
        *budget -= 1;
        if let Some(d) = sample_and_decode(bm, t, base, module, refine_anchor, (0.0, 0.0), true) {
            return Some(d);
        }
    }
    // Strong perspective: the finders' module sizes place the fourth corner
    // (see `projective_corner`); a small search around it, when it is more
    // than a module from the parallelogram's.
    let projective = projective_corner(t).filter(|&(x, y)| {
        let (px, py) = (t.tr.x - t.tl.x + t.bl.x, t.tr.y - t.tl.y + t.bl.y);
        (x - px).powi(2) + (y - py).powi(2) > module * module
    });
    if let Some(corner) = projective {
        let tp = Triple {
            corner: Some(corner),
            ..*t
        };
        for dim in dims.into_iter().flatten() {
            if !(21..=MAX_SEARCH_DIM).contains(&dim) {
                continue;
            }
            for dy in [0.0f32, -1.0, 1.0] {
                for dx in [0.0f32, -1.0, 1.0] {
                    if *budget == 0 {
                        return None;
                    }
                    *budget -= 1;
                    if let Some(d) = sample_and_decode(bm, &tp, dim, module, None, (dx, dy), false)
                    {
                        return Some(d);
                    }
                }
            }
        }
    }
    // Perspective: three finder centres fix an affine map, and the
    // parallelogram's fourth corner can be modules away from the real one
    // (no alignment pattern in version 1, or none found). Search the
    // bottom-right anchor on a grid around the estimate; Reed–Solomon tells
    // the right one. Small codes only, where a module is a large share of
    // the code and the search is cheap (a wrong anchor is mostly rejected
    // by the timing check, before any decoding). Under strong perspective
    // the dimension estimate is off too, so each candidate dimension gets
    // its search, the likeliest first.
    for dim in dims.into_iter().flatten() {
        if !(21..=MAX_SEARCH_DIM).contains(&dim) {
            continue;
        }
        let reach: &[f32] = if dim <= 29 {
            &[-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
        } else {
            &[-2.0, -1.0, 0.0, 1.0, 2.0]
        };
        for &dy in reach {
            for &dx in reach {
                if dx == 0.0 && dy == 0.0 {
                    continue;
                }
                if *budget == 0 {
                    return None;
                }
                *budget -= 1;
                if let Some(d) = sample_and_decode(bm, t, dim, module, None, (dx, dy), false) {
                    return Some(d);
                }
            }
        }
    }
    None
}

/// The width of finder `f` (pixels, about 7 modules) measured along the
/// line towards `to`: from its centre, the dark centre, light ring and dark
/// ring up to the light beyond, both ways.
fn finder_width_along(bm: View<'_>, f: &Finder, to: &Finder) -> Option<f32> {
    let (dx, dy) = (to.x - f.x, to.y - f.y);
    let s = dx.abs().max(dy.abs());
    if s < 1.0 {
        return None;
    }
    // Unit steps along the major axis; each covers `len` pixels.
    let (sx, sy) = (dx / s, dy / s);
    let len = (sx * sx + sy * sy).sqrt();
    let limit = (f.module * 12.0) as usize + 4;
    let half = |dir: f32| -> Option<f32> {
        let mut state = 0u8;
        for i in 0..limit {
            let x = f.x + dir * sx * i as f32;
            let y = f.y + dir * sy * i as f32;
            if x < 0.0 || y < 0.0 {
                return None;
            }
            let dark = bm.dark(x as usize, y as usize);
            state = match (state, dark) {
                (0, false) => 1,
                (1, true) => 2,
                (2, false) => return Some(i as f32 * len),
                (s, _) => s,
            };
        }
        None
    };
    Some(half(1.0)? + half(-1.0)?)
}

/// The fourth finder-centre position under perspective, from the three
/// finder centres and their module sizes: a projective map's local scale
/// goes as `w^(-3/2)` of its denominator `w`, which is affine over the
/// code, and so is the numerator `w·p`; the parallelogram rule holds for
/// both. `None` when the sizes are too uneven to trust.
fn projective_corner(t: &Triple) -> Option<(f32, f32)> {
    let weight = |f: &Finder| (t.tl.module / f.module).powf(2.0 / 3.0);
    let (wr, wb) = (weight(&t.tr), weight(&t.bl));
    let w = wr + wb - 1.0;
    if !(0.3..=3.0).contains(&wr) || !(0.3..=3.0).contains(&wb) || w < 0.3 {
        return None;
    }
    let x = (t.tr.x * wr + t.bl.x * wb - t.tl.x) / w;
    let y = (t.tr.y * wr + t.bl.y * wb - t.tl.y) / w;
    Some((x, y))
}

/// Largest dimension for the bottom-right anchor search (version 5).
const MAX_SEARCH_DIM: usize = 37;

/// Searches the bottom-right alignment pattern of a `dim` code in growing
/// windows around its affine estimate.
fn locate_alignment(bm: View<'_>, t: &Triple, dim: usize, module: f32) -> Alignments {
    let n = dim as f32;
    let (tl, tr, bl) = (t.tl, t.tr, t.bl);
    let br = (tr.x - tl.x + bl.x, tr.y - tl.y + bl.y);
    let k = 1.0 - 3.0 / (n - 7.0);
    let ex = tl.x + k * (br.0 - tl.x);
    let ey = tl.y + k * (br.1 - tl.y);
    // The module size near the bottom-right, extrapolated from the finders
    // (smaller there when the code tilts away).
    let local = (tr.module + bl.module - tl.module).clamp(module * 0.5, module * 1.5);
    // The code's module vectors from the finder centres, scaled to that
    // local size: the directions the pattern's rings are checked along.
    let s = local / module / (n - 7.0);
    let axes = (
        ((tr.x - tl.x) * s, (tr.y - tl.y) * s),
        ((bl.x - tl.x) * s, (bl.y - tl.y) * s),
    );
    [4.0, 8.0, 16.0]
        .into_iter()
        .map(|allow| find_alignment(bm, ex, ey, local, axes, allow * module))
        .find(|a| a.len > 0)
        .unwrap_or_default()
}

/// `alignment`: anchor the bottom-right on this alignment-pattern centre
/// (version 2 and up); without it, on the parallelogram's corner moved by
/// `shift` modules. `refine`: sample through every alignment pattern.
fn sample_and_decode(
    bm: View<'_>,
    t: &Triple,
    dim: usize,
    module: f32,
    alignment: Option<(f32, f32)>,
    shift: (f32, f32),
    refine: bool,
) -> Option<Decoded> {
    let n = dim as f32;
    let (tl, tr, bl) = (t.tl, t.tr, t.bl);
    // `shift` moves the fourth corner (the parallelogram's, or `t.corner`
    // when set) by whole modules along the code's own axes.
    let span = (n - 7.0).max(1.0);
    let (ux, uy) = ((tr.x - tl.x) / span, (tr.y - tl.y) / span);
    let (vx, vy) = ((bl.x - tl.x) / span, (bl.y - tl.y) / span);
    let (cx, cy) = t.corner.unwrap_or((tr.x - tl.x + bl.x, tr.y - tl.y + bl.y));
    let br = (
        cx + shift.0 * ux + shift.1 * vx,
        cy + shift.0 * uy + shift.1 * vy,
    );
    // Where the bottom-right corner's reference point sits, and which module
    // coordinate it stands for: the alignment pattern's centre for version 2
    // and up when found, else the parallelogram's fourth finder centre.
    let anchor = match alignment {
        Some(p) if dim > 21 => (p, n - 6.5),
        _ => (br, n - 3.5),
    };
    let (p, m) = anchor;
    let h = Homography::quad_to_quad(
        [(3.5, 3.5), (n - 3.5, 3.5), (m, m), (3.5, n - 3.5)],
        [(tl.x, tl.y), (tr.x, tr.y), p, (bl.x, bl.y)],
    )?;
    let grid = if refine {
        AlignmentGrid::build(bm, &h, dim, module)
    } else {
        None
    };
    // A few modules past the edge are read as light (a cropped photo, or an
    // estimate a little off); far past it (`None`), the hypothesis is wrong.
    let slack = 2.0 * module;
    let sample = |x: usize, y: usize| -> Option<bool> {
        let (mx, my) = (x as f32 + 0.5, y as f32 + 0.5);
        let (px, py) = match &grid {
            Some(g) => g.map(mx, my),
            None => h.map(mx, my),
        };
        let inside =
            px > -slack && py > -slack && px < bm.w as f32 + slack && py < bm.h as f32 + slack;
        inside.then(|| px >= 0.0 && py >= 0.0 && bm.dark(px as usize, py as usize))
    };
    // The timing patterns first: most wrong hypotheses end here, after a
    // few dozen samples instead of the whole grid.
    let (mut agree, mut total) = (0usize, 0usize);
    for i in 8..dim.saturating_sub(8) {
        let expected = i % 2 == 0;
        agree += usize::from(sample(i, 6)? == expected) + usize::from(sample(6, i)? == expected);
        total += 2;
    }
    if !timing_plausible(agree, total) {
        return None;
    }
    let mut bits = Vec::with_capacity(dim * dim);
    for y in 0..dim {
        for x in 0..dim {
            bits.push(sample(x, y)?);
        }
    }
    let grid = Modules { size: dim, bits };
    let r = bitstream::decode_grid(&grid);
    let symbol = r.ok()?;
    let bounds = [(0.0, 0.0), (n, 0.0), (n, n), (0.0, n)].map(|(x, y)| h.map(x, y));
    Some(Decoded { symbol, bounds })
}

/// The timing patterns (row and column 6 between the finders, alternating
/// from dark) mostly agree with the sampled modules (`agree` of `total`). A wrong hypothesis, or
/// finders found in noise, samples them at chance (half); a readable code
/// gets nearly all, since Reed–Solomon could not repair a grid sampled that
/// badly anyway. This keeps noise from paying for a full codeword read per
/// attempt, where a chance format match (likely: the format code corrects
/// three of fifteen bits) would otherwise send it.
fn timing_plausible(agree: usize, total: usize) -> bool {
    total > 0 && 10 * agree >= 6 * total
}

/// Alignment-pattern centres (module coordinates) of the version with side
/// `dim` (ISO/IEC 18004 table E.1, computed).
fn alignment_positions(dim: usize) -> Vec<usize> {
    let version = (dim.saturating_sub(17)) / 4;
    if version < 2 {
        return Vec::new();
    }
    let count = version / 7 + 2;
    let step = if version == 32 {
        26
    } else {
        (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
    };
    let mut out = vec![6];
    let mut pos = dim - 7;
    while out.len() < count {
        out.insert(1, pos);
        pos = pos.saturating_sub(step);
    }
    out
}

/// Piecewise projective sampling: one homography per cell of the
/// alignment-pattern grid, each anchored on the patterns found at its
/// corners (or their predicted places).
struct AlignmentGrid {
    pos: Vec<f32>,
    cells: Vec<Homography>,
}

impl AlignmentGrid {
    fn build(bm: View<'_>, h: &Homography, dim: usize, module: f32) -> Option<Self> {
        let pos: Vec<f32> = alignment_positions(dim)
            .iter()
            .map(|&p| p as f32 + 0.5)
            .collect();
        let k = pos.len();
        if k < 3 {
            return None;
        }
        let mut anchors = Vec::with_capacity(k * k);
        for (j, &y) in pos.iter().enumerate() {
            for (i, &x) in pos.iter().enumerate() {
                let predicted = h.map(x, y);
                let finder_corner = (i == 0 && (j == 0 || j == k - 1)) || (j == 0 && i == k - 1);
                let p = if finder_corner {
                    predicted
                } else {
                    // The code's module vectors here, for the ring check.
                    let along = |(ax, ay): (f32, f32), (bx, by): (f32, f32)| (bx - ax, by - ay);
                    let axes = (
                        along(h.map(x - 0.5, y), h.map(x + 0.5, y)),
                        along(h.map(x, y - 0.5), h.map(x, y + 0.5)),
                    );
                    find_alignment(bm, predicted.0, predicted.1, module, axes, 3.0 * module)
                        .first()
                        .unwrap_or(predicted)
                };
                anchors.push(p);
            }
        }
        let at = |i: usize, j: usize| anchors.get(j * k + i).copied().unwrap_or((0.0, 0.0));
        let mut cells = Vec::with_capacity((k - 1) * (k - 1));
        for j in 0..k - 1 {
            for i in 0..k - 1 {
                let (x0, x1) = (pos.get(i).copied()?, pos.get(i + 1).copied()?);
                let (y0, y1) = (pos.get(j).copied()?, pos.get(j + 1).copied()?);
                cells.push(Homography::quad_to_quad(
                    [(x0, y0), (x1, y0), (x1, y1), (x0, y1)],
                    [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)],
                )?);
            }
        }
        Some(AlignmentGrid { pos, cells })
    }

    fn map(&self, x: f32, y: f32) -> (f32, f32) {
        let k = self.pos.len();
        let cell = |c: f32| {
            self.pos
                .iter()
                .skip(1)
                .take(k.saturating_sub(2))
                .filter(|&&p| p <= c)
                .count()
        };
        let (i, j) = (cell(x), cell(y));
        match self.cells.get(j * (k - 1) + i) {
            Some(h) => h.map(x, y),
            None => (f32::NAN, f32::NAN),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random image with runs of varied length and
    /// flat patches, so both binarisation rules and odd sizes are exercised.
    fn test_image(w: usize, h: usize, seed: u64) -> Vec<u8> {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut px = Vec::with_capacity(w * h);
        for y in 0..h {
            let mut v = (next() % 256) as u8;
            let mut left = 0u64;
            for x in 0..w {
                if left == 0 {
                    v = (next() % 256) as u8;
                    left = next() % 9 + 1;
                }
                left -= 1;
                // A flat band in the middle rows, darker on the left.
                let flat = (h / 3..h / 2).contains(&y);
                px.push(if flat { 40 + (x % 3) as u8 } else { v });
            }
        }
        px
    }

    #[test]
    fn light_on_dark_plane_is_the_binarisation_of_the_inverted_image() {
        let mut images: Vec<(Vec<u8>, usize, usize)> =
            [(64, 48, 1), (61, 37, 7), (203, 91, 42), (21, 21, 3)]
                .into_iter()
                .map(|(w, h, seed)| (test_image(w, h, seed), w, h))
                .collect();
        for (side, levels) in [(8, (0, 255, 0)), (16, (60, 200, 10)), (24, (100, 140, 0))] {
            images.push((squares(99, 75, side, levels, side as u64), 99, 75));
        }
        for (src, w, h) in images {
            let inv: Vec<u8> = src.iter().map(|&v| 255 - v).collect();
            let (mut a, mut b) = (Bitmap::default(), Bitmap::default());
            a.binarise(&src, w, h);
            b.binarise(&inv, w, h);
            for (i, (&pa, &pb)) in a.bits.iter().zip(&b.bits).enumerate() {
                assert_eq!(pa >> 1, pb & 1, "{w}x{h} pixel {i}");
                assert_eq!(pa & 1, pb >> 1, "{w}x{h} pixel {i}");
            }
        }
    }

    /// The dark-on-light plane, straight from the definition: block means
    /// (flat blocks: halfway to the mean of the neighbours across a step of
    /// more than the flat range, if any; else half their minimum, or their
    /// neighbours' black point when that is brighter than their minimum),
    /// 5×5 block averages clamped inside the grid, dark at or below.
    fn reference_plane(src: &[u8], w: usize, h: usize) -> Vec<u8> {
        let (bw, bh) = (w.div_ceil(BLOCK), h.div_ceil(BLOCK));
        // (mean, min, max) per block.
        let mut stats = vec![(0u32, 0u8, 0u8); bw * bh];
        for by in 0..bh {
            for bx in 0..bw {
                let (mut sum, mut n, mut lo, mut hi) = (0u32, 0u32, 255u8, 0u8);
                for y in by * BLOCK..((by + 1) * BLOCK).min(h) {
                    for x in bx * BLOCK..((bx + 1) * BLOCK).min(w) {
                        let v = src[y * w + x];
                        sum += u32::from(v);
                        n += 1;
                        lo = lo.min(v);
                        hi = hi.max(v);
                    }
                }
                stats[by * bw + bx] = (sum / n, lo, hi);
            }
        }
        let mut black = vec![0u32; bw * bh];
        for by in 0..bh {
            for bx in 0..bw {
                let (mut avg, lo, hi) = stats[by * bw + bx];
                if hi - lo <= MIN_DYNAMIC_RANGE {
                    let mut across = Vec::new();
                    for (nx, ny) in [
                        (bx.wrapping_sub(1), by),
                        (bx + 1, by),
                        (bx, by.wrapping_sub(1)),
                        (bx, by + 1),
                    ] {
                        if nx < bw && ny < bh {
                            let (mean, nlo, nhi) = stats[ny * bw + nx];
                            if nlo > hi && nlo - hi > MIN_DYNAMIC_RANGE
                                || lo > nhi && lo - nhi > MIN_DYNAMIC_RANGE
                            {
                                across.push(mean);
                            }
                        }
                    }
                    if across.is_empty() {
                        avg = u32::from(lo / 2);
                        if by > 0 && bx > 0 {
                            let at = |x: usize, y: usize| black[y * bw + x];
                            let nb = (at(bx, by - 1) + 2 * at(bx - 1, by) + at(bx - 1, by - 1)) / 4;
                            if u32::from(lo) < nb {
                                avg = nb;
                            }
                        }
                    } else {
                        let n = across.len() as u32;
                        avg = (avg + across.iter().sum::<u32>() / n) / 2;
                    }
                }
                black[by * bw + bx] = avg;
            }
        }
        let mut out = vec![0u8; w * h];
        for y in 0..h {
            for x in 0..w {
                let cy = (y / BLOCK).clamp(2, bh.saturating_sub(3).max(2));
                let cx = (x / BLOCK).clamp(2, bw.saturating_sub(3).max(2));
                let (mut sum, mut n) = (0u32, 0u32);
                for yy in cy.saturating_sub(2)..(cy + 3).min(bh) {
                    for xx in cx.saturating_sub(2)..(cx + 3).min(bw) {
                        sum += black[yy * bw + xx];
                        n += 1;
                    }
                }
                out[y * w + x] = u8::from(u32::from(src[y * w + x]) <= sum / n);
            }
        }
        out
    }

    /// Squares of `side` px, dark (`lo`) or light (`hi`) at random inside a
    /// light margin one square wide (a quiet zone), with noise of
    /// ± `jitter`: at a multiple of the block size every block lies inside
    /// one square, so every edge lies on a block boundary.
    fn squares(
        w: usize,
        h: usize,
        side: usize,
        (lo, hi, jitter): (u8, u8, u8),
        seed: u64,
    ) -> Vec<u8> {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let cols = w.div_ceil(side);
        let dark: Vec<bool> = (0..cols * h.div_ceil(side))
            .map(|_| next() % 2 == 0)
            .collect();
        let mut px = Vec::with_capacity(w * h);
        for y in 0..h {
            for x in 0..w {
                let (sx, sy) = (x / side, y / side);
                let inside = sx > 0 && sy > 0 && (sx + 1) * side < w && (sy + 1) * side < h;
                let base = if inside && dark[sy * cols + sx] {
                    lo
                } else {
                    hi
                };
                let j = (next() % (2 * u64::from(jitter) + 1)) as u8;
                px.push(base.saturating_add(j).saturating_sub(jitter));
            }
        }
        px
    }

    #[test]
    fn dark_on_light_plane_matches_the_definition() {
        let mut images: Vec<(Vec<u8>, usize, usize)> =
            [(64, 48, 1), (61, 37, 7), (203, 91, 42), (21, 21, 3)]
                .into_iter()
                .map(|(w, h, seed)| (test_image(w, h, seed), w, h))
                .collect();
        for (side, levels) in [
            (8, (0, 255, 0)),
            (16, (60, 200, 10)),
            (24, (100, 140, 0)),
            (12, (30, 220, 5)),
        ] {
            images.push((squares(99, 75, side, levels, side as u64), 99, 75));
        }
        for (src, w, h) in images {
            let mut bm = Bitmap::default();
            bm.binarise(&src, w, h);
            let plane: Vec<u8> = bm.bits.iter().map(|&b| b & 1).collect();
            assert_eq!(plane, reference_plane(&src, w, h), "{w}x{h}");
        }
    }

    #[test]
    fn edges_on_block_boundaries_binarise() {
        // Before the step rule every block here was flat, the frame was
        // taken for an empty one, and the bitmap was all light. (The
        // light-on-dark plane is this one's of the inverted image: the test
        // above covers it.)
        for (side, levels) in [(8, (0, 255, 0)), (16, (20, 230, 8)), (24, (100, 140, 0))] {
            let (w, h) = (96, 96);
            let src = squares(w, h, side, levels, 5);
            let mut bm = Bitmap::default();
            bm.binarise(&src, w, h);
            assert!(!bm.flat, "{side} px squares taken for a flat frame");
            let mid = levels.0 / 2 + levels.1 / 2;
            let dark_px = src.iter().filter(|&&v| v < mid).count();
            assert!(dark_px > w * h / 8, "{side} px: {dark_px} dark pixels");
            for (i, (&b, &v)) in bm.bits.iter().zip(&src).enumerate() {
                assert_eq!(b & 1 != 0, v < mid, "{side} px squares, pixel {i} ({v})");
            }
        }
        // A smooth gradient (2 levels a pixel: every block flat, no step
        // between blocks) stays a flat frame.
        let (w, h) = (96, 72);
        let src: Vec<u8> = (0..w * h).map(|i| 40 + ((i % w) * 2) as u8).collect();
        let mut bm = Bitmap::default();
        bm.binarise(&src, w, h);
        assert!(bm.flat);
    }

    #[test]
    fn row_runs_match_a_plain_run_length_count() {
        let src = test_image(203, 5, 9);
        let mut bm = Bitmap::default();
        bm.binarise(&src, 203, 5);
        let mut runs = Vec::new();
        for row in bm.bits.chunks(203) {
            for mask in [1u8, 2] {
                row_runs(row, mask, &mut runs);
                let mut plain: Vec<u32> = Vec::new();
                let mut prev = None;
                for &b in row {
                    let d = b & mask != 0;
                    match plain.last_mut() {
                        Some(n) if prev == Some(d) => *n += 1,
                        _ => plain.push(1),
                    }
                    prev = Some(d);
                }
                assert_eq!(runs, plain);
            }
        }
    }

    #[test]
    fn alignment_positions_match_the_standard_table() {
        let v = |version: usize| alignment_positions(17 + 4 * version);
        assert!(v(1).is_empty());
        assert_eq!(v(2), [6, 18]);
        assert_eq!(v(7), [6, 22, 38]);
        assert_eq!(v(15), [6, 26, 48, 70]);
        assert_eq!(v(32), [6, 34, 60, 86, 112, 138]);
        assert_eq!(v(36), [6, 24, 50, 76, 102, 128, 154]);
        assert_eq!(v(40), [6, 30, 58, 86, 114, 142, 170]);
    }

    #[test]
    fn quad_to_quad_maps_corners_onto_corners() {
        let from = [(3.5, 3.5), (21.5, 3.5), (18.5, 18.5), (3.5, 21.5)];
        let to = [(10.0, 12.0), (200.0, 30.0), (170.0, 190.0), (5.0, 160.0)];
        let Some(h) = Homography::quad_to_quad(from, to) else {
            panic!("degenerate");
        };
        for (f, t) in from.iter().zip(to) {
            let (x, y) = h.map(f.0, f.1);
            assert!(
                (x - t.0).abs() < 1e-2 && (y - t.1).abs() < 1e-2,
                "{f:?} -> {x},{y}"
            );
        }
        // Three collinear points are no quadrilateral.
        assert!(
            Homography::square_to_quad([(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]).is_none()
        );
    }

    #[test]
    fn finder_ratio_accepts_1_1_3_1_1_within_half_a_module() {
        assert!(finder_ratio(&[2, 2, 6, 2, 2]));
        assert!(finder_ratio(&[3, 2, 7, 2, 3]));
        assert!(!finder_ratio(&[2, 2, 2, 2, 2]));
        assert!(!finder_ratio(&[0, 2, 6, 2, 2]));
        assert!(!finder_ratio(&[1, 1, 1, 1, 1]));
    }

    #[test]
    fn alignment_search_prefers_a_verified_pattern_with_an_eroded_centre() {
        // 4 px modules. A real alignment pattern (dark ring 30..50, light
        // ring 34..46) whose centre dot binarised to 2×1 px, as in a
        // printed version-7 code on curved paper, and nearer the estimate a
        // lone dark module with light beside it and dark beyond along the
        // axes only: the run test accepts it, the ring check does not.
        let (w, h) = (60usize, 60usize);
        let mut bits = vec![0u8; w * h];
        let mut fill = |x0: usize, x1: usize, y0: usize, y1: usize, v: u8| {
            for y in y0..y1 {
                for x in x0..x1 {
                    if let Some(b) = bits.get_mut(y * w + x) {
                        *b = v;
                    }
                }
            }
        };
        fill(30, 50, 30, 50, 1);
        fill(34, 46, 34, 46, 0);
        fill(39, 41, 40, 41, 1);
        fill(20, 24, 20, 24, 1);
        fill(12, 16, 20, 24, 1);
        fill(28, 30, 20, 24, 1);
        fill(20, 24, 12, 16, 1);
        fill(20, 24, 28, 30, 1);
        let bm = Bitmap {
            w,
            h,
            bits,
            ..Bitmap::default()
        };
        let view = bm.view(false);
        let axes = ((4.0, 0.0), (0.0, 4.0));
        assert_eq!(ring_matches(view, (40.0, 40.5), axes), 24);
        assert!(ring_matches(view, (22.0, 22.0), axes) < RING_MIN);
        let found = find_alignment(view, 30.0, 30.0, 4.0, axes, 20.0);
        let near =
            |p: (f32, f32), q: (f32, f32)| (p.0 - q.0).abs() < 1.0 && (p.1 - q.1).abs() < 1.0;
        let Some(first) = found.first() else {
            panic!("no candidate");
        };
        assert!(near(first, (40.0, 40.5)), "{found:?}");
        // The nearest run-test candidate stays as the fallback.
        assert!(found.iter().any(|p| near(p, (22.0, 22.0))), "{found:?}");
        assert_eq!(found.len, 2, "{found:?}");
    }

    #[test]
    fn eroded_centre_runs_need_a_light_ring_three_modules_wide() {
        assert_eq!(ring_runs([4, 4, 4], 4.0), RingRuns::Strict);
        assert_eq!(ring_runs([6, 1, 5], 4.0), RingRuns::Eroded);
        assert_eq!(ring_runs([5, 2, 4], 3.6), RingRuns::Strict);
        assert_eq!(ring_runs([4, 1, 4], 3.6), RingRuns::Eroded);
        // A speck in a wide light area, or off centre, is no ring.
        assert_eq!(ring_runs([9, 1, 9], 4.0), RingRuns::No);
        assert_eq!(ring_runs([2, 1, 9], 4.0), RingRuns::No);
        assert_eq!(ring_runs([4, 0, 4], 4.0), RingRuns::No);
    }
}
