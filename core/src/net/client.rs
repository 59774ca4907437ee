//! A small HTTP/1.1 client over rustls with a keep-alive pool.
//!
//! The one property everything here serves: every failure is classified by
//! whether the request may have reached the server.
//!
//! * Name resolution, TCP connect and the whole TLS handshake (including the
//!   pin check) finish *before* the first request byte is handed to rustls,
//!   so any failure up to there is "definitely not sent".
//! * Once request bytes have been written to the socket, any error, timeout
//!   or early EOF is "maybe sent".
//! * A complete response, whatever its status, is "answered".
//!
//! A pooled connection is probed before reuse; if it turns out dead only when
//! the first write fails with no byte written, the request is provably not
//! sent and goes out again on a fresh connection. Nothing that may have been
//! sent is ever resent here: that is the payment engine's decision.

use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConnection};
use thiserror::Error;

use super::api::{ErrorBody, MAX_HEADERS, MAX_HEAD_BYTES};
use super::config::{ClientConfig, ConfigError, MAX_URL_LEN};
use super::tls::client_config;
use crate::auth::RequestKeyError;

/// Longest error message kept from a response (for logs and the UI).
const MAX_MESSAGE_CHARS: usize = 200;
/// Smallest socket timeout set (zero would mean "no timeout").
const MIN_SOCKET_TIMEOUT: Duration = Duration::from_millis(1);

/// Why a request did not produce a usable answer. [`NetError::definitely_not_sent`]
/// says whether the request may have reached the server.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NetError {
    /// The request could not be built (bad id, body too large). Not sent.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The host name did not resolve. Not sent.
    #[error("name resolution failed: {0}")]
    Resolve(String),
    /// No TCP connection (refused, unreachable, reset before the request).
    /// Not sent.
    #[error("connection failed: {0}")]
    Connect(String),
    /// Name resolution, connect or the TLS handshake took longer than the
    /// connect timeout. Not sent.
    #[error("timed out during {0}")]
    ConnectTimeout(&'static str),
    /// The TLS handshake failed: a certificate that does not validate, a
    /// server without TLS 1.3, a plaintext server, an interception proxy.
    /// Not sent.
    #[error("TLS handshake failed: {0}")]
    Tls(String),
    /// The certificate validated but its key matches no configured pin.
    /// Not sent.
    #[error("the server's key matches no configured pin")]
    PinMismatch,
    /// No complete response within the read timeout. Maybe sent.
    #[error("no response within the read timeout")]
    ResponseTimeout,
    /// The connection failed or closed after request bytes went out. Maybe sent.
    #[error("connection lost after sending: {0}")]
    ConnectionLost(String),
    /// The response is not valid HTTP/1.1 as this client speaks it. Maybe sent.
    #[error("malformed response: {0}")]
    BadResponse(String),
    /// The response used `Transfer-Encoding` (chunked); only `Content-Length`
    /// bodies are supported. Maybe sent.
    #[error("unsupported response framing: Transfer-Encoding {0}")]
    UnsupportedTransferEncoding(String),
    /// A response part is over its cap (checked before reading it). Maybe sent.
    #[error("{what} over the limit of {limit}")]
    TooLarge {
        /// Which part.
        what: &'static str,
        /// The cap.
        limit: usize,
    },
    /// A 200 whose body is not the expected JSON. Maybe sent.
    #[error("unexpected response body: {0}")]
    BadBody(String),
    /// A query or reversal could not be signed: the wallet has no request
    /// key ([`RequestKeyError::NotRegistered`]: register the device again),
    /// or it cannot be used. Not sent.
    #[error("cannot sign the request: {0}")]
    RequestKey(#[from] RequestKeyError),
    /// An HTTP error status, with the body's `error: message` (or the reason
    /// phrase). Answered.
    #[error("HTTP {status}: {message}")]
    Status {
        /// The status code.
        status: u16,
        /// What the server said.
        message: String,
    },
}

impl NetError {
    /// Whether the request certainly never reached the server.
    pub fn definitely_not_sent(&self) -> bool {
        matches!(
            self,
            NetError::InvalidRequest(_)
                | NetError::RequestKey(_)
                | NetError::Resolve(_)
                | NetError::Connect(_)
                | NetError::ConnectTimeout(_)
                | NetError::Tls(_)
                | NetError::PinMismatch
        )
    }

    /// Whether the failure is a TLS or pin failure (the status bar says "TLS
    /// failure": a captive portal, an interception proxy, a wrong pin).
    pub fn is_tls(&self) -> bool {
        matches!(self, NetError::Tls(_) | NetError::PinMismatch)
    }
}

/// Counters of the client's work, for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// TCP connections established.
    pub connects: u64,
    /// TLS handshakes completed (with validation and pins passed).
    pub handshakes: u64,
    /// Requests whose bytes started going out.
    pub requests: u64,
    /// Requests sent on a reused (pooled) connection.
    pub reused: u64,
    /// Pooled connections found dead (or idle too long) and dropped.
    pub stale: u64,
}

