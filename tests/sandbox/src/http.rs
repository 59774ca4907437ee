//! A small HTTP/1.1 server side: one request at a time per connection,
//! bodies framed by `Content-Length` only, every size capped before parsing.

use std::time::Duration;

use scanpay_core::net::api::{
    error_code, ErrorBody, MAX_HEADERS, MAX_HEAD_BYTES, MAX_REQUEST_BODY_BYTES,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// How long an idle keep-alive connection is kept.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a started request may take to arrive completely.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// One parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method, upper case as sent.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// The query string (after `?`), if any.
    pub query: Option<String>,
    /// `Idempotency-Key`, if sent (a non-UTF-8 value is kept with its bad
    /// bytes replaced, so it fails the payment-id check: 400, not "missing").
    pub idempotency_key: Option<String>,
    /// `Authorization`, if sent (a non-UTF-8 value likewise, so it fails to
    /// parse: 401 `bad-request-signature`).
    pub authorization: Option<String>,
    /// Whether the client asked to close after this request.
    pub close: bool,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == name).then_some(v)
        })
    }
}

/// A response to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// JSON body (empty for 304).
    pub body: Vec<u8>,
    /// Close the connection after writing.
    pub close: bool,
}

impl Response {
    /// A JSON response.
    pub fn json(status: u16, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body,
            close: false,
        }
    }

    /// A serialisable value as a 200 JSON response.
    pub fn ok<T: serde::Serialize>(value: &T) -> Response {
        match serde_json::to_vec(value) {
            Ok(body) => Response::json(200, body),
            Err(e) => Response::error(500, error_code::INTERNAL, &e.to_string()),
        }
    }

    /// An error response with the protocol's error body.
    pub fn error(status: u16, code: &str, message: &str) -> Response {
        let body = serde_json::to_vec(&ErrorBody::new(code, message)).unwrap_or_default();
        Response::json(status, body)
    }

    /// The status line and headers.
    pub fn head(&self) -> Vec<u8> {
        let mut h = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        if self.status != 304 {
            h.push_str("Content-Type: application/json\r\n");
            h.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        for (k, v) in &self.headers {
            h.push_str(&format!("{k}: {v}\r\n"));
        }
        if self.close {
            h.push_str("Connection: close\r\n");
        }
        h.push_str("\r\n");
        h.into_bytes()
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Why no request could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The peer closed, went idle, or the transport failed: just close.
    Closed,
    /// The request is unacceptable: answer this, then close.
    Reject(Response),
}

fn reject(status: u16, code: &str, message: &str) -> ReadError {
    let mut r = Response::error(status, code, message);
    r.close = true;
    ReadError::Reject(r)
}

struct Head {
    len: usize,
    method: String,
    target: String,
    content_length: Option<usize>,
    chunked: bool,
    idempotency_key: Option<String>,
    authorization: Option<String>,
    close: bool,
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, ReadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(reject(
                431,
                error_code::MALFORMED_REQUEST,
                "too many headers",
            ))
        }
        Err(e) => return Err(reject(400, error_code::MALFORMED_REQUEST, &e.to_string())),
    };
    let mut head = Head {
        len,
        method: req.method.unwrap_or_default().to_string(),
        target: req.path.unwrap_or_default().to_string(),
        content_length: None,
        chunked: false,
        idempotency_key: None,
        authorization: None,
        close: req.version == Some(0),
    };
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value).map(str::trim);
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = value
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .ok_or_else(|| reject(400, error_code::MALFORMED_REQUEST, "bad Content-Length"))?;
            if head.content_length.is_some_and(|m| m != n) {
                return Err(reject(
                    400,
                    error_code::MALFORMED_REQUEST,
                    "two Content-Lengths",
                ));
            }
            head.content_length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            head.chunked = true;
        } else if h.name.eq_ignore_ascii_case("idempotency-key") {
            head.idempotency_key = Some(String::from_utf8_lossy(h.value).trim().to_string());
        } else if h.name.eq_ignore_ascii_case("authorization") {
            head.authorization = Some(String::from_utf8_lossy(h.value).trim().to_string());
        } else if h.name.eq_ignore_ascii_case("connection") {
            if let Ok(v) = value {
                if v.eq_ignore_ascii_case("close") {
                    head.close = true;
                } else if v.eq_ignore_ascii_case("keep-alive") {
                    head.close = false;
                }
            }
        }
    }
    Ok(Some(head))
}

async fn fill<S: AsyncRead + Unpin>(s: &mut S, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    let mut chunk = [0u8; 8192];
    match s.read(&mut chunk).await {
        Ok(0) | Err(_) => Err(ReadError::Closed),
        Ok(n) => {
            buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
            Ok(())
        }
    }
}

