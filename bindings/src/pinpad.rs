//! The PIN pad: the app forwards each key press, Rust keeps the digits.
//!
//! The PIN never exists as a Kotlin, Swift or Python string: `press(digit)`
//! sends one digit value and returns only how many are entered. The digits
//! live in the core's zeroizing [`scanpay_core::auth::PinPad`], which is
//! wiped after every enrol / verify / change that used it, on `clear()`, and
//! when the object is closed.
//!
//! Enrol / verify / change move the digits out (`PinPad::take`) and release
//! the pad's lock before the ~0.15 s key derivation and the key store call,
//! so a press on the pad from the UI thread meanwhile never blocks.

use std::sync::{Mutex, MutexGuard, PoisonError};

use scanpay_core::auth::{PinPad as CorePinPad, PIN_LENGTH};

use crate::errors::PinError;
use crate::LiveToken;

/// A PIN being typed (6 digits).
#[derive(uniffi::Object)]
pub struct PinPad {
    pad: Mutex<CorePinPad>,
    _live: LiveToken,
}

impl std::fmt::Debug for PinPad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinPad")
            .field("entered", &self.lock().len())
            .finish()
    }
}

impl PinPad {
    pub(crate) fn lock(&self) -> MutexGuard<'_, CorePinPad> {
        self.pad.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves the digits out, leaving the pad empty, and releases the lock at
    /// once. The returned core pad is the only copy and wipes itself when
    /// dropped; the slot it came from is overwritten by the empty pad.
    pub(crate) fn take(&self) -> CorePinPad {
        std::mem::take(&mut *self.lock())
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[uniffi::export]
impl PinPad {
    /// An empty pad.
    #[uniffi::constructor]
    pub fn new() -> PinPad {
        PinPad {
            pad: Mutex::new(CorePinPad::new()),
            _live: LiveToken::new(),
        }
    }

    /// Appends one digit (the value 0–9) and returns how many are entered.
    /// A value above 9 is [`PinError::NotADigit`]; a seventh digit is
    /// [`PinError::PadFull`]; the pad is then unchanged.
    pub fn press(&self, digit: u8) -> Result<u32, PinError> {
        Ok(count(self.lock().press(digit)?))
    }

    /// Removes the last digit and returns how many remain.
    pub fn backspace(&self) -> u32 {
        count(self.lock().backspace())
    }

    /// Wipes every digit.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many digits are entered.
    pub fn count(&self) -> u32 {
        count(self.lock().len())
    }

    /// True when all digits are entered.
    pub fn is_complete(&self) -> bool {
        self.lock().is_complete()
    }

    /// Digits in a PIN (6).
    pub fn length(&self) -> u32 {
        count(PIN_LENGTH)
    }
}

impl Default for PinPad {
    fn default() -> Self {
        PinPad::new()
    }
}
