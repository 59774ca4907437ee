//! The backend link: the wire protocol ([`api`], documented in `docs/api.md`)
//! and a pinned HTTPS client ([`HttpsBackend`] for the wallet, [`TillClient`]
//! for a merchant till charging pay codes).
//!
//! The client is hand-written HTTP/1.1 over rustls (ring provider, TLS 1.3
//! only; see `docs/decisions/0007-https-client.md`). Normal certificate
//! validation against the configured root always runs; SPKI SHA-256 pins are
//! checked on top of it. Every failure says whether the request may have
//! reached the server ([`NetError::definitely_not_sent`]), which is what the
//! payment engine needs to stay exactly-once.
//!
//! **Blocking.** Every call in this module blocks (name resolution, connect,
//! TLS handshake, request, response) for up to the configured timeouts: no
//! method may be called on a UI thread. The bindings run them on a worker
//! thread and expose them as async functions.

// `api` stays a public namespace: it is the `/v1` wire protocol, shared with
// the sandbox backend, and its names (`api::paycode::TillCharge`) read best
// qualified. The client's files are private; their API is re-exported below
// (ADR 0021).
pub mod api;
mod backend;
mod client;
mod config;
mod till;
mod tls;

pub use backend::HttpsBackend;
pub use client::{NetError, NetStats};
// MAX_PINS is the cap `ConfigError::TooManyPins` names.
pub use config::{ClientConfig, ConfigError, SpkiPin, TlsConfig, MAX_PINS};
pub use till::{TillClient, TillError, MAX_TILL_KEY_LEN};
