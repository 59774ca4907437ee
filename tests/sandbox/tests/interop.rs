//! The wallet core's own HTTPS client (`scanpay_core::net::HttpsBackend`)
//! against the sandbox: the two sides of `docs/api.md` agree.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::time::Duration;

use scanpay_core::auth::{RequestKeyError, SoftwareKeyStore, StoredRequestSigner};
use scanpay_core::net::NetError;
use scanpay_core::store::Store;

use scanpay_core::net::api::{Fault, FaultKind, FaultRequest, ServerPaymentState};
use scanpay_core::net::HttpsBackend;
use scanpay_core::net::{ClientConfig, TlsConfig};
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
    // A wallet registered before request keys existed: no request key, so
    // it cannot query or reverse — a typed error, nothing sent, telling the
    // app to register again.
    let old = b.enrol(key.public_key(), "SANDBOX").unwrap();
    let e = b.query_payment(&new_id()).unwrap_err();
    assert_eq!(e, NetError::RequestKey(RequestKeyError::NotRegistered));
    assert!(e.definitely_not_sent());
    let signer = Arc::new(StoredRequestSigner::new(
        Store::open_in_memory().unwrap(),
        Arc::new(SoftwareKeyStore::generate().unwrap()),
    ));
    b.set_request_signer(signer.clone());
    assert_eq!(
        b.query_payment(&new_id()).unwrap_err(),
        NetError::RequestKey(RequestKeyError::NotRegistered)
    );
    // A key the backend never registered is refused with its own code.
    let unregistered = signer.load_or_create().unwrap();
    let e = b.query_payment(&new_id()).unwrap_err();
    assert!(
        matches!(&e, NetError::Status { status: 401, message } if message.starts_with("unknown-request-key")),
        "{e:?}"
    );
    // Registering again (same device key, same code) replays the enrolment
    // and registers the key: queries now work.
    let enrolment = b.enrol(key.public_key(), "SANDBOX").unwrap();
    assert_eq!(enrolment, old);
    assert_eq!(
        signer.load().unwrap().unwrap().public_key(),
        unregistered.public_key()
    );
    assert_eq!(b.query_payment(&new_id()).unwrap(), BackendReply::NotFound);
    let w = Wallet {
        key,
        enrolment,
        request_seed: [0; 32],
    };
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
