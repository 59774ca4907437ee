//! `scanpay pos charge|query|reverse` — the cashier's till, against a
//! sandbox.
//!
//! `pos charge` reads the payer's pay code (typed digits, or an image of its
//! QR form through the core's scanner), charges it with the merchant's till
//! key, and resolves an unclear outcome the way a till must (the published
//! micropay rules, `docs/api.md`):
//!
//! * `userpaying` (the payer must confirm with the PIN on the phone): query
//!   every 5 s, for up to 45 s from the charge; still waiting → reverse.
//! * No answer, a reset, a 5xx: query (a few tries, with backoff); a final
//!   state ends it, `userpaying` continues as above, anything else (still no
//!   answer, no charge stored) → reverse.
//! * A reversal is repeated (backoff) until the backend answers it; the
//!   reversal's answer is the final state (`reversed`: charged and refunded;
//!   `closed`: never charged).
//!
//! So every sale ends `paid`, `declined`, `closed` or `reversed`, a state the
//! till and the backend agree on, with at most one charge. Only when the
//! backend stays unreachable through the whole reversal phase does the tool
//! give up with `unresolved`, naming the command that finishes the job.
//!
//! The output is ONE JSON object (with `--json`; otherwise a summary), and
//! the exit status says the outcome; both are contracts (`docs/cli.md`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use scanpay_core::money::{Currency, Money};
use scanpay_core::net::api::paycode::{
    is_valid_out_trade_no, TillCharge, TillChargeRequest, TillChargeState,
    TILL_QUERY_INTERVAL_SECS, USERPAYING_TIMEOUT_SECS,
};
use scanpay_core::net::{ClientConfig, TillClient, TillError, TlsConfig};
use serde_json::{json, Value};

use crate::harness::scan_png;
use crate::json::money;
use crate::sandbox::{read_link, DEFAULT_DATA};
use scanpay_sandbox::SandboxData;

/// Exit status: paid. (An error before any charge was attempted — usage,
/// an unreadable image, no such merchant, a wrong till key, a reused order
/// number — is 2, like every `scanpay` error: nothing was charged and nothing
/// needs resolving.)
pub const EXIT_PAID: u8 = 0;
/// Exit status: declined (`reason` says why; includes `rate-limited`).
pub const EXIT_DECLINED: u8 = 3;
/// Exit status: closed without a charge.
pub const EXIT_CLOSED: u8 = 4;
/// Exit status: charged, then refunded by the reversal.
pub const EXIT_REVERSED: u8 = 5;
/// Exit status: the outcome is still unknown (the backend did not answer the
/// reversal in time): run `scanpay pos reverse --order …` later.
pub const EXIT_UNRESOLVED: u8 = 6;

/// Arguments of `scanpay pos`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PosCommand,
}

#[derive(Debug, clap::Subcommand)]
enum PosCommand {
    /// Charge a payer's pay code, resolving any unclear outcome (query, reverse).
    Charge(ChargeArgs),
    /// Show the backend's state of a charge (one query).
    Query(OrderArgs),
    /// Reverse a charge: refund it if paid, close it if waiting for the payer.
    Reverse(OrderArgs),
}

/// Which sandbox and which merchant's till.
#[derive(Debug, clap::Args)]
struct TillArgs {
    /// The running sandbox's data directory (its `link.json`: where it listens, its CA and pin).
    #[arg(long, default_value = DEFAULT_DATA)]
    sandbox: PathBuf,
    /// The merchant charging (its till key is looked up in the sandbox).
    #[arg(long)]
    merchant: String,
    /// The till API key to use instead of the sandbox's seeded one.
    #[arg(long)]
    till_key: Option<String>,
    /// Print one JSON object (the contract in docs/cli.md) instead of a summary.
    #[arg(long)]
    json: bool,
}

/// Arguments of `scanpay pos charge`.
#[derive(Debug, clap::Args)]
pub struct ChargeArgs {
    #[command(flatten)]
    till: TillArgs,
    /// The amount, in the merchant's currency (e.g. 3.20).
    #[arg(long)]
    amount: String,
    /// The pay code as typed or read by a barcode scanner: its digits (spaces are ignored).
    #[arg(long, conflicts_with = "image", required_unless_present = "image")]
    code: Option<String>,
    /// An image of the pay code's QR form (PNG, JPEG, WebP), read with the core's scanner.
    #[arg(long)]
    image: Option<PathBuf>,
    /// The shop's order number (1-32 of A-Z a-z 0-9 - _); default: a fresh one.
    #[arg(long)]
    order: Option<String>,
}

