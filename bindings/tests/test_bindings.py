"""ScanPay Python bindings, used the way an app uses them.

Runs against the generated module (target/bindings/python/scanpay.py) and the
host library; `scripts/test-bindings.sh` sets everything up. Shares the JSON
vectors under tests/vectors/ with the Rust and Kotlin suites.
"""
import socket
import asyncio
import gc
import hashlib
import hmac
import json
import os
import pathlib
import re
import subprocess
import threading
import time

import pytest

import scanpay as sp

ROOT = pathlib.Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors"
FIXTURES = pathlib.Path(os.environ.get("SCANPAY_FIXTURES", ROOT / "target/bindings/fixtures"))
SANDBOX_BIN = os.environ.get("SCANPAY_SANDBOX_BIN")
# A real, unsigned THB merchant code (static, no amount).
THB_CODE = "00020101021129370016A000000677010111011300668012345675802TH530376463046197"
PIN = [2, 5, 8, 0, 4, 7]
OTHER_PIN = [9, 3, 6, 1, 7, 4]


class HmacKeyStore(sp.PlatformKeyStore):
    """A foreign key store: HMAC-SHA256 stream cipher plus tag (test-only)."""

    def __init__(self):
        self.key = os.urandom(32)
        self.calls = 0

    def _stream(self, alias, nonce, n):
        out = b""
        counter = 0
        while len(out) < n:
            out += hmac.new(self.key, alias.encode() + nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest()
            counter += 1
        return out[:n]

    def wrap(self, alias, plaintext):
        self.calls += 1
        nonce = os.urandom(16)
        ct = bytes(a ^ b for a, b in zip(plaintext, self._stream(alias, nonce, len(plaintext))))
        tag = hmac.new(self.key, alias.encode() + nonce + ct, hashlib.sha256).digest()
        return nonce + ct + tag

    def unwrap(self, alias, wrapped):
        self.calls += 1
        if len(wrapped) < 48:
            raise sp.PlatformKeyStoreError.Rejected()
        nonce, ct, tag = wrapped[:16], wrapped[16:-32], wrapped[-32:]
        good = hmac.new(self.key, alias.encode() + nonce + ct, hashlib.sha256).digest()
        if not hmac.compare_digest(tag, good):
            raise sp.PlatformKeyStoreError.Rejected()
        return bytes(a ^ b for a, b in zip(ct, self._stream(alias, nonce, len(ct))))


class SwitchableKeyStore(HmacKeyStore):
    """The HMAC key store, switchable to what a phone's key store reports when
    its key is gone (app data restored onto a new phone, Keystore / Keychain
    wiped), and able to hold an unwrap at a gate (to look at the pad meanwhile)."""

    def __init__(self):
        super().__init__()
        self.unavailable = False
        self.gate = None
        self.entered = threading.Event()

    def new_phone(self):
        """The platform has a different key now, and it works."""
        self.key = os.urandom(32)
        self.unavailable = False

    def _check(self):
        if self.unavailable:
            raise sp.PlatformKeyStoreError.Unavailable(reason="key permanently invalidated")

    def wrap(self, alias, plaintext):
        self._check()
        return super().wrap(alias, plaintext)

    def unwrap(self, alias, wrapped):
        self._check()
        if self.gate is not None:
            self.entered.set()
            assert self.gate.wait(10), "gate never opened"
        return super().unwrap(alias, wrapped)


class Network(sp.NetworkMonitor):
    def __init__(self, available=True):
        self.available = available

    def is_network_available(self):
        return self.available


class Logs(sp.LogSink):
    def __init__(self):
        self.lines = []

    def log(self, level, message):
        self.lines.append((level, message))


class Statuses(sp.StatusListener):
    def __init__(self):
        self.got = []
        self.event = threading.Event()

    def on_status(self, status):
        self.got.append((status, threading.current_thread() is threading.main_thread()))
        self.event.set()


class States(sp.FlowListener):
    def __init__(self):
        self.got = []

    def on_state(self, state):
        self.got.append((state, threading.current_thread() is threading.main_thread()))


def run(coro):
    return asyncio.run(coro)


def press_all(pad, digits):
    for i, d in enumerate(digits):
        assert pad.press(d) == i + 1


def config(tmp_path, backend=None, roots=None, timings=None, currency="THB"):
    return sp.WalletConfig(
        data_dir=str(tmp_path / "wallet"),
        roots_json=roots or (VECTORS / "trust" / "roots.json").read_text(),
        backend=backend,
        limits=[sp.CurrencyLimits(currency=currency, per_payment=100_000, daily=200_000,
                                  offline_per_payment=0, offline_total=0)],
        allow_offline_payments=False,
        allow_unverified_merchants=True,
        timings=timings,
    )


@pytest.fixture
def wallet(tmp_path):
    # Leak checks are in test_closing_frees_rust_objects: pytest keeps
    # fixture values alive until after teardown.
    return sp.Wallet.open(config(tmp_path), HmacKeyStore(), Network(True), Logs())


def enrol(w, digits=PIN):
    pad = sp.PinPad()
    press_all(pad, digits)
    key = run(w.enrol(pad))
    assert pad.count() == 0, "the pad is wiped after use"
    return key


# ----- classification and verdicts -----

def test_classify_kinds_and_problems():
    mpm = sp.classify(THB_CODE)
    assert mpm.kind == sp.PayloadKind.EMV_MPM and mpm.problem is None
    assert mpm.merchant.currency == "THB" and mpm.merchant.amount is None
    damaged = sp.classify(THB_CODE[:-1] + "8")
    assert damaged.kind == sp.PayloadKind.EMV_MPM and "CRC" in damaged.problem.upper()
    assert damaged.problem_code == "mpm/bad-crc" and mpm.problem_code is None
    link = sp.classify("http://paypa1.com/login")
    assert link.kind == sp.PayloadKind.URL
    assert sp.LinkFlag.NOT_HTTPS() in link.link.flags
    assert sp.classify("hello").kind == sp.PayloadKind.TEXT
    assert sp.classify("x" * 5000).problem_code == "too-long"


def test_real_payload_vectors_classify():
    for case in json.loads((VECTORS / "emv" / "real-payloads.json").read_text()):
        got = sp.classify(case["payload"])
        assert got.kind == sp.PayloadKind.EMV_MPM, case["source"]
        if case["expect"].get("valid"):
            assert got.problem is None, case["source"]
            assert got.merchant.currency == case["expect"]["currency"]


def test_trust_vectors_through_the_bindings():
    doc = json.loads((VECTORS / "trust" / "cases.json").read_text())
    checker = sp.TrustChecker((VECTORS / "trust" / doc["roots"]).read_text())
    info = checker.apply_registry((VECTORS / "trust" / doc["registry"]).read_bytes(), doc["registry_now"])
    assert info.key_count > 0
    for case in doc["cases"]:
        v = checker.verify(case["payload"], case["now"])
        exp = case["expect"]
        if exp["verdict"] == "verified":
            assert v.is_verified(), case["name"]
            m = v.merchant
            assert m.registered_name == exp["registered_name"], case["name"]
            assert m.key_id == exp["key_id"] and m.merchant_id == exp["merchant_id"]
            assert [sp.warning_code(w) for w in m.warnings] == exp["warnings"], case["name"]
        else:
            assert v.is_unverified(), case["name"]
            assert sp.reason_code(v.reason) == exp["reason"], case["name"]
    for case in doc["registry_cases"]:
        c = sp.TrustChecker((VECTORS / "trust" / doc["roots"]).read_text())
        docs = case["documents"]
        for d in docs[:-1]:
            c.apply_registry((VECTORS / "trust" / d).read_bytes(), case["now"])
        last = (VECTORS / "trust" / docs[-1]).read_bytes()
        if case["expect_error"] is None:
            c.apply_registry(last, case["now"])
        else:
            with pytest.raises(sp.TrustError.Registry) as e:
                c.apply_registry(last, case["now"])
            assert e.value.code == case["expect_error"], case["name"]


def test_bad_roots_are_a_typed_error():
    with pytest.raises(sp.TrustError.Roots):
        sp.TrustChecker("{not json")


# ----- scanner -----

def frames():
    return json.loads((FIXTURES / "frames.json").read_text())["frames"]


def test_scan_luma_frames_with_stride_and_rotation():
    scanner = sp.QrScanner()
    for f in frames():
        data = (FIXTURES / f["file"]).read_bytes()
        codes = scanner.scan(data, f["width"], f["height"], f["row_stride"], f["rotation_degrees"], None)
        assert [c.text for c in codes] == [f["payload"]], f["name"]
        assert len(codes[0].corners) == 4
        # The scanned code drives classification like an app would.
        assert sp.classify(codes[0].text).kind == sp.PayloadKind.EMV_MPM
    f = frames()[0]
    data = (FIXTURES / f["file"]).read_bytes()
    region = sp.Region(x=0, y=0, width=f["width"] // 4, height=f["height"] // 4)
    assert scanner.scan(data, f["width"], f["height"], f["row_stride"], 0, region) == []


def test_scan_bad_input_raises_typed_errors():
    scanner = sp.QrScanner.for_still_images()
    with pytest.raises(sp.ScanError.StrideTooSmall):
        scanner.scan(bytes(100 * 100), 100, 100, 50, 0, None)
    with pytest.raises(sp.ScanError.InvalidRotation):
        scanner.scan(bytes(100 * 100), 100, 100, 100, 45, None)
    with pytest.raises(sp.ScanError.DataTooShort):
        scanner.scan(bytes(10), 100, 100, 100, 0, None)
    with pytest.raises(sp.ScanError.FrameTooSmall):
        scanner.scan(bytes(100), 10, 10, 10, 0, None)
    with pytest.raises(sp.ScanError.BadRegion):
        scanner.scan(bytes(100 * 100), 100, 100, 100, 0, sp.Region(x=90, y=90, width=50, height=50))


# ----- PIN -----

def test_pin_pad_counts_only():
    pad = sp.PinPad()
    assert pad.press(1) == 1 and pad.press(2) == 2
    assert pad.backspace() == 1
    with pytest.raises(sp.PinError.NotADigit):
        pad.press(10)
    for _ in range(5):
        pad.press(3)
    assert pad.is_complete()
    with pytest.raises(sp.PinError.PadFull):
        pad.press(4)
    pad.clear()
    assert pad.count() == 0


def test_enrol_verify_change_pin(wallet):
    assert not wallet.is_enrolled()
    weak = sp.PinPad()
    press_all(weak, [1, 1, 1, 1, 1, 1])
    with pytest.raises(sp.PinError.Rejected):
        run(wallet.enrol(weak))
    key = enrol(wallet)
    assert len(key) == 32 and wallet.is_enrolled()
    assert wallet.device_public_key() == key
    with pytest.raises(sp.PinError.AlreadyEnrolled):
        enrol(wallet)
    wrong = sp.PinPad()
    press_all(wrong, OTHER_PIN)
    with pytest.raises(sp.PinError.WrongPin) as e:
        run(wallet.verify_pin(wrong))
    assert e.value.attempts_left >= 1
    assert wallet.auth_status().failures == 1
    old, new = sp.PinPad(), sp.PinPad()
    press_all(old, PIN)
    press_all(new, OTHER_PIN)
    run(wallet.change_pin(old, new))
    assert old.count() == 0 and new.count() == 0
    good = sp.PinPad()
    press_all(good, OTHER_PIN)
    run(wallet.verify_pin(good))
    assert wallet.auth_status().failures == 0
    incomplete = sp.PinPad()
    incomplete.press(1)
    with pytest.raises(sp.PinError.Incomplete):
        run(wallet.verify_pin(incomplete))


def in_thread(fn, timeout=10):
    """Runs `fn` on a thread; fails (instead of hanging the suite) if it does
    not finish in `timeout` seconds. Returns its result or raises its error."""
    out = {}

    def target():
        try:
            out["value"] = fn()
        except BaseException as e:  # handed back to the test thread
            out["error"] = e

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"still running after {timeout} s (deadlock?)"
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_change_pin_with_the_same_pad_is_a_typed_error(wallet):
    enrol(wallet)
    pad = sp.PinPad()
    press_all(pad, PIN)
    started = time.monotonic()
    with pytest.raises(sp.PinError.SamePinPad):
        in_thread(lambda: run(wallet.change_pin(pad, pad)))
    # Refused before any key derivation (which alone takes ~0.15 s).
    assert time.monotonic() - started < 2
    assert pad.count() == 0, "the pad is wiped"
    assert wallet.auth_status().failures == 0, "nothing was counted"
    good = sp.PinPad()
    press_all(good, PIN)
    run(wallet.verify_pin(good))


def test_pad_is_not_locked_while_the_pin_is_checked(tmp_path):
    ks = SwitchableKeyStore()
    w = sp.Wallet.open(config(tmp_path), ks, None, None)
    enrol(w)
    pad = sp.PinPad()
    press_all(pad, PIN)
    ks.gate = threading.Event()
    result = {}

    def verify():
        try:
            result["ok"] = run(w.verify_pin(pad))
        except BaseException as e:
            result["error"] = e

    t = threading.Thread(target=verify, daemon=True)
    t.start()
    assert ks.entered.wait(10), "verify never reached the key store"
    # The worker is inside the key store call: the UI thread can still use
    # the pad (before the fix this press waited for the whole check).
    assert in_thread(lambda: pad.count(), timeout=5) == 0, "digits moved out"
    assert in_thread(lambda: pad.press(1), timeout=5) == 1
    ks.gate.set()
    t.join(10)
    assert not t.is_alive() and "error" not in result, result
    assert pad.count() == 0, "the pad is empty after the call"


def test_unusable_device_key_is_reset_and_enrolled_again(tmp_path):
    ks = SwitchableKeyStore()
    w = sp.Wallet.open(config(tmp_path), ks, Network(True), Logs())
    old_key = enrol(w)
    paid = make_not_sent_payment(w)

    # The app data was restored onto a new phone: the platform key is gone.
    ks.unavailable = True
    pad = sp.PinPad()
    press_all(pad, PIN)
    with pytest.raises(sp.PinError.DeviceKeyUnusable):
        run(w.verify_pin(pad))
    assert pad.count() == 0
    with pytest.raises(sp.PinError.DeviceKeyUnusable):
        w.device_public_key()
    # At the last digit of a payment, the same thing, as a flow error.
    flow = w.new_flow()
    drive_to_pin(flow, THB_CODE)
    for d in PIN[:-1]:
        flow.press_pin_digit(d)
    with pytest.raises(sp.FlowError.DeviceKeyUnusable):
        flow.press_pin_digit(PIN[-1])
    # Nothing was counted, and enrolment alone cannot get out of this.
    status = w.auth_status()
    assert status.enrolled and status.failures == 0 and not status.disabled
    with pytest.raises(sp.PinError.AlreadyEnrolled):
        enrol(w, OTHER_PIN)

    w.reset_device_key()
    status = w.auth_status()
    assert not status.enrolled and not w.is_enrolled() and status.failures == 0
    assert w.device_public_key() is None

    ks.new_phone()
    new_key = enrol(w, OTHER_PIN)
    assert len(new_key) == 32 and new_key != old_key
    good = sp.PinPad()
    press_all(good, OTHER_PIN)
    run(w.verify_pin(good))
    assert w.device_public_key() == new_key
    # The journal was kept.
    assert [p.id for p in w.history(10, None)] == [paid]


def test_software_key_store_from_rust(tmp_path):
    w = sp.Wallet.open(config(tmp_path), sp.software_key_store(), None, None)
    assert len(enrol(w)) == 32


def test_open_errors_are_typed(tmp_path):
    with pytest.raises(sp.WalletError.Roots):
        sp.Wallet.open(config(tmp_path, roots="[]"), HmacKeyStore(), None, None)
    bad = sp.BackendConfig(base_url="http://example.invalid", ca_pem="", spki_pins=[],
                           require_pins=False, connect_timeout_ms=0, read_timeout_ms=0)
    with pytest.raises(sp.WalletError.BackendConfig):
        sp.Wallet.open(config(tmp_path, backend=bad), HmacKeyStore(), None, None)
    cfg = config(tmp_path)
    cfg.limits[0].currency = "XYZ"
    with pytest.raises(sp.WalletError.InvalidConfig):
        sp.Wallet.open(cfg, HmacKeyStore(), None, None)


# ----- status -----

def test_status_changes_arrive_from_rust_threads(tmp_path):
    net = Network(True)
    w = sp.Wallet.open(config(tmp_path), HmacKeyStore(), net, None)
    listener = Statuses()
    sub = w.subscribe_status(listener)
    assert w.status().connectivity == sp.ConnectivityStatus.ONLINE()
    # The platform callback, on the caller's (main) thread.
    w.set_network_available(False)
    assert listener.got[-1][1] is True
    assert listener.got[-1][0].connectivity.is_offline()
    w.set_network_available(True)
    # The network monitor is asked on a worker thread: the change arrives there.
    net.available = False
    run(w.start())
    status, on_main = listener.got[-1]
    assert status.connectivity.is_offline() and on_main is False
    n = len(listener.got)
    assert sub.cancel() is True
    w.set_network_available(True)
    assert len(listener.got) == n


# ----- the payment flow (no backend: the payment is not sent) -----

def confirm_one(w, amount="1.00"):
    """Scans the THB code, enters `amount` and confirms the displayed total."""
    flow = w.new_flow()
    flow.handle(sp.FlowIntent.SCANNED_TEXT(THB_CODE))
    flow.handle(sp.FlowIntent.PROCEED())
    s = flow.handle(sp.FlowIntent.EDIT_AMOUNT(amount))
    return flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))


