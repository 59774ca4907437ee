//! The rustls client configuration: ring provider, TLS 1.3 only, WebPKI
//! validation against the configured roots, SPKI pins checked on top.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::SigningKey;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::config::{parse_pins, parse_roots, ConfigError, SpkiPin, TlsConfig};

/// Runs the normal WebPKI verification first, then requires the end-entity
/// key to match one of the pins (when any are configured).
#[derive(Debug)]
struct PinningVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pins: Vec<SpkiPin>,
}

impl ServerCertVerifier for PinningVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // Validation always runs and must pass: a pin narrows trust, it never
        // widens it (a pinned key in an expired or misnamed certificate fails).
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        if self.pins.is_empty() {
            return Ok(verified);
        }
        let ee = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let pin = SpkiPin::of_spki(ee.subject_public_key_info().as_ref());
        if self.pins.contains(&pin) {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The client's crypto: ring, trimmed to what a TLS 1.3 client without client
/// certificates uses.
///
/// `rustls::crypto::ring::default_provider()` also carries ChaCha20-Poly1305
/// and a key loader for every signing-key type (RSA included); a phone library
/// pays for all of it in size (ADR 0009) although this client never signs and
/// both AES-GCM suites are hardware-accelerated on every phone it targets.
/// Certificate-chain verification keeps every algorithm a public CA may use
/// (RSA PKCS#1 and PSS, ECDSA P-256/P-384, Ed25519): the backend's chain is
/// not ours to choose.
fn provider() -> CryptoProvider {
    use rustls::crypto::ring::{cipher_suite, kx_group};
    CryptoProvider {
        cipher_suites: vec![
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_AES_256_GCM_SHA384,
        ],
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1],
        signature_verification_algorithms: SIGNATURE_ALGORITHMS,
        secure_random: &SystemRandom,
        key_provider: &NoClientKeys,
    }
}

/// Chain signatures: any of these. Handshake signatures (TLS 1.3
/// `CertificateVerify`): the schemes of the mapping; TLS 1.3 forbids PKCS#1
/// there, so it has no mapping.
static SIGNATURE_ALGORITHMS: WebPkiSupportedAlgorithms = {
    use webpki::ring as alg;
    WebPkiSupportedAlgorithms {
        all: &[
            alg::ECDSA_P256_SHA256,
            alg::ECDSA_P256_SHA384,
            alg::ECDSA_P384_SHA256,
            alg::ECDSA_P384_SHA384,
            alg::ED25519,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
            alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
        ],
        mapping: &[
            (
                SignatureScheme::ECDSA_NISTP256_SHA256,
                &[alg::ECDSA_P256_SHA256],
            ),
            (
                SignatureScheme::ECDSA_NISTP384_SHA384,
                &[alg::ECDSA_P384_SHA384],
            ),
            (SignatureScheme::ED25519, &[alg::ED25519]),
            (
                SignatureScheme::RSA_PSS_SHA256,
                &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PSS_SHA384,
                &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY],
            ),
            (
                SignatureScheme::RSA_PSS_SHA512,
                &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY],
            ),
        ],
    }
};

/// Randomness for the handshake: the operating system's, through ring.
#[derive(Debug)]
struct SystemRandom;

impl SecureRandom for SystemRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf)
            .map_err(|_| GetRandomFailed)
    }
}

/// The client authenticates with its device key inside requests, never with
/// a TLS client certificate, so no private key is ever loaded into rustls.
#[derive(Debug)]
struct NoClientKeys;

impl KeyProvider for NoClientKeys {
    fn load_private_key(
        &self,
        _key_der: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "this client uses no TLS client certificates".into(),
        ))
    }
}

/// Builds the rustls client configuration from `tls`.
pub(crate) fn client_config(tls: &TlsConfig) -> Result<rustls::ClientConfig, ConfigError> {
    let pins = parse_pins(tls)?;
    let mut roots = RootCertStore::empty();
    for cert in parse_roots(&tls.root_certificates)? {
        roots
            .add(cert)
            .map_err(|e| ConfigError::BadRoots(e.to_string()))?;
    }
    // Explicit provider: ring, never a process-wide default (which could be
    // another crate's choice, or aws-lc-rs).
    let provider = Arc::new(provider());
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| ConfigError::Tls(e.to_string()))?;
    let verifier = PinningVerifier { inner, pins };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| ConfigError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `supported_versions` list of the ClientHello the client sends.
    fn offered_versions(hello: &[u8]) -> Vec<u16> {
        let u16_at = |i: usize| u16::from_be_bytes([hello[i], hello[i + 1]]) as usize;
        // record header 5, handshake header 4, legacy version 2, random 32
        let mut i = 5 + 4 + 2 + 32;
        i += 1 + hello[i] as usize; // session id
        i += 2 + u16_at(i); // cipher suites
        i += 1 + hello[i] as usize; // compression methods
        let end = i + 2 + u16_at(i);
        i += 2;
        while i < end {
            let (kind, len) = (u16_at(i), u16_at(i + 2));
            if kind == 0x002b {
                let list = &hello[i + 5..i + 4 + len];
                return list
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
            }
            i += 4 + len;
        }
        Vec::new()
    }

    #[test]
    fn only_tls13_is_offered() {
        let ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = ca.self_signed(&key).unwrap();
        let tls = TlsConfig {
            root_certificates: cert.pem().into_bytes(),
            pins: vec![],
            require_pins: false,
        };
        let config = Arc::new(client_config(&tls).unwrap());
        let name = ServerName::try_from("localhost").unwrap();
        let mut conn = rustls::ClientConnection::new(config, name).unwrap();
        let mut hello = Vec::new();
        conn.write_tls(&mut hello).unwrap();
        assert_eq!(offered_versions(&hello), vec![0x0304]);
    }
}
