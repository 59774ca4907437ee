### ScanPay: every text a payer can see (English, the reference).
###
### Each message declares its arguments and the longest text the screens can
### show (at 200 % font scale), in characters:
###   # $name (Type) - meaning     Type: Money, Count, Name or Seconds
###   # max-length: N
### The build checks every language against these, and the en-XA
### pseudo-locale (English + 40 % + brackets) too. See docs/i18n.md.
### Ids are stable: apps and tests key on them. Never reuse an id for a
### different meaning; add a new one.

-brand = ScanPay

## PIN pad and PIN errors

# $attempts_left (Count) - wrong PINs still allowed before the PIN is blocked
# max-length: 60
pin-wrong = { $attempts_left ->
    [one] Wrong PIN. 1 attempt left.
   *[other] Wrong PIN. { $attempts_left } attempts left.
}

# $attempts_left (Count) - wrong PINs still allowed before the PIN is blocked
# $wait (Seconds) - the wait before the next attempt
# max-length: 110
pin-wrong-wait = { $attempts_left ->
    [one] Wrong PIN. 1 attempt left. Try again in { $wait } seconds.
   *[other] Wrong PIN. { $attempts_left } attempts left. Try again in { $wait } seconds.
}

# $wait (Seconds) - the wait before the next attempt
# max-length: 80
pin-locked-out = { $wait ->
    [one] Too many wrong PINs. Try again in 1 second.
   *[other] Too many wrong PINs. Try again in { $wait } seconds.
}

# The lockout's end is known only as a time of day here, not as a wait.
# max-length: 80
pin-locked-wait = Too many wrong PINs. Wait a moment, then try again.

# Announced once when a PIN lockout ends (never a countdown).
# max-length: 50
pin-try-again-now = You can enter your PIN again now.

# max-length: 110
pin-disabled = Your PIN is blocked after too many wrong attempts. Set up the wallet again.

# $length (Count) - digits a PIN has
# $entered (Count) - digits entered so far
# max-length: 70
pin-incomplete = Your PIN has { $length } digits. You entered { $entered }.

# max-length: 60
pin-not-a-digit = Only the digits 0 to 9 can be entered.

# max-length: 80
pin-pad-full = Your PIN is complete. Delete a digit to change it.

# max-length: 40
pin-not-enrolled = Set a PIN first.

# max-length: 40
pin-already-enrolled = A PIN is already set.

# max-length: 100
pin-rejected-same-digit = A PIN of one repeated digit is too easy to guess. Choose another.

# max-length: 100
pin-rejected-sequence = A PIN of consecutive digits is too easy to guess. Choose another.

# max-length: 100
pin-rejected-common = This PIN is one of the most common. Choose another.

# max-length: 60
pin-same-pad = Enter the new PIN on a separate pad.

# max-length: 130
pin-device-key-unusable = This phone can no longer use your payment key. Set up the wallet again to keep paying.

# A transient failure of the phone's key storage; no attempt was counted.
# max-length: 120
pin-key-store-failed = The phone's secure storage did not respond. Your PIN was not counted. Try again.

# The app's key storage does not protect the key: an app bug, not the payer's.
# max-length: 110
pin-key-store-ineffective = This app cannot protect your payment key on this phone. Contact support.

# max-length: 110
pin-key-newer-app = Your payment key was saved by a newer version of the app. Update the app.

## Screen-reader texts (never contain a PIN digit)

# $entered (Count) - digits entered so far
# $length (Count) - digits a PIN has
# max-length: 40
a11y-pin-digits-entered = { $entered } of { $length } digits entered

# max-length: 30
a11y-pin-complete = PIN complete

# Label of the PIN pad's delete key.
# max-length: 30
a11y-key-delete = Delete last digit

# Label of the PIN pad's done key.
# max-length: 20
a11y-key-done = Done

# Announced when the pay code on screen is replaced by a new one.
# max-length: 40
a11y-paycode-refreshed = A new pay code is shown.

## The payment flow

# max-length: 70
flow-scanning = Point the camera at the merchant's QR code.

# $merchant (Name) - the registered merchant name
# max-length: 90
flow-enter-amount = Enter the amount to pay { $merchant }.

# $amount (Money) - the total to pay
# $merchant (Name) - the registered merchant name
# max-length: 90
flow-confirm-amount = Pay { $amount } to { $merchant }?

