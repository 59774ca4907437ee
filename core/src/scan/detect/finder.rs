//! Finder-pattern search: the 1:1:3:1:1 row scan with its vertical,
//! horizontal and diagonal cross-checks, the ranking of the candidates, and
//! the looser search for a third finder where two confirmed ones put it.

use super::binarise::{Bitmap, View};

/// Candidates kept for triple search, best confirmed first.
const KEEP_CANDIDATES: usize = 12;

/// A finder-pattern candidate: centre, module size, and how many scan rows
/// confirmed it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Finder {
    pub(super) x: f32,
    pub(super) y: f32,
    pub(super) module: f32,
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

pub(super) fn float_px(v: f32) -> Option<usize> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::detect::binarise::tests::test_image;
    use crate::scan::detect::binarise::Bitmap;

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
    fn finder_ratio_accepts_1_1_3_1_1_within_half_a_module() {
        assert!(finder_ratio(&[2, 2, 6, 2, 2]));
        assert!(finder_ratio(&[3, 2, 7, 2, 3]));
        assert!(!finder_ratio(&[2, 2, 2, 2, 2]));
        assert!(!finder_ratio(&[0, 2, 6, 2, 2]));
        assert!(!finder_ratio(&[1, 1, 1, 1, 1]));
    }
}
