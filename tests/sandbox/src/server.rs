//! The HTTPS server: accept loop, connections, routes, and where each fault
//! strikes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use scanpay_core::net::api::paycode::MAX_EVENTS_WAIT_SECS;
use scanpay_core::net::api::{
    error_code, ClockAdvance, ClockResponse, ControlAck, CreateOrderRequest, EnrolRequest, Fault,
    FaultRequest, HEADER_IDEMPOTENT_REPLAYED, HEADER_REGISTRY_VERSION,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::data::{ApiError, RegistryAnswer, SandboxData, TillAnswer};
use crate::error::SandboxError;
use crate::faults::{FaultPlan, RequestKind};
use crate::http::{read_request, write_response, ReadError, Request, Response};

/// What every connection shares.
pub(crate) struct Shared {
    pub data: SandboxData,
    pub faults: Arc<FaultPlan>,
}

/// A route, resolved from method and path before anything is processed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Route {
    Health,
    Enrol,
    Shortcuts,
    Registry,
    Submit,
    Query(String),
    Reverse(String),
    CreateOrder,
    GetOrder(String),
    ReverseOrder(String),
    ArmFault,
    ClearFaults,
    ListFaults,
    ControlPayment(String),
    ControlAccount(String),
    ControlMerchants,
    BlockMerchant(String, bool),
    RevokeKey(String, bool),
    AdvanceClock,
    GetClock,
    PaycodeProvision,
    PaycodeEvents,
    PaycodeConfirm(String),
    PaycodeDecline(String),
    TillCharge,
    TillQuery(String),
    TillReverse(String),
    ControlTills,
    ControlPaycodeCharge(String),
}

impl Route {
    fn kind(&self) -> RequestKind {
        match self {
            Route::Health => RequestKind::Health,
            Route::Enrol => RequestKind::Enrol,
            Route::Registry => RequestKind::Registry,
            Route::Submit => RequestKind::Submit,
            Route::Query(_) => RequestKind::Query,
            Route::Reverse(_) => RequestKind::Reverse,
            Route::TillCharge => RequestKind::Charge,
            Route::TillQuery(_) => RequestKind::ChargeQuery,
            Route::TillReverse(_) => RequestKind::ChargeReverse,
            _ => RequestKind::Exempt,
        }
    }
}

fn route(method: &str, path: &str) -> Result<Route, Response> {
    let segs: Vec<&str> = path
        .strip_prefix("/v1/")
        .map(|p| p.split('/').collect())
        .unwrap_or_default();
    if let Some(r) = known(method, &segs) {
        return Ok(r);
    }
    if ["GET", "POST", "DELETE"]
        .iter()
        .any(|m| known(m, &segs).is_some())
    {
        return Err(Response::error(
            405,
            error_code::METHOD_NOT_ALLOWED,
            &format!("{method} is not allowed on {path}"),
        ));
    }
    Err(Response::error(
        404,
        error_code::NOT_FOUND,
        &format!("no route {path}"),
    ))
}

fn known(method: &str, segs: &[&str]) -> Option<Route> {
    let r = match (method, segs) {
        ("GET", ["health"]) => Route::Health,
        ("POST", ["devices"]) => Route::Enrol,
        ("POST", ["devices", "shortcuts"]) => Route::Shortcuts,
        ("GET", ["registry"]) => Route::Registry,
        ("POST", ["payments"]) => Route::Submit,
        ("GET", ["payments", id]) => Route::Query((*id).to_string()),
        ("POST", ["payments", id, "reverse"]) => Route::Reverse((*id).to_string()),
        ("POST", ["merchant", "orders"]) => Route::CreateOrder,
        ("GET", ["merchant", "orders", id]) => Route::GetOrder((*id).to_string()),
        ("POST", ["merchant", "orders", id, "reverse"]) => Route::ReverseOrder((*id).to_string()),
        ("POST", ["control", "faults"]) => Route::ArmFault,
        ("DELETE", ["control", "faults"]) => Route::ClearFaults,
        ("GET", ["control", "faults"]) => Route::ListFaults,
        ("GET", ["control", "payments", id]) => Route::ControlPayment((*id).to_string()),
        ("GET", ["control", "accounts", id]) => Route::ControlAccount((*id).to_string()),
        ("GET", ["control", "merchants"]) => Route::ControlMerchants,
        ("POST", ["control", "merchants", id, "block"]) => {
            Route::BlockMerchant((*id).to_string(), true)
        }
        ("POST", ["control", "merchants", id, "unblock"]) => {
            Route::BlockMerchant((*id).to_string(), false)
        }
        ("POST", ["control", "keys", id, "revoke"]) => Route::RevokeKey((*id).to_string(), true),
        ("POST", ["control", "keys", id, "unrevoke"]) => Route::RevokeKey((*id).to_string(), false),
        ("POST", ["paycode", "provision"]) => Route::PaycodeProvision,
        ("GET", ["paycode", "events"]) => Route::PaycodeEvents,
        ("POST", ["paycode", "charges", id, "confirm"]) => Route::PaycodeConfirm((*id).to_string()),
        ("POST", ["paycode", "charges", id, "decline"]) => Route::PaycodeDecline((*id).to_string()),
        ("POST", ["merchant", "paycode", "charges"]) => Route::TillCharge,
        ("GET", ["merchant", "paycode", "charges", no]) => Route::TillQuery((*no).to_string()),
        ("POST", ["merchant", "paycode", "charges", no, "reverse"]) => {
            Route::TillReverse((*no).to_string())
        }
        ("GET", ["control", "tills"]) => Route::ControlTills,
        ("GET", ["control", "paycode", "charges", id]) => {
            Route::ControlPaycodeCharge((*id).to_string())
        }
        ("POST", ["control", "clock"]) => Route::AdvanceClock,
        ("GET", ["control", "clock"]) => Route::GetClock,
        _ => return None,
    };
    Some(r)
}