# $amount (Money) - the total to pay
# $merchant (Name) - the registered merchant name
# max-length: 110
flow-confirm-pin-free = Pay { $amount } to { $merchant } without your PIN?

# $amount (Money) - the total to pay
# $merchant (Name) - the registered merchant name
# max-length: 130
flow-confirm-biometric = Confirm { $amount } to { $merchant } with your fingerprint or face.

# $amount (Money) - the total to pay
# $merchant (Name) - the registered merchant name
# max-length: 110
flow-enter-pin = Enter your PIN to pay { $amount } to { $merchant }.

# $amount (Money) - the total to pay
# max-length: 130
flow-enter-pin-offline = You are offline. Enter your PIN; { $amount } will be sent when you are back online.

# max-length: 50
flow-sending = Sending your payment…

# max-length: 60
flow-confirming = Checking your payment with { -brand }…

# max-length: 70
flow-reversing = No answer in time. Cancelling the payment…

# Also the announcement of the result.
# $amount (Money) - the total paid
# $merchant (Name) - the registered merchant name
# max-length: 90
flow-done = Paid { $amount } to { $merchant }.

# $amount (Money) - the total to pay
# max-length: 130
flow-pending-offline = Saved offline: { $amount } will be sent when you are back online.

# $amount (Money) - the total to pay
# max-length: 130
flow-pending-unresolved = { $amount } is still being confirmed. The app will finish it for you.

# $amount (Money) - the total that may or may not have been paid
# max-length: 150
flow-needs-attention = We cannot tell yet whether { $amount } was paid. Do not pay again; contact support.

# max-length: 90
flow-declined = Payment declined. You have not been charged.

# max-length: 120
flow-declined-insufficient-funds = Payment declined: not enough money in your account. You have not been charged.

# max-length: 120
flow-declined-limit = Payment declined: over your account's limit. You have not been charged.

# max-length: 120
flow-declined-code-used = Payment declined: this order was already paid or has expired. Ask the cashier.

# max-length: 120
flow-reversed = No clear answer, so the payment was cancelled. You have not been charged.

# max-length: 130
flow-not-sent = The payment could not be sent. Nothing was paid. Check your connection and try again.

# max-length: 90
flow-not-started = The payment was not started. Nothing was paid.

# max-length: 60
flow-not-merchant-code = This is not a payment code.

# max-length: 90
flow-damaged-code = This payment code is damaged. Ask the merchant for another.

# max-length: 40
flow-no-text = This QR code is empty.

# max-length: 70
flow-too-long = This code is too long to be a payment code.

# max-length: 70
flow-amount-fixed = The amount of this code cannot be changed.

# max-length: 50
flow-tip-not-allowed = This code does not take a tip.

# max-length: 40
flow-amount-too-long = The amount is too long.

# max-length: 50
flow-amount-required = Enter a valid amount first.

# max-length: 40
flow-amount-zero = The amount cannot be zero.

# max-length: 50
flow-amount-invalid = This is not a valid amount.

# max-length: 50
flow-amount-too-large = The amount is too large.

# max-length: 90
flow-total-changed = The total changed. Check it and confirm again.

# $limit (Money) - the most one payment may be
# max-length: 120
flow-limit-per-payment = This is over your limit of { $limit } per payment. Nothing was paid.

# $limit (Money) - the most paid in 24 hours
# $spent (Money) - already paid in the last 24 hours
# max-length: 150
flow-limit-daily = This would go over your daily limit of { $limit } ({ $spent } already spent). Nothing was paid.

# max-length: 100
flow-offline-not-allowed = You are offline, and payments need a connection. Nothing was paid.

# $limit (Money) - the most one offline payment may be
# max-length: 120
flow-offline-limit-per-payment = You are offline. Offline payments are limited to { $limit } each.

# $limit (Money) - the most all waiting offline payments may total
# $queued (Money) - offline payments already waiting to be sent
# max-length: 160
flow-offline-limit-total = You are offline. Offline payments are limited to { $limit } in total; { $queued } is already waiting.

# max-length: 90
flow-currency-not-allowed = Payments in this currency are not turned on in this wallet.

# max-length: 120
flow-pin-free-offline = You are offline. A payment without your PIN needs a connection; use your PIN.

# max-length: 60
flow-payment-not-found = This payment is not in the wallet.

# max-length: 100
flow-payment-in-progress = This payment is already being processed. Wait for its result.

