//! The PIN limit when several parties share one wallet folder: threads on one
//! authenticator, several wallet objects (connections) on one file, and
//! several processes (this test binary re-invoked as a child, as an app and
//! its extension or background service would share a folder). Also the
//! enrolment race, key stores that do not protect the key, and key stores
//! that call back into the authenticator.
//!
//! The child processes are this executable run with `--exact
//! auth_shared::child_worker` and `SCANPAY_AUTH_CHILD` set; without it,
//! `child_worker` does nothing.
// Helpers outside #[test] fns panic too: a failure there is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use crate::common::TempDb;
use scanpay_core::auth::FAILURES_BEFORE_DISABLE;
use scanpay_core::auth::{
    AuthError, Authenticator, KeyStoreError, PinPad, PlatformKeyStore, SoftwareKeyStore, WrapDefect,
};
use scanpay_core::store::Store;

const GOOD: &str = "481592";
const WRONG: &str = "481593";
const T0: u64 = 1_760_000_000;
const KEY: [u8; 32] = [42; 32];
/// Set in a child process: what to do, the database path and the start file.
const CHILD_ENV: &str = "SCANPAY_AUTH_CHILD";

fn pad(digits: &str) -> PinPad {
    let mut p = PinPad::new();
    for c in digits.bytes() {
        p.press(c - b'0').unwrap();
    }
    p
}

/// A fresh wallet object on `path`, as another app component would open it.
fn open(path: &Path) -> Authenticator {
    let store = Store::open(path).unwrap();
    Authenticator::new(store, Arc::new(SoftwareKeyStore::from_key_bytes(KEY)))
}

/// What a run of wrong PINs got back.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Tally {
    /// Evaluated and counted: `WrongPin`.
    wrong: u32,
    /// Refused without evaluation: `LockedOut` (retried after the wait).
    locked: u32,
    /// Refused: `Disabled` (ends the run).
    disabled: u32,
}

/// A clock several workers share: a `LockedOut` moves it to the wait's end,
/// as a user setting the phone's clock forward would.
fn shared_clock() -> Arc<AtomicU64> {
    Arc::new(AtomicU64::new(T0))
}

/// Tries wrong PINs until the key is disabled. Every answer must be one of
/// WrongPin, LockedOut or Disabled.
fn wrong_until_disabled(auth: &Authenticator, clock: &AtomicU64) -> Tally {
    let mut t = Tally::default();
    for _ in 0..500 {
        let now = clock.load(Ordering::SeqCst);
        match auth.verify_pin(&pad(WRONG), now) {
            Err(AuthError::WrongPin { .. }) => t.wrong += 1,
            Err(AuthError::LockedOut { until, .. }) => {
                t.locked += 1;
                clock.fetch_max(until, Ordering::SeqCst);
            }
            Err(AuthError::Disabled) => {
                t.disabled += 1;
                return t;
            }
            other => panic!("unexpected answer to a wrong PIN: {other:?}"),
        }
    }
    panic!("not disabled after 500 tries: {t:?}")
}

fn sum(tallies: &[Tally]) -> Tally {
    tallies.iter().fold(Tally::default(), |a, t| Tally {
        wrong: a.wrong + t.wrong,
        locked: a.locked + t.locked,
        disabled: a.disabled + t.disabled,
    })
}

/// After a run to the disable: exactly ten wrong PINs were evaluated, and the
/// key is gone whoever looks.
fn assert_disabled_after_exactly_ten(total: Tally, workers: u32, path: &Path) {
    assert_eq!(
        total.wrong, FAILURES_BEFORE_DISABLE,
        "wrong PINs evaluated across all workers: {total:?}"
    );
    assert_eq!(total.disabled, workers, "{total:?}");
    let auth = open(path);
    let status = auth.status(T0 + 1_000_000).unwrap();
    assert_eq!(
        (status.failures, status.disabled, status.enrolled),
        (FAILURES_BEFORE_DISABLE, true, false)
    );
    assert_eq!(auth.device_public_key(), Ok(None));
    assert_eq!(
        auth.verify_pin(&pad(GOOD), T0 + 1_000_000),
        Err(AuthError::Disabled)
    );
}

// ---------- threads and wallet objects ----------

#[test]
fn threads_sharing_one_authenticator_count_every_wrong_pin() {
    let db = TempDb::new("auth-threads");
    let auth = Arc::new(open(db.path()));
    auth.enrol(&pad(GOOD), T0).unwrap();
    let clock = shared_clock();
    let workers = 6;
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (auth, clock) = (Arc::clone(&auth), Arc::clone(&clock));
                s.spawn(move || wrong_until_disabled(&auth, &clock))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_disabled_after_exactly_ten(sum(&tallies), workers, db.path());
}