#[derive(Debug, Default)]
struct Counters {
    connects: AtomicU64,
    handshakes: AtomicU64,
    requests: AtomicU64,
    reused: AtomicU64,
    stale: AtomicU64,
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// Where the backend is.
#[derive(Debug, Clone)]
struct Endpoint {
    /// IP literal or DNS name, for connecting.
    host: Host,
    port: u16,
    /// The `Host` header value.
    host_header: String,
    /// The name the certificate must be valid for.
    server_name: ServerName<'static>,
    /// Path prefix before `/v1/...`, without a trailing slash.
    prefix: String,
}

#[derive(Debug, Clone)]
enum Host {
    Ip(IpAddr),
    Name(String),
}

fn parse_endpoint(base_url: &str) -> Result<Endpoint, ConfigError> {
    if base_url.len() > MAX_URL_LEN {
        return Err(ConfigError::BadUrl(format!("longer than {MAX_URL_LEN}")));
    }
    let url = url::Url::parse(base_url).map_err(|e| ConfigError::BadUrl(e.to_string()))?;
    if url.scheme() != "https" {
        return Err(ConfigError::NotHttps(url.scheme().to_string()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::BadUrl(
            "query or fragment in the base URL".into(),
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::BadUrl("credentials in the base URL".into()));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let (host, server_name) = match url.host() {
        Some(url::Host::Domain(d)) => {
            let name = ServerName::try_from(d.to_string())
                .map_err(|e| ConfigError::BadUrl(format!("host {d:?}: {e}")))?;
            (Host::Name(d.to_string()), name)
        }
        Some(url::Host::Ipv4(ip)) => (Host::Ip(IpAddr::V4(ip)), ServerName::from(IpAddr::V4(ip))),
        Some(url::Host::Ipv6(ip)) => (Host::Ip(IpAddr::V6(ip)), ServerName::from(IpAddr::V6(ip))),
        None => return Err(ConfigError::BadUrl("no host".into())),
    };
    let host_str = url.host_str().unwrap_or_default();
    let host_header = match url.port() {
        Some(p) => format!("{host_str}:{p}"),
        None => host_str.to_string(),
    };
    let prefix = url.path().trim_end_matches('/').to_string();
    Ok(Endpoint {
        host,
        port,
        host_header,
        server_name,
        prefix,
    })
}

/// One TLS connection.
struct Conn {
    tls: ClientConnection,
    sock: TcpStream,
    last_used: Instant,
}

/// A request, before encoding.
pub(crate) struct Request<'a> {
    pub method: &'static str,
    /// Path under the base URL's prefix (`/v1/...`), already validated.
    pub path: &'a str,
    pub idempotency_key: Option<&'a str>,
    /// The `Authorization` header value (a query's or reversal's request
    /// signature), already validated by its builder.
    pub authorization: Option<&'a str>,
    pub body: Option<&'a [u8]>,
    /// Cap on the response body.
    pub body_limit: usize,
}

/// A complete response.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: u16,
    pub reason: String,
    pub body: Vec<u8>,
    /// `Retry-After` in delta-seconds (a 429 or 503 says when to come
    /// back); absent, or an HTTP-date, is `None`.
    pub retry_after: Option<u64>,
}

impl Response {
    /// The error for a non-success status: the body's `error: message`, or
    /// the reason phrase.
    pub fn status_error(&self) -> NetError {
        let message = match serde_json::from_slice::<ErrorBody>(&self.body) {
            Ok(e) => format!("{}: {}", e.error, e.message),
            Err(_) => self.reason.clone(),
        };
        NetError::Status {
            status: self.status,
            message: message.chars().take(MAX_MESSAGE_CHARS).collect(),
        }
    }
}

/// Why an exchange on a connection failed.
enum ExchangeError {
    /// Not one byte of the request reached the socket: safe to send again.
    NotSent(String),
    /// Anything else, already classified.
    Failed(NetError),
}

/// The client: configuration, TLS settings and the pool.
pub(crate) struct HttpsClient {
    endpoint: Endpoint,
    tls: Arc<rustls::ClientConfig>,
    connect_timeout: Duration,
    read_timeout: Duration,
    idle_timeout: Duration,
    max_idle: usize,
    pool: Mutex<Vec<Conn>>,
    counters: Counters,
}

impl std::fmt::Debug for HttpsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpsClient")
            .field("endpoint", &self.endpoint)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl HttpsClient {
    pub fn new(config: &ClientConfig) -> Result<HttpsClient, ConfigError> {
        for (name, t) in [
            ("connect_timeout", config.connect_timeout),
            ("read_timeout", config.read_timeout),
            ("idle_timeout", config.idle_timeout),
        ] {
            if t.is_zero() {
                return Err(ConfigError::ZeroTimeout(name));
            }
        }
        Ok(HttpsClient {
            endpoint: parse_endpoint(&config.base_url)?,
            tls: Arc::new(client_config(&config.tls)?),
            connect_timeout: config.connect_timeout,
            read_timeout: config.read_timeout,
            idle_timeout: config.idle_timeout,
            max_idle: config.max_idle,
            pool: Mutex::new(Vec::new()),
            counters: Counters::default(),
        })
    }

    pub fn stats(&self) -> NetStats {
        let c = &self.counters;
        NetStats {
            connects: c.connects.load(Ordering::Relaxed),
            handshakes: c.handshakes.load(Ordering::Relaxed),
            requests: c.requests.load(Ordering::Relaxed),
            reused: c.reused.load(Ordering::Relaxed),
            stale: c.stale.load(Ordering::Relaxed),
        }
    }

    /// Closes every idle connection (the next request connects afresh).
    pub fn close_idle(&self) {
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    /// Sends `req` and reads the complete response.
    pub fn send(&self, req: &Request<'_>) -> Result<Response, NetError> {
        let bytes = self.encode(req);
        while let Some(mut conn) = self.take_idle() {
            if !self.is_alive(&mut conn) {
                bump(&self.counters.stale);
                continue;
            }
            bump(&self.counters.reused);
            match self.exchange(&mut conn, &bytes, req.body_limit) {
                Ok((resp, reusable)) => {
                    if reusable {
                        self.put_idle(conn);
                    }
                    return Ok(resp);
                }
                // Closed under us before a byte went out: provably not sent,
                // so a fresh connection may carry it.
                Err(ExchangeError::NotSent(_)) => bump(&self.counters.stale),
                Err(ExchangeError::Failed(e)) => return Err(e),
            }
        }
        let mut conn = self.connect()?;
        match self.exchange(&mut conn, &bytes, req.body_limit) {
            Ok((resp, reusable)) => {
                if reusable {
                    self.put_idle(conn);
                }
                Ok(resp)
            }
            Err(ExchangeError::NotSent(m)) => Err(NetError::Connect(m)),
            Err(ExchangeError::Failed(e)) => Err(e),
        }
    }

    fn encode(&self, req: &Request<'_>) -> Vec<u8> {
        let mut head = format!(
            "{} {}{} HTTP/1.1\r\nHost: {}\r\nUser-Agent: scanpay-core/{}\r\nAccept: application/json\r\n",
            req.method,
            self.endpoint.prefix,
            req.path,
            self.endpoint.host_header,
            env!("CARGO_PKG_VERSION"),
        );
        if let Some(key) = req.idempotency_key {
            head.push_str(&format!("Idempotency-Key: {key}\r\n"));
        }
        if let Some(auth) = req.authorization {
            head.push_str(&format!("Authorization: {auth}\r\n"));
        }
        match req.body {
            Some(b) => head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                b.len()
            )),
            None if req.method != "GET" => head.push_str("Content-Length: 0\r\n"),
            None => {}
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if let Some(b) = req.body {
            bytes.extend_from_slice(b);
        }
        bytes
    }

    fn take_idle(&self) -> Option<Conn> {
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    fn put_idle(&self, mut conn: Conn) {
        conn.last_used = Instant::now();
        let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
        if pool.len() < self.max_idle {
            pool.push(conn);
        }
    }

    /// The liveness probe: a pooled connection is usable when it is not too
    /// old, the peer has not closed it, and nothing unexpected is waiting on
    /// it. A non-blocking read sees a FIN, an RST, a close_notify or stray
    /// data without waiting.
    fn is_alive(&self, conn: &mut Conn) -> bool {
        if conn.last_used.elapsed() > self.idle_timeout {
            return false;
        }
        match conn.tls.process_new_packets() {
            Ok(s) if s.plaintext_bytes_to_read() == 0 && !s.peer_has_closed() => {}
            _ => return false,
        }
        if conn.sock.set_nonblocking(true).is_err() {
            return false;
        }
        let alive = loop {
            match conn.tls.read_tls(&mut conn.sock) {
                Ok(0) => break false,
                // Post-handshake messages (session tickets) are fine;
                // application data or an alert is not.
                Ok(_) => match conn.tls.process_new_packets() {
                    Ok(s) if s.plaintext_bytes_to_read() == 0 && !s.peer_has_closed() => {}
                    _ => break false,
                },
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break true,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break false,
            }
        };
        conn.sock.set_nonblocking(false).is_ok() && alive
    }

    fn resolve(&self) -> Result<Vec<SocketAddr>, NetError> {
        let port = self.endpoint.port;
        let name = match &self.endpoint.host {
            Host::Ip(ip) => return Ok(vec![SocketAddr::new(*ip, port)]),
            Host::Name(n) => n.clone(),
        };
        // The system resolver has no timeout: run it on a helper thread and
        // stop waiting at the connect timeout (the thread ends on its own).
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("scanpay-resolve".into())
            .spawn(move || {
                let r = (name.as_str(), port)
                    .to_socket_addrs()
                    .map(|a| a.collect::<Vec<_>>());
                let _ = tx.send(r);
            })
            .map_err(|e| NetError::Resolve(e.to_string()))?;
        match rx.recv_timeout(self.connect_timeout) {
            Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
            Ok(Ok(_)) => Err(NetError::Resolve("no address".into())),
            Ok(Err(e)) => Err(NetError::Resolve(e.to_string())),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(NetError::ConnectTimeout("name resolution"))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(NetError::Resolve("resolver thread failed".into()))
            }
        }
    }

    /// Resolves, connects and completes the TLS handshake (validation and
    /// pins included). Nothing of any request is written here.
    fn connect(&self) -> Result<Conn, NetError> {
        let addrs = self.resolve()?;
        let mut last = NetError::Connect("no address".into());
        let mut sock = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, self.connect_timeout) {
                Ok(s) => {
                    sock = Some(s);
                    break;
                }
                Err(e) if is_timeout(&e) => last = NetError::ConnectTimeout("connect"),
                Err(e) => last = NetError::Connect(e.to_string()),
            }
        }
        let mut sock = sock.ok_or(last)?;
        bump(&self.counters.connects);
        let _ = sock.set_nodelay(true);
        sock.set_write_timeout(Some(self.connect_timeout))
            .map_err(|e| NetError::Connect(e.to_string()))?;
        let mut tls = ClientConnection::new(self.tls.clone(), self.endpoint.server_name.clone())
            .map_err(|e| NetError::Tls(e.to_string()))?;
        let deadline = Instant::now() + self.connect_timeout;
        while tls.is_handshaking() {
            flush_handshake(&mut tls, &mut sock)?;
            if !tls.is_handshaking() {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(NetError::ConnectTimeout("TLS handshake"));
            }
            sock.set_read_timeout(Some(left.max(MIN_SOCKET_TIMEOUT)))
                .map_err(|e| NetError::Connect(e.to_string()))?;
            match tls.read_tls(&mut sock) {
                Ok(0) => {
                    return Err(NetError::Tls(
                        "connection closed during the handshake".into(),
                    ))
                }
                Ok(_) => {}
                Err(e) if is_timeout(&e) => return Err(NetError::ConnectTimeout("TLS handshake")),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(NetError::Tls(format!("during the handshake: {e}"))),
            }
            if let Err(e) = tls.process_new_packets() {
                // Tell the server why (best effort: the alert is queued).
                let _ = tls.write_tls(&mut sock);
                return Err(match e {
                    rustls::Error::InvalidCertificate(
                        CertificateError::ApplicationVerificationFailure,
                    ) => NetError::PinMismatch,
                    other => NetError::Tls(other.to_string()),
                });
            }
        }
        flush_handshake(&mut tls, &mut sock)?;
        bump(&self.counters.handshakes);
        sock.set_write_timeout(Some(self.read_timeout))
            .map_err(|e| NetError::Connect(e.to_string()))?;
        Ok(Conn {
            tls,
            sock,
            last_used: Instant::now(),
        })
    }