# An intent the current step does not take (a double tap, a stale button). Promises nothing
# about money: it may be on its way (Processing) or already paid.
# max-length: 112
flow-not-now = This cannot be done at this step. The screen shows where your payment stands.

## Merchant verification (anti-phishing)

# $merchant (Name) - the registered merchant name
# $city (Name) - the registered city
# max-length: 110
trust-verified = Verified merchant: { $merchant }, { $city }

# max-length: 50
trust-malformed-payload = This is not a valid payment code.

# max-length: 110
trust-no-signature = This code has no { -brand } signature, so the merchant cannot be checked.

# max-length: 110
trust-malformed-signature = This code's signature is damaged, so the merchant cannot be checked.

# max-length: 90
trust-unsupported = This code uses a newer format. Update the app to check it.

# max-length: 120
trust-no-registry = The merchant list is not loaded yet. Connect to the internet to check merchants.

# max-length: 120
trust-registry-expired = The merchant list is out of date. Connect to the internet to check merchants.

# max-length: 70
trust-unknown-key = This merchant is not registered with { -brand }.

# max-length: 90
trust-bad-signature = This code was altered or forged. Do not pay it.

# max-length: 110
trust-revoked-key = This merchant's code has been withdrawn. Do not pay it; ask the merchant.

# max-length: 90
trust-key-not-yet-valid = This merchant's code is not valid yet. Ask the merchant.

# max-length: 110
trust-key-expired = This merchant's code has expired. Ask the merchant for a new one.

# max-length: 110
trust-code-expired = This payment code has expired. Ask the merchant for a new one.

# max-length: 110
trust-expiry-too-far = This payment code claims to stay valid for too long, so it is refused.

# max-length: 110
trust-replayed = This payment code was already used. Ask the merchant for a new one.

# $printed (Name) - the name printed in the code
# $registered (Name) - the registered name
# max-length: 190
trust-name-mismatch = The name in this code, { $printed }, is not the registered name { $registered }. It may be a fake code.

# $printed (Name) - the name printed in the code
# $registered (Name) - the registered name
# max-length: 190
trust-confusable-name = The name in this code, { $printed }, imitates { $registered }. It looks like a fake code.

# $name (Name) - the name that mixes scripts
# max-length: 130
trust-mixed-script = The name { $name } mixes alphabets the way fake codes do.

# Written where a name argument is empty: a merchant code without its name (EMV tag 59 is
# optional in what the parser accepts) that the policy lets the payer pay unverified.
# max-length: 24
trust-name-missing = (no name)

# max-length: 190
trust-account-not-registered = This code pays an account the merchant has not registered. A fake code may be stuck over the real one.

# max-length: 160
trust-warning-registry-stale = The merchant list could not be updated lately, so recently withdrawn codes may not be known.

# $printed (Name) - the city printed in the code
# $registered (Name) - the registered city
# max-length: 150
trust-warning-city-differs = The code says { $printed }, but the merchant is registered in { $registered }.

# max-length: 110
trust-warning-dynamic-without-nonce = This code could be paid more than once. Check the amount with the cashier.

## Pay codes (shown to the cashier)

# max-length: 50
paycode-show-cashier = Show this code to the cashier.

# max-length: 90
paycode-not-provisioned = Connect to the internet once to set up your pay code.

# $issued (Count) - codes shown since the last time online
# $max (Count) - the most codes allowed offline
# max-length: 170
paycode-offline-limit-codes = You have shown { $issued } codes since you were last online (at most { $max }). Connect to the internet to show more.

# $limit (Money) - the offline total the shown codes could be charged
# max-length: 190
paycode-offline-limit-total = The codes shown since you were last online could already be charged up to { $limit }. Connect to the internet to show more.

# $max (Count) - the most codes shown offline
# $limit (Money) - the most each code can be charged without the PIN
# max-length: 170
paycode-offline-allowance = Offline, you can show up to { $max } codes; each can be charged up to { $limit } without your PIN.

# max-length: 110
paycode-window-exhausted = Connect to the internet and open your pay code again with your PIN.

# max-length: 70
paycode-secret-replaced = Your pay code was set up again. Open it again.

# max-length: 60
paycode-closed = The pay code was closed. Open it again.

# max-length: 60
paycode-unknown-charge = This charge is not known yet. Refresh.

# max-length: 50
paycode-charge-already-paid = This charge is already paid.

