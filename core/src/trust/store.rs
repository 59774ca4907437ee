//! [`TrustStore`]: the pinned roots, the current registry, and the verifier.

use super::names::{self, NameMatch};
use super::registry::{self, MerchantKey, RegisteredAccount, Registry, RegistryError, RootKeys};
use super::replay::ReplayGuard;
use super::signed_qr::{self, SignatureFormatError};
use super::verdict::{Reason, Verdict, VerifiedMerchant, Warning};
use crate::payload::mpm::{MerchantAccount, MerchantPayload};

/// How long past its `expires_at` a registry is still used offline (30 days),
/// with a [`Warning::RegistryStale`] on every verdict.
pub const DEFAULT_REGISTRY_GRACE_SECS: u64 = 30 * 24 * 3600;
/// Longest life a dynamic code may claim (24 hours): bounds how long a nonce
/// must be remembered.
pub const DEFAULT_MAX_DYNAMIC_LIFETIME_SECS: u64 = 24 * 3600;

/// Tunable limits of the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Offline grace period of a stale registry, in seconds.
    pub registry_grace_secs: u64,
    /// Longest accepted `expires_at - now` of a dynamic code, in seconds.
    pub max_dynamic_lifetime_secs: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            registry_grace_secs: DEFAULT_REGISTRY_GRACE_SECS,
            max_dynamic_lifetime_secs: DEFAULT_MAX_DYNAMIC_LIFETIME_SECS,
        }
    }
}

/// A summary of the registry in use.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RegistryInfo {
    /// Registry id.
    pub registry_id: String,
    /// The document's version; an older one is refused (no rollback).
    pub version: u64,
    /// Issue time (unix seconds).
    pub issued_at: u64,
    /// Staleness time (unix seconds).
    pub expires_at: u64,
    /// Number of merchant keys (`u64`, not `usize`: a width that is the same
    /// on every platform, so the record crosses the FFI as it is).
    pub key_count: u64,
    /// SHA-256 of the registry payload bytes, lower-case hex: the decoded
    /// `payload` of the document, *without* the `scanpay:registry:v1\n`
    /// prefix that the roots sign (so it can be recomputed from the payload
    /// alone, e.g. `base64 -d | sha256sum`).
    pub payload_sha256: String,
    /// Whether it was already stale at the `now` given to `apply_registry`.
    pub stale: bool,
}

/// The wallet's trust state: pinned roots and the current merchant key registry.
///
/// Persist the bytes of the last document accepted by [`TrustStore::apply_registry`]
/// and apply them again at start-up: the version check then protects against
/// rollbacks across restarts too.
#[derive(Debug, Clone)]
pub struct TrustStore {
    roots: RootKeys,
    registry: Option<Registry>,
    policy: Policy,
}

impl TrustStore {
    /// A store pinning `roots`, with no registry yet and the default [`Policy`].
    pub fn new(roots: RootKeys) -> TrustStore {
        TrustStore::with_policy(roots, Policy::default())
    }

    /// A store with an explicit policy.
    pub fn with_policy(roots: RootKeys, policy: Policy) -> TrustStore {
        TrustStore {
            roots,
            registry: None,
            policy,
        }
    }

    /// The registry in use, if any.
    pub fn registry(&self) -> Option<&Registry> {
        self.registry.as_ref()
    }

    /// A summary of the registry in use, if any.
    pub fn registry_info(&self, now: u64) -> Option<RegistryInfo> {
        self.registry.as_ref().map(|r| info(r, now))
    }

