// Plain Kotlin view-model: no android.* imports (compiled and tested on the
// JVM by scripts/test-android-jvm.sh). The sample's Activity holds it in an
// androidx ViewModel and passes viewModelScope.
package app.scanpay.sample.model

import app.scanpay.android.ScanPayWallet
import app.scanpay.android.userMessage
import app.scanpay.ffi.AuthMethod
import app.scanpay.ffi.ChargeMerchant
import app.scanpay.ffi.ChargeOutcome
import app.scanpay.ffi.ChargeState
import app.scanpay.ffi.PaycodeBlock
import app.scanpay.ffi.PaycodeCharge
import app.scanpay.ffi.PaycodeDisplay
import app.scanpay.ffi.PaycodeException
import app.scanpay.ffi.PaycodeSession
import app.scanpay.ffi.PendingCharge
import app.scanpay.ffi.PinPad
import app.scanpay.ffi.UiLabel
import app.scanpay.ffi.UiText
import app.scanpay.ffi.formatMoney
import app.scanpay.ffi.labelText
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock

/** What the pay-code screen shows. */
sealed interface PaycodeScreen {
    /** No code can be shown; [reason] says why and what to do. */
    data class Blocked(val reason: String) : PaycodeScreen

    /**
     * The PIN opens the pay code (and sets it up the first time, online).
     * [notice] is said once when a PIN lockout ends ("You can try again now.",
     * the catalogue's label), for a polite live region.
     */
    data class EnterPin(val digits: Int, val error: String?, val notice: String? = null) : PaycodeScreen

    /** Opening / setting up. */
    data object Opening : PaycodeScreen

    /**
     * The code: draw [code]'s `qr` and `bars` (Canvas, no barcode library),
     * the digits under them, and [refresh] under them: the countdown
     * ("New code in 12 seconds", with "Offline ·" when [offline]), the
     * catalogue's `UiText.PaycodeRefresh` for [secondsLeft].
     */
    data class Showing(val code: PaycodeDisplay, val secondsLeft: Long, val offline: Boolean, val refresh: String = "") : PaycodeScreen

    /** The screen is being captured or recorded: the code is hidden. */
    data object Hidden : PaycodeScreen

    /**
     * A charge above the no-PIN amount waits for the payer's PIN. [request]
     * is the catalogue's sentence above the pad ("Kopi Corner asks for
     * SGD 3.50. Enter your PIN to pay.", `UiText.ChargeRequest`);
     * [unlisted] is said under it when the merchant registry does not list
     * the shop, so its name is the payment service's (`MERCHANT_UNLISTED`).
     */
    data class Confirm(
        val charge: PendingCharge,
        val merchant: String,
        val amount: String,
        val digits: Int,
        val error: String?,
        val request: String = "",
        val unlisted: String? = unlisted(charge.merchant),
    ) : PaycodeScreen

    /**
     * A charge made with the code, as the feed or the confirmation told it:
     * [title] is the status word (`UiText.ChargeTitle`: "Paid", "Not
     * paid"…), [detail] the sentence (`UiText.ChargeResult`: who, how much,
     * the receipt), [unlisted] as on [Confirm].
     */
    data class Charged(val title: String, val detail: String, val paid: Boolean, val unlisted: String? = null) : PaycodeScreen
}

/** The catalogue's note for a shop the merchant registry does not list (its name is the payment service's), or null. */
internal fun unlisted(merchant: ChargeMerchant): String? =
    if (merchant.registered) null else labelText(UiLabel.MERCHANT_UNLISTED).text

/**
 * The pay-code screen: opens the code with the PIN, refreshes it once a second
 * (the core returns the same code until it must change), keeps a long-poll
 * sync running while it is shown so a till's charge shows within ~2 s, and
 * asks for the PIN when a charge above the no-PIN amount waits.
 *
 * Every core call runs on the core's worker threads; state changes are made
 * under one mutex, so the order of events is the order of the screen.
 */
class PaycodeViewModel(private val wallet: ScanPayWallet, private val scope: CoroutineScope) : AutoCloseable {
    private val _screen = MutableStateFlow<PaycodeScreen>(PaycodeScreen.Blocked("…"))

    /** The screen. Collect on Main. */
    val screen: StateFlow<PaycodeScreen> = _screen.asStateFlow()

    private val pad = PinPad()
    private val mutex = Mutex()
    private var session: PaycodeSession? = null
    private var ticker: Job? = null
    private var syncer: Job? = null
    private var captured = false
    private var unlock: Job? = null

