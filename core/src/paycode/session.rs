//! [`PaycodeSession`]: an opened pay code that hands the UI what to draw.
//!
//! The session holds the secret in memory only (wiped on
//! [`PaycodeSession::close`] and on drop) and the code being shown. Each call
//! to [`PaycodeSession::current`] returns that code until its `valid_until`
//! (at most 60 s after it was issued), until the wallet learns it was used
//! (the feed moved the backend's counter past it), or until the clock moved
//! back before its issue time; then it issues the next counter:
//!
//! 1. when a backend is attached and the network is not known to be down, a
//!    sync (`wait = 0`) first, so the offline limits only bite offline;
//! 2. in one transaction: the offline limits are checked against the codes
//!    issued since the last sync, the code's row (counter, step, issue time —
//!    never the digits) is written and the counter moved past it;
//! 3. only then are the digits derived and returned.
//!
//! A counter is therefore on disk before its code exists: a crash, a kill or
//! a second session never shows one counter twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::code::{derive, step_of, to_cpm_text, PayCode, PaycodeSecret, STEP_SECS};
use super::limits;
use super::render::{code128_bars, paycode_qr, QrMatrix};
use super::service::{window_left, PaycodeError, PaycodeService};
use crate::store::StoreError;

/// What the UI draws for one code.
#[derive(Clone, PartialEq, Eq)]
pub struct PaycodeDisplay {
    /// The 18 digits (empty when not displayable).
    pub digits: String,
    /// The QR form's text, EMVCo CPM (empty when not displayable).
    pub cpm_text: String,
    /// The QR module matrix of `cpm_text` (draw a quiet zone of
    /// [`super::render::QR_QUIET_MODULES`] light modules around it; size 0
    /// when not displayable).
    pub qr: QrMatrix,
    /// The Code 128 bar widths in modules, bar first, quiet zones not
    /// included (empty when not displayable).
    pub bars: Vec<u8>,
    /// The code's counter (not secret; for support and tests).
    pub counter: u64,
    /// When the code was issued (wallet clock, unix s).
    pub issued_at: u64,
    /// When the wallet stops showing it (≤ `issued_at` + 60).
    pub valid_until: u64,
    /// Seconds from the `now` passed in until the next code.
    pub refresh_in_secs: u64,
    /// False while the screen is captured or recorded: the UI hides the
    /// code, and the core hands out no digits, QR or bars meanwhile.
    pub displayable: bool,
}

impl std::fmt::Debug for PaycodeDisplay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The digits are a live payment authorisation until used.
        f.debug_struct("PaycodeDisplay")
            .field("counter", &self.counter)
            .field("issued_at", &self.issued_at)
            .field("valid_until", &self.valid_until)
            .field("displayable", &self.displayable)
            .finish_non_exhaustive()
    }
}

struct Shown {
    code: PayCode,
    counter: u64,
    issued_at: u64,
    valid_until: u64,
}

/// An opened pay code. `Send + Sync`; share it in an `Arc` if several
/// threads need it.
pub struct PaycodeSession {
    service: Arc<PaycodeService>,
    provision_id: u64,
    secret: Mutex<Option<PaycodeSecret>>,
    shown: Mutex<Option<Shown>>,
    captured: AtomicBool,
}

