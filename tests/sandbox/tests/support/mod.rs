//! A minimal blocking HTTPS client (rustls + std) and a test wallet, to drive
//! the sandbox over real TLS on loopback.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod paycode;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use scanpay_core::auth::{DeviceKey, PaymentAuthorisation, RequestKey, SignedAuthorisation};
use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::{EnrolResponse, PaymentRequestBody};
use scanpay_core::payload::mpm::MerchantPayload;
use scanpay_core::payment::{AmountBreakdown, BackendReply, PaymentEngine};
use scanpay_core::trust::{InMemoryReplayGuard, RootKeys, TrustStore, Verdict};
use scanpay_sandbox::{RunningSandbox, Sandbox, SandboxConfig};
use tokio_rustls::rustls::{
    self, pki_types::ServerName, ClientConfig, ClientConnection, StreamOwned,
};

/// A fresh data dir under the target's temp dir, unique per call.
pub fn temp_dir(name: &str) -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    // Under target/tmp, so test runs do not litter /tmp.
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sandbox-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A sandbox on a fresh data dir.
pub fn start(name: &str) -> RunningSandbox {
    Sandbox::start(SandboxConfig::new(temp_dir(name))).unwrap()
}

/// A response.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn reply(&self) -> BackendReply {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        self.json()
    }

    pub fn error_code(&self) -> String {
        self.json::<serde_json::Value>()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// A keep-alive HTTPS client trusting only the sandbox CA.
pub struct Client {
    addr: std::net::SocketAddr,
    config: Arc<ClientConfig>,
    conn: Option<StreamOwned<ClientConnection, TcpStream>>,
    /// Connections opened so far.
    pub connects: u32,
    /// Read timeout of new connections.
    pub read_timeout: Duration,
    /// The request key `query` and `reverse` sign with (the seed of the last
    /// wallet enrolled through this client); `None` sends them unsigned.
    pub request_seed: Option<[u8; 32]>,
}

/// The system clock, unix seconds (what request signatures carry).
pub fn wall_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A request key from its seed.
pub fn request_key(seed: [u8; 32]) -> RequestKey {
    RequestKey::from_seed(zeroize::Zeroizing::new(seed)).unwrap()
}

/// The `Authorization` header value for one request, with a random nonce
/// and the current time unless given.
pub fn sign_request(
    seed: [u8; 32],
    method: &str,
    path: &str,
    id: &str,
    time: Option<u64>,
    nonce: Option<[u8; 16]>,
) -> String {
    let nonce = nonce.unwrap_or_else(|| {
        let mut n = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut n).unwrap();
        n
    });
    request_key(seed)
        .sign_request(method, path, id, time.unwrap_or_else(wall_now), nonce)
        .unwrap()
        .header_value()
}

impl Client {
    pub fn new(sb: &RunningSandbox) -> Client {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(sb.tls().ca_der.clone().into()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        Client {
            addr: sb.addr(),
            config: Arc::new(config),
            conn: None,
            connects: 0,
            read_timeout: Duration::from_secs(5),
            request_seed: None,
        }
    }

    fn connect(&mut self) -> std::io::Result<()> {
        let tcp = TcpStream::connect(self.addr)?;
        tcp.set_read_timeout(Some(self.read_timeout))?;
        let name = ServerName::try_from("localhost").unwrap();
        let conn =
            ClientConnection::new(Arc::clone(&self.config), name).map_err(std::io::Error::other)?;
        let mut s = StreamOwned::new(conn, tcp);
        // Handshake before any request byte, as the wallet's client does.
        while s.conn.is_handshaking() {
            s.conn.complete_io(&mut s.sock)?;
        }
        self.connects += 1;
        self.conn = Some(s);
        Ok(())
    }

    /// Sends one request; any transport failure drops the connection and is
    /// returned as the error.
    pub fn send(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Resp> {
        if self.conn.is_none() {
            self.connect()?;
        }
        let result = self.exchange(method, path, headers, body);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn exchange(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Resp> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if method != "GET" {
            req.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.exchange_bytes(&bytes)
    }

    /// Sends `bytes` as they are on a fresh connection and reads one
    /// response; `Ok(None)` when the server closed without answering.
    pub fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<Option<Resp>> {
        self.conn = None;
        self.connect()?;
        let result = self.exchange_bytes(bytes);
        self.conn = None;
        match result {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn exchange_bytes(&mut self, bytes: &[u8]) -> std::io::Result<Resp> {
        let s = self.conn.as_mut().unwrap();
        s.write_all(bytes)?;
        s.flush()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let mut hs = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut hs);
            if let httparse::Status::Complete(n) = resp
                .parse(&buf)
                .map_err(|e| std::io::Error::other(e.to_string()))?
            {
                let status = resp.code.unwrap_or(0);
                let headers: Vec<(String, String)> = resp
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
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.trim().parse().unwrap())
                    .unwrap_or(0);
                let close = headers.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close")
                });
                while buf.len() < n + len {
                    let r = s.read(&mut chunk)?;
                    if r == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    buf.extend_from_slice(&chunk[..r]);
                }
                let body = buf[n..n + len].to_vec();
                if close {
                    self.conn = None;
                }
                return Ok(Resp {
                    status,
                    headers,
                    body,
                });
            }
            let r = s.read(&mut chunk)?;
            if r == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..r]);
        }
    }

    pub fn get(&mut self, path: &str) -> std::io::Result<Resp> {
        self.send("GET", path, &[], b"")
    }

    pub fn post<T: serde::Serialize>(&mut self, path: &str, body: &T) -> std::io::Result<Resp> {
        self.send("POST", path, &[], &serde_json::to_vec(body).unwrap())
    }

    pub fn submit(&mut self, req: &PaymentRequestBody) -> std::io::Result<Resp> {
        self.send(
            "POST",
            "/v1/payments",
            &[("Idempotency-Key", &req.payment_id)],
            &serde_json::to_vec(req).unwrap(),
        )
    }

    /// A query signed with [`Client::request_seed`] (unsigned without one).
    pub fn query(&mut self, id: &str) -> std::io::Result<Resp> {
        self.signed("GET", &format!("/v1/payments/{id}"), id)
    }

    /// A reversal signed with [`Client::request_seed`] (unsigned without one).
    pub fn reverse(&mut self, id: &str) -> std::io::Result<Resp> {
        self.signed("POST", &format!("/v1/payments/{id}/reverse"), id)
    }

    fn signed(&mut self, method: &str, path: &str, id: &str) -> std::io::Result<Resp> {
        match self.request_seed {
            Some(seed) => {
                let auth = sign_request(seed, method, path, id, None, None);
                self.send(method, path, &[("Authorization", &auth)], b"")
            }
            None => self.send(method, path, &[], b""),
        }
    }

    pub fn truth(&mut self, id: &str) -> scanpay_core::net::api::ControlPayment {
        self.get(&format!("/v1/control/payments/{id}"))
            .unwrap()
            .json()
    }

    pub fn balance(&mut self, account_id: &str) -> u64 {
        let v: serde_json::Value = self
            .get(&format!("/v1/control/accounts/{account_id}"))
            .unwrap()
            .json();
        v["balance"]["minor"].as_u64().unwrap()
    }
}

