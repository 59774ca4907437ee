// Plain Kotlin (no android.* imports): compiled and tested on the JVM by
// scripts/test-android-jvm.sh as well as in the AAR.
package app.scanpay.android

import app.scanpay.ffi.BiometricException
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicReference

/**
 * What a biometric prompt ended with, as [PromptRelay] hands it back to the
 * waiting thread: the authenticated operation, or the typed refusal.
 */
sealed interface PromptOutcome<out T> {
    /** The user authenticated; [value] is the unlocked operation (a `Signature`). */
    data class Authenticated<T>(val value: T) : PromptOutcome<T>

    /** The prompt ended without authentication, for the reason [error] types. */
    data class Refused(val error: BiometricException) : PromptOutcome<Nothing>
}

/**
 * Shows a biometric prompt on the main thread for a caller on a background
 * thread, and blocks that caller until the prompt ends.
 *
 * The core calls `BiometricKey.sign` on its own thread (a `scanpay-worker`, or
 * the thread that sent `AuthenticateBiometric`) and needs a signature back
 * before it returns; the platform prompt must be shown from the main thread and
 * reports on it. This class is the hand-over, kept free of `android.*` so the
 * JVM tests can drive it with a plain executor standing in for the main
 * looper:
 *
 * - Called **on** the main thread it refuses at once with
 *   [BiometricException.Failed]: waiting there would block the very thread the
 *   prompt needs (a deadlock, then an ANR).
 * - It waits at most [timeoutMs]; then it cancels the prompt and reports
 *   [BiometricException.Cancelled] (the payer walked away: the flow offers the
 *   PIN or another try, nothing is paid).
 * - An interrupted caller cancels the prompt the same way.
 * - If [show] throws (a platform bug, a missing activity), the outcome is
 *   [BiometricException.Failed], never a crash of the core's thread and never a
 *   pass.
 * - Only the first outcome counts: a late callback after a timeout is ignored.
 */
class PromptRelay(
    private val isMainThread: () -> Boolean,
    private val postToMain: (Runnable) -> Unit,
    private val timeoutMs: Long = DEFAULT_TIMEOUT_MS,
) {
    /**
     * Runs [show] on the main thread and waits for the outcome it reports
     * through its `finish` argument. [show] returns a function that cancels
     * the prompt (called on the main thread after a timeout or interrupt).
     * Returns the authenticated value; throws the typed [BiometricException]
     * otherwise.
     */
    fun <T> await(show: (finish: (PromptOutcome<T>) -> Unit) -> (() -> Unit)): T {
        if (isMainThread()) {
            throw BiometricException.Failed("the biometric prompt was requested on the main thread; call it from a background thread")
        }
        val done = CountDownLatch(1)
        val outcome = AtomicReference<PromptOutcome<T>?>(null)
        val cancel = AtomicReference<(() -> Unit)?>(null)
        val finish: (PromptOutcome<T>) -> Unit = { o ->
            if (outcome.compareAndSet(null, o)) done.countDown()
        }
        postToMain(Runnable {
            try {
                cancel.set(show(finish))
            } catch (e: BiometricException) {
                finish(PromptOutcome.Refused(e))
            } catch (e: Exception) {
                finish(PromptOutcome.Refused(BiometricException.Failed("the biometric prompt could not be shown: ${e.javaClass.simpleName}")))
            }
        })
        val ended = try {
            done.await(timeoutMs, TimeUnit.MILLISECONDS)
        } catch (e: InterruptedException) {
            Thread.currentThread().interrupt()
            false
        }
        if (!ended) {
            // Claim the outcome first, so that a callback racing in now is
            // ignored, then take the prompt down.
            finish(PromptOutcome.Refused(BiometricException.Cancelled()))
            postToMain(Runnable { runCatching { cancel.get()?.invoke() } })
        }
        return when (val o = outcome.get()) {
            is PromptOutcome.Authenticated -> o.value
            is PromptOutcome.Refused -> throw o.error
            null -> throw BiometricException.Failed("the biometric prompt ended without an outcome")
        }
    }

    companion object {
        /** How long a payer may leave the prompt up before it counts as cancelled. */
        const val DEFAULT_TIMEOUT_MS: Long = 120_000
    }
}

/**
 * The typed outcome of a platform biometric error code
 * (`android.hardware.biometrics.BiometricPrompt.BIOMETRIC_ERROR_*`; the values
 * are public API constants, repeated here so the mapping is plain Kotlin and
 * tested on the JVM).
 */
object PromptErrors {
    const val HW_UNAVAILABLE = 1
    const val UNABLE_TO_PROCESS = 2
    const val TIMEOUT = 3
    const val NO_SPACE = 4
    const val CANCELED = 5
    const val LOCKOUT = 7
    const val VENDOR = 8
    const val LOCKOUT_PERMANENT = 9
    const val USER_CANCELED = 10
    const val NO_BIOMETRICS = 11
    const val HW_NOT_PRESENT = 12
    const val NEGATIVE_BUTTON = 13
    const val NO_DEVICE_CREDENTIAL = 14
    const val SECURITY_UPDATE_REQUIRED = 15

    /**
     * The [BiometricException] for [code]. Lockouts are `LockedOut` (the
     * platform's own, separate from the PIN's); no enrolled biometric is
     * `NotEnrolled`; the payer backing out (cancel, the "Use PIN" button, the
     * prompt timing out or being dismissed by the system) is `Cancelled`; no
     * usable sensor is `Unavailable`; anything else is `Failed` with the code,
     * never a silent success.
     */
    fun toError(code: Int, text: CharSequence?): BiometricException = when (code) {
        LOCKOUT, LOCKOUT_PERMANENT -> BiometricException.LockedOut()
        NO_BIOMETRICS -> BiometricException.NotEnrolled()
        USER_CANCELED, NEGATIVE_BUTTON, CANCELED, TIMEOUT -> BiometricException.Cancelled()
        HW_UNAVAILABLE, HW_NOT_PRESENT, SECURITY_UPDATE_REQUIRED, NO_DEVICE_CREDENTIAL -> BiometricException.Unavailable()
        else -> BiometricException.Failed("biometric error $code${text?.let { ": $it" } ?: ""}")
    }
}
