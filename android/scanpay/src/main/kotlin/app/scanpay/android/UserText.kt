// Plain Kotlin (no android.* imports): compiled and tested on the JVM by
// scripts/test-android-jvm.sh.
package app.scanpay.android

import app.scanpay.ffi.BiometricException
import app.scanpay.ffi.PaycodeException
import app.scanpay.ffi.PinException
import app.scanpay.ffi.PlatformKeyStoreException
import app.scanpay.ffi.ShortcutException
import app.scanpay.ffi.TrustException

/**
 * The payer's sentence for any exception the bindings throw, in the locale
 * last given to `setLocales`, from the core's catalogue (issue 13): the same
 * words the iOS layer's `userMessage(for:)` and the CLI show.
 *
 * Exceptions whose variants carry fields have `text()` (UniFFI's generated
 * `message` for them is the field dump, `attemptsLeft=3, waitSecs=0`); the
 * flat ones (WalletException, FlowException, ScanException) carry the
 * catalogue text as `message`. No sentence is written here: a missing text
 * belongs in `core/i18n/messages/`.
 */
fun Throwable.userMessage(): String = when (this) {
    is PinException -> text().text
    is PaycodeException -> text().text
    is ShortcutException -> text().text
    is TrustException -> text().text
    is PlatformKeyStoreException -> text().text
    is BiometricException -> text().text
    // Not from the bindings (a bug in the app): its own message, for the log and the report.
    else -> message?.takeIf { it.isNotBlank() } ?: javaClass.name
}
