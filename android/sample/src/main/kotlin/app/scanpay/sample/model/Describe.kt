// Plain Kotlin view-model code: no android.* imports (compiled and tested on
// the JVM by scripts/test-android-jvm.sh).
//
// Every sentence here comes from the core's catalogue (issue 13) in the locale
// last given to setLocales: no payer-facing sentence is written in this app.
package app.scanpay.sample.model

import app.scanpay.android.userMessage
import app.scanpay.ffi.AmountText
import app.scanpay.ffi.FlowException
import app.scanpay.ffi.MerchantReview
import app.scanpay.ffi.Money
import app.scanpay.ffi.PinFallbackInfo
import app.scanpay.ffi.PinProblem
import app.scanpay.ffi.UiText
import app.scanpay.ffi.Verdict
import app.scanpay.ffi.amountText
import app.scanpay.ffi.formatMoney
import app.scanpay.ffi.uiText
import app.scanpay.ffi.warningText

/** What the review screen shows about who is being paid. */
data class MerchantUi(
    /** The registered name when verified; never the printed name. */
    val name: String?,
    val city: String?,
    val verified: Boolean,
    /**
     * One line: "Verified merchant: …" or why not (the flow's state text at
     * the review, `trust-*` in the catalogue).
     */
    val verdict: String,
    /** The name an unverified code prints, shown as a claim (quoted), never as the payee. */
    val claim: String?,
    val warnings: List<String>,
    val payable: Boolean,
    /** The amount printed in a dynamic code. */
    val fixedAmount: AmountUi?,
)

/**
 * An amount as the screen shows it ([text]) and as a screen reader must read
 * it: [spoken], and the parts Android's `TtsSpan.MoneyBuilder` takes.
 */
data class AmountUi(val text: String, val spoken: String, val integerPart: String, val fractionPart: String, val currency: String) {
    override fun toString(): String = text
}

/**
 * The amount in the current locale. The core's amounts are valid, but a Money
 * the core refuses (unknown currency code) must not kill the screen's
 * collector: it is then shown as formatMoney writes it, with no spoken form.
 */
internal fun amount(m: Money): AmountUi = try {
    val a: AmountText = amountText(m)
    AmountUi(a.text, a.spoken, a.integerPart, a.fractionPart, a.currency)
} catch (e: FlowException) {
    val text = formatMoney(m)
    AmountUi(text, text, "", "", m.currency)
}

internal fun money(m: Money): String = formatMoney(m)

/**
 * A text made from values ([UiText]) in the current locale. `uiText` refuses
 * only an amount it cannot write (unknown currency, wrong exponent), which
 * the core's own values never are; a refusal must not kill the screen's
 * collector, so it shows the core's sentence for the refusal instead.
 */
internal fun text(t: UiText): String = try {
    uiText(t).text
} catch (e: FlowException) {
    e.userMessage()
}

/**
 * [verdict] is the flow's state text at the review (the verdict's sentence);
 * later screens pass the one kept from the review.
 */
internal fun merchantUi(r: MerchantReview, verdict: String): MerchantUi {
    val verified = r.verdict is Verdict.Verified
    return MerchantUi(
        name = r.registeredName,
        city = r.registeredCity,
        verified = verified,
        verdict = verdict,
        claim = if (!verified) r.printedName else null,
        warnings = r.warnings.map { warningText(it).text },
        payable = r.payable,
        fixedAmount = if (r.dynamic) r.amount?.let(::amount) else null,
    )
}

internal fun describe(p: PinProblem): String = p.text().text

/**
 * Why the PIN pad shows although a shortcut is on (the core's sentence for
 * the stable reason code). Null when the payer chose the PIN: nothing to explain.
 */
internal fun describe(f: PinFallbackInfo): String? = if (f.reason == "payer-chose") null else f.message.text
