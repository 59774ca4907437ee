//! Shortcuts in the wallet (issue 12, ADR 0022): the PIN-free policy, the
//! shortcut state the wallet keeps, and [`ShortcutService`], which the flow
//! and the wallet share.
//!
//! Three settings exist side by side:
//!
//! * **current**: what the wallet applies now. It only ever becomes wider
//!   when the backend accepted a PIN-signed document saying so; it becomes
//!   narrower at once (opt-out, a lapse, a PIN change).
//! * **held**: what the backend last accepted. A narrower `current` is
//!   pushed as a request-key document (no PIN), now or, when the backend is
//!   not reachable, on the next [`ShortcutService::push`] (the wallet calls
//!   it after a registry sync or a health check). After a PIN-signed
//!   opt-in whose answer was lost, the backend holds either document, so
//!   this is their intersection: a narrowing within it narrows both.
//! * the **version high-water mark**: every document signed takes a version
//!   above it, so a document whose answer was lost (and that the backend may
//!   hold) is never re-used.
//! * the **PIN epoch**: a digest of the sealed device key when the PIN last
//!   signed the settings. A PIN change replaces that blob, so shortcuts
//!   signed under another PIN lapse ([`ShortcutLapse::PinChanged`]) at their
//!   next use whoever changed the PIN — `Wallet::change_pin` lapses them at
//!   once, a direct [`Authenticator::change_pin`] is caught here.
//!
//! The PIN-free rules are [`check_pin_free`], one pure function over the
//! settings and the [`PinFreeFacts`] of a payment; the service gathers the
//! facts from the journal, the authenticator and the flow.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::clock::Clock;
use super::config::{PinFreeOffer, ShortcutConfig, DAILY_WINDOW_SECS};
use super::engine::PaymentEngine;
use super::record::BackendError;
use crate::auth::{
    biometric_public_key, verify_biometric_signature, AuthError, Authenticator,
    BiometricAvailability, BiometricError, BiometricKey, BiometricKeyError, BiometricPromptText,
    PaymentAuthMethod, PaymentAuthorisation, PinFreeLimits, PinPad, RequestKeyError,
    ShortcutSettings, ShortcutsError, SignedAuthorisation, SignedShortcuts, StoredRequestSigner,
    FAILURES_BEFORE_WAIT,
};
use crate::money::{Currency, Money};
use crate::store::{ShortcutRow, Store, StoreError};

/// A shortcut the payer can turn on instead of the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "shortcut", rename_all = "kebab-case")]
pub enum Shortcut {
    /// Confirming a payment with the platform's strong biometric.
    Biometric,
    /// Small payments in one currency with no confirmation but a tap.
    PinFree {
        /// The currency.
        currency: Currency,
    },
}

impl Shortcut {
    /// Stable code for apps and logs: `biometric`, `pin-free`.
    pub fn code(&self) -> &'static str {
        match self {
            Shortcut::Biometric => "biometric",
            Shortcut::PinFree { .. } => "pin-free",
        }
    }
}

/// Why a shortcut was turned off, for the UI to explain (ADR 0022 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ShortcutLapse {
    /// The PIN changed: shortcuts the old PIN allowed need the new one.
    PinChanged,
    /// The platform invalidated the biometric key (a fingerprint or face
    /// was added).
    KeyInvalidated,
    /// The platform no longer has the biometric key.
    KeyMissing,
    /// The platform's signature did not verify with the key recorded at
    /// opt-in (a replaced key, or a platform fault).
    BadSignature,
    /// The payer turned it off.
    OptedOut,
}

impl ShortcutLapse {
    /// Stable code for apps and logs.
    pub fn code(&self) -> &'static str {
        match self {
            ShortcutLapse::PinChanged => "pin-changed",
            ShortcutLapse::KeyInvalidated => "key-invalidated",
            ShortcutLapse::KeyMissing => "key-missing",
            ShortcutLapse::BadSignature => "bad-signature",
            ShortcutLapse::OptedOut => "opted-out",
        }
    }
}

/// One shortcut that lapsed, why, and when (wallet clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LapsedShortcut {
    /// Which shortcut.
    pub shortcut: Shortcut,
    /// Why it is off.
    pub reason: ShortcutLapse,
    /// When it lapsed, unix seconds.
    pub at: u64,
}

