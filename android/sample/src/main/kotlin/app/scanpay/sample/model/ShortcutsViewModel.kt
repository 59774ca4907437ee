// Plain Kotlin view-model: no android.* imports (compiled and tested on the
// JVM by scripts/test-android-jvm.sh).
package app.scanpay.sample.model

import app.scanpay.android.ScanPayWallet
import app.scanpay.ffi.BiometricAvailability
import app.scanpay.ffi.BiometricKey
import app.scanpay.ffi.LapsedShortcut
import app.scanpay.ffi.PinException
import app.scanpay.ffi.PinPad
import app.scanpay.ffi.Shortcut
import app.scanpay.ffi.ShortcutException
import app.scanpay.ffi.ShortcutLapse
import app.scanpay.ffi.ShortcutStatus
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** What the shortcut settings screen draws. */
data class ShortcutsUi(
    /** The core's status; null until read. */
    val status: ShortcutStatus? = null,
    /** Whether the biometric toggle can be offered, or why not (a sentence). */
    val biometricNote: String? = null,
    /** The PIN-free offer for [currency]: "up to 20.00 a payment, 60.00 and 5 a day". */
    val pinFreeOffer: String? = null,
    /** Why shortcuts turned off by themselves, one sentence each. */
    val lapses: List<String> = emptyList(),
    /** Opting in waits for the PIN: which shortcut, and how many digits are in. */
    val askingPin: Shortcut? = null,
    val digits: Int = 0,
    val busy: Boolean = false,
    val message: String? = null,
)

/**
 * The shortcut settings (ADR 0022): biometric confirmation with [biometricKey]
 * (the app's `AndroidBiometricKey`), and PIN-free payments in [currency] with
 * the core's default limits. Opting in asks for the PIN on a pad (digits go to
 * Rust one by one); opting out does not.
 */
class ShortcutsViewModel(
    private val wallet: ScanPayWallet,
    private val scope: CoroutineScope,
    private val biometricKey: BiometricKey?,
    private val currency: String,
) : AutoCloseable {
    private val _ui = MutableStateFlow(ShortcutsUi())

    /** The screen state. Collect on Main. */
    val ui: StateFlow<ShortcutsUi> = _ui.asStateFlow()
    private val pad = PinPad()

    init { refresh() }

    /** Reads the status again (quick, local). */
    fun refresh() = scope.launch { show(wallet.ffi.shortcutStatus()) }

    private fun show(s: ShortcutStatus) {
        val offer = s.pinFreeOffers.firstOrNull { it.defaults.currency == currency }?.defaults
        _ui.update {
            it.copy(
                status = s,
                biometricNote = when {
                    !s.biometricOffered -> "Not offered by this wallet."
                    biometricKey == null -> "This phone cannot confirm with biometrics."
                    else -> when (s.biometricAvailability ?: biometricKey.availability()) {
                        BiometricAvailability.AVAILABLE -> null
                        BiometricAvailability.NOT_ENROLLED -> "Add a fingerprint or face in the phone's settings first."
                        BiometricAvailability.LOCKED_OUT -> "Biometrics are locked: unlock the phone with its PIN first."
                        BiometricAvailability.NO_HARDWARE -> "This phone has no strong biometric sensor."
                    }
                },
                pinFreeOffer = offer?.let { o ->
                    "up to ${minor(o.perPayment)} a payment, ${minor(o.dailyTotal)} and ${o.dailyCount} payments a day"
                },
                lapses = s.lapses.map(::describe),
            )
        }
    }

    /** Starts turning biometric confirmation on: the PIN pad appears. */
    fun enableBiometric() = ask(Shortcut.Biometric)

    /** Starts turning PIN-free payments on in [currency], with the offered limits. */
    fun enablePinFree() = ask(Shortcut.PinFree(currency))

    private fun ask(s: Shortcut) {
        pad.clear()
        _ui.update { it.copy(askingPin = s, digits = 0, message = null) }
    }

    /** A PIN pad key while opting in; the sixth sends the opt-in. */
    fun pinDigit(digit: Int) {
        val asking = _ui.value.askingPin ?: return
        if (digit !in 0..9 || _ui.value.busy) return
        val n = try { pad.press(digit.toUByte()).toInt() } catch (e: PinException) { return }
        _ui.update { it.copy(digits = n) }
        if (pad.isComplete()) run(asking)
    }

    /** The pad's backspace while opting in. */
    fun backspace() {
        if (_ui.value.askingPin == null || _ui.value.busy) return
        _ui.update { it.copy(digits = pad.backspace().toInt()) }
    }

    /** Leaves the PIN pad without opting in. */
    fun cancelPin() {
        pad.clear()
        _ui.update { it.copy(askingPin = null, digits = 0) }
    }

    private fun run(s: Shortcut) = work {
        when (s) {
            is Shortcut.Biometric -> wallet.ffi.enableBiometric(pad, biometricKey ?: throw IllegalStateException("no biometric key"))
            is Shortcut.PinFree -> {
                val limits = wallet.ffi.shortcutStatus().pinFreeOffers.first { it.defaults.currency == s.currency }.defaults
                wallet.ffi.enablePinFree(pad, limits)
            }
        }
    }

    /** Turns biometric confirmation off (no PIN; the backend is told when reachable). */
    fun disableBiometric() = work { wallet.ffi.disableBiometric() }

    /** Turns PIN-free payments off in [currency]. */
    fun disablePinFree() = work { wallet.ffi.disablePinFree(currency) }

    private fun work(call: suspend () -> ShortcutStatus) = scope.launch {
        _ui.update { it.copy(busy = true, message = null) }
        try {
            val s = call()
            _ui.update { it.copy(askingPin = null, digits = 0) }
            show(s)
        } catch (e: ShortcutException) {
            // The pad is wiped by the call: a wrong PIN is typed again.
            _ui.update { it.copy(digits = 0, message = describe(e)) }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            _ui.update { it.copy(askingPin = null, digits = 0, message = "Something went wrong: ${e.message ?: e}") }
        } finally {
            _ui.update { it.copy(busy = false) }
        }
    }

    override fun close() = pad.close()
}

private fun minor(v: ULong): String = "%d.%02d".format((v / 100u).toLong(), (v % 100u).toLong())

/** Why a shortcut turned off, for the settings screen. */
internal fun describe(l: LapsedShortcut): String {
    val what = if (l.shortcut is Shortcut.Biometric) "Fingerprint or face confirmation" else "Paying without the PIN"
    return "$what was turned off: " + when (l.reason) {
        ShortcutLapse.PIN_CHANGED -> "your PIN changed. Turn it on again with the new PIN."
        ShortcutLapse.KEY_INVALIDATED -> "biometrics changed on this phone. Turn it on again with your PIN."
        ShortcutLapse.KEY_MISSING -> "the phone no longer has its key. Turn it on again with your PIN."
        ShortcutLapse.BAD_SIGNATURE -> "its confirmation could not be verified."
        ShortcutLapse.OPTED_OUT -> "you turned it off."
    }
}

/** The catalogue's sentence for an opt-in refusal. */
internal fun describe(e: ShortcutException): String = e.text().text