def test_limits_and_currency_are_typed_flow_errors(tmp_path):
    cfg = config(tmp_path)
    cfg.limits[0].per_payment = 1_000  # 10.00 THB
    w = sp.Wallet.open(cfg, HmacKeyStore(), Network(True), Logs())
    enrol(w)
    with pytest.raises(sp.FlowError.LimitExceeded) as e:
        confirm_one(w, "12.50")
    assert "10.00" in str(e.value)
    # Offline with no offline payments allowed: its own kind.
    off = sp.Wallet.open(config(tmp_path / "off"), HmacKeyStore(), Network(False), Logs())
    enrol(off)
    with pytest.raises(sp.FlowError.OfflineNotAllowed):
        confirm_one(off)
    # A currency the wallet has no limits for.
    sgd = sp.Wallet.open(config(tmp_path / "sgd", currency="SGD"), HmacKeyStore(), Network(True), Logs())
    enrol(sgd)
    with pytest.raises(sp.FlowError.CurrencyNotAllowed):
        confirm_one(sgd)


def drive_to_pin(flow, text, amount="12.50"):
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(text))
    assert s.is_review_merchant() and s.review.payable
    assert s.review.registered_name is None and s.review.printed_name is None or True
    s = flow.handle(sp.FlowIntent.PROCEED())
    assert s.is_enter_amount()
    s = flow.handle(sp.FlowIntent.EDIT_AMOUNT(amount))
    assert s.breakdown is not None
    s = flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert s.is_enter_pin() and s.digits == 0
    return s


def test_flow_states_intents_and_errors(wallet):
    enrol(wallet)
    flow = wallet.new_flow()
    assert flow.state().is_scanning()
    with pytest.raises(sp.FlowError.InvalidIntent):
        flow.handle(sp.FlowIntent.PROCEED())
    with pytest.raises(sp.FlowError.NotAMerchantCode):
        flow.handle(sp.FlowIntent.SCANNED_TEXT("https://example.com"))
    with pytest.raises(sp.FlowError.DamagedCode):
        flow.handle(sp.FlowIntent.SCANNED_TEXT(THB_CODE[:-1] + "8"))
    s = drive_to_pin(flow, THB_CODE)
    # CLDR's English: the ISO code, a no-break space, then the amount.
    assert sp.format_money(s.breakdown.total) == "THB\u00a012.50"
    for i, d in enumerate(PIN[:-1]):
        assert flow.press_pin_digit(d).digits == i + 1
    s = flow.press_pin_digit(PIN[-1])
    assert s.is_processing()
    listener = States()
    end = run(flow.process(listener))
    assert end.is_failed() and end.reason.is_not_sent() and end.retry == sp.RetryOption.SAME_ID()
    assert flow.state() == end
    payment_id = end.payment_id
    [p] = wallet.history(10, None)
    assert p.id == payment_id and p.state == sp.PaymentState.NOT_SENT
    assert p.breakdown.total.minor_units == 1250 and p.breakdown.total.currency == "THB"
    assert wallet.payment(payment_id).id == payment_id
    assert wallet.flow_for_payment(payment_id).state().is_failed()
    flow.handle(sp.FlowIntent.CANCEL())
    assert wallet.payment(payment_id).state == sp.PaymentState.CANCELLED


def make_not_sent_payment(w, amount="1.00"):
    """A journalled payment, the way an app makes one (no backend: NotSent)."""
    flow = w.new_flow()
    drive_to_pin(flow, THB_CODE, amount)
    for d in PIN:
        s = flow.press_pin_digit(d)
    assert s.is_processing()
    end = run(flow.process(None))
    assert end.is_failed() and end.reason.is_not_sent(), end
    return end.payment_id


def make_payment(w, amount="1.00"):
    """A journalled payment without a backend: NotSent while the wallet thinks
    it is online, queued offline once the unreachable sends made it Offline."""
    flow = w.new_flow()
    drive_to_pin(flow, THB_CODE, amount)
    for d in PIN:
        s = flow.press_pin_digit(d)
    # Online: Processing until sent (NotSent here). Offline: queued, Pending at once.
    assert s.is_processing() or s.is_pending(), s
    if s.is_processing():
        run(flow.process(None))
    payment_id = flow.payment_id()
    assert payment_id is not None
    return payment_id


def test_history_pages_keep_payments_of_the_same_second(tmp_path):
    cfg = config(tmp_path)
    cfg.allow_offline_payments = True
    cfg.limits[0].offline_per_payment = 100_000
    cfg.limits[0].offline_total = 200_000
    # A frozen clock: every payment shares its second however slow the machine
    # (a loop waiting for two to fall in one second had to skip under load).
    clock = sp.TestClock()
    wallet = sp.Wallet.open_with_test_clock(cfg, HmacKeyStore(), Network(True), None, clock)
    enrol(wallet)
    clock.freeze()
    made = [make_payment(wallet) for _ in range(4)]
    newest_first = [p.id for p in wallet.history(100, None)]
    assert sorted(newest_first) == sorted(made)
    seconds = [p.created_at for p in wallet.history(100, None)]
    assert len(set(seconds)) == 1, seconds

    for limit in (1, 2, 3):
        got, cursor, pages = [], None, 0
        while True:
            page = wallet.history_page(limit, cursor)
            assert len(page.payments) <= limit
            got += [p.id for p in page.payments]
            pages += 1
            cursor = page.next
            if cursor is None:
                break
            assert isinstance(cursor, sp.HistoryCursor)
            assert cursor.created_at == page.payments[-1].created_at
        assert got == newest_first, f"limit {limit}"
        assert pages <= len(made) // limit + 1

    # Why history(limit, before) must not be used for paging: it skips.
    naive, before = [], None
    while True:
        rows = wallet.history(1, before)
        if not rows:
            break
        naive.append(rows[0].id)
        before = rows[0].created_at
    assert len(naive) < len(newest_first)