/// Why a payment may not go PIN-free (ADR 0022 §4). Each names the rule;
/// the flow then asks for the PIN and shows it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PinFreeRefusal {
    /// The payer has not turned PIN-free payments on in this currency.
    #[error("PIN-free payments are not on in {currency}")]
    NotOptedIn {
        /// The payment's currency.
        currency: Currency,
    },
    /// The wallet is offline: a PIN-free payment is never queued.
    #[error("PIN-free payments need a connection")]
    Offline,
    /// A wrong-PIN lockout happened since the last correct PIN.
    #[error("the PIN was locked after wrong attempts; enter it once")]
    PinLockout,
    /// The merchant did not verify.
    #[error("the merchant is not verified")]
    MerchantUnverified,
    /// The merchant verified with a warning.
    #[error("the merchant's code came with a warning")]
    TrustWarning,
    /// A static code (the amount is not the merchant's).
    #[error("only dynamic codes with an amount can be paid without the PIN")]
    StaticCode,
    /// The payer typed a tip (or an amount: a static code refuses first).
    #[error("a tip was entered")]
    TipEntered,
    /// The total is over the payer's per-payment limit.
    #[error("the total is over the PIN-free limit of {limit}")]
    OverPerPayment {
        /// The per-payment limit.
        limit: Money,
    },
    /// No payment to this merchant account succeeded 24 hours ago or earlier.
    #[error("this merchant is new to the wallet")]
    NewMerchant,
    /// The daily count of PIN-free payments is used up.
    #[error("{limit} PIN-free payments were made in the last 24 hours")]
    OverDailyCount {
        /// The most in a rolling 24 hours.
        limit: u32,
    },
    /// The payment would take the PIN-free total of the last 24 hours over
    /// the limit.
    #[error("the PIN-free total of {limit} a day would be exceeded ({spent} already)")]
    OverDailyTotal {
        /// The rolling 24-hour limit.
        limit: Money,
        /// PIN-free payments in the last 24 hours.
        spent: Money,
    },
    /// The wallet could not check the rules (the journal or the PIN state
    /// could not be read): the PIN is asked, never skipped.
    #[error("the PIN-free rules could not be checked: {detail}")]
    Unchecked {
        /// What failed.
        detail: String,
    },
}

impl PinFreeRefusal {
    /// Stable kebab-case code of the rule, for the UI and logs: the same
    /// word the backend's `pin-required` message starts with for the rules
    /// both sides check (`docs/api.md`); `offline`, `pin-lockout` and
    /// `unchecked` are the wallet's own.
    pub fn code(&self) -> &'static str {
        match self {
            PinFreeRefusal::NotOptedIn { .. } => "not-opted-in",
            PinFreeRefusal::Offline => "offline",
            PinFreeRefusal::PinLockout => "pin-lockout",
            PinFreeRefusal::MerchantUnverified => "merchant-unverified",
            PinFreeRefusal::TrustWarning => "trust-warning",
            PinFreeRefusal::StaticCode => "static-code",
            PinFreeRefusal::TipEntered => "tip-entered",
            PinFreeRefusal::OverPerPayment { .. } => "over-per-payment",
            PinFreeRefusal::NewMerchant => "new-merchant",
            PinFreeRefusal::OverDailyCount { .. } => "over-daily-count",
            PinFreeRefusal::OverDailyTotal { .. } => "over-daily-total",
            PinFreeRefusal::Unchecked { .. } => "unchecked",
        }
    }
}

/// What the PIN-free rules read about one payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinFreeFacts {
    /// The total to pay.
    pub total: Money,
    /// The merchant verified (signed code, valid registry key).
    pub verified: bool,
    /// The verdict carries a warning.
    pub trust_warning: bool,
    /// The code is dynamic and carries the amount.
    pub dynamic_with_amount: bool,
    /// The payer typed an amount or a tip.
    pub payer_entered: bool,
    /// The wallet is offline.
    pub offline: bool,
    /// A wrong-PIN lockout since the last correct PIN.
    pub pin_lockout: bool,
    /// A payment to the same merchant account succeeded at least 24 hours
    /// ago.
    pub merchant_known: bool,
    /// PIN-free payments in the rolling 24 hours (not declined, reversed or
    /// cancelled).
    pub count_today: u32,
    /// Their total, in the payment's currency.
    pub total_today: Money,
}

/// The PIN-free rules (ADR 0022 §4): the limits that allow this payment,
/// or the first rule that refuses it, in the backend's order
/// (`docs/api.md`, the PIN-free rules table) with the wallet's own rules
/// (`offline`, `pin-lockout`) where the backend checks `stale-time`. Pure:
/// every fact is an argument.
pub fn check_pin_free(
    settings: &ShortcutSettings,
    facts: &PinFreeFacts,
) -> Result<PinFreeLimits, PinFreeRefusal> {
    let currency = facts.total.currency;
    let limits = *settings
        .pin_free_for(currency)
        .ok_or(PinFreeRefusal::NotOptedIn { currency })?;
    if facts.offline {
        return Err(PinFreeRefusal::Offline);
    }
    if facts.pin_lockout {
        return Err(PinFreeRefusal::PinLockout);
    }
    if !facts.verified {
        return Err(PinFreeRefusal::MerchantUnverified);
    }
    if facts.trust_warning {
        return Err(PinFreeRefusal::TrustWarning);
    }
    if !facts.dynamic_with_amount {
        return Err(PinFreeRefusal::StaticCode);
    }
    if facts.payer_entered {
        return Err(PinFreeRefusal::TipEntered);
    }
    if facts.total.minor > limits.per_payment {
        return Err(PinFreeRefusal::OverPerPayment {
            limit: Money::new(limits.per_payment, currency),
        });
    }
    if facts.count_today >= limits.daily_count {
        return Err(PinFreeRefusal::OverDailyCount {
            limit: limits.daily_count,
        });
    }
    let spent = if facts.total_today.currency == currency {
        facts.total_today.minor
    } else {
        // A total in another currency is a caller's bug; never let it
        // allow more.
        u64::MAX
    };
    if spent.saturating_add(facts.total.minor) > limits.daily_total {
        return Err(PinFreeRefusal::OverDailyTotal {
            limit: Money::new(limits.daily_total, currency),
            spent: Money::new(spent.min(limits.daily_total), currency),
        });
    }
    // Last, as the backend checks it (docs/api.md, the PIN-free rules
    // table): the same facts give the same rule word on both sides.
    if !facts.merchant_known {
        return Err(PinFreeRefusal::NewMerchant);
    }
    Ok(limits)
}

