// COMPILE-ONLY signature stubs (see AndroidStubs.kt).
@file:Suppress("UNUSED_PARAMETER")
package android.content

import android.content.pm.PackageManager

abstract class Context {
    abstract val packageManager: PackageManager
    abstract val applicationContext: Context
    fun <T> getSystemService(serviceClass: Class<T>): T? = null
    open fun getMainExecutor(): java.util.concurrent.Executor = throw UnsupportedOperationException("stub")
}

interface DialogInterface {
    fun interface OnClickListener { fun onClick(dialog: DialogInterface?, which: Int) }
}
