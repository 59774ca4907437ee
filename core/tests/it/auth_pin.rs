//! PIN pad, PIN policy, the sealed blob, the software key store and payment
//! authorisations — the parts that need no store.
// Helpers outside #[test] fns panic too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use ring::rand::SystemRandom;
use scanpay_core::auth::{
    derive_pin_key, KdfParams, BLOCKLIST, DEFAULT_ITERATIONS, MAX_SEALED_LEN, MIN_ITERATIONS,
};

/// The sealed blob's header length, written out from ADR 0005's layout
/// rather than taken from the code, so a change to the layout fails here.
const HEADER_LEN: usize = 72;
use scanpay_core::auth::{
    check_new_pin, verify_authorisation, AuthError, AuthorisationError, DeviceKey, KeyStoreError,
    PaymentAuthorisation, PinPad, PinRejected, PlatformKeyStore, SealedError, SealedKey,
    SignedAuthorisation, SoftwareKeyStore,
};
use scanpay_core::money::Currency;

fn pad(digits: &str) -> PinPad {
    let mut p = PinPad::new();
    for c in digits.bytes() {
        p.press(c - b'0').ok();
    }
    p
}

// ---------- pad ----------

#[test]
fn pad_reports_only_counts() {
    let mut p = PinPad::new();
    assert_eq!((p.len(), p.is_empty(), p.is_complete()), (0, true, false));
    let counts: Vec<usize> = [9, 0, 3, 7, 7, 2]
        .iter()
        .map(|d| p.press(*d).unwrap_or(usize::MAX))
        .collect();
    assert_eq!(counts, [1, 2, 3, 4, 5, 6]);
    assert!(p.is_complete());
    assert_eq!(p.press(1), Err(AuthError::PinPadFull));
    assert_eq!(p.len(), 6);
    assert_eq!(p.backspace(), 5);
    assert!(!p.is_complete());
    assert_eq!(p.press(4), Ok(6));
    p.clear();
    assert_eq!((p.len(), p.is_empty()), (0, true));
}

#[test]
fn pad_refuses_non_digits_and_ignores_backspace_when_empty() {
    let mut p = PinPad::new();
    for bad in [10u8, b'0', b'9', 255] {
        assert_eq!(p.press(bad), Err(AuthError::NotADigit));
    }
    assert_eq!(p.len(), 0);
    assert_eq!(p.backspace(), 0);
    assert_eq!(p.backspace(), 0);
    assert_eq!(p.press(0), Ok(1));
    assert_eq!(p.backspace(), 0);
    assert_eq!(p.backspace(), 0);
}

#[test]
fn pad_debug_shows_only_the_count() {
    let p = pad("481592");
    let dbg = format!("{p:?}");
    assert_eq!(dbg, "PinPad { entered: 6 }");
    assert!(!format!("{p:#?}").contains("481592"));
}

// ---------- policy ----------

#[test]
fn every_blocklisted_pin_is_refused() {
    assert!(BLOCKLIST.len() >= 20);
    for pin in BLOCKLIST {
        assert!(check_new_pin(&pad(pin)).is_err(), "{pin} accepted");
    }
    for pin in [
        "123456", "111111", "000000", "121212", "123123", "654321", "696969", "112233", "159753",
        "520520", "123321", "666666", "789456", "147258", "101010", "131313", "202020", "987654",
        "112211", "110110", "000001", "999999",
    ] {
        assert!(
            BLOCKLIST.contains(&pin) || check_new_pin(&pad(pin)).is_err(),
            "{pin}"
        );
        assert!(check_new_pin(&pad(pin)).is_err(), "{pin} accepted");
    }
    assert_eq!(check_new_pin(&pad("520520")), Err(PinRejected::Common));
    assert_eq!(check_new_pin(&pad("110110")), Err(PinRejected::Common));
}

#[test]
fn all_same_and_sequences_are_refused() {
    for d in 0..=9u8 {
        let same: String = std::iter::repeat_n(char::from(b'0' + d), 6).collect();
        assert_eq!(
            check_new_pin(&pad(&same)),
            Err(PinRejected::AllSame),
            "{same}"
        );
        let up: String = (0..6).map(|i| char::from(b'0' + (d + i) % 10)).collect();
        let down: String = (0..6)
            .map(|i| char::from(b'0' + (d + 10 - i) % 10))
            .collect();
        assert_eq!(check_new_pin(&pad(&up)), Err(PinRejected::Sequence), "{up}");
        assert_eq!(
            check_new_pin(&pad(&down)),
            Err(PinRejected::Sequence),
            "{down}"
        );
    }
}

