//! The HTTPS client's TLS: validation always, pins on top, TLS 1.3 only, and
//! every TLS failure before a single request byte is sent.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use std::time::Duration;

use crate::net_support::{client_config, raw_server, server_config, signed, Ca, Reply, Server};
use scanpay_core::net::api::PaymentRequestBody;
use scanpay_core::net::{ClientConfig, ConfigError, HttpsBackend, NetError, SpkiPin, TlsConfig};
use scanpay_core::payment::Backend;
use scanpay_core::payment::{BackendError, BackendReply};

fn health_server(ca: &Ca, names: &[&str], expired: bool) -> (Server, String) {
    let leaf = ca.leaf(names, expired);
    let server = Server::start(server_config(&leaf), |_| {
        Reply::Json(
            200,
            r#"{"status":"ok","time":5,"registry_version":2}"#.into(),
        )
    });
    (server, leaf.pin)
}

fn other_pin() -> String {
    SpkiPin::of_spki(b"some other key").to_base64()
}

/// The server saw no plaintext byte and no request.
fn assert_nothing_received(server: &Server) {
    assert_eq!(
        server
            .seen
            .plaintext_bytes
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert!(server.seen.requests().is_empty());
}

#[test]
fn right_pin_connects_and_submits_with_the_idempotency_key() {
    let ca = Ca::new("ScanPay Test CA right-pin");
    let leaf = ca.leaf(&["127.0.0.1"], false);
    let pin = leaf.pin.clone();
    let server = Server::start(server_config(&leaf), |req| {
        if req.path == "/v1/health" {
            return Reply::Json(
                200,
                r#"{"status":"ok","time":5,"registry_version":2}"#.into(),
            );
        }
        let body: PaymentRequestBody = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(
            req.header("Idempotency-Key"),
            Some(body.payment_id.as_str())
        );
        Reply::Json(
            200,
            r#"{"reply":"declined","code":"insufficient-funds","message":"low"}"#.into(),
        )
    });
    let backend = signed(HttpsBackend::new(client_config(server.port, &ca, vec![pin])).unwrap());
    assert_eq!(backend.health().unwrap().registry_version, 2);
    let req = support_payment::request("0f8fad5b-d9cb-469f-a165-70867728950e");
    let reply = backend.submit(&req).unwrap();
    assert_eq!(
        reply,
        BackendReply::Declined {
            code: "insufficient-funds".into(),
            message: "low".into()
        }
    );
    let seen = server.seen.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(
        (seen[1].method.as_str(), seen[1].path.as_str()),
        ("POST", "/v1/payments")
    );
    let body: PaymentRequestBody = serde_json::from_slice(&seen[1].body).unwrap();
    assert_eq!(scanpay_core::payment::PaymentRequest::from(body), req);
    // The wire form is exactly the engine type's serialisation.
    assert_eq!(seen[1].body, serde_json::to_vec(&req).unwrap());
}

#[test]
fn backup_pin_is_accepted() {
    let ca = Ca::new("ScanPay Test CA backup-pin");
    let (server, pin) = health_server(&ca, &["127.0.0.1"], false);
    let backend =
        signed(HttpsBackend::new(client_config(server.port, &ca, vec![other_pin(), pin])).unwrap());
    assert_eq!(backend.health().unwrap().status, "ok");
}

#[test]
fn wrong_pin_is_refused_before_any_request_byte() {
    let ca = Ca::new("ScanPay Test CA wrong-pin");
    let (server, _) = health_server(&ca, &["127.0.0.1"], false);
    let backend =
        signed(HttpsBackend::new(client_config(server.port, &ca, vec![other_pin()])).unwrap());
    assert_eq!(backend.health(), Err(NetError::PinMismatch));
    let e = backend.query("abc").unwrap_err();
    assert!(matches!(e, BackendError::Tls(_)), "{e:?}");
    assert!(e.definitely_not_sent());
    assert_nothing_received(&server);
    let stats = backend.stats();
    assert_eq!(
        (stats.connects, stats.handshakes, stats.requests),
        (2, 0, 0)
    );
}

#[test]
fn another_key_from_the_same_ca_is_refused_by_the_pin() {
    let ca = Ca::new("ScanPay Test CA same-ca");
    let pinned = ca.leaf(&["127.0.0.1"], false);
    let (server, served_pin) = health_server(&ca, &["127.0.0.1"], false);
    assert_ne!(pinned.pin, served_pin);
    let backend =
        signed(HttpsBackend::new(client_config(server.port, &ca, vec![pinned.pin])).unwrap());
    assert_eq!(backend.health(), Err(NetError::PinMismatch));
    assert_nothing_received(&server);
}

#[test]
fn a_pin_never_replaces_validation() {
    // The right key, but a chain to a root the client does not trust.
    let ca = Ca::new("ScanPay Test CA served");
    let trusted = Ca::new("ScanPay Test CA trusted");
    let (server, pin) = health_server(&ca, &["127.0.0.1"], false);
    let backend =
        signed(HttpsBackend::new(client_config(server.port, &trusted, vec![pin])).unwrap());
    let e = backend.health().unwrap_err();
    assert!(matches!(e, NetError::Tls(_)), "{e:?}");
    assert_nothing_received(&server);
}

#[test]
fn wrong_host_is_refused_even_with_the_right_pin() {
    let ca = Ca::new("ScanPay Test CA wrong-host");
    let (server, pin) = health_server(&ca, &["pay.example.com"], false);
    let backend = signed(HttpsBackend::new(client_config(server.port, &ca, vec![pin])).unwrap());
    let e = backend.health().unwrap_err();
    assert!(
        matches!(&e, NetError::Tls(m) if m.contains("not valid for name")),
        "{e:?}"
    );
    assert_nothing_received(&server);
}

#[test]
fn expired_certificate_is_refused_even_with_the_right_pin() {
    let ca = Ca::new("ScanPay Test CA expired");
    let (server, pin) = health_server(&ca, &["127.0.0.1"], true);
    let backend = signed(HttpsBackend::new(client_config(server.port, &ca, vec![pin])).unwrap());
    let e = backend.health().unwrap_err();
    assert!(
        matches!(&e, NetError::Tls(m) if m.contains("expired")),
        "{e:?}"
    );
    assert_nothing_received(&server);
}

#[test]
fn validation_alone_works_without_pins_and_der_roots_are_accepted() {
    let ca = Ca::new("ScanPay Test CA no-pins");
    let (server, _) = health_server(&ca, &["127.0.0.1"], false);
    let mut config = client_config(server.port, &ca, vec![]);
    config.tls.root_certificates = ca.der.clone();
    let backend = signed(HttpsBackend::new(config).unwrap());
    assert_eq!(backend.health().unwrap().time, 5);
}

/// A TLS 1.2 ServerHello (no `supported_versions` extension), as a server
/// offering only TLS 1.2 sends it. rustls on the server side cannot do this
/// here: its `tls12` feature would unify into the client's rustls.
fn tls12_server_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // empty session id
    body.extend_from_slice(&[0xc0, 0x2f]); // ECDHE_RSA_WITH_AES_128_GCM_SHA256
    body.push(0); // no compression
    let mut hs = vec![0x02, 0, 0, body.len() as u8];
    hs.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x03, 0, hs.len() as u8];
    record.extend_from_slice(&hs);
    record
}