    /// Verifies a registry document against the pinned roots and, if its
    /// version goes forward, makes it current.
    ///
    /// The same version with the same bytes is accepted again (idempotent, so a
    /// restart can re-apply the cached document); the same version with other
    /// bytes, an older version, or another registry id is refused. A document
    /// that is already stale is accepted (it may be the newest one an offline
    /// phone has) and reported with `stale: true`.
    pub fn apply_registry(&mut self, doc: &[u8], now: u64) -> Result<RegistryInfo, RegistryError> {
        let new = registry::verify_document(doc, &self.roots)?;
        if let Some(cur) = &self.registry {
            if cur.registry_id != new.registry_id {
                return Err(RegistryError::DifferentRegistry {
                    current: cur.registry_id.clone(),
                    offered: new.registry_id,
                });
            }
            if new.version < cur.version {
                return Err(RegistryError::Rollback {
                    current: cur.version,
                    offered: new.version,
                });
            }
            if new.version == cur.version && new.payload_sha256 != cur.payload_sha256 {
                return Err(RegistryError::VersionConflict(new.version));
            }
        }
        let summary = info(&new, now);
        self.registry = Some(new);
        Ok(summary)
    }

    /// Verifies a scanned merchant payload at time `now` (unix seconds).
    ///
    /// Steps, in order (the first failure is the verdict): MPM parse (CRC
    /// included), ScanPay templates, registry freshness, key lookup, algorithm,
    /// signature over the exact signed bytes, revocation, key validity, code
    /// expiry and lifetime, accounts, names, and last the replay guard, so that
    /// only a code that passed everything else consumes its nonce (a forged code
    /// cannot burn a genuine nonce).
    pub fn verify(&self, payload: &str, now: u64, replay: &mut dyn ReplayGuard) -> Verdict {
        match self.check(payload, now, replay) {
            Ok(v) => Verdict::Verified(v),
            Err(reason) => Verdict::Unverified { reason },
        }
    }

    fn check(
        &self,
        text: &str,
        now: u64,
        replay: &mut dyn ReplayGuard,
    ) -> Result<VerifiedMerchant, Reason> {
        let payload = MerchantPayload::parse(text).map_err(|e| Reason::MalformedPayload {
            detail: e.to_string(),
        })?;
        let parts = match signed_qr::extract(text) {
            Ok(Some(p)) => p,
            Ok(None) => return Err(Reason::NoSignature),
            Err(SignatureFormatError::UnsupportedVersion(version)) => {
                return Err(Reason::UnsupportedVersion { version })
            }
            Err(SignatureFormatError::UnsupportedAlgorithm(algorithm)) => {
                return Err(Reason::UnsupportedAlgorithm { algorithm })
            }
            Err(e) => {
                return Err(Reason::MalformedSignature {
                    detail: e.to_string(),
                })
            }
        };
        let registry = self.registry.as_ref().ok_or(Reason::NoRegistry)?;
        let mut warnings = Vec::new();
        if now >= registry.expires_at {
            if now - registry.expires_at > self.policy.registry_grace_secs {
                return Err(Reason::RegistryExpired {
                    expired_at: registry.expires_at,
                });
            }
            warnings.push(Warning::RegistryStale {
                expired_at: registry.expires_at,
            });
        }
        let info = &parts.info;
        let key = registry
            .key(&info.key_id)
            .ok_or_else(|| Reason::UnknownKey {
                key_id: info.key_id.clone(),
            })?;
        if key.public_key.algorithm() != info.algorithm {
            return Err(Reason::AlgorithmMismatch {
                key_id: key.key_id.clone(),
                signed_with: info.algorithm,
                registered: key.public_key.algorithm(),
            });
        }
        key.public_key
            .verify(&parts.signed_bytes, &parts.signature)
            .map_err(|_| Reason::BadSignature {
                key_id: key.key_id.clone(),
            })?;
        if key.revoked {
            return Err(Reason::RevokedKey {
                key_id: key.key_id.clone(),
                merchant_id: key.merchant_id.clone(),
            });
        }
        if now < key.not_before {
            return Err(Reason::KeyNotYetValid {
                key_id: key.key_id.clone(),
                not_before: key.not_before,
            });
        }
        if now >= key.not_after {
            return Err(Reason::KeyExpired {
                key_id: key.key_id.clone(),
                not_after: key.not_after,
            });
        }
        if let Some(d) = &info.dynamic {
            if now >= d.expires_at {
                return Err(Reason::CodeExpired {
                    expires_at: d.expires_at,
                });
            }
            let latest = now.saturating_add(self.policy.max_dynamic_lifetime_secs);
            if d.expires_at > latest {
                return Err(Reason::ExpiryTooFar {
                    expires_at: d.expires_at,
                    latest_accepted: latest,
                });
            }
        } else if payload.is_dynamic() {
            warnings.push(Warning::DynamicWithoutNonce);
        }
        if let Some(a) = payload
            .accounts
            .iter()
            .find(|a| !key.accounts.iter().any(|r| account_matches(a, r)))
        {
            return Err(Reason::AccountNotRegistered {
                key_id: key.key_id.clone(),
                account_id: a.id,
                guid: a.guid.clone(),
            });
        }
        check_names(key, payload.merchant_name.as_deref())?;
        if let Some(city) = payload.merchant_city.as_deref() {
            if names::normalise(city) != names::normalise(&key.city) {
                warnings.push(Warning::CityDiffers {
                    printed: city.to_string(),
                    registered: key.city.clone(),
                });
            }
        }
        if let Some(d) = &info.dynamic {
            replay
                .check_and_record(&key.key_id, &d.nonce, d.expires_at, now)
                .map_err(|r| Reason::ReplayedNonce {
                    key_id: r.key_id,
                    nonce: r.nonce,
                })?;
        }
        Ok(VerifiedMerchant {
            registered_name: key.name.clone(),
            registered_city: key.city.clone(),
            merchant_id: key.merchant_id.clone(),
            key_id: key.key_id.clone(),
            algorithm: info.algorithm,
            dynamic: info.dynamic.clone(),
            registry_version: registry.version,
            warnings,
        })
    }
}

