//! Connectivity status: what the UI shows at a glance.
//!
//! A [`StatusMonitor`] combines three inputs into a [`StatusSnapshot`]
//! (a [`ConnectivityStatus`] plus the number of payments still pending):
//!
//! * **platform network availability**, reported by the app
//!   ([`StatusMonitor::set_network_available`]); unavailable is Offline;
//! * **the outcome of every backend request**, reported by the payment engine
//!   ([`StatusMonitor::record_request`]): consecutive connection failures mean
//!   Offline even when the platform says a network exists, consecutive errors
//!   mean Degraded(Errors), a TLS failure means Degraded(TlsFailure), slow
//!   replies mean Degraded(Slow);
//! * **health probes with backoff**, run by whoever owns a timer (the app or
//!   the bindings): ask [`StatusMonitor::probe_due`], probe the backend, report
//!   with [`StatusMonitor::record_probe`]. The monitor owns no thread.
//!
//! Time is always an argument (unix **milliseconds** here, so latency can be
//! judged).
//!
//! ## Delivery
//! Subscribers ([`StatusListener`]) receive every change of the snapshot
//! exactly once and in order. A change is delivered on the thread whose call
//! caused it, after the monitor's state lock is released, so a listener may
//! call [`StatusMonitor::current`]. If another thread is already delivering,
//! that thread delivers the new change too (right after the ones before it)
//! rather than both racing: so "on the thread that caused the change" holds
//! except under that contention, and a listener that itself changes the
//! monitor does not deadlock (its change is delivered after it returns).
//! Listeners must be quick: they run inside the reporting call (the payment
//! engine's, for request outcomes).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Serialize;

/// Why the connection is degraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DegradedReason {
    /// Replies arrive, but slowly.
    Slow,
    /// Requests fail (timeouts, server errors).
    Errors,
    /// TLS handshakes or certificate pins fail: a captive portal or an
    /// interception proxy is likely.
    TlsFailure,
}

/// The connectivity the UI shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum ConnectivityStatus {
    /// Requests succeed promptly.
    Online,
    /// Reachable, but not well.
    Degraded {
        /// What was seen: slow replies, failing requests, or failing TLS /
        /// pins (a captive portal or an interception proxy).
        reason: DegradedReason,
    },
    /// No network, or the backend is unreachable.
    Offline {
        /// Since when (unix milliseconds). Named for its unit, as the
        /// bindings show it; serialised as `"since"`, as before.
        #[serde(rename = "since")]
        since_ms: u64,
    },
}

impl ConnectivityStatus {
    /// Whether the status is Offline.
    pub fn is_offline(&self) -> bool {
        matches!(self, ConnectivityStatus::Offline { .. })
    }
}

/// What subscribers receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct StatusSnapshot {
    /// Online, degraded (with why) or offline (since when).
    pub connectivity: ConnectivityStatus,
    /// Payments not yet resolved (queued offline, sending, unknown, reversing).
    pub pending_payments: u32,
}

/// The outcome of one backend request, as the status sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestOutcome {
    /// A reply arrived (any reply, a decline included), after `latency_ms`.
    Replied {
        /// Round trip in milliseconds.
        latency_ms: u64,
    },
    /// Could not connect (no route, DNS, refused): nothing was sent.
    Unreachable,
    /// Timed out or the connection broke.
    Timeout,
    /// The server answered with a 5xx.
    ServerError,
    /// TLS handshake or certificate pin failure.
    Tls,
}

/// Receives status changes. See the module documentation for which thread
/// calls it.
pub trait StatusListener: Send + Sync {
    /// Called once per change, in order.
    fn on_status(&self, status: StatusSnapshot);
}

/// Thresholds of the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusConfig {
    /// A reply slower than this is slow.
    pub slow_ms: u64,
    /// This many slow replies in a row make the status Degraded(Slow).
    pub slow_streak: u32,
    /// This many failed requests in a row (timeouts, 5xx) make it Degraded(Errors).
    pub error_streak: u32,
    /// This many unreachable requests in a row make it Offline.
    pub unreachable_streak: u32,
    /// Probe interval while Online.
    pub probe_online_ms: u64,
    /// First probe backoff while not Online; doubles per failed probe.
    pub probe_backoff_ms: u64,
    /// Largest probe backoff.
    pub probe_backoff_max_ms: u64,
}

