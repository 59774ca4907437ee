//! The payment flow's PIN pad when the sixth digit's attempt is refused with
//! an error (not a wrong PIN): the state must show what the pad holds.
// Helpers outside #[test] fns unwrap too: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::payment_support::*;
use scanpay_core::auth::{AuthError, KeyStoreError};
use scanpay_core::payment::{FlowError, FlowState, Intent, PaymentFlow};

fn to_pin(flow: &mut PaymentFlow) {
    flow.handle(Intent::ScannedText(static_code(Tip::None)))
        .unwrap();
    flow.handle(Intent::Proceed).unwrap();
    let s = flow.handle(Intent::EditAmount("12.50".into())).unwrap();
    let FlowState::EnterAmount {
        breakdown: Some(b), ..
    } = s
    else {
        panic!("{s:?}")
    };
    flow.handle(Intent::Confirm {
        displayed_total: b.total,
    })
    .unwrap();
}

fn count(s: &FlowState) -> usize {
    match s {
        FlowState::EnterPin { digits, .. } => *digits,
        other => panic!("not on the PIN pad: {other:?}"),
    }
}

#[test]
fn a_refused_sixth_digit_leaves_the_state_showing_the_empty_pad() {
    let w = World::new(config());
    let app = w.open();
    let mut flow = app.flow();
    to_pin(&mut flow);
    // The stored key is damaged: the attempt errs before the PIN is tried
    // (nothing counted), as a key store failure would.
    app.store.save_sealed_key(b"damaged").unwrap();
    for (i, c) in PIN.bytes().take(5).enumerate() {
        let s = flow.handle(Intent::PinDigit(c - b'0')).unwrap();
        assert_eq!(count(&s), i + 1);
    }
    let sixth = PIN.as_bytes()[5] - b'0';
    assert_eq!(
        flow.handle(Intent::PinDigit(sixth)),
        Err(FlowError::Pin(AuthError::KeyStore(KeyStoreError::Rejected)))
    );
    // The pad was wiped: the state says 0 digits (not the 5 shown before)
    // and carries the error.
    let FlowState::EnterPin {
        digits, last_error, ..
    } = flow.state()
    else {
        panic!("{:?}", flow.state())
    };
    assert_eq!(*digits, 0);
    assert_eq!(
        last_error,
        &Some(AuthError::KeyStore(KeyStoreError::Rejected))
    );
    // And the pad agrees: the next press is the first digit.
    let s = flow.handle(Intent::PinDigit(1)).unwrap();
    assert_eq!(count(&s), 1);
    assert_eq!(app.auth.status(NOW).unwrap().failures, 0);
}
