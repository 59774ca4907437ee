// Plain Kotlin view-model: no android.* imports (compiled and tested on the
// JVM by scripts/test-android-jvm.sh).
package app.scanpay.sample.model

import app.scanpay.ffi.ConnectivityStatus
import app.scanpay.ffi.DegradedReason
import app.scanpay.ffi.StatusSnapshot
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.stateIn

/** The connectivity banner; none while online with nothing pending. */
data class Banner(val level: Level, val text: String) {
    enum class Level { INFO, WARNING, OFFLINE }
}

/**
 * Turns the wallet's connectivity status (a StateFlow fed from Rust threads and
 * the network callback's thread) into the banner the screens show.
 */
class ConnectivityViewModel(status: StateFlow<StatusSnapshot>, scope: CoroutineScope) {
    /** The banner, or null. Collect on Main. */
    val banner: StateFlow<Banner?> = status.map(::bannerOf).stateIn(scope, SharingStarted.Eagerly, bannerOf(status.value))

    companion object {
        /** The banner for one status. */
        fun bannerOf(s: StatusSnapshot): Banner? {
            val pending = if (s.pendingPayments > 0u) " ${s.pendingPayments} payment(s) waiting to be confirmed." else ""
            return when (val c = s.connectivity) {
                is ConnectivityStatus.Online ->
                    if (pending.isEmpty()) null else Banner(Banner.Level.INFO, pending.trim())
                is ConnectivityStatus.Degraded -> Banner(Banner.Level.WARNING, when (c.reason) {
                    DegradedReason.SLOW -> "The connection is slow."
                    DegradedReason.ERRORS -> "The payment service is having trouble."
                    DegradedReason.TLS_FAILURE -> "This network is intercepting secure connections (captive portal?)."
                } + pending)
                is ConnectivityStatus.Offline -> Banner(Banner.Level.OFFLINE, "Offline: merchants are still verified; payments wait for the network.$pending")
            }
        }
    }
}