def test_wrong_pin_in_the_flow(wallet):
    enrol(wallet)
    flow = wallet.new_flow()
    drive_to_pin(flow, THB_CODE)
    for d in OTHER_PIN:
        s = flow.press_pin_digit(d)
    assert s.is_enter_pin() and s.digits == 0
    assert s.last_error.is_wrong_pin()
    with pytest.raises(sp.FlowError.InvalidInput):
        flow.handle(sp.FlowIntent.CONFIRM(sp.Money(minor_units=1, currency="XYZ", exponent=2)))


def test_the_pin_reaches_no_log_and_no_intent(tmp_path):
    # PIN digits are not intents: the generated `FlowIntent` has no variant that
    # could carry one (its repr prints every field, so an app logging its
    # intents would log the PIN).
    # The one variant named after the PIN, UsePin (the payer chooses the PIN
    # pad over a shortcut, issue 12), carries nothing: it is built without
    # arguments, so a digit field added to it fails here.
    named = {n for n in dir(sp.FlowIntent) if "PIN" in n.upper() or "DIGIT" in n.upper()}
    assert named == {"USE_PIN", "is_USE_PIN", "is_use_pin"}, named
    assert sp.FlowIntent.USE_PIN().is_use_pin()
    logs = Logs()  # every line, at every level (Debug included)
    w = sp.Wallet.open(config(tmp_path), HmacKeyStore(), Network(True), logs)
    enrol(w)
    flow = w.new_flow()
    sent = []

    def send(intent):
        sent.append(intent)
        return flow.handle(intent)

    s = send(sp.FlowIntent.SCANNED_TEXT(THB_CODE))
    s = send(sp.FlowIntent.PROCEED())
    s = send(sp.FlowIntent.EDIT_AMOUNT("12.50"))
    s = send(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert s.is_enter_pin()
    at_pin = len(sent)
    # A correction on the pad: the intent sent while the PIN is typed.
    assert flow.press_pin_digit(PIN[0]).digits == 1
    assert send(sp.FlowIntent.BACKSPACE()).digits == 0
    for i, d in enumerate(PIN[:-1]):
        assert flow.press_pin_digit(d).digits == i + 1
    assert flow.press_pin_digit(PIN[-1]).is_processing()
    end = run(flow.process(None))
    assert end.is_failed() and end.reason.is_not_sent(), end

    pin = "".join(map(str, PIN))
    # The digits in order, whatever separates them ("2, 5, 8…", "[2,5,8…]").
    spread = re.compile(r"\D{0,4}".join(map(str, PIN)))
    lines = [m for _, m in logs.lines]
    assert any(lvl == sp.LogLevel.DEBUG and "pin-digit" in m for lvl, m in logs.lines), lines
    for line in lines:
        assert pin not in line and not spread.search(line), line
    # One line per key, naming the intent and the state only.
    pin_lines = [m for m in lines if "pin-digit" in m]
    assert len(pin_lines) == len(PIN) + 1, lines
    assert all(not any(c.isdigit() for c in m) for m in pin_lines), pin_lines
    for intent in sent:
        for text in (repr(intent), str(intent)):
            assert pin not in text and not spread.search(text), text
    # What was sent during PIN entry shows no digit at all (the payment's own
    # intents before it hold the code's and the amount's digits, not the PIN's).
    for intent in sent[at_pin:]:
        for text in (repr(intent), str(intent)):
            assert not any(c.isdigit() for c in text), text


def test_closing_frees_rust_objects(tmp_path):
    gc.collect()
    before = sp.live_object_count()
    w = sp.Wallet.open(config(tmp_path), HmacKeyStore(), None, None)
    objs = [w, w.new_flow(), sp.PinPad(), sp.QrScanner(), w.subscribe_status(Statuses())]
    assert sp.live_object_count() == before + len(objs)
    del objs, w
    gc.collect()
    assert sp.live_object_count() == before


# ----- end to end against the sandbox over TLS -----

@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    yield from running_sandbox(tmp_path_factory, "sandbox")


def running_sandbox(tmp_path_factory, name):
    """The sandbox example binary in a fresh folder, driven over its stdin
    (`info["command"]`); stopped when the fixture ends."""
    if not SANDBOX_BIN:
        pytest.skip("SCANPAY_SANDBOX_BIN not set")
    d = tmp_path_factory.mktemp(name)
    proc = subprocess.Popen([SANDBOX_BIN, str(d)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    info = json.loads(proc.stdout.readline())

    def command(line):
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    info["command"] = command
    yield info
    proc.stdin.write("quit\n")
    proc.stdin.flush()
    proc.wait(timeout=30)


def sandbox_wallet(tmp_path, sb, logs=None, network=None):
    backend = sp.BackendConfig(base_url=sb["base_url"], ca_pem=sb["ca_pem"], spki_pins=[sb["spki_pin"]],
                               require_pins=True, connect_timeout_ms=5000, read_timeout_ms=5000)
    timings = sp.Timings(query_interval_secs=1, query_window_secs=20, reverse_tries=3, reverse_backoff_secs=1)
    cfg = config(tmp_path, backend=backend, roots=sb["roots_json"], timings=timings, currency=sb["currency"])
    cfg.allow_unverified_merchants = False
    w = sp.Wallet.open(cfg, HmacKeyStore(), network or Network(True), logs)
    info = run(w.sync_registry())
    assert info is not None and info.key_count > 0
    enrol(w)
    reg = run(w.register_device(sb["enrolment_code"]))
    assert reg.balance.currency == sb["currency"]
    return w


def pay(w, payload, amount):
    flow = w.new_flow()
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(payload))
    assert s.review.verdict.is_verified(), s
    assert s.review.registered_name
    s = flow.handle(sp.FlowIntent.PROCEED())
    s = flow.handle(sp.FlowIntent.EDIT_AMOUNT(amount))
    flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
    for d in PIN:
        s = flow.press_pin_digit(d)
    assert s.is_processing()
    states = States()
    end = run(flow.process(states))
    # The listener saw every state once, the end state last.
    got = [st for st, _ in states.got]
    assert got and got[-1] == end, (got, end)
    assert all(a != b for a, b in zip(got, got[1:])), got
    return end, states


def test_e2e_payment_decline_and_lost_response(tmp_path, sandbox):
    w = sandbox_wallet(tmp_path, sandbox, Logs())
    statuses = Statuses()
    sub = w.subscribe_status(statuses)
    assert run(w.check_backend()).connectivity == sp.ConnectivityStatus.ONLINE()
    end, states = pay(w, sandbox["payload_ok"], "3.50")
    assert end.is_done(), end
    assert end.receipt.amount.minor_units == 350
    assert all(on_main is False for _, on_main in states.got)
    # The pending count went up and down, reported from the worker thread.
    assert any(not on_main for _, on_main in statuses.got)
    end, _ = pay(w, sandbox["payload_blocked"], "1.00")
    assert end.is_failed() and end.reason.is_declined(), end
    assert sandbox["command"]("fault submit drop-after-commit") == "ok"
    end, states = pay(w, sandbox["payload_ok"], "2.00")
    assert end.is_done(), end
    assert any(s.is_processing() and s.stage.is_confirming() for s, _ in states.got)
    history = w.history(10, None)
    assert [p.state for p in history[:3]] == [sp.PaymentState.SUCCEEDED, sp.PaymentState.DECLINED,
                                               sp.PaymentState.SUCCEEDED]
    sub.cancel()


def test_e2e_wrong_pin_pin_refuses_tls(tmp_path, sandbox):
    backend = sp.BackendConfig(base_url=sandbox["base_url"], ca_pem=sandbox["ca_pem"],
                               spki_pins=["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="],
                               require_pins=True, connect_timeout_ms=5000, read_timeout_ms=5000)
    w = sp.Wallet.open(config(tmp_path, backend=backend, roots=sandbox["roots_json"]), HmacKeyStore(), None, None)
    assert w.status().connectivity == sp.ConnectivityStatus.ONLINE()
    with pytest.raises(sp.WalletError.Tls):
        run(w.sync_registry())
    # The failed sync itself is reported to the status, before any probe.
    assert w.status().connectivity == sp.ConnectivityStatus.DEGRADED(sp.DegradedReason.TLS_FAILURE)
    status = run(w.check_backend())
    assert status.connectivity == sp.ConnectivityStatus.DEGRADED(sp.DegradedReason.TLS_FAILURE)


def test_network_failures_are_told_apart(tmp_path, sandbox):
    """What the UI does differs per failure: fix the code, check the connection, wait."""
    backend = sp.BackendConfig(base_url=sandbox["base_url"], ca_pem=sandbox["ca_pem"],
                               spki_pins=[sandbox["spki_pin"]], require_pins=True,
                               connect_timeout_ms=5000, read_timeout_ms=5000)
    cfg = config(tmp_path / "a", backend=backend, roots=sandbox["roots_json"], currency=sandbox["currency"])
    w = sp.Wallet.open(cfg, HmacKeyStore(), Network(True), None)
    # Registering before a PIN is set: the app must send the user to enrol.
    with pytest.raises(sp.WalletError.NotEnrolled):
        run(w.register_device(sandbox["enrolment_code"]))
    enrol(w)
    # A wrong enrolment code is refused by the backend (HTTP 4xx), not "offline".
    with pytest.raises(sp.WalletError.Refused) as refused:
        run(w.register_device("NOT-A-CODE"))
    # The payer's text (the catalogue's) keeps the status for support.
    assert "403" in str(refused.value)
    reg = run(w.register_device(sandbox["enrolment_code"]))
    assert reg.balance.currency == sandbox["currency"]
    del w

    # Nothing listens on the port: unreachable (nothing was sent).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    dead = sp.BackendConfig(base_url=f"https://127.0.0.1:{closed_port}", ca_pem=sandbox["ca_pem"],
                            spki_pins=[sandbox["spki_pin"]], require_pins=True,
                            connect_timeout_ms=2000, read_timeout_ms=2000)
    w = sp.Wallet.open(config(tmp_path / "b", backend=dead, roots=sandbox["roots_json"]),
                       HmacKeyStore(), Network(True), None)
    with pytest.raises(sp.WalletError.Unreachable):
        run(w.sync_registry())
    del w



# ----- the pay code: the phone shows, a till charges (sandbox over TLS) -----

def till(sb, method, path, body=None):
    """A shop's till: HTTPS to the sandbox with its till key, trusting its CA."""
    import http.client
    import ssl
    import urllib.parse
    u = urllib.parse.urlsplit(sb["base_url"])
    ctx = ssl.create_default_context(cadata=sb["ca_pem"])
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=15)
    headers = {"Authorization": f"ScanPay-Till {sb['till_key']}"}
    data = None
    if body is not None:
        data = json.dumps(body)
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, u.path.rstrip("/") + path, body=data, headers=headers)
        r = conn.getresponse()
        text = r.read()
    finally:
        conn.close()
    assert r.status == 200, (r.status, text)
    return json.loads(text)


def till_charge(sb, order, auth_code, minor):
    return till(sb, "POST", "/v1/merchant/paycode/charges",
                {"out_trade_no": order, "auth_code": auth_code,
                 "amount": {"minor": minor, "currency": sb["currency"]}})


def cpm_token(cpm_text):
    """The 18 digits in tag 5A of the CPM text (BCD), read independently of the core."""
    import base64
    raw = base64.b64decode(cpm_text)
    i = raw.index(bytes([0x5A, 0x09]))
    return raw[i + 2:i + 11].hex()


