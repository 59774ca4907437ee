//! [`PaycodeService`]: the wallet's pay code — provisioning, status, the
//! session that shows codes, the event sync, and the payer's answer to a
//! charge above the no-PIN amount. [`crate::wallet::Wallet`] owns one and
//! forwards to it.
//!
//! ## Provisioning and the PIN
//!
//! [`PaycodeService::open`] spends one counted PIN attempt, exactly like a
//! payment's ([`crate::auth::Authenticator`]: wrong PIN, waits and the
//! disable apply unchanged). The opened device key then either opens the
//! sealed secret (`auth::paycode_secret`), or, when the wallet has
//! none (first use, or the device key was reset or disabled since), signs a
//! [`ProvisionRequest`] and the backend's secret is sealed and stored before
//! the session is returned. Nothing is spent when the answer is known
//! without the PIN (not provisioned and no backend).

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use super::session::lock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::rand::{SecureRandom, SystemRandom};
use thiserror::Error;

use super::charge::{
    ChargeMerchant, ChargeOutcome, PaycodeCharge, PaycodeChargeInfo, PayerAnswer, PendingCharge,
};
use super::code::{PaycodeSecret, STEP_SECS};
use super::limits::{self, OfflineLimit};
use super::session::PaycodeSession;
use super::sync::{apply_event, record_confirmation, PaycodeBackend};
use crate::auth::{AuthError, Authenticator, DeviceKey, PinPad};
use crate::net::api::paycode::{
    error_code, ChargeEvent, ChargeState, ConfirmRequest, PaycodeLimits, ProvisionRequest,
    MAX_EVENTS_WAIT_SECS,
};
use crate::payment::BackendError;
use crate::payment::{request_outcome, Clock, PaycodeConfig};
use crate::status::StatusMonitor;
use crate::store::{PaycodeChargeRow, PaycodeStateRow, ProvisionRow, Store, StoreError};
use crate::trust::TrustStore;

/// Most events rounds one sync makes while the backend says `has_more`
/// (100 events each); the rest comes with the next sync.
const MAX_SYNC_ROUNDS: usize = 20;
/// Most charges one history call returns.
pub const MAX_HISTORY: u32 = 1000;

/// Counters left in the backend's look-ahead window of `state` before
/// its codes are refused: `floor + window − counter_next` (0 when past it).
pub(crate) fn window_left(state: &PaycodeStateRow) -> u64 {
    state
        .backend_counter_next
        .saturating_add(u64::from(state.provision.window))
        .saturating_sub(state.counter_next)
}

/// Whether fewer than half the window is left: opening the pay code then
/// provisions a fresh secret (its counters start inside the window again).
fn window_low(state: &PaycodeStateRow) -> bool {
    window_left(state) < u64::from(state.provision.window / 2).max(1)
}

