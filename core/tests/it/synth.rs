//! Synthetic camera frames of a QR code under stated degradations.
//!
//! The scanner's tests assert that a code still reads at given levels of
//! perspective, blur, noise, gamma, glare, low contrast, inversion, rotation
//! and scale, and the scan benchmark measures the tail over frames like
//! these. The input is a module matrix (from any QR encoder, e.g. the
//! `qrcode` crate's `to_colors`).
//!
//! It lives with the tests, not in the core: it is test equipment, not
//! something an app calls (ADR 0020). The scan benchmark includes this file
//! with `#[path]`, so both render the same frames.
//!
//! Rendering maps each output pixel back into the code's module grid through
//! a homography (2×2 supersampled, so edges are anti-aliased like a lens
//! would make them), then blurs, applies glare, gamma, inversion and noise,
//! in that order — roughly the order light meets a sensor. Deterministic for
//! a given seed.

use scanpay_core::scan::MAX_SIDE;

/// How to degrade the rendered code. [`Degradation::default`] is a clean,
/// upright, centred code with 4-pixel modules on a light background.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Degradation {
    /// Module size in output pixels (scale), at the code's centre.
    pub module_px: f32,
    /// Clockwise rotation of the code, in degrees.
    pub rotation_deg: f32,
    /// Keystone: the code's top edge is shortened by this fraction of its
    /// width (0 = none, 0.3 = strong tilt).
    pub perspective: f32,
    /// Box-blur radius in pixels, applied twice (about a Gaussian with
    /// sigma ≈ 0.8 × radius); 0 = sharp.
    pub blur_radius: u32,
    /// Standard deviation of additive sensor noise, in luma steps.
    pub noise_sigma: f32,
    /// Gamma applied to the luma (1 = none; 0.5 brightens, 2.2 darkens).
    pub gamma: f32,
    /// Strength of a bright glare spot over the code's upper left (0..=1).
    pub glare: f32,
    /// Difference between light and dark modules as a fraction of the
    /// full range (1 = black on white, 0.1 = grey on slightly lighter grey).
    pub contrast: f32,
    /// Light-on-dark code (and background).
    pub inverted: bool,
    /// Quiet zone in modules around the code (the standard asks for 4).
    pub quiet_zone: u32,
    /// Seed of the noise.
    pub seed: u64,
}

impl Default for Degradation {
    fn default() -> Self {
        Degradation {
            module_px: 4.0,
            rotation_deg: 0.0,
            perspective: 0.0,
            blur_radius: 0,
            noise_sigma: 0.0,
            gamma: 1.0,
            glare: 0.0,
            contrast: 0.8,
            inverted: false,
            quiet_zone: 4,
            seed: 1,
        }
    }
}

/// A rendered luma frame, tightly packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthFrame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Luma, row after row (0 = black).
    pub luma: Vec<u8>,
}

/// Why a frame could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynthError {
    /// `modules.len()` is not `size * size`, or `size` is not a QR size
    /// (21..=177).
    #[error("module matrix of {len} cells does not match a {size}x{size} code")]
    BadModules {
        /// Cells given.
        len: usize,
        /// Side given.
        size: usize,
    },
    /// The frame is empty or larger than the scanner accepts.
    #[error("frame {width}x{height} is empty or larger than {MAX_SIDE} px a side")]
    BadFrame {
        /// Width asked for.
        width: u32,
        /// Height asked for.
        height: u32,
    },
}

