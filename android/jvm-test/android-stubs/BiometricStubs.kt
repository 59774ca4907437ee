// COMPILE-ONLY signature stubs (see AndroidStubs.kt): the framework biometric
// APIs AndroidBiometricKey / BiometricPromptApi28 use (BiometricPrompt API 28,
// BiometricManager API 29, its Authenticators API 30).
@file:Suppress("unused", "UNUSED_PARAMETER")
package android.hardware.biometrics

import android.content.Context
import android.content.DialogInterface
import android.os.CancellationSignal
import java.security.Signature
import java.util.concurrent.Executor

class BiometricManager private constructor() {
    @Deprecated("API 30: canAuthenticate(int)")
    fun canAuthenticate(): Int = 0
    fun canAuthenticate(authenticators: Int): Int = 0
    object Authenticators {
        const val BIOMETRIC_STRONG = 0x000F
        const val BIOMETRIC_WEAK = 0x00FF
        const val DEVICE_CREDENTIAL = 1 shl 15
    }
    companion object {
        const val BIOMETRIC_SUCCESS = 0
        const val BIOMETRIC_ERROR_HW_UNAVAILABLE = 1
        const val BIOMETRIC_ERROR_NONE_ENROLLED = 11
        const val BIOMETRIC_ERROR_NO_HARDWARE = 12
        const val BIOMETRIC_ERROR_SECURITY_UPDATE_REQUIRED = 15
    }
}

class BiometricPrompt private constructor() {
    class Builder(context: Context) {
        fun setTitle(title: CharSequence): Builder = this
        fun setSubtitle(subtitle: CharSequence): Builder = this
        fun setNegativeButton(text: CharSequence, executor: Executor, listener: DialogInterface.OnClickListener): Builder = this
        fun setConfirmationRequired(requireConfirmation: Boolean): Builder = this
        fun setAllowedAuthenticators(authenticators: Int): Builder = this
        fun build(): BiometricPrompt = BiometricPrompt()
    }
    class CryptoObject(signature: Signature) {
        val signature: Signature? = null
    }
    class AuthenticationResult private constructor() {
        val cryptoObject: CryptoObject? = null
    }
    abstract class AuthenticationCallback {
        open fun onAuthenticationError(errorCode: Int, errString: CharSequence?) {}
        open fun onAuthenticationHelp(helpCode: Int, helpString: CharSequence?) {}
        open fun onAuthenticationSucceeded(result: AuthenticationResult) {}
        open fun onAuthenticationFailed() {}
    }
    fun authenticate(crypto: CryptoObject, cancel: CancellationSignal, executor: Executor, callback: AuthenticationCallback) {}
    companion object {
        const val BIOMETRIC_ERROR_HW_UNAVAILABLE = 1
        const val BIOMETRIC_ERROR_UNABLE_TO_PROCESS = 2
        const val BIOMETRIC_ERROR_TIMEOUT = 3
        const val BIOMETRIC_ERROR_NO_SPACE = 4
        const val BIOMETRIC_ERROR_CANCELED = 5
        const val BIOMETRIC_ERROR_LOCKOUT = 7
        const val BIOMETRIC_ERROR_VENDOR = 8
        const val BIOMETRIC_ERROR_LOCKOUT_PERMANENT = 9
        const val BIOMETRIC_ERROR_USER_CANCELED = 10
        const val BIOMETRIC_ERROR_NO_BIOMETRICS = 11
        const val BIOMETRIC_ERROR_HW_NOT_PRESENT = 12
        const val BIOMETRIC_ERROR_NO_DEVICE_CREDENTIAL = 14
        const val BIOMETRIC_ERROR_SECURITY_UPDATE_REQUIRED = 15
    }
}