    init {
        scope.launch { refresh() }
    }

    /** Reads the status: the PIN pad when a code can be shown, else why not. */
    suspend fun refresh() = mutex.withLock {
        if (session != null) return@withLock
        _screen.value = try {
            val s = wallet.paycodeStatus()
            when (val b = s.blocked) {
                null -> PaycodeScreen.EnterPin(pad.count().toInt(), null)
                // Not set up yet, or its codes used up: the PIN sets it up
                // (again), if the network is there.
                is PaycodeBlock.NotProvisioned, is PaycodeBlock.WindowExhausted -> PaycodeScreen.EnterPin(pad.count().toInt(), null)
                is PaycodeBlock.PinLocked -> {
                    unlockLater(b.retryAfterSecs)
                    PaycodeScreen.Blocked(blockMessage(b))
                }
                else -> PaycodeScreen.Blocked(blockMessage(b))
            }
        } catch (e: Exception) {
            PaycodeScreen.Blocked(e.userMessage())
        }
    }

    /** A PIN key (0-9); the 6th digit opens the code or confirms the charge. */
    fun pinDigit(digit: Int) {
        // Pressed here, in the order the keys were tapped. (One coroutine per
        // key could run out of order on a multi-threaded dispatcher and check
        // a PIN the payer never typed.) A key pressed after the sixth (while
        // the PIN is being checked) or outside 0-9 is dropped.
        val full = synchronized(pad) {
            val s = _screen.value
            if (s !is PaycodeScreen.EnterPin && s !is PaycodeScreen.Confirm) return
            if (digit !in 0..9 || pad.isComplete()) return
            val n = pad.press(digit.toUByte()).toInt()
            _screen.value = when (s) {
                is PaycodeScreen.EnterPin -> s.copy(digits = n, error = null)
                is PaycodeScreen.Confirm -> s.copy(digits = n, error = null)
                else -> s
            }
            pad.isComplete()
        }
        if (full) scope.launch { complete() }
    }

    /** Deletes the last PIN digit (in order with the digits, like them). */
    fun backspace() {
        synchronized(pad) {
            val n = pad.backspace().toInt()
            _screen.value = when (val s = _screen.value) {
                is PaycodeScreen.EnterPin -> s.copy(digits = n)
                is PaycodeScreen.Confirm -> s.copy(digits = n)
                else -> s
            }
        }
    }

    private suspend fun complete() = mutex.withLock {
        when (val s = _screen.value) {
            is PaycodeScreen.EnterPin -> {
                _screen.value = PaycodeScreen.Opening
                try {
                    session = wallet.openPaycode(pad)
                    startShowing()
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    pad.clear()
                    _screen.value = PaycodeScreen.EnterPin(0, e.userMessage())
                    when (e) {
                        is PaycodeException.LockedOut -> unlockLater(e.retryAfterSecs)
                        is PaycodeException.WrongPin -> if (e.waitSecs > 0u) unlockLater(e.waitSecs)
                        else -> {}
                    }
                }
            }
            is PaycodeScreen.Confirm -> {
                try {
                    val outcome = wallet.confirmCharge(s.charge.chargeId, pad)
                    _screen.value = charged(s.charge, outcome, declined = false)
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    pad.clear()
                    _screen.value = s.copy(digits = 0, error = e.userMessage())
                }
            }
            else -> pad.clear()
        }
    }

    /** Declines the charge waiting for the PIN. */
    fun decline() {
        scope.launch {
            mutex.withLock {
                val s = _screen.value as? PaycodeScreen.Confirm ?: return@withLock
                pad.clear()
                _screen.value = try {
                    charged(s.charge, wallet.declineCharge(s.charge.chargeId), declined = true)
                } catch (e: Exception) {
                    s.copy(digits = 0, error = e.userMessage())
                }
            }
        }
    }

    /** Back to the code after a charge was shown. */
    fun dismiss() {
        scope.launch { mutex.withLock { if (_screen.value is PaycodeScreen.Charged) tick() } }
    }

    /**
     * The platform's capture signal (Android 14+ screen-capture callback; the
     * window's FLAG_SECURE already blanks screenshots and recordings).
     */
    fun setScreenCaptured(value: Boolean) {
        scope.launch {
            mutex.withLock {
                captured = value
                session?.setScreenCaptured(value)
                if (session != null && _screen.value.let { it is PaycodeScreen.Showing || it is PaycodeScreen.Hidden }) tick()
            }
        }
    }

