//! Sampling and decoding one triple's hypothesis: the code's dimension and
//! fourth corner, anchoring on alignment patterns, reading the module grid
//! through the homography, and the timing-pattern check that drops a grid
//! sampled at chance before it costs a codeword read.

use rqrr::BitGrid;

use crate::scan::bitstream;

use super::alignment::{locate_alignment, AlignmentGrid, Alignments, MAX_SEARCH_DIM};
use super::binarise::View;
use super::finder::Finder;
use super::homography::Homography;
use super::triple::{d2, Triple};

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