impl Default for StatusConfig {
    fn default() -> StatusConfig {
        StatusConfig {
            slow_ms: 3_000,
            slow_streak: 2,
            error_streak: 2,
            unreachable_streak: 2,
            probe_online_ms: 60_000,
            probe_backoff_ms: 2_000,
            probe_backoff_max_ms: 300_000,
        }
    }
}

/// A subscription handle, for [`StatusMonitor::unsubscribe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubscriptionId(u64);

struct State {
    config: StatusConfig,
    network_available: bool,
    offline_since: Option<u64>,
    unreachable: u32,
    errors: u32,
    slow: u32,
    tls: bool,
    pending: u32,
    probe_failures: u32,
    next_probe_at: u64,
    published: StatusSnapshot,
    listeners: Vec<(SubscriptionId, Arc<dyn StatusListener>)>,
    next_subscription: u64,
}

/// A change waiting for delivery, with the listeners subscribed when it happened.
type Delivery = (StatusSnapshot, Vec<Arc<dyn StatusListener>>);

struct Inner {
    state: Mutex<State>,
    /// Changes waiting to be delivered, in order.
    queue: Mutex<VecDeque<Delivery>>,
    /// Held while delivering, so deliveries never interleave.
    delivering: Mutex<()>,
}

/// The connectivity monitor. Cheap to clone (shared state); `Send + Sync`.
#[derive(Clone)]
pub struct StatusMonitor {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for StatusMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusMonitor")
            .field("current", &self.current())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A listener that panicked must not take the status down with it: the
    // state is plain data and stays consistent between statements.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl StatusMonitor {
    /// A monitor that starts Online (until told otherwise) with no pending payments.
    pub fn new(config: StatusConfig) -> StatusMonitor {
        let published = StatusSnapshot {
            connectivity: ConnectivityStatus::Online,
            pending_payments: 0,
        };
        StatusMonitor {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    config,
                    network_available: true,
                    offline_since: None,
                    unreachable: 0,
                    errors: 0,
                    slow: 0,
                    tls: false,
                    pending: 0,
                    probe_failures: 0,
                    next_probe_at: 0,
                    published,
                    listeners: Vec::new(),
                    next_subscription: 1,
                }),
                queue: Mutex::new(VecDeque::new()),
                delivering: Mutex::new(()),
            }),
        }
    }

    /// The current snapshot.
    pub fn current(&self) -> StatusSnapshot {
        lock(&self.inner.state).published
    }

    /// Subscribes; the listener gets every change from now on (not the
    /// current value: read [`StatusMonitor::current`] first).
    pub fn subscribe(&self, listener: Arc<dyn StatusListener>) -> SubscriptionId {
        let mut s = lock(&self.inner.state);
        let id = SubscriptionId(s.next_subscription);
        s.next_subscription = s.next_subscription.wrapping_add(1);
        s.listeners.push((id, listener));
        id
    }

    /// Unsubscribes. Returns whether the subscription existed.
    pub fn unsubscribe(&self, id: SubscriptionId) -> bool {
        let mut s = lock(&self.inner.state);
        let before = s.listeners.len();
        s.listeners.retain(|(i, _)| *i != id);
        s.listeners.len() != before
    }

    /// The platform's network availability changed (or was re-reported).
    pub fn set_network_available(&self, available: bool, now_ms: u64) {
        self.update(now_ms, |s| {
            if s.network_available != available {
                s.network_available = available;
                if available {
                    // A fresh network: forget the old streaks, probe soon.
                    s.unreachable = 0;
                    s.errors = 0;
                    s.tls = false;
                    s.probe_failures = 0;
                    s.next_probe_at = now_ms;
                }
            }
        });
    }

    /// The outcome of one backend request (the engine reports every one).
    pub fn record_request(&self, outcome: RequestOutcome, now_ms: u64) {
        self.update(now_ms, |s| apply_outcome(s, outcome));
    }

    /// Whether a health probe should be made now. False while the platform
    /// reports no network: there is nothing to probe.
    pub fn probe_due(&self, now_ms: u64) -> bool {
        let s = lock(&self.inner.state);
        s.network_available && now_ms >= s.next_probe_at
    }

    /// When the next probe is due (unix milliseconds).
    pub fn next_probe_at(&self) -> u64 {
        lock(&self.inner.state).next_probe_at
    }

    /// The outcome of a health probe. Success schedules the next probe at the
    /// Online interval; failure doubles the backoff (up to its maximum).
    pub fn record_probe(&self, outcome: RequestOutcome, now_ms: u64) {
        self.update(now_ms, |s| {
            apply_outcome(s, outcome);
            if matches!(outcome, RequestOutcome::Replied { .. }) {
                s.probe_failures = 0;
                s.next_probe_at = now_ms.saturating_add(s.config.probe_online_ms);
            } else {
                let shift = s.probe_failures.min(30);
                s.probe_failures = s.probe_failures.saturating_add(1);
                let wait = s
                    .config
                    .probe_backoff_ms
                    .saturating_mul(1u64 << shift)
                    .min(s.config.probe_backoff_max_ms);
                s.next_probe_at = now_ms.saturating_add(wait);
            }
        });
    }

    /// The number of payments still pending (the engine keeps it current).
    pub fn set_pending_payments(&self, count: u32, now_ms: u64) {
        self.update(now_ms, |s| s.pending = count);
    }

    fn update(&self, now_ms: u64, change: impl FnOnce(&mut State)) {
        {
            let mut s = lock(&self.inner.state);
            change(&mut s);
            let connectivity = derive(&mut s, now_ms);
            let snap = StatusSnapshot {
                connectivity,
                pending_payments: s.pending,
            };
            if snap == s.published {
                return;
            }
            s.published = snap;
            let listeners: Vec<_> = s.listeners.iter().map(|(_, l)| Arc::clone(l)).collect();
            // Queued while the state lock is held, so queue order is change order.
            lock(&self.inner.queue).push_back((snap, listeners));
        }
        self.deliver();
    }

    fn deliver(&self) {
        loop {
            let Ok(_guard) = self.inner.delivering.try_lock() else {
                // Another thread (or this one, re-entrantly) is delivering and
                // will drain the queue, this change included.
                return;
            };
            loop {
                let next = lock(&self.inner.queue).pop_front();
                let Some((snap, listeners)) = next else { break };
                for l in listeners {
                    l.on_status(snap);
                }
            }
            drop(_guard);
            // A change queued between the last pop and the unlock would be
            // stranded; look once more.
            if lock(&self.inner.queue).is_empty() {
                return;
            }
        }
    }
}

