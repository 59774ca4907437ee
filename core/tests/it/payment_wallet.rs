//! The wallet façade: open from a data directory, pay, reopen.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use crate::payment_support::*;
use scanpay_core::payment::{Clock, FlowState, Intent, PaymentState};
use scanpay_core::wallet::{Wallet, WalletOptions};

fn open(w: &World) -> Wallet {
    let clock: Arc<dyn Clock> = w.clock.clone();
    Wallet::open(WalletOptions {
        data_dir: w.dir.path().join("data"),
        roots: roots(),
        config: config(),
        keystore: w.keystore.clone(),
        backend: w.sim.clone(),
        clock,
    })
    .unwrap()
}

#[test]
fn open_pay_reopen() {
    let w = World::new(config());
    let wallet = open(&w);
    w.sim.set_journal(wallet.store().clone());
    assert!(wallet.registry_info().is_none());
    assert!(wallet.registry_problem().is_none());
    wallet
        .authenticator()
        .enrol(&pad(PIN), w.clock.now())
        .unwrap();
    // No registry yet: the merchant does not verify.
    let mut flow = wallet.new_flow();
    let s = flow
        .handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    assert!(matches!(&s, FlowState::ReviewMerchant { review } if !review.payable));
    flow.handle(Intent::Cancel).unwrap();

    let info = wallet.apply_registry(&registry_doc()).unwrap();
    assert_eq!(info.version, 1);
    flow.handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    flow.handle(Intent::Proceed).unwrap();
    flow.handle(Intent::EditAmount("12".into())).unwrap();
    flow.handle(Intent::Confirm {
        displayed_total: thb(1200),
    })
    .unwrap();
    for c in PIN.bytes() {
        flow.handle(Intent::PinDigit(c - b'0')).unwrap();
    }
    let s = flow.process(&mut |_| {}).unwrap();
    let FlowState::Done { payment_id, .. } = s else {
        panic!("{s:?}")
    };
    drop(flow);
    drop(wallet);

    // Reopened offline: the cached registry still verifies the merchant.
    let wallet = open(&w);
    w.sim.set_journal(wallet.store().clone());
    assert_eq!(wallet.registry_info().unwrap().version, 1);
    assert!(wallet.start().payments.is_empty());
    wallet.set_network_available(false);
    assert!(wallet.status().current().connectivity.is_offline());
    let mut flow = wallet.new_flow();
    let s = flow
        .handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    assert!(matches!(&s, FlowState::ReviewMerchant { review } if review.payable));
    assert_eq!(
        wallet.payment(&payment_id).unwrap().unwrap().state,
        PaymentState::Succeeded
    );
    assert!(wallet.forward_queued().unwrap().is_empty());
}

#[test]
fn a_bad_registry_is_refused_and_not_cached() {
    let w = World::new(config());
    let wallet = open(&w);
    let mut doc = registry_doc();
    let last = doc.len() - 10;
    doc[last] ^= 1;
    assert!(wallet.apply_registry(&doc).is_err());
    assert!(wallet.store().load_registry_doc().unwrap().is_none());
    drop(wallet);
    // A cached registry that expired long ago is still loaded, as stale.
    let w2 = World::new(config());
    let wallet = open(&w2);
    wallet.apply_registry(&registry_doc()).unwrap();
    drop(wallet);
    w2.clock.set(NOW + 400 * 86_400);
    let wallet = open(&w2);
    assert!(wallet.registry_info().unwrap().stale);
    // A damaged cache does not stop the wallet from opening; it says why.
    wallet.store().save_registry_doc(b"{damaged").unwrap();
    drop(wallet);
    let wallet = open(&w2);
    assert!(wallet.registry_problem().is_some());
    assert!(wallet.registry_info().is_none());
}

#[test]
fn shared_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Wallet>();
    send_sync::<scanpay_core::payment::PaymentEngine>();
    send_sync::<scanpay_core::status::StatusMonitor>();
    send::<scanpay_core::payment::PaymentFlow>();
}
