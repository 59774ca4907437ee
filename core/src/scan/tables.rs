//! Reed–Solomon block structure of every QR version and error-correction level
//! (ISO/IEC 18004, table 9). rqrr keeps its copy private, and decoding the data
//! bitstream ourselves (for ECI and raw bytes) needs it.

/// One level's block layout: `ns` short blocks of `bs` codewords of which `dw`
/// are data; any remaining codewords form long blocks one codeword longer
/// (one more data codeword each).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Blocks {
    /// Codewords in a short block (data + error correction).
    pub bs: usize,
    /// Data codewords in a short block.
    pub dw: usize,
    /// Number of short blocks.
    pub ns: usize,
}

/// One version: total codewords and the layout per level, indexed L, M, Q, H.
#[derive(Debug, Clone, Copy)]
pub(crate) struct VersionBlocks {
    /// All codewords in the symbol (data + error correction).
    pub total: usize,
    /// Layouts in the order L, M, Q, H.
    pub levels: [Blocks; 4],
}

const fn b(bs: usize, dw: usize, ns: usize) -> Blocks {
    Blocks { bs, dw, ns }
}

const fn v(total: usize, levels: [Blocks; 4]) -> VersionBlocks {
    VersionBlocks { total, levels }
}

/// Versions 1..=40 at indices 0..=39.
pub(crate) const VERSIONS: [VersionBlocks; 40] = [
    v(26, [b(26, 19, 1), b(26, 16, 1), b(26, 13, 1), b(26, 9, 1)]), // 1
    v(44, [b(44, 34, 1), b(44, 28, 1), b(44, 22, 1), b(44, 16, 1)]), // 2
    v(70, [b(70, 55, 1), b(70, 44, 1), b(35, 17, 2), b(35, 13, 2)]), // 3
    v(
        100,
        [b(100, 80, 1), b(50, 32, 2), b(50, 24, 2), b(25, 9, 4)],
    ), // 4
    v(
        134,
        [b(134, 108, 1), b(67, 43, 2), b(33, 15, 2), b(33, 11, 2)],
    ), // 5
    v(
        172,
        [b(86, 68, 2), b(43, 27, 4), b(43, 19, 4), b(43, 15, 4)],
    ), // 6
    v(
        196,
        [b(98, 78, 2), b(49, 31, 4), b(32, 14, 2), b(39, 13, 4)],
    ), // 7
    v(
        242,
        [b(121, 97, 2), b(60, 38, 2), b(40, 18, 4), b(40, 14, 4)],
    ), // 8
    v(
        292,
        [b(146, 116, 2), b(58, 36, 3), b(36, 16, 4), b(36, 12, 4)],
    ), // 9
    v(
        346,
        [b(86, 68, 2), b(69, 43, 4), b(43, 19, 6), b(43, 15, 6)],
    ), // 10
    v(
        404,
        [b(101, 81, 4), b(80, 50, 1), b(50, 22, 4), b(36, 12, 3)],
    ), // 11
    v(
        466,
        [b(116, 92, 2), b(58, 36, 6), b(46, 20, 4), b(42, 14, 7)],
    ), // 12
    v(
        532,
        [b(133, 107, 4), b(59, 37, 8), b(44, 20, 8), b(33, 11, 12)],
    ), // 13
    v(
        581,
        [b(145, 115, 3), b(64, 40, 4), b(36, 16, 11), b(36, 12, 11)],
    ), // 14
    v(
        655,
        [b(109, 87, 5), b(65, 41, 5), b(54, 24, 5), b(36, 12, 11)],
    ), // 15
    v(
        733,
        [b(122, 98, 5), b(73, 45, 7), b(43, 19, 15), b(45, 15, 3)],
    ), // 16
    v(
        815,
        [b(135, 107, 1), b(74, 46, 10), b(50, 22, 1), b(42, 14, 2)],
    ), // 17
    v(
        901,
        [b(150, 120, 5), b(69, 43, 9), b(50, 22, 17), b(42, 14, 2)],
    ), // 18
    v(
        991,
        [b(141, 113, 3), b(70, 44, 3), b(47, 21, 17), b(39, 13, 9)],
    ), // 19
    v(
        1085,
        [b(135, 107, 3), b(67, 41, 3), b(54, 24, 15), b(43, 15, 15)],
    ), // 20
    v(
        1156,
        [b(144, 116, 4), b(68, 42, 17), b(50, 22, 17), b(46, 16, 19)],
    ), // 21
    v(
        1258,
        [b(139, 111, 2), b(74, 46, 17), b(54, 24, 7), b(37, 13, 34)],
    ), // 22
    v(
        1364,
        [b(151, 121, 4), b(75, 47, 4), b(54, 24, 11), b(45, 15, 16)],
    ), // 23
    v(
        1474,
        [b(147, 117, 6), b(73, 45, 6), b(54, 24, 11), b(46, 16, 30)],
    ), // 24
    v(
        1588,
        [b(132, 106, 8), b(75, 47, 8), b(54, 24, 7), b(45, 15, 22)],
    ), // 25
    v(
        1706,
        [b(142, 114, 10), b(74, 46, 19), b(50, 22, 28), b(46, 16, 33)],
    ), // 26
    v(
        1828,
        [b(152, 122, 8), b(73, 45, 22), b(53, 23, 8), b(45, 15, 12)],
    ), // 27
    v(
        1921,
        [b(147, 117, 3), b(73, 45, 3), b(54, 24, 4), b(45, 15, 11)],
    ), // 28
    v(
        2051,
        [b(146, 116, 7), b(73, 45, 21), b(53, 23, 1), b(45, 15, 19)],
    ), // 29
    v(
        2185,
        [b(145, 115, 5), b(75, 47, 19), b(54, 24, 15), b(45, 15, 23)],
    ), // 30
    v(
        2323,
        [b(145, 115, 13), b(74, 46, 2), b(54, 24, 42), b(45, 15, 23)],
    ), // 31
    v(
        2465,
        [b(145, 115, 17), b(74, 46, 10), b(54, 24, 10), b(45, 15, 19)],
    ), // 32
    v(
        2611,
        [b(145, 115, 17), b(74, 46, 14), b(54, 24, 29), b(45, 15, 11)],
    ), // 33
    v(
        2761,
        [b(145, 115, 13), b(74, 46, 14), b(54, 24, 44), b(46, 16, 59)],
    ), // 34
    v(
        2876,
        [b(151, 121, 12), b(75, 47, 12), b(54, 24, 39), b(45, 15, 22)],
    ), // 35
    v(
        3034,
        [b(151, 121, 6), b(75, 47, 6), b(54, 24, 46), b(45, 15, 2)],
    ), // 36
    v(
        3196,
        [b(152, 122, 17), b(74, 46, 29), b(54, 24, 49), b(45, 15, 24)],
    ), // 37
    v(
        3362,
        [b(152, 122, 4), b(74, 46, 13), b(54, 24, 48), b(45, 15, 42)],
    ), // 38
    v(
        3532,
        [b(147, 117, 20), b(75, 47, 40), b(54, 24, 43), b(45, 15, 10)],
    ), // 39
    v(
        3706,
        [b(148, 118, 19), b(75, 47, 18), b(54, 24, 34), b(45, 15, 20)],
    ), // 40
];

/// The block layout for `version` (1..=40) and `level` (0 = L, 1 = M, 2 = Q, 3 = H).
pub(crate) fn blocks(version: usize, level: usize) -> Option<(usize, Blocks)> {
    let ver = VERSIONS.get(version.checked_sub(1)?)?;
    Some((ver.total, *ver.levels.get(level)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_adds_up_to_the_total() {
        for (i, ver) in VERSIONS.iter().enumerate() {
            // Total codewords from the module count: 1..=40 must match the table.
            let version = i + 1;
            let size = 17 + 4 * version;
            let align = if version == 1 { 0 } else { version / 7 + 2 };
            let mut function = 3 * 64 + 2 * (size - 16) + 31;
            if align > 0 {
                function += 25 * (align * align - 3) - 10 * (align - 2);
            }
            if version >= 7 {
                function += 36;
            }
            assert_eq!((size * size - function) / 8, ver.total, "version {version}");
            for lv in ver.levels {
                let rest = ver.total - lv.bs * lv.ns;
                assert_eq!(rest % (lv.bs + 1), 0, "version {version}");
                assert!(lv.bs > lv.dw);
            }
        }
    }
}
