//! Block-adaptive binarisation into two bit planes, one per polarity.
//!
//! The front end's first step: one pass of block statistics and one pass
//! over the pixels give both the dark-on-light and the light-on-dark
//! reading, so the finder search can look for codes of either polarity in
//! one row scan. Every later step reads the image only through [`View`].

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
    pub(super) mask: u8,
}

impl View<'_> {
    /// Dark in this polarity; outside the image is always light (the quiet
    /// zone a cropped code lacks).
    #[inline]
    pub(super) fn dark(&self, x: usize, y: usize) -> bool {
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

/// A bitmap of given bit planes, for tests of the steps after binarisation.
#[cfg(test)]
impl Bitmap {
    pub(super) fn from_bits(w: usize, h: usize, bits: Vec<u8>) -> Bitmap {
        Bitmap {
            w,
            h,
            bits,
            ..Bitmap::default()
        }
    }
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A deterministic pseudo-random image with runs of varied length and
    /// flat patches, so both binarisation rules and odd sizes are exercised.
    pub(crate) fn test_image(w: usize, h: usize, seed: u64) -> Vec<u8> {
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
}
