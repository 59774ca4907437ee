//! Our own QR front end: block-adaptive binarisation, finder-pattern search by
//! run-length ratios, alignment-assisted perspective sampling.
//!
//! Why our own rather than rqrr's: rqrr thresholds along rows and then flood
//! fills every connected region of the image, which costs tens of
//! milliseconds on a 720p frame, most of it on frames with no code at all.
//! Scanning every few rows for the 1:1:3:1:1 run ratio of a finder pattern
//! touches each scanned pixel once and finds nothing quickly on empty and
//! noise frames; it is also rotation-invariant and, by flipping the bitmap,
//! reads light-on-dark codes at the same cost. The sampled modules go to
//! our own bitstream decoder, exactly like rqrr's grids do, so a wrong
//! hypothesis costs one Reed–Solomon check and cannot produce a false read.
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

/// Sampling attempts per pass at most (a triple takes up to 6, or 30 with
/// the bottom-right search): bounds the cost of texture that forms many
/// plausible triples.
pub(crate) const MAX_ATTEMPTS: usize = 60;

/// Side of the binariser's blocks, in pixels.
const BLOCK: usize = 8;
/// Blocks whose luma range is at most this are "flat": no edge inside.
const MIN_DYNAMIC_RANGE: u8 = 24;

/// A binarised image: one byte per pixel, 1 = dark.
#[derive(Debug, Default)]
pub(crate) struct Bitmap {
    pub w: usize,
    pub h: usize,
    pub bits: Vec<u8>,
    /// Per-block black points, reused between frames.
    blocks: Vec<u8>,
    /// Every block was flat: the frame has no edge a code could make, in
    /// either polarity or at any coarser scale.
    pub flat: bool,
    /// Per-block (sum, min, max), reused between frames.
    stats: Vec<(u32, u8, u8)>,
    /// One row of blocks' thresholds.
    thresholds: Vec<u8>,
}

impl Bitmap {
    #[inline]
    fn dark(&self, x: usize, y: usize) -> bool {
        x < self.w && self.bits.get(y * self.w + x).is_some_and(|&b| b != 0)
    }