fn check_names(key: &MerchantKey, printed: Option<&str>) -> Result<(), Reason> {
    // The registered name is what the wallet shows, so it is checked even when
    // the code prints none: a registry entry made to look like another brand is
    // refused rather than displayed.
    if names::is_suspicious_script_mix(&key.name) {
        return Err(Reason::MixedScriptName {
            name: key.name.clone(),
        });
    }
    let Some(printed) = printed else {
        return Ok(());
    };
    match names::compare(printed, &key.name) {
        // Equal after lower-casing, yet the printed name is not a plain name:
        // compatibility characters that fold into the registered letters
        // (U+212A KELVIN SIGN lower-cases to "k", U+0130 to "i" + a dot). The
        // registered name already passed the script check above, so a printed
        // name that fails it was made to look like it: a lookalike.
        NameMatch::Same if names::is_suspicious_script_mix(printed) => {
            Err(Reason::ConfusableName {
                printed: printed.to_string(),
                registered: key.name.clone(),
            })
        }
        NameMatch::Same => Ok(()),
        NameMatch::Confusable => Err(Reason::ConfusableName {
            printed: printed.to_string(),
            registered: key.name.clone(),
        }),
        NameMatch::Different if names::is_suspicious_script_mix(printed) => {
            Err(Reason::MixedScriptName {
                name: printed.to_string(),
            })
        }
        NameMatch::Different => Err(Reason::NameMismatch {
            printed: printed.to_string(),
            registered: key.name.clone(),
        }),
    }
}

/// Whether a payload account is the registered account `r` (see
/// [`RegisteredAccount`] for the rule).
pub fn account_matches(a: &MerchantAccount, r: &RegisteredAccount) -> bool {
    match r {
        RegisteredAccount::Primitive { id, value } => {
            !a.is_template() && a.id == *id && a.raw == *value
        }
        RegisteredAccount::Template { guid, fields } => {
            if !a.is_template() || !a.has_guid(guid) || a.fields.len() != fields.len() {
                return false;
            }
            a.fields
                .iter()
                .all(|(sub, v)| fields.get(&format!("{sub:02}")).is_some_and(|rv| rv == v))
        }
    }
}

fn info(r: &Registry, now: u64) -> RegistryInfo {
    RegistryInfo {
        registry_id: r.registry_id.clone(),
        version: r.version,
        issued_at: r.issued_at,
        expires_at: r.expires_at,
        key_count: u64::try_from(r.key_count()).unwrap_or(u64::MAX),
        payload_sha256: r.payload_sha256.clone(),
        stale: now >= r.expires_at,
    }
}
