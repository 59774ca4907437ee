//! The crash harness: a wallet and a sandbox each in their own child process
//! (`src/bin/crash-wallet.rs`, `src/bin/crash-sandbox.rs`), killed with
//! SIGKILL (`std::process::Child::kill`) at points chosen by a seeded RNG, so
//! a failing run is reproduced by its seed; and the audit that checks, after
//! recovery, the wallet's journal against the sandbox's ledger.
//!
//! The child wallet runs on a [`ScaledClock`]: real time sped up by a fixed
//! factor, so the engine's 5 s query interval and 45 s query window cost a
//! tenth of that in real time while still being real waits (a killed sandbox
//! needs real time to come back).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use scanpay_core::net::api::ServerPaymentState;
use scanpay_core::payment::{Clock, PaymentRecord, PaymentState, SystemClock};
use scanpay_core::store::Store;
use scanpay_core::wallet::Wallet;
use scanpay_sandbox::SandboxData;

use crate::{HarnessError, Result};

/// SplitMix64: a tiny, well-mixed, seedable generator. Test randomness only
/// (kill delays, amounts): never for anything secret.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// 32 random bytes.
    pub fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        out
    }
}

/// Real time sped up: `now = epoch + (real_now - epoch) × factor`, and
/// `sleep(s)` sleeps `s / factor` real seconds. Monotonic across processes
/// that share the `epoch`, so a restarted child never sees time go back.
#[derive(Debug, Clone, Copy)]
pub struct ScaledClock {
    epoch_ms: u64,
    factor: u64,
}

impl ScaledClock {
    /// A clock that agrees with real time at `epoch_ms` and runs `factor`
    /// times as fast from there (a factor of 0 is taken as 1).
    pub fn new(epoch_ms: u64, factor: u64) -> ScaledClock {
        ScaledClock {
            epoch_ms,
            factor: factor.max(1),
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> u64 {
        self.now_millis() / 1000
    }

    fn sleep(&self, secs: u64) {
        std::thread::sleep(Duration::from_millis(
            secs.saturating_mul(1000) / self.factor,
        ));
    }

    fn now_millis(&self) -> u64 {
        let real = SystemClock.now_millis();
        self.epoch_ms.saturating_add(
            real.saturating_sub(self.epoch_ms)
                .saturating_mul(self.factor),
        )
    }
}

/// One line a child printed, with when it arrived.
pub type Line = (Instant, String);

/// A child process whose stdout and stderr are read line by line (stderr
/// lines prefixed `stderr: `), so the parent can act on a progress line the
/// moment it arrives. Dropping it kills the child.
pub struct Proc {
    name: String,
    child: Child,
    rx: Receiver<Line>,
    /// Every line seen so far, in arrival order.
    pub output: Vec<String>,
}

impl std::fmt::Debug for Proc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proc")
            .field("name", &self.name)
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

fn forward(stream: impl Read + Send + 'static, prefix: &'static str, tx: Sender<Line>) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx
                .send((Instant::now(), format!("{prefix}{line}")))
                .is_err()
            {
                break;
            }
        }
    });
}

