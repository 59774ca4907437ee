// COMPILE-ONLY signature stub (see AndroidStubs.kt).
package android.system

object SystemCleaner { fun cleaner(): java.lang.ref.Cleaner = throw UnsupportedOperationException("stub") }
