//! Fixed keys, registry and payloads shared by the `trust_*` tests and the
//! vector generator. Every key is derived from a fixed label or constant, so the
//! vectors are reproducible (ECDSA signatures are randomised by `ring`, so a
//! regenerated P-256 signature differs in bytes but not in verdict).
#![allow(dead_code, clippy::unwrap_used, clippy::type_complexity)]

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use scanpay_core::payload::mpm::MpmBuilder;
use scanpay_core::payload::tlv;
use scanpay_core::trust::issue::{self, SigningKey};
use scanpay_core::trust::keys::Algorithm;
use scanpay_core::trust::registry::{MerchantKeyJson, RegisteredAccount, RegistryJson, RootKeys};
use scanpay_core::trust::signed_qr::DynamicInfo;

/// The fixed "now" of the vectors: 2026-05-28T20:26:40Z.
pub const NOW: u64 = 1_780_000_000;
pub const DAY: u64 = 86_400;
pub const REGISTRY_ID: &str = "scanpay-test-acquirer";

/// TEST ONLY P-256 keys (PKCS#8, base64url), generated once with ring.
pub const BOB_P256_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgKs07zq-ufMpL4oa7ekDb3erXPCMFzZMNJNQWSMmPhQahRANCAAR322U9DdoxxSHs1jgqYugW2q8RzyEPN8CwnhbU9l4npElzon_TWzVYHCFeSST-r0dc80DF3wTVtpbGC9wlG4vn";
pub const ROOT2_P256_PKCS8: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCXRCq4TXDbgLs0oA4v_tYAOeJLqHZrUtD6HxR93suuyhRANCAAR9kwyHJzExhzwxcdyGWe-XdftRM2b8-xGWBhcEHoCiG7lDRhCoioGbWlgQd4o5CxDTxhLquJ_52n963efpMvf4";

pub const ALICE_NAME: &str = "SIAM RIVERSIDE COFFEE CO.";
pub const ALICE_CITY: &str = "SAMUT PRAKAN";
pub const BOB_NAME: &str = "BANGKOK NOODLE HOUSE";
pub const BOB_CITY: &str = "BANGKOK";
pub const PROMPTPAY: &str = "A000000677010111";
pub const ACQ_GUID: &str = "net.siamacquirer.mid";

/// Ed25519 seed for a label: SHA-256("scanpay-test-vector:" || label).
pub fn seed(label: &str) -> [u8; 32] {
    let d = ring::digest::digest(
        &ring::digest::SHA256,
        format!("scanpay-test-vector:{label}").as_bytes(),
    );
    let mut s = [0u8; 32];
    s.copy_from_slice(d.as_ref());
    s
}

pub fn ed(label: &str) -> SigningKey {
    SigningKey::ed25519_from_seed(&seed(label)).unwrap()
}

pub fn p256(pkcs8_b64: &str) -> SigningKey {
    let der = URL_SAFE_NO_PAD.decode(pkcs8_b64).unwrap();
    SigningKey::from_pkcs8(Algorithm::EcdsaP256Sha256, &der).unwrap()
}

pub fn root() -> SigningKey {
    ed("root-1")
}
pub fn root2() -> SigningKey {
    p256(ROOT2_P256_PKCS8)
}
pub fn alice() -> SigningKey {
    ed("m-alice-ed")
}
pub fn bob() -> SigningKey {
    p256(BOB_P256_PKCS8)
}

pub fn roots() -> RootKeys {
    RootKeys::new(vec![("root-1".into(), root().public_key().clone())], 1).unwrap()
}

pub fn promptpay(account: &str) -> RegisteredAccount {
    RegisteredAccount::Template {
        guid: PROMPTPAY.into(),
        fields: BTreeMap::from([("01".to_string(), account.to_string())]),
    }
}

pub fn acquirer_mid(mid: &str, terminal: &str) -> RegisteredAccount {
    RegisteredAccount::Template {
        guid: ACQ_GUID.into(),
        fields: BTreeMap::from([
            ("01".to_string(), mid.to_string()),
            ("02".to_string(), terminal.to_string()),
        ]),
    }
}

#[allow(clippy::too_many_arguments)]
pub fn entry(
    key_id: &str,
    merchant_id: &str,
    name: &str,
    city: &str,
    accounts: Vec<RegisteredAccount>,
    key: &SigningKey,
    not_before: u64,
    not_after: u64,
    revoked: bool,
) -> MerchantKeyJson {
    MerchantKeyJson {
        key_id: key_id.into(),
        merchant_id: merchant_id.into(),
        name: name.into(),
        city: city.into(),
        accounts,
        alg: key.algorithm(),
        public_key: key.public_key().to_base64url(),
        not_before,
        not_after,
        revoked,
    }
}

