//! The core-owned PIN pad.
//!
//! The UI forwards each key press here and only ever learns how many digits are
//! entered, so the PIN never exists as a Kotlin or Swift string (a managed string
//! cannot be wiped and may be interned, logged or kept by an input method).
//!
//! The digits live in a [`Zeroizing`] array that is overwritten on drop, on
//! [`PinPad::clear`] and digit by digit on [`PinPad::backspace`]. The pad has no
//! `Clone` (a copy would be a second secret to wipe), its `Debug` shows only the
//! count, and no method hands the digits out: only this module's crate-internal
//! helpers read them, into other zeroizing buffers.

use std::fmt;

use zeroize::Zeroizing;

use super::AuthError;

/// Digits in a ScanPay PIN.
pub const PIN_LENGTH: usize = 6;

/// A PIN being typed: up to [`PIN_LENGTH`] digits in zeroizing memory.
pub struct PinPad {
    /// Digit values 0–9 (not ASCII); positions at or past `len` are always zero.
    digits: Zeroizing<[u8; PIN_LENGTH]>,
    len: usize,
}

impl PinPad {
    /// An empty pad.
    pub fn new() -> Self {
        PinPad {
            digits: Zeroizing::new([0; PIN_LENGTH]),
            len: 0,
        }
    }

    /// Appends one digit (the value 0–9, not its ASCII code) and returns how
    /// many digits are now entered.
    ///
    /// Refused, leaving the pad unchanged: a value above 9
    /// ([`AuthError::NotADigit`]) and a seventh digit ([`AuthError::PinPadFull`]).
    pub fn press(&mut self, digit: u8) -> Result<usize, AuthError> {
        if digit > 9 {
            return Err(AuthError::NotADigit);
        }
        let slot = self.digits.get_mut(self.len).ok_or(AuthError::PinPadFull)?;
        *slot = digit;
        self.len += 1;
        Ok(self.len)
    }

    /// Removes the last digit (wiping it) and returns how many remain; on an
    /// empty pad it does nothing and returns 0.
    pub fn backspace(&mut self) -> usize {
        if self.len > 0 {
            self.len -= 1;
            if let Some(slot) = self.digits.get_mut(self.len) {
                *slot = 0;
            }
        }
        self.len
    }

    /// Wipes every digit.
    pub fn clear(&mut self) {
        *self.digits = [0; PIN_LENGTH];
        self.len = 0;
    }

    /// How many digits are entered.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when no digit is entered.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// True when all [`PIN_LENGTH`] digits are entered.
    pub fn is_complete(&self) -> bool {
        self.len == PIN_LENGTH
    }

    /// The complete PIN as ASCII digits, in a buffer that wipes itself; the
    /// input to the key derivation and the policy check. Crate-internal so the
    /// digits can never cross the public API.
    pub(crate) fn ascii(&self) -> Result<Zeroizing<[u8; PIN_LENGTH]>, AuthError> {
        if !self.is_complete() {
            return Err(AuthError::PinIncomplete { entered: self.len });
        }
        let mut out = Zeroizing::new([0u8; PIN_LENGTH]);
        for (o, d) in out.iter_mut().zip(self.digits.iter()) {
            *o = b'0' + *d;
        }
        Ok(out)
    }

    /// The digit values (0–9) of a complete PIN, for the policy check.
    pub(crate) fn digit_values(&self) -> Option<&[u8; PIN_LENGTH]> {
        if self.is_complete() {
            Some(&self.digits)
        } else {
            None
        }
    }
}

impl Default for PinPad {
    fn default() -> Self {
        PinPad::new()
    }
}

impl fmt::Debug for PinPad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinPad")
            .field("entered", &self.len)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backspace_wipes_the_removed_digit() {
        let mut pad = PinPad::new();
        for d in [7, 8, 9] {
            pad.press(d).ok();
        }
        assert_eq!(pad.backspace(), 2);
        assert_eq!(*pad.digits, [7, 8, 0, 0, 0, 0]);
        pad.clear();
        assert_eq!(*pad.digits, [0; PIN_LENGTH]);
    }

    #[test]
    fn ascii_only_when_complete() {
        let mut pad = PinPad::new();
        for d in [2, 0, 4, 8, 1] {
            pad.press(d).ok();
        }
        assert!(matches!(
            pad.ascii(),
            Err(AuthError::PinIncomplete { entered: 5 })
        ));
        pad.press(9).ok();
        assert_eq!(pad.ascii().map(|a| *a).ok(), Some(*b"204819"));
    }
}