impl Proc {
    /// Spawns `cmd` with piped output.
    pub fn spawn(mut cmd: Command, name: &str) -> Result<Proc> {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| HarnessError::Io {
            path: name.to_string(),
            detail: e.to_string(),
        })?;
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            forward(out, "", tx.clone());
        }
        if let Some(err) = child.stderr.take() {
            forward(err, "stderr: ", tx);
        }
        Ok(Proc {
            name: name.to_string(),
            child,
            rx,
            output: Vec::new(),
        })
    }

    /// The next line, waiting until `deadline`; `None` at the deadline or
    /// when the child closed its output.
    pub fn next_line(&mut self, deadline: Instant) -> Option<Line> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(wait) {
            Ok(line) => {
                self.output.push(line.1.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Reads lines until one starts with `prefix`; returns the rest of it.
    pub fn wait_for(&mut self, prefix: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        while let Some((_, line)) = self.next_line(deadline) {
            if let Some(rest) = line.strip_prefix(prefix) {
                return Ok(rest.to_string());
            }
        }
        Err(HarnessError::Unexpected(format!(
            "{}: no line starting {prefix:?} within {timeout:?}; output:\n{}",
            self.name,
            self.output.join("\n")
        )))
    }

    /// SIGKILL (on Unix), then reap it and collect what it printed.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.drain();
    }

    /// Waits for the child to exit (killing it at the timeout) and collects
    /// what it printed.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            // Keep reading so a chatty child never blocks on a full pipe.
            while let Ok(line) = self.rx.try_recv() {
                self.output.push(line.1);
            }
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.drain();
                    return Ok(status);
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => {
                    self.kill();
                    return Err(HarnessError::Unexpected(format!(
                        "{}: still running after {timeout:?}; output:\n{}",
                        self.name,
                        self.output.join("\n")
                    )));
                }
                Err(e) => {
                    return Err(HarnessError::Io {
                        path: self.name.clone(),
                        detail: e.to_string(),
                    })
                }
            }
        }
    }

    fn drain(&mut self) {
        // The pipes close when the child is gone: read to the end.
        let deadline = Instant::now() + Duration::from_secs(2);
        while self.next_line(deadline).is_some() {}
    }

    /// Waits for a successful exit.
    pub fn expect_success(&mut self, timeout: Duration) -> Result<()> {
        let status = self.wait_exit(timeout)?;
        if status.success() {
            Ok(())
        } else {
            Err(HarnessError::Unexpected(format!(
                "{} exited with {status}; output:\n{}",
                self.name,
                self.output.join("\n")
            )))
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sandbox in a child process (`crash-sandbox DIR PORT`), on a fixed port
/// once started, so a wallet's base URL survives the sandbox's restarts.
#[derive(Debug)]
pub struct SandboxProc {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    proc: Option<Proc>,
    /// How many times it was killed.
    pub kills: u32,
}

impl SandboxProc {
    /// Starts `bin` on `dir`, on a free port.
    pub fn start(bin: &Path, dir: &Path) -> Result<SandboxProc> {
        let mut s = SandboxProc {
            bin: bin.to_path_buf(),
            dir: dir.to_path_buf(),
            port: 0,
            proc: None,
            kills: 0,
        };
        s.restart()?;
        Ok(s)
    }

    /// (Re)starts the child on the same port (the first start picks one) and
    /// waits until it accepts connections.
    pub fn restart(&mut self) -> Result<()> {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
        let mut cmd = Command::new(&self.bin);
        cmd.arg(&self.dir).arg(self.port.to_string());
        let mut p = Proc::spawn(cmd, "crash-sandbox")?;
        let port = p.wait_for("READY ", Duration::from_secs(60))?;
        self.port = port
            .trim()
            .parse()
            .map_err(|_| HarnessError::Unexpected(format!("bad READY line: {port}")))?;
        self.proc = Some(p);
        Ok(())
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
            self.kills = self.kills.saturating_add(1);
        }
    }

    /// `https://localhost:PORT`.
    pub fn base_url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// What the audit found, for the summary a test prints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Audit {
    /// Payments in the journal.
    pub payments: usize,
    /// Ended `SUCCEEDED`.
    pub succeeded: usize,
    /// Ended `REVERSED`.
    pub reversed: usize,
    /// Ended `DECLINED`.
    pub declined: usize,
    /// Ended `CANCELLED`.
    pub cancelled: usize,
    /// Payments whose log shows they were resumed after a restart.
    pub resumed: usize,
    /// Payments the server saw more than one submit for (resubmits and
    /// replays), each still charged at most once.
    pub resubmitted: usize,
    /// Sum of the succeeded payments' totals (minor units).
    pub paid_minor: u64,
}

fn state_name(s: PaymentState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Every payment in the wallet journal at `wallet_dir` (the wallet must not
/// be running), checked against the sandbox's ledger:
///
/// * each journal row is in exactly one state, final (resolved) and never
///   `NEEDS_ATTENTION` (the sandbox was reachable in the end), its log a
///   single chain from creation to that state;
/// * the server charged each payment id at most once, and the net charge is
///   1 for `SUCCEEDED` and 0 for every other end (`CANCELLED`: never charged);
/// * every id in `confirmed` (the user finished the PIN) is in the journal;
/// * every end the user was `told` is the journal's end;
/// * the account's balance is `opening` minus exactly the succeeded totals,
///   so no charge exists that the journal does not know about.
pub fn audit(
    wallet_dir: &Path,
    data: &SandboxData,
    account_id: &str,
    opening_minor: u64,
    confirmed: &[String],
    told: &HashMap<String, String>,
) -> std::result::Result<Audit, String> {
    let store = Store::open(&Wallet::database_path(wallet_dir)).map_err(|e| e.to_string())?;
    let mut rows = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .payments_page(1000, cursor)
            .map_err(|e| e.to_string())?;
        rows.extend(page.rows);
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut a = Audit {
        payments: rows.len(),
        ..Audit::default()
    };
    let mut ids = std::collections::HashSet::new();
    for row in &rows {
        let id = &row.id;
        if !ids.insert(id.clone()) {
            return Err(format!("{id}: two journal rows"));
        }
        let rec: PaymentRecord =
            serde_json::from_slice(&row.record).map_err(|e| format!("{id}: record: {e}"))?;
        if rec.id != *id || state_name(rec.state) != row.state {
            return Err(format!(
                "{id}: row says {} but its record says {:?} ({})",
                row.state, rec.state, rec.id
            ));
        }
        let end = matches!(
            rec.state,
            PaymentState::Succeeded
                | PaymentState::Declined
                | PaymentState::Reversed
                | PaymentState::Cancelled
        );
        if !end || !row.resolved {
            return Err(format!(
                "{id}: not at a clean end after recovery: {} (resolved {})",
                row.state, row.resolved
            ));
        }
        let log = store.transitions(id).map_err(|e| e.to_string())?;
        let mut at = String::new();
        for t in &log {
            if t.from != at {
                return Err(format!(
                    "{id}: log breaks: {} → {} after {at:?}: {log:?}",
                    t.from, t.to
                ));
            }
            at.clone_from(&t.to);
        }
        if at != row.state {
            return Err(format!("{id}: log ends at {at} but row is {}", row.state));
        }
        if log.iter().any(|t| t.detail.contains("restart")) {
            a.resumed += 1;
        }
        let truth = data.payment_truth(id).map_err(|e| e.to_string())?;
        if truth.charges_applied > 1 || truth.refunds_applied > truth.charges_applied {
            return Err(format!("{id}: server charged it wrongly: {truth:?}"));
        }
        if truth.submits_received > 1 {
            a.resubmitted += 1;
        }
        let net = truth.charges_applied - truth.refunds_applied;
        let ok = match rec.state {
            PaymentState::Succeeded => {
                a.succeeded += 1;
                a.paid_minor = a.paid_minor.saturating_add(rec.breakdown.total.minor);
                net == 1 && truth.state == ServerPaymentState::Succeeded
            }
            PaymentState::Reversed => {
                a.reversed += 1;
                net == 0
            }
            PaymentState::Declined => {
                a.declined += 1;
                net == 0
            }
            _ => {
                a.cancelled += 1;
                truth.charges_applied == 0
            }
        };
        if !ok {
            return Err(format!(
                "{id}: wallet {} but server {truth:?}; log {log:?}",
                row.state
            ));
        }
    }
    for id in confirmed {
        if !ids.contains(id) {
            return Err(format!("{id}: confirmed with the PIN but not journalled"));
        }
    }
    for (id, said) in told {
        let row = rows.iter().find(|r| &r.id == id);
        if row.map(|r| &r.state) != Some(said) {
            return Err(format!(
                "{id}: the user was told {said} but the journal says {:?}",
                row.map(|r| &r.state)
            ));
        }
    }
    let balance = data
        .account(account_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no account {account_id}"))?
        .balance
        .minor;
    if opening_minor.checked_sub(a.paid_minor) != Some(balance) {
        return Err(format!(
            "balance {balance} ≠ opening {opening_minor} − paid {} (a charge the journal does not know, or a lost one)",
            a.paid_minor
        ));
    }
    Ok(a)
}

/// `SCANPAY_CRASH_RUNS` if set (the long mode), else `default`.
pub fn runs_from_env(default: u32) -> u32 {
    std::env::var("SCANPAY_CRASH_RUNS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// `SCANPAY_CRASH_SEED` if set (to reproduce a run), else `default`.
pub fn seed_from_env(default: u64) -> u64 {
    std::env::var("SCANPAY_CRASH_SEED")
        .ok()
        .and_then(|v| {
            let v = v.trim();
            v.strip_prefix("0x")
                .map_or_else(|| v.parse().ok(), |h| u64::from_str_radix(h, 16).ok())
        })
        .unwrap_or(default)
}
