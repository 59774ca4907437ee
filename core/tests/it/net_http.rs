//! The HTTPS client's HTTP side against a real TLS server on loopback:
//! connection reuse, dead pooled connections, timeouts (not sent vs maybe
//! sent), status mapping, response caps and the non-payment calls.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns unwrap too

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::net_support::{
    client_config, json_response, raw_server, server_config, signed, Ca, Reply, Server,
};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::{
    CreateOrderRequest, EnrolRequest, MAX_HEADERS, MAX_HEAD_BYTES, MAX_REGISTRY_BODY_BYTES,
    MAX_RESPONSE_BODY_BYTES,
};
use scanpay_core::net::{HttpsBackend, NetError};
use scanpay_core::payment::Backend;
use scanpay_core::payment::{BackendError, BackendReply};

const PAID: &str = r#"{"reply":"succeeded","receipt":{"reference":"PAY-1","amount":{"minor":450,"currency":"SGD"},"paid_at":9}}"#;

fn start(
    handler: impl Fn(&crate::net_support::Received) -> Reply + Send + Sync + 'static,
) -> (Server, Ca, String) {
    let ca = Ca::new("ScanPay Test CA http");
    let leaf = ca.leaf(&["127.0.0.1"], false);
    let pin = leaf.pin.clone();
    (Server::start(server_config(&leaf), handler), ca, pin)
}

fn backend(server: &Server, ca: &Ca, pin: &str) -> HttpsBackend {
    signed(HttpsBackend::new(client_config(server.port, ca, vec![pin.to_string()])).unwrap())
}

#[test]
fn a_warm_connection_carries_every_request_one_round_trip_each() {
    let (server, ca, pin) = start(|_| Reply::Json(200, PAID.into()));
    let b = backend(&server, &ca, &pin);
    for _ in 0..10 {
        assert!(matches!(b.query("p-1"), Ok(BackendReply::Succeeded { .. })));
    }
    let s = b.stats();
    assert_eq!(
        (s.connects, s.handshakes, s.requests, s.reused),
        (1, 1, 10, 9)
    );
    assert_eq!(server.seen.accepted.load(Ordering::SeqCst), 1);
    assert_eq!(server.seen.requests().len(), 10);
}

#[test]
fn a_dead_pooled_connection_is_replaced_before_sending() {
    // The server closes after every response without saying so.
    let (server, ca, pin) = start(|_| Reply::JsonThenClose(200, PAID.into()));
    let b = backend(&server, &ca, &pin);
    for _ in 0..3 {
        assert!(matches!(b.query("p-1"), Ok(BackendReply::Succeeded { .. })));
        std::thread::sleep(Duration::from_millis(100));
    }
    let s = b.stats();
    assert_eq!((s.connects, s.requests, s.stale), (3, 3, 2));
    // Nothing was sent twice.
    assert_eq!(server.seen.requests().len(), 3);
}

#[test]
fn a_silent_tls_handshake_times_out_as_not_sent() {
    let ca = Ca::new("ScanPay Test CA silent");
    let (port, _) = raw_server(|_| None, Duration::from_secs(3));
    let mut config = client_config(port, &ca, vec![]);
    config.connect_timeout = Duration::from_millis(300);
    let b = signed(HttpsBackend::new(config).unwrap());
    assert_eq!(b.health(), Err(NetError::ConnectTimeout("TLS handshake")));
    let e = b.query("p-1").unwrap_err();
    assert!(matches!(e, BackendError::NotSent(_)), "{e:?}");
}

#[test]
fn a_silent_server_after_the_request_times_out_as_maybe_sent() {
    let (server, ca, pin) = start(|_| Reply::Silent);
    let mut config = client_config(server.port, &ca, vec![pin]);
    config.read_timeout = Duration::from_millis(300);
    let b = signed(HttpsBackend::new(config).unwrap());
    let e = b.reverse("p-1").unwrap_err();
    assert_eq!(
        e,
        BackendError::MaybeSent(NetError::ResponseTimeout.to_string())
    );
    assert!(!e.definitely_not_sent());
    let seen = server.seen.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/v1/payments/p-1/reverse");
    assert_eq!(seen[0].header("Content-Length"), Some("0"));
    assert!(seen[0]
        .header("Authorization")
        .is_some_and(|a| a.starts_with("ScanPay-Request key=")));
}