def draw_qr(qr, scale=4):
    """The app's drawing: dark squares per module, quiet zone around, as a luma frame."""
    quiet = sp.paycode_qr_quiet_modules()
    side = (qr.size + 2 * quiet) * scale
    luma = bytearray([255]) * (side * side)
    for y in range(qr.size):
        for x in range(qr.size):
            if qr.modules[y * qr.size + x]:
                for dy in range(scale):
                    row = ((y + quiet) * scale + dy) * side
                    start = row + (x + quiet) * scale
                    luma[start:start + scale] = bytes(scale)
    return bytes(luma), side


def test_e2e_paycode_offline_charge_reuse_and_pin(tmp_path, sandbox):
    net = Network(True)
    w = sandbox_wallet(tmp_path, sandbox, network=net)
    st = w.paycode_status()
    assert not st.provisioned and st.blocked == sp.PaycodeBlock.NOT_PROVISIONED(), st
    # Opening provisions it with the backend (online), behind the PIN.
    pad = sp.PinPad()
    press_all(pad, PIN)
    session = run(w.open_paycode(pad))
    assert pad.count() == 0, "the pad is wiped after use"
    st = w.paycode_status()
    assert st.provisioned and st.blocked is None and st.issued_since_sync == 0, st
    assert st.limits.no_pin_max == sp.Money(minor_units=3000, currency="SGD", exponent=2)

    # The phone goes offline: the code is made without the backend.
    net.available = False
    shown = run(session.current())
    assert shown.displayable and re.fullmatch(r"39\d{16}", shown.digits)
    assert shown.valid_until - shown.issued_at <= 60 and 0 < shown.refresh_in_secs <= 60
    assert w.paycode_status().issued_since_sync == 1
    # The same code until it must change.
    assert run(session.current()).counter == shown.counter
    # What the screen draws carries the same code: the CPM text's token, the
    # QR matrix read back by the scanner, the Code 128 bars' shape.
    assert cpm_token(shown.cpm_text) == shown.digits
    luma, side = draw_qr(shown.qr)
    assert [c.text for c in sp.QrScanner.for_still_images().scan(luma, side, side, side, 0, None)] == [shown.cpm_text]
    assert len(shown.bars) == 73 and sum(shown.bars) == 134, "Start C, 9 pairs, check, Stop"
    # A screen capture hides it, and the core hands out nothing to draw.
    session.set_screen_captured(True)
    hidden = run(session.current())
    assert not hidden.displayable and hidden.digits == "" and hidden.qr.size == 0 and len(hidden.bars) == 0
    session.set_screen_captured(False)
    assert run(session.current()).digits == shown.digits

    # The cashier scans the digits and charges SGD 3.20 (below the no-PIN amount).
    paid = till_charge(sandbox, "PY-PC-1", shown.digits, 320)
    assert paid["state"] == "paid" and paid["receipt"], paid

    # Back online: one sync brings the receipt into the pay-code history.
    net.available = True
    changed = run(w.sync_paycode(0))
    assert [(c.state, c.receipt, c.amount.minor_units) for c in changed] == [(sp.ChargeState.PAID, paid["receipt"], 320)]
    hist = w.paycode_history()
    assert hist[0].receipt == paid["receipt"] and hist[0].method == sp.AuthMethod.CODE
    assert hist[0].merchant.id == sandbox["till_merchant"] and hist[0].merchant.registered
    assert w.paycode_status().issued_since_sync == 0, "the sync resets the offline count"

    # The same code again (another order): refused, code-used.
    again = till_charge(sandbox, "PY-PC-2", shown.digits, 320)
    assert again["state"] == "declined" and again["reason"] == "code-used", again
    # The used code is replaced at once.
    nxt = run(session.current())
    assert nxt.counter > shown.counter and nxt.digits != shown.digits

    # SGD 45.00 is above the no-PIN amount: the till waits for the phone's PIN.
    # This time the till scans the QR form.
    waiting = till_charge(sandbox, "PY-PC-3", nxt.cpm_text, 4500)
    assert waiting["state"] == "userpaying" and waiting["expires_at"], waiting
    run(w.sync_paycode(5))
    pending = w.pending_charges()
    assert [(p.charge_id, p.amount.minor_units) for p in pending] == [(waiting["charge_id"], 4500)], pending
    assert w.paycode_status().pending_charges == 1
    wrong = sp.PinPad()
    press_all(wrong, OTHER_PIN)
    with pytest.raises(sp.PaycodeError.WrongPin):
        run(w.confirm_charge(pending[0].charge_id, wrong))
    assert till(sandbox, "GET", "/v1/merchant/paycode/charges/PY-PC-3")["state"] == "userpaying"
    pad = sp.PinPad()
    press_all(pad, PIN)
    outcome = run(w.confirm_charge(pending[0].charge_id, pad))
    assert outcome.is_paid(), outcome
    query = till(sandbox, "GET", "/v1/merchant/paycode/charges/PY-PC-3")
    assert query["state"] == "paid" and query["receipt"], query
    run(w.sync_paycode(0))
    assert w.pending_charges() == []
    newest = w.paycode_history()[0]
    assert (newest.charge_id, newest.state, newest.method, newest.payer_answer) == (
        waiting["charge_id"], sp.ChargeState.PAID, sp.AuthMethod.CODE_AND_PIN, sp.PayerAnswer.CONFIRMED)
    assert newest.receipt == query["receipt"]

    session.end()
    with pytest.raises(sp.PaycodeError.Closed):
        run(session.current())


def test_paycode_without_backend_is_typed(tmp_path):
    """Offline-only wallet: no PIN attempt is spent, the UI is told to go online."""
    w = sp.Wallet.open(config(tmp_path), HmacKeyStore(), Network(True), None)
    assert w.paycode_status().blocked == sp.PaycodeBlock.NOT_ENROLLED()
    enrol(w)
    assert w.paycode_status().blocked == sp.PaycodeBlock.NOT_PROVISIONED()
    pad = sp.PinPad()
    press_all(pad, OTHER_PIN)
    with pytest.raises(sp.PaycodeError.NotProvisioned):
        run(w.open_paycode(pad))
    assert w.auth_status().failures == 0, "no PIN attempt spent"
    with pytest.raises(sp.PaycodeError.NoBackend):
        run(w.sync_paycode(0))
    assert w.pending_charges() == [] and w.paycode_history() == []

# ----- the attack corpus (tests/fixtures/attacks), as an app calls the bindings -----
#
# The same manifest core/tests/it/attacks.rs asserts through the core. Every case is
# checked here through the Python API an app uses: TrustChecker + apply_registry +
# verify, classify, QrScanner.scan. What the bindings cannot express is noted per
# case (NOTES) and printed with the counts; a case that is neither checked nor
# listed in EXPECTED_SKIPS fails the test.

import struct
import zlib

ATTACKS = pathlib.Path(os.environ.get("SCANPAY_ROOT", ROOT)) / "tests" / "fixtures" / "attacks"
ATTACK_KINDS = ("verify", "replay", "registry", "classify", "image")
# Cases the bindings cannot express at all (name -> reason). Empty: every case is checked.
EXPECTED_SKIPS = {}


def attack_manifest():
    return json.loads((ATTACKS / "manifest.json").read_text(encoding="utf-8"))


def attack_text(case):
    if "text" in case:
        return case["text"]
    r = case["text_repeat"]
    return r.get("prefix", "") + r["unit"] * r["count"]


def kebab(name):
    """`FrameTooSmall` / `NOT_HTTPS` -> `frame-too-small` / `not-https`."""
    if "_" in name or name.isupper():
        return name.lower().replace("_", "-")
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i > 0:
            out += "-"
        out += ch.lower()
    return out


