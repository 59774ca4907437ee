"""A first payment through the ScanPay Python bindings (docs/bindings.md).

  PYTHONPATH=FOLDER_OF_scanpay.py python3 first_payment.py LINK_JSON PAYLOAD WALLET_DIR

LINK_JSON is written by `scanpay sandbox serve --data DIR` (DIR/link.json); PAYLOAD is a
merchant code's text, e.g. from `scanpay qr make --merchant M-0001 --amount 4.50 --dynamic`;
WALLET_DIR is a new folder. libscanpay_ffi.so must be in the same folder as scanpay.py.
"""
import asyncio, json, sys
import scanpay as sp

PIN = [2, 5, 8, 0, 4, 7]  # from the app's PIN screen, digit by digit: never a string


async def main(link_json, payload, wallet_dir):
    link = json.load(open(link_json))
    backend = sp.BackendConfig(base_url=link["base_url"], ca_pem=open(link["ca_pem_path"]).read(),
                               spki_pins=[link["spki_pin"]], require_pins=True,
                               connect_timeout_ms=0, read_timeout_ms=0)  # 0: 10 s and 15 s
    limits = sp.CurrencyLimits(currency="SGD", per_payment=20_000, daily=50_000,  # minor units
                               offline_per_payment=0, offline_total=0)
    config = sp.WalletConfig(data_dir=wallet_dir, roots_json=open(link["roots_json_path"]).read(),
                             backend=backend, limits=[limits], allow_offline_payments=False,
                             allow_unverified_merchants=False, timings=None)
    wallet = sp.Wallet.open(config, sp.software_key_store(), None, None)  # a phone: its Keystore
    await wallet.sync_registry()                     # the signed merchant key registry
    pad = sp.PinPad()
    for digit in PIN:
        pad.press(digit)
    await wallet.enrol(pad)                          # once per install: sets the PIN
    await wallet.register_device("SANDBOX")          # the enrolment code the user got
    flow = wallet.new_flow()
    state = flow.handle(sp.FlowIntent.SCANNED_TEXT(payload))
    print("paying", state.review.registered_name)    # the REGISTERED name, never the printed one
    state = flow.handle(sp.FlowIntent.PROCEED())
    if state.is_enter_amount():                      # a static code: the payer types the amount
        state = flow.handle(sp.FlowIntent.EDIT_AMOUNT("4.50"))
    flow.handle(sp.FlowIntent.CONFIRM(state.breakdown.total))  # the total the UI showed
    for digit in PIN:
        state = flow.press_pin_digit(digit)          # the 6th digit signs and journals
    end = await flow.process(None)                   # sends; queries and reverses if needed
    if not end.is_done():
        print(end)
        return 1
    print("paid", sp.format_money(end.receipt.amount), "to", end.merchant_name)
    return 0


sys.exit(asyncio.run(main(*sys.argv[1:4])))
