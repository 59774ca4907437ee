// COMPILE-ONLY signature stub (see AndroidStubs.kt).
package androidx.annotation

@Retention(AnnotationRetention.BINARY)
annotation class RequiresApi(val value: Int = 1, val api: Int = 1)