#[test]
fn a_tls12_only_server_is_refused_before_any_request_byte() {
    let ca = Ca::new("ScanPay Test CA tls12");
    let (port, got) = raw_server(|_| Some(tls12_server_hello()), Duration::from_millis(500));
    let backend = signed(HttpsBackend::new(client_config(port, &ca, vec![other_pin()])).unwrap());
    let e = backend.reverse("abc").unwrap_err();
    assert!(matches!(&e, BackendError::Tls(_)), "{e:?}");
    std::thread::sleep(Duration::from_millis(600));
    let got = got.lock().unwrap().concat();
    assert_eq!(got.first(), Some(&0x16), "a ClientHello arrived");
    assert!(!contains(&got, b"/v1/"), "no request bytes");
}

#[test]
fn a_plaintext_http_server_is_refused_and_nothing_is_sent() {
    let ca = Ca::new("ScanPay Test CA plaintext");
    let (port, got) = raw_server(
        |_| {
            Some(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    .to_vec(),
            )
        },
        Duration::from_millis(500),
    );
    let backend = signed(HttpsBackend::new(client_config(port, &ca, vec![other_pin()])).unwrap());
    let req = support_payment::request("0f8fad5b-d9cb-469f-a165-70867728950e");
    let e = backend.submit(&req).unwrap_err();
    assert!(matches!(&e, BackendError::Tls(_)), "{e:?}");
    assert!(e.definitely_not_sent());
    std::thread::sleep(Duration::from_millis(600));
    let got = got.lock().unwrap().concat();
    assert_eq!(got.first(), Some(&0x16));
    assert!(!contains(&got, b"POST"));
    assert!(!contains(&got, req.payment_id.as_bytes()));
}

#[test]
fn bad_configurations_are_refused_up_front() {
    let ca = Ca::new("ScanPay Test CA config");
    let tls = |pins: Vec<String>, require_pins: bool| TlsConfig {
        root_certificates: ca.pem.clone().into_bytes(),
        pins,
        require_pins,
    };
    let new = |url: &str, tls: TlsConfig| HttpsBackend::new(ClientConfig::new(url, tls)).err();
    assert_eq!(
        new("http://127.0.0.1:1", tls(vec![], false)),
        Some(ConfigError::NotHttps("http".into()))
    );
    assert_eq!(
        new("https://127.0.0.1:1", tls(vec![], true)),
        Some(ConfigError::PinsRequired)
    );
    assert!(matches!(
        new("https://127.0.0.1:1", tls(vec!["AAAA".into()], true)),
        Some(ConfigError::BadPin { index: 0, .. })
    ));
    let mut no_roots = tls(vec![], false);
    no_roots.root_certificates.clear();
    assert_eq!(
        new("https://127.0.0.1:1", no_roots),
        Some(ConfigError::NoRoots)
    );
    assert_eq!(
        new("https://127.0.0.1:1", tls(vec![other_pin()], true)),
        None
    );
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

mod support_payment {
    use scanpay_core::auth::{PaymentAuthorisation, SignedAuthorisation};
    use scanpay_core::money::{Currency, Money};
    use scanpay_core::payment::AmountBreakdown;
    use scanpay_core::payment::PaymentRequest;

    /// A payment request (the test servers do not verify signatures).
    pub fn request(id: &str) -> PaymentRequest {
        let m = |minor| Money::new(minor, Currency::SGD);
        PaymentRequest {
            payment_id: id.into(),
            authorisation: SignedAuthorisation {
                method: scanpay_core::auth::PaymentAuthMethod::Pin,
                authorisation: PaymentAuthorisation {
                    payment_id: id.into(),
                    merchant_key_id: "k1".into(),
                    merchant_account: "26=0012SG.SCANPAY0105M0001".into(),
                    amount_minor: 450,
                    currency: Currency::SGD,
                    payload_sha256: [7; 32],
                    time: 1_767_225_600,
                },
                device_public_key: vec![1; 32],
                signature: vec![2; 64],
            },
            payload: "000201010212".into(),
            breakdown: AmountBreakdown {
                amount: m(450),
                tip: m(0),
                fee: m(0),
                total: m(450),
            },
        }
    }
}
