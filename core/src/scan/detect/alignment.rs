//! Alignment patterns: finding them near where the finders predict, telling
//! a real pattern from a lone data module by its rings, and the piecewise
//! projective grid anchored on them that large codes are sampled through.

use super::binarise::View;
use super::finder::float_px;
use super::homography::Homography;
use super::triple::Triple;

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
pub(super) struct Alignments {
    at: [(f32, f32); MAX_ALIGNMENTS],
    len: usize,
}

impl Alignments {
    pub(super) fn iter(&self) -> impl Iterator<Item = (f32, f32)> + '_ {
        self.at.iter().take(self.len).copied()
    }

    pub(super) fn first(&self) -> Option<(f32, f32)> {
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

/// Largest dimension for the bottom-right anchor search (version 5).
pub(super) const MAX_SEARCH_DIM: usize = 37;

/// Searches the bottom-right alignment pattern of a `dim` code in growing
/// windows around its affine estimate.
pub(super) fn locate_alignment(bm: View<'_>, t: &Triple, dim: usize, module: f32) -> Alignments {
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
pub(super) struct AlignmentGrid {
    pos: Vec<f32>,
    cells: Vec<Homography>,
}

impl AlignmentGrid {
    pub(super) fn build(bm: View<'_>, h: &Homography, dim: usize, module: f32) -> Option<Self> {
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

    pub(super) fn map(&self, x: f32, y: f32) -> (f32, f32) {
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
    use crate::scan::detect::binarise::Bitmap;

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
        let bm = Bitmap::from_bits(w, h, bits);
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
