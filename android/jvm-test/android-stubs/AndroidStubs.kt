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
    object VERSION_CODES { const val P = 28; const val Q = 29; const val R = 30; const val UPSIDE_DOWN_CAKE = 34 }
}

class Looper private constructor() {
    companion object {
        @JvmStatic fun getMainLooper(): Looper = throw UnsupportedOperationException("stub")
        @JvmStatic fun myLooper(): Looper? = null
    }
}

class Handler(looper: Looper) {
    fun post(r: Runnable): Boolean = false
}

class CancellationSignal {
    fun cancel() {}
}