    /// Writes the request and reads the response. Returns the response and
    /// whether the connection may be reused.
    fn exchange(
        &self,
        conn: &mut Conn,
        bytes: &[u8],
        body_limit: usize,
    ) -> Result<(Response, bool), ExchangeError> {
        let mut written = 0usize;
        let mut offset = 0usize;
        let mut counted = false;
        while offset < bytes.len() {
            let chunk = bytes.get(offset..).unwrap_or_default();
            let n = match conn.tls.writer().write(chunk) {
                Ok(n) => n,
                Err(e) => return Err(write_failure(written, e)),
            };
            offset += n;
            while conn.tls.wants_write() {
                match conn.tls.write_tls(&mut conn.sock) {
                    Ok(0) => return Err(write_failure(written, io::ErrorKind::WriteZero.into())),
                    Ok(m) => {
                        if !counted {
                            // From the first byte on the socket, the request may be out.
                            bump(&self.counters.requests);
                            counted = true;
                        }
                        written += m;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(write_failure(written, e)),
                }
            }
            if n == 0 {
                return Err(write_failure(written, io::ErrorKind::WriteZero.into()));
            }
        }
        let deadline = Instant::now() + self.read_timeout;
        read_response(conn, body_limit, deadline).map_err(ExchangeError::Failed)
    }
}

fn is_timeout(e: &io::Error) -> bool {
    // A socket read timeout shows as WouldBlock on Linux, TimedOut elsewhere.
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn write_failure(written: usize, e: io::Error) -> ExchangeError {
    if written == 0 {
        ExchangeError::NotSent(e.to_string())
    } else if is_timeout(&e) {
        ExchangeError::Failed(NetError::ResponseTimeout)
    } else {
        ExchangeError::Failed(NetError::ConnectionLost(e.to_string()))
    }
}

fn flush_handshake(tls: &mut ClientConnection, sock: &mut TcpStream) -> Result<(), NetError> {
    while tls.wants_write() {
        match tls.write_tls(sock) {
            Ok(0) => {
                return Err(NetError::Tls(
                    "connection closed during the handshake".into(),
                ))
            }
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(NetError::ConnectTimeout("TLS handshake")),
            Err(e) => return Err(NetError::Tls(format!("during the handshake: {e}"))),
        }
    }
    Ok(())
}

/// Reads decrypted bytes into `out`; `Ok(0)` is a clean close.
fn read_plain(conn: &mut Conn, out: &mut [u8], deadline: Instant) -> Result<usize, NetError> {
    let mut eof = false;
    loop {
        match conn.tls.reader().read(out) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock && !eof => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Err(NetError::ConnectionLost("closed by the server".into()))
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                return Err(NetError::ConnectionLost(
                    "closed by the server without a complete response".into(),
                ))
            }
            Err(e) => return Err(NetError::ConnectionLost(e.to_string())),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(NetError::ResponseTimeout);
        }
        conn.sock
            .set_read_timeout(Some(left.max(MIN_SOCKET_TIMEOUT)))
            .map_err(|e| NetError::ConnectionLost(e.to_string()))?;
        match conn.tls.read_tls(&mut conn.sock) {
            Ok(0) => eof = true,
            Ok(_) => {}
            Err(e) if is_timeout(&e) => return Err(NetError::ResponseTimeout),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(NetError::ConnectionLost(e.to_string())),
        }
        conn.tls
            .process_new_packets()
            .map_err(|e| NetError::BadResponse(format!("TLS: {e}")))?;
    }
}