impl Default for StatusMonitor {
    fn default() -> StatusMonitor {
        StatusMonitor::new(StatusConfig::default())
    }
}

fn apply_outcome(s: &mut State, outcome: RequestOutcome) {
    match outcome {
        RequestOutcome::Replied { latency_ms } => {
            s.unreachable = 0;
            s.errors = 0;
            s.tls = false;
            if latency_ms > s.config.slow_ms {
                s.slow = s.slow.saturating_add(1);
            } else {
                s.slow = 0;
            }
        }
        RequestOutcome::Unreachable => {
            s.unreachable = s.unreachable.saturating_add(1);
        }
        RequestOutcome::Timeout | RequestOutcome::ServerError => {
            s.unreachable = 0;
            s.errors = s.errors.saturating_add(1);
        }
        RequestOutcome::Tls => {
            s.unreachable = 0;
            s.tls = true;
        }
    }
}

fn derive(s: &mut State, now_ms: u64) -> ConnectivityStatus {
    let offline = !s.network_available || s.unreachable >= s.config.unreachable_streak;
    if offline {
        let since_ms = *s.offline_since.get_or_insert(now_ms);
        return ConnectivityStatus::Offline { since_ms };
    }
    s.offline_since = None;
    if s.tls {
        ConnectivityStatus::Degraded {
            reason: DegradedReason::TlsFailure,
        }
    } else if s.errors >= s.config.error_streak {
        ConnectivityStatus::Degraded {
            reason: DegradedReason::Errors,
        }
    } else if s.slow >= s.config.slow_streak {
        ConnectivityStatus::Degraded {
            reason: DegradedReason::Slow,
        }
    } else {
        ConnectivityStatus::Online
    }
}
