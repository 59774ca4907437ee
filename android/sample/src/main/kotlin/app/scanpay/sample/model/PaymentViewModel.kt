// Plain Kotlin view-model: no android.* imports (compiled and tested on the
// JVM by scripts/test-android-jvm.sh). The sample's Activity holds it in an
// androidx ViewModel and passes viewModelScope.
package app.scanpay.sample.model

import app.scanpay.android.PaymentSession
import app.scanpay.android.ScanPayWallet
import app.scanpay.android.userMessage
import app.scanpay.ffi.AmountBreakdown
import app.scanpay.ffi.FlowException
import app.scanpay.ffi.FlowIntent
import app.scanpay.ffi.FlowState
import app.scanpay.ffi.PaymentState
import app.scanpay.ffi.PinProblem
import app.scanpay.ffi.RetryOption
import app.scanpay.ffi.ScannedCode
import app.scanpay.ffi.UiText
import app.scanpay.ffi.pinEntryText
import app.scanpay.ffi.receiptStatusText
import java.util.concurrent.atomic.AtomicInteger
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch

/** One screen of the payment, with everything it draws. */
sealed interface Screen {
    /** The camera is on. */
    data object Scanning : Screen

    /** Who is being paid. */
    data class Review(val merchant: MerchantUi) : Screen

    /** Type (static code) or confirm (dynamic code) the amount. */
    data class Amount(
        val merchant: MerchantUi,
        val entered: String,
        val tipEntered: String,
        /** The total the Pay button shows, once the text parses. */
        val total: AmountUi?,
        val problem: String?,
        /** The amount is in the code and cannot be edited. */
        val fixed: Boolean,
    ) : Screen {
        val canConfirm: Boolean get() = total != null && problem == null
    }

    /**
     * Pay without the PIN (ADR 0022): merchant and amount on one screen, one
     * tap pays ([PaymentViewModel.confirm]); "Use PIN" goes to the pad.
     */
    data class OneTap(val merchant: MerchantUi, val total: AmountUi, val prompt: String = "") : Screen

    /**
     * Confirm with the platform's biometric ([PaymentViewModel.confirmBiometric]
     * shows the system prompt); "Use PIN" goes to the pad. [problem] is why the
     * last prompt did not confirm (cancelled…), when another try is offered;
     * [prompt] is the flow's sentence ("Confirm … with your fingerprint or face").
     */
    data class Biometric(val merchant: MerchantUi, val total: AmountUi, val offline: Boolean, val problem: String?, val prompt: String = "") : Screen

    /**
     * The PIN pad: only the number of digits is known here. [fallback] says why
     * the PIN is asked although a shortcut is on (biometrics changed, PIN-free
     * refused and why…), or is null. [prompt] is the flow's sentence ("Enter
     * your PIN to pay …"); [spoken] is what a screen reader says for the dots
     * ("2 of 6 digits entered", the catalogue's `pinEntryText`): counts only,
     * never a digit.
     */
    data class Pin(
        val merchantName: String,
        val total: AmountUi,
        val digits: Int,
        val length: Int,
        val offline: Boolean,
        val error: String?,
        val fallback: String? = null,
        val prompt: String = "",
        val spoken: String = "",
        /** Seconds until the next try after a lockout or a wrong PIN with a wait; 0 when none. */
        val waitSecs: Long = 0,
    ) : Screen

    /** Money in motion: [stage] is the flow's sentence ("Sending your payment…"). */
    data class Processing(val total: AmountUi, val stage: String) : Screen

    /**
     * The end of this payment: [title] is the status word ("Paid", "Not
     * paid"), [detail] the flow's sentence (what happened and what to do).
     * The screen announces [announcement] (a live region) when it appears.
     * [reference] is the line for support ("Reference: 5f0c…",
     * `UiText.Reference` of [paymentId]), null without a payment id.
     */
    data class Result(
        val outcome: Outcome,
        val title: String,
        val detail: String,
        val paymentId: String?,
        val canRetry: Boolean,
        val reference: String? = paymentId?.let { text(UiText.Reference(it)) },
    ) : Screen {
        val announcement: String get() = "$title. $detail"
    }
}

/** How a payment ended, for the result screen's colour and icon. */
enum class Outcome { PAID, PENDING, FAILED, NEEDS_ATTENTION }

/** Everything the payment UI renders. */
data class UiState(
    val screen: Screen = Screen.Scanning,
    /** An intent is being applied or the payment is running: ignore taps. */
    val busy: Boolean = false,
    /** A one-off message (a scanned code that is not a merchant code…). */
    val message: String? = null,
)