impl std::fmt::Debug for PaycodeSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaycodeSession")
            .field("provision_id", &self.provision_id)
            .field("captured", &self.captured.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these leaves plain data behind; nothing to
    // repair.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl PaycodeSession {
    pub(crate) fn new(
        service: Arc<PaycodeService>,
        provision_id: u64,
        secret: PaycodeSecret,
    ) -> PaycodeSession {
        PaycodeSession {
            service,
            provision_id,
            secret: Mutex::new(Some(secret)),
            shown: Mutex::new(None),
            captured: AtomicBool::new(false),
        }
    }

    /// The code to show at `now` (wallet clock, unix seconds): the same one
    /// until it must change, then the next (module docs). May block on a
    /// sync (wait 0) when a new code is due: call it off the UI thread.
    pub fn current(&self, now: u64) -> Result<PaycodeDisplay, PaycodeError> {
        let secret = lock(&self.secret);
        let Some(secret) = secret.as_ref() else {
            return Err(PaycodeError::Closed);
        };
        let mut shown = lock(&self.shown);
        if let Some(s) = shown.as_ref() {
            if now >= s.issued_at && now < s.valid_until && !self.spent(s.counter)? {
                return Ok(self.display(s, now));
            }
        }
        if self.captured.load(Ordering::SeqCst) {
            // Nothing may be drawn, so no new counter is spent (it would
            // count against the offline limits for a code nobody saw):
            // ask again in a second.
            return Ok(PaycodeDisplay {
                digits: String::new(),
                cpm_text: String::new(),
                qr: QrMatrix {
                    size: 0,
                    modules: Vec::new(),
                },
                bars: Vec::new(),
                counter: shown.as_ref().map_or(0, |s| s.counter),
                issued_at: now,
                valid_until: now.saturating_add(1),
                refresh_in_secs: 1,
                displayable: false,
            });
        }
        let has_backend = self.service.backend().is_some();
        let mut synced = false;
        if has_backend && !self.service.known_offline() {
            // Offline is normal here: the limits decide what may be shown.
            let _ = self.service.sync_for_session();
            synced = true;
        }
        let step = step_of(now);
        let valid_until = now.saturating_add(STEP_SECS);
        let mut issued = self.issue(step, now, valid_until);
        if matches!(
            issued,
            Err(PaycodeError::OfflineLimit(_) | PaycodeError::WindowExhausted)
        ) && has_backend
            && !synced
        {
            // The status said offline, but only a sync can lift the limits
            // (or move the backend's window): try once rather than trust a
            // status that may be stale.
            if self.service.sync_for_session().is_ok() {
                issued = self.issue(step, now, valid_until);
            }
        }
        let counter = issued?;
        let next = Shown {
            code: derive(secret, counter, step),
            counter,
            issued_at: now,
            valid_until,
        };
        let display = self.display(&next, now);
        *shown = Some(next);
        Ok(display)
    }

    /// Checks the offline limits, journals the next counter and moves past
    /// it, in one transaction; returns the counter.
    fn issue(&self, step: u64, now: u64, valid_until: u64) -> Result<u64, PaycodeError> {
        let service = &self.service;
        service.store.paycode_transaction(|tx| {
            let Some(state) = tx.state()? else {
                return Ok(Err(PaycodeError::SecretReplaced));
            };
            if state.provision_id != self.provision_id {
                return Ok(Err(PaycodeError::SecretReplaced));
            }
            if window_left(&state) == 0 {
                return Ok(Err(PaycodeError::WindowExhausted));
            }
            let limits = service.limits_of(&state)?;
            if let Err(limit) = limits::check(&limits, tx.issued_since_sync()?) {
                return Ok(Err(PaycodeError::OfflineLimit(limit)));
            }
            Ok(Ok(tx.issue(self.provision_id, step, now, valid_until)?))
        })?
    }

    /// Whether the backend's counter floor moved past `counter` (it was
    /// used, or a later code was), or the secret was replaced.
    fn spent(&self, counter: u64) -> Result<bool, StoreError> {
        let state = self.service.store.paycode_transaction(|tx| tx.state())?;
        Ok(match state {
            Some(s) => s.provision_id != self.provision_id || s.backend_counter_next > counter,
            None => true,
        })
    }

    fn display(&self, s: &Shown, now: u64) -> PaycodeDisplay {
        let displayable = !self.captured.load(Ordering::SeqCst);
        let (digits, cpm_text, qr, bars) = if displayable {
            (
                s.code.digits().to_string(),
                to_cpm_text(&s.code),
                paycode_qr(&s.code),
                code128_bars(&s.code),
            )
        } else {
            let empty = QrMatrix {
                size: 0,
                modules: Vec::new(),
            };
            (String::new(), String::new(), empty, Vec::new())
        };
        PaycodeDisplay {
            digits,
            cpm_text,
            qr,
            bars,
            counter: s.counter,
            issued_at: s.issued_at,
            valid_until: s.valid_until,
            refresh_in_secs: s.valid_until.saturating_sub(now),
            displayable,
        }
    }

    /// The platform reports the screen captured or recorded (iOS
    /// `UIScreen.isCaptured`); while true, [`PaycodeSession::current`] says
    /// not displayable and hands out nothing to draw. The code being shown
    /// is kept while it is valid; once it expires no new counter is issued
    /// until the capture ends (the display then says to ask again in 1 s).
    pub fn set_screen_captured(&self, captured: bool) {
        self.captured.store(captured, Ordering::SeqCst);
    }

    /// Wipes the secret and forgets the code; every later call is
    /// [`PaycodeError::Closed`]. Dropping the session does the same.
    pub fn close(&self) {
        *lock(&self.secret) = None;
        *lock(&self.shown) = None;
    }
}
