//! Attempt limits and the clock.
//!
//! * After [`FAILURES_BEFORE_WAIT`] consecutive failures the next attempt
//!   waits [`FIRST_WAIT_SECS`]; every further failure doubles the wait
//!   (30 s, 60 s, 120 s, 240 s, 480 s).
//! * The [`FAILURES_BEFORE_DISABLE`]th consecutive failure disables the device
//!   key (the sealed blob is deleted) until the wallet is re-enrolled.
//! * A correct PIN resets the count.
//!
//! So an attacker holding the phone gets at most 10 guesses in total, over
//! about 15.5 minutes of waits, against a PIN policy that refuses the most
//! common choices.
//!
//! ## The clock
//!
//! Time is the caller's wall clock, which the phone's user can change. The
//! record keeps the time of the last observation (the store's
//! `clock_high_water`) and the end of the current wait on the same timeline.
//! Every observation advances that timeline by `now − last` when the clock
//! moved forward and by *nothing* when it moved back: the remaining wait is
//! carried over to the earlier clock unchanged. Hence:
//!
//! * setting the clock **back** never shortens a wait (it can lengthen it by
//!   the unobserved time between the last observation and the change);
//! * setting the clock **forward** does end a wait early — a wall clock
//!   cannot tell that from real time passing without a trusted time source —
//!   but it cannot reset the failure count, skip an attempt or avoid the
//!   disable after 10 failures: the total number of guesses stays 10;
//! * killing the app changes nothing: the record is durable and written before
//!   each attempt is evaluated.
//!
//! The timeline is rebased rather than pinned to the largest time ever seen:
//! with a pinned high-water mark, a clock once set a year ahead and then
//! corrected would turn every later 30 s wait into one lasting until real time
//! caught up with that year — the same security, much worse for honest users.

/// Consecutive failures after which each attempt must wait.
pub const FAILURES_BEFORE_WAIT: u32 = 5;
/// The first wait, in seconds; doubles with every further failure.
pub const FIRST_WAIT_SECS: u64 = 30;
/// Consecutive failures that disable the device key.
pub const FAILURES_BEFORE_DISABLE: u32 = 10;

/// The wait imposed after `failures` consecutive failures (0 below
/// [`FAILURES_BEFORE_WAIT`]).
pub fn wait_after(failures: u32) -> u64 {
    match failures.checked_sub(FAILURES_BEFORE_WAIT) {
        None => 0,
        Some(extra) => 1u64
            .checked_shl(extra)
            .and_then(|m| m.checked_mul(FIRST_WAIT_SECS))
            .unwrap_or(u64::MAX),
    }
}

/// Attempts left before the device key is disabled.
pub fn attempts_left(failures: u32) -> u32 {
    FAILURES_BEFORE_DISABLE.saturating_sub(failures)
}

/// The attempt state the limits work on (mirrors the store's auth record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Attempts {
    /// Consecutive failures (counted before evaluation).
    pub failures: u32,
    /// Waits imposed since enrolment (an audit count).
    pub lockouts: u32,
    /// End of the current wait on the timeline (0 = none).
    pub locked_until: u64,
    /// The device key is disabled.
    pub disabled: bool,
    /// The time of the last observation (see the module docs).
    pub last_seen: u64,
}

impl Attempts {
    /// Observes the caller's clock: advances the timeline if it moved forward;
    /// if it moved back, carries the remaining wait over unchanged. Returns
    /// whether anything changed.
    pub fn observe(&mut self, now: u64) -> bool {
        if now == self.last_seen {
            return false;
        }
        if now < self.last_seen {
            let remaining = self.remaining_wait();
            self.locked_until = if remaining == 0 {
                0
            } else {
                now.saturating_add(remaining)
            };
        }
        self.last_seen = now;
        true
    }

    /// Seconds of wait left at the last observation.
    pub fn remaining_wait(&self) -> u64 {
        self.locked_until.saturating_sub(self.last_seen)
    }

    /// Records one more failure as if the attempt being made fails: the count,
    /// the wait it imposes and the disable. Written *before* the PIN is
    /// evaluated, so killing the app mid-attempt cannot save the attempt.
    pub fn count_failure(&mut self) {
        self.failures = self.failures.saturating_add(1);
        if self.failures >= FAILURES_BEFORE_DISABLE {
            self.disabled = true;
            self.locked_until = 0;
        } else {
            let wait = wait_after(self.failures);
            if wait > 0 {
                self.locked_until = self.last_seen.saturating_add(wait);
                self.lockouts = self.lockouts.saturating_add(1);
            }
        }
    }

    /// A correct PIN: clears the count, any wait and the pessimistic disable.
    /// (An attempt is only made while not disabled, so this cannot revive a
    /// key disabled by earlier failures.)
    pub fn succeed(&mut self) {
        self.failures = 0;
        self.locked_until = 0;
        self.disabled = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_the_fifth_failure() {
        let waits: Vec<u64> = (0..=9).map(wait_after).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 30, 60, 120, 240, 480]);
        assert_eq!(wait_after(200), u64::MAX);
    }

    #[test]
    fn clock_back_keeps_the_remaining_wait() {
        let mut a = Attempts {
            failures: 5,
            locked_until: 1_030,
            last_seen: 1_000,
            ..Attempts::default()
        };
        a.observe(1_010);
        assert_eq!(a.remaining_wait(), 20);
        a.observe(500);
        assert_eq!((a.remaining_wait(), a.locked_until), (20, 520));
        a.observe(520);
        assert_eq!(a.remaining_wait(), 0);
    }
}
