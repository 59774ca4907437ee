//! The projective map from a code's module grid to image pixels that every
//! sampling goes through.

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
    pub(super) fn quad_to_quad(from: [(f32, f32); 4], to: [(f32, f32); 4]) -> Option<Self> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