pub const ALICE_PHONE: &str = "0066812345678";
pub const ALICE_MID: &str = "004410023377889";
pub const BOB_PHONE: &str = "0066898765432";
pub const ATTACKER_PHONE: &str = "0066800000666";

pub fn registry_json(version: u64) -> RegistryJson {
    let from = NOW - 365 * DAY;
    let to = NOW + 2 * 365 * DAY;
    RegistryJson {
        format: 1,
        registry_id: REGISTRY_ID.into(),
        version,
        issued_at: NOW - DAY,
        expires_at: NOW + 30 * DAY,
        keys: vec![
            entry(
                "m-alice-ed",
                "M-0001",
                ALICE_NAME,
                ALICE_CITY,
                vec![promptpay(ALICE_PHONE), acquirer_mid(ALICE_MID, "T0001")],
                &alice(),
                from,
                to,
                false,
            ),
            entry(
                "m-bob-p256",
                "M-0002",
                BOB_NAME,
                BOB_CITY,
                vec![promptpay(BOB_PHONE)],
                &bob(),
                from,
                to,
                false,
            ),
            entry(
                "m-revoked",
                "M-0003",
                "OLD TEA SHOP",
                "CHIANG MAI",
                vec![promptpay("0066811111111")],
                &ed("m-revoked"),
                from,
                to,
                true,
            ),
            entry(
                "m-future",
                "M-0004",
                "NEW TEA SHOP",
                "CHIANG MAI",
                vec![promptpay("0066822222222")],
                &ed("m-future"),
                NOW + 10 * DAY,
                to,
                false,
            ),
            entry(
                "m-expired",
                "M-0005",
                "GONE TEA SHOP",
                "CHIANG MAI",
                vec![promptpay("0066833333333")],
                &ed("m-expired"),
                from,
                NOW - DAY,
                false,
            ),
            // A registered name made to look like a brand: Latin with a Cyrillic 'А'.
            entry(
                "m-spoof",
                "M-0006",
                "PAYPАL STORE",
                "BANGKOK",
                vec![promptpay("0066844444444")],
                &ed("m-spoof"),
                from,
                to,
                false,
            ),
        ],
    }
}

pub fn registry_doc(version: u64) -> Vec<u8> {
    issue::sign_registry(&registry_json(version), &[("root-1", &root())]).unwrap()
}

/// The test registry (version 3) with one more entry whose public key text is
/// `key_text` (algorithm `alg`), signed by root-1.
pub fn registry_with_key(alg: Algorithm, key_text: &str) -> Vec<u8> {
    let mut r = registry_json(3);
    let mut e = entry(
        "m-weak",
        "M-0666",
        "WEAK KEY SHOP",
        "BANGKOK",
        vec![promptpay(ATTACKER_PHONE)],
        &alice(),
        NOW - DAY,
        NOW + DAY,
        false,
    );
    e.alg = alg;
    e.public_key = key_text.to_string();
    r.keys.push(e);
    issue::sign_registry(&r, &[("root-1", &root())]).unwrap()
}

/// What goes into an unsigned test payload.
#[derive(Clone)]
pub struct Shape<'a> {
    pub dynamic: bool,
    pub accounts: Vec<(u8, &'a str, Vec<(u8, &'a str)>)>,
    pub name: &'a str,
    pub city: &'a str,
    pub amount: Option<&'a str>,
    pub bill: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub terminal: Option<&'a str>,
}

impl<'a> Shape<'a> {
    pub fn alice() -> Shape<'a> {
        Shape {
            dynamic: false,
            accounts: vec![
                (29, PROMPTPAY, vec![(1, ALICE_PHONE)]),
                (31, ACQ_GUID, vec![(1, ALICE_MID), (2, "T0001")]),
            ],
            name: ALICE_NAME,
            city: ALICE_CITY,
            amount: None,
            bill: None,
            reference: None,
            terminal: Some("TILL-01"),
        }
    }

    pub fn alice_dynamic() -> Shape<'a> {
        Shape {
            dynamic: true,
            accounts: vec![(29, PROMPTPAY, vec![(1, ALICE_PHONE)])],
            amount: Some("1250.75"),
            bill: Some("INV-2026-000123456"),
            reference: Some("ORDER-8F3A2C91D4E7"),
            ..Shape::alice()
        }
    }

    pub fn bob() -> Shape<'a> {
        Shape {
            dynamic: false,
            accounts: vec![(29, PROMPTPAY, vec![(1, BOB_PHONE)])],
            name: BOB_NAME,
            city: BOB_CITY,
            amount: None,
            bill: None,
            reference: None,
            terminal: None,
        }
    }

    pub fn build(&self) -> String {
        let mut b = MpmBuilder::new();
        b.object(1, if self.dynamic { "12" } else { "11" }).unwrap();
        for (id, guid, fields) in &self.accounts {
            let mut f: Vec<(u8, &str)> = vec![(0, guid)];
            f.extend(fields.iter().cloned());
            b.template(*id, &f).unwrap();
        }
        b.object(52, "5812").unwrap();
        b.object(53, "764").unwrap();
        if let Some(a) = self.amount {
            b.object(54, a).unwrap();
        }
        b.object(58, "TH").unwrap();
        b.object(59, self.name).unwrap();
        b.object(60, self.city).unwrap();
        let mut add: Vec<(u8, &str)> = Vec::new();
        if let Some(v) = self.bill {
            add.push((1, v));
        }
        if let Some(v) = self.reference {
            add.push((5, v));
        }
        if let Some(v) = self.terminal {
            add.push((7, v));
        }
        if !add.is_empty() {
            b.template(62, &add).unwrap();
        }
        b.finish().unwrap()
    }
}

