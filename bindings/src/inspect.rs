//! What a scanned text is (merchant code, someone's payment code, link,
//! text), and merchant verification at an explicit time.

use std::sync::{Mutex, PoisonError, RwLock};

use scanpay_core::payload::link::LinkFlag as CoreLinkFlag;
pub use scanpay_core::payload::PayloadKind;
use scanpay_core::payload::{classify as core_classify, Payload};
use scanpay_core::trust::{InMemoryReplayGuard, RootKeys, TrustStore};

use crate::errors::TrustError;
use crate::types::{Money, RegistryInfo, TipRule, Verdict};
use crate::LiveToken;

/// The kind of a scanned text.
#[uniffi::remote(Enum)]
pub enum PayloadKind {
    /// A merchant's EMVCo code (Merchant-Presented Mode).
    EmvMpm,
    /// Someone's payment code (EMVCo Consumer-Presented Mode): not payable.
    EmvCpm,
    /// A link: classified, never opened.
    Url,
    /// Anything else.
    Text,
}

/// What the payload of a merchant code says (printed data, unverified: show
/// the registered name from a verdict, never `printed_name` as the payee).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MerchantCodeInfo {
    /// Dynamic (point of initiation "12").
    pub dynamic: bool,
    /// Merchant-account data object ids (02–51).
    pub account_ids: Vec<u8>,
    /// Merchant category code.
    pub mcc: Option<String>,
    /// Transaction currency (ISO 4217 code).
    pub currency: String,
    /// The amount in the code, if any.
    pub amount: Option<Money>,
    /// Tip / convenience fee rule.
    pub tip_rule: Option<TipRule>,
    /// Country code.
    pub country: String,
    /// Printed name (59).
    pub printed_name: Option<String>,
    /// Printed city (60).
    pub printed_city: Option<String>,
}

/// Something about a link worth telling the user.
// A wrapper: the core's lookalike brand is a `&'static str` (from its brand
// table), which cannot be lifted back from a foreign string.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum LinkFlag {
    /// Not https.
    NotHttps,
    /// The scheme can run code or reach into the device.
    DangerousScheme,
    /// Internationalised host: show both forms.
    InternationalHost,
    /// The host is an IP address.
    IpLiteral,
    /// User-info before the host.
    UserInfo,
    /// An explicit port.
    ExplicitPort,
    /// A host imitating a known brand.
    Lookalike {
        /// The imitated brand.
        brand: String,
    },
}

/// A link, classified (never opened).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LinkInfo {
    /// The text as scanned.
    pub original: String,
    /// Lower-case scheme.
    pub scheme: String,
    /// Host in ASCII (punycode) form.
    pub host_ascii: Option<String>,
    /// Host in Unicode form.
    pub host_unicode: Option<String>,
    /// Warnings to show.
    pub flags: Vec<LinkFlag>,
}

/// Someone's payment code (shown so the user knows it is not a merchant).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConsumerCodeInfo {
    /// Application labels.
    pub labels: Vec<String>,
    /// Last four digits of the masked card number, when present.
    pub pan_last4: Option<String>,
}

/// A scanned text, understood.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Inspection {
    /// What the text looks like.
    pub kind: PayloadKind,
    /// Why it is not a valid payload of its kind (a damaged merchant code…),
    /// as a message for the UI.
    pub problem: Option<String>,
    /// The same reason as a stable code (`mpm/bad-crc`, `mpm/tlv/overrun`,
    /// `cpm/base64`, `link/invalid`, `too-long`): for choosing the UI's own
    /// wording, analytics and tests; it does not change with messages.
    pub problem_code: Option<String>,
    /// For a merchant code.
    pub merchant: Option<MerchantCodeInfo>,
    /// For someone's payment code.
    pub consumer: Option<ConsumerCodeInfo>,
    /// For a link.
    pub link: Option<LinkInfo>,
}

