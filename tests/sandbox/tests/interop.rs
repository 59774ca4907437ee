//! The wallet core's own HTTPS client (`scanpay_core::net::HttpsBackend`)
//! against the sandbox: the two sides of `docs/api.md` agree.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use scanpay_core::net::api::{Fault, FaultKind, FaultRequest, ServerPaymentState};
use scanpay_core::net::config::{ClientConfig, TlsConfig};
use scanpay_core::net::HttpsBackend;
use scanpay_core::payment::{Backend, BackendError, BackendReply, PaymentRequest};
use scanpay_core::trust::{RootKeys, TrustStore};
use support::*;

fn backend(sb: &scanpay_sandbox::RunningSandbox, pin: &str) -> HttpsBackend {
    let link = sb.wallet_link();
    let mut config = ClientConfig::new(
        link.base_url,
        TlsConfig {
            root_certificates: link.ca_pem.into_bytes(),
            pins: vec![pin.to_string()],
            require_pins: true,
        },
    );
    config.read_timeout = Duration::from_secs(3);
    HttpsBackend::new(config).unwrap()
}

#[test]
fn core_client_pays_through_the_sandbox_exactly_once() {
    let sb = start("interop");
    let b = backend(&sb, &sb.tls().spki_pin);
    assert_eq!(b.health().unwrap().status, "ok");

    let roots = RootKeys::from_json(&std::fs::read(sb.data().roots_json_path()).unwrap()).unwrap();
    let mut store = TrustStore::new(roots);
    let doc = b.fetch_registry(None).unwrap().unwrap();
    let now = sb.data().now().unwrap();
    let info = store.apply_registry(&doc, now).unwrap();
    assert_eq!(b.fetch_registry(Some(info.version)).unwrap(), None);

    let key = scanpay_core::auth::DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    let enrolment = b.enrol(key.public_key(), "SANDBOX").unwrap();
    let w = Wallet { key, enrolment };
    let payload = sb.data().static_payload("M-0002").unwrap();

    let id = new_id();
    let req: PaymentRequest = w.pay(&store, &id, &payload, money(880, "SGD"), now).into();
    let paid = b.submit(&req).unwrap();
    assert!(matches!(paid, BackendReply::Succeeded { .. }));
    assert_eq!(b.submit(&req).unwrap(), paid, "a retry replays");

    // A lost response: maybe sent; the query resolves it; charged once.
    let id = new_id();
    let req: PaymentRequest = w.pay(&store, &id, &payload, money(120, "SGD"), now).into();
    b.set_fault(&FaultRequest {
        kind: FaultKind::Submit,
        fault: Fault::DropAfterCommit,
        count: 1,
    })
    .unwrap();
    assert!(matches!(b.submit(&req), Err(BackendError::MaybeSent(_))));
    assert!(matches!(
        b.query(&id).unwrap(),
        BackendReply::Succeeded { .. }
    ));
    let t = b.control_payment(&id).unwrap();
    assert_eq!(
        (t.state, t.charges_applied),
        (ServerPaymentState::Succeeded, 1)
    );

    // A 500 before commit: a server error, nothing charged.
    let id = new_id();
    let req: PaymentRequest = w.pay(&store, &id, &payload, money(50, "SGD"), now).into();
    sb.inject(FaultKind::Submit, Fault::Error500BeforeCommit, 1);
    assert!(matches!(
        b.submit(&req),
        Err(BackendError::Server { status: 500, .. })
    ));
    assert_eq!(b.control_payment(&id).unwrap().charges_applied, 0);
    assert_eq!(b.reverse(&id).unwrap(), BackendReply::Reversed);
    assert_eq!(b.submit(&req).unwrap(), BackendReply::Reversed, "tombstone");

    // A failed handshake is never "maybe sent".
    b.close_idle();
    sb.inject(FaultKind::Any, Fault::TlsHandshake, 1);
    let err = b.query(&id).unwrap_err();
    assert!(err.definitely_not_sent(), "{err:?}");
}

#[test]
fn core_client_refuses_a_wrong_pin() {
    let sb = start("interop-pin");
    let wrong = backend(&sb, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assert!(wrong.health().is_err());
    let right = backend(&sb, &sb.tls().spki_pin);
    assert!(right.health().is_ok());
}
