//! Pixel preparation for the passes: ROI crop, 2× downscale, local-mean
//! binarisation. All functions take already-validated geometry and still read
//! through `get`, so a logic slip degrades a pass instead of panicking.

use super::frame::{LumaFrame, Region};

/// Copies `region` of `frame` into `out`, tightly packed.
pub(crate) fn crop(frame: &LumaFrame<'_>, region: Region, out: &mut Vec<u8>) {
    let (x0, w) = (region.x as usize, region.width as usize);
    let stride = frame.row_stride as usize;
    out.clear();
    out.reserve(w * region.height as usize);
    for y in region.y as usize..(region.y + region.height) as usize {
        let start = y * stride + x0;
        match frame.data.get(start..start + w) {
            Some(row) => out.extend_from_slice(row),
            None => out.resize(out.len() + w, 255),
        }
    }
}

/// Averages 2×2 blocks of `src` (`w`×`h`) into `out`; returns the new size.
/// Two rows at a time, pixel pairs by `chunks_exact`, so the loop has no
/// per-pixel bounds checks (a short buffer pads with white).
pub(crate) fn downscale2(src: &[u8], w: usize, h: usize, out: &mut Vec<u8>) -> (usize, usize) {
    let (dw, dh) = (w / 2, h / 2);
    out.clear();
    out.reserve(dw * dh);
    let mut rows = src.chunks_exact(w.max(1));
    for _ in 0..dh {
        let (Some(a), Some(b)) = (rows.next(), rows.next()) else {
            break;
        };
        out.extend(
            a.chunks_exact(2)
                .zip(b.chunks_exact(2))
                .take(dw)
                .map(|(p, q)| {
                    let (p0, p1) = (p.first().copied(), p.last().copied());
                    let (q0, q1) = (q.first().copied(), q.last().copied());
                    let sum = [p0, p1, q0, q1]
                        .into_iter()
                        .map(|v| u16::from(v.unwrap_or(255)))
                        .sum::<u16>();
                    (sum / 4) as u8
                }),
        );
    }
    out.resize(dw * dh, 255);
    (dw, dh)
}

/// Bilinear 2× upscale of `src` (`w`×`h`) into `out`; returns the new size.
/// Output pixel centres map to source coordinates `(X + 0.5) / 2 - 0.5`, so
/// a point at `p` in the output is at `p / 2` in the source.
pub(crate) fn upscale2(src: &[u8], w: usize, h: usize, out: &mut Vec<u8>) -> (usize, usize) {
    let (uw, uh) = (w * 2, h * 2);
    out.clear();
    out.reserve(uw * uh);
    let at = |x: usize, y: usize| u32::from(src.get(y * w + x).copied().unwrap_or(255));
    // Each output pixel lies a quarter pixel from its nearest source pixel:
    // weight 3/4 on it and 1/4 on the neighbour on that side (clamped).
    let taps = |i: usize, n: usize| {
        let near = i / 2;
        let far = if i % 2 == 0 {
            near.saturating_sub(1)
        } else {
            (near + 1).min(n.saturating_sub(1))
        };
        (near, far)
    };
    for y in 0..uh {
        let (yn, yf) = taps(y, h);
        for x in 0..uw {
            let (xn, xf) = taps(x, w);
            let near_row = at(xn, yn) * 3 + at(xf, yn);
            let far_row = at(xn, yf) * 3 + at(xf, yf);
            out.push(((near_row * 3 + far_row + 8) / 16) as u8);
        }
    }
    (uw, uh)
}

/// Binarises `src` against the mean of a square window around each pixel
/// (1 = dark), via an integral image. rqrr's own threshold is a running mean
/// along each row only, which fails under light gradients and shadows that
/// a 2-D window follows. Pixels need to be a margin below the mean, so flat
/// areas (sky, walls) stay light instead of turning into noise.
pub(crate) fn local_threshold(
    src: &[u8],
    w: usize,
    h: usize,
    inverted: bool,
    integral: &mut Vec<u32>,
    out: &mut Vec<u8>,
) {
    // Sums of at most 16 Mpx × 255 fit in a u32; wrapping arithmetic keeps
    // window differences exact anyway.
    let iw = w + 1;
    integral.clear();
    integral.resize(iw * (h + 1), 0);
    for y in 0..h {
        let mut row = 0u32;
        for x in 0..w {
            row = row.wrapping_add(u32::from(src.get(y * w + x).copied().unwrap_or(255)));
            let above = integral.get(y * iw + x + 1).copied().unwrap_or(0);
            if let Some(cell) = integral.get_mut((y + 1) * iw + x + 1) {
                *cell = above.wrapping_add(row);
            }
        }
    }
    // A window about a third of the image wide spans many modules of any
    // code that fills a fair part of the picture, so both colours are in it;
    // on the dataset, radius min/6 with a margin of 4 read best of the values
    // tried (min/16..min/3, margins 4..14).
    let radius = (w.min(h) / 6).clamp(8, 96);
    let ii = |x: usize, y: usize| integral.get(y * iw + x).copied().unwrap_or(0);
    out.clear();
    out.reserve(w * h);
    for y in 0..h {
        let (y0, y1) = (y.saturating_sub(radius), (y + radius + 1).min(h));
        for x in 0..w {
            let (x0, x1) = (x.saturating_sub(radius), (x + radius + 1).min(w));
            let sum = ii(x1, y1)
                .wrapping_sub(ii(x0, y1))
                .wrapping_sub(ii(x1, y0))
                .wrapping_add(ii(x0, y0));
            let n = ((x1 - x0) * (y1 - y0)) as u32;
            let v = u32::from(src.get(y * w + x).copied().unwrap_or(255));
            // dark if v < mean - 4, in integers: (v + 4)·n < sum; for a
            // light-on-dark code the light modules are the "dark" ones.
            let dark = if inverted {
                v.saturating_sub(4).saturating_mul(n) > sum
            } else {
                (v + 4).saturating_mul(n) < sum
            };
            out.push(u8::from(dark));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscale_averages_each_2x2_block() {
        let (w, h) = (7usize, 5usize);
        let src: Vec<u8> = (0..w * h).map(|i| (i * 37 % 256) as u8).collect();
        let mut out = Vec::new();
        assert_eq!(downscale2(&src, w, h, &mut out), (3, 2));
        for y in 0..2 {
            for x in 0..3 {
                let at = |xx: usize, yy: usize| u16::from(src[yy * w + xx]);
                let want = (at(2 * x, 2 * y)
                    + at(2 * x + 1, 2 * y)
                    + at(2 * x, 2 * y + 1)
                    + at(2 * x + 1, 2 * y + 1))
                    / 4;
                assert_eq!(u16::from(out[y * 3 + x]), want);
            }
        }
        // A buffer shorter than the geometry pads with white.
        assert_eq!(downscale2(&src[..w * 2], w, h, &mut out), (3, 2));
        assert_eq!(&out[3..], &[255, 255, 255]);
    }
}
