package app.scanpay.android

import android.content.Context
import android.content.pm.PackageManager
import android.hardware.biometrics.BiometricManager
import android.hardware.biometrics.BiometricPrompt
import android.os.Build
import android.os.CancellationSignal
import androidx.annotation.RequiresApi
import app.scanpay.ffi.BiometricAvailability
import app.scanpay.ffi.BiometricPromptText
import app.scanpay.ffi.UiLabel
import app.scanpay.ffi.labelText
import java.security.Signature

/**
 * The framework `BiometricPrompt` (API 28) and `BiometricManager` (API 29/30),
 * isolated in their own class so that [AndroidBiometricKey] loads on API 24:
 * this class is loaded only behind an `SDK_INT >= P` check (the pattern
 * androidx uses for its `Api28Impl` classes; android/tools/check-build-scripts.sh
 * accepts classes above minSdk only in files whose declarations are all
 * `@RequiresApi`).
 */
@RequiresApi(Build.VERSION_CODES.P)
internal object BiometricPromptApi28 {
    /** Whether a strong biometric can unlock a key now, as the core's enum. */
    fun availability(context: Context): BiometricAvailability {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            val manager = context.getSystemService(BiometricManager::class.java) ?: return BiometricAvailability.NO_HARDWARE
            return fromManager(manager.canAuthenticate(BiometricManager.Authenticators.BIOMETRIC_STRONG))
        }
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            val manager = context.getSystemService(BiometricManager::class.java) ?: return BiometricAvailability.NO_HARDWARE
            @Suppress("DEPRECATION")
            return fromManager(manager.canAuthenticate())
        }
        // Android 9 has no BiometricManager: a fingerprint sensor is the only
        // strong biometric it offers the prompt. Enrolment is learnt at key
        // creation (NotEnrolled) or from the prompt (ERROR_NO_BIOMETRICS).
        return if (context.packageManager.hasSystemFeature(PackageManager.FEATURE_FINGERPRINT)) {
            BiometricAvailability.AVAILABLE
        } else {
            BiometricAvailability.NO_HARDWARE
        }
    }

    private fun fromManager(code: Int): BiometricAvailability = when (code) {
        BiometricManager.BIOMETRIC_SUCCESS -> BiometricAvailability.AVAILABLE
        BiometricManager.BIOMETRIC_ERROR_NONE_ENROLLED -> BiometricAvailability.NOT_ENROLLED
        // NO_HARDWARE, HW_UNAVAILABLE, SECURITY_UPDATE_REQUIRED, UNSUPPORTED, anything new.
        else -> BiometricAvailability.NO_HARDWARE
    }

    /**
     * Shows the prompt (on the main thread, called by [PromptRelay]) for
     * [signature] and reports the outcome once through [finish]. Returns the
     * function that takes the prompt down. The negative button is
     * [BiometricPromptText.cancel] ("Use PIN" in the title's language).
     */
    fun show(
        context: Context,
        signature: Signature,
        text: BiometricPromptText,
        finish: (PromptOutcome<Signature>) -> Unit,
    ): () -> Unit {
        val executor = context.getMainExecutor()
        // The framework refuses an empty negative button (IllegalArgumentException,
        // so no prompt at all): the catalogue's label if the core's is ever empty.
        val cancelText = text.cancel.ifBlank { labelText(UiLabel.USE_PIN).text }
        val builder = BiometricPrompt.Builder(context)
            .setTitle(text.title)
            .setNegativeButton(cancelText, executor) { _, _ ->
                finish(PromptOutcome.Refused(PromptErrors.toError(PromptErrors.NEGATIVE_BUTTON, null)))
            }
        if (text.subtitle.isNotEmpty()) builder.setSubtitle(text.subtitle)
        // A payment: a passive biometric (face) must not authorise the moment
        // the prompt appears; the payer confirms in the prompt as well.
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) builder.setConfirmationRequired(true)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            builder.setAllowedAuthenticators(BiometricManager.Authenticators.BIOMETRIC_STRONG)
        }
        val cancel = CancellationSignal()
        builder.build().authenticate(
            BiometricPrompt.CryptoObject(signature),
            cancel,
            executor,
            object : BiometricPrompt.AuthenticationCallback() {
                override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) {
                    val unlocked = result.cryptoObject?.signature
                    finish(
                        if (unlocked != null) PromptOutcome.Authenticated(unlocked)
                        else PromptOutcome.Refused(PromptErrors.toError(PromptErrors.UNABLE_TO_PROCESS, "no signature in the result")),
                    )
                }

                override fun onAuthenticationError(errorCode: Int, errString: CharSequence?) {
                    finish(PromptOutcome.Refused(PromptErrors.toError(errorCode, errString)))
                }

                // onAuthenticationFailed (a finger that does not match) is not an
                // outcome: the prompt stays up, and the platform locks out after
                // too many (ERROR_LOCKOUT).
            },
        )
        return { cancel.cancel() }
    }
}
