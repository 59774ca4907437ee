//! TLS material: a CA and a server certificate, generated on first start into
//! `<data_dir>/tls/` and reused afterwards.
//!
//! Files (PEM unless noted):
//!
//! | file | what |
//! |---|---|
//! | `ca.pem` | the sandbox CA certificate: what a wallet (or a phone) trusts |
//! | `ca-key.pem` | the CA's private key (kept so the leaf can be re-issued) |
//! | `server.pem` | the server certificate (leaf) |
//! | `server-key.pem` | the server's private key |
//! | `pin.txt` | the SPKI pin of the server key, base64 of SHA-256 |
//! | `state.json` | the CA's subject name and the names in the leaf |
//!
//! The leaf key is generated once and kept: when the requested names change
//! the leaf is re-issued for the same key, so the pin a wallet was configured
//! with stays valid. Deleting `tls/` makes a new CA and a new pin.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use ring::rand::SecureRandom;
use serde::{Deserialize, Serialize};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::SandboxError;

/// Names every server certificate covers: loopback by name and address, and
/// 10.0.2.2, the Android emulator's address for its host.
pub const DEFAULT_NAMES: [&str; 4] = ["localhost", "127.0.0.1", "::1", "10.0.2.2"];

/// Validity of the server certificate in days. Apple platforms refuse TLS
/// server certificates valid for more than 825 days, even under a
/// user-installed CA.
const LEAF_VALIDITY_DAYS: i64 = 800;
/// Validity of the CA in days.
const CA_VALIDITY_DAYS: i64 = 3650;
/// Largest PEM or state file read back.
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// The TLS files of a sandbox and what a wallet needs from them.
#[derive(Debug, Clone)]
pub struct TlsInfo {
    /// `<data_dir>/tls/ca.pem`.
    pub ca_pem_path: PathBuf,
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The CA certificate, DER.
    pub ca_der: Vec<u8>,
    /// The CA's subject common name (distinct per data dir).
    pub ca_name: String,
    /// The server certificate, PEM.
    pub server_pem: String,
    /// The SPKI pin of the server key: standard base64 of the SHA-256 of its
    /// DER SubjectPublicKeyInfo (outer SEQUENCE included), as HPKP's `pin-sha256`.
    pub spki_pin: String,
    /// The names (DNS names and IP addresses) the server certificate covers.
    pub names: Vec<String>,
}

/// TLS material loaded or generated, with the server config built from it.
pub(crate) struct TlsMaterial {
    pub info: TlsInfo,
    pub server_config: Arc<rustls::ServerConfig>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct TlsState {
    ca_name: String,
    names: Vec<String>,
}

fn tls_err(what: &str, e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Tls(format!("{what}: {e}"))
}

fn read_capped(path: &Path) -> Result<String, SandboxError> {
    let meta = fs::metadata(path).map_err(|e| SandboxError::io(path, e))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(SandboxError::Tls(format!(
            "{} is {} bytes, larger than any TLS file the sandbox writes",
            path.display(),
            meta.len()
        )));
    }
    fs::read_to_string(path).map_err(|e| SandboxError::io(path, e))
}

fn write(path: &Path, contents: &[u8]) -> Result<(), SandboxError> {
    fs::write(path, contents).map_err(|e| SandboxError::io(path, e))
}

/// The requested names: the defaults, then the extra ones, without repeats.
fn all_names(extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = DEFAULT_NAMES.iter().map(|s| (*s).to_string()).collect();
    for n in extra {
        let n = n.trim();
        if !n.is_empty() && !names.iter().any(|m| m.eq_ignore_ascii_case(n)) {
            names.push(n.to_string());
        }
    }
    names
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i32, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (
        i32::try_from(y).unwrap_or(2000),
        u8::try_from(m).unwrap_or(1),
        u8::try_from(d).unwrap_or(1),
    )
}

/// The calendar date `days_from_today` days from today (UTC).
fn ymd(days_from_today: i64) -> (i32, u8, u8) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let today = i64::try_from(now / 86_400).unwrap_or(0);
    civil_from_days(today + days_from_today)
}

fn set_validity(p: &mut CertificateParams, days: i64) {
    let (y, m, d) = ymd(-1);
    p.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = ymd(days);
    p.not_after = rcgen::date_time_ymd(y, m, d);
}

fn ca_params(ca_name: &str) -> Result<CertificateParams, SandboxError> {
    let mut p = CertificateParams::new(Vec::<String>::new()).map_err(|e| tls_err("CA", e))?;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, ca_name);
    dn.push(DnType::OrganizationName, "ScanPay Sandbox");
    p.distinguished_name = dn;
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    set_validity(&mut p, CA_VALIDITY_DAYS);
    Ok(p)
}

fn leaf_params(names: &[String]) -> Result<CertificateParams, SandboxError> {
    // rcgen makes an iPAddress SAN of every name that parses as an IP address
    // and a dNSName of the rest.
    let mut p = CertificateParams::new(names.to_vec()).map_err(|e| tls_err("server names", e))?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "ScanPay Sandbox server");
    p.distinguished_name = dn;
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    set_validity(&mut p, LEAF_VALIDITY_DAYS);
    Ok(p)
}