/**
 * Drives one payment at a time through the core's flow and exposes the UI
 * state as a [StateFlow]. All work runs in [scope] (viewModelScope in the
 * app); intents are queued and applied one at a time, in order, whatever the
 * dispatcher. After the last PIN digit the payment is processed right away
 * (later intents wait in the queue until it ends).
 */
class PaymentViewModel(private val wallet: ScanPayWallet, private val scope: CoroutineScope) : AutoCloseable {
    private val _ui = MutableStateFlow(UiState())

    /** The UI state. Collect on Main. */
    val ui: StateFlow<UiState> = _ui.asStateFlow()

    // Intents are applied one at a time, in the order the user made them: a
    // queue with one consumer (launching a coroutine per tap would let a
    // multi-threaded dispatcher reorder PIN digits).
    private val queue = Channel<suspend () -> Unit>(Channel.UNLIMITED)
    private val queued = AtomicInteger(0)
    private var session: PaymentSession = wallet.newPayment()
    private var collector: Job = collect(session)
    @Volatile
    private var lastBreakdown: AmountBreakdown? = null

    // The review's verdict sentence (the state text at ReviewMerchant), kept
    // for the merchant line of the later screens of the same payment.
    @Volatile
    private var verdict: String = ""

    // The bytes of the last camera code the core refused (not a merchant
    // code, a phishing link…). The camera keeps delivering it every frame
    // while it is in view: re-sending it would clear and re-set the message
    // (a flicker) and run the core for nothing. Ignored until another code is
    // seen or the user dismisses the message.
    @Volatile
    private var rejected: ByteArray? = null

    init {
        scope.launch {
            for (work in queue) {
                try { work() } finally { queued.decrementAndGet() }
            }
        }
    }

    private fun enqueue(work: suspend () -> Unit) {
        queued.incrementAndGet()
        if (queue.trySend(work).isFailure) queued.decrementAndGet() // closed
    }

    private fun collect(s: PaymentSession): Job = scope.launch {
        s.state.collect { state -> _ui.update { it.copy(screen = screenOf(state, s)) } }
    }

    // Every sentence is the core's, in the current locale: the flow's state
    // text (rendered when read, so a language change shows at the next
    // state), the status words, the PIN pad's count. stateText() reads the
    // flow's current state, which during process() may already be the next
    // one: it is then the newer sentence, which is what the payer should see.
    private fun screenOf(state: FlowState, s: PaymentSession): Screen {
        val text = s.ffi.stateText().text
        return when (state) {
            is FlowState.Scanning -> Screen.Scanning
            is FlowState.ReviewMerchant -> {
                verdict = text
                Screen.Review(merchantUi(state.review, verdict))
            }
            is FlowState.EnterAmount -> {
                lastBreakdown = state.breakdown
                Screen.Amount(merchantUi(state.review, verdict), state.entered, state.tipEntered, state.breakdown?.let { amount(it.total) }, state.problem?.text, fixed = false)
            }
            is FlowState.ConfirmAmount -> {
                lastBreakdown = state.breakdown
                Screen.Amount(merchantUi(state.review, verdict), money(state.breakdown.amount), state.tipEntered, amount(state.breakdown.total), state.problem?.text, fixed = true)
            }
            is FlowState.ConfirmPinFree -> {
                lastBreakdown = state.breakdown
                Screen.OneTap(merchantUi(state.review, verdict), amount(state.breakdown.total), text)
            }
            is FlowState.ConfirmBiometric -> {
                lastBreakdown = state.breakdown
                Screen.Biometric(merchantUi(state.review, verdict), amount(state.breakdown.total), state.offline, state.problem?.text, text)
            }
            is FlowState.EnterPin -> Screen.Pin(
                state.review.registeredName ?: state.review.printedName ?: "",
                amount(state.breakdown.total), state.digits.toInt(), PIN_LENGTH, state.offline, state.lastError?.let(::describe),
                state.fallback?.let(::describe),
                prompt = text,
                spoken = pinEntryText(state.digits, PIN_LENGTH.toUInt()).text,
                waitSecs = when (val e = state.lastError) {
                    is PinProblem.LockedOut -> e.retryAfterSecs.toLong()
                    is PinProblem.WrongPin -> e.waitSecs.toLong()
                    else -> 0L
                },
            )
            is FlowState.Processing -> Screen.Processing(amount(state.breakdown.total), text)
            is FlowState.Done -> Screen.Result(Outcome.PAID, receiptStatusText(PaymentState.SUCCEEDED).text, text, state.paymentId, canRetry = false)
            is FlowState.Pending -> Screen.Result(Outcome.PENDING, receiptStatusText(PaymentState.QUEUED).text, text, state.paymentId, canRetry = false)
            is FlowState.Failed -> Screen.Result(Outcome.FAILED, receiptStatusText(PaymentState.DECLINED).text, text, state.paymentId,
                canRetry = state.retry is RetryOption.SameId || state.retry is RetryOption.NewAttempt)
            is FlowState.NeedsAttention -> Screen.Result(Outcome.NEEDS_ATTENTION, receiptStatusText(PaymentState.NEEDS_ATTENTION).text, text, state.paymentId, canRetry = false)
        }
    }