# max-length: 70
paycode-charge-cancelled = This charge was cancelled. Nothing was paid.

# A till reversed the charge after it was paid: the money went out and came back.
# max-length: 70
paycode-charge-refunded = This charge was refunded to you.

# $merchant (Name) - who asks
# $amount (Money) - what they charge
# max-length: 110
paycode-charge-request = { $merchant } asks for { $amount }. Enter your PIN to pay.

# Above the PIN pad that opens the pay code.
# max-length: 60
paycode-enter-pin = Enter your PIN to show your pay code.

# While the screen is recorded, mirrored or shared, the code is not drawn.
# max-length: 100
paycode-hidden-capture = The screen is being recorded or shared, so your pay code is hidden.

# Under the code. Shown, never read out each second (docs/i18n.md, timing).
# $seconds (Seconds) - until the code on screen is replaced
# max-length: 50
paycode-next-code = { $seconds ->
    [one] New code in 1 second
   *[other] New code in { $seconds } seconds
}

# $seconds (Seconds) - until the code on screen is replaced
# max-length: 60
paycode-next-code-offline = { $seconds ->
    [one] Offline · new code in 1 second
   *[other] Offline · new code in { $seconds } seconds
}

# $amount (Money) - what was charged
# $merchant (Name) - who charged it
# max-length: 100
paycode-charge-paid = You paid { $amount } to { $merchant }.

# $amount (Money) - what was charged
# $merchant (Name) - who charged it
# $receipt (Name) - the shop's receipt number
# max-length: 140
paycode-charge-paid-receipt = You paid { $amount } to { $merchant }. Receipt { $receipt }.

# The answer went out but its result is not known yet (no answer came, or
# the payment service has not settled it): the next sync tells. Online or
# not, so no word about being offline.
# max-length: 120
paycode-charge-sent = Your answer was sent. The result shows once the payment service confirms it.

# $merchant (Name) - who asked
# max-length: 80
paycode-charge-declined = You declined. { $merchant } was not paid.

# Under a pay-code charge from a shop the merchant registry does not list:
# the name shown is the payment service's, not a verified one.
# max-length: 130
paycode-merchant-unlisted = This shop is not on the merchant list. Its name was given by the payment service.

## PIN-free and biometric shortcuts

# $limit (Money) - the most one PIN-free payment may be
# max-length: 60
shortcut-pin-free-limit = Up to { $limit } without PIN

# $amount (Money) - the total
# max-length: 40
shortcut-biometric-title = Pay { $amount }

# $merchant (Name) - the registered merchant name
# max-length: 50
shortcut-biometric-subtitle = to { $merchant }

# max-length: 60
shortcut-payer-chose = You chose to confirm with your PIN.

# max-length: 100
shortcut-not-opted-in = Payments without PIN are not turned on for this currency.

# max-length: 90
shortcut-offline = Payments without PIN need a connection. Enter your PIN.

# max-length: 110
shortcut-pin-lockout = After wrong PINs, enter your PIN once before paying without it.

# max-length: 110
shortcut-merchant-unverified = This merchant is not verified, so your PIN is needed.

# max-length: 110
shortcut-trust-warning = This merchant's code came with a warning, so your PIN is needed.

# max-length: 120
shortcut-static-code = Only codes with an amount set by the merchant can be paid without PIN.

# max-length: 90
shortcut-tip-entered = A tip was added, so your PIN is needed.

# $limit (Money) - the most one PIN-free payment may be
# max-length: 120
shortcut-over-per-payment = This is over { $limit }, the most you pay without PIN.

# max-length: 110
shortcut-new-merchant = This merchant is new to your wallet, so your PIN is needed.

# $limit (Count) - the most PIN-free payments in 24 hours
# max-length: 150
shortcut-over-daily-count = You made { $limit } payments without PIN in the last 24 hours. Enter your PIN.

# $limit (Money) - the most paid without PIN in 24 hours
# $spent (Money) - already paid without PIN in the last 24 hours
# max-length: 170
shortcut-over-daily-total = This would go over { $limit } a day without PIN ({ $spent } already). Enter your PIN.

# max-length: 90
shortcut-pin-required = The payment service asks for your PIN for this payment.

# max-length: 90
shortcut-unavailable = Paying without PIN is not available now. Enter your PIN.

# max-length: 80
shortcut-biometric-cancelled = Confirmation cancelled. Try again or use your PIN.

