//! Test PKI (rcgen) and a small real TLS 1.3 server (std threads + rustls
//! `ServerConnection`) on loopback, recording what it receives.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    PublicKeyData,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection};
use scanpay_core::auth::{SoftwareKeyStore, StoredRequestSigner};
use scanpay_core::net::{ClientConfig, HttpsBackend, SpkiPin, TlsConfig};
use scanpay_core::store::Store;

/// A test certificate authority.
pub struct Ca {
    params: CertificateParams,
    key: KeyPair,
    pub pem: String,
    pub der: Vec<u8>,
}

/// A server certificate and its key.
pub struct Leaf {
    pub chain: Vec<CertificateDer<'static>>,
    pub key_der: Vec<u8>,
    /// The SPKI pin of the leaf key (base64).
    pub pin: String,
}

impl Ca {
    /// A CA with a distinct subject name.
    pub fn new(name: &str) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            der: cert.der().to_vec(),
            params,
            key,
        }
    }

    /// A leaf for `names` (DNS names or IP literals), optionally expired.
    pub fn leaf(&self, names: &[&str], expired: bool) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "scanpay test server");
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        Leaf {
            chain: vec![cert.der().clone()],
            key_der: key.serialize_der(),
            pin: SpkiPin::of_spki(&key.subject_public_key_info()).to_base64(),
        }
    }
}

/// A TLS 1.3-only rustls server configuration for `leaf`.
pub fn server_config(leaf: &Leaf) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key_der.clone()));
    Arc::new(
        ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(leaf.chain.clone(), key)
            .unwrap(),
    )
}

/// A client configuration for `port` on 127.0.0.1 trusting `ca`.
pub fn client_config(port: u16, ca: &Ca, pins: Vec<String>) -> ClientConfig {
    let mut c = ClientConfig::new(
        format!("https://127.0.0.1:{port}"),
        TlsConfig {
            root_certificates: ca.pem.clone().into_bytes(),
            require_pins: !pins.is_empty(),
            pins,
        },
    );
    c.connect_timeout = Duration::from_secs(5);
    c.read_timeout = Duration::from_secs(5);
    c
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    /// A JSON response with `Content-Length`.
    Json(u16, String),
    /// These exact bytes (head and body).
    Raw(Vec<u8>),
    /// A JSON response, then close the connection (no `Connection: close`).
    JsonThenClose(u16, String),
    /// These bytes, then close.
    RawThenClose(Vec<u8>),
    /// Never answer (hold the connection for a while).
    Silent,
}

pub fn json_response(status: u16, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// What a server saw.
#[derive(Default)]
pub struct Seen {
    pub accepted: AtomicUsize,
    pub handshakes: AtomicUsize,
    pub plaintext_bytes: AtomicUsize,
    pub requests: Mutex<Vec<Received>>,
}

impl Seen {
    pub fn requests(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }
}

/// A TLS server on 127.0.0.1 answering with `handler`.
pub struct Server {
    pub port: u16,
    pub seen: Arc<Seen>,
}

type Handler = dyn Fn(&Received) -> Reply + Send + Sync;

impl Server {
    pub fn start(
        config: Arc<ServerConfig>,
        handler: impl Fn(&Received) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Seen::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let s = seen.clone();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                s.accepted.fetch_add(1, Ordering::SeqCst);
                let (config, seen, handler) = (config.clone(), s.clone(), handler.clone());
                thread::spawn(move || serve(stream, config, &seen, &*handler));
            }
        });
        Server { port, seen }
    }
}

fn serve(mut sock: TcpStream, config: Arc<ServerConfig>, seen: &Seen, handler: &Handler) {
    let _ = sock.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(mut conn) = ServerConnection::new(config) else {
        return;
    };
    while conn.is_handshaking() {
        if conn.complete_io(&mut sock).is_err() {
            return;
        }
    }
    seen.handshakes.fetch_add(1, Ordering::SeqCst);
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let req = loop {
            if let Some((req, used)) = parse_request(&buf) {
                buf.drain(..used);
                break req;
            }
            let mut tmp = [0u8; 4096];
            match conn.reader().read(&mut tmp) {
                Ok(0) => return,
                Ok(n) => {
                    seen.plaintext_bytes.fetch_add(n, Ordering::SeqCst);
                    buf.extend_from_slice(&tmp[..n]);
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return,
            }
            match conn.read_tls(&mut sock) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if conn.process_new_packets().is_err() {
                return;
            }
        };
        seen.requests.lock().unwrap().push(req.clone());
        let (bytes, close) = match handler(&req) {
            Reply::Json(status, body) => (json_response(status, &body), false),
            Reply::Raw(bytes) => (bytes, false),
            Reply::JsonThenClose(status, body) => (json_response(status, &body), true),
            Reply::RawThenClose(bytes) => (bytes, true),
            Reply::Silent => {
                thread::sleep(Duration::from_secs(3));
                return;
            }
        };
        // rustls buffers at most 64 KiB of plaintext: write in slices.
        for part in bytes.chunks(16 * 1024) {
            if conn.writer().write_all(part).is_err() {
                return;
            }
            while conn.wants_write() {
                if conn.write_tls(&mut sock).is_err() {
                    return;
                }
            }
        }
        if close {
            let _ = sock.shutdown(std::net::Shutdown::Both);
            return;
        }
    }
}

/// A complete request in `buf` and the bytes it used.
fn parse_request(buf: &[u8]) -> Option<(Received, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head) = req.parse(buf).ok()? else {
        return None;
    };
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).to_string(),
            )
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    if buf.len() < head + len {
        return None;
    }
    Some((
        Received {
            method: req.method?.to_string(),
            path: req.path?.to_string(),
            headers,
            body: buf[head..head + len].to_vec(),
        },
        head + len,
    ))
}

/// A plain TCP server that records the first bytes of each connection and
/// answers with `reply(first_bytes)` (or nothing when it returns `None`,
/// holding the connection open for `hold`).
pub fn raw_server(
    reply: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + Sync + 'static,
    hold: Duration,
) -> (u16, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    let reply = Arc::new(reply);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let (g, reply) = (g.clone(), reply.clone());
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = vec![0u8; 16 * 1024];
                let n = stream.read(&mut buf).unwrap_or(0);
                buf.truncate(n);
                let answer = reply(&buf);
                g.lock().unwrap().push(buf);
                if let Some(bytes) = answer {
                    let _ = stream.write_all(&bytes);
                }
                // Keep reading (and recording) whatever else arrives.
                let mut rest = vec![0u8; 16 * 1024];
                let deadline = std::time::Instant::now() + hold;
                let _ = stream.set_read_timeout(Some(Duration::from_millis(50)));
                while std::time::Instant::now() < deadline {
                    match stream.read(&mut rest) {
                        Ok(0) => break,
                        Ok(n) => g.lock().unwrap().push(rest[..n].to_vec()),
                        Err(_) => {}
                    }
                }
            });
        }
    });
    (port, got)
}

/// Queries and reversals are signed (ADR 0013): `b` with a request signer
/// holding a fresh key over an in-memory wallet store, so the tests reach the
/// HTTP and TLS layers they are about.
pub fn signed(b: HttpsBackend) -> HttpsBackend {
    let signer = StoredRequestSigner::new(
        Store::open_in_memory().unwrap(),
        Arc::new(SoftwareKeyStore::generate().unwrap()),
    );
    signer.load_or_create().unwrap();
    b.set_request_signer(Arc::new(signer));
    b
}