fn api_error(e: ApiError) -> Response {
    Response::error(e.status, e.code, &e.message)
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Response> {
    serde_json::from_slice(body)
        .map_err(|e| Response::error(400, error_code::MALFORMED_REQUEST, &format!("body: {e}")))
}

fn internal(e: impl std::fmt::Display) -> Response {
    Response::error(500, error_code::INTERNAL, &e.to_string())
}

fn till_response(a: TillAnswer) -> Response {
    let mut r = Response::json(a.status, a.body);
    if a.replayed {
        r.headers.push((HEADER_IDEMPOTENT_REPLAYED, "true".into()));
    }
    if let Some(secs) = a.retry_after {
        r.headers.push(("Retry-After", secs.to_string()));
    }
    r
}

/// `after` and `wait` of an events request: decimal, default 0; `wait` is
/// capped at [`MAX_EVENTS_WAIT_SECS`].
fn events_params(req: &Request) -> Result<(u64, u64), Response> {
    let num = |name: &str| match req.query_param(name) {
        None => Ok(0),
        Some(v) => v.parse::<u64>().map_err(|_| {
            Response::error(
                400,
                error_code::MALFORMED_REQUEST,
                &format!("{name} is not a number"),
            )
        }),
    };
    Ok((num("after")?, num("wait")?.min(MAX_EVENTS_WAIT_SECS)))
}

/// `GET /v1/paycode/events`: authenticated once, then answered at once if
/// there are events after `after`, else when one is written or `wait`
/// seconds have passed. The wait is an `await` on the event signal, never a
/// blocked worker thread; it also re-reads every second, so a charge the
/// clock sweep closed (which signals nobody) is seen within a second.
async fn events_long_poll(shared: &Shared, req: &Request) -> Response {
    let (after, wait) = match events_params(req) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let data = &shared.data;
    let feed = match data.paycode_events_auth(req.authorization.as_deref()) {
        Ok(f) => f,
        Err(e) => return api_error(e),
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let mut signal = data.paycode_event_signal();
    loop {
        // Marked seen before reading: an event written after this read
        // changes the value again and ends the wait below.
        signal.borrow_and_update();
        let answer = match data.paycode_events_read(&feed, after) {
            Ok(a) => a,
            Err(e) => return api_error(e),
        };
        let now = tokio::time::Instant::now();
        if !answer.events.is_empty() || now >= deadline {
            return Response::ok(&answer);
        }
        let tick = (deadline - now).min(Duration::from_secs(1));
        // A closed channel (the data dropped) just ends this wait early.
        let _ = tokio::time::timeout(tick, signal.changed()).await;
    }
}

/// Processes a request (this is where state changes are committed).
/// `fault` is the fault this request took, for the faults that change how it
/// is processed rather than how it is transported (`payer-pending`).
fn handle(shared: &Shared, route: Route, req: &Request, fault: Option<Fault>) -> Response {
    let data = &shared.data;
    let result = match route {
        Route::Health => data.health().map(|h| Response::ok(&h)).map_err(internal),
        Route::Enrol => parse::<EnrolRequest>(&req.body)
            .and_then(|r| data.enrol(&r).map_err(api_error))
            .map(|r| Response::ok(&r)),
        Route::Shortcuts => data
            .set_shortcuts(&req.body)
            .map(|r| Response::ok(&r))
            .map_err(api_error),
        Route::Registry => {
            let have = match req.query_param("have") {
                None => Ok(None),
                Some(v) => v.parse::<u64>().map(Some).map_err(|_| {
                    Response::error(400, error_code::MALFORMED_REQUEST, "have is not a number")
                }),
            };
            have.and_then(|have| data.registry(have).map_err(internal))
                .map(|a| match a {
                    RegistryAnswer::NotModified => Response::json(304, Vec::new()),
                    RegistryAnswer::Document { version, bytes } => {
                        let mut r = Response::json(200, bytes);
                        r.headers
                            .push((HEADER_REGISTRY_VERSION, version.to_string()));
                        r
                    }
                })
        }
        Route::Submit => match fault {
            Some(Fault::PayerPending { queries }) => {
                data.submit_payer_pending(req.idempotency_key.as_deref(), &req.body, queries)
            }
            _ => data.submit(req.idempotency_key.as_deref(), &req.body),
        }
        .map(|a| {
            let mut r = Response::json(a.status, a.body);
            if a.replayed {
                r.headers.push((HEADER_IDEMPOTENT_REPLAYED, "true".into()));
            }
            r
        })
        .map_err(api_error),
        Route::Query(id) => data
            .query(&id, req.authorization.as_deref())
            .map(|r| Response::ok(&r))
            .map_err(api_error),
        Route::Reverse(id) => data
            .reverse(&id, req.authorization.as_deref())
            .map(|r| Response::ok(&r))
            .map_err(api_error),
        Route::CreateOrder => parse::<CreateOrderRequest>(&req.body)
            .and_then(|r| data.create_order(&r).map_err(api_error))
            .map(|r| Response::ok(&r)),
        Route::GetOrder(id) => match data.order(&id) {
            Ok(Some(o)) => Ok(Response::ok(&o)),
            Ok(None) => Err(Response::error(404, error_code::NOT_FOUND, "no such order")),
            Err(e) => Err(internal(e)),
        },
        Route::ReverseOrder(id) => match data.reverse_order(&id) {
            Ok(Some(o)) => Ok(Response::ok(&o)),
            Ok(None) => Err(Response::error(404, error_code::NOT_FOUND, "no such order")),
            Err(e) => Err(api_error(e)),
        },
        Route::ArmFault => parse::<FaultRequest>(&req.body).and_then(|f| {
            shared
                .faults
                .try_arm(f)
                .map(|()| Response::ok(&ControlAck { ok: true }))
                .map_err(|e| Response::error(400, error_code::MALFORMED_REQUEST, &e.to_string()))
        }),
        Route::ClearFaults => {
            shared.faults.clear();
            Ok(Response::ok(&ControlAck { ok: true }))
        }
        Route::ListFaults => Ok(Response::ok(&shared.faults.armed())),
        Route::ControlPayment(id) => data
            .payment_truth(&id)
            .map(|p| Response::ok(&p))
            .map_err(internal),
        Route::ControlAccount(id) => match data.account(&id) {
            Ok(Some(a)) => Ok(Response::ok(&a)),
            Ok(None) => Err(Response::error(
                404,
                error_code::NOT_FOUND,
                "no such account",
            )),
            Err(e) => Err(internal(e)),
        },
        Route::ControlMerchants => data.merchants().map(|m| Response::ok(&m)).map_err(internal),
        Route::BlockMerchant(id, blocked) => data
            .set_merchant_blocked(&id, blocked)
            .map(|()| Response::ok(&ControlAck { ok: true }))
            .map_err(|e| Response::error(404, error_code::NOT_FOUND, &e.to_string())),
        Route::RevokeKey(id, revoked) => data
            .set_key_revoked(&id, revoked)
            .map(|v| Response::ok(&serde_json::json!({ "registry_version": v })))
            .map_err(|e| Response::error(404, error_code::NOT_FOUND, &e.to_string())),
        Route::AdvanceClock => parse::<ClockAdvance>(&req.body).and_then(|c| {
            data.advance_clock(c.advance_secs)
                .map(|now| Response::ok(&ClockResponse { now }))
                .map_err(|e| match e {
                    SandboxError::Invalid(m) => {
                        Response::error(400, error_code::MALFORMED_REQUEST, &m)
                    }
                    other => internal(other),
                })
        }),
        Route::GetClock => data
            .now()
            .map(|now| Response::ok(&ClockResponse { now }))
            .map_err(internal),
        Route::PaycodeProvision => data
            .paycode_provision(req.authorization.as_deref(), &req.body)
            .map(|r| Response::ok(&r))
            .map_err(api_error),
        // Served without waiting here; `connection` long-polls it.
        Route::PaycodeEvents => events_params(req).and_then(|(after, _)| {
            data.paycode_events_auth(req.authorization.as_deref())
                .and_then(|feed| data.paycode_events_read(&feed, after))
                .map(|r| Response::ok(&r))
                .map_err(api_error)
        }),
        Route::PaycodeConfirm(id) => data
            .paycode_confirm(req.authorization.as_deref(), &id, &req.body)
            .map(|r| Response::ok(&r))
            .map_err(api_error),
        Route::PaycodeDecline(id) => data
            .paycode_decline(req.authorization.as_deref(), &id)
            .map(|r| Response::ok(&r))
            .map_err(api_error),
        Route::TillCharge => data
            .till_charge(req.authorization.as_deref(), &req.body)
            .map(till_response)
            .map_err(api_error),
        Route::TillQuery(no) => data
            .till_query(req.authorization.as_deref(), &no)
            .map(|r| Response::ok(&r))
            .map_err(api_error),
        Route::TillReverse(no) => data
            .till_reverse(req.authorization.as_deref(), &no)
            .map(|r| Response::ok(&r))
            .map_err(api_error),
        Route::ControlTills => data.tills().map(|t| Response::ok(&t)).map_err(internal),
        Route::ControlPaycodeCharge(id) => match data.paycode_charge(&id) {
            Ok(Some(c)) => Ok(Response::ok(&c)),
            Ok(None) => Err(Response::error(
                404,
                error_code::NOT_FOUND,
                "no such charge",
            )),
            Err(e) => Err(internal(e)),
        },
    };
    result.unwrap_or_else(|e| e)
}

/// Accepts connections until `shutdown` fires.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((tcp, _peer)) = accepted else {
            // Out of file descriptors and the like: back off, keep serving.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let shared = Arc::clone(&shared);
        tokio::spawn(async move { connection(tcp, acceptor, shared).await });
    }
}