/// Arguments of `scanpay pos query` and `pos reverse`.
#[derive(Debug, clap::Args)]
pub struct OrderArgs {
    #[command(flatten)]
    till: TillArgs,
    /// The order number of the charge.
    #[arg(long)]
    order: String,
}

/// How a till waits and retries. The defaults are the published rules; the
/// demo and tests use the same values.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Between queries of a `userpaying` charge.
    pub query_every: Duration,
    /// How long after the charge a `userpaying` charge is waited for before
    /// the till reverses it.
    pub userpaying_window: Duration,
    /// Queries after an unclear charge before reversing.
    pub unclear_queries: u32,
    /// First backoff between those queries and between reversal attempts
    /// (doubling, capped at `max_backoff`).
    pub first_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// How long reversal attempts go on before the tool reports `unresolved`.
    pub reverse_deadline: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            query_every: Duration::from_secs(TILL_QUERY_INTERVAL_SECS),
            userpaying_window: Duration::from_secs(USERPAYING_TIMEOUT_SECS),
            unclear_queries: 3,
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(8),
            reverse_deadline: Duration::from_secs(60),
        }
    }
}

/// The end of a sale, as the till reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Charged: hand over the goods.
    Paid,
    /// Refused; nothing charged.
    Declined,
    /// Closed without a charge.
    Closed,
    /// Charged and refunded.
    Reversed,
    /// Not known yet: the backend did not answer the reversal.
    Unresolved,
}

impl Status {
    /// The JSON name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Paid => "paid",
            Status::Declined => "declined",
            Status::Closed => "closed",
            Status::Reversed => "reversed",
            Status::Unresolved => "unresolved",
        }
    }

    /// The documented exit status.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Paid => EXIT_PAID,
            Status::Declined => EXIT_DECLINED,
            Status::Closed => EXIT_CLOSED,
            Status::Reversed => EXIT_REVERSED,
            Status::Unresolved => EXIT_UNRESOLVED,
        }
    }
}

/// Which call settled the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The charge's own answer.
    Charge,
    /// A query.
    Query,
    /// The reversal.
    Reverse,
}

impl Via {
    fn name(self) -> &'static str {
        match self {
            Via::Charge => "charge",
            Via::Query => "query",
            Via::Reverse => "reverse",
        }
    }
}

/// One call the till made and what came back.
#[derive(Debug, Clone)]
pub struct Call {
    /// `charge`, `query` or `reverse`.
    pub call: &'static str,
    /// The state answered, or `None` for an error.
    pub state: Option<TillChargeState>,
    /// The error, when there was one.
    pub error: Option<String>,
    /// Seconds since the charge was sent.
    pub at_secs: f64,
}

/// The outcome of `pos charge` (and what `--json` prints).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The final status.
    pub status: Status,
    /// The order number.
    pub order: String,
    /// The merchant.
    pub merchant_id: String,
    /// The amount asked.
    pub amount: Money,
    /// The backend's last answer about the charge, if any.
    pub charge: Option<TillCharge>,
    /// Why it was declined, or why it is closed/unresolved when known.
    pub reason: Option<String>,
    /// For `rate-limited`: when to try again.
    pub retry_after_secs: Option<u64>,
    /// Which call settled it.
    pub resolved_by: Via,
    /// Every call, in order.
    pub calls: Vec<Call>,
}

impl Outcome {
    /// The JSON object of the contract.
    pub fn to_json(&self) -> Value {
        let c = self.charge.as_ref();
        json!({
            "status": self.status.name(),
            "order": self.order,
            "merchant_id": self.merchant_id,
            "amount": money(&self.amount),
            "charge_id": c.and_then(|c| c.charge_id.clone()),
            "receipt": c.and_then(|c| c.receipt.clone()),
            "reason": self.reason,
            "retry_after_secs": self.retry_after_secs,
            "resolved_by": self.resolved_by.name(),
            "queries": self.calls.iter().filter(|c| c.call == "query").count(),
            "reversals": self.calls.iter().filter(|c| c.call == "reverse").count(),
            "calls": self.calls.iter().map(|c| json!({
                "call": c.call,
                "state": c.state.as_ref().map(TillChargeState::code),
                "error": c.error,
                "at_secs": (c.at_secs * 1000.0).round() / 1000.0,
            })).collect::<Vec<_>>(),
        })
    }
}

/// An error that ends `pos charge` before any charge could have happened
/// (exit status 2, as every CLI error): the message is printed on stderr.
pub type Refusal = String;

/// Runs one sale to its end. `log` receives a line per call (the CLI prints
/// them on stderr; the demo on stdout).
pub struct Resolver<'a> {
    till: &'a TillClient,
    policy: Policy,
    log: &'a dyn Fn(&str),
    started: Instant,
    calls: Vec<Call>,
}