def png_luma(path):
    """Decodes an 8-bit greyscale, non-interlaced PNG (what the corpus holds) with
    the standard library: Pillow is not in the test venv. Anything else is an error,
    not a guess."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        ctype, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat += body
        elif ctype == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = header
    assert (depth, colour, interlace) == (8, 0, 0), f"{path}: not 8-bit greyscale"
    raw = zlib.decompress(idat)
    out = bytearray()
    prev = bytearray(width)
    for y in range(height):
        row = raw[y * (width + 1):(y + 1) * (width + 1)]
        f, line = row[0], bytearray(row[1:])
        for x in range(width):
            a = line[x - 1] if x else 0
            b = prev[x]
            c = prev[x - 1] if x else 0
            if f == 1:
                line[x] = (line[x] + a) & 0xFF
            elif f == 2:
                line[x] = (line[x] + b) & 0xFF
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 0xFF
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
            else:
                assert f == 0, f"{path}: filter {f}"
        out += line
        prev = line
    return bytes(out), width, height


def generated_luma(spec):
    """The frame a `generate` case describes (the manifest's LCG for noise)."""
    n = spec["width"] * spec["height"]
    if spec["fill"] == "black":
        data = bytes(n)
    elif spec["fill"] == "white":
        data = b"\xff" * n
    else:
        assert spec["fill"] == "noise", spec
        s, mask, buf = spec["seed"], (1 << 64) - 1, bytearray(n)
        for i in range(n):
            s = (s * 6364136223846793005 + 1442695040888963407) & mask
            buf[i] = s >> 56
        data = bytes(buf)
    return data, spec["width"], spec["height"]


def verdict_outcome(v):
    if v.is_verified():
        return {"verdict": "verified", "registered_name": v.merchant.registered_name}
    return {"verdict": "unverified", "reason": sp.reason_code(v.reason)}


def flag_code(f):
    if f.is_LOOKALIKE():
        return f"lookalike:{f.brand}"
    # The generated variant classes are named `LinkFlag.NOT_HTTPS`.
    return kebab(type(f).__name__.rsplit(".", 1)[-1])


def scan_outcome(scanner, luma, width, height):
    try:
        return {"codes": len(scanner.scan(luma, width, height, width, 0, None))}
    except sp.ScanError as e:
        return {"error": kebab(type(e).__name__.rsplit(".", 1)[-1])}


class AttackRunner:
    def __init__(self, manifest):
        self.m = manifest
        setup = manifest["setup"]
        self.roots = (ATTACKS / setup["roots"]).read_text()
        self.notes = {}

    def checker(self):
        """A fresh checker set up as the manifest says (so a fresh replay memory)."""
        setup = self.m["setup"]
        c = sp.TrustChecker(self.roots)
        for d in setup["registry"]:
            c.apply_registry((ATTACKS / d).read_bytes(), setup["registry_now"])
        return c

    def run(self, case):
        kind, exp = case["kind"], case["expect"]
        if kind == "verify":
            got = verdict_outcome(self.checker().verify(attack_text(case), case["now"]))
            assert got == exp, got
        elif kind == "replay":
            # The bindings' TrustChecker keeps its replay memory in process; the
            # SQLite-backed memory lives only inside a Wallet, which verifies with
            # the system clock (the corpus codes are dated) — so a `restart` case
            # is asserted for its in-process part only.
            c = self.checker()
            first = verdict_outcome(c.verify(case["text"], case["now"]))
            second = verdict_outcome(c.verify(case["text"], case["now"] + 1))
            assert {"first": first, "second": second} == exp, (first, second)
            if case.get("restart"):
                self.notes[case["name"]] = ("replay restart: in-process part only (no persistent replay memory "
                                            "outside a Wallet)")
        elif kind == "registry":
            c = sp.TrustChecker(self.roots)
            last = None
            for d in case["documents"]:
                try:
                    c.apply_registry((ATTACKS / d).read_bytes(), case["now"])
                    last = None
                except sp.TrustError.Registry as e:
                    last = e.code
            got = {"applied": True} if last is None else {"applied": False, "error": last}
            assert got == exp, got
        elif kind == "classify":
            got = sp.classify(attack_text(case))
            assert kebab(got.kind.name) == exp["kind"], got.kind
            if "error" in exp:
                assert got.problem, f"expected a problem ({exp['error']}), got none"
                assert got.problem_code == exp["error"], got.problem_code
                assert got.merchant is None and got.consumer is None and got.link is None
            else:
                assert got.problem is None, got.problem
                part = {"emv-mpm": got.merchant, "emv-cpm": got.consumer, "url": got.link}.get(exp["kind"])
                assert exp["kind"] == "text" or part is not None, got
            if "flags" in exp:
                assert [flag_code(f) for f in got.link.flags] == exp["flags"], got.link.flags
        elif kind == "image":
            if "file" in case:
                luma, w, h = png_luma(ATTACKS / case["file"])
            else:
                luma, w, h = generated_luma(case["generate"])
            # Default options (the manifest's contract: the live-camera scanner),
            # and the gallery-import scanner must agree on these frames.
            for scanner in (sp.QrScanner(), sp.QrScanner.for_still_images()):
                got = scan_outcome(scanner, luma, w, h)
                assert got == exp, got
        else:
            raise AssertionError(f"unknown kind {kind}")


def test_attack_corpus_through_the_bindings(capsys):
    m = attack_manifest()
    assert m["format"] == 1
    runner = AttackRunner(m)
    checked = {k: 0 for k in ATTACK_KINDS}
    failures, skipped = [], []
    for case in m["cases"]:
        name = case["name"]
        if name in EXPECTED_SKIPS:
            skipped.append((name, EXPECTED_SKIPS[name]))
            continue
        try:
            runner.run(case)
            checked[case["kind"]] += 1
        except Exception as e:  # collect every failing case, not just the first
            failures.append(f"{name} ({case['kind']}): {e!r}")
    with capsys.disabled():
        total = sum(checked.values())
        print(f"\nattack corpus (Python): {total}/{len(m['cases'])} cases checked: "
              + ", ".join(f"{k} {v}" for k, v in checked.items()))
        for name, reason in skipped:
            print(f"  skipped {name}: {reason}")
        groups = {}
        for name, note in runner.notes.items():
            groups.setdefault(note, []).append(name)
        for note, names in groups.items():
            print(f"  partially expressible: {len(names)} cases: {note}")
    assert not failures, "\n".join(failures)
    assert total + len(skipped) == len(m["cases"])
    assert set(EXPECTED_SKIPS) <= {c["name"] for c in m["cases"]}, "stale EXPECTED_SKIPS"


def test_no_attack_case_verifies_through_the_bindings():
    # Every text in the corpus, classified and verified with a fresh checker:
    # only the cases whose expectation is `verified` may verify.
    m = attack_manifest()
    runner = AttackRunner(m)
    seen = 0
    for case in m["cases"]:
        if "text" not in case and "text_repeat" not in case:
            continue
        text = attack_text(case)
        sp.classify(text)
        v = runner.checker().verify(text, case.get("now", m["setup"]["registry_now"]))
        benign = case["expect"].get("verdict") == "verified" or \
            case["expect"].get("first", {}).get("verdict") == "verified"
        assert not v.is_verified() or benign, case["name"]
        seen += 1
    assert seen >= 50, seen


# ----- the PIN limit with shared folders, key stores, echoed totals (issue 14) -----

def test_a_total_echoed_with_a_wrong_exponent_is_refused(wallet):
    enrol(wallet)
    flow = wallet.new_flow()
    flow.handle(sp.FlowIntent.SCANNED_TEXT(THB_CODE))
    flow.handle(sp.FlowIntent.PROCEED())
    s = flow.handle(sp.FlowIntent.EDIT_AMOUNT("12.50"))
    total = s.breakdown.total
    assert (total.minor_units, total.exponent) == (1250, 2)
    # The same minor units shown with exponent 0 is "1,250 THB", not 12.50.
    shown = sp.Money(minor_units=total.minor_units, currency=total.currency, exponent=0)
    with pytest.raises(sp.FlowError.TotalMismatch):
        flow.handle(sp.FlowIntent.CONFIRM(shown))
    assert flow.state() == s, "state unchanged"
    assert flow.handle(sp.FlowIntent.CONFIRM(total)).is_enter_pin()


def test_a_refused_sixth_digit_leaves_the_state_on_an_empty_pad(tmp_path):
    ks = SwitchableKeyStore()
    w = sp.Wallet.open(config(tmp_path), ks, Network(True), Logs())
    enrol(w)
    flow = w.new_flow()
    drive_to_pin(flow, THB_CODE)
    for d in PIN[:-1]:
        flow.press_pin_digit(d)
    assert flow.state().digits == 5
    ks.unavailable = True
    with pytest.raises(sp.FlowError.DeviceKeyUnusable):
        flow.press_pin_digit(PIN[-1])
    # The pad was wiped, and the state says so (it said 5 before the fix).
    s = flow.state()
    assert s.is_enter_pin() and s.digits == 0 and s.last_error is not None
    ks.unavailable = False
    for i, d in enumerate(PIN[:-1]):
        assert flow.press_pin_digit(d).digits == i + 1
    assert flow.press_pin_digit(PIN[-1]).is_processing()


class IdentityKeyStore(sp.PlatformKeyStore):
    """'Wraps' by returning its input: no hardware protection at all."""

    def wrap(self, alias, plaintext):
        return plaintext

    def unwrap(self, alias, wrapped):
        return wrapped


class ForgetfulKeyStore(HmacKeyStore):
    """Wraps under a key it then forgets."""

    def wrap(self, alias, plaintext):
        out = super().wrap(alias, plaintext)
        self.key = os.urandom(32)
        return out


@pytest.mark.parametrize("ks", [IdentityKeyStore(), ForgetfulKeyStore()])
def test_a_key_store_that_does_not_protect_the_key_is_refused(tmp_path, ks):
    w = sp.Wallet.open(config(tmp_path), ks, None, None)
    with pytest.raises(sp.PinError.KeyStore) as e:
        enrol(w)
    assert "does not protect" in str(e.value)
    assert not w.is_enrolled() and w.device_public_key() is None


class CallbackKeyStore(HmacKeyStore):
    """Asks the wallet for its PIN status and device key from inside wrap and
    unwrap (once per outer call: device_public_key unwraps through here)."""

    def __init__(self):
        super().__init__()
        self.wallet = None
        self.inside = threading.local()
        self.callbacks = 0

    def _call_back(self):
        if self.wallet is None or getattr(self.inside, "on", False):
            return
        self.inside.on = True
        try:
            self.wallet.auth_status()
            self.wallet.device_public_key()
            self.callbacks += 1
        finally:
            self.inside.on = False

    def wrap(self, alias, plaintext):
        self._call_back()
        return super().wrap(alias, plaintext)

    def unwrap(self, alias, wrapped):
        self._call_back()
        return super().unwrap(alias, wrapped)


def test_a_key_store_may_call_back_into_the_wallet(tmp_path):
    ks = CallbackKeyStore()
    w = sp.Wallet.open(config(tmp_path), ks, None, None)
    ks.wallet = w

    def enrol_and_verify():
        enrol(w)
        good = sp.PinPad()
        press_all(good, PIN)
        run(w.verify_pin(good))
        return w.device_public_key()

    # Before the fix this hung for ever inside the first callback.
    assert len(in_thread(enrol_and_verify, timeout=30)) == 32
    assert ks.callbacks >= 3
    ks.wallet = None


def test_wrong_pins_from_two_wallets_on_one_folder_all_count(tmp_path):
    ks = HmacKeyStore()
    a = sp.Wallet.open(config(tmp_path), ks, None, None)
    b = sp.Wallet.open(config(tmp_path), ks, None, None)
    enrol(a)
    start = threading.Barrier(4)
    answers = []
    lock = threading.Lock()

    def guess(w):
        start.wait()
        pad = sp.PinPad()
        press_all(pad, OTHER_PIN)
        try:
            run(w.verify_pin(pad))
            kind = "ok"
        except sp.PinError.WrongPin as e:
            kind = ("wrong", e.attempts_left)
        except sp.PinError.LockedOut:
            kind = "locked"
        with lock:
            answers.append(kind)

    threads = [threading.Thread(target=guess, args=(w,), daemon=True) for w in (a, b, a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 4, answers
    # Four wrong PINs at once: four evaluated, each with its own count.
    assert sorted(answers) == [("wrong", 6), ("wrong", 7), ("wrong", 8), ("wrong", 9)]
    assert a.auth_status().failures == 4 and b.auth_status().failures == 4


# ----- shortcuts (issue 12, ADR 0022): biometric confirmation and PIN-free payments -----
# Against a sandbox of their own: the PIN-free test moves its clock a day forward
# (with the wallet's TestClock), which would disturb the shared one's payments.

@pytest.fixture(scope="module")
def shortcut_sandbox(tmp_path_factory):
    yield from running_sandbox(tmp_path_factory, "shortcut-sandbox")


def shortcut_wallet(tmp_path, sb, clock=None):
    backend = sp.BackendConfig(base_url=sb["base_url"], ca_pem=sb["ca_pem"], spki_pins=[sb["spki_pin"]],
                               require_pins=True, connect_timeout_ms=5000, read_timeout_ms=5000)
    cfg = config(tmp_path, backend=backend, roots=sb["roots_json"], currency=sb["currency"])
    cfg.allow_unverified_merchants = False
    w = sp.Wallet.open_with_test_clock(cfg, HmacKeyStore(), Network(True), None, clock or sp.TestClock())
    assert run(w.sync_registry()).key_count > 0
    enrol(w)
    run(w.register_device(sb["enrolment_code"]))
    return w


def dynamic_order(sb, amount, reference):
    """A dynamic code of the sandbox's merchant M-0001 (its till signs it)."""
    payload = sb["command"](f"order M-0001 {amount} {reference}")
    assert not payload.startswith("error"), payload
    return payload


def sandbox_method(sb, payment_id):
    """How the sandbox recorded the payment as authorised."""
    return json.loads(sb["command"](f"payment {payment_id}"))["method"]


def pin_pad(digits=PIN):
    pad = sp.PinPad()
    press_all(pad, digits)
    return pad


class Steps:
    """Drives a flow the way an app does and counts the user's actions: each
    intent (`handle`) and each PIN digit is one; also the time spent in the
    core (every bindings call, network included)."""

    def __init__(self, flow):
        self.flow, self.intents, self.digits, self.secs = flow, 0, 0, 0.0

    def _timed(self, fn, *args):
        t = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.secs += time.perf_counter() - t

    def intent(self, i):
        self.intents += 1
        return self._timed(self.flow.handle, i)

    def pin(self, digits=PIN):
        s = None
        for d in digits:
            self.digits += 1
            s = self._timed(self.flow.press_pin_digit, d)
        return s

    def process(self):
        return self._timed(lambda: run(self.flow.process(None)))

    @property
    def actions(self):
        return self.intents + self.digits


def test_biometric_payment_cancel_and_an_invalidated_key_through_the_bindings(tmp_path, shortcut_sandbox):
    sb = shortcut_sandbox
    w = shortcut_wallet(tmp_path, sb)
    sw = sp.InsecureSoftwareBiometricKey()
    st = w.shortcut_status()
    assert st.biometric_offered and not st.biometric and st.biometric_availability is None, st
    pad = pin_pad()
    st = run(w.enable_biometric(pad, sw.as_biometric_key()))
    assert st.biometric and st.held_version is not None and pad.count() == 0, st
    assert w.shortcut_status().biometric_availability == sp.BiometricAvailability.AVAILABLE

    # Scan + confirm + touch: a verified dynamic code skips the review.
    flow = w.new_flow()
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, "4.50", "PY-BIO-1")))
    assert s.is_confirm_amount(), s
    s = flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert s.is_confirm_biometric() and s.problem is None, s
    s = flow.handle(sp.FlowIntent.AUTHENTICATE_BIOMETRIC())
    assert s.is_processing(), s
    end = run(flow.process(None))
    assert end.is_done(), end
    assert w.payment(end.payment_id).method == sp.PaymentAuthMethod.BIOMETRIC
    assert sandbox_method(sb, end.payment_id) == "biometric"

    # The payer cancels the prompt: still on the confirm screen, nothing journalled; then it works.
    flow = w.new_flow()
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, "2.00", "PY-BIO-2")))
    s = flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
    sw.fail_next(sp.BiometricError.Cancelled())
    s = flow.handle(sp.FlowIntent.AUTHENTICATE_BIOMETRIC())
    assert s.is_confirm_biometric() and s.problem and s.problem_code == "cancelled", s
    assert flow.payment_id() is None
    assert flow.handle(sp.FlowIntent.AUTHENTICATE_BIOMETRIC()).is_processing()
    assert run(flow.process(None)).is_done()

    # A new enrolment invalidates the key: the PIN pad says why, and biometrics lapse.
    flow = w.new_flow()
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, "1.50", "PY-BIO-3")))
    s = flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
    sw.invalidate()
    s = flow.handle(sp.FlowIntent.AUTHENTICATE_BIOMETRIC())
    assert s.is_enter_pin() and s.digits == 0, s
    assert s.fallback.shortcut == "biometric" and s.fallback.reason == "biometric-failed", s.fallback
    assert s.fallback.detail_code == "key-invalidated", s.fallback
    st = w.shortcut_status()
    assert not st.biometric and [(l.shortcut, l.reason) for l in st.lapses] == [
        (sp.Shortcut.BIOMETRIC(), sp.ShortcutLapse.KEY_INVALIDATED)], st
    assert Steps(flow).pin().is_processing()
    end = run(flow.process(None))
    assert end.is_done() and w.payment(end.payment_id).method == sp.PaymentAuthMethod.PIN
    assert sandbox_method(sb, end.payment_id) == "pin"
    # Off now: the next Confirm goes to the PIN pad.
    flow = w.new_flow()
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, "1.20", "PY-BIO-4")))
    if s.is_review_merchant():
        s = flow.handle(sp.FlowIntent.PROCEED())
    assert flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total)).is_enter_pin()