async fn connection(mut tcp: TcpStream, acceptor: TlsAcceptor, shared: Arc<Shared>) {
    if shared.faults.take_for_connection() {
        // The tls-handshake fault: read the ClientHello, then close without
        // answering it. The client sees the handshake fail; nothing was sent.
        let mut hello = [0u8; 2048];
        let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut hello)).await;
        return;
    }
    let Ok(Ok(mut tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await
    else {
        return;
    };
    let mut buf = Vec::new();
    loop {
        let req = match read_request(&mut tls, &mut buf).await {
            Ok(r) => r,
            Err(ReadError::Closed) => return,
            Err(ReadError::Reject(resp)) => {
                let _ = write_response(&mut tls, &resp).await;
                let _ = tls.shutdown().await;
                return;
            }
        };
        let route = match route(&req.method, &req.path) {
            Ok(r) => r,
            Err(mut resp) => {
                resp.close = req.close;
                if write_response(&mut tls, &resp).await.is_err() || req.close {
                    return;
                }
                continue;
            }
        };
        let fault = shared.faults.take_for_request(route.kind());
        match fault {
            Some(Fault::Delay { ms }) => tokio::time::sleep(Duration::from_millis(ms)).await,
            Some(Fault::Error500BeforeCommit) => {
                let resp = Response::error(
                    500,
                    error_code::INTERNAL,
                    "injected fault: nothing was processed",
                );
                if write_response(&mut tls, &resp).await.is_err() {
                    return;
                }
                continue;
            }
            Some(Fault::Reset) => {
                // RST instead of FIN: zero linger, then drop without close_notify.
                let _ = tls.get_ref().0.set_zero_linger();
                return;
            }
            _ => {}
        }
        let mut resp = if route == Route::PaycodeEvents {
            events_long_poll(&shared, &req).await
        } else {
            handle(&shared, route, &req, fault)
        };
        resp.close = resp.close || req.close;
        match fault {
            Some(Fault::DropAfterCommit) => {
                // Committed; the answer is lost: close_notify and FIN, no response.
                let _ = tls.shutdown().await;
                return;
            }
            Some(Fault::StallBody { ms }) => {
                if tls.write_all(&resp.head()).await.is_err() || tls.flush().await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(ms)).await;
                if tls.write_all(&resp.body).await.is_err() || tls.flush().await.is_err() {
                    return;
                }
            }
            _ => {
                if write_response(&mut tls, &resp).await.is_err() {
                    return;
                }
            }
        }
        if resp.close {
            let _ = tls.shutdown().await;
            return;
        }
    }
}

/// Binds `addr` on the current runtime.
pub(crate) async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
