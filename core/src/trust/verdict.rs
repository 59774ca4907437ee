//! What the UI shows after a merchant code was checked.
//!
//! Serialised for the CLI and the bindings as flat JSON, switchable on two
//! kebab-case codes:
//!
//! ```json
//! {"verdict": "verified", "registered_name": "…", "registered_city": "…",
//!  "merchant_id": "…", "key_id": "…", "algorithm": "ed25519", "dynamic": null,
//!  "registry_version": 7, "warnings": []}
//! {"verdict": "unverified", "reason": "unknown-key", "key_id": "…"}
//! ```

use serde::Serialize;

use super::keys::Algorithm;
use super::signed_qr::DynamicInfo;

/// The outcome of verifying a merchant code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// The code is signed by a registered, valid key, for accounts registered to
    /// it, under the registered name. Show the *registered* name and city.
    Verified(VerifiedMerchant),
    /// The code could not be verified; `reason` says why.
    Unverified {
        /// The first check that failed (unknown key, bad signature, wrong
        /// account, expired, replayed…); the UI names it to the payer.
        #[serde(flatten)]
        reason: Reason,
    },
}

impl Verdict {
    /// Whether the code verified.
    pub fn is_verified(&self) -> bool {
        matches!(self, Verdict::Verified(_))
    }

    /// The reason, when unverified.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Verdict::Verified(_) => None,
            Verdict::Unverified { reason } => Some(reason),
        }
    }
}

impl From<Reason> for Verdict {
    fn from(reason: Reason) -> Verdict {
        Verdict::Unverified { reason }
    }
}

/// A verified merchant, from the registry (never from the QR text).
///
/// This is the merchant's identity to show. The payload's own texts — printed
/// name (59) and city (60), alternate-language template (64), the labels in
/// 62 — are signed by the merchant's key but only 59 is compared with the
/// registry; none of them is to be shown as who is being paid. The amount,
/// tip rules and accounts are not repeated here: take them from
/// [`crate::payload::mpm::MerchantPayload::parse`] of the *same text* that was
/// verified, and pay only to its accounts 02–51 (the ones matched against the
/// registry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedMerchant {
    /// The registered display name: what the wallet shows.
    pub registered_name: String,
    /// The registered city.
    pub registered_city: String,
    /// The acquirer's merchant id.
    pub merchant_id: String,
    /// The key that signed.
    pub key_id: String,
    /// Its algorithm.
    pub algorithm: Algorithm,
    /// Expiry and nonce of a dynamic code (`None` for a static code).
    pub dynamic: Option<DynamicInfo>,
    /// Version of the registry that vouched for the key.
    pub registry_version: u64,
    /// Things the UI should mention without refusing the code.
    pub warnings: Vec<Warning>,
}

/// A caveat on a verified code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "warning", rename_all = "kebab-case")]
pub enum Warning {
    /// The registry is past its `expires_at` but within the offline grace
    /// period: revocations issued since may not be known.
    RegistryStale {
        /// When the registry went stale (unix seconds).
        expired_at: u64,
    },
    /// The city printed in the code differs from the registered one (the
    /// registered city is what is shown).
    CityDiffers {
        /// City printed in the code.
        printed: String,
        /// Registered city.
        registered: String,
    },
    /// The code says it is dynamic (01 = "12") but was signed without expiry
    /// and nonce, so nothing stops it from being paid more than once.
    DynamicWithoutNonce,
}

