//! What a screen draws for a pay code, so that apps need no barcode
//! library: the Code 128 bars of the numeric form and the QR module matrix
//! of the CPM form.

use super::code::PayCode;

/// Modules of light space a scanner needs on each side of the Code 128
/// bars (ISO/IEC 15417 asks for at least 10).
pub const CODE128_QUIET_MODULES: u32 = 10;
/// Code 128 symbol value of "Start C" (the double-density numeric set).
const START_C: u8 = 105;
/// Index of the stop pattern in [`PATTERNS`].
const STOP: usize = 106;

/// Bar and space widths (in modules, bar first) of the Code 128 symbol
/// values 0–105 (six elements, 11 modules each) and of the stop pattern
/// (index 106: seven elements, 13 modules), from ISO/IEC 15417 table 1.
const PATTERNS: [&[u8]; 107] = [
    &[2, 1, 2, 2, 2, 2],
    &[2, 2, 2, 1, 2, 2],
    &[2, 2, 2, 2, 2, 1],
    &[1, 2, 1, 2, 2, 3],
    &[1, 2, 1, 3, 2, 2],
    &[1, 3, 1, 2, 2, 2],
    &[1, 2, 2, 2, 1, 3],
    &[1, 2, 2, 3, 1, 2],
    &[1, 3, 2, 2, 1, 2],
    &[2, 2, 1, 2, 1, 3],
    &[2, 2, 1, 3, 1, 2],
    &[2, 3, 1, 2, 1, 2],
    &[1, 1, 2, 2, 3, 2],
    &[1, 2, 2, 1, 3, 2],
    &[1, 2, 2, 2, 3, 1],
    &[1, 1, 3, 2, 2, 2],
    &[1, 2, 3, 1, 2, 2],
    &[1, 2, 3, 2, 2, 1],
    &[2, 2, 3, 2, 1, 1],
    &[2, 2, 1, 1, 3, 2],
    &[2, 2, 1, 2, 3, 1],
    &[2, 1, 3, 2, 1, 2],
    &[2, 2, 3, 1, 1, 2],
    &[3, 1, 2, 1, 3, 1],
    &[3, 1, 1, 2, 2, 2],
    &[3, 2, 1, 1, 2, 2],
    &[3, 2, 1, 2, 2, 1],
    &[3, 1, 2, 2, 1, 2],
    &[3, 2, 2, 1, 1, 2],
    &[3, 2, 2, 2, 1, 1],
    &[2, 1, 2, 1, 2, 3],
    &[2, 1, 2, 3, 2, 1],
    &[2, 3, 2, 1, 2, 1],
    &[1, 1, 1, 3, 2, 3],
    &[1, 3, 1, 1, 2, 3],
    &[1, 3, 1, 3, 2, 1],
    &[1, 1, 2, 3, 1, 3],
    &[1, 3, 2, 1, 1, 3],
    &[1, 3, 2, 3, 1, 1],
    &[2, 1, 1, 3, 1, 3],
    &[2, 3, 1, 1, 1, 3],
    &[2, 3, 1, 3, 1, 1],
    &[1, 1, 2, 1, 3, 3],
    &[1, 1, 2, 3, 3, 1],
    &[1, 3, 2, 1, 3, 1],
    &[1, 1, 3, 1, 2, 3],
    &[1, 1, 3, 3, 2, 1],
    &[1, 3, 3, 1, 2, 1],
    &[3, 1, 3, 1, 2, 1],
    &[2, 1, 1, 3, 3, 1],
    &[2, 3, 1, 1, 3, 1],
    &[2, 1, 3, 1, 1, 3],
    &[2, 1, 3, 3, 1, 1],
    &[2, 1, 3, 1, 3, 1],
    &[3, 1, 1, 1, 2, 3],
    &[3, 1, 1, 3, 2, 1],
    &[3, 3, 1, 1, 2, 1],
    &[3, 1, 2, 1, 1, 3],
    &[3, 1, 2, 3, 1, 1],
    &[3, 3, 2, 1, 1, 1],
    &[3, 1, 4, 1, 1, 1],
    &[2, 2, 1, 4, 1, 1],
    &[4, 3, 1, 1, 1, 1],
    &[1, 1, 1, 2, 2, 4],
    &[1, 1, 1, 4, 2, 2],
    &[1, 2, 1, 1, 2, 4],
    &[1, 2, 1, 4, 2, 1],
    &[1, 4, 1, 1, 2, 2],
    &[1, 4, 1, 2, 2, 1],
    &[1, 1, 2, 2, 1, 4],
    &[1, 1, 2, 4, 1, 2],
    &[1, 2, 2, 1, 1, 4],
    &[1, 2, 2, 4, 1, 1],
    &[1, 4, 2, 1, 1, 2],
    &[1, 4, 2, 2, 1, 1],
    &[2, 4, 1, 2, 1, 1],
    &[2, 2, 1, 1, 1, 4],
    &[4, 1, 3, 1, 1, 1],
    &[2, 4, 1, 1, 1, 2],
    &[1, 3, 4, 1, 1, 1],
    &[1, 1, 1, 2, 4, 2],
    &[1, 2, 1, 1, 4, 2],
    &[1, 2, 1, 2, 4, 1],
    &[1, 1, 4, 2, 1, 2],
    &[1, 2, 4, 1, 1, 2],
    &[1, 2, 4, 2, 1, 1],
    &[4, 1, 1, 2, 1, 2],
    &[4, 2, 1, 1, 1, 2],
    &[4, 2, 1, 2, 1, 1],
    &[2, 1, 2, 1, 4, 1],
    &[2, 1, 4, 1, 2, 1],
    &[4, 1, 2, 1, 2, 1],
    &[1, 1, 1, 1, 4, 3],
    &[1, 1, 1, 3, 4, 1],
    &[1, 3, 1, 1, 4, 1],
    &[1, 1, 4, 1, 1, 3],
    &[1, 1, 4, 3, 1, 1],
    &[4, 1, 1, 1, 1, 3],
    &[4, 1, 1, 3, 1, 1],
    &[1, 1, 3, 1, 4, 1],
    &[1, 1, 4, 1, 3, 1],
    &[3, 1, 1, 1, 4, 1],
    &[4, 1, 1, 1, 3, 1],
    &[2, 1, 1, 4, 1, 2],
    &[2, 1, 1, 2, 1, 4],
    &[2, 1, 1, 2, 3, 2],
    &[2, 3, 3, 1, 1, 1, 2],
];