/// Why a pay-code operation failed. No variant carries a secret or a code's
/// digits.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PaycodeError {
    /// The pay code is not provisioned and no backend is attached to
    /// provision it (go online). No PIN attempt was spent.
    #[error("the pay code is not set up yet: connect to the internet")]
    NotProvisioned,
    /// No backend is attached (sync, confirm and decline need one).
    #[error("no backend: connect to the internet")]
    NoBackend,
    /// No new code may be shown until the wallet syncs.
    #[error("offline limit reached: connect to the internet to show more codes")]
    OfflineLimit(OfflineLimit),
    /// The PIN or the device key refused (wrong PIN with attempts left and
    /// wait, locked out, disabled, not enrolled, key store failure). See
    /// [`AuthError::device_key_unusable`] for when to offer a reset.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The backend could not be reached or refused (provisioning, sync,
    /// confirm, decline). A confirmation or decline was journalled first.
    #[error("backend: {0}")]
    Backend(BackendError),
    /// The backend's answer is not acceptable (a secret that is not 32
    /// bytes, a time step other than 60 s). Nothing was stored.
    #[error("the backend's pay-code answer is not acceptable: {0}")]
    BadAnswer(String),
    /// Every counter of the backend's look-ahead window was issued without
    /// one being used (the backend moves its window only when a code is
    /// used), so a new code would be refused: open the pay code again with
    /// the PIN while online, which provisions a fresh secret.
    #[error("no more codes with this secret: open the pay code again while online")]
    WindowExhausted,
    /// The session's secret was replaced (the pay code was provisioned again,
    /// or the device key reset): open a new session.
    #[error("the pay code was set up again: open it again")]
    SecretReplaced,
    /// The session was closed.
    #[error("the pay-code session is closed")]
    Closed,
    /// No charge with this id in the journal (sync first).
    #[error("no charge {0}")]
    UnknownCharge(String),
    /// The charge is not waiting for the payer any more.
    #[error("charge {charge_id} is {state}, not waiting for the PIN")]
    NotPending {
        /// The charge.
        charge_id: String,
        /// Its state (`paid`, `closed`, `reversed`).
        state: String,
    },
    /// The journal failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why no code can be shown right now (for the UI to explain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaycodeBlock {
    /// The wallet has no PIN / device key yet: enrol.
    NotEnrolled,
    /// No pay code yet: open it with the PIN while online.
    NotProvisioned,
    /// Too many wrong PINs: wait `retry_after_secs`.
    PinLocked {
        /// Seconds until the next attempt.
        retry_after_secs: u64,
    },
    /// The PIN is blocked: re-enrol.
    PinDisabled,
    /// The device key can no longer be opened on this phone (restored to a
    /// new phone, key store wiped): reset and re-enrol.
    KeyUnusable,
    /// The offline limits: sync to show more codes.
    OfflineLimit(OfflineLimit),
    /// The secret's counter window is used up: open the pay code again with
    /// the PIN while online ([`PaycodeError::WindowExhausted`]).
    WindowExhausted,
}

/// What the UI shows about the pay code before (and while) showing one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaycodeStatus {
    /// A secret is provisioned.
    pub provisioned: bool,
    /// The backend's generation of the secret.
    pub generation: Option<u32>,
    /// The account charged.
    pub account_id: Option<String>,
    /// Codes issued since the last sync.
    pub issued_since_sync: u32,
    /// The limits that apply (the stricter of the wallet's and the
    /// backend's), once provisioned.
    pub limits: Option<PaycodeLimits>,
    /// The last successful sync (wallet clock).
    pub last_sync_at: Option<u64>,
    /// Why no code can be shown now, if none can.
    pub blocked: Option<PaycodeBlock>,
    /// Charges waiting for the PIN.
    pub pending_charges: u32,
}

/// The pay code of one wallet.
pub struct PaycodeService {
    pub(crate) store: Store,
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) config: PaycodeConfig,
    pub(crate) clock: Arc<dyn Clock>,
    trust: Arc<RwLock<TrustStore>>,
    status: StatusMonitor,
    backend: RwLock<Option<Arc<dyn PaycodeBackend>>>,
    rng: SystemRandom,
    /// Charges journalled by a sync the app did not ask for (the one
    /// [`super::PaycodeSession::current`] makes before a new code), waiting
    /// to be returned by the app's next [`PaycodeService::sync`]: otherwise
    /// a "paid" heard there would never reach the screen that long-polls.
    /// Journal and queue change under this lock together.
    undelivered: Mutex<Vec<PaycodeChargeInfo>>,
}

