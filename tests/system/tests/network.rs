//! The network edge of the wallet against the real sandbox: certificate
//! pinning and host-name validation, connectivity status as a listener sees
//! it, and registry sync with rollback refusal (also across a restart).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use scanpay_core::net::api::{Fault, FaultKind, ServerPaymentState};
use scanpay_core::net::{HttpsBackend, NetError};
use scanpay_core::payment::{
    BackendError, Clock, EngineError, FailureReason, FlowError, FlowState, Intent, Operation,
    RetryOption,
};
use scanpay_core::status::{ConnectivityStatus, DegradedReason, StatusListener, StatusSnapshot};
use scanpay_core::trust::{Reason, RegistryError, Verdict};
use scanpay_core::wallet::WalletError;
use scanpay_system::{authorise, client_config, pay, System, SystemOptions, PIN, WRONG_PIN};

fn options(name: &str) -> SystemOptions {
    SystemOptions::new(env!("CARGO_TARGET_TMPDIR"), name)
}

// ---------------------------------------------------------------- pinning

#[test]
fn right_pin_and_backup_pin_connect() {
    let sys = System::start(options("pin-right")).unwrap();
    let link = sys.sandbox.wallet_link();
    assert_eq!(sys.net.health().unwrap().status, "ok");
    assert_eq!(sys.net.stats().handshakes, 1);
    // A rotated deployment: the primary pin is a key not yet (or no longer)
    // served, the backup is the served one.
    let backup = HttpsBackend::new(client_config(
        &link,
        &link.base_url,
        &[WRONG_PIN, link.spki_pin.as_str()],
    ))
    .unwrap();
    assert_eq!(backup.health().unwrap().status, "ok");
}

#[test]
fn wrong_pin_fails_before_anything_is_sent() {
    let mut opts = options("pin-wrong");
    opts.pins = Some(vec![WRONG_PIN.to_string()]);
    let sys = System::start(opts).unwrap();
    assert_eq!(sys.net.health(), Err(NetError::PinMismatch));
    // Set the wallet up through a correctly pinned client, so that only its
    // payment goes through the wrongly pinned one.
    let public = sys
        .wallet
        .authenticator()
        .enrol(&scanpay_system::pad(&PIN).unwrap(), sys.clock.now())
        .unwrap();
    sys.control.enrol(&public, "SANDBOX").unwrap();
    let doc = sys.control.fetch_registry(None).unwrap().unwrap();
    sys.wallet.apply_registry(&doc).unwrap();

    let code = sys.static_code("M-0002").unwrap();
    let (end, _, id) = pay(&sys.wallet, &code, Some("5.00")).unwrap();
    let id = id.unwrap();
    assert!(
        matches!(
            &end,
            FlowState::Failed {
                reason: FailureReason::NotSent { .. },
                retry: RetryOption::SameId,
                ..
            }
        ),
        "{end:?}"
    );
    assert!(matches!(
        sys.tap.results(Operation::Submit).as_slice(),
        [Err(BackendError::Tls(_))]
    ));
    let stats = sys.net.stats();
    assert_eq!(
        (stats.handshakes, stats.requests),
        (0, 0),
        "no handshake completed, no request byte written: {stats:?}"
    );
    let t = sys.truth(&id).unwrap();
    assert_eq!(
        (t.state, t.submits_received, t.charges_applied),
        (ServerPaymentState::NotFound, 0, 0),
        "the server never saw it: {t:?}"
    );
    assert_eq!(
        sys.wallet.status().current().connectivity,
        ConnectivityStatus::Degraded {
            reason: DegradedReason::TlsFailure
        }
    );
}

/// The wallet's own calls to the backend (registry sync, health check) feed
/// the status like a payment's: a pin failure is Degraded(TlsFailure) — the
/// first sign of an interception proxy — and never mistaken for Offline.
/// Before issue 15 the harness synced the registry without telling the
/// status, and the crash child counted every failed probe as unreachable.
#[test]
fn a_registry_sync_or_probe_through_a_wrong_pin_is_degraded_not_offline() {
    let mut opts = options("pin-status");
    opts.pins = Some(vec![WRONG_PIN.to_string()]);
    let sys = System::start(opts).unwrap();
    let recorder = Arc::new(Recorder::default());
    sys.wallet.status().subscribe(recorder.clone());
    let tls_failure = ConnectivityStatus::Degraded {
        reason: DegradedReason::TlsFailure,
    };

    assert!(
        sys.sync_registry().is_err(),
        "nothing verifies through a wrong pin"
    );
    assert_eq!(sys.wallet.status().current().connectivity, tls_failure);
    assert_eq!(transitions(&recorder), [tls_failure]);
    assert!(sys.wallet.registry_info().is_none());

    let check = sys.wallet.check_backend().unwrap();
    assert_eq!(check.status.connectivity, tls_failure);
    assert_eq!(check.problem, Some(NetError::PinMismatch));
    assert_eq!(
        transitions(&recorder),
        [tls_failure],
        "no change: still TLS"
    );
}

