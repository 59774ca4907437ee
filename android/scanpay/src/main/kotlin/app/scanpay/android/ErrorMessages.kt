// Plain Kotlin (no android.* imports): compiled and tested on the JVM by
// scripts/test-android-jvm.sh.
package app.scanpay.android

import app.scanpay.ffi.OfflineLimit
import app.scanpay.ffi.PaycodeException
import app.scanpay.ffi.PinException
import app.scanpay.ffi.PlatformKeyStoreException
import app.scanpay.ffi.TrustException

/**
 * A sentence for the UI from any exception the bindings throw.
 *
 * Exceptions whose variants carry fields (PinException, PaycodeException,
 * PlatformKeyStoreException, TrustException) get UniFFI's generated `message`, which is the field dump
 * (`attemptsLeft=3, waitSecs=0`), not a sentence: this maps each variant.
 * Flat exceptions (WalletException, FlowException, ScanException) carry the
 * core's UI message as `message` already. The same sentences as the iOS
 * layer's `userMessage(for:)`.
 */
fun Throwable.userMessage(): String = when (this) {
    is PinException -> when (this) {
        is PinException.WrongPin -> if (waitSecs > 0u) {
            "Wrong PIN. $attemptsLeft attempts left; wait $waitSecs s."
        } else {
            "Wrong PIN. $attemptsLeft attempts left."
        }
        is PinException.LockedOut -> "Too many wrong PINs. Try again in $retryAfterSecs s."
        // `reason` is the rule's catalogue id since issue 13; text() is its sentence.
        is PinException.Rejected -> text().text
        is PinException.KeyStore -> reason
        is PinException.Internal -> reason
        is PinException.Incomplete -> "The PIN has 6 digits; $entered entered."
        is PinException.Disabled -> "The PIN is blocked after too many wrong attempts. Set up the wallet again."
        is PinException.NotEnrolled -> "Set a PIN first."
        is PinException.AlreadyEnrolled -> "A PIN is already set."
        is PinException.NotADigit, is PinException.PadFull -> "Only 6 digits can be entered."
        is PinException.DeviceKeyUnusable ->
            "This device can no longer use its payment key. Set up the wallet again to keep paying."
        is PinException.SamePinPad -> "Enter the new PIN on a separate pad."
    }
    is PaycodeException -> when (this) {
        is PaycodeException.NotProvisioned -> "Connect to the internet once to set up your pay code."
        is PaycodeException.NoBackend -> "This app has no payment service configured."
        is PaycodeException.OfflineLimitReached -> offlineLimitMessage(limit)
        is PaycodeException.PinIncomplete -> "The PIN has 6 digits; $entered entered."
        is PaycodeException.WrongPin -> if (waitSecs > 0u) {
            "Wrong PIN. $attemptsLeft attempts left; wait $waitSecs s."
        } else {
            "Wrong PIN. $attemptsLeft attempts left."
        }
        is PaycodeException.LockedOut -> "Too many wrong PINs. Try again in $retryAfterSecs s."
        is PaycodeException.PinDisabled -> "The PIN is blocked after too many wrong attempts. Set up the wallet again."
        is PaycodeException.NotEnrolled -> "Set a PIN first."
        is PaycodeException.DeviceKeyUnusable ->
            "This device can no longer use its payment key. Set up the wallet again to keep paying."
        is PaycodeException.KeyStore -> reason
        is PaycodeException.Unreachable -> "The payment service cannot be reached. Check the connection."
        is PaycodeException.Tls -> "This network is intercepting secure connections. Use another network."
        is PaycodeException.NoAnswer -> "No answer from the payment service. Try again."
        is PaycodeException.Refused -> "The payment service refused the request ($status)."
        is PaycodeException.ServerFailure -> "The payment service failed ($status). Try again later."
        is PaycodeException.BadAnswer -> "The payment service sent an answer this app cannot use."
        is PaycodeException.WindowExhausted -> "Connect to the internet and open your pay code again with your PIN."
        is PaycodeException.SecretReplaced -> "Your pay code was set up again. Open it again."
        is PaycodeException.Closed -> "The pay code was closed. Open it again."
        is PaycodeException.UnknownCharge -> "This charge is not known yet. Refresh."
        is PaycodeException.NotPending -> "This charge is already $state."
        is PaycodeException.Storage -> reason
        is PaycodeException.Internal -> reason
    }
    is PlatformKeyStoreException -> when (this) {
        is PlatformKeyStoreException.Unavailable -> reason
        is PlatformKeyStoreException.InvalidInput -> reason
        is PlatformKeyStoreException.Failed -> reason
        is PlatformKeyStoreException.Rejected -> "The device key store refused the stored key."
    }
    is TrustException -> when (this) {
        is TrustException.Roots -> reason
        is TrustException.Registry -> reason
    }
    else -> message?.takeIf { it.isNotBlank() } ?: toString()
}

/** Why no more codes can be shown offline, as a sentence (status screen, error). */
fun offlineLimitMessage(limit: OfflineLimit): String = when (limit) {
    is OfflineLimit.Codes -> "You have shown ${limit.issued} codes since you were last online (at most ${limit.max}). Connect to the internet to show more."
    is OfflineLimit.Total -> "The codes shown since you were last online could already be charged up to the offline limit. Connect to the internet to show more."
}