/// The Code 128 symbol values of a code in code set C: Start C, one value
/// per digit pair (nine), the mod-103 check value. The stop pattern has no
/// value and is not included.
pub fn code128_values(code: &PayCode) -> Vec<u8> {
    let mut values = vec![START_C];
    for pair in code.digits().as_bytes().chunks(2) {
        // PayCode guarantees 18 ASCII digits: every chunk is two digits.
        let v = pair
            .iter()
            .fold(0u8, |acc, d| acc * 10 + (d.wrapping_sub(b'0') % 10));
        values.push(v);
    }
    // Check = (start + Σ position · value) mod 103, positions from 1.
    let sum = values
        .iter()
        .enumerate()
        .map(|(i, v)| i.max(1) as u64 * u64::from(*v))
        .sum::<u64>();
    values.push(u8::try_from(sum % 103).unwrap_or(0));
    values
}

/// The Code 128 (code set C) bars of the numeric form: element widths in
/// modules, alternating bar, space, bar, …, starting and ending with a bar
/// (Start C, nine digit pairs, check, Stop: 73 elements, 134 modules).
/// Draw [`CODE128_QUIET_MODULES`] light modules on each side.
pub fn code128_bars(code: &PayCode) -> Vec<u8> {
    let mut bars = Vec::with_capacity(73);
    for v in code128_values(code) {
        if let Some(p) = PATTERNS.get(usize::from(v)) {
            bars.extend_from_slice(p);
        }
    }
    bars.extend_from_slice(PATTERNS[STOP]);
    bars
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_table_is_well_formed() {
        for (i, p) in PATTERNS.iter().enumerate() {
            let total: u32 = p.iter().map(|&w| u32::from(w)).sum();
            let bars: u32 = p.iter().step_by(2).map(|&w| u32::from(w)).sum();
            if i == STOP {
                assert_eq!((p.len(), total), (7, 13));
            } else {
                assert_eq!((p.len(), total), (6, 11), "value {i}");
                // Code 128's parity rule: bar modules are even, spaces odd.
                assert_eq!(bars % 2, 0, "value {i}");
            }
        }
        let mut unique = PATTERNS.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 107);
    }

    #[test]
    fn bars_of_a_code() {
        let code = PayCode::parse("391234567890123456").unwrap();
        let v = code128_values(&code);
        assert_eq!(v[..10], [105, 39, 12, 34, 56, 78, 90, 12, 34, 56]);
        // 105 + 39·1 + 12·2 + 34·3 + 56·4 + 78·5 + 90·6 + 12·7 + 34·8 + 56·9 = 2284; 2284 mod 103 = 18.
        assert_eq!(v[10], 18);
        let bars = code128_bars(&code);
        assert_eq!(bars.len(), 73);
        assert_eq!(bars.iter().map(|&w| u32::from(w)).sum::<u32>(), 134);
    }
}