/// What the head says.
struct Head {
    len: usize,
    status: u16,
    reason: String,
    content_length: Option<usize>,
    keep_alive: bool,
    retry_after: Option<u64>,
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, NetError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(NetError::TooLarge {
                what: "response header count",
                limit: MAX_HEADERS,
            })
        }
        Err(e) => return Err(NetError::BadResponse(e.to_string())),
    };
    let status = resp.code.unwrap_or(0);
    let mut content_length: Option<usize> = None;
    let mut keep_alive = resp.version == Some(1);
    let mut retry_after = None;
    for h in resp.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(NetError::UnsupportedTransferEncoding(
                value.chars().take(40).collect(),
            ));
        } else if h.name.eq_ignore_ascii_case("content-length") {
            if value.is_empty() || value.len() > 19 || !value.bytes().all(|b| b.is_ascii_digit()) {
                return Err(NetError::BadResponse("invalid Content-Length".into()));
            }
            let n: usize = value
                .parse()
                .map_err(|_| NetError::BadResponse("invalid Content-Length".into()))?;
            if content_length.is_some_and(|c| c != n) {
                return Err(NetError::BadResponse("conflicting Content-Length".into()));
            }
            content_length = Some(n);
        } else if h.name.eq_ignore_ascii_case("retry-after") {
            // Delta-seconds only (what the sandbox sends); a date is ignored.
            retry_after = value.parse().ok();
        } else if h.name.eq_ignore_ascii_case("connection")
            && value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"))
        {
            keep_alive = false;
        }
    }
    Ok(Some(Head {
        len,
        status,
        reason: resp
            .reason
            .unwrap_or("")
            .chars()
            .take(MAX_MESSAGE_CHARS)
            .collect(),
        content_length,
        keep_alive,
        retry_after,
    }))
}

