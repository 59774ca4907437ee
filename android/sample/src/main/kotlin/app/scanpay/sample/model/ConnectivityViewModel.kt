// Plain Kotlin view-model: no android.* imports (compiled and tested on the
// JVM by scripts/test-android-jvm.sh).
package app.scanpay.sample.model

import app.scanpay.ffi.ConnectivityStatus
import app.scanpay.ffi.StatusSnapshot
import app.scanpay.ffi.statusTexts
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
        /**
         * The banner for one status: the catalogue's status texts
         * (connectivity, then payments waiting) in the current locale. Online
         * with nothing pending shows none ("Online" is not worth a banner).
         */
        fun bannerOf(s: StatusSnapshot): Banner? {
            val online = s.connectivity is ConnectivityStatus.Online
            val texts = statusTexts(s).map { it.text }
            val level = when (s.connectivity) {
                is ConnectivityStatus.Online -> Banner.Level.INFO
                is ConnectivityStatus.Degraded -> Banner.Level.WARNING
                is ConnectivityStatus.Offline -> Banner.Level.OFFLINE
            }
            // Online: the first text is "Online"; show only the pending line, if any.
            val shown = if (online) texts.drop(1) else texts
            return if (shown.isEmpty()) null else Banner(level, shown.joinToString(" "))
        }
    }
}