    // Under the mutex.
    private fun startShowing() {
        session?.setScreenCaptured(captured)
        ticker = scope.launch {
            while (isActive) {
                mutex.withLock {
                    if (_screen.value.let { it is PaycodeScreen.Showing || it is PaycodeScreen.Hidden || it is PaycodeScreen.Opening }) tick()
                }
                delay(1_000)
            }
        }
        syncer = scope.launch { syncLoop() }
    }

    // Under the mutex: the code for now, or why none.
    private suspend fun tick() {
        val s = session ?: return
        _screen.value = try {
            val d = s.current()
            if (!d.displayable) {
                PaycodeScreen.Hidden
            } else {
                val offline = wallet.status.value.connectivity is app.scanpay.ffi.ConnectivityStatus.Offline
                PaycodeScreen.Showing(d, d.refreshInSecs.toLong(), offline, text(UiText.PaycodeRefresh(d.refreshInSecs.coerceAtMost(UInt.MAX_VALUE.toULong()).toUInt(), offline)))
            }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            PaycodeScreen.Blocked(e.userMessage())
        }
    }

    // Long-polls the event feed while the code is open; a failed sync waits
    // 5 s (offline: the code is still shown, the limits count it).
    private suspend fun syncLoop() {
        while (scope.isActive) {
            try {
                val changed = wallet.syncPaycode(20)
                mutex.withLock { onCharges(changed) }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                delay(5_000)
            }
        }
    }

    // Under the mutex.
    private suspend fun onCharges(changed: List<PaycodeCharge>) {
        val pending = wallet.pendingCharges().firstOrNull()
        if (pending != null && _screen.value !is PaycodeScreen.Confirm) {
            pad.clear()
            _screen.value = PaycodeScreen.Confirm(
                pending, pending.merchant.name, formatMoney(pending.amount), 0, null,
                request = text(UiText.ChargeRequest(pending)),
            )
            return
        }
        val done = changed.lastOrNull { it.state == ChargeState.PAID && it.method == AuthMethod.CODE } ?: return
        if (_screen.value is PaycodeScreen.Confirm) return
        // Paid with the code alone (under the no-PIN amount): the catalogue
        // words it as a confirmed payment with the feed's receipt.
        val paid = ChargeOutcome.Paid(done.receipt)
        _screen.value = PaycodeScreen.Charged(
            text(UiText.ChargeTitle(paid)),
            text(UiText.ChargeResult(done.merchant.name, done.amount, paid, false)),
            true,
            unlisted(done.merchant),
        )
    }

    // The end of a charge that waited for the PIN: what confirmCharge or
    // declineCharge returned. A decline can find the charge already paid (a
    // confirmation whose answer was lost): the outcome, not the button,
    // decides what is said. Paid is the only green one.
    private fun charged(charge: PendingCharge, outcome: ChargeOutcome, declined: Boolean) = PaycodeScreen.Charged(
        text(UiText.ChargeTitle(outcome)),
        text(UiText.ChargeResult(charge.merchant.name, charge.amount, outcome, declined)),
        outcome is ChargeOutcome.Paid,
        unlisted(charge.merchant),
    )

    /**
     * WCAG 2.2.1: a PIN lockout is a wait, not a limit on the payer, so
     * nothing is extended; it is said once when it starts (the error or
     * the blocked reason, each shown once, never per second) and once when it
     * ends: after [secs], the status is read again and the PIN pad carries the
     * catalogue's "try again now".
     */
    private fun unlockLater(secs: ULong) {
        unlock?.cancel()
        unlock = scope.launch {
            delay(secs.coerceAtMost(86_400uL).toLong() * 1000)
            refresh()
            mutex.withLock {
                val s = _screen.value
                if (s is PaycodeScreen.EnterPin) _screen.value = s.copy(notice = labelText(UiLabel.PIN_TRY_AGAIN_NOW).text)
            }
        }
    }

    /** Stops the refresh and the sync, wipes the secret and the pad. */
    override fun close() {
        unlock?.cancel()
        ticker?.cancel()
        syncer?.cancel()
        session?.let { it.end(); it.close() }
        session = null
        pad.close()
    }

    companion object {
        /** Why no code can be shown, with the way out: the catalogue's sentence. */
        fun blockMessage(b: PaycodeBlock): String = b.text().text
    }
}
