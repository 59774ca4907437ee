//! Client configuration: where the backend is, which root to trust, which
//! keys to pin, how long to wait. Validated once, in
//! [`super::HttpsBackend::new`], so a bad configuration is an error at start-up
//! rather than a failure on the first payment.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::digest;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use thiserror::Error;

/// Largest root-certificate input accepted (a CA bundle of a few certificates).
pub const MAX_ROOTS_INPUT_BYTES: usize = 256 * 1024;
/// Most root certificates accepted.
pub const MAX_ROOT_CERTS: usize = 32;
/// Most SPKI pins accepted.
pub const MAX_PINS: usize = 16;
/// Longest base URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// TLS trust settings.
///
/// Validation is always the normal one (chain to one of `root_certificates`,
/// hostname, validity dates); `pins` are checked *on top*, never instead.
#[derive(Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// The root certificate(s) to trust: PEM (one or more `CERTIFICATE`
    /// blocks) or a single DER certificate. Required: the core carries no
    /// built-in root store, so apps pass the backend's CA bundle (the
    /// sandbox prints its CA path).
    pub root_certificates: Vec<u8>,
    /// SPKI SHA-256 pins, standard base64 of the 32-byte hash (HPKP's
    /// `pin-sha256` form): the current key first, then backups (keys not yet
    /// deployed). Any match passes.
    pub pins: Vec<String>,
    /// Refuse a configuration without pins (release builds set this).
    pub require_pins: bool,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field(
                "root_certificates",
                &format_args!("{} bytes", self.root_certificates.len()),
            )
            .field("pins", &self.pins)
            .field("require_pins", &self.require_pins)
            .finish()
    }
}

/// Everything the HTTPS client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// `https://host[:port][/prefix]`; the API paths (`/v1/...`) are appended
    /// to the prefix. Only `https` is accepted.
    pub base_url: String,
    /// Trust settings.
    pub tls: TlsConfig,
    /// Bound on name resolution, TCP connect and the TLS handshake, each.
    pub connect_timeout: Duration,
    /// Bound on waiting for a whole response, from the last request byte
    /// written to the last body byte read.
    pub read_timeout: Duration,
    /// A pooled connection idle longer than this is closed instead of reused
    /// (keep it below the server's keep-alive timeout, so a reused connection
    /// is rarely closed by the server mid-request).
    pub idle_timeout: Duration,
    /// Most idle connections kept for reuse.
    pub max_idle: usize,
}

impl ClientConfig {
    /// A configuration with the default timeouts (connect 10 s, read 15 s,
    /// idle 30 s, 2 idle connections).
    pub fn new(base_url: impl Into<String>, tls: TlsConfig) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            tls,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(30),
            max_idle: 2,
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// The base URL does not parse, has no host, or carries a query,
    /// fragment or credentials.
    #[error("invalid base URL: {0}")]
    BadUrl(String),
    /// The base URL is not `https`.
    #[error("the base URL must use https, not {0}")]
    NotHttps(String),
    /// No root certificate was given.
    #[error("no root certificate configured (pass the backend's CA bundle)")]
    NoRoots,
    /// The root certificate input is not PEM certificates or one DER
    /// certificate, or is over the caps.
    #[error("invalid root certificate: {0}")]
    BadRoots(String),
    /// A pin is not standard base64 of 32 bytes.
    #[error("pin {index} is invalid: {reason}")]
    BadPin {
        /// Position in [`TlsConfig::pins`].
        index: usize,
        /// What is wrong with it: too long, not base64, or not 32 bytes.
        reason: String,
    },
    /// `require_pins` is set and no pin is configured.
    #[error("pinning is required but no pin is configured")]
    PinsRequired,
    /// More than [`MAX_PINS`] pins.
    #[error("too many pins ({0})")]
    TooManyPins(usize),
    /// A zero timeout (it would disable the bound).
    #[error("timeout {0} must be greater than zero")]
    ZeroTimeout(&'static str),
    /// rustls refused the configuration.
    #[error("TLS configuration refused: {0}")]
    Tls(String),
}

/// A SHA-256 hash of a DER `SubjectPublicKeyInfo` (outer SEQUENCE included).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpkiPin([u8; 32]);

impl SpkiPin {
    /// Parses the standard-base64 form (`pin-sha256`).
    pub fn from_base64(text: &str) -> Result<SpkiPin, String> {
        if text.len() > 64 {
            return Err("longer than a base64 SHA-256".to_string());
        }
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|e| format!("not standard base64: {e}"))?;
        let hash: [u8; 32] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("{} bytes, a SHA-256 is 32", b.len()))?;
        Ok(SpkiPin(hash))
    }

    /// The pin of a DER `SubjectPublicKeyInfo`.
    pub fn of_spki(spki_der: &[u8]) -> SpkiPin {
        let d = digest::digest(&digest::SHA256, spki_der);
        let mut hash = [0u8; 32];
        hash.copy_from_slice(d.as_ref());
        SpkiPin(hash)
    }

    /// The pin of a DER certificate's public key.
    pub fn of_certificate(cert_der: &[u8]) -> Result<SpkiPin, String> {
        let der = CertificateDer::from(cert_der);
        let ee = webpki::EndEntityCert::try_from(&der).map_err(|e| e.to_string())?;
        Ok(SpkiPin::of_spki(ee.subject_public_key_info().as_ref()))
    }

    /// The standard-base64 form.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// The raw hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SpkiPin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SpkiPin({})", self.to_base64())
    }
}