class RecordingBiometricKey(sp.BiometricKey):
    """An app's biometric key that keeps the dialog texts the core asked it
    to show, then signs with the software key."""

    def __init__(self, inner):
        self.inner = inner
        self.prompts = []

    def availability(self):
        return self.inner.availability()

    def create_key(self):
        return self.inner.create_key()

    def sign(self, challenge, prompt):
        self.prompts.append(prompt)
        return self.inner.sign(challenge, prompt)

    def delete_key(self):
        return self.inner.delete_key()


def test_the_biometric_dialog_is_written_in_the_payers_language(tmp_path, shortcut_sandbox, locales):
    sb = shortcut_sandbox
    w = shortcut_wallet(tmp_path, sb)
    key = RecordingBiometricKey(sp.InsecureSoftwareBiometricKey().as_biometric_key())
    assert run(w.enable_biometric(pin_pad(), key)).biometric
    for tags, pay, to, cancel in [(["zh-Hans"], "支付 ", "付给 ", "使用支付密码"),
                                  (["ms"], "Bayar ", "kepada ", "Guna PIN")]:
        locales(tags)
        flow = w.new_flow()
        s = flow.handle(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, "4.50", f"PY-BIO-L-{tags[0]}")))
        s = flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
        assert s.is_confirm_biometric(), s
        amount, name = sp.amount_text(s.breakdown.total).text, s.review.registered_name
        assert flow.handle(sp.FlowIntent.AUTHENTICATE_BIOMETRIC()).is_processing()
        prompt = key.prompts[-1]
        # The name inside Unicode isolates, as in every catalogue text.
        assert (prompt.title, prompt.subtitle) == (pay + amount, f"{to}\u2068{name}\u2069"), prompt
        # The cancel button, which goes back to the PIN pad, too.
        assert prompt.cancel == cancel, prompt
        assert run(flow.process(None)).is_done()


class RaisingBiometricKey(sp.BiometricKey):
    """An app's biometric key with a bug: `sign` raises what the interface
    does not declare. It must become `Failed` (the PIN), never a crash, never
    a payment."""

    def __init__(self, inner):
        self.inner = inner

    def availability(self):
        return self.inner.availability()

    def create_key(self):
        return self.inner.create_key()

    def sign(self, challenge, prompt):
        raise RuntimeError("a bug in the app's biometric code")

    def delete_key(self):
        return self.inner.delete_key()


def test_a_biometric_key_that_raises_falls_back_to_the_pin(tmp_path, shortcut_sandbox):
    sb = shortcut_sandbox
    w = shortcut_wallet(tmp_path, sb)
    key = RaisingBiometricKey(sp.InsecureSoftwareBiometricKey().as_biometric_key())
    assert run(w.enable_biometric(pin_pad(), key)).biometric
    flow = w.new_flow()
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, "3.10", "PY-BIO-RAISE")))
    s = flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert s.is_confirm_biometric(), s
    s = flow.handle(sp.FlowIntent.AUTHENTICATE_BIOMETRIC())
    assert s.is_enter_pin() and s.fallback.reason == "biometric-failed", s
    assert s.fallback.detail_code == "failed", s.fallback
    assert flow.payment_id() is None, "nothing was journalled"
    # A failure, not a lost key: biometric confirmation stays on.
    assert w.shortcut_status().biometric
    # A PIN change lapses it (what the old PIN allowed, the new one must allow again),
    # and the wallet tells the backend at once: nothing left pending.
    held = w.shortcut_status().held_version
    old, new = pin_pad(), pin_pad(OTHER_PIN)
    run(w.change_pin(old, new))
    assert old.count() == 0 and new.count() == 0
    st = w.shortcut_status()
    assert not st.biometric and [(l.shortcut, l.reason) for l in st.lapses] == [
        (sp.Shortcut.BIOMETRIC(), sp.ShortcutLapse.PIN_CHANGED)], st
    assert not st.push_pending and st.held_version > held, st