impl<'a> Resolver<'a> {
    /// A resolver for one sale.
    pub fn new(till: &'a TillClient, policy: Policy, log: &'a dyn Fn(&str)) -> Resolver<'a> {
        Resolver {
            till,
            policy,
            log,
            started: Instant::now(),
            calls: Vec::new(),
        }
    }

    fn record(&mut self, call: &'static str, r: &Result<TillCharge, TillError>) {
        let at_secs = self.started.elapsed().as_secs_f64();
        let (state, error) = match r {
            Ok(c) => (Some(c.state), None),
            Err(e) => (None, Some(e.to_string())),
        };
        (self.log)(&format!(
            "    · {call} (+{at_secs:.1} s): {}",
            match (&state, &error) {
                (Some(s), _) => s.code().to_string(),
                (None, Some(e)) => format!("error: {e}"),
                (None, None) => String::new(),
            }
        ));
        self.calls.push(Call {
            call,
            state,
            error,
            at_secs,
        });
    }

    /// Charges `req` and resolves the outcome. `Err` only when the charge
    /// was refused as a request (key, order number reused, malformed):
    /// nothing happened under the order number.
    pub fn charge(
        mut self,
        req: &TillChargeRequest,
        merchant_id: &str,
    ) -> Result<Outcome, Refusal> {
        self.started = Instant::now();
        // A charge that provably never left (no connection, handshake
        // failure) changed nothing: send it again, a few times. The order
        // number makes even a repeat of one that did arrive harmless.
        let mut backoff = self.policy.first_backoff;
        let mut attempt = 1;
        let r = loop {
            let r = self.till.charge(req);
            self.record("charge", &r);
            match &r {
                Err(e @ TillError::Net(n))
                    if n.definitely_not_sent()
                        && e.is_transient()
                        && attempt < self.policy.unclear_queries =>
                {
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(self.policy.max_backoff);
                    attempt += 1;
                }
                _ => break r,
            }
        };
        let mut out = Outcome {
            status: Status::Unresolved,
            order: req.out_trade_no.clone(),
            merchant_id: merchant_id.to_string(),
            amount: req.amount,
            charge: None,
            reason: None,
            retry_after_secs: None,
            resolved_by: Via::Charge,
            calls: Vec::new(),
        };
        match r {
            Ok(c) => match c.state {
                TillChargeState::Userpaying => {
                    out.charge = Some(c);
                    self.wait_for_payer(&mut out);
                }
                _ => settle(&mut out, c, Via::Charge),
            },
            Err(TillError::RateLimited { retry_after_secs }) => {
                // Nothing stored: the refusal is the answer.
                out.status = Status::Declined;
                out.reason = Some("rate-limited".into());
                out.retry_after_secs = retry_after_secs;
            }
            Err(e) if e.outcome_unknown() => self.unclear(&mut out),
            Err(e) if e.is_transient() => {
                return Err(format!(
                    "nothing was charged (the charge never reached the backend): {e}"
                ))
            }
            Err(e) => return Err(format!("nothing was charged: {e}")),
        }
        out.calls = self.calls;
        Ok(out)
    }

    /// After an unclear charge: query a few times; a final state ends it,
    /// `userpaying` goes on waiting, anything else is reversed.
    fn unclear(&mut self, out: &mut Outcome) {
        let mut backoff = self.policy.first_backoff;
        for attempt in 0..self.policy.unclear_queries {
            if attempt > 0 {
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(self.policy.max_backoff);
            }
            let r = self.till.query(&out.order);
            self.record("query", &r);
            match r {
                Ok(c) if c.state == TillChargeState::Userpaying => {
                    out.charge = Some(c);
                    return self.wait_for_payer(out);
                }
                Ok(c) => return settle(out, c, Via::Query),
                // Nothing stored under the order number: the charge never
                // arrived. Reverse anyway, so that a late copy of it cannot
                // be charged after the till has moved on.
                Err(TillError::UnknownCharge) => break,
                Err(_) => {}
            }
        }
        self.reverse_until_answered(out);
    }

    /// A charge waits for the payer's PIN: query every `query_every` until
    /// a final state or the window ends, then reverse.
    fn wait_for_payer(&mut self, out: &mut Outcome) {
        let deadline = self.started + self.policy.userpaying_window;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            std::thread::sleep(self.policy.query_every.min(deadline - now));
            let r = self.till.query(&out.order);
            self.record("query", &r);
            match r {
                Ok(c) if c.state == TillChargeState::Userpaying => out.charge = Some(c),
                Ok(c) => return settle(out, c, Via::Query),
                // An unanswered query changes nothing: keep polling.
                Err(_) => {}
            }
        }
        self.reverse_until_answered(out);
    }

    /// Reverses until the backend answers (or the deadline passes).
    fn reverse_until_answered(&mut self, out: &mut Outcome) {
        let deadline = Instant::now() + self.policy.reverse_deadline;
        let mut backoff = self.policy.first_backoff;
        loop {
            let r = self.till.reverse(&out.order);
            self.record("reverse", &r);
            match r {
                Ok(c) => return settle(out, c, Via::Reverse),
                Err(TillError::UnknownCharge) => {
                    out.status = Status::Closed;
                    out.reason = Some("no-charge".into());
                    out.resolved_by = Via::Reverse;
                    return;
                }
                Err(e) if !(e.outcome_unknown() || e.is_transient()) => {
                    // Refused as a request (the backend will not reverse this
                    // charge): its state, from a query, is the answer.
                    let q = self.till.query(&out.order);
                    self.record("query", &q);
                    if let Ok(c) = q {
                        if c.state != TillChargeState::Userpaying {
                            return settle(out, c, Via::Query);
                        }
                    }
                    out.reason = Some(format!("reverse refused: {e}"));
                    return;
                }
                Err(_) => {}
            }
            if Instant::now() + backoff >= deadline {
                out.status = Status::Unresolved;
                out.reason = Some("the backend did not answer the reversal".into());
                return;
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(self.policy.max_backoff);
        }
    }
}

