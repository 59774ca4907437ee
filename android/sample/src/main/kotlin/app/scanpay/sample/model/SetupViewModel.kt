// Plain Kotlin view-model: no android.* imports (compiled and tested on the
// JVM by scripts/test-android-jvm.sh).
package app.scanpay.sample.model

import app.scanpay.android.ScanPayWallet
import app.scanpay.android.userMessage
import app.scanpay.ffi.PinException
import app.scanpay.ffi.PinPad
import app.scanpay.ffi.UiLabel
import app.scanpay.ffi.WalletException
import app.scanpay.ffi.labelText
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/** The first-run screen. */
sealed interface SetupState {
    /** Checking whether the wallet is enrolled. */
    data object Checking : SetupState
    /** Choose a PIN (the pad shows [digits] dots). */
    data class ChoosePin(val digits: Int, val error: String?) : SetupState
    /**
     * Enrolling, registering the device, fetching the merchant list: [step]
     * is the catalogue's "Setting up this phone…" (one line for the three:
     * the payer cannot act on which one runs).
     */
    data class Working(val step: String) : SetupState
    /** Ready to pay. */
    data object Ready : SetupState
    /** Enrolled, but registration or the merchant list failed: retry. */
    data class Failed(val message: String) : SetupState
}

/**
 * First run: choose a PIN on the pad (digits go to Rust one by one), enrol,
 * register the device with [enrolmentCode], fetch the merchant registry.
 */
class SetupViewModel(private val wallet: ScanPayWallet, private val scope: CoroutineScope, private val enrolmentCode: String) : AutoCloseable {
    private val _state = MutableStateFlow<SetupState>(SetupState.Checking)

    /** The setup state. Collect on Main. */
    val state: StateFlow<SetupState> = _state.asStateFlow()
    private val pad = PinPad()

    init {
        scope.launch {
            _state.value = if (wallet.isEnrolled()) SetupState.Ready else SetupState.ChoosePin(0, null)
        }
    }

    /** A PIN pad key; the sixth starts enrolment. */
    fun pinDigit(digit: Int) {
        if (_state.value !is SetupState.ChoosePin || digit !in 0..9) return
        val n = try { pad.press(digit.toUByte()).toInt() } catch (e: PinException) { return }
        _state.value = SetupState.ChoosePin(n, null)
        if (pad.isComplete()) enrol()
    }

    fun backspace() {
        if (_state.value is SetupState.ChoosePin) _state.value = SetupState.ChoosePin(pad.backspace().toInt(), null)
    }

    private fun enrol() = scope.launch {
        _state.value = SetupState.Working(labelText(UiLabel.REGISTERING).text)
        try {
            wallet.enrol(pad) // wipes the pad, whatever happens
        } catch (e: PinException) {
            _state.value = SetupState.ChoosePin(0, e.userMessage())
            return@launch
        }
        register()
    }

    /** Registers the device and fetches the merchant list (again, after a failure). */
    fun register() = scope.launch {
        try {
            _state.value = SetupState.Working(labelText(UiLabel.REGISTERING).text)
            wallet.registerDevice(enrolmentCode)
            wallet.syncRegistry()
            _state.value = SetupState.Ready
        } catch (e: WalletException) {
            _state.value = SetupState.Failed(e.userMessage())
        }
    }

    override fun close() = pad.close()
}
