// Plain Kotlin (no android.* imports): compiled and tested on the JVM by
// scripts/test-android-jvm.sh.
package app.scanpay.android

import app.scanpay.ffi.PinException
import app.scanpay.ffi.PlatformKeyStoreException
import app.scanpay.ffi.TrustException

/**
 * A sentence for the UI from any exception the bindings throw.
 *
 * Exceptions whose variants carry fields (PinException, PlatformKeyStoreException,
 * TrustException) get UniFFI's generated `message`, which is the field dump
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
        is PinException.Rejected -> reason
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
