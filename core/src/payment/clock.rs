//! Time, injected: core logic never reads the system clock itself.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of time the engine can also wait on.
pub trait Clock: Send + Sync {
    /// Unix seconds.
    fn now(&self) -> u64;
    /// Blocks for `secs` seconds (the test double advances virtual time instead).
    fn sleep(&self, secs: u64);
    /// Unix milliseconds, for latency. Defaults to whole seconds.
    fn now_millis(&self) -> u64 {
        self.now().saturating_mul(1000)
    }
}

/// The real clock: system time and `std::thread::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        self.now_millis() / 1000
    }

    fn sleep(&self, secs: u64) {
        std::thread::sleep(Duration::from_secs(secs));
    }

    fn now_millis(&self) -> u64 {
        // A clock before 1970 reads as 0 rather than failing: the journal
        // then orders by insertion, and the payment still completes.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// Virtual time for tests and simulations: `sleep` advances it instantly.
#[derive(Debug, Default)]
pub struct VirtualClock {
    millis: AtomicU64,
}

impl VirtualClock {
    /// A clock reading `secs` unix seconds.
    pub fn at(secs: u64) -> VirtualClock {
        VirtualClock {
            millis: AtomicU64::new(secs.saturating_mul(1000)),
        }
    }

    /// Moves time forward by `millis` milliseconds.
    pub fn advance_millis(&self, millis: u64) {
        self.millis.fetch_add(millis, Ordering::SeqCst);
    }

    /// Sets the time (unix seconds); it may go backwards, like a phone's.
    pub fn set(&self, secs: u64) {
        self.millis
            .store(secs.saturating_mul(1000), Ordering::SeqCst);
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> u64 {
        self.millis.load(Ordering::SeqCst) / 1000
    }

    fn sleep(&self, secs: u64) {
        self.advance_millis(secs.saturating_mul(1000));
    }

    fn now_millis(&self) -> u64 {
        self.millis.load(Ordering::SeqCst)
    }
}

/// The system clock plus an offset that only grows: real waits, but time
/// can jump forward (a day, to show the rules that look back 24 hours) for
/// the demo, QA builds and system tests, while timeouts and retries keep
/// their real pace. A phone app uses [`SystemClock`].
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_secs: AtomicU64,
}

impl OffsetClock {
    /// The system time, no offset yet.
    pub fn new() -> OffsetClock {
        OffsetClock::default()
    }

    /// Moves the clock forward by `secs`; returns the new time (unix
    /// seconds).
    pub fn advance(&self, secs: u64) -> u64 {
        self.offset_secs.fetch_add(secs, Ordering::SeqCst);
        self.now()
    }

    /// The offset so far, in seconds.
    pub fn offset_secs(&self) -> u64 {
        self.offset_secs.load(Ordering::SeqCst)
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> u64 {
        self.now_millis() / 1000
    }

    fn sleep(&self, secs: u64) {
        SystemClock.sleep(secs);
    }

    fn now_millis(&self) -> u64 {
        SystemClock
            .now_millis()
            .saturating_add(self.offset_secs().saturating_mul(1000))
    }
}
