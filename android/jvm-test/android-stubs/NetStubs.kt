// COMPILE-ONLY signature stubs (see AndroidStubs.kt).
@file:Suppress("UNUSED_PARAMETER")
package android.net

class Network

class NetworkCapabilities {
    fun hasCapability(capability: Int): Boolean = false
    companion object {
        const val NET_CAPABILITY_INTERNET = 12
        const val NET_CAPABILITY_VALIDATED = 16
    }
}

abstract class ConnectivityManager {
    open class NetworkCallback {
        open fun onAvailable(network: Network) {}
        open fun onCapabilitiesChanged(network: Network, networkCapabilities: NetworkCapabilities) {}
        open fun onLost(network: Network) {}
        open fun onUnavailable() {}
    }
    val activeNetwork: Network? get() = null
    fun getNetworkCapabilities(network: Network?): NetworkCapabilities? = null
    fun registerDefaultNetworkCallback(networkCallback: NetworkCallback) {}
    fun unregisterNetworkCallback(networkCallback: NetworkCallback) {}
}
