package app.scanpay.android

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.os.Handler
import android.os.Looper
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.util.Log
import app.scanpay.ffi.BiometricAvailability
import app.scanpay.ffi.BiometricException
import app.scanpay.ffi.BiometricKey
import app.scanpay.ffi.BiometricPromptText
import java.security.GeneralSecurityException
import java.security.InvalidAlgorithmParameterException
import java.security.KeyPairGenerator
import java.security.KeyStore
import java.security.PrivateKey
import java.security.ProviderException
import java.security.Signature
import java.security.spec.ECGenParameterSpec

/**
 * The ScanPay biometric key on Android (ADR 0022): an EC P-256 signing key in
 * the Android Keystore that can be used only right after a strong (Class 3)
 * biometric check, through `BiometricPrompt` with a `CryptoObject`.
 *
 * The core never asks "did the user pass?": it hands over a challenge (the
 * payment's authorisation bytes) and checks the returned signature with the
 * public key it recorded at opt-in, and the backend checks it again. An app
 * cannot fake a confirmation without the Keystore releasing the key, and the
 * Keystore releases it only to an operation the biometric check unlocked.
 *
 * Key (`createKey`): alias [alias], `PURPOSE_SIGN`, `secp256r1`, `DIGEST_SHA256`,
 * `setUserAuthenticationRequired(true)` for every use (API 30+:
 * `setUserAuthenticationParameters(0, AUTH_BIOMETRIC_STRONG)`; before that the
 * legacy default, validity -1, means the same: every use, biometrics only),
 * `setInvalidatedByBiometricEnrollment(true)` (a new fingerprint or face makes
 * the key unusable: `KeyInvalidated`, and the core turns the shortcut off
 * until the payer opts in again with the PIN). StrongBox when the device has
 * one, else the TEE, like [AndroidKeystoreKeyStore]. The public key returned is
 * the 91-byte X.509 SubjectPublicKeyInfo, which the core accepts.
 *
 * Signing (`sign`): `SHA256withECDSA` (ASN.1 DER, what the core verifies),
 * initialised here, then unlocked by a `BiometricPrompt` shown on the main
 * thread; this thread waits for it (see [PromptRelay]: never on Main, a
 * timeout counts as cancelled). Outcomes: `KeyPermanentlyInvalidatedException`
 * → `KeyInvalidated`; no key → `KeyMissing`; `ERROR_LOCKOUT(_PERMANENT)` →
 * `LockedOut`; `ERROR_NO_BIOMETRICS` → `NotEnrolled`; the user cancelling or
 * pressing the negative button → `Cancelled`; below Android 9 or without a
 * sensor → `Unavailable`. None of them pays: the flow falls back to the PIN.
 *
 * The prompt needs Android 9 (API 28, the framework `BiometricPrompt`); below
 * that [availability] is `NoHardware`. The prompt itself lives in
 * [BiometricPromptApi28], loaded only on API 28+.
 *
 * Every word of the prompt is the core's, in the payer's language
 * ([BiometricPromptText]: the title, the subtitle, and `cancel`, the negative
 * button that goes back to the PIN pad: "Use PIN"); none is written here.
 *
 * @param context the Activity showing the payment (the system draws the prompt
 *   over it; the app must be in the foreground), or the application context.
 */
