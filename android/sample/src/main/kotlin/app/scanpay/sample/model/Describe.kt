// Plain Kotlin view-model code: no android.* imports (compiled and tested on
// the JVM by scripts/test-android-jvm.sh).
package app.scanpay.sample.model

import app.scanpay.ffi.FailureReason
import app.scanpay.ffi.MerchantReview
import app.scanpay.ffi.Money
import app.scanpay.ffi.PinFallbackInfo
import app.scanpay.ffi.PinProblem
import app.scanpay.ffi.Reason
import app.scanpay.ffi.Stage
import app.scanpay.ffi.Verdict
import app.scanpay.ffi.Warning
import app.scanpay.ffi.formatMoney
import app.scanpay.ffi.reasonCode

/** What the review screen shows about who is being paid. */
data class MerchantUi(
    /** The registered name when verified; never the printed name. */
    val name: String?,
    val city: String?,
    val verified: Boolean,
    /** One line: "Verified merchant" or why not. */
    val verdict: String,
    /** "Claims to be …" for an unverified code that prints a name. */
    val claim: String?,
    val warnings: List<String>,
    val payable: Boolean,
    /** The amount printed in a dynamic code. */
    val fixedAmount: String?,
)

internal fun money(m: Money): String = formatMoney(m)

internal fun describe(w: Warning): String = when (w) {
    is Warning.RegistryStale -> "The merchant list is out of date (offline); verified against the last copy."
    is Warning.CityDiffers -> "The code says ${w.printed}; the merchant is registered in ${w.registered}."
    is Warning.DynamicWithoutNonce -> "This one-time code has no expiry."
}

internal fun describe(r: Reason): String = when (r) {
    is Reason.NoSignature -> "This code is not signed: ScanPay cannot tell who will be paid."
    is Reason.BadSignature -> "The code's signature is wrong: it may have been tampered with."
    is Reason.RevokedKey -> "The merchant's key was revoked."
    is Reason.CodeExpired -> "This code has expired: ask for a new one."
    is Reason.NoRegistry -> "The merchant list is not loaded yet: connect once to verify merchants."
    is Reason.UnknownKey -> "The merchant is not registered."
    else -> "Not verified (${reasonCode(r)})."
}

internal fun merchantUi(r: MerchantReview): MerchantUi {
    val verified = r.verdict is Verdict.Verified
    val reason = r.refusal ?: (r.verdict as? Verdict.Unverified)?.reason
    return MerchantUi(
        name = r.registeredName,
        city = r.registeredCity,
        verified = verified,
        verdict = if (verified) "Verified merchant" else reason?.let(::describe) ?: "Not verified.",
        claim = if (!verified) r.printedName?.let { "Unverified: claims to be \"$it\"" } else null,
        warnings = r.warnings.map(::describe),
        payable = r.payable,
        fixedAmount = if (r.dynamic) r.amount?.let(::money) else null,
    )
}

internal fun describe(p: PinProblem): String = when (p) {
    is PinProblem.WrongPin -> "Wrong PIN: ${p.attemptsLeft} attempts left" +
        if (p.waitSecs > 0u) ", wait ${p.waitSecs} s" else ""
    is PinProblem.LockedOut -> "Too many wrong PINs: try again in ${p.retryAfterSecs} s"
    is PinProblem.Other -> p.message.text
}

internal fun describe(s: Stage): String = when (s) {
    is Stage.Sending -> "Sending…"
    is Stage.Confirming -> "No clear answer yet: checking with the bank (${s.queries})…"
    is Stage.Reversing -> "No answer in time: cancelling the payment (${s.attempts})…"
}

internal fun describe(f: FailureReason): String = when (f) {
    is FailureReason.Declined -> "Declined: ${f.message}"
    is FailureReason.Reversed -> "No clear answer, so the payment was cancelled. Nothing was paid."
    is FailureReason.NotSent -> "Not sent (no connection). Nothing was paid."
    is FailureReason.NotStarted -> f.message
    is FailureReason.PinLockedOut -> "Too many wrong PINs: wait before trying again."
    is FailureReason.PinDisabled -> "The PIN is blocked: set up the wallet again."
    is FailureReason.NotEnrolled -> "Set up the wallet first."
}

/**
 * Why the PIN pad shows although a shortcut is on, in one sentence (the core's
 * stable reason codes; the detail is the core's message). Null when the payer
 * chose the PIN: nothing to explain.
 */
internal fun describe(f: PinFallbackInfo): String? {
    val what = if (f.shortcut == "pin-free") "Paying without the PIN" else "Fingerprint or face confirmation"
    return when (f.reason) {
        "payer-chose" -> null
        "pin-free-refused" -> "$what is not possible here (${f.message.text}): enter your PIN."
        "pin-required" -> "The bank asks for your PIN for this payment (${f.message.text})."
        "biometric-unavailable" -> "Biometrics are not available now: enter your PIN."
        "biometric-failed" -> if (f.detailCode == "key-invalidated" || f.detailCode == "key-missing") {
            "Biometrics changed on this phone, so fingerprint or face confirmation was turned off. Enter your PIN; turn it on again in settings."
        } else {
            "$what did not work (${f.message.text}): enter your PIN."
        }
        "bad-signature" -> "The biometric confirmation could not be verified, so it was turned off. Enter your PIN."
        else -> "$what is off (${f.message.text}): enter your PIN."
    }
}