/// Why a code is unverified. Each variant carries what the UI needs to explain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// The text is not a valid EMVCo MPM payload (bad CRC, structure, …).
    MalformedPayload {
        /// The parser's explanation.
        detail: String,
    },
    /// An ordinary EMVCo code without a ScanPay signature.
    NoSignature,
    /// ScanPay templates are present but malformed or incomplete.
    MalformedSignature {
        /// What is wrong.
        detail: String,
    },
    /// The signature format version is not supported by this wallet.
    UnsupportedVersion {
        /// The version in the code.
        version: String,
    },
    /// The signature algorithm is not supported by this wallet.
    UnsupportedAlgorithm {
        /// The algorithm code in the code.
        algorithm: String,
    },
    /// No registry has been loaded: nothing can be verified.
    NoRegistry,
    /// The registry is stale beyond the offline grace period.
    RegistryExpired {
        /// When the registry went stale.
        expired_at: u64,
    },
    /// The key id is not in the registry.
    UnknownKey {
        /// The key id in the code.
        key_id: String,
    },
    /// The code claims another algorithm than the registered key's.
    AlgorithmMismatch {
        /// The key id.
        key_id: String,
        /// Algorithm the code claims.
        signed_with: Algorithm,
        /// Algorithm registered for the key.
        registered: Algorithm,
    },
    /// The signature does not verify: the code was altered or forged.
    BadSignature {
        /// The key id.
        key_id: String,
    },
    /// The key has been revoked by the acquirer.
    RevokedKey {
        /// The key id.
        key_id: String,
        /// Whose key it was.
        merchant_id: String,
    },
    /// The key's validity has not started.
    KeyNotYetValid {
        /// The key id.
        key_id: String,
        /// Start of validity.
        not_before: u64,
    },
    /// The key's validity has ended.
    KeyExpired {
        /// The key id.
        key_id: String,
        /// End of validity.
        not_after: u64,
    },
    /// The dynamic code has expired.
    CodeExpired {
        /// Its expiry.
        expires_at: u64,
    },
    /// The dynamic code claims to live longer than the wallet accepts.
    ExpiryTooFar {
        /// Its expiry.
        expires_at: u64,
        /// The latest expiry accepted now.
        latest_accepted: u64,
    },
    /// The dynamic code has been used before.
    ReplayedNonce {
        /// The key id.
        key_id: String,
        /// The nonce.
        nonce: String,
    },
    /// The printed merchant name is not the registered one.
    NameMismatch {
        /// Name printed in the code.
        printed: String,
        /// Registered name.
        registered: String,
    },
    /// The printed name is a lookalike of the registered one.
    ConfusableName {
        /// Name printed in the code.
        printed: String,
        /// Registered name.
        registered: String,
    },
    /// A name mixes scripts in a way used for spoofing (e.g. Latin with Cyrillic).
    MixedScriptName {
        /// The offending name.
        name: String,
    },
    /// The code lists an account that is not registered to the signing key (the
    /// sticker-swap case).
    AccountNotRegistered {
        /// The key id.
        key_id: String,
        /// The account's data object ID (02–51).
        account_id: u8,
        /// The account's GUID, for templates.
        guid: Option<String>,
    },
}

impl Warning {
    /// The stable kebab-case code of the warning, as serialised (`"warning"`)
    /// and as the CLI, the bindings and the test vectors name it.
    pub fn code(&self) -> &'static str {
        match self {
            Warning::RegistryStale { .. } => "registry-stale",
            Warning::CityDiffers { .. } => "city-differs",
            Warning::DynamicWithoutNonce => "dynamic-without-nonce",
        }
    }
}