    /// Block-adaptive binarisation: each 8×8 block gets a black point (its
    /// mean, or for a flat block a value derived from its neighbours so flat
    /// areas stay light), and each pixel is compared with the average black
    /// point of the 5×5 blocks around its own. This follows shadows and
    /// gradients at a cost of two passes over the image.
    ///
    /// `inverted` binarises `255 - v`, so a light-on-dark code comes out as
    /// a normal one; flipping the plain bitmap would not do, because a flat
    /// dark quiet zone is taken for background (light) before the flip.
    pub(crate) fn binarise(&mut self, src: &[u8], w: usize, h: usize, inverted: bool) {
        let flip = if inverted { 255u8 } else { 0 };
        self.w = w;
        self.h = h;
        let bw = w.div_ceil(BLOCK);
        let bh = h.div_ceil(BLOCK);
        // Block statistics in one streaming pass over the rows (8-pixel
        // chunks of each row add into their block's sum, min and max).
        self.stats.clear();
        self.stats.resize(bw * bh, (0, 255, 0));
        for (y, row) in src.chunks_exact(w.max(1)).take(h).enumerate() {
            let base = (y / BLOCK) * bw;
            let Some(acc) = self.stats.get_mut(base..base + bw) else {
                break;
            };
            for (chunk, a) in row.chunks(BLOCK).zip(acc.iter_mut()) {
                let (mut sum, mut min, mut max) = (0u32, 255u8, 0u8);
                for &v in chunk {
                    let v = v ^ flip;
                    sum += u32::from(v);
                    min = min.min(v);
                    max = max.max(v);
                }
                a.0 += sum;
                a.1 = a.1.min(min);
                a.2 = a.2.max(max);
            }
        }
        self.blocks.clear();
        self.blocks.resize(bw * bh, 0);
        let mut all_flat = true;
        for by in 0..bh {
            let rows = (h - by * BLOCK).min(BLOCK) as u32;
            for bx in 0..bw {
                let cols = (w - bx * BLOCK).min(BLOCK) as u32;
                let (sum, min, max) = self.stats.get(by * bw + bx).copied().unwrap_or((0, 0, 0));
                let mut avg = sum.checked_div(rows * cols).unwrap_or(0) as u8;
                let flat = max.saturating_sub(min) <= MIN_DYNAMIC_RANGE;
                all_flat &= flat;
                if flat {
                    // A flat block: assume it is light (background), unless
                    // its neighbours say it lies inside a dark area.
                    avg = min / 2;
                    if by > 0 && bx > 0 {
                        let at = |x: usize, y: usize| {
                            u32::from(self.blocks.get(y * bw + x).copied().unwrap_or(0))
                        };
                        let nb = (at(bx, by - 1) + 2 * at(bx - 1, by) + at(bx - 1, by - 1)) / 4;
                        if u32::from(min) < nb {
                            avg = nb as u8;
                        }
                    }
                }
                if let Some(b) = self.blocks.get_mut(by * bw + bx) {
                    *b = avg;
                }
            }
        }
        self.flat = all_flat;
        self.bits.clear();
        self.bits.resize(w * h, 0);
        if all_flat {
            // Nothing but background: the all-light bitmap is the answer.
            return;
        }
        // Thresholds: the mean black point of the 5×5 blocks around each
        // block (clamped inside the grid), one row of blocks at a time.
        self.thresholds.clear();
        self.thresholds.resize(bw, 0);
        for by in 0..bh {
            let cy = by.clamp(2, bh.saturating_sub(3).max(2));
            for (bx, t) in self.thresholds.iter_mut().enumerate() {
                let cx = bx.clamp(2, bw.saturating_sub(3).max(2));
                let (mut sum, mut n) = (0u32, 0u32);
                for yy in cy.saturating_sub(2)..(cy + 3).min(bh) {
                    if let Some(r) = self
                        .blocks
                        .get(yy * bw + cx.saturating_sub(2)..yy * bw + (cx + 3).min(bw))
                    {
                        sum += r.iter().map(|&v| u32::from(v)).sum::<u32>();
                        n += r.len() as u32;
                    }
                }
                *t = sum.checked_div(n).unwrap_or(0) as u8;
            }
            let y0 = by * BLOCK;
            let y1 = (y0 + BLOCK).min(h);
            let (Some(srows), Some(drows)) =
                (src.get(y0 * w..y1 * w), self.bits.get_mut(y0 * w..y1 * w))
            else {
                break;
            };
            for (srow, drow) in srows.chunks_exact(w).zip(drows.chunks_exact_mut(w)) {
                for ((sc, dc), &t) in srow
                    .chunks(BLOCK)
                    .zip(drow.chunks_mut(BLOCK))
                    .zip(self.thresholds.iter())
                {
                    for (o, &v) in dc.iter_mut().zip(sc) {
                        *o = u8::from((v ^ flip) <= t);
                    }
                }
            }
        }
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

/// 1:1:3:1:1 within half a module per run.
fn finder_ratio(c: &[u32; 5]) -> bool {
    let total: u32 = c.iter().sum();
    if total < 7 || c.contains(&0) {
        return false;
    }
    let m = total as f32 / 7.0;
    let v = m / 2.0;
    (m - c[0] as f32).abs() < v
        && (m - c[1] as f32).abs() < v
        && (3.0 * m - c[2] as f32).abs() < 3.0 * v
        && (m - c[3] as f32).abs() < v
        && (m - c[4] as f32).abs() < v
}

/// Counts the five runs of a finder pattern through (`cx`, `cy`) along the
/// direction (`dx`, `dy`), both ways from the centre, and how much of the
/// middle run lies backwards (centre pixel included). `None` if a run is
/// longer than `max` or the image edge comes first.
fn runs_through(
    bm: &Bitmap,
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
    bm: &Bitmap,
    cx: usize,
    cy: usize,
    dx: isize,
    dy: isize,
    total: u32,
    max: u32,
) -> Option<f32> {
    let (c, back) = runs_through(bm, cx, cy, dx, dy, max)?;
    let t: u32 = c.iter().sum();
    if 5 * t.abs_diff(total) >= 2 * total || !finder_ratio(&c) {
        return None;
    }
    // The middle run covers offsets -(back - 1) ..= forward.
    let forward = c[2] as f32 - back as f32;
    Some((forward - back as f32 + 1.0) / 2.0)
}

/// Finds finder-pattern candidates, scanning every `skip`-th row.
///
/// Returns the mean run length (pixels per colour change) of the scanned
/// rows: a frame of pixel-scale noise has runs of about 2 px, a code's runs
/// are about two modules long. The search stops after [`MAX_CONFIRMS`]
/// cross-checks (`max_confirms` at most [`MAX_CONFIRMS`]), which bounds the
/// cost of noise and fine texture.
pub(crate) fn find_finders(
    bm: &Bitmap,
    out: &mut Vec<Finder>,
    max_candidates: usize,
    max_confirms: usize,
) -> f32 {
    out.clear();
    let (mut edges, mut pixels, mut confirms) = (0usize, 0usize, 0usize);
    // Small enough that the three-module centre of a finder of modules about
    // 1.5 px is crossed by a scanned row in most images.
    let skip = (3 * bm.h / (4 * 97)).clamp(1, 4);
    let mut y = skip / 2;
    while y < bm.h {
        let row = bm.bits.get(y * bm.w..(y + 1) * bm.w).unwrap_or(&[]);
        let mut c = [0u32; 5];
        let mut state = 0usize;
        let mut prev = 0u8;
        pixels += row.len();
        for (x, &b) in row.iter().enumerate() {
            edges += usize::from(b != prev);
            prev = b;
            let dark = b != 0;
            if dark {
                if state % 2 == 1 {
                    state += 1;
                }
                if let Some(v) = c.get_mut(state) {
                    *v += 1;
                }
            } else if state % 2 == 1 {
                if let Some(v) = c.get_mut(state) {
                    *v += 1;
                }
            } else if state == 0 && c[0] == 0 {
                // Light before any dark run: nothing to count yet.
            } else if state < 4 {
                state += 1;
                if let Some(v) = c.get_mut(state) {
                    *v += 1;
                }
            } else {
                // End of a dark-light-dark-light-dark sequence at x.
                if finder_ratio(&c) {
                    confirm(bm, &c, x, y, out);
                    confirms += 1;
                    if out.len() >= max_candidates || confirms >= max_confirms {
                        return pixels as f32 / edges.max(1) as f32;
                    }
                }
                c = [c[2], c[3], c[4], 1, 0];
                state = 3;
            }
        }
        if state == 4 && finder_ratio(&c) {
            confirm(bm, &c, bm.w, y, out);
        }
        y += skip;
    }
    pixels as f32 / edges.max(1) as f32
}

/// Cross-checks a row hit vertically, horizontally and diagonally; merges it
/// into an existing candidate or adds a new one.
fn confirm(bm: &Bitmap, c: &[u32; 5], end: usize, y: usize, out: &mut Vec<Finder>) {
    let total: u32 = c.iter().sum();
    let cx = end as f32 - c[4] as f32 - c[3] as f32 - c[2] as f32 / 2.0;
    let max = c[2].max(2) * 2;
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

/// Three finders in code order: top-left, top-right, bottom-left.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Triple {
    tl: Finder,
    tr: Finder,
    bl: Finder,
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

/// Searches for the alignment pattern (a dark module in a light ring) near
/// `(ex, ey)`, within `allow` pixels; returns the candidate nearest the
/// estimate.
fn find_alignment(bm: &Bitmap, ex: f32, ey: f32, module: f32, allow: f32) -> Option<(f32, f32)> {
    let x0 = float_px((ex - allow).max(0.0))?;
    let x1 = float_px((ex + allow).min(bm.w as f32 - 1.0))?;
    let y0 = float_px((ey - allow).max(0.0))?;
    let y1 = float_px((ey + allow).min(bm.h as f32 - 1.0))?;
    if x1 <= x0 + 3 || y1 <= y0 + 3 {
        return None;
    }
    let ok = |c: u32| (c as f32 - module).abs() < module / 2.0 + 0.5;
    let mut best: Option<(f32, f32, f32)> = None;
    for y in y0..=y1 {
        // Runs light, dark, light along the row, each about a module.
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
            if !prev && ok(runs[0]) && ok(runs[1]) && ok(runs[2]) {
                // light(runs0) dark(runs1) light(runs2): centre of the dark run.
                let cx = x as f32 - runs[2] as f32 - runs[1] as f32 / 2.0;
                if let Some(cy) = vertical_alignment(bm, cx, y, module, &ok) {
                    let dist = (cx - ex).powi(2) + (cy - ey).powi(2);
                    if best.is_none_or(|b| dist < b.2) {
                        best = Some((cx, cy, dist));
                    }
                }
            }
            prev = d;
            len = 1;
        }
    }
    best.map(|(x, y, _)| (x, y))
}

fn vertical_alignment(
    bm: &Bitmap,
    cx: f32,
    y: usize,
    module: f32,
    ok: &dyn Fn(u32) -> bool,
) -> Option<f32> {
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
    (ok(centre) && ok(light_up) && ok(light_down))
        .then(|| y as f32 - up as f32 + 1.0 + centre as f32 / 2.0)
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
pub(crate) fn decode_triple(bm: &Bitmap, t: &Triple, budget: &mut usize) -> Option<Decoded> {
    let module = (t.tl.module + t.tr.module + t.bl.module) / 3.0;
    let dist = |a: &Finder, b: &Finder| d2(a, b).sqrt();
    // Module size per edge: under perspective the finders' sizes differ, and
    // each side's length is best measured in its own ends' modules.
    let est = (dist(&t.tl, &t.tr) / ((t.tl.module + t.tr.module) / 2.0)
        + dist(&t.tl, &t.bl) / ((t.tl.module + t.bl.module) / 2.0))
        / 2.0
        + 7.0;
    let base = (((est - 17.0) / 4.0).round() * 4.0 + 17.0).clamp(21.0, 177.0) as usize;
    let mut refine_anchor = None;
    for dim in [base, base + 4, base.saturating_sub(4)] {
        if !(21..=177).contains(&dim) {
            continue;
        }
        // Each dimension moves the alignment pattern's estimate by a few
        // modules, so each gets its own search.
        let alignment = if dim > 21 {
            locate_alignment(bm, t, dim, module)
        } else {
            None
        };
        if dim == base {
            refine_anchor = alignment;
        }
        for use_alignment in [true, false] {
            if use_alignment && alignment.is_none() {
                continue;
            }
            if *budget == 0 {
                return None;
            }
            *budget -= 1;
            let anchor = alignment.filter(|_| use_alignment);
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
    // Perspective: three finder centres fix an affine map, and the
    // parallelogram's fourth corner can be modules away from the real one
    // (no alignment pattern in version 1, or none found). Search the
    // bottom-right anchor on a grid around the estimate; Reed–Solomon tells
    // the right one. Small codes only, where a module is a large share of
    // the code and the search is cheap.
    if base <= MAX_SEARCH_DIM {
        for dy in [-2.0f32, -1.0, 0.0, 1.0, 2.0] {
            for dx in [-2.0f32, -1.0, 0.0, 1.0, 2.0] {
                if dx == 0.0 && dy == 0.0 {
                    continue;
                }
                if *budget == 0 {
                    return None;
                }
                *budget -= 1;
                if let Some(d) = sample_and_decode(bm, t, base, module, None, (dx, dy), false) {
                    return Some(d);
                }
            }
        }
    }
    None
}

/// Largest dimension for the bottom-right anchor search (version 5).
const MAX_SEARCH_DIM: usize = 37;

/// Searches the bottom-right alignment pattern of a `dim` code in growing
/// windows around its affine estimate.
fn locate_alignment(bm: &Bitmap, t: &Triple, dim: usize, module: f32) -> Option<(f32, f32)> {
    let n = dim as f32;
    let (tl, tr, bl) = (t.tl, t.tr, t.bl);
    let br = (tr.x - tl.x + bl.x, tr.y - tl.y + bl.y);
    let k = 1.0 - 3.0 / (n - 7.0);
    let ex = tl.x + k * (br.0 - tl.x);
    let ey = tl.y + k * (br.1 - tl.y);
    // The module size near the bottom-right, extrapolated from the finders
    // (smaller there when the code tilts away).
    let local = (tr.module + bl.module - tl.module).clamp(module * 0.5, module * 1.5);
    [4.0, 8.0, 16.0]
        .into_iter()
        .find_map(|allow| find_alignment(bm, ex, ey, local, allow * module))
}

/// `alignment`: anchor the bottom-right on this alignment-pattern centre
/// (version 2 and up); without it, on the parallelogram's corner moved by
/// `shift` modules. `refine`: sample through every alignment pattern.
fn sample_and_decode(
    bm: &Bitmap,
    t: &Triple,
    dim: usize,
    module: f32,
    alignment: Option<(f32, f32)>,
    shift: (f32, f32),
    refine: bool,
) -> Option<Decoded> {
    let n = dim as f32;
    let (tl, tr, bl) = (t.tl, t.tr, t.bl);
    // `shift` moves the parallelogram's fourth corner by whole modules along
    // the code's own axes.
    let span = (n - 7.0).max(1.0);
    let (ux, uy) = ((tr.x - tl.x) / span, (tr.y - tl.y) / span);
    let (vx, vy) = ((bl.x - tl.x) / span, (bl.y - tl.y) / span);
    let br = (
        tr.x - tl.x + bl.x + shift.0 * ux + shift.1 * vx,
        tr.y - tl.y + bl.y + shift.0 * uy + shift.1 * vy,
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
    let mut bits = Vec::with_capacity(dim * dim);
    for y in 0..dim {
        for x in 0..dim {
            let (mx, my) = (x as f32 + 0.5, y as f32 + 0.5);
            let (px, py) = match &grid {
                Some(g) => g.map(mx, my),
                None => h.map(mx, my),
            };
            // A few modules past the edge are read as light (a cropped
            // photo, or an estimate a little off); far past it, the
            // hypothesis is wrong.
            let slack = 2.0 * module;
            let inside =
                px > -slack && py > -slack && px < bm.w as f32 + slack && py < bm.h as f32 + slack;
            if !inside {
                return None;
            }
            bits.push(px >= 0.0 && py >= 0.0 && bm.dark(px as usize, py as usize));
        }
    }
    let grid = Modules { size: dim, bits };
    let r = bitstream::decode_grid(&grid);
    let symbol = r.ok()?;
    let bounds = [(0.0, 0.0), (n, 0.0), (n, n), (0.0, n)].map(|(x, y)| h.map(x, y));
    Some(Decoded { symbol, bounds })
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
    fn build(bm: &Bitmap, h: &Homography, dim: usize, module: f32) -> Option<Self> {
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
                    find_alignment(bm, predicted.0, predicted.1, module, 3.0 * module)
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
}
