// COMPILE-ONLY signature stubs (see AndroidStubs.kt).
@file:Suppress("UNUSED_PARAMETER")
package android.content

import android.content.pm.PackageManager

abstract class Context {
    abstract val packageManager: PackageManager
    abstract val applicationContext: Context
    fun <T> getSystemService(serviceClass: Class<T>): T? = null
}