    private fun send(intent: FlowIntent) = perform { it.send(intent) }

    /**
     * Queues one step on the current session (read when the step runs), then
     * processes if it reached Processing. [onRefused] runs when the core
     * refuses the step with a [FlowException].
     */
    private fun perform(onRefused: () -> Unit = {}, step: suspend (PaymentSession) -> FlowState) = enqueue {
        _ui.update { it.copy(busy = true, message = null) }
        try {
            val s = step(session)
            if (s is FlowState.Processing) session.process()
        } catch (e: FlowException) {
            onRefused()
            _ui.update { it.copy(message = e.message) }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            // A bug, not a user error (the core turns its own panics into
            // FlowException.Internal): show it rather than crash the app.
            _ui.update { it.copy(message = e.userMessage()) }
        } finally {
            _ui.update { it.copy(busy = false) }
        }
    }

    /**
     * A code from the camera. Ignored unless the camera screen is showing
     * (frames keep coming), and ignored while it is the code just refused
     * (its message stays up; scanning goes on for any other code).
     */
    fun onScanned(code: ScannedCode) {
        val now = _ui.value
        if (now.screen != Screen.Scanning || now.busy || queued.get() > 0) return
        if (rejected?.contentEquals(code.bytes) == true) return
        rejected = null
        val bytes = code.bytes.copyOf()
        perform(onRefused = { rejected = bytes }) { it.send(FlowIntent.ScannedCode(code)) }
    }

    /** A pasted or imported text. */
    fun onScannedText(text: String) = send(FlowIntent.ScannedText(text))
    fun proceed() = send(FlowIntent.Proceed)
    fun editAmount(text: String) = send(FlowIntent.EditAmount(text))
    fun editTip(text: String) = send(FlowIntent.EditTip(text))

    /**
     * Confirms, echoing the total the screen displayed: on the amount screen
     * (then the PIN pad or the biometric screen follows), and on the one-tap
     * screen, where it pays without the PIN.
     */
    fun confirm() {
        val total = lastBreakdown?.total ?: return
        send(FlowIntent.Confirm(total))
    }

    /** A PIN pad key (0–9). The digit goes straight to Rust, never in a FlowIntent; only the count comes back. */
    fun pinDigit(digit: Int) {
        if (digit !in 0..9) return
        perform { it.pressPinDigit(digit) }
    }

    /**
     * On the biometric screen: the system prompt. The core blocks until the
     * payer answers it, so it runs on IO like every intent; the Android key
     * shows the prompt on Main and waits (AndroidBiometricKey).
     */
    fun confirmBiometric() = send(FlowIntent.AuthenticateBiometric)

    /** On the one-tap or biometric screen: use the PIN pad instead. */
    fun usePin() = send(FlowIntent.UsePin)

    fun backspace() = send(FlowIntent.Backspace)
    fun cancel() = send(FlowIntent.Cancel)
    fun retry() = send(FlowIntent.Retry)
    /** Hides the message; a refused camera code may then be tried again. */
    fun dismissMessage() {
        rejected = null
        _ui.update { it.copy(message = null) }
    }

    /** Ends this payment (from the result screen) and starts a new one in Scanning. */
    fun newPayment() = enqueue {
        collector.cancel()
        session.close()
        lastBreakdown = null
        rejected = null
        session = wallet.newPayment()
        collector = collect(session)
        _ui.value = UiState(screen = screenOf(session.state.value, session))
    }

    /** Frees the flow (the app calls it from ViewModel.onCleared). */
    override fun close() {
        queue.close()
        collector.cancel()
        session.close()
    }

    companion object {
        /** Digits in a PIN. */
        const val PIN_LENGTH = 6
    }
}