#[test]
fn a_host_name_outside_the_certificate_is_refused() {
    // 127.0.0.2 reaches the loopback interface on Linux but is not among the
    // certificate's names (localhost, 127.0.0.1, ::1, 10.0.2.2).
    let mut opts = options("pin-host");
    opts.listen = Some(SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 0)));
    opts.base_url = Some("https://127.0.0.2:{port}".to_string());
    let sys = System::start(opts).unwrap();
    let err = sys.net.health().unwrap_err();
    assert!(
        matches!(&err, NetError::Tls(m) if m.to_lowercase().contains("name") || m.to_lowercase().contains("notvalidforname")),
        "{err:?}"
    );
    assert!(err.definitely_not_sent());
    assert_eq!(sys.net.stats().requests, 0);
    drop(sys);

    // The same address added to the certificate's names (the sandbox's
    // `extra_names`, as for a phone on the LAN) is accepted, same pin.
    let mut opts = options("pin-host-extra");
    opts.listen = Some(SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 0)));
    opts.base_url = Some("https://127.0.0.2:{port}".to_string());
    opts.extra_names = vec!["127.0.0.2".to_string()];
    let sys = System::start(opts).unwrap();
    assert_eq!(sys.net.health().unwrap().status, "ok");
}

// ----------------------------------------------------------------- status

#[derive(Default)]
struct Recorder(Mutex<Vec<StatusSnapshot>>);

impl StatusListener for Recorder {
    fn on_status(&self, status: StatusSnapshot) {
        self.0.lock().unwrap().push(status);
    }
}

/// Connectivity as the listener saw it, one entry per change of
/// connectivity from the initial Online (snapshots also change with the
/// pending-payment count, which leaves connectivity as it was).
fn transitions(r: &Recorder) -> Vec<ConnectivityStatus> {
    let mut last = ConnectivityStatus::Online;
    let mut out = Vec::new();
    for s in r.0.lock().unwrap().iter() {
        if s.connectivity != last {
            last = s.connectivity;
            out.push(last);
        }
    }
    out
}

#[test]
fn status_goes_degraded_offline_online_and_each_change_is_reported_once() {
    let sys = System::start(options("status")).unwrap();
    sys.enrol("SANDBOX").unwrap();
    sys.sync_registry().unwrap();
    let recorder = Arc::new(Recorder::default());
    sys.wallet.status().subscribe(recorder.clone());
    assert_eq!(
        sys.wallet.status().current().connectivity,
        ConnectivityStatus::Online
    );
    let code = sys.static_code("M-0002").unwrap();

    // Errors: a 500 on the submit and on the first query (two failures in a
    // row) degrade; the next reply restores Online.
    sys.tap.arm_before(
        Operation::Submit,
        1,
        FaultKind::Submit,
        Fault::Error500BeforeCommit,
        1,
    );
    sys.tap.arm_before(
        Operation::Query,
        1,
        FaultKind::Query,
        Fault::Error500BeforeCommit,
        1,
    );
    let (end, _, _) = pay(&sys.wallet, &code, Some("1.00")).unwrap();
    assert!(matches!(end, FlowState::Done { .. }), "{end:?}");
    assert_eq!(
        transitions(&recorder),
        [
            ConnectivityStatus::Degraded {
                reason: DegradedReason::Errors
            },
            ConnectivityStatus::Online
        ]
    );

    // A failed TLS handshake: Degraded(TlsFailure), the payment not sent.
    sys.tap.reset();
    sys.tap
        .arm_before(Operation::Submit, 1, FaultKind::Any, Fault::TlsHandshake, 1);
    let mut flow = sys.wallet.new_flow();
    authorise(&mut flow, &code, Some("2.00")).unwrap();
    let end = flow.process(&mut |_| {}).unwrap();
    assert!(
        matches!(
            &end,
            FlowState::Failed {
                retry: RetryOption::SameId,
                ..
            }
        ),
        "{end:?}"
    );
    let id = flow.payment_id().unwrap().to_string();

    // The platform reports the network gone: Offline, and a new payment is
    // refused before the PIN (offline payments are off by default).
    sys.wallet.set_network_available(false);
    let mut offline_flow = sys.wallet.new_flow();
    offline_flow
        .handle(Intent::ScannedText(code.clone()))
        .unwrap();
    offline_flow.handle(Intent::Proceed).unwrap();
    offline_flow
        .handle(Intent::EditAmount("3.00".into()))
        .unwrap();
    let refused = offline_flow.handle(Intent::Confirm {
        displayed_total: scanpay_system::sgd(300),
    });
    assert!(
        matches!(
            refused,
            Err(FlowError::Payment(EngineError::OfflineNotAllowed))
        ),
        "{refused:?}"
    );
    // Reported again, unchanged: no new event.
    sys.wallet.set_network_available(false);

    // The network is back: Online; the user retries the same payment.
    sys.wallet.set_network_available(true);
    flow.handle(Intent::Retry).unwrap();
    let end = flow.process(&mut |_| {}).unwrap();
    assert!(matches!(end, FlowState::Done { .. }), "{end:?}");
    assert_eq!(sys.truth(&id).unwrap().charges_applied, 1);

    let seen = transitions(&recorder);
    assert!(
        matches!(
            seen.as_slice(),
            [
                ConnectivityStatus::Degraded {
                    reason: DegradedReason::Errors
                },
                ConnectivityStatus::Online,
                ConnectivityStatus::Degraded {
                    reason: DegradedReason::TlsFailure
                },
                ConnectivityStatus::Offline { .. },
                ConnectivityStatus::Online,
            ]
        ),
        "{seen:?}"
    );
    // Every delivery is a change: never the same snapshot twice in a row.
    let all = recorder.0.lock().unwrap().clone();
    assert!(
        all.windows(2).all(|w| w[0] != w[1]),
        "a snapshot was delivered twice: {all:?}"
    );
    assert_eq!(sys.wallet.status().current().pending_payments, 0);
    assert_eq!(sys.tap.problems(), Vec::<String>::new());
}