# max-length: 110
shortcut-biometric-locked-out = Fingerprint and face are locked after too many tries. Use your PIN.

# max-length: 90
shortcut-biometric-not-enrolled = No fingerprint or face is set up on this phone. Use your PIN.

# max-length: 150
shortcut-biometric-changed = Fingerprint or face settings changed on this phone. Use your PIN, then turn this on again.

# max-length: 90
shortcut-biometric-unavailable = Fingerprint and face cannot be used now. Use your PIN.

# max-length: 90
shortcut-biometric-failed = Fingerprint or face check failed. Use your PIN.

## Shortcut settings (turning PIN-free or biometric payments on and off)

# max-length: 80
shortcut-settings-not-offered = This wallet does not offer this shortcut.

# max-length: 100
shortcut-settings-over-cap = This limit is higher than the wallet allows. Choose a lower one.

# max-length: 50
shortcut-settings-already-on = This shortcut is already on.

# max-length: 90
shortcut-settings-biometric-unavailable = Fingerprint and face cannot be used on this phone now.

# max-length: 90
shortcut-settings-refused = The payment service did not accept this change.

# max-length: 60
shortcut-settings-pin-needed = Enter your PIN to make this change.

# The settings screen's two rows.
# max-length: 70
shortcut-settings-biometric-title = Confirm payments with fingerprint or face

# max-length: 70
shortcut-settings-pin-free-title = Pay small amounts without your PIN

# The PIN-free limits offered before the payer turns it on.
# $per_payment (Money) - the most one payment may be
# $daily_total (Money) - the most in any 24 hours
# $daily_count (Count) - the most payments in any 24 hours
# max-length: 130
shortcut-pin-free-offer = { $daily_count ->
    [one] Up to { $per_payment } a payment, { $daily_total } and 1 payment a day.
   *[other] Up to { $per_payment } a payment, { $daily_total } and { $daily_count } payments a day.
}

# A change made offline, waiting to reach the payment service.
# max-length: 100
shortcut-settings-push-pending = This change reaches the payment service when you are back online.

# What the phone's biometrics allow, on the settings screen.
# max-length: 90
shortcut-settings-biometric-ready = Fingerprint or face can confirm payments on this phone.

# max-length: 90
shortcut-settings-biometric-not-enrolled = Add a fingerprint or face in the phone's settings first.

# max-length: 110
shortcut-settings-biometric-locked = Fingerprint and face are locked. Unlock the phone with its passcode first.

# max-length: 110
shortcut-settings-biometric-no-hardware = This phone has no fingerprint or face sensor that can confirm payments.

# Why a shortcut is off, shown until the payer turns it on again.
# max-length: 180
shortcut-lapsed-biometric-pin-changed = Fingerprint or face confirmation is off because your PIN changed. Turn it on again with the new PIN.

# max-length: 180
shortcut-lapsed-biometric-changed = Fingerprint or face confirmation is off because this phone's fingerprints or faces changed. Turn it on again with your PIN.

# max-length: 180
shortcut-lapsed-biometric-key-missing = Fingerprint or face confirmation is off because this phone lost its key. Turn it on again with your PIN.

# max-length: 180
shortcut-lapsed-biometric-unverified = Fingerprint or face confirmation is off because a confirmation could not be verified. Turn it on again with your PIN.

# max-length: 80
shortcut-lapsed-biometric-off = You turned off fingerprint or face confirmation.

# max-length: 180
shortcut-lapsed-pin-free-pin-changed = Paying without your PIN is off because your PIN changed. Turn it on again with the new PIN.

# max-length: 80
shortcut-lapsed-pin-free-off = You turned off paying without your PIN.

# max-length: 120
shortcut-lapsed-pin-free = Paying without your PIN is off. Turn it on again with your PIN.

## Network and the payment service

# max-length: 90
net-unreachable = The payment service cannot be reached. Check your connection.

# max-length: 100
net-tls = This network is intercepting secure connections. Use another network.

# max-length: 70
net-no-answer = No answer from the payment service. Try again.

# $status (Count) - the HTTP status code
# max-length: 90
net-refused = The payment service refused the request (error { $status }).

# $status (Count) - the HTTP status code
# max-length: 90
net-server-failed = The payment service failed (error { $status }). Try again later.

# max-length: 90
net-bad-answer = The payment service sent an answer this app cannot use.

# max-length: 100
net-register-again = Register this phone again with your enrolment code.