#[test]
fn good_pins_are_accepted_and_short_ones_are_not() {
    for pin in ["481592", "730146", "295817", "602938"] {
        assert_eq!(check_new_pin(&pad(pin)), Ok(()), "{pin}");
    }
    assert_eq!(
        check_new_pin(&pad("48159")),
        Err(PinRejected::Incomplete {
            entered: 5,
            expected: 6
        })
    );
    // Almost-sequences are fine: one step breaks the run.
    assert_eq!(check_new_pin(&pad("123457")), Ok(()));
}

// ---------- sealed blob ----------

#[test]
fn wrong_pin_is_a_failed_decryption_and_the_header_is_authenticated() {
    let rng = SystemRandom::new();
    let key = DeviceKey::generate(&rng).map_err(|e| e.to_string());
    let Ok(key) = key else {
        panic!("keygen: {key:?}")
    };
    let sealed = SealedKey::seal(&pad("481592"), &key, DEFAULT_ITERATIONS, &rng);
    let Ok(sealed) = sealed else {
        panic!("seal: {sealed:?}")
    };
    let bytes = sealed.to_bytes();
    assert_eq!(&bytes[..5], b"SPDK\x01");
    assert_eq!(&bytes[8..12], &DEFAULT_ITERATIONS.to_be_bytes());
    assert_eq!(&bytes[40..72], key.public_key());
    // ring's Ed25519 PKCS#8 v2 document is 83 bytes.
    assert_eq!(bytes.len(), HEADER_LEN + 83 + 16);
    let parsed = SealedKey::parse(&bytes).map_err(|e| e.to_string());
    assert_eq!(parsed.as_ref().ok(), Some(&sealed));

    assert_eq!(
        sealed.unseal(&pad("481593")).err(),
        Some(SealedError::Decrypt)
    );

    // Flip one bit of the salt: the header is AAD and also feeds the KDF.
    let mut tampered = bytes.clone();
    tampered[20] ^= 1;
    let t = SealedKey::parse(&tampered).map_err(|e| e.to_string());
    let Ok(t) = t else { panic!("parse: {t:?}") };
    assert_eq!(t.unseal(&pad("481592")).err(), Some(SealedError::Decrypt));
    // Swap in another public key: decrypt fails (AAD), no derivation needed to
    // see it differs, but check the full path once.
    let mut swapped = bytes.clone();
    swapped[50] ^= 0x80;
    let s = SealedKey::parse(&swapped).map_err(|e| e.to_string());
    let Ok(s) = s else { panic!("parse: {s:?}") };
    assert_eq!(s.unseal(&pad("481592")).err(), Some(SealedError::Decrypt));

    let opened = sealed.unseal(&pad("481592")).map_err(|e| e.to_string());
    let Ok(opened) = opened else {
        panic!("unseal: {opened:?}")
    };
    assert_eq!(opened.public_key(), key.public_key());
}

#[test]
fn malformed_blobs_are_refused_before_any_derivation() {
    let mut good = b"SPDK\x01\x01\x01\x01".to_vec();
    good.extend_from_slice(&DEFAULT_ITERATIONS.to_be_bytes());
    good.extend_from_slice(&[7u8; 16 + 12 + 32 + 85 + 16]);
    assert!(SealedKey::parse(&good).is_ok());

    assert_eq!(
        SealedKey::parse(&[]),
        Err(SealedError::Malformed("too short"))
    );
    assert_eq!(
        SealedKey::parse(&good[..HEADER_LEN + 16]),
        Err(SealedError::Malformed("too short"))
    );
    assert_eq!(
        SealedKey::parse(&vec![0u8; MAX_SEALED_LEN + 1]),
        Err(SealedError::Malformed("too long"))
    );
    let mut m = good.clone();
    m[0] = b'X';
    assert_eq!(
        SealedKey::parse(&m),
        Err(SealedError::Malformed("not a sealed device key"))
    );
    let mut v = good.clone();
    v[4] = 2;
    assert_eq!(
        SealedKey::parse(&v),
        Err(SealedError::UnsupportedVersion(2))
    );
    let mut a = good.clone();
    a[6] = 9;
    assert_eq!(SealedKey::parse(&a), Err(SealedError::UnsupportedAlgorithm));
    let mut weak = good.clone();
    weak[8..12].copy_from_slice(&(MIN_ITERATIONS - 1).to_be_bytes());
    assert_eq!(
        SealedKey::parse(&weak),
        Err(SealedError::KdfIterations(MIN_ITERATIONS - 1))
    );
    let mut huge = good;
    huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_eq!(
        SealedKey::parse(&huge),
        Err(SealedError::KdfIterations(u32::MAX))
    );
}

