package app.scanpay.android

import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.util.Log
import app.scanpay.ffi.PlatformKeyStore
import app.scanpay.ffi.PlatformKeyStoreException
import java.security.GeneralSecurityException
import java.security.InvalidAlgorithmParameterException
import java.security.KeyStore
import java.security.ProviderException
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The ScanPay key store on Android: wraps the PIN-sealed device key under an
 * AES-256-GCM key that lives in the Android Keystore (`AndroidKeyStore`) and
 * never leaves it — in StrongBox (a separate secure chip) when the device has
 * one, otherwise in the TEE.
 *
 * Design (docs/android.md, "Key store"):
 * - One Keystore key per core alias, named `scanpay.<alias>`; created on the
 *   first [wrap], never exported.
 * - Wrapped format: version byte `1`, 12-byte IV chosen by the Keystore
 *   (randomized encryption is required), ciphertext with its 128-bit tag. The
 *   alias and the version are authenticated as AAD, so a blob moved to
 *   another alias or altered in any bit is [PlatformKeyStoreException.Rejected].
 * - No user-authentication binding: the core already seals the key under the
 *   PIN (with its own attempt limits), and a biometric prompt at the till
 *   would be a second, different gate. The Keystore key makes the wrapped
 *   blob useless off this device (backups, a copied data directory).
 * - StrongBox is asked for when `FEATURE_STRONGBOX_KEYSTORE` is present (API
 *   28+); if generating there fails (`StrongBoxUnavailableException`, any
 *   `ProviderException`, or `InvalidAlgorithmParameterException` from a
 *   StrongBox that does not do AES-256), the key is generated in the TEE.
 *   [isStrongBoxBacked] reports which one an alias got.
 *
 * Errors, by what the core does with them: [PlatformKeyStoreException.Unavailable]
 * only for a key that is really gone (no Keystore entry for the alias, or
 * `KeyPermanentlyInvalidatedException`) and [PlatformKeyStoreException.Rejected]
 * only for a blob that fails its tag or format: the core then tells the UI the
 * device key is unusable (reset and enrol again). Every other failure, notably
 * the transient ones (`ProviderException` from a busy StrongBox or a restarting
 * Keystore, a `GeneralSecurityException` that is not about the key), is
 * [PlatformKeyStoreException.Failed]: the core reports it as retryable and the
 * same call may work later.
 *
 * Threads: the core calls [wrap] / [unwrap] on a `scanpay-worker` thread
 * (enrol, verify, change PIN) or on the thread that sends the last PIN digit
 * ([PaymentSession.send] runs it on Dispatchers.IO). StrongBox operations can
 * take 100+ ms: never on Main.
 */
class AndroidKeystoreKeyStore(context: Context) : PlatformKeyStore {
    private val hasStrongBox: Boolean =
        Build.VERSION.SDK_INT >= Build.VERSION_CODES.P &&
            context.packageManager.hasSystemFeature(PackageManager.FEATURE_STRONGBOX_KEYSTORE)
    private val lock = Any()
    private val strongBoxAliases = HashSet<String>()

    private fun keyStore(): KeyStore = KeyStore.getInstance(PROVIDER).apply { load(null) }

    private fun keyName(alias: String) = "scanpay.$alias"

    /** Whether the key for [alias] was created in StrongBox (this process's knowledge). */
    fun isStrongBoxBacked(alias: String): Boolean = synchronized(lock) { keyName(alias) in strongBoxAliases }

    private fun existingKey(name: String): SecretKey? = keyStore().getKey(name, null) as SecretKey?

    private fun getOrCreateKey(name: String): SecretKey = synchronized(lock) {
        existingKey(name) ?: run {
            if (hasStrongBox) {
                // Only classes API 24 has are named here (minSdk 24): the API 28
                // StrongBoxUnavailableException is a ProviderException, caught
                // as such; a StrongBox that refuses the spec (AES-256 on some
                // chips) throws InvalidAlgorithmParameterException from init.
                // Either way fall back to the TEE rather than fail enrolment.
                try {
                    return@run generate(name, strongBox = true).also { strongBoxAliases += name }
                } catch (e: ProviderException) {
                    Log.i(TAG, "StrongBox unavailable for $name (${e.javaClass.simpleName}); using the TEE")
                } catch (e: InvalidAlgorithmParameterException) {
                    Log.i(TAG, "StrongBox refused $name (${e.javaClass.simpleName}); using the TEE")
                }
            }
            generate(name, strongBox = false)
        }
    }