/// Settings that allow only what both `a` and `b` allow (the version and
/// time are `a`'s): a biometric key both hold, the currencies both hold,
/// each limit the lower of the two.
fn intersection(a: &ShortcutSettings, b: &ShortcutSettings) -> ShortcutSettings {
    let mut out = a.clone();
    if out.biometric_public_key != b.biometric_public_key {
        out.biometric_public_key = None;
    }
    out.pin_free = a
        .pin_free
        .iter()
        .filter_map(|l| {
            b.pin_free_for(l.currency).map(|h| PinFreeLimits {
                currency: l.currency,
                per_payment: l.per_payment.min(h.per_payment),
                daily_total: l.daily_total.min(h.daily_total),
                daily_count: l.daily_count.min(h.daily_count),
            })
        })
        .collect();
    out
}

/// How far the version high-water mark jumps after a `stale-shortcuts`
/// whose message does not say the held version: far past anything a lost
/// answer or two could have left at the backend.
const STALE_VERSION_JUMP: u64 = 1 << 20;

/// The version high-water mark after a `stale-shortcuts` refusal whose
/// message is `message` (the backend's words: "… is not above the held
/// N"): at least N, and always above `high`.
fn version_above(message: &str, high: u64) -> u64 {
    let held = message
        .rsplit_once("the held ")
        .map(|(_, rest)| {
            rest.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|digits| digits.parse::<u64>().ok());
    match held {
        Some(h) if h > high => h,
        _ => high.saturating_add(STALE_VERSION_JUMP),
    }
}

/// What the backend said about a settings document.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShortcutRejection {
    /// The document does not verify (signature, device, time): `bad-shortcuts`.
    #[error("the backend refused the settings' signature or time")]
    BadShortcuts,
    /// Its version is not above the held one: `stale-shortcuts`.
    #[error("the backend holds newer settings")]
    Stale,
    /// A request-key document would widen what is held:
    /// `shortcuts-widen-without-pin`.
    #[error("the backend needs the PIN for this change")]
    WidensWithoutPin,
    /// A limit is above the backend's cap: `shortcuts-over-cap`.
    #[error("a limit is above the backend's cap")]
    OverCap,
    /// Another error code.
    #[error("the backend refused the settings ({code})")]
    Other {
        /// The backend's error code (or the HTTP status).
        code: String,
    },
}

impl ShortcutRejection {
    /// The rejection for a backend error code (`docs/api.md`).
    pub fn from_code(code: &str) -> ShortcutRejection {
        use crate::net::api::error_code as c;
        match code {
            c::BAD_SHORTCUTS => ShortcutRejection::BadShortcuts,
            c::STALE_SHORTCUTS => ShortcutRejection::Stale,
            c::SHORTCUTS_WIDEN_WITHOUT_PIN => ShortcutRejection::WidensWithoutPin,
            c::SHORTCUTS_OVER_CAP => ShortcutRejection::OverCap,
            other => ShortcutRejection::Other {
                code: other.to_string(),
            },
        }
    }
}

/// Why a settings document did not reach or was not accepted by the
/// backend.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShortcutPushError {
    /// The backend answered and refused it (final for this document).
    #[error("{reason}: {message}")]
    Rejected {
        /// Why, typed.
        reason: ShortcutRejection,
        /// The backend's words, for logs.
        message: String,
    },
    /// No answer: not sent, maybe sent, or a server failure.
    #[error(transparent)]
    Transport(#[from] BackendError),
}

/// Where settings documents go: `POST /v1/devices/shortcuts`
/// ([`crate::net::HttpsBackend`] implements it; tests use doubles).
pub trait ShortcutsBackend: Send + Sync {
    /// Sends `signed`; on acceptance, the version the backend now holds.
    fn push_shortcuts(&self, signed: &SignedShortcuts) -> Result<u64, ShortcutPushError>;
}