#[test]
fn kdf_refuses_incomplete_pins_and_weak_parameters() {
    let params = KdfParams {
        iterations: DEFAULT_ITERATIONS,
        salt: [1; 16],
    };
    assert_eq!(
        derive_pin_key(&pad("4815"), &params).err(),
        Some(SealedError::PinIncomplete { entered: 4 })
    );
    let weak = KdfParams {
        iterations: 1000,
        salt: [1; 16],
    };
    assert_eq!(
        derive_pin_key(&pad("481592"), &weak).err(),
        Some(SealedError::KdfIterations(1000))
    );
}

// ---------- software key store ----------

#[test]
fn software_key_store_round_trips_and_binds_alias_and_key() {
    let ks = SoftwareKeyStore::generate().map_err(|e| e.to_string());
    let Ok(ks) = ks else { panic!("{ks:?}") };
    let wrapped = ks.wrap("alias-a", b"sealed blob").unwrap_or_default();
    assert_ne!(&wrapped[9..], b"sealed blob");
    assert_eq!(ks.unwrap("alias-a", &wrapped), Ok(b"sealed blob".to_vec()));
    assert_eq!(ks.unwrap("alias-b", &wrapped), Err(KeyStoreError::Rejected));

    // Rebuilt from its persisted key bytes it still unwraps; another key does not.
    let again = SoftwareKeyStore::from_key_bytes(*ks.key_bytes());
    assert_eq!(
        again.unwrap("alias-a", &wrapped),
        Ok(b"sealed blob".to_vec())
    );
    let other = SoftwareKeyStore::from_key_bytes([9; 32]);
    assert_eq!(
        other.unwrap("alias-a", &wrapped),
        Err(KeyStoreError::Rejected)
    );

    let mut flipped = wrapped.clone();
    if let Some(last) = flipped.last_mut() {
        *last ^= 1;
    }
    assert_eq!(ks.unwrap("alias-a", &flipped), Err(KeyStoreError::Rejected));
    assert_eq!(
        ks.unwrap("alias-a", &wrapped[..10]),
        Err(KeyStoreError::Rejected)
    );
    assert!(matches!(
        ks.wrap("", b"x"),
        Err(KeyStoreError::InvalidInput(_))
    ));
    assert!(matches!(
        ks.wrap("a", &vec![0; 5000]),
        Err(KeyStoreError::InvalidInput(_))
    ));
    // Two wrappings of the same data differ (fresh nonce).
    assert_ne!(ks.wrap("alias-a", b"x").ok(), ks.wrap("alias-a", b"x").ok());
    assert!(!format!("{ks:?}").contains(&format!("{:?}", *ks.key_bytes())));
}

// ---------- authorisations ----------

fn sample_auth() -> PaymentAuthorisation {
    PaymentAuthorisation {
        payment_id: "0b7c6f0e-3f5a-4d0e-9c43-6c1f2a9e8d11".into(),
        merchant_key_id: "acq1.m42".into(),
        merchant_account: "A000000677010111:0066812345678".into(),
        amount_minor: 12_550,
        currency: Currency::THB,
        payload_sha256: PaymentAuthorisation::payload_digest("000201010212...6304ABCD"),
        time: 1_760_000_000,
    }
}