def test_pin_free_payment_and_the_user_actions_per_path(tmp_path, shortcut_sandbox, capsys):
    """Every path from the scan to "paid", as an app drives it through the
    bindings: the user's actions (intents + PIN digits) and the core's time.
    BENCHMARKS.md quotes the table this prints."""
    sb = shortcut_sandbox
    clock = sp.TestClock()
    w = shortcut_wallet(tmp_path, sb, clock)
    rows = []

    def row(name, steps, end):
        assert end.is_done(), (name, end)
        rows.append((name, steps.intents, steps.digits, steps.actions, steps.secs * 1000))
        return end

    # Static code: scan, proceed, type the amount, confirm, PIN.
    st = Steps(w.new_flow())
    s = st.intent(sp.FlowIntent.SCANNED_TEXT(sb["payload_ok"]))
    s = st.intent(sp.FlowIntent.PROCEED())
    s = st.intent(sp.FlowIntent.EDIT_AMOUNT("3.00"))
    s = st.intent(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert st.pin().is_processing()
    row("static code (PIN)", st, st.process())
    # Dynamic code, PIN: scan, proceed, confirm, PIN.
    st = Steps(w.new_flow())
    s = st.intent(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, "5.00", "PY-STEP-DYN")))
    assert s.is_review_merchant(), s
    s = st.intent(sp.FlowIntent.PROCEED())
    s = st.intent(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert st.pin().is_processing()
    row("dynamic code (PIN)", st, st.process())

    # Pay code: open it with the PIN; the till charges under the no-PIN amount. (Before the
    # clocks move: the sandbox checks the provisioning time against its wall clock.)
    t = time.perf_counter()
    session = run(w.open_paycode(pin_pad()))
    shown = run(session.current())
    secs = time.perf_counter() - t
    paid = till_charge(sb, "PY-STEP-PC", shown.digits, 320)
    assert paid["state"] == "paid", paid
    t = time.perf_counter()
    changed = run(w.sync_paycode(0))
    secs += time.perf_counter() - t
    assert [c.state for c in changed] == [sp.ChargeState.PAID], changed
    rows.append(("pay code (under the no-PIN amount)", 1, len(PIN), 1 + len(PIN), secs * 1000))
    session.end()

    # Opt in to both shortcuts (PIN each), with the offered PIN-free defaults.
    offer = next(o for o in w.shortcut_status().pin_free_offers if o.caps.currency == sb["currency"])
    limits = offer.defaults
    # Typed refusals, nothing turned on: a limit over the cap, a wrong PIN.
    over_cap = sp.PinFreeLimits(currency=limits.currency, per_payment=offer.caps.per_payment + 1,
                                daily_total=limits.daily_total, daily_count=limits.daily_count)
    with pytest.raises(sp.ShortcutError.OverCap) as e:
        run(w.enable_pin_free(pin_pad(), over_cap))
    assert e.value.field == "per_payment" and e.value.cap == offer.caps.per_payment, e.value
    assert e.value.text().id == "shortcut-settings-over-cap", e.value.text()
    with pytest.raises(sp.ShortcutError.WrongPin) as e:
        run(w.enable_pin_free(pin_pad(OTHER_PIN), limits))
    assert e.value.attempts_left > 0
    assert e.value.text().id == "pin-wrong", e.value.text()
    assert w.shortcut_status().pin_free == []
    st_ = run(w.enable_pin_free(pin_pad(), limits))
    assert [l.currency for l in st_.pin_free] == [sb["currency"]], st_
    sw = sp.InsecureSoftwareBiometricKey()
    assert run(w.enable_biometric(pin_pad(), sw.as_biometric_key())).biometric

    # The merchant is new (first paid minutes ago): no PIN-free offer, the rule is named.
    flow = w.new_flow()
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, "1.00", "PY-NEW")))
    assert not s.is_confirm_pin_free(), s
    flow.handle(sp.FlowIntent.CANCEL())

    # A day later (the sandbox and the wallet clocks alike), the merchant is known.
    day = 25 * 3600
    assert int(sb["command"](f"advance {day}")) > 0
    clock.advance(day)

    # Dynamic code under the PIN-free amount: scan + one tap.
    under = limits.per_payment // 2
    st = Steps(w.new_flow())
    s = st.intent(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, f"{under // 100}.{under % 100:02d}", "PY-STEP-FREE")))
    assert s.is_confirm_pin_free(), s
    assert s.limits == limits, s  # for "no PIN needed up to ..."
    s = st.intent(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert s.is_processing(), s
    end = row("dynamic code under the PIN-free amount", st, st.process())
    assert w.payment(end.payment_id).method == sp.PaymentAuthMethod.PIN_FREE
    assert sandbox_method(sb, end.payment_id) == "pin-free"

    # Biometric (over the PIN-free amount): scan + confirm + touch.
    over = limits.per_payment + 100
    st = Steps(w.new_flow())
    s = st.intent(sp.FlowIntent.SCANNED_TEXT(dynamic_order(sb, f"{over // 100}.{over % 100:02d}", "PY-STEP-BIO")))
    assert s.is_confirm_amount(), s
    s = st.intent(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert s.is_confirm_biometric(), s
    assert st.intent(sp.FlowIntent.AUTHENTICATE_BIOMETRIC()).is_processing()
    end = row("biometric", st, st.process())
    assert sandbox_method(sb, end.payment_id) == "biometric"


    actions = {name: a for name, _, _, a, _ in rows}
    assert actions["dynamic code under the PIN-free amount"] == 2, rows
    assert actions["biometric"] == 3, rows
    with capsys.disabled():
        print("\nuser actions from the scan to paid (intents + PIN digits; core time incl. sandbox round trips)")
        print("| path | intents | PIN digits | actions | core ms |")
        print("|---|---:|---:|---:|---:|")
        for name, intents, digits, acts, ms in rows:
            print(f"| {name} | {intents} | {digits} | {acts} | {ms:.0f} |")


# ----- words and locales (issue 13, ADR 0024) -----

LOCALES = ["en", "zh-Hans", "ms", "id"]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def locales():
    """The locale is process-wide: every test that sets it goes back to
    English afterwards, whatever happens."""
    yield sp.set_locales
    sp.set_locales([])


def money(minor, currency, exponent=2):
    return sp.Money(minor_units=minor, currency=currency, exponent=exponent)


def mpm_code(name, city):
    """THB_CODE with a printed merchant name and city (tags 59 and 60) and
    its CRC recomputed (CRC-16/CCITT-FALSE over the payload up to "6304")."""
    body = THB_CODE[:-8] + f"59{len(name):02d}{name}60{len(city):02d}{city}6304"
    crc = 0xFFFF
    for b in body.encode():
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return body + f"{crc:04X}"


def test_set_locales_negotiates_and_is_process_wide(locales):
    assert sp.current_locale() == "en"
    cases = [
        (["zh_SG.UTF-8"], "zh-Hans-SG"),  # POSIX name, region kept for amounts
        (["in"], "id"),  # Java's legacy code for Indonesian
        (["zh-TW", "ms"], "ms"),  # Traditional Chinese is not served Simplified
        ([], "en"),
        (["en-XA"], "en-XA"),
        (["fr-FR", "de"], "en"),
    ]
    for tags, want in cases:
        assert locales(tags) == want, tags
        assert sp.current_locale() == want, tags


def test_a_wrong_pin_reads_in_each_locale_with_its_attempts(wallet, locales):
    enrol(wallet)
    wrong = sp.PinPad()
    press_all(wrong, OTHER_PIN)
    with pytest.raises(sp.PinError.WrongPin) as e:
        run(wallet.verify_pin(wrong))
    left = e.value.attempts_left
    texts = {}
    for tag in LOCALES:
        locales([tag])
        t = e.value.text()
        assert t.id == "pin-wrong" and t.text.strip(), (tag, t)
        [arg] = t.args
        assert arg.name == "attempts_left" and arg.value == sp.TextValue.COUNT(left), t
        assert str(left) in t.text, t
        texts[tag] = t.text
    assert CJK.search(texts["zh-Hans"]), texts
    assert not CJK.search(texts["en"]), texts
    assert len(set(texts.values())) == 4, texts  # four languages, four texts


def test_a_rich_error_text_has_its_id_and_typed_args(tmp_path, wallet, locales):
    enrol(wallet)
    pad = sp.PinPad()
    press_all(pad, PIN[:2])
    with pytest.raises(sp.PinError.Incomplete) as e:
        run(wallet.verify_pin(pad))
    t = e.value.text()
    assert t.id == "pin-incomplete", t
    assert [(a.name, a.value) for a in t.args] == [
        ("length", sp.TextValue.COUNT(6)),
        ("entered", sp.TextValue.COUNT(2)),
    ], t
    assert "6" in t.text and "2" in t.text, t
    # A rule of the PIN policy: its id, and its sentence in the language.
    weak = sp.PinPad()
    press_all(weak, [1, 2, 3, 4, 5, 6])
    locales(["zh-Hans"])
    fresh = sp.Wallet.open(config(tmp_path / "fresh"), HmacKeyStore(), None, None)
    with pytest.raises(sp.PinError.Rejected) as r:
        run(fresh.enrol(weak))
    assert r.value.reason == "pin-rejected-sequence", r.value
    rt = r.value.text()
    assert rt.id == "pin-rejected-sequence" and CJK.search(rt.text) and rt.args == [], rt


def test_amount_text_is_cldr_for_the_locale_with_its_parts(locales):
    cases = [
        ("en", money(1250, "SGD"), "SGD\u00a012.50", "12", "50"),
        ("en-SG", money(1250, "SGD"), "$12.50", "12", "50"),
        ("zh-Hans", money(1250, "CNY"), "\u00a512.50", "12", "50"),
        # IDR: CLDR shows no decimals, the exponent is 2; never rounded.
        ("id", money(1_250_000, "IDR"), "Rp\u00a012.500", "12500", ""),
        ("id", money(1_250_050, "IDR"), "Rp\u00a012.500,50", "12500", "50"),
    ]
    for tag, m, text, integer, fraction in cases:
        locales([tag])
        a = sp.amount_text(m)
        assert (a.text, a.integer_part, a.fraction_part, a.currency) == (text, integer, fraction, m.currency), (tag, a)
        assert a.spoken and a.spoken != a.text, a
        assert sp.format_money(m) == text, tag
    with pytest.raises(sp.FlowError.InvalidInput):
        sp.amount_text(money(1, "XYZ"))
    with pytest.raises(sp.FlowError.TotalMismatch):
        sp.amount_text(money(1250, "SGD", 0))
    # format_money cannot refuse: what the core cannot format is written
    # with the record's own exponent, never a power of ten off.
    assert sp.format_money(money(1250, "XTS")) == "XTS 12.50"
    assert sp.format_money(money(5, "XTS")) == "XTS 0.05"
    assert sp.format_money(money(1250, "SGD", 0)) == "SGD 1250"


def test_pin_entry_text_counts_and_never_shows_a_digit_of_the_pin(locales):
    for tag in LOCALES + ["en-XA"]:
        locales([tag])
        pad = sp.PinPad()
        for i, d in enumerate(PIN):
            t = sp.pin_entry_text(pad.press(d), 6)
            if i + 1 < 6:
                assert t.id == "a11y-pin-digits-entered", t
                assert [(a.name, a.value) for a in t.args] == [
                    ("entered", sp.TextValue.COUNT(i + 1)), ("length", sp.TextValue.COUNT(6))], t
            else:
                # Complete: no number at all, so not even a count to confuse.
                assert t.id == "a11y-pin-complete" and t.args == [], t
                assert not any(c.isdigit() for c in t.text), t
            # Only the counts: the digits typed so far never appear.
            typed = "".join(map(str, PIN[: i + 1]))
            assert len(typed) < 2 or typed not in t.text, (tag, t)
        assert sp.label_text(sp.UiLabel.DELETE_KEY).id == "a11y-key-delete"


def test_state_text_names_the_merchant_and_the_amount_in_the_locale(wallet, locales):
    enrol(wallet)
    locales(["zh-Hans-SG"])
    flow = wallet.new_flow()
    assert flow.state_text().id == "flow-scanning"
    s = flow.handle(sp.FlowIntent.SCANNED_TEXT(mpm_code("Kopi Corner", "Bangkok")))
    assert s.is_review_merchant() and s.review.printed_name == "Kopi Corner", s
    flow.handle(sp.FlowIntent.PROCEED())
    s = flow.handle(sp.FlowIntent.EDIT_AMOUNT("abc"))
    assert s.problem is not None and CJK.search(s.problem.text), s.problem
    s = flow.handle(sp.FlowIntent.EDIT_AMOUNT("12.50"))
    s = flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
    assert s.is_enter_pin()
    t = flow.state_text()
    amount = sp.amount_text(s.breakdown.total).text
    assert t.id == "flow-enter-pin", t
    assert CJK.search(t.text) and "Kopi Corner" in t.text and amount in t.text, t
    args = {a.name: a.value for a in t.args}
    assert args["merchant"] == sp.TextValue.NAME("Kopi Corner"), args
    assert args["amount"].money == s.breakdown.total and args["amount"].amount.text == amount, args
    # Rendered at each call: the next language shows at the next read.
    locales(["ms"])
    again = flow.state_text()
    assert again.id == t.id and again.text != t.text and not CJK.search(again.text), again
    # A wrong PIN: the pad's problem has the catalogue's text too.
    for d in OTHER_PIN:
        s = flow.press_pin_digit(d)
    assert s.last_error.is_wrong_pin() and s.last_error.text().id == "pin-wrong", s.last_error


def state_texts_in_this_locale(tmp_path, sb):
    """The flow's text at each state of two payments against the sandbox
    (paid, declined), in the current locale."""
    tag = sp.current_locale()
    got = {}
    w = sandbox_wallet(tmp_path / tag, sb)
    for payload, amount in [(sb["payload_ok"], "3.50"), (sb["payload_blocked"], "1.00")]:
        flow = w.new_flow()
        got["Scanning"] = flow.state_text()
        flow.handle(sp.FlowIntent.SCANNED_TEXT(payload))
        got["ReviewMerchant"] = flow.state_text()
        s = flow.handle(sp.FlowIntent.PROCEED())
        got["EnterAmount"] = flow.state_text()
        s = flow.handle(sp.FlowIntent.EDIT_AMOUNT(amount))
        flow.handle(sp.FlowIntent.CONFIRM(s.breakdown.total))
        got["EnterPin"] = flow.state_text()
        for d in PIN:
            flow.press_pin_digit(d)
        got["Processing"] = flow.state_text()
        end = run(flow.process(None))
        got["Done" if end.is_done() else "Failed"] = flow.state_text()
    return got


def test_every_state_of_a_payment_reads_in_every_locale(tmp_path, sandbox, locales):
    """Each state a payment passes through has the catalogue's text in each
    language: an id per state, a text in the language, the amount in it once
    there is one."""
    by_locale = {}
    for tag in LOCALES:
        locales([tag])
        by_locale[tag] = state_texts_in_this_locale(tmp_path, sandbox)
    en = by_locale["en"]
    assert set(en) == {"Scanning", "ReviewMerchant", "EnterAmount", "EnterPin", "Processing",
                       "Done", "Failed"}, sorted(en)
    assert len({t.id for t in en.values()}) == len(en), {k: t.id for k, t in en.items()}
    for tag, got in by_locale.items():
        assert {k: t.id for k, t in got.items()} == {k: t.id for k, t in en.items()}, tag
        for state, t in got.items():
            assert t.text.strip() and "{" not in t.text, (tag, state, t)
            if tag == "zh-Hans":
                assert CJK.search(t.text), (state, t)
            if tag != "en":
                assert t.text != en[state].text, (tag, state, t.text)
        # The PIN prompt carries the amount as the locale writes it.
        amount = [a.value for a in got["EnterPin"].args if a.name == "amount"][0]
        assert amount.amount.text in got["EnterPin"].text, (tag, got["EnterPin"])


def errors_in_this_locale(tmp_path):
    """Every FlowError and WalletError variant these suites can make without
    a backend, made now (flat errors are rendered when they are raised)."""
    got = {}

    def catch(name, fn):
        try:
            fn()
        except (sp.FlowError, sp.WalletError) as e:
            assert type(e).__name__ == name, (name, type(e).__name__, e)
            got[name] = str(e)
        else:
            raise AssertionError(f"{name}: nothing raised")

    tag = sp.current_locale()
    w = sp.Wallet.open(config(tmp_path / tag / "w"), HmacKeyStore(), Network(True), None)
    enrol(w)
    flow = w.new_flow()
    catch("InvalidIntent", lambda: flow.handle(sp.FlowIntent.PROCEED()))
    catch("NotAMerchantCode", lambda: flow.handle(sp.FlowIntent.SCANNED_TEXT("https://example.com")))
    catch("DamagedCode", lambda: flow.handle(sp.FlowIntent.SCANNED_TEXT(THB_CODE[:-1] + "8")))
    flow.handle(sp.FlowIntent.SCANNED_TEXT(THB_CODE))
    flow.handle(sp.FlowIntent.PROCEED())
    s = flow.handle(sp.FlowIntent.EDIT_AMOUNT("12.50"))
    total = s.breakdown.total
    catch("TotalMismatch", lambda: flow.handle(sp.FlowIntent.CONFIRM(money(total.minor_units, "THB", 0))))
    catch("InvalidInput", lambda: flow.handle(sp.FlowIntent.CONFIRM(money(1, "XYZ"))))
    low = config(tmp_path / tag / "low")
    low.limits[0].per_payment = 1_000
    lw = sp.Wallet.open(low, HmacKeyStore(), Network(True), None)
    enrol(lw)
    catch("LimitExceeded", lambda: confirm_one(lw, "12.50"))
    off = sp.Wallet.open(config(tmp_path / tag / "off"), HmacKeyStore(), Network(False), None)
    enrol(off)
    catch("OfflineNotAllowed", lambda: confirm_one(off))
    sgd = sp.Wallet.open(config(tmp_path / tag / "sgd", currency="SGD"), HmacKeyStore(), Network(True), None)
    enrol(sgd)
    catch("CurrencyNotAllowed", lambda: confirm_one(sgd))
    catch("Roots", lambda: sp.Wallet.open(config(tmp_path / tag / "r", roots="[]"), HmacKeyStore(), None, None))
    bad = sp.BackendConfig(base_url="http://example.invalid", ca_pem="", spki_pins=[],
                           require_pins=False, connect_timeout_ms=0, read_timeout_ms=0)
    catch("BackendConfig", lambda: sp.Wallet.open(config(tmp_path / tag / "b", backend=bad), HmacKeyStore(), None, None))
    cfg = config(tmp_path / tag / "c")
    cfg.limits[0].currency = "XYZ"
    catch("InvalidConfig", lambda: sp.Wallet.open(cfg, HmacKeyStore(), None, None))
    catch("NoBackend", lambda: run(w.register_device("CODE")))
    catch("Payment", lambda: w.flow_for_payment("no-such-payment"))
    return got


def test_every_flat_error_renders_in_every_locale(tmp_path, locales):
    by_locale = {}
    for tag in LOCALES:
        locales([tag])
        by_locale[tag] = errors_in_this_locale(tmp_path)
    en = by_locale["en"]
    assert len(en) == 13, sorted(en)
    for tag, got in by_locale.items():
        assert got.keys() == en.keys(), tag
        for name, text in got.items():
            assert text.strip(), (tag, name)
            if tag == "zh-Hans":
                assert CJK.search(text), (name, text)
            if tag != "en":
                assert text != en[name], (tag, name, text)
    # The payer's text, not the technical detail it used to carry.
    assert "proceed" not in en["InvalidIntent"].lower(), en["InvalidIntent"]
    assert "exponent" not in en["TotalMismatch"], en["TotalMismatch"]
    assert "XYZ" not in en["InvalidConfig"] and "XYZ" not in en["InvalidInput"], en
    assert "no-such-payment" not in en["Payment"], en["Payment"]
    # The limit keeps its amount, written for the locale.
    assert "THB\u00a010.00" in en["LimitExceeded"], en["LimitExceeded"]



def ui_texts():
    """One of each UiText, with the catalogue id it must give."""
    sgd = money(350, "SGD")
    charge = sp.PendingCharge(
        charge_id="c-1", merchant=sp.ChargeMerchant(id="m-1", name="Kopi Corner", registered=True),
        amount=sgd, expires_at=None)
    paid = sp.ChargeOutcome.PAID(receipt="R-77")
    lapsed = lambda s, r: sp.UiText.SHORTCUT_LAPSED(sp.LapsedShortcut(shortcut=s, reason=r, at=0))
    limits = sp.PinFreeLimits(currency="SGD", per_payment=2000, daily_total=10000, daily_count=10)
    return [
        (sp.UiText.PAYCODE_REFRESH(seconds=12, offline=False), "paycode-next-code"),
        (sp.UiText.PAYCODE_REFRESH(seconds=1, offline=True), "paycode-next-code-offline"),
        (sp.UiText.CHARGE_REQUEST(charge), "paycode-charge-request"),
        (sp.UiText.CHARGE_TITLE(paid), "receipt-paid"),
        (sp.UiText.CHARGE_TITLE(sp.ChargeOutcome.CLOSED()), "receipt-failed"),
        (sp.UiText.CHARGE_TITLE(sp.ChargeOutcome.REVERSED()), "receipt-refunded"),
        (sp.UiText.CHARGE_TITLE(sp.ChargeOutcome.UNKNOWN()), "receipt-pending"),
        (sp.UiText.CHARGE_RESULT(merchant="Kopi Corner", amount=sgd, outcome=paid, declined=False),
         "paycode-charge-paid-receipt"),
        (sp.UiText.CHARGE_RESULT(merchant="Kopi Corner", amount=sgd,
                                 outcome=sp.ChargeOutcome.PAID(receipt=None), declined=False),
         "paycode-charge-paid"),
        (sp.UiText.CHARGE_RESULT(merchant="Kopi Corner", amount=sgd,
                                 outcome=sp.ChargeOutcome.CLOSED(), declined=False), "paycode-charge-cancelled"),
        (sp.UiText.CHARGE_RESULT(merchant="Kopi Corner", amount=sgd,
                                 outcome=sp.ChargeOutcome.CLOSED(), declined=True), "paycode-charge-declined"),
        # A decline that found the charge paid (its confirmation's answer was lost) says paid.
        (sp.UiText.CHARGE_RESULT(merchant="Kopi Corner", amount=sgd, outcome=paid, declined=True),
         "paycode-charge-paid-receipt"),
        (lapsed(sp.Shortcut.BIOMETRIC(), sp.ShortcutLapse.KEY_INVALIDATED),
         "shortcut-lapsed-biometric-changed"),
        (lapsed(sp.Shortcut.PIN_FREE(currency="SGD"), sp.ShortcutLapse.PIN_CHANGED),
         "shortcut-lapsed-pin-free-pin-changed"),
        (sp.UiText.BIOMETRIC_SETTING(sp.BiometricAvailability.NOT_ENROLLED),
         "shortcut-settings-biometric-not-enrolled"),
        (sp.UiText.PIN_FREE_OFFER(limits), "shortcut-pin-free-offer"),
        (sp.UiText.REFERENCE(reference="5f0c2a9e-0000-4000-8000-000000000001"), "receipt-reference"),
        (sp.UiText.TOTAL(amount=sgd), "receipt-total"),
        (sp.UiText.TIP(amount=money(50, "SGD")), "receipt-tip"),
    ]


def test_every_caption_and_value_text_is_written_in_every_locale(locales):
    """The sample screens take every caption from label_text and every text
    made from values from ui_text: each exists in each language (a screen is
    never English buttons around translated sentences)."""
    for tag in LOCALES + ["en-XA"]:
        locales([tag])
        labels = {l: sp.label_text(l) for l in sp.UiLabel}
        assert len({t.id for t in labels.values()}) == len(labels), labels
        for label, t in labels.items():
            assert t.text.strip() and "{" not in t.text, (tag, label, t)
        for text, want in ui_texts():
            got = sp.ui_text(text)
            assert got.id == want and got.text.strip() and "{" not in got.text, (tag, text, got)
        if tag == "zh-Hans":
            assert CJK.search(labels[sp.UiLabel.PAY].text), labels[sp.UiLabel.PAY]
    # The PIN length comes from the core, not from the app's text.
    locales(["en"])
    assert sp.label_text(sp.UiLabel.CHOOSE_PIN).text == "Choose a PIN of 6 digits."
    by_id = {want: text for text, want in ui_texts()}
    paid = sp.ui_text(by_id["paycode-charge-paid-receipt"])
    assert paid.text == "You paid SGD\u00a03.50 to \u2068Kopi Corner\u2069. Receipt \u2068R-77\u2069.", paid
    assert [a.name for a in paid.args] == ["amount", "merchant", "receipt"], paid
    offer = sp.ui_text(by_id["shortcut-pin-free-offer"]).text
    assert offer == "Up to SGD\u00a020.00 a payment, SGD\u00a0100.00 and 10 payments a day.", offer
    # An amount the library cannot write is refused, not guessed.
    with pytest.raises(sp.FlowError.InvalidInput):
        sp.ui_text(sp.UiText.TOTAL(amount=money(1, "XYZ")))
    with pytest.raises(sp.FlowError.TotalMismatch):
        sp.ui_text(sp.UiText.TIP(amount=money(1, "SGD", exponent=3)))
    with pytest.raises(sp.FlowError.InvalidInput):
        sp.ui_text(sp.UiText.PIN_FREE_OFFER(sp.PinFreeLimits(
            currency="XYZ", per_payment=1, daily_total=1, daily_count=1)))


def test_the_few_text_functions_pick_the_catalogue_message(tmp_path, locales):
    locales(["id"])
    offline = sp.StatusSnapshot(connectivity=sp.ConnectivityStatus.OFFLINE(0), pending_payments=2)
    texts = sp.status_texts(offline)
    assert [t.id for t in texts] == ["status-offline", "status-pending-payments"], texts
    assert texts[1].args[0].value == sp.TextValue.COUNT(2) and "2" in texts[1].text, texts
    online = sp.StatusSnapshot(connectivity=sp.ConnectivityStatus.ONLINE(), pending_payments=0)
    assert [t.id for t in sp.status_texts(online)] == ["status-online"]
    states = {
        sp.PaymentState.SUCCEEDED: "receipt-paid", sp.PaymentState.QUEUED: "receipt-pending",
        sp.PaymentState.UNKNOWN: "receipt-pending", sp.PaymentState.NOT_SENT: "receipt-failed",
        sp.PaymentState.DECLINED: "receipt-failed", sp.PaymentState.REVERSED: "receipt-reversed",
        sp.PaymentState.NEEDS_ATTENTION: "receipt-needs-attention",
    }
    for state, want in states.items():
        t = sp.receipt_status_text(state)
        assert t.id == want and t.text.strip(), (state, t)
    w = sp.warning_text(sp.Warning.CITY_DIFFERS(printed="Bandung", registered="Jakarta"))
    assert w.id == "trust-warning-city-differs", w
    assert [(a.name, a.value) for a in w.args] == [
        ("printed", sp.TextValue.NAME("Bandung")), ("registered", sp.TextValue.NAME("Jakarta"))], w
    # Names are isolated so a right-to-left name cannot reorder the text.
    assert "\u2068Bandung\u2069" in w.text, w
    labels = [sp.label_text(l) for l in sp.UiLabel]
    assert len({t.id for t in labels}) == len(labels) and all(t.text.strip() for t in labels), labels
    # Pay code: the block and the error have the core's texts too.
    wallet = sp.Wallet.open(config(tmp_path), HmacKeyStore(), Network(True), None)
    assert wallet.paycode_status().blocked.text().id == "pin-not-enrolled"
    enrol(wallet)
    pad = sp.PinPad()
    press_all(pad, PIN)
    with pytest.raises(sp.PaycodeError.NotProvisioned) as e:
        run(wallet.open_paycode(pad))
    assert e.value.text().id == "paycode-not-provisioned" and e.value.text().text.strip()
