// Plain Kotlin (no android.* imports): compiled and tested on the JVM by
// scripts/test-android-jvm.sh as well as in the AAR.
package app.scanpay.android

import app.scanpay.ffi.FlowIntent
import app.scanpay.ffi.FlowListener
import app.scanpay.ffi.FlowState
import app.scanpay.ffi.PaymentFlow
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.withContext

/**
 * One payment attempt: the core's state machine with its state as a
 * [StateFlow].
 *
 * [send] applies an intent on [io] (instant). [pressPinDigit] enters a PIN
 * key on [io] (instant, except the last digit, which derives the PIN key and
 * writes the journal: ~0.15 s). [process] runs the
 * network part on a Rust `scanpay-worker` thread; the intermediate states
 * (sending, confirming, reversing) arrive on that thread and go straight into
 * [state]. Collect [state] on Main.
 */
class PaymentSession internal constructor(
    /** The generated flow, for calls this layer does not wrap. */
    val ffi: PaymentFlow,
    private val io: CoroutineDispatcher,
) : AutoCloseable {
    private val _state = MutableStateFlow(ffi.state())

    /** The state to render. */
    val state: StateFlow<FlowState> = _state.asStateFlow()

    private val listener = object : FlowListener {
        override fun onState(state: FlowState) {
            _state.value = state
        }
    }

    /** The journalled payment id, once there is one. */
    val paymentId: String? get() = ffi.paymentId()

    /**
     * Applies one intent and returns the new state. Throws the core's
     * `FlowException` (with a message for the UI) and leaves the state as it
     * was when the intent does not apply; `FlowException.Busy` while
     * [process] runs.
     */
    suspend fun send(intent: FlowIntent): FlowState = withContext(io) {
        ffi.handle(intent).also { _state.value = it }
    }

    /**
     * Enters one PIN pad key (the digit value 0–9) and returns the new state:
     * only the digit count comes back. Not a [FlowIntent]: the generated
     * `toString()` of an intent prints its fields, so intents never carry a
     * PIN digit and are safe to log. Throws `FlowException.Pin` for a value
     * outside 0–9 (state unchanged), like [send] otherwise.
     */
    suspend fun pressPinDigit(digit: Int): FlowState = withContext(io) {
        // toUByte() wraps (256 would become 0, a digit): send what the core refuses.
        val value = if (digit in 0..255) digit.toUByte() else UByte.MAX_VALUE
        ffi.pressPinDigit(value).also { _state.value = it }
    }

    /**
     * Runs the payment (valid in Processing, and in Pending to forward or
     * resolve it) and returns its end state: Done, Failed, Pending or
     * NeedsAttention.
     */
    suspend fun process(): FlowState = ffi.process(listener).also { _state.value = it }

    /** Frees the Rust flow (a running [process] keeps it alive until it ends). */
    override fun close() = ffi.close()
}