/// Takes a final answer.
fn settle(out: &mut Outcome, c: TillCharge, via: Via) {
    out.status = match c.state {
        TillChargeState::Paid => Status::Paid,
        TillChargeState::Declined => Status::Declined,
        TillChargeState::Closed => Status::Closed,
        TillChargeState::Reversed => Status::Reversed,
        // Only reached through a reversal answering "still waiting", which
        // the contract rules out; the tool does not pretend it is settled.
        TillChargeState::Userpaying => Status::Unresolved,
    };
    out.reason = c.reason.clone();
    out.resolved_by = via;
    out.charge = Some(c);
}

/// A fresh order number: `POS-` + unix milliseconds + 8 random hex digits
/// (27 characters, within the 32 allowed).
pub fn fresh_order_number() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let mut rand = [0u8; 4];
    // A failed RNG only makes the number less unique, never invalid.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut rand);
    let hex: String = rand.iter().map(|b| format!("{b:02x}")).collect();
    format!("POS-{ms}-{hex}")
}

/// Normalises a typed code: spaces removed; only digits accepted.
pub fn typed_code(code: &str) -> Result<String, Refusal> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "--code must be the pay code's digits, got {:?}",
            code.chars().take(40).collect::<String>()
        ));
    }
    Ok(digits)
}

/// The text of the pay code in an image (its QR form: the CPM text).
pub fn code_from_image(path: &Path) -> Result<String, Refusal> {
    let scanned = scan_png(path).map_err(|e| format!("{}: {e}", path.display()))?;
    scanned.text.ok_or_else(|| {
        format!(
            "{}: the code found is not text (a pay code's QR holds base64 text)",
            path.display()
        )
    })
}

pub fn run(args: &Args) -> Result<ExitCode, String> {
    match &args.command {
        PosCommand::Charge(a) => charge(a),
        PosCommand::Query(a) => single(a, false),
        PosCommand::Reverse(a) => single(a, true),
    }
}

/// A till client for a sandbox reached at `base_url`, trusting `ca_pem` with
/// `spki_pin` pinned, authenticated with `key`.
pub fn till_client(
    base_url: &str,
    ca_pem: &str,
    spki_pin: &str,
    key: &str,
) -> Result<TillClient, String> {
    let tls = TlsConfig {
        root_certificates: ca_pem.as_bytes().to_vec(),
        pins: vec![spki_pin.to_string()],
        require_pins: true,
    };
    TillClient::new(ClientConfig::new(base_url, tls), key).map_err(|e| e.to_string())
}

