// COMPILE-ONLY signature stubs (see AndroidStubs.kt).
@file:Suppress("UNUSED_PARAMETER")
package android.content.pm

abstract class PackageManager {
    abstract fun hasSystemFeature(name: String): Boolean
    companion object {
        const val FEATURE_STRONGBOX_KEYSTORE = "android.hardware.strongbox_keystore"
        const val FEATURE_FINGERPRINT = "android.hardware.fingerprint"
    }
}