/// Classifies a scanned text (never opens links, never verifies: see
/// [`TrustChecker`] or the payment flow for verdicts). Texts over 4 KiB are
/// reported as a problem, not parsed.
#[uniffi::export]
pub fn classify(text: String) -> Inspection {
    let c = core_classify(&text);
    let mut out = Inspection {
        kind: c.kind,
        problem: None,
        problem_code: None,
        merchant: None,
        consumer: None,
        link: None,
    };
    match c.result {
        Err(e) => {
            out.problem = Some(e.to_string());
            out.problem_code = Some(e.code());
        }
        Ok(Payload::EmvMpm(p)) => {
            out.merchant = Some(MerchantCodeInfo {
                dynamic: p.is_dynamic(),
                account_ids: p.accounts.iter().map(|a| a.id).collect(),
                mcc: p.mcc,
                currency: p.currency.code().to_string(),
                amount: p.amount.map(Money::from),
                tip_rule: p.tip.map(TipRule::from),
                country: p.country,
                printed_name: p.merchant_name,
                printed_city: p.merchant_city,
            })
        }
        Ok(Payload::EmvCpm(p)) => {
            out.consumer = Some(ConsumerCodeInfo {
                labels: p
                    .applications
                    .iter()
                    .filter_map(|a| a.label.clone())
                    .collect(),
                pan_last4: p
                    .applications
                    .iter()
                    .find_map(|a| a.pan.as_ref().map(|p| p.last4().to_string())),
            })
        }
        Ok(Payload::Url(l)) => {
            out.link = Some(LinkInfo {
                original: l.original,
                scheme: l.scheme,
                host_ascii: l.host_ascii,
                host_unicode: l.host_unicode,
                flags: l
                    .flags
                    .into_iter()
                    .map(|f| match f {
                        CoreLinkFlag::NotHttps => LinkFlag::NotHttps,
                        CoreLinkFlag::DangerousScheme => LinkFlag::DangerousScheme,
                        CoreLinkFlag::InternationalHost => LinkFlag::InternationalHost,
                        CoreLinkFlag::IpLiteral => LinkFlag::IpLiteral,
                        CoreLinkFlag::UserInfo => LinkFlag::UserInfo,
                        CoreLinkFlag::ExplicitPort => LinkFlag::ExplicitPort,
                        CoreLinkFlag::Lookalike { brand } => LinkFlag::Lookalike {
                            brand: brand.to_string(),
                        },
                    })
                    .collect(),
            })
        }
        Ok(Payload::Text(_)) => {}
    }
    out
}

/// Replay-guard capacity of a [`TrustChecker`].
const CHECKER_REPLAY_CAPACITY: usize = 10_000;

/// Merchant verification at an explicit time, with its own in-memory replay
/// guard: for QA tools, previews and the shared test vectors. The wallet
/// verifies inside the payment flow with its journal-backed guard.
#[derive(uniffi::Object)]
pub struct TrustChecker {
    trust: RwLock<TrustStore>,
    replay: Mutex<InMemoryReplayGuard>,
    _live: LiveToken,
}

impl std::fmt::Debug for TrustChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TrustChecker")
    }
}

#[uniffi::export]
impl TrustChecker {
    /// A checker pinning the roots in `roots_json` (the acquirer's
    /// `roots.json`), with no registry yet.
    #[uniffi::constructor]
    pub fn new(roots_json: String) -> Result<TrustChecker, TrustError> {
        let roots = RootKeys::from_json(roots_json.as_bytes()).map_err(|e| TrustError::Roots {
            reason: e.to_string(),
        })?;
        Ok(TrustChecker {
            trust: RwLock::new(TrustStore::new(roots)),
            replay: Mutex::new(InMemoryReplayGuard::new(CHECKER_REPLAY_CAPACITY)),
            _live: LiveToken::new(),
        })
    }

    /// Applies a signed registry document at time `now` (unix seconds).
    pub fn apply_registry(&self, document: Vec<u8>, now: u64) -> Result<RegistryInfo, TrustError> {
        Ok(self
            .trust
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .apply_registry(&document, now)?)
    }

    /// Verifies a scanned merchant code at time `now` (unix seconds). A
    /// dynamic code's nonce is remembered: the same code again is a replay.
    pub fn verify(&self, payload: String, now: u64) -> Verdict {
        let mut replay = self.replay.lock().unwrap_or_else(PoisonError::into_inner);
        self.trust
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .verify(&payload, now, &mut *replay)
            .into()
    }
}