/// Reads `input` as PEM certificates, or else as one DER certificate.
pub(crate) fn parse_roots(input: &[u8]) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    if input.is_empty() {
        return Err(ConfigError::NoRoots);
    }
    if input.len() > MAX_ROOTS_INPUT_BYTES {
        return Err(ConfigError::BadRoots(format!(
            "{} bytes, over {MAX_ROOTS_INPUT_BYTES}",
            input.len()
        )));
    }
    // DER starts with a SEQUENCE tag; PEM with text.
    if input.first() == Some(&0x30) {
        return Ok(vec![CertificateDer::from(input.to_vec())]);
    }
    let mut certs = Vec::new();
    for item in CertificateDer::pem_slice_iter(input) {
        let cert = item.map_err(|e| ConfigError::BadRoots(format!("PEM: {e}")))?;
        certs.push(cert);
        if certs.len() > MAX_ROOT_CERTS {
            return Err(ConfigError::BadRoots(format!(
                "more than {MAX_ROOT_CERTS} certificates"
            )));
        }
    }
    if certs.is_empty() {
        return Err(ConfigError::BadRoots(
            "no CERTIFICATE block in the PEM input".to_string(),
        ));
    }
    Ok(certs)
}

/// Parses and checks the pins.
pub(crate) fn parse_pins(tls: &TlsConfig) -> Result<Vec<SpkiPin>, ConfigError> {
    if tls.pins.len() > MAX_PINS {
        return Err(ConfigError::TooManyPins(tls.pins.len()));
    }
    if tls.require_pins && tls.pins.is_empty() {
        return Err(ConfigError::PinsRequired);
    }
    tls.pins
        .iter()
        .enumerate()
        .map(|(index, p)| {
            SpkiPin::from_base64(p).map_err(|reason| ConfigError::BadPin { index, reason })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_parse_and_round_trip() {
        let pin = SpkiPin::of_spki(b"spki");
        assert_eq!(SpkiPin::from_base64(&pin.to_base64()).unwrap(), pin);
        assert!(SpkiPin::from_base64("AAAA").is_err());
        assert!(SpkiPin::from_base64("not base64!").is_err());
        let tls = TlsConfig {
            root_certificates: vec![],
            pins: vec![],
            require_pins: true,
        };
        assert_eq!(parse_pins(&tls), Err(ConfigError::PinsRequired));
    }

    #[test]
    fn roots_are_capped_and_checked() {
        assert_eq!(parse_roots(b""), Err(ConfigError::NoRoots));
        assert!(matches!(
            parse_roots(b"hello"),
            Err(ConfigError::BadRoots(_))
        ));
        let big = vec![b'a'; MAX_ROOTS_INPUT_BYTES + 1];
        assert!(matches!(parse_roots(&big), Err(ConfigError::BadRoots(_))));
    }
}