impl std::fmt::Debug for PaycodeService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaycodeService")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl PaycodeService {
    /// A service over the wallet's parts (no backend until
    /// [`PaycodeService::set_backend`]).
    pub fn new(
        store: Store,
        auth: Arc<Authenticator>,
        config: PaycodeConfig,
        clock: Arc<dyn Clock>,
        trust: Arc<RwLock<TrustStore>>,
        status: StatusMonitor,
    ) -> PaycodeService {
        PaycodeService {
            store,
            auth,
            config,
            clock,
            trust,
            status,
            backend: RwLock::new(None),
            rng: SystemRandom::new(),
            undelivered: Mutex::new(Vec::new()),
        }
    }

    /// Attaches the backend (replacing any earlier one).
    pub fn set_backend(&self, backend: Arc<dyn PaycodeBackend>) {
        *self.backend.write().unwrap_or_else(PoisonError::into_inner) = Some(backend);
    }

    pub(crate) fn backend(&self) -> Option<Arc<dyn PaycodeBackend>> {
        self.backend
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Tells the connectivity monitor how a call went, as the payment
    /// engine does for its own. A long-poll's reply proves the backend
    /// reachable but says nothing about latency (it waited on purpose), so
    /// it is reported as an immediate reply.
    fn observe<T>(&self, started_ms: u64, result: &Result<T, BackendError>, long_poll: bool) {
        let done = self.clock.now_millis();
        let latency = if long_poll {
            0
        } else {
            done.saturating_sub(started_ms)
        };
        self.status
            .record_request(request_outcome(result, latency), done);
    }

    /// Whether the connectivity monitor says offline (then a new code is
    /// made without trying a sync first).
    pub(crate) fn known_offline(&self) -> bool {
        self.status.current().connectivity.is_offline()
    }

    /// The status at `now` (wallet clock). Reads the store and asks the
    /// platform key store whether the device key still opens (no PIN).
    pub fn status(&self, now: u64) -> Result<PaycodeStatus, PaycodeError> {
        let (state, issued) = self
            .store
            .paycode_transaction(|tx| Ok((tx.state()?, tx.issued_since_sync()?)))?;
        let limits = state.as_ref().map(|s| self.limits_of(s)).transpose()?;
        let auth = self.auth.status(now)?;
        let blocked = if auth.disabled {
            Some(PaycodeBlock::PinDisabled)
        } else if !auth.enrolled {
            Some(PaycodeBlock::NotEnrolled)
        } else if let Err(e) = self.auth.device_public_key() {
            if e.device_key_unusable() {
                Some(PaycodeBlock::KeyUnusable)
            } else {
                return Err(e.into());
            }
        } else if auth.retry_after_secs > 0 {
            Some(PaycodeBlock::PinLocked {
                retry_after_secs: auth.retry_after_secs,
            })
        } else if state.is_none() {
            Some(PaycodeBlock::NotProvisioned)
        } else if state.as_ref().is_some_and(|s| window_left(s) == 0) {
            Some(PaycodeBlock::WindowExhausted)
        } else {
            limits
                .as_ref()
                .and_then(|l| limits::check(l, issued).err())
                .map(PaycodeBlock::OfflineLimit)
        };
        let pending = u32::try_from(self.pending_charges()?.len()).unwrap_or(u32::MAX);
        Ok(PaycodeStatus {
            provisioned: state.is_some(),
            generation: state.as_ref().map(|s| s.provision.generation),
            account_id: state.as_ref().map(|s| s.provision.account_id.clone()),
            issued_since_sync: if state.is_some() { issued } else { 0 },
            limits,
            last_sync_at: state.as_ref().and_then(|s| s.last_sync_at),
            blocked,
            pending_charges: pending,
        })
    }

    /// The limits that apply to the current provisioning.
    pub(crate) fn limits_of(&self, state: &PaycodeStateRow) -> Result<PaycodeLimits, StoreError> {
        // from_slice: one serde_json reader type in the library (see
        // PaycodeCharge::from_json).
        let backend: PaycodeLimits = serde_json::from_slice(state.limits_json.as_bytes())
            .map_err(|e| StoreError::Corrupt(format!("pay-code limits: {e}")))?;
        Ok(limits::effective(&self.config, &backend))
    }

    /// Opens the pay code with the PIN (one counted attempt), provisioning
    /// it first when the wallet has none and a backend is attached. See the
    /// module docs.
    pub fn open(self: &Arc<Self>, pin: &PinPad) -> Result<PaycodeSession, PaycodeError> {
        let now = self.clock.now();
        let state = self.store.paycode_transaction(|tx| tx.state())?;
        let backend = self.backend();
        if state.is_none() && backend.is_none() {
            return Err(PaycodeError::NotProvisioned);
        }
        let key = self.auth.unlock(pin, now)?;
        if let Some(st) = state.filter(|s| s.provision.device_public_key == key.public_key()) {
            match self.auth.open_paycode_secret(&key, &st.sealed_secret) {
                // Counters far ahead of the backend's window (codes shown
                // and never used: the backend moves its floor only on use)
                // are refreshed while the PIN has opened the device key.
                Ok(_) if backend.is_some() && window_low(&st) => {}
                Ok((_, bytes)) => {
                    let secret = PaycodeSecret::from_bytes(&bytes[..])
                        .map_err(|e| PaycodeError::BadAnswer(e.to_string()))?;
                    return Ok(PaycodeSession::new(
                        Arc::clone(self),
                        st.provision_id,
                        secret,
                    ));
                }
                // A damaged or foreign blob, or a key store that lost its
                // key: not the PIN's fault; provisioning again replaces it.
                Err(e) if e.device_key_unusable() && backend.is_some() => {}
                Err(e) => return Err(e.into()),
            }
        }
        let backend = backend.ok_or(PaycodeError::NotProvisioned)?;
        let (provision_id, secret) = self.provision(&key, backend.as_ref(), now)?;
        Ok(PaycodeSession::new(Arc::clone(self), provision_id, secret))
    }

    fn provision(
        &self,
        key: &DeviceKey,
        backend: &dyn PaycodeBackend,
        now: u64,
    ) -> Result<(u64, PaycodeSecret), PaycodeError> {
        let mut nonce = [0u8; 16];
        self.rng
            .fill(&mut nonce)
            .map_err(|_| PaycodeError::Auth(AuthError::Crypto))?;
        let nonce = URL_SAFE_NO_PAD.encode(nonce);
        let signature = key
            .sign(&ProvisionRequest::signed_bytes(now, &nonce))
            .map_err(AuthError::from)?;
        let req = ProvisionRequest {
            device_public_key: URL_SAFE_NO_PAD.encode(key.public_key()),
            time: now,
            nonce,
            signature: URL_SAFE_NO_PAD.encode(signature),
        };
        let started = self.clock.now_millis();
        let resp = backend.provision(&req);
        self.observe(started, &resp, false);
        let resp = resp.map_err(PaycodeError::Backend)?;
        let bytes = zeroize::Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(resp.secret.as_bytes())
                .map_err(|_| PaycodeError::BadAnswer("secret is not base64url".into()))?,
        );
        let secret = PaycodeSecret::from_bytes(&bytes)
            .map_err(|e| PaycodeError::BadAnswer(e.to_string()))?;
        if resp.step_secs != STEP_SECS {
            return Err(PaycodeError::BadAnswer(format!(
                "time step {} s, this wallet makes {STEP_SECS} s steps",
                resp.step_secs
            )));
        }
        let blob = self
            .auth
            .seal_paycode_secret(key, secret.as_bytes(), resp.generation)?;
        let limits_json = serde_json::to_string(&resp.limits)
            .map_err(|e| PaycodeError::BadAnswer(e.to_string()))?;
        let row = ProvisionRow {
            device_public_key: key.public_key().to_vec(),
            generation: resp.generation,
            first_counter: resp.counter,
            window: resp.window,
            step_secs: resp.step_secs,
            account_id: resp.account_id.clone(),
            provisioned_at: now,
        };
        let id = self
            .store
            .paycode_transaction(|tx| tx.provision(&row, &blob, &limits_json))?;
        Ok((id, secret))
    }

    /// One sync: events after the stored cursor (long-polled up to
    /// `wait_secs`, at most [`MAX_EVENTS_WAIT_SECS`]), journalled by seq
    /// (never lost, never doubled; an answer with a gap is refused). Returns the charges that changed, in feed order.
    /// A successful call is the wallet's "online sync": the codes issued
    /// before it no longer count against the offline limits.
    ///
    /// The charges a sync made by [`super::PaycodeSession::current`] heard
    /// are returned by the next call of this method (at once, without
    /// waiting), so an app that long-polls here misses none.
    pub fn sync(&self, wait_secs: u64) -> Result<Vec<PaycodeChargeInfo>, PaycodeError> {
        let waiting = !lock(&self.undelivered).is_empty();
        let wait = if waiting { 0 } else { wait_secs };
        self.sync_rounds(wait, true)
    }

    /// A sync for the session before a new code: what it hears is kept for
    /// the app's next [`PaycodeService::sync`].
    pub(crate) fn sync_for_session(&self) -> Result<(), PaycodeError> {
        self.sync_rounds(0, false).map(|_| ())
    }

    fn sync_rounds(
        &self,
        wait_secs: u64,
        deliver: bool,
    ) -> Result<Vec<PaycodeChargeInfo>, PaycodeError> {
        let backend = self.backend().ok_or(PaycodeError::NoBackend)?;
        let mut wait = wait_secs.min(MAX_EVENTS_WAIT_SECS);
        let mut changed = Vec::new();
        for _ in 0..MAX_SYNC_ROUNDS {
            let Some((provision, device, cursor, mark)) = self.store.paycode_transaction(|tx| {
                let Some(st) = tx.state()? else {
                    return Ok(None);
                };
                let cursor = tx.events_cursor(&st.provision.device_public_key)?;
                Ok(Some((
                    st.provision_id,
                    st.provision.device_public_key,
                    cursor,
                    st.counter_next,
                )))
            })?
            else {
                return Err(PaycodeError::NotProvisioned);
            };
            let started = self.clock.now_millis();
            let resp = backend.events(cursor, wait);
            self.observe(started, &resp, wait > 0);
            let resp = resp.map_err(PaycodeError::Backend)?;
            let now = self.clock.now();
            let limits_json = serde_json::to_string(&resp.limits)
                .map_err(|e| PaycodeError::BadAnswer(e.to_string()))?;
            let mut events: Vec<&ChargeEvent> =
                resp.events.iter().filter(|e| e.seq > cursor).collect();
            events.sort_by_key(|e| e.seq);
            // The feed has no gaps (contract): a jump would move the cursor
            // past events never received, so the answer is refused whole.
            if events
                .iter()
                .zip(cursor.saturating_add(1)..)
                .any(|(e, want)| e.seq != want)
            {
                return Err(PaycodeError::BadAnswer(format!(
                    "the event feed skips from seq {cursor}"
                )));
            }
            let mut undelivered = lock(&self.undelivered);
            let applied = self.store.paycode_transaction(|tx| {
                let mut applied = Vec::new();
                for e in events {
                    if let Some(c) = apply_event(tx, &device, e, now)? {
                        applied.push(c);
                    }
                }
                tx.record_sync(provision, resp.counter_next, &limits_json, mark, now)?;
                Ok(applied)
            })?;
            let infos = applied.into_iter().map(|c| self.info(c));
            if deliver {
                changed.append(&mut undelivered);
                changed.extend(infos);
            } else {
                undelivered.extend(infos);
            }
            drop(undelivered);
            if !resp.has_more {
                break;
            }
            wait = 0;
        }
        Ok(changed)
    }

    /// The registered name when the registry lists the merchant, else the
    /// event's, marked as such.
    fn merchant(&self, charge: &PaycodeCharge) -> ChargeMerchant {
        let trust = self.trust.read().unwrap_or_else(PoisonError::into_inner);
        match trust
            .registry()
            .and_then(|r| r.merchant_name(&charge.merchant_id))
        {
            Some(name) => ChargeMerchant {
                id: charge.merchant_id.clone(),
                name: name.to_string(),
                registered: true,
            },
            None => ChargeMerchant {
                id: charge.merchant_id.clone(),
                name: charge.event_merchant_name.clone(),
                registered: false,
            },
        }
    }

    fn info(&self, charge: PaycodeCharge) -> PaycodeChargeInfo {
        PaycodeChargeInfo {
            merchant: self.merchant(&charge),
            method: charge.method(),
            charge,
        }
    }

    /// Charges waiting for the payer's PIN whose expiry (backend clock) has
    /// not passed on the wallet's clock, oldest first.
    pub fn pending_charges(&self) -> Result<Vec<PendingCharge>, PaycodeError> {
        let now = self.clock.now();
        let rows = self
            .store
            .paycode_transaction(|tx| tx.charges(MAX_HISTORY))?;
        let mut out = Vec::new();
        for row in rows.iter().rev() {
            let c = PaycodeCharge::from_json(&row.record)?;
            if c.state == ChargeState::Userpaying && c.expires_at.is_none_or(|t| now <= t) {
                out.push(PendingCharge {
                    merchant: self.merchant(&c),
                    charge_id: c.charge_id,
                    amount: c.amount,
                    expires_at: c.expires_at,
                });
            }
        }
        Ok(out)
    }

    fn load_pending(&self, charge_id: &str) -> Result<PaycodeCharge, PaycodeError> {
        let row = self
            .store
            .paycode_transaction(|tx| tx.charge(charge_id))?
            .ok_or_else(|| PaycodeError::UnknownCharge(charge_id.to_string()))?;
        let charge = PaycodeCharge::from_json(&row.record)?;
        if charge.state != ChargeState::Userpaying {
            return Err(PaycodeError::NotPending {
                charge_id: charge_id.to_string(),
                state: charge.state.code().to_string(),
            });
        }
        Ok(charge)
    }

    /// Confirms a charge waiting for the PIN: one counted PIN attempt signs
    /// the contract's authorisation, the answer is journalled (method: PIN),
    /// then sent. The outcome is the backend's answer; when the charge had
    /// already ended (409 `charge-not-pending`), a sync tells how.
    pub fn confirm(&self, charge_id: &str, pin: &PinPad) -> Result<ChargeOutcome, PaycodeError> {
        let charge = self.load_pending(charge_id)?;
        let backend = self.backend().ok_or(PaycodeError::NoBackend)?;
        let now = self.clock.now();
        let signed = self.auth.authorise(pin, charge.authorisation(now), now)?;
        self.store.paycode_transaction(|tx| {
            record_confirmation(tx, charge_id, PayerAnswer::Confirmed, now)
        })?;
        let started = self.clock.now_millis();
        let answer = backend.confirm(
            charge_id,
            &ConfirmRequest {
                authorisation: signed,
            },
        );
        self.observe(started, &answer, false);
        self.finish_answer(charge_id, answer)
    }

    /// Declines a charge waiting for the PIN (no PIN needed): journalled,
    /// then sent.
    pub fn decline(&self, charge_id: &str) -> Result<ChargeOutcome, PaycodeError> {
        self.load_pending(charge_id)?;
        let backend = self.backend().ok_or(PaycodeError::NoBackend)?;
        let now = self.clock.now();
        self.store.paycode_transaction(|tx| {
            record_confirmation(tx, charge_id, PayerAnswer::Declined, now)
        })?;
        let started = self.clock.now_millis();
        let answer = backend.decline(charge_id);
        self.observe(started, &answer, false);
        self.finish_answer(charge_id, answer)
    }

    /// Applies the backend's answer to a confirmation or decline to the
    /// charge's record (not to the feed: the same event comes through the
    /// feed in order, and storing its seq here could skip earlier ones).
    fn finish_answer(
        &self,
        charge_id: &str,
        answer: Result<ChargeEvent, BackendError>,
    ) -> Result<ChargeOutcome, PaycodeError> {
        let event = match answer {
            Ok(e) if e.charge_id == charge_id => e,
            Ok(_) => {
                return Err(PaycodeError::BadAnswer(
                    "the answer names another charge".into(),
                ))
            }
            Err(BackendError::Server {
                status: 409,
                message,
            }) if message.starts_with(error_code::CHARGE_NOT_PENDING) => {
                // Ended meanwhile (timed out, reversed): the feed says how.
                let _ = self.sync(0);
                let row = self
                    .store
                    .paycode_transaction(|tx| tx.charge(charge_id))?
                    .ok_or_else(|| PaycodeError::UnknownCharge(charge_id.to_string()))?;
                return Ok(ChargeOutcome::of(&PaycodeCharge::from_json(&row.record)?));
            }
            Err(e) => return Err(PaycodeError::Backend(e)),
        };
        let now = self.clock.now();
        let charge = self.store.paycode_transaction(|tx| {
            let Some(row) = tx.charge(charge_id)? else {
                return Ok(None);
            };
            let mut c = PaycodeCharge::from_json(&row.record)?;
            // Only forward: a feed that already moved past it wins.
            if c.state == ChargeState::Userpaying {
                c.apply(&event);
                tx.save_charge(&PaycodeChargeRow {
                    state: c.state.code().to_string(),
                    record: c.to_json()?,
                    updated_at: now,
                    ..row
                })?;
            }
            Ok(Some(c))
        })?;
        let charge = charge.ok_or_else(|| PaycodeError::UnknownCharge(charge_id.to_string()))?;
        Ok(ChargeOutcome::of(&charge))
    }

    /// The pay-code charges, newest first (at most [`MAX_HISTORY`]), with the receipt
    /// the till got. Kept apart from the payments' history: a charge is the
    /// merchant's request against the payer's code, not a payment the payer
    /// started.
    pub fn history(&self) -> Result<Vec<PaycodeChargeInfo>, PaycodeError> {
        let rows = self
            .store
            .paycode_transaction(|tx| tx.charges(MAX_HISTORY))?;
        rows.iter()
            .map(|r| Ok(self.info(PaycodeCharge::from_json(&r.record)?)))
            .collect()
    }
}
