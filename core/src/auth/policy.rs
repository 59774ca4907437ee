//! Which new PINs are refused.
//!
//! A 6-digit PIN has a million values, but people choose a small set of them
//! far more often than chance (published PIN-frequency studies put "123456"
//! alone at several percent). With 10 attempts before the device key is
//! disabled, each PIN an attacker can guess first matters, so setup refuses:
//!
//! * a PIN that is not exactly [`PIN_LENGTH`] digits;
//! * all-same digits (000000 … 999999);
//! * straight sequences stepping by +1 or −1, including those that wrap past
//!   9 or 0 (012345, 123456, 890123, 987654, 210987 …);
//! * the [`BLOCKLIST`] of other common choices (repeats, keypad patterns,
//!   mirrored halves).
//!
//! Only *new* PINs are checked: `verify` must accept whatever was enrolled.

use thiserror::Error;

use super::pinpad::{PinPad, PIN_LENGTH};

/// Common 6-digit PINs refused at setup and change (besides all-same digits
/// and straight sequences, which are refused by rule).
pub const BLOCKLIST: &[&str] = &[
    "123456", "111111", "000000", "121212", "123123", "654321", "696969", "112233", "159753",
    "520520", "123321", "666666", "789456", "147258", "101010", "131313", "202020", "987654",
    "112211", "110110", "000001", "999999", "654123", "123654", "123789", "147369", "159357",
    "258456", "321321", "456456", "789789", "102030", "121314", "222333", "252525", "007007",
    "111222", "100200", "001122", "147852", "963852", "741852", "753951", "212121", "232323",
    "292929", "131415", "142536", "000123", "112358", "121121", "123000", "123412", "159951",
    "246810", "369369", "456123", "420420", "775577", "852963", "987987", "100100", "111000",
    "101101", "232425", "778899", "998877", "147147", "258258", "369258",
];

/// Why a new PIN was refused. Carries no digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PinRejected {
    /// Fewer than [`PIN_LENGTH`] digits were entered.
    #[error("a PIN has {expected} digits; {entered} entered")]
    Incomplete {
        /// Digits entered.
        entered: usize,
        /// Digits required.
        expected: usize,
    },
    /// Every digit is the same.
    #[error("a PIN of one repeated digit is too easy to guess")]
    AllSame,
    /// The digits go straight up or down.
    #[error("a PIN of consecutive digits is too easy to guess")]
    Sequence,
    /// The PIN is one of the most commonly chosen.
    #[error("this PIN is among the most common and too easy to guess")]
    Common,
}

/// Checks a new PIN against the policy (see the module docs).
pub fn check_new_pin(pin: &PinPad) -> Result<(), PinRejected> {
    let digits = pin.digit_values().ok_or(PinRejected::Incomplete {
        entered: pin.len(),
        expected: PIN_LENGTH,
    })?;
    let [first, rest @ ..] = digits;
    if rest.iter().all(|d| d == first) {
        return Err(PinRejected::AllSame);
    }
    if is_straight(digits, 1) || is_straight(digits, 9) {
        return Err(PinRejected::Sequence);
    }
    let ascii = pin.ascii().map_err(|_| PinRejected::Incomplete {
        entered: pin.len(),
        expected: PIN_LENGTH,
    })?;
    if BLOCKLIST.iter().any(|b| b.as_bytes() == ascii.as_slice()) {
        return Err(PinRejected::Common);
    }
    Ok(())
}

/// True when each digit is the previous plus `step` modulo 10 (step 9 = −1).
fn is_straight(digits: &[u8; PIN_LENGTH], step: u8) -> bool {
    digits
        .windows(2)
        .all(|w| matches!(w, [a, b] if (a + step) % 10 == *b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocklist_entries_are_six_digits_and_distinct() {
        assert!(BLOCKLIST.len() >= 20);
        for (i, b) in BLOCKLIST.iter().enumerate() {
            assert_eq!(b.len(), PIN_LENGTH, "{b}");
            assert!(b.bytes().all(|c| c.is_ascii_digit()), "{b}");
            assert!(!BLOCKLIST[..i].contains(b), "duplicate {b}");
        }
    }
}