#[test]
fn signed_bytes_layout_is_exact() {
    let a = sample_auth();
    let mut expected = b"scanpay:payment-auth:v1\n".to_vec();
    for s in [&a.payment_id, &a.merchant_key_id, &a.merchant_account] {
        expected.extend_from_slice(&(s.len() as u32).to_be_bytes());
        expected.extend_from_slice(s.as_bytes());
    }
    expected.extend_from_slice(&12_550u64.to_be_bytes());
    expected.extend_from_slice(&[0, 0, 0, 3]);
    expected.extend_from_slice(b"THB");
    expected.extend_from_slice(&764u16.to_be_bytes());
    expected.push(2);
    expected.extend_from_slice(&a.payload_sha256);
    expected.extend_from_slice(&1_760_000_000u64.to_be_bytes());
    assert_eq!(a.signed_bytes(), expected);
    // Moving a byte between adjacent strings changes the bytes (length prefixes).
    let mut b = a.clone();
    b.merchant_key_id.push('A');
    b.merchant_account.remove(0);
    assert_ne!(a.signed_bytes(), b.signed_bytes());
}

fn sign(key: &DeviceKey, auth: PaymentAuthorisation) -> SignedAuthorisation {
    let signature = key.sign(&auth.signed_bytes()).unwrap_or_default();
    SignedAuthorisation {
        method: scanpay_core::auth::PaymentAuthMethod::Pin,
        authorisation: auth,
        device_public_key: key.public_key().to_vec(),
        signature,
    }
}

#[test]
fn authorisation_verifies_and_fails_when_any_field_changes() {
    let rng = SystemRandom::new();
    let Ok(key) = DeviceKey::generate(&rng) else {
        panic!("keygen")
    };
    let pk = key.public_key().to_vec();
    let signed = sign(&key, sample_auth());
    assert_eq!(signed.signature.len(), 64);
    assert_eq!(verify_authorisation(&pk, &signed), Ok(()));

    let changes: Vec<fn(&mut PaymentAuthorisation)> = vec![
        |a| a.payment_id.push('0'),
        |a| a.merchant_key_id = "acq1.m43".into(),
        |a| a.merchant_account.push('9'),
        |a| a.amount_minor += 1,
        |a| a.currency = Currency::USD,
        |a| a.payload_sha256[31] ^= 1,
        |a| a.time += 1,
    ];
    for (i, change) in changes.iter().enumerate() {
        let mut s = signed.clone();
        change(&mut s.authorisation);
        assert_eq!(
            verify_authorisation(&pk, &s),
            Err(AuthorisationError::BadSignature),
            "change {i}"
        );
    }
    let mut bad_sig = signed.clone();
    bad_sig.signature[0] ^= 1;
    assert_eq!(
        verify_authorisation(&pk, &bad_sig),
        Err(AuthorisationError::BadSignature)
    );
    let mut short_sig = signed.clone();
    short_sig.signature.truncate(10);
    assert_eq!(
        verify_authorisation(&pk, &short_sig),
        Err(AuthorisationError::BadSignature)
    );

    // Another device's key: refused as a mismatch, and its own claim of
    // being that key does not help.
    let Ok(other) = DeviceKey::generate(&rng) else {
        panic!("keygen")
    };
    assert_eq!(
        verify_authorisation(other.public_key(), &signed),
        Err(AuthorisationError::KeyMismatch)
    );
    let mut forged = signed.clone();
    forged.device_public_key = other.public_key().to_vec();
    assert_eq!(
        verify_authorisation(other.public_key(), &forged),
        Err(AuthorisationError::BadSignature)
    );

    let mut long = sample_auth();
    long.merchant_account = "x".repeat(257);
    let s = sign(&key, long);
    assert_eq!(
        verify_authorisation(&pk, &s),
        Err(AuthorisationError::FieldTooLong("merchant_account"))
    );
}

#[test]
fn authorisation_round_trips_through_json() {
    let rng = SystemRandom::new();
    let Ok(key) = DeviceKey::generate(&rng) else {
        panic!("keygen")
    };
    let signed = sign(&key, sample_auth());
    let json = serde_json::to_string(&signed).unwrap_or_default();
    let back: Result<SignedAuthorisation, _> = serde_json::from_str(&json);
    assert_eq!(back.ok(), Some(signed.clone()));
    assert_eq!(verify_authorisation(key.public_key(), &signed), Ok(()));
}
