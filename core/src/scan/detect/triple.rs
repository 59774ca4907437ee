//! Finder triples: which three candidates plausibly make one code (similar
//! module sizes, about a right isosceles triangle, a dimension a code can
//! have), best first, and in code order.

use super::finder::Finder;

/// Three finders in code order: top-left, top-right, bottom-left.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Triple {
    pub(super) tl: Finder,
    pub(super) tr: Finder,
    pub(super) bl: Finder,
    /// The fourth finder centre to sample against instead of the
    /// parallelogram's (see `sample::projective_corner`).
    pub(super) corner: Option<(f32, f32)>,
    pub(super) ids: [usize; 3],
    pub(super) score: f32,
}

pub(super) fn d2(a: &Finder, b: &Finder) -> f32 {
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
