// Plain Kotlin view-model: no android.* imports (compiled and tested on the
// JVM by scripts/test-android-jvm.sh).
package app.scanpay.sample.model

import app.scanpay.android.ScanPayWallet
import app.scanpay.android.userMessage
import app.scanpay.ffi.BiometricAvailability
import app.scanpay.ffi.BiometricKey
import app.scanpay.ffi.LapsedShortcut
import app.scanpay.ffi.PinException
import app.scanpay.ffi.PinPad
import app.scanpay.ffi.Shortcut
import app.scanpay.ffi.ShortcutException
import app.scanpay.ffi.ShortcutStatus
import app.scanpay.ffi.UiText
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
    /**
     * Null when the biometric toggle can be offered, else why not: the
     * catalogue's sentence (`UiText.BiometricSetting`, or the opt-in's
     * refusal when the wallet does not offer it).
     */
    val biometricNote: String? = null,
    /**
     * The PIN-free offer for [currency], as the catalogue writes it with CLDR
     * amounts (`UiText.PinFreeOffer`): "Up to SGD 20.00 a payment, SGD 60.00
     * and 5 payments a day."
     */
    val pinFreeOffer: String? = null,
    /** Why shortcuts are off, one catalogue sentence each (`UiText.ShortcutLapsed`). */
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
                    // The words the opt-in's own refusal would show.
                    !s.biometricOffered -> describe(ShortcutException.BiometricNotOffered())
                    // No key to create: as for a phone without a sensor.
                    biometricKey == null -> text(UiText.BiometricSetting(BiometricAvailability.NO_HARDWARE))
                    else -> when (val a = s.biometricAvailability ?: biometricKey.availability()) {
                        // Nothing to explain: the Turn on button is enabled.
                        BiometricAvailability.AVAILABLE -> null
                        else -> text(UiText.BiometricSetting(a))
                    }
                },
                pinFreeOffer = offer?.let { text(UiText.PinFreeOffer(it)) },
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
            // The button is disabled without a key; the core's refusal, should a tap get through.
            is Shortcut.Biometric -> wallet.ffi.enableBiometric(pad, biometricKey ?: throw ShortcutException.NoBiometricKey())
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
            _ui.update { it.copy(askingPin = null, digits = 0, message = e.userMessage()) }
        } finally {
            _ui.update { it.copy(busy = false) }
        }
    }

    override fun close() = pad.close()
}

/** Why a shortcut is off, for the settings screen: the catalogue's sentence, with the way back. */
internal fun describe(l: LapsedShortcut): String = text(UiText.ShortcutLapsed(l))

/** The catalogue's sentence for an opt-in refusal. */
internal fun describe(e: ShortcutException): String = e.text().text