/// The till of `merchant` at the sandbox in `dir`, and the merchant's currency.
fn till_for(args: &TillArgs) -> Result<(TillClient, Currency), String> {
    let link = read_link(&args.sandbox)?;
    let ca = std::fs::read(&link.ca_pem_path)
        .map_err(|e| format!("cannot read {}: {e}", link.ca_pem_path.display()))?;
    let tls = TlsConfig {
        root_certificates: ca,
        pins: vec![link.spki_pin],
        require_pins: true,
    };
    let config = ClientConfig::new(link.base_url, tls);
    // The data dir is the database the running sandbox serves from (as for
    // `qr make --dynamic`): the merchant's currency and seeded till key.
    let data = SandboxData::open(&args.sandbox)
        .map_err(|e| format!("sandbox {}: {e}", args.sandbox.display()))?;
    let merchant = data
        .merchant(&args.merchant)
        .map_err(|e| format!("merchant {}: {e}", args.merchant))?;
    let key = match &args.till_key {
        Some(k) => k.clone(),
        None => seeded_till_key(&data, &args.merchant)?,
    };
    let till = TillClient::new(config, &key).map_err(|e| e.to_string())?;
    Ok((till, merchant.currency))
}

/// The till key the sandbox seeded for `merchant` (also in its `tills.json`).
fn seeded_till_key(data: &SandboxData, merchant: &str) -> Result<String, String> {
    data.till_key(merchant)
        .map_err(|e| format!("no till key for {merchant} in this sandbox ({e}); pass --till-key"))
}

fn charge(args: &ChargeArgs) -> Result<ExitCode, String> {
    let auth_code = match (&args.code, &args.image) {
        (Some(c), _) => typed_code(c)?,
        (None, Some(p)) => code_from_image(p)?,
        (None, None) => return Err("give --code DIGITS or --image FILE".into()),
    };
    let order = match &args.order {
        Some(o) if is_valid_out_trade_no(o) => o.clone(),
        Some(o) => return Err(format!("--order {o:?} must be 1-32 of A-Z a-z 0-9 - _")),
        None => fresh_order_number(),
    };
    let (till, currency) = till_for(&args.till)?;
    let amount = Money::parse(&args.amount, currency)
        .map_err(|e| format!("--amount {:?}: {e}", args.amount))?;
    let req = TillChargeRequest {
        out_trade_no: order,
        auth_code,
        amount,
    };
    let log = |line: &str| eprintln!("{line}");
    let outcome =
        Resolver::new(&till, Policy::default(), &log).charge(&req, &args.till.merchant)?;
    print_outcome(&outcome, args.till.json);
    Ok(ExitCode::from(outcome.status.exit_code()))
}

/// Prints the outcome: one JSON object, or a summary for a person.
pub fn print_outcome(o: &Outcome, json: bool) {
    if json {
        println!("{}", o.to_json());
        return;
    }
    let c = o.charge.as_ref();
    println!(
        "{}: {} for order {} at {}",
        o.status.name().to_uppercase(),
        o.amount,
        o.order,
        o.merchant_id
    );
    if let Some(id) = c.and_then(|c| c.charge_id.as_deref()) {
        println!("  charge   {id}");
    }
    if let Some(r) = c.and_then(|c| c.receipt.as_deref()) {
        println!("  receipt  {r}");
    }
    if let Some(r) = &o.reason {
        println!("  reason   {r}");
    }
    if let Some(s) = o.retry_after_secs {
        println!("  retry after {s} s");
    }
    if o.status == Status::Unresolved {
        println!(
            "  run `scanpay pos reverse --merchant {} --order {}` once the backend answers",
            o.merchant_id, o.order
        );
    }
}

fn single(args: &OrderArgs, reverse: bool) -> Result<ExitCode, String> {
    let (till, _) = till_for(&args.till)?;
    let r = if reverse {
        till.reverse(&args.order)
    } else {
        till.query(&args.order)
    };
    let c = r.map_err(|e| e.to_string())?;
    let status = match c.state {
        TillChargeState::Paid => Status::Paid,
        TillChargeState::Declined => Status::Declined,
        TillChargeState::Closed => Status::Closed,
        TillChargeState::Reversed => Status::Reversed,
        TillChargeState::Userpaying => Status::Unresolved,
    };
    if args.till.json {
        println!("{}", till_charge_json(&c));
    } else {
        println!(
            "{}: {} for order {} at {}{}",
            c.state.code().to_uppercase(),
            c.amount,
            c.out_trade_no,
            c.merchant_id,
            c.reason
                .as_deref()
                .map_or_else(String::new, |r| format!(" ({r})"))
        );
    }
    Ok(ExitCode::from(status.exit_code()))
}

/// The backend's answer as JSON (`pos query` / `pos reverse`).
pub fn till_charge_json(c: &TillCharge) -> Value {
    json!({
        "order": c.out_trade_no,
        "merchant_id": c.merchant_id,
        "state": c.state.code(),
        "amount": money(&c.amount),
        "charge_id": c.charge_id,
        "receipt": c.receipt,
        "reason": c.reason,
        "expires_at": c.expires_at,
    })
}
