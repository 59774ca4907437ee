//! Live-camera mode: report each code once, however many frames show it.
//!
//! A camera at 30 fps sees the same code in dozens of frames in a row, and
//! misses it in a few (motion blur, a hand passing). The app must show one
//! result and act once, so [`StreamScanner`] remembers what it reported and
//! stays silent about a code while it keeps appearing; only after the code
//! has been out of view for [`StreamScanner::forget_after`] frames may it be
//! reported again (the user pointed away and back: a deliberate rescan).
//! The scanner's buffers are reused across frames.

use super::code::ScannedCode;
use super::error::ScanError;
use super::frame::LumaFrame;
use super::options::ScanOptions;
use super::scanner::Scanner;

/// Frames a code must be absent before it counts as new again (1 s at
/// 30 fps).
pub const DEFAULT_FORGET_AFTER: u32 = 30;
/// Codes remembered at most; the oldest is dropped first. Bounds memory
/// against a stream of ever-different codes.
const MAX_REMEMBERED: usize = 64;

/// Scans a live frame stream and reports every code once and only once.
#[derive(Debug)]
pub struct StreamScanner {
    scanner: Scanner,
    opts: ScanOptions,
    forget_after: u32,
    frame: u64,
    /// Payload bytes reported, with the last frame number that showed them.
    seen: Vec<(Vec<u8>, u64)>,
}

impl StreamScanner {
    /// A stream scanner with the given per-frame options and
    /// [`DEFAULT_FORGET_AFTER`].
    pub fn new(opts: ScanOptions) -> Self {
        StreamScanner {
            scanner: Scanner::new(),
            opts,
            forget_after: DEFAULT_FORGET_AFTER,
            frame: 0,
            seen: Vec::new(),
        }
    }

    /// Sets how many frames a code must be absent before it is reported
    /// again (at least 1).
    pub fn with_forget_after(mut self, frames: u32) -> Self {
        self.forget_after = frames.max(1);
        self
    }

    /// Frames a code must be absent before it is reported again.
    pub fn forget_after(&self) -> u32 {
        self.forget_after
    }

    /// Scans one frame and returns the codes not reported before (or not
    /// seen for [`Self::forget_after`] frames). Codes are told apart by
    /// their payload bytes, so the same payload moving across the frame is
    /// one code.
    ///
    /// # Errors
    /// As [`Scanner::scan`]; a frame that fails still counts as a frame in
    /// which nothing was seen.
    pub fn feed(&mut self, frame: &LumaFrame<'_>) -> Result<Vec<ScannedCode>, ScanError> {
        self.frame = self.frame.saturating_add(1);
        let now = self.frame;
        let limit = u64::from(self.forget_after);
        self.seen.retain(|(_, last)| now - *last <= limit);
        let codes = self.scanner.scan(frame, &self.opts)?;
        let mut fresh = Vec::new();
        for code in codes {
            match self.seen.iter_mut().find(|(bytes, _)| *bytes == code.bytes) {
                Some(entry) => entry.1 = now,
                None => {
                    if self.seen.len() >= MAX_REMEMBERED {
                        self.seen.remove(0);
                    }
                    self.seen.push((code.bytes.clone(), now));
                    fresh.push(code);
                }
            }
        }
        Ok(fresh)
    }

    /// Forgets every reported code (e.g. when the payment screen closes), so
    /// the next sighting is reported again.
    pub fn reset(&mut self) {
        self.seen.clear();
    }
}