fn spki_pin(key: &KeyPair) -> String {
    use rcgen::PublicKeyData as _;
    let spki = key.subject_public_key_info();
    STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &spki))
}

fn pem_to_der(pem_text: &str) -> Result<Vec<u8>, SandboxError> {
    // The PEM files are ours; a minimal decoder avoids another dependency.
    let body: String = pem_text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::trim)
        .collect();
    STANDARD
        .decode(body.as_bytes())
        .map_err(|e| tls_err("PEM", e))
}

fn random_suffix() -> Result<String, SandboxError> {
    let mut b = [0u8; 4];
    ring::rand::SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| SandboxError::Random)?;
    Ok(b.iter().map(|x| format!("{x:02X}")).collect())
}

/// Loads the TLS material under `dir` (`<data_dir>/tls`), generating what is
/// missing, and re-issuing the leaf when the names changed.
pub(crate) fn load_or_create(dir: &Path, extra: &[String]) -> Result<TlsMaterial, SandboxError> {
    fs::create_dir_all(dir).map_err(|e| SandboxError::io(dir, e))?;
    let names = all_names(extra);
    let ca_path = dir.join("ca.pem");
    let ca_key_path = dir.join("ca-key.pem");
    let leaf_path = dir.join("server.pem");
    let leaf_key_path = dir.join("server-key.pem");
    let state_path = dir.join("state.json");

    let have_ca = ca_path.exists() && ca_key_path.exists() && state_path.exists();
    let (ca_pem, ca_key, mut state) = if have_ca {
        let state: TlsState = serde_json::from_str(&read_capped(&state_path)?)
            .map_err(|e| tls_err("tls/state.json", e))?;
        let key =
            KeyPair::from_pem(&read_capped(&ca_key_path)?).map_err(|e| tls_err("CA key", e))?;
        (read_capped(&ca_path)?, key, state)
    } else {
        // A distinct subject per sandbox: certificate path building keys on
        // subject names, so two sandbox CAs must never share one.
        let ca_name = format!("ScanPay Sandbox CA {}", random_suffix()?);
        let key = KeyPair::generate().map_err(|e| tls_err("CA key", e))?;
        let cert = ca_params(&ca_name)?
            .self_signed(&key)
            .map_err(|e| tls_err("CA certificate", e))?;
        write(&ca_path, cert.pem().as_bytes())?;
        write(&ca_key_path, key.serialize_pem().as_bytes())?;
        // Force a fresh leaf under the new CA.
        let _ = fs::remove_file(&leaf_path);
        let state = TlsState {
            ca_name,
            names: Vec::new(),
        };
        (cert.pem(), key, state)
    };

    let leaf_key = if leaf_key_path.exists() {
        KeyPair::from_pem(&read_capped(&leaf_key_path)?).map_err(|e| tls_err("server key", e))?
    } else {
        let key = KeyPair::generate().map_err(|e| tls_err("server key", e))?;
        write(&leaf_key_path, key.serialize_pem().as_bytes())?;
        let _ = fs::remove_file(&leaf_path);
        key
    };

    let leaf_pem = if leaf_path.exists() && state.names == names {
        read_capped(&leaf_path)?
    } else {
        // The issuer is rebuilt from the same parameters and key: the same
        // subject and key identifier, so the new leaf chains to `ca.pem`.
        let issuer = Issuer::new(ca_params(&state.ca_name)?, &ca_key);
        let cert = leaf_params(&names)?
            .signed_by(&leaf_key, &issuer)
            .map_err(|e| tls_err("server certificate", e))?;
        write(&leaf_path, cert.pem().as_bytes())?;
        state.names = names.clone();
        let json = serde_json::to_vec_pretty(&state).map_err(|e| tls_err("state", e))?;
        write(&state_path, &json)?;
        cert.pem()
    };
    let pin = spki_pin(&leaf_key);
    write(&dir.join("pin.txt"), format!("{pin}\n").as_bytes())?;

    let leaf_der = pem_to_der(&leaf_pem)?;
    let key_der = leaf_key.serialize_der();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| tls_err("TLS config", e))?
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf_der)],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_der)),
        )
        .map_err(|e| tls_err("TLS config", e))?;

    Ok(TlsMaterial {
        info: TlsInfo {
            ca_pem_path: ca_path,
            ca_der: pem_to_der(&ca_pem)?,
            ca_pem,
            ca_name: state.ca_name,
            server_pem: leaf_pem,
            spki_pin: pin,
            names,
        },
        server_config: Arc::new(config),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn names_keep_defaults_first_without_repeats() {
        let n = all_names(&["LOCALHOST".into(), "sandbox.lan".into(), " ".into()]);
        assert_eq!(n.len(), 5);
        assert_eq!(n.last().map(String::as_str), Some("sandbox.lan"));
    }
}