#[test]
fn a_refused_connection_is_not_sent() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let ca = Ca::new("ScanPay Test CA refused");
    let b = signed(HttpsBackend::new(client_config(port, &ca, vec![])).unwrap());
    let e = b.query("p-1").unwrap_err();
    assert!(matches!(e, BackendError::NotSent(_)), "{e:?}");
}

#[test]
fn a_connection_closed_mid_response_is_maybe_sent() {
    let head = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"reply\"".to_vec();
    let (server, ca, pin) = start(move |_| Reply::RawThenClose(head.clone()));
    let b = backend(&server, &ca, &pin);
    let e = b.query("p-1").unwrap_err();
    assert!(matches!(e, BackendError::MaybeSent(_)), "{e:?}");
}

#[test]
fn error_statuses_map_to_server_errors_and_replies_to_replies() {
    let (server, ca, pin) = start(|req| match req.path.as_str() {
        "/v1/payments/boom" => {
            Reply::Json(500, r#"{"error":"internal-error","message":"boom"}"#.into())
        }
        "/v1/payments/reuse" => Reply::Json(
            409,
            r#"{"error":"idempotency-key-reuse","message":"other parameters"}"#.into(),
        ),
        "/v1/payments/html" => {
            Reply::Raw(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 6\r\n\r\n<html>".to_vec())
        }
        "/v1/payments/junk" => Reply::Json(200, "not json".into()),
        _ => Reply::Json(200, r#"{"reply":"not-found"}"#.into()),
    });
    let b = backend(&server, &ca, &pin);
    assert_eq!(
        b.query("boom"),
        Err(BackendError::Server {
            status: 500,
            message: "internal-error: boom".into()
        })
    );
    assert_eq!(
        b.query("reuse"),
        Err(BackendError::Server {
            status: 409,
            message: "idempotency-key-reuse: other parameters".into()
        })
    );
    assert_eq!(
        b.query("html"),
        Err(BackendError::Server {
            status: 502,
            message: "Bad Gateway".into()
        })
    );
    assert!(matches!(b.query("junk"), Err(BackendError::MaybeSent(_))));
    assert_eq!(b.query("other"), Ok(BackendReply::NotFound));
    // Every answer came back on the one connection.
    assert_eq!(b.stats().connects, 1);
}

#[test]
fn an_invalid_payment_id_is_never_sent() {
    let (server, ca, pin) = start(|_| Reply::Json(200, PAID.into()));
    let b = backend(&server, &ca, &pin);
    for id in ["", "a b", "../x", "a\r\nX: y"] {
        let e = b.query(id).unwrap_err();
        assert!(matches!(e, BackendError::NotSent(_)), "{id:?}: {e:?}");
    }
    assert_eq!(b.stats().connects, 0);
}

fn raw_reply(bytes: Vec<u8>) -> (Server, HttpsBackend) {
    let (server, ca, pin) = start(move |_| Reply::Raw(bytes.clone()));
    let b = backend(&server, &ca, &pin);
    (server, b)
}

#[test]
fn response_caps_are_enforced_before_reading() {
    // A body one byte over the cap, announced but never sent: refused on
    // the Content-Length alone.
    let (_s, b) = raw_reply(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            MAX_RESPONSE_BODY_BYTES + 1
        )
        .into_bytes(),
    );
    assert_eq!(
        b.health(),
        Err(NetError::TooLarge {
            what: "response body",
            limit: MAX_RESPONSE_BODY_BYTES
        })
    );
    assert!(matches!(b.query("p"), Err(BackendError::MaybeSent(_))));

    let (_s, b) = raw_reply(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n".to_vec(),
    );
    assert_eq!(
        b.health(),
        Err(NetError::UnsupportedTransferEncoding("chunked".into()))
    );

    let mut many = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n".to_vec();
    for i in 0..MAX_HEADERS {
        many.extend_from_slice(format!("X-{i}: a\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n{}");
    let (_s, b) = raw_reply(many);
    assert!(matches!(
        b.health(),
        Err(NetError::TooLarge {
            what: "response header count",
            ..
        })
    ));

    let mut long = b"HTTP/1.1 200 OK\r\nX-Long: ".to_vec();
    long.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES));
    long.extend_from_slice(b"\r\nContent-Length: 2\r\n\r\n{}");
    let (_s, b) = raw_reply(long);
    assert!(matches!(
        b.health(),
        Err(NetError::TooLarge {
            what: "response head",
            ..
        })
    ));

    let (_s, b) = raw_reply(b"HTTP/1.1 200 OK\r\n\r\n{}".to_vec());
    assert!(matches!(b.health(), Err(NetError::BadResponse(_))));
}

#[test]
fn the_registry_comes_back_byte_exact_up_to_its_own_cap() {
    let doc: Vec<u8> = (0..MAX_REGISTRY_BODY_BYTES)
        .map(|i| b'a' + (i % 26) as u8)
        .collect();
    let d = doc.clone();
    let (server, ca, pin) = start(move |req| match req.path.as_str() {
        "/v1/registry?have=7" => Reply::Raw(b"HTTP/1.1 304 Not Modified\r\n\r\n".to_vec()),
        "/v1/registry?have=1" => {
            let mut r =
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", d.len()).into_bytes();
            r.extend_from_slice(&d);
            Reply::Raw(r)
        }
        _ => Reply::Raw(
            format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                MAX_REGISTRY_BODY_BYTES + 1
            )
            .into_bytes(),
        ),
    });
    let b = backend(&server, &ca, &pin);
    assert_eq!(b.fetch_registry(Some(7)), Ok(None));
    let got = b.fetch_registry(Some(1)).map_err(|e| e.to_string());
    assert!(
        got.as_ref().ok() == Some(&Some(doc)),
        "registry bytes differ: {:?}",
        got.err()
    );
    assert!(matches!(
        b.fetch_registry(None),
        Err(NetError::TooLarge { what: "response body", limit }) if limit == MAX_REGISTRY_BODY_BYTES
    ));
    let paths: Vec<String> = server.seen.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        ["/v1/registry?have=7", "/v1/registry?have=1", "/v1/registry"]
    );
}

