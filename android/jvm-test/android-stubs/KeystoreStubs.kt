// COMPILE-ONLY signature stubs (see AndroidStubs.kt).
@file:Suppress("UNUSED_PARAMETER")
package android.security.keystore

import java.security.InvalidKeyException
import java.security.ProviderException
import java.security.spec.AlgorithmParameterSpec

class KeyGenParameterSpec private constructor() : AlgorithmParameterSpec {
    class Builder(keystoreAlias: String, purposes: Int) {
        fun setKeySize(keySize: Int): Builder = this
        fun setBlockModes(vararg blockModes: String): Builder = this
        fun setEncryptionPaddings(vararg paddings: String): Builder = this
        fun setRandomizedEncryptionRequired(required: Boolean): Builder = this
        fun setIsStrongBoxBacked(isStrongBoxBacked: Boolean): Builder = this
        fun setAlgorithmParameterSpec(spec: AlgorithmParameterSpec): Builder = this
        fun setDigests(vararg digests: String): Builder = this
        fun setUserAuthenticationRequired(required: Boolean): Builder = this
        fun setInvalidatedByBiometricEnrollment(invalidateKey: Boolean): Builder = this
        fun setUserAuthenticationParameters(timeout: Int, type: Int): Builder = this
        fun build(): KeyGenParameterSpec = KeyGenParameterSpec()
    }
}

object KeyProperties {
    const val PURPOSE_ENCRYPT = 1
    const val PURPOSE_DECRYPT = 2
    const val PURPOSE_SIGN = 4
    const val KEY_ALGORITHM_EC = "EC"
    const val DIGEST_SHA256 = "SHA-256"
    const val AUTH_BIOMETRIC_STRONG = 2
    const val KEY_ALGORITHM_AES = "AES"
    const val BLOCK_MODE_GCM = "GCM"
    const val ENCRYPTION_PADDING_NONE = "NoPadding"
}

class KeyPermanentlyInvalidatedException : InvalidKeyException()
class StrongBoxUnavailableException : ProviderException()