    private fun generate(name: String, strongBox: Boolean): SecretKey {
        val spec = KeyGenParameterSpec.Builder(name, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setKeySize(256)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setRandomizedEncryptionRequired(true)
            .apply { if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true) }
            .build()
        return KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER).run {
            init(spec)
            generateKey()
        }
    }

    private fun aad(alias: String): ByteArray = byteArrayOf(VERSION) + alias.toByteArray(Charsets.UTF_8)

    override fun wrap(alias: String, plaintext: ByteArray): ByteArray {
        if (alias.isEmpty() || plaintext.size > MAX_PLAINTEXT) {
            throw PlatformKeyStoreException.InvalidInput("alias empty or plaintext over $MAX_PLAINTEXT bytes")
        }
        try {
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.ENCRYPT_MODE, getOrCreateKey(keyName(alias)))
            cipher.updateAAD(aad(alias))
            val sealed = cipher.doFinal(plaintext)
            val iv = cipher.iv
            if (iv.size != IV_BYTES) throw PlatformKeyStoreException.Failed("unexpected IV length ${iv.size}")
            return byteArrayOf(VERSION) + iv + sealed
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw PlatformKeyStoreException.Unavailable("the Keystore key was invalidated")
        } catch (e: GeneralSecurityException) {
            throw PlatformKeyStoreException.Failed(e.javaClass.simpleName)
        } catch (e: ProviderException) {
            // Transient (StrongBox busy, Keystore daemon restarting: API 33+
            // wraps android.security.KeyStoreException, isTransientFailure):
            // Failed, which the core does not treat as a lost device key.
            throw PlatformKeyStoreException.Failed(e.javaClass.simpleName)
        }
    }

    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        if (wrapped.size < 1 + IV_BYTES + TAG_BYTES || wrapped.size > MAX_PLAINTEXT + 1 + IV_BYTES + TAG_BYTES) {
            throw PlatformKeyStoreException.Rejected()
        }
        if (wrapped[0] != VERSION) throw PlatformKeyStoreException.Rejected()
        try {
            // A missing key is not "rejected": the blob may be fine but the key
            // is gone (app data restored onto another device, Keystore wiped).
            val key = synchronized(lock) { existingKey(keyName(alias)) }
                ?: throw PlatformKeyStoreException.Unavailable("no Keystore key for this wallet on this device")
            val cipher = Cipher.getInstance(TRANSFORMATION)
            cipher.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BYTES * 8, wrapped, 1, IV_BYTES))
            cipher.updateAAD(aad(alias))
            return cipher.doFinal(wrapped, 1 + IV_BYTES, wrapped.size - 1 - IV_BYTES)
        } catch (e: AEADBadTagException) {
            throw PlatformKeyStoreException.Rejected()
        } catch (e: KeyPermanentlyInvalidatedException) {
            throw PlatformKeyStoreException.Unavailable("the Keystore key was invalidated")
        } catch (e: GeneralSecurityException) {
            throw PlatformKeyStoreException.Failed(e.javaClass.simpleName)
        } catch (e: ProviderException) {
            // Transient (StrongBox busy, Keystore daemon restarting: API 33+
            // wraps android.security.KeyStoreException, isTransientFailure):
            // Failed, which the core does not treat as a lost device key.
            throw PlatformKeyStoreException.Failed(e.javaClass.simpleName)
        }
    }

    /** Deletes the Keystore key of [alias] (after the wallet's data is wiped). */
    fun delete(alias: String) = synchronized(lock) {
        keyStore().deleteEntry(keyName(alias))
        strongBoxAliases -= keyName(alias)
    }

    private companion object {
        const val TAG = "ScanPayKeyStore"
        const val PROVIDER = "AndroidKeyStore"
        const val TRANSFORMATION = "AES/GCM/NoPadding"
        const val VERSION: Byte = 1
        const val IV_BYTES = 12
        const val TAG_BYTES = 16
        const val MAX_PLAINTEXT = 64 * 1024
    }
}
