// COMPILE-ONLY signature stubs of the few android.* / androidx.* APIs that the
// AAR's own Kotlin uses (the Android flavour of the generated bindings, and
// AndroidKeystoreKeyStore / AndroidNetworkMonitor / LogcatLogger). No Android
// SDK exists on this machine; scripts/test-android-jvm.sh type-checks those
// sources against these declarations, which copy the real signatures
// (nullability included). Never run, never shipped: nothing here behaves.
@file:Suppress("unused", "UNUSED_PARAMETER")

package android.os

object Build {
    object VERSION { @JvmField val SDK_INT: Int = 0 }
    object VERSION_CODES { const val P = 28; const val UPSIDE_DOWN_CAKE = 34 }
}