/// Renders the code `modules` (`size`×`size`, row-major, `true` = dark)
/// centred in a `width`×`height` frame under `d`.
///
/// # Errors
/// [`SynthError`] for a module matrix or frame size that cannot be rendered.
pub fn render(
    modules: &[bool],
    size: usize,
    width: u32,
    height: u32,
    d: &Degradation,
) -> Result<SynthFrame, SynthError> {
    if !(21..=177).contains(&size) || modules.len() != size * size {
        return Err(SynthError::BadModules {
            len: modules.len(),
            size,
        });
    }
    if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
        return Err(SynthError::BadFrame { width, height });
    }
    let (w, h) = (width as usize, height as usize);
    // The code square including its quiet zone, in module units.
    let q = d.quiet_zone as f32;
    let span = size as f32 + 2.0 * q;
    let half = span * d.module_px.max(0.1) / 2.0;
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let (sin, cos) = d.rotation_deg.to_radians().sin_cos();
    let keystone = d.perspective.clamp(0.0, 0.9);
    // Corners top-left, top-right, bottom-right, bottom-left before rotation;
    // the keystone pulls the top corners in.
    let corners = [
        (-half * (1.0 - keystone), -half),
        (half * (1.0 - keystone), -half),
        (half, half),
        (-half, half),
    ]
    .map(|(x, y)| (cx + x * cos - y * sin, cy + x * sin + y * cos));
    let to_image =
        Homography::square_to_quad(corners).ok_or(SynthError::BadFrame { width, height })?;
    let to_unit = to_image.adjoint();

    let c = d.contrast.clamp(0.0, 1.0) * 255.0;
    let (dark, light) = (127.5 - c / 2.0, 127.5 + c / 2.0);
    let background = 127.5 + c / 4.0;
    let module_at = |u: f32, v: f32| -> f32 {
        if !(0.0..1.0).contains(&u) || !(0.0..1.0).contains(&v) {
            return background;
        }
        let mx = u * span - q;
        let my = v * span - q;
        if mx < 0.0 || my < 0.0 || mx >= size as f32 || my >= size as f32 {
            return light;
        }
        let idx = my as usize * size + mx as usize;
        if modules.get(idx).copied().unwrap_or(false) {
            dark
        } else {
            light
        }
    };
    let mut px: Vec<f32> = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (u, v) = to_unit.map(x as f32 + ox, y as f32 + oy);
                sum += module_at(u, v);
            }
            px.push(sum / 4.0);
        }
    }
    for _ in 0..2 {
        box_blur(&mut px, w, h, d.blur_radius as usize);
    }
    // Glare: a bright Gaussian spot a quarter of the code up and left of its
    // centre, about a third of the code wide.
    if d.glare > 0.0 {
        let (gx, gy) = (cx - half / 2.0, cy - half / 2.0);
        let s2 = 2.0 * (half / 1.5).powi(2);
        for (i, v) in px.iter_mut().enumerate() {
            let (x, y) = ((i % w) as f32, (i / w) as f32);
            let r2 = (x - gx).powi(2) + (y - gy).powi(2);
            *v += d.glare * 255.0 * (-r2 / s2).exp();
        }
    }
    let gamma = if d.gamma > 0.0 { d.gamma } else { 1.0 };
    let mut rng = XorShift(d.seed | 1);
    let luma = px
        .into_iter()
        .map(|v| {
            let mut v = 255.0 * (v.clamp(0.0, 255.0) / 255.0).powf(gamma);
            if d.inverted {
                v = 255.0 - v;
            }
            if d.noise_sigma > 0.0 {
                v += rng.gaussian() * d.noise_sigma;
            }
            v.round().clamp(0.0, 255.0) as u8
        })
        .collect();
    Ok(SynthFrame {
        width,
        height,
        luma,
    })
}

/// Horizontal then vertical running-sum box blur of radius `r`.
fn box_blur(px: &mut [f32], w: usize, h: usize, r: usize) {
    if r == 0 {
        return;
    }
    let mut line: Vec<f32> = Vec::new();
    let mut pass =
        |len: usize, count: usize, at: &dyn Fn(usize, usize) -> usize, px: &mut [f32]| {
            for l in 0..count {
                line.clear();
                line.extend((0..len).map(|i| px.get(at(l, i)).copied().unwrap_or(0.0)));
                let get = |i: isize| -> f32 {
                    let i = i.clamp(0, len as isize - 1) as usize;
                    line.get(i).copied().unwrap_or(0.0)
                };
                let ri = r as isize;
                let mut sum: f32 = (-ri..=ri).map(get).sum();
                let n = (2 * r + 1) as f32;
                for i in 0..len {
                    if let Some(p) = px.get_mut(at(l, i)) {
                        *p = sum / n;
                    }
                    let ii = i as isize;
                    sum += get(ii + ri + 1) - get(ii - ri);
                }
            }
        };
    pass(w, h, &|row, i| row * w + i, px);
    pass(h, w, &|col, i| i * w + col, px);
}

/// Small deterministic generator; quality is irrelevant, repeatability is not.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// About a standard normal (sum of four uniforms, rescaled).
    fn gaussian(&mut self) -> f32 {
        let s: f32 = (0..4)
            .map(|_| (self.next() >> 40) as f32 / (1u64 << 24) as f32)
            .sum();
        (s - 2.0) * 1.732
    }
}

/// A projective map from the unit square to image pixels: a copy of the
/// scanner's own (`scan/detect/homography.rs`), kept here so the generator
/// shares no geometry code with the scanner it tests (a slip in the
/// scanner's map would otherwise be drawn into the frames too). The
/// arithmetic is the same, operation for operation, so the frames are the
/// ones the core's generator rendered.
#[derive(Debug, Clone, Copy)]
struct Homography([f32; 9]);

impl Homography {
    /// Unit square to quadrilateral (Heckbert).
    fn square_to_quad(q: [(f32, f32); 4]) -> Option<Self> {
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

    /// The inverse up to scale (the adjugate), which is all a projective map
    /// needs.
    fn adjoint(&self) -> Self {
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

    fn map(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        let w = g * x + h * y + i;
        ((a * x + b * y + c) / w, (d * x + e * y + f) / w)
    }
}