# max-length: 70
net-no-backend = This app has no payment service set up.

## The wallet and its storage

# Only where it is true that no money moved.
# max-length: 100
wallet-internal-error = Something went wrong inside the app. Your money has not moved.

# Where money may have moved: the payment's own state tells.
# max-length: 130
wallet-internal-error-check = Something went wrong inside the app. Check the payment history before paying again.

# max-length: 100
wallet-storage-failed = The wallet could not read or save its records. Restart the app.

# max-length: 100
wallet-storage-damaged = The wallet's records are damaged. Contact support before reinstalling.

# max-length: 100
wallet-newer-version = This wallet was saved by a newer version of the app. Update the app.

# max-length: 70
wallet-busy = The wallet is busy. Try again in a moment.

# max-length: 90
wallet-disk-full = This phone's storage is full. Free some space and try again.

# max-length: 120
wallet-registry-refused = The merchant list update was refused. The list you already have is still used.

## Connectivity status

# max-length: 30
status-online = Online

# max-length: 60
status-slow = Connection is slow.

# max-length: 70
status-errors = The payment service is having problems.

# max-length: 90
status-tls = This network is intercepting secure connections.

# max-length: 130
status-offline = Offline: payments will be sent when you are back online.

# $count (Count) - payments waiting to be sent or confirmed
# max-length: 60
status-pending-payments = { $count ->
    [one] 1 payment waiting
   *[other] { $count } payments waiting
}

## Receipts and history

# max-length: 20
receipt-paid = Paid

# max-length: 20
receipt-pending = Pending

# max-length: 20
receipt-failed = Not paid

# max-length: 20
receipt-reversed = Cancelled

# max-length: 30
receipt-needs-attention = Check with support

# A payment id is a 36-character UUID: longer than the 24-character name the
# build assumes, so the limit leaves room for it in en-XA (11 + 38 + 40 % + 2).
# $reference (Name) - the payment id, for support
# max-length: 80
receipt-reference = Reference: { $reference }

# $amount (Money) - the total paid
# max-length: 40
receipt-total = Total { $amount }

# $amount (Money) - the tip or fee
# max-length: 40
receipt-tip = Tip { $amount }

# A pay-code charge the till refunded after it was paid.
# max-length: 20
receipt-refunded = Refunded

## Screen captions: buttons, tabs, fields and headings

# Buttons: a short verb; a button can grow to two lines at 200 %.
# max-length: 24
ui-pay = Pay

# max-length: 24
ui-confirm = Confirm

# max-length: 24
ui-cancel = Cancel

# max-length: 24
ui-continue = Continue

# max-length: 24
ui-done = Done

# max-length: 24
ui-try-again = Try again

# Asks the payment service again about a payment whose outcome is unknown.
# max-length: 24
ui-check-again = Check again

# Leaves fingerprint or face confirmation for the PIN pad.
# max-length: 24
ui-use-pin = Use PIN

# Refuses a pay-code charge.
# max-length: 24
ui-decline = Decline

# max-length: 24
ui-turn-on = Turn on

# max-length: 24
ui-turn-off = Turn off

# Takes the pasted text as a scanned code.
# max-length: 24
ui-use-code = Use this code

# max-length: 30
ui-import-photo = Import a photo

# max-length: 30
ui-pay-this-merchant = Pay this merchant

# Tabs.
# max-length: 24
ui-tab-scan = Scan to pay

# max-length: 24
ui-tab-paycode = Pay code

# max-length: 24
ui-tab-shortcuts = Shortcuts

# Field labels and headings.
# max-length: 24
ui-field-amount = Amount

# max-length: 24
ui-field-tip = Tip (optional)

# max-length: 30
ui-field-paste-code = Or paste a code

# Above the merchant's name on the review screen.
# max-length: 30
ui-you-are-paying = You are paying

# Longer lines.
# max-length: 70
ui-camera-needed = Allow the camera to scan payment codes.

# max-length: 40
ui-opening-wallet = Opening your wallet…

# max-length: 40
ui-registering = Setting up this phone…

# max-length: 60
ui-wallet-open-failed = Your wallet could not be opened.

# $length (Count) - digits a PIN has
# max-length: 50
ui-choose-pin = Choose a PIN of { $length } digits.

# max-length: 50
ui-photo-not-image = This file is not a picture.

# max-length: 60
ui-photo-no-code = No QR code was found in this picture.