/// Why a shortcut could not be turned on, off, or pushed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShortcutError {
    /// This wallet does not offer biometric confirmation.
    #[error("biometric confirmation is not offered")]
    BiometricNotOffered,
    /// This wallet does not offer PIN-free payments in the currency.
    #[error("PIN-free payments are not offered in {0}")]
    PinFreeNotOffered(Currency),
    /// A chosen limit is above the wallet's cap.
    #[error("{field} is above the cap of {cap}")]
    OverCap {
        /// `per_payment`, `daily_total` or `daily_count`.
        field: &'static str,
        /// The cap (minor units, or a count).
        cap: u64,
    },
    /// The shortcut is already on (turn it off first to replace its key).
    #[error("{} is already on", .0.code())]
    AlreadyOn(Shortcut),
    /// The app attached no biometric key ([`ShortcutService::set_biometric_key`]).
    #[error("no biometric key is attached")]
    NoBiometricKey,
    /// The platform cannot run a strong biometric check now.
    #[error("biometrics are not available: {}", .0.code())]
    BiometricUnavailable(BiometricAvailability),
    /// The platform failed to create the key.
    #[error(transparent)]
    Biometric(#[from] BiometricError),
    /// The platform returned a public key the core does not accept.
    #[error(transparent)]
    BiometricPublicKey(#[from] BiometricKeyError),
    /// The settings are not acceptable.
    #[error(transparent)]
    Invalid(#[from] ShortcutsError),
    /// The PIN attempt failed (wrong PIN, lockout, not enrolled…): nothing
    /// changed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The wallet is not enrolled (no device key).
    #[error("the wallet is not enrolled")]
    NotEnrolled,
    /// The request key is missing or unusable (register the device again).
    #[error(transparent)]
    RequestKey(#[from] RequestKeyError),
    /// The wallet database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored shortcut state does not parse.
    #[error("the stored shortcut state is damaged: {0}")]
    Damaged(String),
    /// No backend is attached: an opt-in cannot count.
    #[error("no backend is configured")]
    NoBackend,
    /// The backend did not accept the document. For an opt-in nothing
    /// changed; an opt-out already applies in the wallet.
    #[error(transparent)]
    Push(#[from] ShortcutPushError),
}

/// What the UI shows about the shortcuts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortcutStatus {
    /// Biometric confirmation is on.
    pub biometric: bool,
    /// Biometric confirmation is offered by this wallet.
    pub biometric_offered: bool,
    /// What the attached biometric key says now (`None`: none attached).
    pub biometric_availability: Option<BiometricAvailability>,
    /// The PIN-free limits on, per currency.
    pub pin_free: Vec<PinFreeLimits>,
    /// What may be chosen, per currency.
    pub pin_free_offers: Vec<PinFreeOffer>,
    /// Shortcuts that lapsed and why (cleared when turned on again).
    pub lapses: Vec<LapsedShortcut>,
    /// A narrowing is still to be told to the backend (it already applies
    /// in the wallet).
    pub push_pending: bool,
    /// The settings version the backend last accepted.
    pub held_version: Option<u64>,
}

/// The persisted state, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    current: ShortcutSettings,
    held: Option<ShortcutSettings>,
    lapses: Vec<LapsedShortcut>,
    push_pending: bool,
    version_high: u64,
    pin_epoch: Option<Vec<u8>>,
}

impl State {
    fn next_version(&self) -> u64 {
        self.version_high
            .max(self.current.version)
            .max(self.held.as_ref().map_or(0, |h| h.version))
            .saturating_add(1)
    }

    /// Turns `shortcut` off in `current`, records why, and marks a push
    /// when the backend holds it on.
    fn lapse(&mut self, shortcut: Shortcut, reason: ShortcutLapse, at: u64) {
        let was_on = match shortcut {
            Shortcut::Biometric => self.current.biometric_public_key.take().is_some(),
            Shortcut::PinFree { currency } => {
                let before = self.current.pin_free.len();
                self.current.pin_free.retain(|l| l.currency != currency);
                before != self.current.pin_free.len()
            }
        };
        if was_on {
            self.lapses.retain(|l| l.shortcut != shortcut);
            self.lapses.push(LapsedShortcut {
                shortcut,
                reason,
                at,
            });
        }
        self.push_pending = self.differs_from_held();
    }

    fn differs_from_held(&self) -> bool {
        self.held.as_ref().is_some_and(|h| {
            h.biometric_public_key != self.current.biometric_public_key
                || h.pin_free != self.current.pin_free
        })
    }
}

/// Shortcut settings, lapses and signing, shared by the flow and the
/// wallet. `Send + Sync`; changes are serialised.
pub struct ShortcutService {
    store: Store,
    authenticator: Arc<Authenticator>,
    request_key: Arc<StoredRequestSigner>,
    config: ShortcutConfig,
    clock: Arc<dyn Clock>,
    biometric: RwLock<Option<Arc<dyn BiometricKey>>>,
    backend: RwLock<Option<Arc<dyn ShortcutsBackend>>>,
    // Serialises read-modify-write of the state (including a push, so a
    // lapse recorded meanwhile is not overwritten by the push's result).
    write: Mutex<()>,
}

impl std::fmt::Debug for ShortcutService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShortcutService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ShortcutService {
    /// A service over the wallet's store, PIN, request key, configuration and
    /// clock. The biometric key and the backend are attached later.
    pub fn new(
        store: Store,
        authenticator: Arc<Authenticator>,
        request_key: Arc<StoredRequestSigner>,
        config: ShortcutConfig,
        clock: Arc<dyn Clock>,
    ) -> ShortcutService {
        ShortcutService {
            store,
            authenticator,
            request_key,
            config,
            clock,
            biometric: RwLock::new(None),
            backend: RwLock::new(None),
            write: Mutex::new(()),
        }
    }

    /// Attaches the platform's biometric key (the app's implementation),
    /// replacing any earlier one.
    pub fn set_biometric_key(&self, key: Arc<dyn BiometricKey>) {
        *self
            .biometric
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(key);
    }

    /// The attached biometric key.
    pub fn biometric_key(&self) -> Option<Arc<dyn BiometricKey>> {
        self.biometric
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Attaches where settings documents go, replacing any earlier one.
    pub fn set_backend(&self, backend: Arc<dyn ShortcutsBackend>) {
        *self.backend.write().unwrap_or_else(PoisonError::into_inner) = Some(backend);
    }

    fn backend(&self) -> Option<Arc<dyn ShortcutsBackend>> {
        self.backend
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// What this wallet offers.
    pub fn config(&self) -> &ShortcutConfig {
        &self.config
    }

    fn load(&self) -> Result<State, ShortcutError> {
        let Some(row) = self.store.load_shortcuts()? else {
            return Ok(State {
                current: ShortcutSettings::off(0, 0),
                held: None,
                lapses: Vec::new(),
                push_pending: false,
                version_high: 0,
                pin_epoch: None,
            });
        };
        let damaged = |e: serde_json::Error| ShortcutError::Damaged(e.to_string());
        Ok(State {
            current: serde_json::from_str(&row.current).map_err(damaged)?,
            held: row
                .held
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(damaged)?,
            lapses: serde_json::from_str(&row.lapses).map_err(damaged)?,
            push_pending: row.push_pending,
            version_high: row.version_high,
            pin_epoch: row.pin_epoch,
        })
    }

    fn save(&self, state: &State) -> Result<(), ShortcutError> {
        let row = ShortcutRow {
            current: to_json(&state.current)?,
            held: state.held.as_ref().map(to_json).transpose()?,
            lapses: to_json(&state.lapses)?,
            push_pending: state.push_pending,
            version_high: state.version_high,
            pin_epoch: state.pin_epoch.clone(),
            updated_at: self.clock.now(),
        };
        Ok(self.store.save_shortcuts(&row)?)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.write.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The settings the wallet applies now (all off when none were ever set
    /// or the stored state cannot be read: the PIN is never skipped on
    /// doubt).
    pub fn current(&self) -> ShortcutSettings {
        self.load_current()
            .map(|s| s.current)
            .unwrap_or_else(|_| ShortcutSettings::off(0, 0))
    }

    /// What the UI shows.
    pub fn status(&self) -> Result<ShortcutStatus, ShortcutError> {
        let state = self.load_current()?;
        Ok(self.status_of(&state))
    }

    /// [`ShortcutService::status`] for a caller that must answer even when
    /// the stored state cannot be read: then what the wallet applies (all
    /// off, as [`ShortcutService::current`] says) and `push_pending`, since
    /// nothing is known to have reached the backend.
    pub fn status_or_off(&self) -> ShortcutStatus {
        self.status().unwrap_or_else(|_| {
            self.status_of(&State {
                current: ShortcutSettings::off(0, 0),
                held: None,
                lapses: Vec::new(),
                push_pending: true,
                version_high: 0,
                pin_epoch: None,
            })
        })
    }

    /// Identifies the PIN now: a digest of the stored sealed device key,
    /// which a PIN change (by any caller of
    /// [`Authenticator::change_pin`]) replaces.
    fn pin_epoch(&self) -> Result<Option<Vec<u8>>, ShortcutError> {
        Ok(self.store.load_sealed_key()?.map(|blob| {
            ring::digest::digest(&ring::digest::SHA256, &blob)
                .as_ref()
                .to_vec()
        }))
    }

    /// Whether shortcuts are on that another PIN than today's signed.
    fn signed_by_another_pin(&self, state: &State) -> Result<bool, ShortcutError> {
        let on = state.current.biometric_on() || !state.current.pin_free.is_empty();
        Ok(on && state.pin_epoch.is_some() && state.pin_epoch != self.pin_epoch()?)
    }

    /// Every shortcut on lapses with `reason`; saved.
    fn lapse_every(&self, state: &mut State, reason: ShortcutLapse) -> Result<(), ShortcutError> {
        let now = self.clock.now();
        if state.current.biometric_on() {
            state.lapse(Shortcut::Biometric, reason, now);
        }
        let currencies: Vec<Currency> = state.current.pin_free.iter().map(|l| l.currency).collect();
        for currency in currencies {
            state.lapse(Shortcut::PinFree { currency }, reason, now);
        }
        self.save(state)
    }

    /// The state under the write lock: with every shortcut lapsed
    /// ([`ShortcutLapse::PinChanged`]) if the PIN changed since it signed
    /// them, whoever changed it.
    fn load_locked(&self) -> Result<State, ShortcutError> {
        let mut state = self.load()?;
        if self.signed_by_another_pin(&state)? {
            self.lapse_every(&mut state, ShortcutLapse::PinChanged)?;
        }
        Ok(state)
    }

    /// [`ShortcutService::load_locked`] for readers: the lock is only taken
    /// when there is a lapse to record.
    fn load_current(&self) -> Result<State, ShortcutError> {
        let state = self.load()?;
        if !self.signed_by_another_pin(&state)? {
            return Ok(state);
        }
        let _w = self.lock();
        self.load_locked()
    }

    fn status_of(&self, state: &State) -> ShortcutStatus {
        ShortcutStatus {
            biometric: state.current.biometric_on(),
            biometric_offered: self.config.biometric,
            biometric_availability: self.biometric_key().map(|k| k.availability()),
            pin_free: state.current.pin_free.clone(),
            pin_free_offers: self.config.pin_free.clone(),
            lapses: state.lapses.clone(),
            push_pending: state.push_pending,
            held_version: state.held.as_ref().map(|h| h.version),
        }
    }

    fn device_public_key(&self) -> Result<Vec<u8>, ShortcutError> {
        self.authenticator
            .device_public_key()?
            .ok_or(ShortcutError::NotEnrolled)
    }

    /// Turns biometric confirmation on: creates the platform key with `key`
    /// (which becomes the wallet's biometric key), signs the new settings
    /// with the PIN (one counted attempt) and pushes them. It counts only
    /// once the backend accepted; on any failure nothing changed (a key
    /// created for it is deleted).
    pub fn enable_biometric(
        &self,
        pin: &PinPad,
        key: Arc<dyn BiometricKey>,
    ) -> Result<ShortcutStatus, ShortcutError> {
        if !self.config.biometric {
            return Err(ShortcutError::BiometricNotOffered);
        }
        let _w = self.lock();
        let state = self.load_locked()?;
        if state.current.biometric_on() {
            return Err(ShortcutError::AlreadyOn(Shortcut::Biometric));
        }
        match key.availability() {
            BiometricAvailability::Available => {}
            other => return Err(ShortcutError::BiometricUnavailable(other)),
        }
        let point = biometric_public_key(&key.create_key()?).map_err(|e| {
            // The key is useless to the core; do not leave it behind.
            let _ = key.delete_key();
            ShortcutError::from(e)
        })?;
        let mut settings = state.current.clone();
        settings.biometric_public_key = Some(point.to_vec());
        let outcome = self.sign_and_push(pin, state, settings, Shortcut::Biometric);
        match outcome {
            Ok(mut status) => {
                // The status was built before the key was attached.
                status.biometric_availability = Some(key.availability());
                self.set_biometric_key(key);
                Ok(status)
            }
            Err(e) => {
                // Best effort: the created key is not registered anywhere.
                let _ = key.delete_key();
                Err(e)
            }
        }
    }

    /// Turns PIN-free payments on (or changes their limits) in
    /// `limits.currency`, within the wallet's caps: signed with the PIN (one
    /// counted attempt) and pushed; counts only once the backend accepted.
    pub fn enable_pin_free(
        &self,
        pin: &PinPad,
        limits: PinFreeLimits,
    ) -> Result<ShortcutStatus, ShortcutError> {
        let offer = self
            .config
            .pin_free_for(limits.currency)
            .ok_or(ShortcutError::PinFreeNotOffered(limits.currency))?;
        check_caps(&limits, offer)?;
        let _w = self.lock();
        let state = self.load_locked()?;
        let mut settings = state.current.clone();
        settings.pin_free.retain(|l| l.currency != limits.currency);
        settings.pin_free.push(limits);
        self.sign_and_push(
            pin,
            state,
            settings,
            Shortcut::PinFree {
                currency: limits.currency,
            },
        )
    }

    /// PIN-signs `settings` at the next version and pushes them; on
    /// acceptance they become both current and held. Holds the write lock.
    fn sign_and_push(
        &self,
        pin: &PinPad,
        mut state: State,
        mut settings: ShortcutSettings,
        shortcut: Shortcut,
    ) -> Result<ShortcutStatus, ShortcutError> {
        let backend = self.backend().ok_or(ShortcutError::NoBackend)?;
        let now = self.clock.now();
        settings.version = state.next_version();
        settings.time = now;
        settings.validate()?;
        let signed = self
            .authenticator
            .sign_shortcuts(pin, settings.clone(), now)?;
        // Recorded before sending: if the answer is lost the backend may
        // hold this version, so it is never signed again.
        state.version_high = settings.version;
        self.save(&state)?;
        if let Err(e) = backend.push_shortcuts(&signed) {
            if let (ShortcutPushError::Transport(t), Some(held)) = (&e, &state.held) {
                if !t.definitely_not_sent() {
                    // The backend may hold this document or the one before:
                    // a later request-key narrowing must narrow both, or it
                    // is refused as widening whichever it holds.
                    state.held = Some(intersection(held, &settings));
                    self.save(&state)?;
                }
            }
            return Err(e.into());
        }
        state.current = settings.clone();
        state.held = Some(settings);
        state.push_pending = false;
        state.lapses.retain(|l| l.shortcut != shortcut);
        // The PIN that just signed: another one later lapses these.
        state.pin_epoch = self.pin_epoch()?;
        self.save(&state)?;
        Ok(self.status_of(&state))
    }

    /// Turns biometric confirmation off: in the wallet at once, the platform
    /// key deleted, then the narrowing pushed (pending if the backend is not
    /// reachable: see [`ShortcutStatus::push_pending`]).
    pub fn disable_biometric(&self) -> Result<ShortcutStatus, ShortcutError> {
        self.turn_off(Shortcut::Biometric, ShortcutLapse::OptedOut)
    }

    /// Turns PIN-free payments off in `currency`, like
    /// [`ShortcutService::disable_biometric`].
    pub fn disable_pin_free(&self, currency: Currency) -> Result<ShortcutStatus, ShortcutError> {
        self.turn_off(Shortcut::PinFree { currency }, ShortcutLapse::OptedOut)
    }

    fn turn_off(
        &self,
        shortcut: Shortcut,
        reason: ShortcutLapse,
    ) -> Result<ShortcutStatus, ShortcutError> {
        self.lapse(shortcut, reason)?;
        if shortcut == Shortcut::Biometric {
            if let Some(key) = self.biometric_key() {
                // The platform key can sign nothing the wallet accepts any
                // more; a failure to delete it changes nothing.
                let _ = key.delete_key();
            }
        }
        self.push_quietly()
    }

    /// Turns `shortcut` off in the wallet now, with `reason`, and marks the
    /// narrowing to be pushed. No network: the flow calls it when the
    /// platform reports the biometric key gone or a signature fails.
    pub fn lapse(&self, shortcut: Shortcut, reason: ShortcutLapse) -> Result<(), ShortcutError> {
        let _w = self.lock();
        let mut state = self.load_locked()?;
        state.lapse(shortcut, reason, self.clock.now());
        self.save(&state)
    }

    /// Every shortcut lapses with `reason` (a PIN change), in the wallet
    /// now; the narrowing is pushed by the caller
    /// ([`ShortcutService::push`]).
    pub fn lapse_all(&self, reason: ShortcutLapse) -> Result<(), ShortcutError> {
        let _w = self.lock();
        let mut state = self.load_locked()?;
        self.lapse_every(&mut state, reason)
    }

    /// Pushes a pending narrowing (signed by the request key, no PIN), if
    /// any. Returns the status after. A narrowing stays pending until the
    /// backend accepted one: when it was not reached, when it refused the
    /// time (the phone's clock; a later push signs a fresh one), or when
    /// every retry here was refused. A refusal as stale is retried at once
    /// above the version the backend holds; a refusal as widening (the
    /// wallet's idea of what is held is wrong) falls back to the all-off
    /// document, which narrows anything, and every shortcut lapses in the
    /// wallet to match.
    pub fn push(&self) -> Result<ShortcutStatus, ShortcutError> {
        let _w = self.lock();
        let mut state = self.load_locked()?;
        if !state.push_pending {
            return Ok(self.status_of(&state));
        }
        let backend = self.backend().ok_or(ShortcutError::NoBackend)?;
        let device = self.device_public_key()?;
        let key = self
            .request_key
            .load()?
            .ok_or(RequestKeyError::NotRegistered)?;
        let mut all_off = false;
        let mut stale_retried = false;
        loop {
            let now = self.clock.now();
            let mut settings = if all_off {
                ShortcutSettings::off(0, 0)
            } else {
                // Within what the wallet believes held too (after a lost
                // opt-in answer, the intersection of both candidates).
                match &state.held {
                    Some(held) => intersection(&state.current, held),
                    None => state.current.clone(),
                }
            };
            settings.version = state.next_version();
            settings.time = now;
            let signed = key.sign_shortcuts(settings.clone(), &device)?;
            state.version_high = settings.version;
            self.save(&state)?;
            let refused = match backend.push_shortcuts(&signed) {
                Ok(_) => {
                    if all_off {
                        let reason = state
                            .lapses
                            .iter()
                            .max_by_key(|l| l.at)
                            .map_or(ShortcutLapse::OptedOut, |l| l.reason);
                        let at = self.clock.now();
                        if state.current.biometric_on() {
                            state.lapse(Shortcut::Biometric, reason, at);
                        }
                        let on: Vec<Currency> =
                            state.current.pin_free.iter().map(|l| l.currency).collect();
                        for currency in on {
                            state.lapse(Shortcut::PinFree { currency }, reason, at);
                        }
                    }
                    state.current = settings.clone();
                    state.held = Some(settings);
                    state.push_pending = false;
                    self.save(&state)?;
                    return Ok(self.status_of(&state));
                }
                Err(ShortcutPushError::Rejected { reason, message }) => (reason, message),
                Err(e) => return Err(e.into()),
            };
            match &refused.0 {
                ShortcutRejection::Stale if !stale_retried => {
                    stale_retried = true;
                    state.version_high = version_above(&refused.1, state.version_high);
                    self.save(&state)?;
                }
                ShortcutRejection::WidensWithoutPin
                | ShortcutRejection::OverCap
                | ShortcutRejection::Other { .. }
                    if !all_off =>
                {
                    all_off = true;
                }
                _ => {
                    // Still pending: the status never says it reached the
                    // backend. The next push signs a fresh time and version.
                    return Err(ShortcutPushError::Rejected {
                        reason: refused.0,
                        message: refused.1,
                    }
                    .into());
                }
            }
        }
    }

    /// [`ShortcutService::push`], where a push that fails is not the
    /// caller's failure (the narrowing already applies in the wallet): the
    /// status says whether it is still pending.
    pub fn push_quietly(&self) -> Result<ShortcutStatus, ShortcutError> {
        match self.push() {
            Ok(s) => Ok(s),
            Err(
                ShortcutError::Push(_)
                | ShortcutError::NoBackend
                | ShortcutError::RequestKey(_)
                | ShortcutError::NotEnrolled
                | ShortcutError::Auth(_),
            ) => self.status(),
            Err(e) => Err(e),
        }
    }

    /// The PIN-free decision for one payment: gathers the journal's and the
    /// PIN's facts and applies [`check_pin_free`]. A fact that cannot be
    /// read refuses ([`PinFreeRefusal::Unchecked`]).
    pub fn check_pin_free(
        &self,
        engine: &PaymentEngine,
        payment: &PinFreePayment<'_>,
        now: u64,
    ) -> Result<PinFreeLimits, PinFreeRefusal> {
        let settings = self.current();
        let currency = payment.total.currency;
        if settings.pin_free_for(currency).is_none() {
            return Err(PinFreeRefusal::NotOptedIn { currency });
        }
        let unchecked = |detail: String| PinFreeRefusal::Unchecked { detail };
        let status = self
            .authenticator
            .status(now)
            .map_err(|e| unchecked(e.to_string()))?;
        let (count_today, total_today) = engine
            .pin_free_since(currency, now.saturating_sub(DAILY_WINDOW_SECS))
            .map_err(|e| unchecked(e.to_string()))?;
        let merchant_known = engine
            .merchant_paid_until(
                payment.merchant_account,
                now.saturating_sub(DAILY_WINDOW_SECS),
            )
            .map_err(|e| unchecked(e.to_string()))?;
        let facts = PinFreeFacts {
            total: payment.total,
            verified: payment.verified,
            trust_warning: payment.trust_warning,
            dynamic_with_amount: payment.dynamic_with_amount,
            payer_entered: payment.payer_entered,
            offline: payment.offline,
            pin_lockout: status.disabled
                || status.locked_until.is_some()
                || status.failures >= FAILURES_BEFORE_WAIT,
            merchant_known,
            count_today,
            total_today,
        };
        check_pin_free(&settings, &facts)
    }

    /// Signs a PIN-free payment with the request key.
    pub fn sign_pin_free(
        &self,
        authorisation: PaymentAuthorisation,
    ) -> Result<SignedAuthorisation, ShortcutError> {
        authorisation
            .validate()
            .map_err(|e| ShortcutError::Auth(e.into()))?;
        let device = self.device_public_key()?;
        let key = self
            .request_key
            .load()?
            .ok_or(RequestKeyError::NotRegistered)?;
        Ok(key.sign_pin_free(authorisation, &device)?)
    }

    /// Has the platform sign a biometric payment, and checks the signature
    /// with the key recorded at opt-in before anything is journalled.
    pub fn sign_biometric(
        &self,
        authorisation: PaymentAuthorisation,
        prompt: &BiometricPromptText,
    ) -> Result<SignedAuthorisation, BiometricFailure> {
        authorisation
            .validate()
            .map_err(|e| BiometricFailure::Unusable(e.to_string()))?;
        let recorded = self
            .current()
            .biometric_public_key
            .ok_or_else(|| BiometricFailure::Unusable("biometric confirmation is off".into()))?;
        let key = self
            .biometric_key()
            .ok_or_else(|| BiometricFailure::Unusable("no biometric key is attached".into()))?;
        let device = self
            .device_public_key()
            .map_err(|e| BiometricFailure::Unusable(e.to_string()))?;
        let challenge = authorisation.signed_bytes_for(PaymentAuthMethod::Biometric);
        let signature = key
            .sign(&challenge, prompt)
            .map_err(BiometricFailure::Platform)?;
        verify_biometric_signature(&recorded, &challenge, &signature)
            .map_err(|_| BiometricFailure::BadSignature)?;
        Ok(SignedAuthorisation {
            authorisation,
            method: PaymentAuthMethod::Biometric,
            device_public_key: device,
            signature,
        })
    }
}

/// Why [`ShortcutService::sign_biometric`] produced no authorisation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BiometricFailure {
    /// The platform's outcome.
    #[error(transparent)]
    Platform(BiometricError),
    /// The platform signed, but not with the key recorded at opt-in.
    #[error("the biometric signature does not verify")]
    BadSignature,
    /// Biometric confirmation cannot be used (off, no key attached, the
    /// device key unreadable).
    #[error("biometric confirmation cannot be used: {0}")]
    Unusable(String),
}

/// The payment facts the flow knows, for [`ShortcutService::check_pin_free`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinFreePayment<'a> {
    /// The total.
    pub total: Money,
    /// The merchant account paid.
    pub merchant_account: &'a str,
    /// The merchant verified.
    pub verified: bool,
    /// The verdict carries a warning.
    pub trust_warning: bool,
    /// The code is dynamic and carries the amount.
    pub dynamic_with_amount: bool,
    /// The payer typed an amount or a tip.
    pub payer_entered: bool,
    /// The wallet is offline.
    pub offline: bool,
}

fn check_caps(limits: &PinFreeLimits, offer: &PinFreeOffer) -> Result<(), ShortcutError> {
    let caps = &offer.caps;
    for (field, value, cap) in [
        ("per_payment", limits.per_payment, caps.per_payment),
        ("daily_total", limits.daily_total, caps.daily_total),
        (
            "daily_count",
            u64::from(limits.daily_count),
            u64::from(caps.daily_count),
        ),
    ] {
        if value > cap {
            return Err(ShortcutError::OverCap { field, cap });
        }
    }
    Ok(())
}

/// JSON for the store (serialising these types cannot fail; a failure is
/// reported, never unwrapped).
fn to_json<T: Serialize>(value: &T) -> Result<String, ShortcutError> {
    serde_json::to_string(value).map_err(|e| ShortcutError::Damaged(e.to_string()))
}