// --------------------------------------------------------------- registry

#[test]
fn registry_sync_revocation_and_rollback_refusal_survive_a_restart() {
    let sys = System::start(options("registry")).unwrap();
    let (v1, doc_v1) = sys.sync_registry().unwrap().unwrap();
    assert_eq!(v1.version, 1);
    assert!(sys.sync_registry().unwrap().is_none(), "current: 304");

    let code = sys.static_code("M-0002").unwrap();
    let verdict = |sys: &System| -> Verdict {
        let mut flow = sys.wallet.new_flow();
        match flow.handle(Intent::ScannedText(code.clone())).unwrap() {
            FlowState::ReviewMerchant { review } => review.verdict,
            other => panic!("{other:?}"),
        }
    };
    assert!(verdict(&sys).is_verified());

    // The acquirer revokes the merchant's key: a new registry version.
    assert_eq!(
        sys.sandbox.data().set_key_revoked("laksa-1", true).unwrap(),
        2
    );
    let (v2, _) = sys.sync_registry().unwrap().unwrap();
    assert_eq!(v2.version, 2);
    let revoked = |v: &Verdict| matches!(v, Verdict::Unverified { reason: Reason::RevokedKey { key_id, .. } } if key_id == "laksa-1");
    let v = verdict(&sys);
    assert!(revoked(&v), "{v:?}");
    let mut flow = sys.wallet.new_flow();
    flow.handle(Intent::ScannedText(code.clone())).unwrap();
    assert!(matches!(
        flow.handle(Intent::Proceed),
        Err(FlowError::MerchantNotPayable {
            reason: Reason::RevokedKey { .. }
        })
    ));

    // An attacker (or a stale cache) feeds the older document back.
    let rollback = |sys: &System| {
        let r = sys.wallet.apply_registry(&doc_v1);
        assert!(
            matches!(
                r,
                Err(WalletError::Registry(RegistryError::Rollback {
                    current: 2,
                    offered: 1
                }))
            ),
            "{r:?}"
        );
    };
    rollback(&sys);
    assert_eq!(sys.wallet.registry_info().unwrap().version, 2);
    assert!(revoked(&verdict(&sys)));

    // After a restart the cached newer document is in force, and the older
    // one is still refused.
    let sys = sys.restart_wallet().unwrap();
    assert!(sys.wallet.registry_problem().is_none());
    assert_eq!(sys.wallet.registry_info().unwrap().version, 2);
    rollback(&sys);
    assert!(revoked(&verdict(&sys)));
    assert!(sys.sync_registry().unwrap().is_none(), "still current");
}