/// Reads one response: the head (capped at [`MAX_HEAD_BYTES`] and
/// [`MAX_HEADERS`]), then exactly `Content-Length` body bytes, refused before
/// reading when over `body_limit`.
fn read_response(
    conn: &mut Conn,
    body_limit: usize,
    deadline: Instant,
) -> Result<(Response, bool), NetError> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 8192];
    let head = loop {
        if let Some(h) = parse_head(&buf)? {
            break h;
        }
        if buf.len() >= MAX_HEAD_BYTES {
            return Err(NetError::TooLarge {
                what: "response head",
                limit: MAX_HEAD_BYTES,
            });
        }
        let room = (MAX_HEAD_BYTES - buf.len()).min(chunk.len());
        let out = chunk.get_mut(..room).unwrap_or_default();
        let n = read_plain(conn, out, deadline)?;
        if n == 0 {
            return Err(NetError::ConnectionLost(
                "closed by the server before a complete response".into(),
            ));
        }
        buf.extend_from_slice(out.get(..n).unwrap_or_default());
    };
    if (100..200).contains(&head.status) {
        return Err(NetError::BadResponse(format!(
            "unexpected interim status {}",
            head.status
        )));
    }
    let body_len = match (head.status, head.content_length) {
        (204 | 304, _) => 0,
        (_, Some(n)) => n,
        (_, None) => return Err(NetError::BadResponse("no Content-Length".into())),
    };
    if body_len > body_limit {
        return Err(NetError::TooLarge {
            what: "response body",
            limit: body_limit,
        });
    }
    let mut body: Vec<u8> = buf.get(head.len..).unwrap_or_default().to_vec();
    let mut reusable = head.keep_alive;
    if body.len() > body_len {
        // More bytes than the framing says: the stream is out of step.
        body.truncate(body_len);
        reusable = false;
    }
    while body.len() < body_len {
        let room = (body_len - body.len()).min(chunk.len());
        let out = chunk.get_mut(..room).unwrap_or_default();
        let n = read_plain(conn, out, deadline)?;
        if n == 0 {
            return Err(NetError::ConnectionLost(
                "closed by the server in the middle of the body".into(),
            ));
        }
        body.extend_from_slice(out.get(..n).unwrap_or_default());
    }
    Ok((
        Response {
            status: head.status,
            reason: head.reason,
            body,
            retry_after: head.retry_after,
        },
        reusable,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = parse_endpoint("https://127.0.0.1:8443/").unwrap();
        assert_eq!(e.port, 8443);
        assert_eq!(e.host_header, "127.0.0.1:8443");
        assert_eq!(e.prefix, "");
        let e = parse_endpoint("https://[::1]:9/api/").unwrap();
        assert_eq!(e.host_header, "[::1]:9");
        assert_eq!(e.prefix, "/api");
        let e = parse_endpoint("https://pay.example").unwrap();
        assert_eq!((e.port, e.host_header.as_str()), (443, "pay.example"));
        assert!(matches!(
            parse_endpoint("http://pay.example"),
            Err(ConfigError::NotHttps(_))
        ));
        assert!(matches!(
            parse_endpoint("https://u:p@pay.example"),
            Err(ConfigError::BadUrl(_))
        ));
        assert!(matches!(
            parse_endpoint("https://pay.example/?q=1"),
            Err(ConfigError::BadUrl(_))
        ));
    }

    #[test]
    fn heads_are_parsed_strictly() {
        let h = parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            .unwrap()
            .unwrap();
        assert_eq!(
            (h.status, h.content_length, h.keep_alive),
            (200, Some(2), true)
        );
        assert_eq!(h.len, 38);
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le")
            .unwrap()
            .is_none());
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(NetError::UnsupportedTransferEncoding(_))
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Err(NetError::BadResponse(_))
        ));
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"),
            Err(NetError::BadResponse(_))
        ));
        let h = parse_head(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(!h.keep_alive);
        let h = parse_head(b"HTTP/1.0 200 OK\r\n\r\n").unwrap().unwrap();
        assert!(!h.keep_alive);
        assert_eq!(h.retry_after, None);
        let h = parse_head(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.retry_after, Some(120));
        let mut many = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend_from_slice(format!("X-{i}: a\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert!(matches!(parse_head(&many), Err(NetError::TooLarge { .. })));
    }
}
