//! Charges made with this wallet's codes, as the wallet journals them, and
//! the payer's answer to one above the no-PIN amount.
//!
//! A charge is learnt from the event feed only (the till talks to the
//! backend, never to the phone). Its journal record ([`PaycodeCharge`], JSON
//! in `paycode_charges`) keeps the last state the feed gave, the receipt,
//! and whether the payer's PIN was needed and given. The pay-code history is
//! kept apart from the payments' (`Wallet::paycode_history`): a pay-code
//! charge has no payment id, no scanned payload and no engine state, and the
//! same receipt number the till got is shown.

use serde::{Deserialize, Serialize};

use crate::auth::PaymentAuthorisation;
use crate::money::Money;
use crate::net::api::paycode::{charge_descriptor, ChargeEvent, ChargeState};
use crate::store::StoreError;

/// The `merchant_key_id` of a pay-code confirmation (the contract's fixed
/// value: no registry key signed anything, the backend named the merchant).
pub const CONFIRM_MERCHANT_KEY_ID: &str = "paycode";

/// How a charge was authorised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// The code alone (at most the no-PIN amount).
    Code,
    /// The code, then the payer's PIN on the phone.
    CodeAndPin,
}

/// What the payer answered to a charge waiting for the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PayerAnswer {
    /// Confirmed with the PIN (journalled before it was sent).
    Confirmed,
    /// Declined (journalled before it was sent).
    Declined,
}

/// One charge as journalled (the pay-code module's record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaycodeCharge {
    /// The backend's id of the charge.
    pub charge_id: String,
    /// Its last state heard from the feed.
    pub state: ChargeState,
    /// The merchant id.
    pub merchant_id: String,
    /// The merchant's name as the event gave it (the backend's word).
    pub event_merchant_name: String,
    /// The amount.
    pub amount: Money,
    /// The receipt number, once paid.
    pub receipt: Option<String>,
    /// The code counter used.
    pub counter: u64,
    /// The backend's time of the last event, unix seconds.
    pub at: u64,
    /// While waiting for the PIN: when the backend closes it.
    pub expires_at: Option<u64>,
    /// The charge went through `userpaying`: the payer's PIN was asked.
    pub pin_required: bool,
    /// What this wallet answered, if it did.
    pub payer_answer: Option<PayerAnswer>,
    /// When it answered (wallet clock).
    pub payer_answered_at: Option<u64>,
}

impl PaycodeCharge {
    pub(crate) fn from_event(e: &ChargeEvent) -> PaycodeCharge {
        PaycodeCharge {
            charge_id: e.charge_id.clone(),
            state: e.state,
            merchant_id: e.merchant_id.clone(),
            event_merchant_name: e.merchant_name.clone(),
            amount: e.amount,
            receipt: e.receipt.clone(),
            counter: e.counter,
            at: e.at,
            expires_at: e.expires_at,
            pin_required: e.state == ChargeState::Userpaying,
            payer_answer: None,
            payer_answered_at: None,
        }
    }

    /// Applies a later event of the same charge (events arrive in feed
    /// order, which is the charge's order).
    pub(crate) fn apply(&mut self, e: &ChargeEvent) {
        self.state = e.state;
        self.at = e.at;
        if e.receipt.is_some() {
            self.receipt = e.receipt.clone();
        }
        self.expires_at = if e.state == ChargeState::Userpaying {
            e.expires_at
        } else {
            None
        };
        self.pin_required |= e.state == ChargeState::Userpaying;
    }

    /// How it was authorised (meaningful once paid).
    pub fn method(&self) -> AuthMethod {
        if self.pin_required {
            AuthMethod::CodeAndPin
        } else {
            AuthMethod::Code
        }
    }

    /// Whether it is waiting for this payer's answer: `userpaying` and not
    /// answered yet.
    pub fn awaits_payer(&self) -> bool {
        self.state == ChargeState::Userpaying && self.payer_answer.is_none()
    }

    /// The authorisation a confirmation signs (the contract's rule:
    /// `payment_id` = charge id, `merchant_key_id` = "paycode",
    /// `merchant_account` = merchant id, the amount, `payload_sha256` =
    /// SHA-256 of the charge descriptor).
    pub fn authorisation(&self, time: u64) -> PaymentAuthorisation {
        let descriptor = charge_descriptor(&self.charge_id, &self.merchant_id, &self.amount);
        PaymentAuthorisation {
            payment_id: self.charge_id.clone(),
            merchant_key_id: CONFIRM_MERCHANT_KEY_ID.to_string(),
            merchant_account: self.merchant_id.clone(),
            amount_minor: self.amount.minor,
            currency: self.amount.currency,
            payload_sha256: sha256(&descriptor),
            time,
        }
    }

    pub(crate) fn to_json(&self) -> Result<String, StoreError> {
        serde_json::to_string(self).map_err(|e| StoreError::Sqlite(e.to_string()))
    }

    pub(crate) fn from_json(s: &str) -> Result<PaycodeCharge, StoreError> {
        // from_slice, not from_str: the library's other JSON is read from
        // byte slices, and a second reader type would link a second copy of
        // serde_json's parser (ADR 0009, BENCHMARKS.md "Library size").
        serde_json::from_slice(s.as_bytes())
            .map_err(|e| StoreError::Corrupt(format!("pay-code charge: {e}")))
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Who was paid, for the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeMerchant {
    /// The merchant id.
    pub id: String,
    /// The name to show.
    pub name: String,
    /// True when `name` comes from the verified merchant registry; false
    /// when the registry does not list the merchant and `name` is the
    /// backend event's (the UI should mark it, e.g. "as named by ScanPay").
    pub registered: bool,
}

/// A charge with what the UI shows about it (history, notifications).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaycodeChargeInfo {
    /// The journal record.
    pub charge: PaycodeCharge,
    /// The merchant that charged it, as the backend named it.
    pub merchant: ChargeMerchant,
    /// How it was authorised.
    pub method: AuthMethod,
}

/// A charge above the no-PIN amount waiting for the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCharge {
    /// The backend's id of the charge.
    pub charge_id: String,
    /// Who asks.
    pub merchant: ChargeMerchant,
    /// How much.
    pub amount: Money,
    /// When the backend closes it if unanswered (backend clock, unix s).
    pub expires_at: Option<u64>,
}

/// What became of a charge the payer answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    /// Paid (the receipt, when the feed already gave it).
    Paid {
        /// The receipt number.
        receipt: Option<String>,
    },
    /// Closed without a charge (declined, timed out, or the till reversed it
    /// while it waited).
    Closed,
    /// Paid, then refunded by the till.
    Reversed,
    /// The answer was journalled and sent, but its outcome is not known yet
    /// (no answer, or the feed has not shown it): the next sync tells.
    Unknown,
}

impl ChargeOutcome {
    pub(crate) fn of(charge: &PaycodeCharge) -> ChargeOutcome {
        match charge.state {
            ChargeState::Paid => ChargeOutcome::Paid {
                receipt: charge.receipt.clone(),
            },
            ChargeState::Closed => ChargeOutcome::Closed,
            ChargeState::Reversed => ChargeOutcome::Reversed,
            ChargeState::Userpaying => ChargeOutcome::Unknown,
        }
    }
}