pub fn sign_static(shape: &Shape<'_>, key: &SigningKey, key_id: &str) -> String {
    issue::sign_payload(&shape.build(), key, key_id, None).unwrap()
}

pub fn sign_dynamic(
    shape: &Shape<'_>,
    key: &SigningKey,
    key_id: &str,
    expires_at: u64,
    nonce: &str,
) -> String {
    issue::sign_payload(
        &shape.build(),
        key,
        key_id,
        Some(DynamicInfo {
            expires_at,
            nonce: nonce.into(),
        }),
    )
    .unwrap()
}

/// Replaces the value of top-level object `id` (or, with `sub`, of sub-object
/// `sub` inside template `id`) and recomputes the CRC: a tampered but
/// well-formed payload.
pub fn tamper(payload: &str, id: u8, sub: Option<u8>, value: &str) -> String {
    let objs = tlv::parse(payload).unwrap();
    let mut out = String::new();
    for o in &objs {
        if o.id == 63 {
            continue;
        }
        if o.id == id {
            let v = match sub {
                None => value.to_string(),
                Some(s) => {
                    let mut inner = String::new();
                    for c in o.children().unwrap() {
                        tlv::encode_into(&mut inner, c.id, if c.id == s { value } else { c.value })
                            .unwrap();
                    }
                    inner
                }
            };
            tlv::encode_into(&mut out, o.id, &v).unwrap();
        } else {
            out.push_str(&payload[o.span.clone()]);
        }
    }
    with_crc(out)
}

/// Appends `6304` and the CRC.
pub fn with_crc(mut body: String) -> String {
    body.push_str("6304");
    let crc = tlv::crc16_ccitt_false(body.as_bytes());
    body.push_str(&tlv::crc_hex(crc));
    body
}

/// The ID of the ScanPay template holding sub-ID `sub` (3 = info, 98/99 = signature halves).
pub fn scanpay_template_id(payload: &str, sub: u8) -> u8 {
    tlv::parse(payload)
        .unwrap()
        .iter()
        .find(|o| {
            o.id >= 80
                && o.children().is_ok_and(|c| {
                    c.iter().any(|c| c.id == 0 && c.value == "app.scanpay")
                        && c.iter().any(|c| c.id == sub)
                })
        })
        .map(|o| o.id)
        .unwrap()
}

/// Signs `shape` with `key` but writes `claimed` as the algorithm code: what an
/// attacker trying algorithm confusion would print.
pub fn sign_with_claimed_algorithm(
    shape: &Shape<'_>,
    key: &SigningKey,
    key_id: &str,
    claimed: &str,
) -> String {
    use scanpay_core::trust::signed_qr::{self, SIGNED_BYTES_PREFIX};
    let unsigned = shape.build();
    let objs = tlv::parse(&unsigned).unwrap();
    let mut body = String::new();
    for o in objs.iter().filter(|o| o.id != 63) {
        body.push_str(&unsigned[o.span.clone()]);
    }
    let mut info = String::new();
    tlv::encode_into(&mut info, 0, "app.scanpay").unwrap();
    tlv::encode_into(&mut info, 1, "1").unwrap();
    tlv::encode_into(&mut info, 2, claimed).unwrap();
    tlv::encode_into(&mut info, 3, key_id).unwrap();
    tlv::encode_into(&mut body, 80, &info).unwrap();
    let mut msg = SIGNED_BYTES_PREFIX.to_vec();
    msg.extend_from_slice(body.as_bytes());
    let sig = key.sign(&msg).unwrap();
    let (a, b) = signed_qr::encode_signature(&sig).unwrap();
    tlv::encode_into(&mut body, 81, &a).unwrap();
    tlv::encode_into(&mut body, 82, &b).unwrap();
    with_crc(body)
}
