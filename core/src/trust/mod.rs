//! Trust: ScanPay-signed merchant QR codes, the merchant key registry, and the
//! verdict the UI shows.
//!
//! The EMVCo CRC detects typos, not forgery: anyone can print a sticker. A
//! ScanPay merchant code carries a signature (in unreserved templates, so the
//! payload stays valid EMVCo) by a merchant key; the key, with the merchant's
//! registered name, city and accounts, comes from a registry signed by the
//! acquirer's root keys that the wallet pins. `docs/signed-qr.md` is the
//! normative description of every byte.
//!
//! | module | concern |
//! |---|---|
//! | [`keys`] | algorithms, public keys, the one `verify` (Wycheproof-tested) |
//! | [`signed_qr`] | the QR templates and the exact signed bytes |
//! | [`registry`] | roots, the signed registry document, its entries |
//! | [`replay`] | the nonce memory of dynamic codes |
//! | `names` (private) | name comparison, confusables, mixed scripts |
//! | `verdict` (private) | what the UI switches on: [`Verdict`] |
//! | `store` (private) | [`TrustStore`]: apply a registry, verify a payload |
//! | [`issue`] | the signing side (tests, sandbox, CLI demo) |
//!
//! ```
//! use scanpay_core::trust::{issue, keys::Algorithm, registry::*, replay::InMemoryReplayGuard, TrustStore};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let root = issue::SigningKey::ed25519_from_seed(&[1; 32])?;
//! let roots = RootKeys::new(vec![("root-1".into(), root.public_key().clone())], 1)?;
//! let merchant = issue::SigningKey::ed25519_from_seed(&[2; 32])?;
//! let registry = RegistryJson {
//!     format: 1, registry_id: "demo".into(), version: 1, issued_at: 0, expires_at: 2_000_000_000,
//!     keys: vec![MerchantKeyJson {
//!         key_id: "m1".into(), merchant_id: "M-1".into(), name: "ALICE CAFE".into(), city: "BANGKOK".into(),
//!         accounts: vec![RegisteredAccount::Primitive { id: 4, value: "5111111111111118".into() }],
//!         alg: Algorithm::Ed25519, public_key: merchant.public_key().to_base64url(),
//!         not_before: 0, not_after: 2_000_000_000, revoked: false,
//!     }],
//! };
//! let doc = issue::sign_registry(&registry, &[("root-1", &root)])?;
//! let mut store = TrustStore::new(roots);
//! store.apply_registry(&doc, 1_700_000_000)?;
//! let unsigned = "00020101021104165111111111111118520458125303764\
//!                 5802TH5910ALICE CAFE6007BANGKOK";
//! let signed = issue::sign_payload(unsigned, &merchant, "m1", None)?;
//! let verdict = store.verify(&signed, 1_700_000_000, &mut InMemoryReplayGuard::default());
//! assert!(verdict.is_verified());
//! # Ok(()) }
//! ```

// `names`, `store` and `verdict` are private: their API is re-exported
// below. The other five are still public namespaces this session (the
// issuing side, the key, registry and signed-QR formats, the replay guard,
// used by the sandbox, the CLI and the fuzz targets); ADR 0021 says what is
// left to decide for them.
pub mod issue;
pub mod keys;
mod names;
pub mod registry;
pub mod replay;
pub mod signed_qr;
mod store;
mod verdict;

pub use keys::{Algorithm, BadSignature, PublicKey};
pub use registry::{RegistryError, RootKeys};
pub use replay::{InMemoryReplayGuard, ReplayGuard};
pub use store::{Policy, RegistryInfo, TrustStore};
pub use verdict::{Reason, Verdict, VerifiedMerchant, Warning};
