// COMPILE-ONLY signature stub (see AndroidStubs.kt).
@file:Suppress("UNUSED_PARAMETER")
package android.util

object Log {
    @JvmStatic fun d(tag: String?, msg: String): Int = 0
    @JvmStatic fun i(tag: String?, msg: String): Int = 0
    @JvmStatic fun w(tag: String?, msg: String): Int = 0
    @JvmStatic fun e(tag: String?, msg: String): Int = 0
}
