package app.scanpay.android

import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow

/**
 * Network availability from `ConnectivityManager`, for the core: answers
 * [isNetworkAvailable] (asked when the wallet opens and before each network
 * call) and pushes every change to the wallet through the listener that
 * [ScanPayWallet.open] sets. "Available" means the default network has
 * INTERNET and is VALIDATED (a captive portal is not available; the core's
 * TLS pinning would refuse it anyway and report Degraded).
 *
 * Threads: the callbacks arrive on ConnectivityManager's own thread
 * (`ConnectivityThread`); the listener, `Wallet.setNetworkAvailable` and the
 * status listeners it triggers run there too. [available] and
 * [ScanPayWallet.status] are StateFlows: collect them on Main.
 *
 * Needs `android.permission.ACCESS_NETWORK_STATE` (declared in the AAR's
 * manifest). Call [close] when the wallet closes.
 */
class AndroidNetworkMonitor(context: Context) : ObservableNetworkMonitor, AutoCloseable {
    private val cm: ConnectivityManager = requireNotNull(context.applicationContext.getSystemService(ConnectivityManager::class.java)) {
        "no ConnectivityManager"
    }
    private val _available = MutableStateFlow(currentlyAvailable())
    override val available: StateFlow<Boolean> = _available.asStateFlow()

    @Volatile
    private var listener: ((Boolean) -> Unit)? = null

    private val callback = object : ConnectivityManager.NetworkCallback() {
        override fun onCapabilitiesChanged(network: Network, networkCapabilities: NetworkCapabilities) =
            update(usable(networkCapabilities))
        override fun onLost(network: Network) = update(false)
        override fun onUnavailable() = update(false)
    }

    init {
        cm.registerDefaultNetworkCallback(callback)
    }

    private fun usable(caps: NetworkCapabilities?): Boolean =
        caps != null &&
            caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) &&
            caps.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED)

    private fun currentlyAvailable(): Boolean = usable(cm.getNetworkCapabilities(cm.activeNetwork))

    private fun update(now: Boolean) {
        val before = _available.value
        _available.value = now
        if (before != now) listener?.invoke(now)
    }

    override fun isNetworkAvailable(): Boolean = _available.value

    override fun setListener(listener: ((Boolean) -> Unit)?) {
        this.listener = listener
    }

    override fun close() {
        listener = null
        runCatching { cm.unregisterNetworkCallback(callback) }
    }
}