#[test]
fn wallet_objects_on_one_folder_count_every_wrong_pin() {
    let db = TempDb::new("auth-objects");
    open(db.path()).enrol(&pad(GOOD), T0).unwrap();
    let clock = shared_clock();
    let workers = 6;
    let start = Arc::new(Barrier::new(workers as usize));
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (clock, start, path) = (Arc::clone(&clock), Arc::clone(&start), db.path());
                s.spawn(move || {
                    let auth = open(path);
                    start.wait();
                    wrong_until_disabled(&auth, &clock)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_disabled_after_exactly_ten(sum(&tallies), workers, db.path());
}

#[test]
fn n_wrong_pins_at_once_move_the_count_by_exactly_n() {
    // Five: the wait starts after the fifth, so all five are evaluated.
    let db = TempDb::new("auth-exact");
    open(db.path()).enrol(&pad(GOOD), T0).unwrap();
    let n = 5;
    let start = Arc::new(Barrier::new(n));
    let mut left: Vec<u32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (start, path) = (Arc::clone(&start), db.path());
                s.spawn(move || {
                    let auth = open(path);
                    start.wait();
                    match auth.verify_pin(&pad(WRONG), T0) {
                        Err(AuthError::WrongPin { attempts_left, .. }) => attempts_left,
                        other => panic!("{other:?}"),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    left.sort_unstable();
    // Each attempt saw its own count: no two read the same one.
    assert_eq!(left, [5, 6, 7, 8, 9]);
    assert_eq!(open(db.path()).status(T0).unwrap().failures, 5);
}

#[test]
fn concurrent_enrolments_on_one_folder_store_exactly_one_key() {
    let db = TempDb::new("auth-enrol");
    let workers = 4;
    let start = Arc::new(Barrier::new(workers));
    let results: Vec<Result<Vec<u8>, AuthError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (start, path) = (Arc::clone(&start), db.path());
                s.spawn(move || {
                    let auth = open(path);
                    start.wait();
                    auth.enrol(&pad(GOOD), T0)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<&Vec<u8>> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        assert!(
            matches!(r, Ok(_) | Err(AuthError::AlreadyEnrolled)),
            "{r:?}"
        );
    }
    // The key stored is the winner's: the key the backend will register.
    let auth = open(db.path());
    assert_eq!(auth.device_public_key(), Ok(Some(winners[0].clone())));
    assert_eq!(auth.verify_pin(&pad(GOOD), T0 + 1), Ok(()));
}

// ---------- processes ----------

/// The libtest name of `child_worker`: its module path without the crate
/// name (`auth_shared::child_worker` while this file is a module of the `it`
/// test binary), so that `--exact` matches it and nothing else.
fn child_test_name() -> String {
    let module = module_path!();
    let module = module.split_once("::").map_or(module, |(_, m)| m);
    format!("{module}::child_worker")
}

/// A child process of this test binary, running `child_worker` only.
fn spawn_child(role: &str, db: &Path, go: &Path) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            &child_test_name(),
            "--nocapture",
            "--test-threads=1",
        ])
        .env(
            CHILD_ENV,
            format!("{role}\n{}\n{}", db.display(), go.display()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Waits for a child (killing it after two minutes) and returns its
/// `RESULT ` line.
fn child_result(child: Child) -> String {
    let (tx, rx) = mpsc::channel();
    let pid = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(120))
        .unwrap_or_else(|_| panic!("child {pid} did not finish in 120 s"))
        .unwrap();
    assert!(out.status.success(), "child {pid}: {:?}", out.status);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines()
        // libtest prints "test child_worker ... " on the same line first.
        .find_map(|l| l.split_once("RESULT ").map(|(_, r)| r.trim().to_string()))
        .unwrap_or_else(|| panic!("child {pid} printed no result:\n{text}"))
}

/// Children wait for this file to exist, so that they start together.
fn start_children(go: &Path) {
    std::fs::write(go, b"go").unwrap();
}

/// The child's side. Does nothing unless run as a child.
#[test]
fn child_worker() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.lines();
    let (role, db, go) = (
        parts.next().unwrap().to_string(),
        PathBuf::from(parts.next().unwrap()),
        PathBuf::from(parts.next().unwrap()),
    );
    let auth = open(&db);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !go.exists() {
        assert!(Instant::now() < deadline, "never told to start");
        std::thread::sleep(Duration::from_millis(2));
    }
    match role.as_str() {
        "wrong-until-disabled" => {
            // Each process has its own clock; a wait ends when its own clock
            // passes it (the clock is the caller's, see `limits`).
            let clock = AtomicU64::new(T0);
            let t = wrong_until_disabled(&auth, &clock);
            println!("RESULT {} {} {}", t.wrong, t.locked, t.disabled);
        }
        "enrol" => match auth.enrol(&pad(GOOD), T0) {
            Ok(pk) => println!("RESULT enrolled {}", hex(&pk)),
            Err(AuthError::AlreadyEnrolled) => println!("RESULT already-enrolled"),
            Err(e) => panic!("enrol: {e:?}"),
        },
        other => panic!("unknown child role {other}"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn processes_on_one_folder_count_every_wrong_pin() {
    let db = TempDb::new("auth-procs");
    open(db.path()).enrol(&pad(GOOD), T0).unwrap();
    let go = db.path().with_file_name("go");
    let workers = 4;
    let children: Vec<Child> = (0..workers)
        .map(|_| spawn_child("wrong-until-disabled", db.path(), &go))
        .collect();
    start_children(&go);
    let tallies: Vec<Tally> = children
        .into_iter()
        .map(|c| {
            let r = child_result(c);
            let n: Vec<u32> = r.split(' ').map(|x| x.parse().unwrap()).collect();
            Tally {
                wrong: n[0],
                locked: n[1],
                disabled: n[2],
            }
        })
        .collect();
    assert_disabled_after_exactly_ten(sum(&tallies), workers, db.path());
}

#[test]
fn concurrent_enrolments_from_processes_store_exactly_one_key() {
    let db = TempDb::new("auth-proc-enrol");
    // Create the schema first, so the children race on enrolment only.
    drop(open(db.path()));
    let go = db.path().with_file_name("go");
    let children: Vec<Child> = (0..3)
        .map(|_| spawn_child("enrol", db.path(), &go))
        .collect();
    start_children(&go);
    let results: Vec<String> = children.into_iter().map(child_result).collect();
    let winners: Vec<&str> = results
        .iter()
        .filter_map(|r| r.strip_prefix("enrolled "))
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert_eq!(
        results.iter().filter(|r| *r == "already-enrolled").count(),
        2,
        "{results:?}"
    );
    let pk = open(db.path()).device_public_key().unwrap().unwrap();
    assert_eq!(hex(&pk), winners[0]);
}

// ---------- key stores that do not protect the key ----------

/// Returns its input: the "hardware" wrapping protects nothing.
struct IdentityKeyStore;
impl PlatformKeyStore for IdentityKeyStore {
    fn wrap(&self, _: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        Ok(plaintext.to_vec())
    }
    fn unwrap(&self, _: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        Ok(wrapped.to_vec())
    }
}

/// Adds a header and keeps the input in the clear behind it.
struct HeaderOnlyKeyStore;
impl PlatformKeyStore for HeaderOnlyKeyStore {
    fn wrap(&self, _: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        Ok([b"HW1:".as_slice(), plaintext].concat())
    }
    fn unwrap(&self, _: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        wrapped
            .strip_prefix(b"HW1:")
            .map(<[u8]>::to_vec)
            .ok_or(KeyStoreError::Rejected)
    }
}

/// Wraps under a key it then forgets: its wrapping never unwraps.
struct ForgetfulKeyStore;
impl PlatformKeyStore for ForgetfulKeyStore {
    fn wrap(&self, alias: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        SoftwareKeyStore::generate()?.wrap(alias, plaintext)
    }
    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        SoftwareKeyStore::generate()?.unwrap(alias, wrapped)
    }
}

/// Unwraps to something else than it wrapped.
struct GarblingKeyStore(SoftwareKeyStore);
impl PlatformKeyStore for GarblingKeyStore {
    fn wrap(&self, alias: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.0.wrap(alias, plaintext)
    }
    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        let mut out = self.0.unwrap(alias, wrapped)?;
        if let Some(b) = out.last_mut() {
            *b ^= 1;
        }
        Ok(out)
    }
}

#[test]
fn a_key_store_that_does_not_protect_the_key_is_refused_at_enrolment() {
    let cases: [(Arc<dyn PlatformKeyStore>, WrapDefect); 4] = [
        (Arc::new(IdentityKeyStore), WrapDefect::Cleartext),
        (Arc::new(HeaderOnlyKeyStore), WrapDefect::Cleartext),
        (Arc::new(ForgetfulKeyStore), WrapDefect::RoundTrip),
        (
            Arc::new(GarblingKeyStore(SoftwareKeyStore::from_key_bytes(KEY))),
            WrapDefect::RoundTrip,
        ),
    ];
    for (keystore, defect) in cases {
        let store = Store::open_in_memory().unwrap();
        let auth = Authenticator::new(store.clone(), keystore);
        assert_eq!(
            auth.enrol(&pad(GOOD), T0),
            Err(AuthError::KeyStoreIneffective(defect))
        );
        // Nothing stored: no unprotected blob in the database.
        assert_eq!(store.load_sealed_key(), Ok(None));
        assert_eq!(auth.is_enrolled(), Ok(false));
    }
}

#[test]
fn a_pin_change_through_an_identity_key_store_is_refused() {
    // Enrolled under a good key store; the app then swaps in a broken one.
    let store = Store::open_in_memory().unwrap();
    let good = Authenticator::new(
        store.clone(),
        Arc::new(SoftwareKeyStore::from_key_bytes(KEY)),
    );
    good.enrol(&pad(GOOD), T0).unwrap();
    let before = store.load_sealed_key().unwrap();
    /// Unwraps like the good store, wraps like the identity one.
    struct Half(SoftwareKeyStore);
    impl PlatformKeyStore for Half {
        fn wrap(&self, _: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
            Ok(plaintext.to_vec())
        }
        fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
            self.0.unwrap(alias, wrapped)
        }
    }
    let half = Authenticator::new(
        store.clone(),
        Arc::new(Half(SoftwareKeyStore::from_key_bytes(KEY))),
    );
    assert_eq!(
        half.change_pin(&pad(GOOD), &pad("730146"), T0 + 1),
        Err(AuthError::KeyStoreIneffective(WrapDefect::Cleartext))
    );
    assert_eq!(store.load_sealed_key().unwrap(), before);
}

// ---------- a key store that calls back ----------

/// A key store that asks the wallet for its PIN status and device key from
/// inside wrap and unwrap (as a platform key store showing a prompt might).
struct CallbackKeyStore {
    inner: SoftwareKeyStore,
    auth: OnceLock<Weak<Authenticator>>,
    calls: Mutex<u32>,
}

thread_local! {
    static INSIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl CallbackKeyStore {
    fn call_back(&self) {
        // `device_public_key` unwraps through this store: call back once per
        // outer call, not recursively for ever.
        if INSIDE.with(|i| i.replace(true)) {
            return;
        }
        if let Some(auth) = self.auth.get().and_then(Weak::upgrade) {
            auth.status(T0).unwrap();
            auth.device_public_key().unwrap();
            *self.calls.lock().unwrap() += 1;
        }
        INSIDE.with(|i| i.set(false));
    }
}

impl PlatformKeyStore for CallbackKeyStore {
    fn wrap(&self, alias: &str, plaintext: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.call_back();
        self.inner.wrap(alias, plaintext)
    }
    fn unwrap(&self, alias: &str, wrapped: &[u8]) -> Result<Vec<u8>, KeyStoreError> {
        self.call_back();
        self.inner.unwrap(alias, wrapped)
    }
}

#[test]
fn a_key_store_may_call_back_into_the_authenticator() {
    let keystore = Arc::new(CallbackKeyStore {
        inner: SoftwareKeyStore::from_key_bytes(KEY),
        auth: OnceLock::new(),
        calls: Mutex::new(0),
    });
    let auth = Arc::new(Authenticator::new(
        Store::open_in_memory().unwrap(),
        keystore.clone(),
    ));
    keystore.auth.set(Arc::downgrade(&auth)).unwrap();
    // On another thread with a deadline: a regression hangs that thread, and
    // the test fails instead of hanging the suite.
    let (tx, rx) = mpsc::channel();
    let worker = Arc::clone(&auth);
    std::thread::spawn(move || {
        let r = (|| {
            worker.enrol(&pad(GOOD), T0)?;
            worker.verify_pin(&pad(GOOD), T0)?;
            let wrong = worker.verify_pin(&pad(WRONG), T0);
            worker.change_pin(&pad(GOOD), &pad("730146"), T0)?;
            worker.device_public_key()?;
            Ok::<_, AuthError>(wrong)
        })();
        let _ = tx.send(r);
    });
    let r = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the authenticator hung when its key store called back");
    assert_eq!(
        r,
        Ok(Err(AuthError::WrongPin {
            attempts_left: 9,
            wait_secs: 0
        }))
    );
    assert!(*keystore.calls.lock().unwrap() >= 5);
}