#[test]
fn enrolment_and_merchant_orders_speak_the_documented_bodies() {
    let (server, ca, pin) = start(|req| match req.path.as_str() {
        "/v1/devices" => {
            let body: EnrolRequest = serde_json::from_slice(&req.body).unwrap();
            assert_eq!(body.enrolment_code, "K7Q-22F");
            assert_eq!(
                body.public_key,
                "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE"
            );
            Reply::Json(
                200,
                r#"{"device_id":"dev1","account_id":"acc1","balance":{"minor":5000,"currency":"SGD"}}"#
                    .into(),
            )
        }
        "/v1/merchant/orders" => {
            let body: CreateOrderRequest = serde_json::from_slice(&req.body).unwrap();
            Reply::Json(
                200,
                format!(
                    r#"{{"order_id":"o1","payload":"{}","expires_at":45}}"#,
                    body.reference
                ),
            )
        }
        _ => Reply::Raw(json_response(
            404,
            r#"{"error":"not-found","message":"no"}"#,
        )),
    });
    let b = backend(&server, &ca, &pin);
    let e = b.enrol(&[1; 32], "K7Q-22F").unwrap();
    assert_eq!(e.balance, Money::new(5000, Currency::SGD));
    assert!(matches!(
        b.enrol(&[1; 31], "x"),
        Err(NetError::InvalidRequest(_))
    ));
    let o = b
        .create_order(&CreateOrderRequest {
            merchant_id: "M1".into(),
            amount: Money::new(450, Currency::SGD),
            reference: "BILL-7".into(),
        })
        .unwrap();
    assert_eq!((o.order_id.as_str(), o.payload.as_str()), ("o1", "BILL-7"));
    assert!(matches!(
        b.clear_faults(),
        Err(NetError::Status { status: 404, .. })
    ));
}
