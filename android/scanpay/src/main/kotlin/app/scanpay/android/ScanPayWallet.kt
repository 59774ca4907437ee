// Plain Kotlin (no android.* imports): compiled and tested on the JVM by
// scripts/test-android-jvm.sh as well as in the AAR.
package app.scanpay.android

import app.scanpay.ffi.DeviceRegistration
import app.scanpay.ffi.HistoryCursor
import app.scanpay.ffi.HistoryPage
import app.scanpay.ffi.LogSink
import app.scanpay.ffi.ChargeOutcome
import app.scanpay.ffi.NetworkMonitor
import app.scanpay.ffi.PaycodeCharge
import app.scanpay.ffi.PaycodeSession
import app.scanpay.ffi.PaycodeStatus
import app.scanpay.ffi.PendingCharge
import app.scanpay.ffi.Payment
import app.scanpay.ffi.PinPad
import app.scanpay.ffi.PlatformKeyStore
import app.scanpay.ffi.RegistryInfo
import app.scanpay.ffi.ResumeSummary
import app.scanpay.ffi.StatusListener
import app.scanpay.ffi.StatusSnapshot
import app.scanpay.ffi.StatusSubscription
import app.scanpay.ffi.Wallet
import app.scanpay.ffi.WalletConfig
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.withContext

/**
 * A [NetworkMonitor] that also pushes changes (Android's `ConnectivityManager`
 * callback, a test's switch). [ScanPayWallet.open] registers itself as the
 * listener, so availability reaches the core's connectivity status without
 * the app wiring it.
 */
interface ObservableNetworkMonitor : NetworkMonitor {
    /** Whether a usable network is available now. */
    val available: StateFlow<Boolean>

    /**
     * Sets (or clears, with `null`) the one listener told about each change,
     * on the thread that observed it.
     */
    fun setListener(listener: ((Boolean) -> Unit)?)
}

/**
 * The idiomatic face of [Wallet]: `suspend` functions that never block the
 * caller's thread, and the connectivity status as a [StateFlow].
 *
 * Threads: the generated `suspend` functions (enrol, start, sync, …) run their
 * work on a Rust `scanpay-worker` thread and resume on the caller's
 * dispatcher; the quick-but-blocking calls (open, history, isEnrolled) are
 * moved to [io]. [status] is updated from whichever thread changed it (a
 * worker, the network callback's thread): collect it on Main.
 */
