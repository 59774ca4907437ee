//! What the crash suites' child processes (`src/bin/crash-*.rs`) share: the
//! `MODE --flag value…` command line, progress lines flushed one at a time
//! (the parent kills right after a given one), the client configuration read
//! from a sandbox's data directory, and the wallet opened from its data
//! directory the way an app opens it ([`Wallet::open_linked`]).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use scanpay_core::auth::SoftwareKeyStore;
use scanpay_core::net::{ClientConfig, HttpsBackend, TlsConfig};
use scanpay_core::payment::{Backend, Clock};
use scanpay_core::trust::RootKeys;
use scanpay_core::wallet::{Wallet, WalletOptions};

use crate::{wallet_config, HarnessError, Result};

/// Prints one progress line and flushes it, so the parent sees it at once.
pub fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A child's exit: success, or `ERROR <why>` on stdout (the parent's tests
/// look for it) and a failure status.
pub fn exit(result: Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            say(&format!("ERROR {e}"));
            ExitCode::FAILURE
        }
    }
}

fn io_err(path: &Path, e: &std::io::Error) -> HarnessError {
    HarnessError::Io {
        path: path.display().to_string(),
        detail: e.to_string(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_err(path, &e))
}

/// A child's command line: `MODE --flag value…`.
#[derive(Debug, Clone)]
pub struct Args {
    /// What to do.
    pub mode: String,
    flags: HashMap<String, String>,
}

impl Args {
    /// Parses the process's arguments; `usage` is the error without a mode.
    pub fn parse(usage: &str) -> Result<Args> {
        let mut it = std::env::args().skip(1);
        let mode = it
            .next()
            .ok_or_else(|| HarnessError::Unexpected(format!("usage: {usage}")))?;
        let mut flags = HashMap::new();
        while let Some(k) = it.next() {
            let key = k
                .strip_prefix("--")
                .ok_or_else(|| HarnessError::Unexpected(format!("not a flag: {k}")))?;
            let v = it
                .next()
                .ok_or_else(|| HarnessError::Unexpected(format!("--{key} needs a value")))?;
            flags.insert(key.to_string(), v);
        }
        Ok(Args { mode, flags })
    }

    /// A flag's value, if given.
    pub fn opt(&self, k: &str) -> Option<&str> {
        self.flags.get(k).map(String::as_str)
    }

    /// A required flag's value.
    pub fn get(&self, k: &str) -> Result<&str> {
        self.opt(k)
            .ok_or_else(|| HarnessError::Unexpected(format!("missing --{k}")))
    }

    /// A required flag's value as a number.
    pub fn num(&self, k: &str) -> Result<u64> {
        self.get(k)?
            .parse()
            .map_err(|_| HarnessError::Unexpected(format!("--{k} is not a number")))
    }

    /// The client configuration for the sandbox whose data directory is
    /// `--sandbox` (its `tls/ca.pem` as the only root, the pin in
    /// `tls/pin.txt` unless `--spki-pin` overrides it) at `--url`, with a 3 s
    /// connect timeout and `read_timeout`.
    pub fn sandbox_client(&self, read_timeout: Duration) -> Result<ClientConfig> {
        let tls = PathBuf::from(self.get("sandbox")?).join("tls");
        let ca = read(&tls.join("ca.pem"))?;
        let pin = match self.opt("spki-pin") {
            Some(p) => p.to_string(),
            None => String::from_utf8_lossy(&read(&tls.join("pin.txt"))?)
                .trim()
                .to_string(),
        };
        let mut client = ClientConfig::new(
            self.get("url")?,
            TlsConfig {
                root_certificates: ca,
                pins: vec![pin],
                require_pins: true,
            },
        );
        client.connect_timeout = Duration::from_secs(3);
        client.read_timeout = read_timeout;
        Ok(client)
    }

    /// Opens the wallet in `--wallet` as an app does, linked to the sandbox
    /// ([`Args::sandbox_client`]) with its registry roots (`roots.json` in
    /// `--sandbox`) and the software key store whose 32 key bytes are in
    /// `--keystore` (so every process sees the same "platform" key).
    pub fn open_wallet(&self, clock: Arc<dyn Clock>, read_timeout: Duration) -> Result<Wallet> {
        let sandbox = PathBuf::from(self.get("sandbox")?);
        let roots = RootKeys::from_json(&read(&sandbox.join("roots.json"))?)?;
        let key: [u8; 32] = read(Path::new(self.get("keystore")?))?
            .as_slice()
            .try_into()
            .map_err(|_| HarnessError::Unexpected("keystore file is not 32 bytes".into()))?;
        let net = Arc::new(HttpsBackend::new(self.sandbox_client(read_timeout)?)?);
        let backend: Arc<dyn Backend> = net.clone();
        Ok(Wallet::open_linked(
            WalletOptions {
                data_dir: PathBuf::from(self.get("wallet")?),
                roots,
                config: wallet_config(),
                keystore: Arc::new(SoftwareKeyStore::from_key_bytes(key)),
                backend,
                clock,
            },
            net,
        )?)
    }
}