/// Reads the next request. `buf` keeps bytes that arrived beyond it.
pub async fn read_request<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
) -> Result<Request, ReadError> {
    // Waiting for the first byte may take the whole idle time; once a request
    // started, it must arrive within the request timeout.
    if buf.is_empty() {
        tokio::time::timeout(IDLE_TIMEOUT, fill(s, buf))
            .await
            .map_err(|_| ReadError::Closed)??;
    }
    tokio::time::timeout(REQUEST_TIMEOUT, read_rest(s, buf))
        .await
        .map_err(|_| reject(408, "request-timeout", "the request did not arrive in time"))?
}

async fn read_rest<S: AsyncRead + Unpin>(
    s: &mut S,
    buf: &mut Vec<u8>,
) -> Result<Request, ReadError> {
    let head = loop {
        if let Some(h) = parse_head(buf)? {
            // A head that arrived whole in one read is held to the cap too.
            if h.len > MAX_HEAD_BYTES {
                return Err(reject(
                    431,
                    error_code::MALFORMED_REQUEST,
                    "request head too large",
                ));
            }
            break h;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(reject(
                431,
                error_code::MALFORMED_REQUEST,
                "request head too large",
            ));
        }
        fill(s, buf).await?;
    };
    if head.chunked {
        return Err(reject(
            501,
            error_code::UNSUPPORTED_TRANSFER_ENCODING,
            "Transfer-Encoding is not supported; send Content-Length",
        ));
    }
    let body_len = match head.content_length {
        Some(n) => n,
        None if head.method == "POST" || head.method == "PUT" => {
            return Err(reject(
                411,
                error_code::LENGTH_REQUIRED,
                "Content-Length is required",
            ))
        }
        None => 0,
    };
    if body_len > MAX_REQUEST_BODY_BYTES {
        return Err(reject(
            413,
            error_code::PAYLOAD_TOO_LARGE,
            "the body is over 64 KiB",
        ));
    }
    let total = head.len.saturating_add(body_len);
    while buf.len() < total {
        fill(s, buf).await?;
    }
    let body = buf.get(head.len..total).unwrap_or_default().to_vec();
    buf.drain(..total.min(buf.len()));
    let (path, query) = match head.target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (head.target.clone(), None),
    };
    Ok(Request {
        method: head.method,
        path,
        query,
        idempotency_key: head.idempotency_key,
        authorization: head.authorization,
        close: head.close,
        body,
    })
}

/// Writes a whole response.
pub async fn write_response<S: AsyncWrite + Unpin>(s: &mut S, r: &Response) -> std::io::Result<()> {
    let mut bytes = r.head();
    bytes.extend_from_slice(&r.body);
    s.write_all(&bytes).await?;
    s.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_pipelined_requests_and_caps() {
        let mut input: &[u8] = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\nPOST /v1/payments HTTP/1.1\r\nIdempotency-Key: k-1\r\nContent-Length: 2\r\n\r\n{}";
        let mut buf = Vec::new();
        let a = read_request(&mut input, &mut buf).await;
        assert!(matches!(&a, Ok(r) if r.path == "/v1/health" && r.body.is_empty()));
        let b = read_request(&mut input, &mut buf).await;
        assert!(
            matches!(&b, Ok(r) if r.method == "POST" && r.body == b"{}" && r.idempotency_key.as_deref() == Some("k-1"))
        );
        let c = read_request(&mut input, &mut buf).await;
        assert!(matches!(c, Err(ReadError::Closed)));

        let mut big: &[u8] = b"POST /v1/payments HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n";
        let r = read_request(&mut big, &mut Vec::new()).await;
        assert!(matches!(r, Err(ReadError::Reject(resp)) if resp.status == 413));
        let mut no_len: &[u8] = b"POST /v1/devices HTTP/1.1\r\n\r\n";
        let r = read_request(&mut no_len, &mut Vec::new()).await;
        assert!(matches!(r, Err(ReadError::Reject(resp)) if resp.status == 411));
        let mut chunked: &[u8] = b"POST /v1/devices HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        let r = read_request(&mut chunked, &mut Vec::new()).await;
        assert!(matches!(r, Err(ReadError::Reject(resp)) if resp.status == 501));
    }

    #[test]
    fn query_params() {
        let r = Request {
            method: "GET".into(),
            path: "/v1/registry".into(),
            query: Some("x=1&have=7".into()),
            idempotency_key: None,
            authorization: None,
            close: false,
            body: Vec::new(),
        };
        assert_eq!(r.query_param("have"), Some("7"));
        assert_eq!(r.query_param("nope"), None);
    }
}