/// A wallet's trust store loaded with the sandbox's `roots.json` and registry.
pub fn trust_store(sb: &RunningSandbox, client: &mut Client) -> TrustStore {
    let roots = RootKeys::from_json(&std::fs::read(sb.data().roots_json_path()).unwrap()).unwrap();
    let mut store = TrustStore::new(roots);
    let doc = client.get("/v1/registry").unwrap();
    assert_eq!(doc.status, 200);
    store
        .apply_registry(&doc.body, sb.data().now().unwrap())
        .unwrap();
    store
}

/// A device enrolled with the sandbox, signing with its key directly (the
/// end-to-end test uses the PIN-sealed `Authenticator` instead).
pub struct Wallet {
    pub key: DeviceKey,
    pub enrolment: EnrolResponse,
    /// The request key's seed, registered with the device.
    pub request_seed: [u8; 32],
}

/// Enrols a fresh device key with a fresh request key, and makes the
/// client sign queries and reversals with that request key.
pub fn enrol(client: &mut Client, code: &str) -> Wallet {
    let key = DeviceKey::generate(&ring::rand::SystemRandom::new()).unwrap();
    let mut request_seed = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut request_seed).unwrap();
    let rk = request_key(request_seed);
    let resp = client
        .post(
            "/v1/devices",
            &serde_json::json!({
                "public_key": URL_SAFE_NO_PAD.encode(key.public_key()),
                "enrolment_code": code,
                "request_key": URL_SAFE_NO_PAD.encode(rk.public_key()),
                "request_key_proof": URL_SAFE_NO_PAD.encode(rk.registration_proof(key.public_key()).unwrap()),
            }),
        )
        .unwrap();
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    client.request_seed = Some(request_seed);
    Wallet {
        key,
        enrolment: resp.json(),
        request_seed,
    }
}

pub fn money(minor: u64, code: &str) -> Money {
    Money::new(minor, Currency::from_code(code).unwrap())
}

pub fn new_id() -> String {
    PaymentEngine::new_payment_id().unwrap()
}

/// What the wallet signs for paying `amount` on `payload`, unsigned.
pub fn authorisation(
    store: &TrustStore,
    payment_id: &str,
    payload: &str,
    total: Money,
    now: u64,
) -> PaymentAuthorisation {
    let Verdict::Verified(v) = store.verify(payload, now, &mut InMemoryReplayGuard::default())
    else {
        panic!("payload does not verify");
    };
    let parsed = MerchantPayload::parse(payload).unwrap();
    let account = parsed
        .accounts
        .first()
        .map(|a| format!("{:02}={}", a.id, a.raw))
        .unwrap();
    PaymentAuthorisation {
        payment_id: payment_id.to_string(),
        merchant_key_id: v.key_id,
        merchant_account: account,
        amount_minor: total.minor,
        currency: total.currency,
        payload_sha256: PaymentAuthorisation::payload_digest(payload),
        time: now,
    }
}

pub fn body(
    payment_id: &str,
    signed: SignedAuthorisation,
    payload: &str,
    amount: Money,
) -> PaymentRequestBody {
    let zero = Money::zero(amount.currency);
    PaymentRequestBody {
        payment_id: payment_id.to_string(),
        authorisation: signed,
        payload: payload.to_string(),
        breakdown: AmountBreakdown {
            amount,
            tip: zero,
            fee: zero,
            total: amount,
        },
    }
}

impl Wallet {
    /// A signed request paying `amount` on `payload`.
    pub fn pay(
        &self,
        store: &TrustStore,
        payment_id: &str,
        payload: &str,
        amount: Money,
        now: u64,
    ) -> PaymentRequestBody {
        let auth = authorisation(store, payment_id, payload, amount, now);
        let signature = self.key.sign(&auth.signed_bytes()).unwrap();
        let signed = SignedAuthorisation {
            method: scanpay_core::auth::PaymentAuthMethod::Pin,
            authorisation: auth,
            device_public_key: self.key.public_key().to_vec(),
            signature,
        };
        body(payment_id, signed, payload, amount)
    }
}