impl Reason {
    /// The stable kebab-case code of the reason, as serialised (`"reason"`)
    /// and as the CLI, the bindings and the test vectors name it.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::MalformedPayload { .. } => "malformed-payload",
            Reason::NoSignature => "no-signature",
            Reason::MalformedSignature { .. } => "malformed-signature",
            Reason::UnsupportedVersion { .. } => "unsupported-version",
            Reason::UnsupportedAlgorithm { .. } => "unsupported-algorithm",
            Reason::NoRegistry => "no-registry",
            Reason::RegistryExpired { .. } => "registry-expired",
            Reason::UnknownKey { .. } => "unknown-key",
            Reason::AlgorithmMismatch { .. } => "algorithm-mismatch",
            Reason::BadSignature { .. } => "bad-signature",
            Reason::RevokedKey { .. } => "revoked-key",
            Reason::KeyNotYetValid { .. } => "key-not-yet-valid",
            Reason::KeyExpired { .. } => "key-expired",
            Reason::CodeExpired { .. } => "code-expired",
            Reason::ExpiryTooFar { .. } => "expiry-too-far",
            Reason::ReplayedNonce { .. } => "replayed-nonce",
            Reason::NameMismatch { .. } => "name-mismatch",
            Reason::ConfusableName { .. } => "confusable-name",
            Reason::MixedScriptName { .. } => "mixed-script-name",
            Reason::AccountNotRegistered { .. } => "account-not-registered",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_flat_and_kebab_case() {
        let v: Verdict = Reason::UnknownKey {
            key_id: "k1".into(),
        }
        .into();
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"verdict": "unverified", "reason": "unknown-key", "key_id": "k1"})
        );
        let v: Verdict = Reason::NoSignature.into();
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            serde_json::json!({"verdict": "unverified", "reason": "no-signature"})
        );
        let v = Verdict::Verified(VerifiedMerchant {
            registered_name: "A".into(),
            registered_city: "B".into(),
            merchant_id: "m".into(),
            key_id: "k".into(),
            algorithm: Algorithm::Ed25519,
            dynamic: None,
            registry_version: 3,
            warnings: vec![Warning::RegistryStale { expired_at: 9 }],
        });
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(j["verdict"], "verified");
        assert_eq!(j["registered_name"], "A");
        assert_eq!(j["algorithm"], "ed25519");
        assert_eq!(j["warnings"][0]["warning"], "registry-stale");
    }

    /// One value of every reason, each with the code it must keep: apps,
    /// the JSON vectors and support scripts switch on these strings.
    fn every_reason() -> Vec<(Reason, &'static str)> {
        let key_id = || "k".to_string();
        vec![
            (
                Reason::MalformedPayload { detail: "d".into() },
                "malformed-payload",
            ),
            (Reason::NoSignature, "no-signature"),
            (
                Reason::MalformedSignature { detail: "d".into() },
                "malformed-signature",
            ),
            (
                Reason::UnsupportedVersion {
                    version: "9".into(),
                },
                "unsupported-version",
            ),
            (
                Reason::UnsupportedAlgorithm {
                    algorithm: "x".into(),
                },
                "unsupported-algorithm",
            ),
            (Reason::NoRegistry, "no-registry"),
            (
                Reason::RegistryExpired { expired_at: 1 },
                "registry-expired",
            ),
            (Reason::UnknownKey { key_id: key_id() }, "unknown-key"),
            (
                Reason::AlgorithmMismatch {
                    key_id: key_id(),
                    signed_with: Algorithm::Ed25519,
                    registered: Algorithm::EcdsaP256Sha256,
                },
                "algorithm-mismatch",
            ),
            (Reason::BadSignature { key_id: key_id() }, "bad-signature"),
            (
                Reason::RevokedKey {
                    key_id: key_id(),
                    merchant_id: "m".into(),
                },
                "revoked-key",
            ),
            (
                Reason::KeyNotYetValid {
                    key_id: key_id(),
                    not_before: 1,
                },
                "key-not-yet-valid",
            ),
            (
                Reason::KeyExpired {
                    key_id: key_id(),
                    not_after: 1,
                },
                "key-expired",
            ),
            (Reason::CodeExpired { expires_at: 1 }, "code-expired"),
            (
                Reason::ExpiryTooFar {
                    expires_at: 2,
                    latest_accepted: 1,
                },
                "expiry-too-far",
            ),
            (
                Reason::ReplayedNonce {
                    key_id: key_id(),
                    nonce: "n".into(),
                },
                "replayed-nonce",
            ),
            (
                Reason::NameMismatch {
                    printed: "a".into(),
                    registered: "b".into(),
                },
                "name-mismatch",
            ),
            (
                Reason::ConfusableName {
                    printed: "a".into(),
                    registered: "b".into(),
                },
                "confusable-name",
            ),
            (
                Reason::MixedScriptName { name: "a".into() },
                "mixed-script-name",
            ),
            (
                Reason::AccountNotRegistered {
                    key_id: key_id(),
                    account_id: 29,
                    guid: None,
                },
                "account-not-registered",
            ),
        ]
    }

    /// Lowercase ASCII words joined by single hyphens, and no code twice.
    fn assert_kebab_and_unique(codes: &[&str]) {
        for c in codes {
            assert!(
                c.split('-')
                    .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())),
                "{c:?} is not kebab-case"
            );
        }
        let mut sorted = codes.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), codes.len(), "a code is used twice: {codes:?}");
    }

    fn every_warning() -> Vec<(Warning, &'static str)> {
        vec![
            (Warning::RegistryStale { expired_at: 1 }, "registry-stale"),
            (
                Warning::CityDiffers {
                    printed: "a".into(),
                    registered: "b".into(),
                },
                "city-differs",
            ),
            (Warning::DynamicWithoutNonce, "dynamic-without-nonce"),
        ]
    }

    #[test]
    fn reason_and_warning_codes_are_stable_unique_kebab_case_and_serialised() {
        let reasons = every_reason();
        let warnings = every_warning();
        let mut codes = Vec::new();
        for (r, expected) in &reasons {
            assert_eq!(r.code(), *expected, "{r:?}");
            let j = serde_json::to_value(Verdict::from(r.clone())).unwrap();
            assert_eq!(j["reason"], *expected, "{r:?}");
            codes.push(r.code());
        }
        for (w, expected) in &warnings {
            assert_eq!(w.code(), *expected, "{w:?}");
            assert_eq!(serde_json::to_value(w).unwrap()["warning"], *expected);
            codes.push(w.code());
        }
        assert_kebab_and_unique(&codes);
        // Every variant is in the tables: a new one fails here until its
        // code is added (and so reviewed) above.
        assert_eq!(reasons.len(), 20);
        assert_eq!(warnings.len(), 3);
    }

    #[test]
    fn codes_match_serialisation() {
        let all = [
            Reason::NoSignature,
            Reason::NoRegistry,
            Reason::CodeExpired { expires_at: 1 },
            Reason::AccountNotRegistered {
                key_id: "k".into(),
                account_id: 29,
                guid: None,
            },
        ];
        for r in all {
            let j = serde_json::to_value(Verdict::from(r.clone())).unwrap();
            assert_eq!(j["reason"], r.code());
        }
    }
}