class ScanPayWallet private constructor(
    /** The generated wallet, for calls this layer does not wrap. */
    val ffi: Wallet,
    private val network: ObservableNetworkMonitor?,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    private val lock = Any()
    private val _status = MutableStateFlow(ffi.status())

    /** Connectivity and pending payments; a new value on every change. */
    val status: StateFlow<StatusSnapshot> = _status.asStateFlow()

    private val subscription: StatusSubscription = ffi.subscribeStatus(object : StatusListener {
        override fun onStatus(status: StatusSnapshot) {
            synchronized(lock) { _status.value = status }
        }
    })

    init {
        // A change between reading the first status and subscribing would be
        // lost: read again now that the listener is in place. Under the same
        // lock as the listener, and changes are delivered in order, so the
        // value that stays is the newest.
        synchronized(lock) { _status.value = ffi.status() }
        network?.setListener { available ->
            // The system calls this on its own thread; `close()` may have
            // freed the Rust wallet in between (the generated code would then
            // throw on that thread, an uncaught crash). Under the lock,
            // `closed` is exact.
            synchronized(lock) { if (!closed) ffi.setNetworkAvailable(available) }
        }
    }

    private var closed = false

    companion object {
        /**
         * Opens the wallet in `config.dataDir` on [io] (local files only, but
         * not for the UI thread). A [network] that is an
         * [ObservableNetworkMonitor] pushes its changes to the wallet.
         */
        suspend fun open(
            config: WalletConfig,
            keyStore: PlatformKeyStore,
            network: NetworkMonitor? = null,
            logger: LogSink? = null,
            io: CoroutineDispatcher = Dispatchers.IO,
        ): ScanPayWallet = withContext(io) {
            val wallet = Wallet.open(config, keyStore, network, logger)
            try {
                ScanPayWallet(wallet, network as? ObservableNetworkMonitor, io)
            } catch (e: Throwable) {
                wallet.close()
                throw e
            }
        }
    }

    /** Resumes payments left unresolved by a crash or restart. Call once at start. */
    suspend fun start(): ResumeSummary = ffi.start()

    /** Whether a device key exists. */
    suspend fun isEnrolled(): Boolean = withContext(io) { ffi.isEnrolled() }

    /** Creates the device key under the PIN typed into [pad] (wiped afterwards). */
    suspend fun enrol(pad: PinPad): ByteArray = ffi.enrol(pad)

    /** Checks the PIN typed into [pad] (wiped afterwards). */
    suspend fun verifyPin(pad: PinPad) = ffi.verifyPin(pad)

    /** Registers the device key with the backend. */
    suspend fun registerDevice(enrolmentCode: String): DeviceRegistration =
        ffi.registerDevice(enrolmentCode)

    /** Downloads and applies a newer merchant registry, if any. */
    suspend fun syncRegistry(): RegistryInfo? = ffi.syncRegistry()

    /** Probes the backend; the outcome also lands in [status]. */
    suspend fun checkBackend(): StatusSnapshot = ffi.checkBackend()

    /** Sends payments queued offline. */
    suspend fun forwardQueued(): List<Payment> = ffi.forwardQueued()

    /** History, newest first, before a time in seconds. Not for paging: use [historyPage]. */
    suspend fun history(limit: Int = 50, before: ULong? = null): List<Payment> =
        withContext(io) { ffi.history(limit.coerceAtLeast(0).toUInt(), before) }

    /**
     * One page of history, newest first: pass the previous page's `next` as
     * [cursor] (null for the first page); `next` is null on the last page.
     * Payments made in the same second are never skipped or repeated.
     */
    suspend fun historyPage(limit: Int = 50, cursor: HistoryCursor? = null): HistoryPage =
        withContext(io) { ffi.historyPage(limit.coerceAtLeast(0).toUInt(), cursor) }

    /**
     * Deletes the device key and the PIN attempt state (payments and history
     * are kept). Only after the user confirmed, on `DeviceKeyUnusable`; then
     * [enrol] and [registerDevice] again.
     */
    suspend fun resetDeviceKey() = withContext(io) { ffi.resetDeviceKey() }

    /** A new payment, in Scanning. */
    fun newPayment(): PaymentSession = PaymentSession(ffi.newFlow(), io)

    /** A journalled payment (from history or after a restart). */
    suspend fun resumePayment(paymentId: String): PaymentSession =
        withContext(io) { PaymentSession(ffi.flowForPayment(paymentId), io) }

    // ----- the pay code (docs/android.md, "Pay code") -----

    /** Whether a code can be shown, and if not why (local; quick but not for Main). */
    suspend fun paycodeStatus(): PaycodeStatus = withContext(io) { ffi.paycodeStatus() }

    /**
     * Opens the pay code with the PIN typed into [pad] (one counted attempt;
     * wiped afterwards), provisioning it the first time (online only). Close
     * the session (or `end()` it) when the code leaves the screen.
     */
    suspend fun openPaycode(pad: PinPad): PaycodeSession = ffi.openPaycode(pad)

    /**
     * One sync: charges made with this wallet's codes since the last one,
     * long-polled up to [waitSecs] (≤ 25). Resets the offline limits.
     */
    suspend fun syncPaycode(waitSecs: Int = 0): List<PaycodeCharge> =
        ffi.syncPaycode(waitSecs.coerceAtLeast(0).toULong())

    /** Charges above the no-PIN amount waiting for the PIN (local). */
    suspend fun pendingCharges(): List<PendingCharge> = withContext(io) { ffi.pendingCharges() }

    /** Confirms a waiting charge with the PIN typed into [pad] (wiped afterwards). */
    suspend fun confirmCharge(chargeId: String, pad: PinPad): ChargeOutcome = ffi.confirmCharge(chargeId, pad)

    /** Declines a waiting charge. */
    suspend fun declineCharge(chargeId: String): ChargeOutcome = ffi.declineCharge(chargeId)

    /** The pay-code charges, newest first, with the till's receipt numbers. */
    suspend fun paycodeHistory(): List<PaycodeCharge> = withContext(io) { ffi.paycodeHistory() }

    /** Unsubscribes, detaches the network monitor and frees the Rust wallet. */
    override fun close() {
        synchronized(lock) {
            if (closed) return
            closed = true
        }
        network?.setListener(null)
        subscription.close()
        ffi.close()
    }
}
