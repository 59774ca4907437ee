//! The connectivity monitor: inputs, derived status, probes with backoff,
//! and exactly-once, in-order delivery to subscribers.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use scanpay_core::status::{
    ConnectivityStatus, DegradedReason, RequestOutcome, StatusConfig, StatusListener,
    StatusMonitor, StatusSnapshot,
};

#[derive(Default)]
struct Recorder(Mutex<Vec<StatusSnapshot>>);

impl StatusListener for Recorder {
    fn on_status(&self, status: StatusSnapshot) {
        self.0.lock().unwrap().push(status);
    }
}

impl Recorder {
    fn seen(&self) -> Vec<ConnectivityStatus> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.connectivity)
            .collect()
    }
}

const OK: RequestOutcome = RequestOutcome::Replied { latency_ms: 100 };

#[test]
fn derives_each_status_from_its_inputs() {
    let m = StatusMonitor::default();
    let rec = Arc::new(Recorder::default());
    m.subscribe(rec.clone());
    assert_eq!(m.current().connectivity, ConnectivityStatus::Online);

    m.set_network_available(false, 1000);
    assert_eq!(
        m.current().connectivity,
        ConnectivityStatus::Offline { since_ms: 1000 }
    );
    // Re-reported: no change, no notification; `since` does not move.
    m.set_network_available(false, 2000);
    m.set_network_available(true, 3000);
    assert_eq!(m.current().connectivity, ConnectivityStatus::Online);

    // Two timeouts in a row: degraded by errors; one reply clears it.
    m.record_request(RequestOutcome::Timeout, 4000);
    assert_eq!(m.current().connectivity, ConnectivityStatus::Online);
    m.record_request(RequestOutcome::ServerError, 4100);
    let errors = ConnectivityStatus::Degraded {
        reason: DegradedReason::Errors,
    };
    assert_eq!(m.current().connectivity, errors);
    m.record_request(OK, 4200);
    assert_eq!(m.current().connectivity, ConnectivityStatus::Online);

    // TLS failure at once.
    m.record_request(RequestOutcome::Tls, 5000);
    let tls = ConnectivityStatus::Degraded {
        reason: DegradedReason::TlsFailure,
    };
    assert_eq!(m.current().connectivity, tls);
    m.record_request(OK, 5100);

    // Slow replies, twice in a row.
    m.record_request(RequestOutcome::Replied { latency_ms: 5000 }, 6000);
    assert_eq!(m.current().connectivity, ConnectivityStatus::Online);
    m.record_request(RequestOutcome::Replied { latency_ms: 5000 }, 7000);
    let slow = ConnectivityStatus::Degraded {
        reason: DegradedReason::Slow,
    };
    assert_eq!(m.current().connectivity, slow);
    m.record_request(OK, 7100);

    // Unreachable twice although the platform reports a network: offline.
    m.record_request(RequestOutcome::Unreachable, 8000);
    m.record_request(RequestOutcome::Unreachable, 8100);
    assert_eq!(
        m.current().connectivity,
        ConnectivityStatus::Offline { since_ms: 8100 }
    );
    m.record_request(OK, 9000);

    assert_eq!(
        rec.seen(),
        [
            ConnectivityStatus::Offline { since_ms: 1000 },
            ConnectivityStatus::Online,
            errors,
            ConnectivityStatus::Online,
            tls,
            ConnectivityStatus::Online,
            slow,
            ConnectivityStatus::Online,
            ConnectivityStatus::Offline { since_ms: 8100 },
            ConnectivityStatus::Online,
        ]
    );
}

#[test]
fn pending_count_is_part_of_the_snapshot() {
    let m = StatusMonitor::default();
    let rec = Arc::new(Recorder::default());
    let id = m.subscribe(rec.clone());
    m.set_pending_payments(2, 1);
    m.set_pending_payments(2, 2);
    m.set_pending_payments(0, 3);
    let got: Vec<u32> = rec
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.pending_payments)
        .collect();
    assert_eq!(got, [2, 0]);
    assert!(m.unsubscribe(id));
    assert!(!m.unsubscribe(id));
    m.set_pending_payments(5, 4);
    assert_eq!(rec.0.lock().unwrap().len(), 2);
    assert_eq!(m.current().pending_payments, 5);
}

#[test]
fn probes_back_off_and_reset() {
    let cfg = StatusConfig::default();
    let m = StatusMonitor::new(cfg);
    assert!(m.probe_due(0));
    let mut now = 10_000;
    let mut gaps = Vec::new();
    for _ in 0..10 {
        m.record_probe(RequestOutcome::Unreachable, now);
        let next = m.next_probe_at();
        gaps.push(next - now);
        assert!(!m.probe_due(next - 1));
        assert!(m.probe_due(next));
        now = next;
    }
    assert_eq!(
        gaps,
        [2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000]
    );
    assert!(m.current().connectivity.is_offline());
    m.record_probe(OK, now);
    assert_eq!(m.current().connectivity, ConnectivityStatus::Online);
    assert_eq!(m.next_probe_at(), now + cfg.probe_online_ms);
    // No probing without a network.
    m.set_network_available(false, now);
    assert!(!m.probe_due(u64::MAX));
    // Network back: probe at once.
    m.set_network_available(true, now + 5);
    assert!(m.probe_due(now + 5));
}

/// A listener that changes the monitor from inside its callback.
struct Reentrant {
    monitor: Mutex<Option<StatusMonitor>>,
    seen: Mutex<Vec<StatusSnapshot>>,
}

impl StatusListener for Reentrant {
    fn on_status(&self, status: StatusSnapshot) {
        self.seen.lock().unwrap().push(status);
        if status.pending_payments == 1 {
            if let Some(m) = self.monitor.lock().unwrap().as_ref() {
                let _ = m.current();
                m.set_pending_payments(2, 0);
            }
        }
    }
}

#[test]
fn reentrant_listener_neither_deadlocks_nor_loses_changes() {
    let m = StatusMonitor::default();
    let l = Arc::new(Reentrant {
        monitor: Mutex::new(Some(m.clone())),
        seen: Mutex::new(Vec::new()),
    });
    m.subscribe(l.clone());
    m.set_pending_payments(1, 0);
    let seen: Vec<u32> = l
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.pending_payments)
        .collect();
    assert_eq!(seen, [1, 2]);
    *l.monitor.lock().unwrap() = None;
}

#[test]
fn concurrent_changes_are_delivered_once_each_in_order() {
    let m = StatusMonitor::default();
    let rec = Arc::new(Recorder::default());
    m.subscribe(rec.clone());
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let m = m.clone();
            s.spawn(move || {
                for i in 0..250u32 {
                    m.set_pending_payments(t * 1000 + i + 1, u64::from(i));
                }
            });
        }
    });
    let got: Vec<u32> = rec
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.pending_payments)
        .collect();
    // Every value differs from the one before it, so every call was a change.
    assert_eq!(got.len(), 1000);
    // Per thread, in the order the thread made them.
    for t in 0..4u32 {
        let mine: Vec<u32> = got
            .iter()
            .copied()
            .filter(|v| (t * 1000 + 1..=t * 1000 + 250).contains(v))
            .collect();
        let expected: Vec<u32> = (1..=250).map(|i| t * 1000 + i).collect();
        assert_eq!(mine, expected);
    }
    // And the last delivered is the current value.
    assert_eq!(*got.last().unwrap(), m.current().pending_payments);
}