class AndroidBiometricKey(
    private val context: Context,
    private val alias: String = DEFAULT_ALIAS,
    timeoutMs: Long = PromptRelay.DEFAULT_TIMEOUT_MS,
) : BiometricKey {
    private val lock = Any()
    private val main = Handler(Looper.getMainLooper())
    private val relay = PromptRelay(
        isMainThread = { Looper.myLooper() == Looper.getMainLooper() },
        postToMain = { main.post(it) },
        timeoutMs = timeoutMs,
    )

    private fun keyStore(): KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    override fun availability(): BiometricAvailability = when {
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.P -> BiometricPromptApi28.availability(context)
        else -> BiometricAvailability.NO_HARDWARE
    }

    override fun createKey(): ByteArray = synchronized(lock) {
        when (availability()) {
            BiometricAvailability.AVAILABLE -> Unit
            BiometricAvailability.NOT_ENROLLED -> throw BiometricException.NotEnrolled()
            BiometricAvailability.LOCKED_OUT -> throw BiometricException.LockedOut()
            BiometricAvailability.NO_HARDWARE -> throw BiometricException.Unavailable()
        }
        try {
            // Replaces any earlier key: the core records the new public key.
            keyStore().deleteEntry(alias)
            val hasStrongBox = Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
                context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
            if (hasStrongBox) {
                // As in AndroidKeystoreKeyStore: the API 28 StrongBoxUnavailableException
                // is a ProviderException; fall back to the TEE rather than fail the opt-in.
                try {
                    return@synchronized generate(strongBox = true)
                } catch (e: ProviderException) {
                    Log.i(TAG, "StrongBox unavailable for the biometric key (${e.javaClass.simpleName}); using the TEE")
                } catch (e: InvalidAlgorithmParameterException) {
                    Log.i(TAG, "StrongBox refused the biometric key (${e.javaClass.simpleName}); using the TEE")
                }
            }
            generate(strongBox = false)
        } catch (e: InvalidAlgorithmParameterException) {
            // With a valid spec the Keystore refuses a per-use biometric key only
            // when no biometric is enrolled or no secure lock screen is set.
            throw BiometricException.NotEnrolled()
        } catch (e: GeneralSecurityException) {
            throw BiometricException.Failed("biometric key creation failed: ${e.javaClass.simpleName}")
        } catch (e: ProviderException) {
            throw BiometricException.Failed("biometric key creation failed: ${e.javaClass.simpleName}")
        }
    }

    private fun generate(strongBox: Boolean): ByteArray {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .setUserAuthenticationRequired(true)
            .setInvalidatedByBiometricEnrollment(true)
            .apply {
                if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                    // Every use (timeout 0), Class 3 biometrics only: no device
                    // credential, no weak face unlock.
                    setUserAuthenticationParameters(0, KeyProperties.AUTH_BIOMETRIC_STRONG)
                }
                if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true)
            }
            .build()
        val pair = KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, PROVIDER).run {
            initialize(spec)
            generateKeyPair()
        }
        return pair.public.encoded
    }

    override fun sign(challenge: ByteArray, prompt: BiometricPromptText): ByteArray {
        if (Build.VERSION.SDK_INT < Build.VERSION_CODES.P) throw BiometricException.Unavailable()
        val signature = synchronized(lock) {
            val key = try {
                keyStore().getKey(alias, null) as PrivateKey?
            } catch (e: GeneralSecurityException) {
                throw BiometricException.Failed("Keystore lookup failed: ${e.javaClass.simpleName}")
            } ?: throw BiometricException.KeyMissing()
            try {
                Signature.getInstance(SIGNATURE).apply { initSign(key) }
            } catch (e: KeyPermanentlyInvalidatedException) {
                // A new enrolment (or all biometrics removed): the key is dead.
                throw BiometricException.KeyInvalidated()
            } catch (e: GeneralSecurityException) {
                throw BiometricException.Failed("the biometric key cannot sign: ${e.javaClass.simpleName}")
            } catch (e: ProviderException) {
                throw BiometricException.Failed("the biometric key cannot sign: ${e.javaClass.simpleName}")
            }
        }
        // Blocks this (background) thread until the prompt on Main ends.
        val unlocked = relay.await<Signature> { finish ->
            BiometricPromptApi28.show(context, signature, prompt, finish)
        }
        return try {
            unlocked.update(challenge)
            unlocked.sign()
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw BiometricException.KeyInvalidated()
        } catch (e: GeneralSecurityException) {
            throw BiometricException.Failed("signing failed after authentication: ${e.javaClass.simpleName}")
        } catch (e: ProviderException) {
            throw BiometricException.Failed("signing failed after authentication: ${e.javaClass.simpleName}")
        }
    }

    override fun deleteKey() = synchronized(lock) {
        try {
            keyStore().deleteEntry(alias)
        } catch (e: GeneralSecurityException) {
            throw BiometricException.Failed("Keystore delete failed: ${e.javaClass.simpleName}")
        }
    }

    companion object {
        /** The Keystore alias used unless another is given. */
        const val DEFAULT_ALIAS = "scanpay.biometric"
        private const val TAG = "ScanPayBiometric"
        private const val PROVIDER = "AndroidKeyStore"
        private const val SIGNATURE = "SHA256withECDSA"
    }
}
