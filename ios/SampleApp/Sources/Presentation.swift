import Foundation
import ScanPay

/// Plain-Swift texts for the screens, kept out of the views.
enum Presentation {
    /// The connectivity banner; nil when online.
    static func banner(_ status: StatusSnapshot?) -> String? {
        guard let status else { return nil }
        let pending = status.pendingPayments > 0 ? " \(status.pendingPayments) payment(s) pending." : ""
        switch status.connectivity {
        case .online:
            return status.pendingPayments > 0 ? pending.trimmingCharacters(in: .whitespaces) : nil
        case .degraded(let reason):
            switch reason {
            case .slow: return "The connection is slow." + pending
            case .errors: return "The payment service is having problems." + pending
            case .tlsFailure: return "Secure connection failed (captive portal or proxy?)." + pending
            }
        case .offline:
            return "Offline. Merchants are still verified from the cached registry." + pending
        }
    }

    /// Who is paid: the registered name only; a printed name is never shown as the payee.
    static func payee(_ review: MerchantReview) -> String {
        if let name = review.registeredName { return name }
        if let printed = review.printedName { return "Unverified merchant (claims to be “\(printed)”)" }
        return "Unverified merchant"
    }

    static func verdict(_ review: MerchantReview) -> String {
        switch review.verdict {
        case .verified(let merchant):
            return "Verified · \(merchant.registeredCity) · \(merchant.merchantId)"
        case .unverified(let reason):
            return "Not verified: \(reasonCode(reason: reason))"
        }
    }

    static func warnings(_ review: MerchantReview) -> [String] {
        review.warnings.map { warning in
            switch warning {
            case .registryStale:
                return "The merchant list is out of date (offline)."
            case .cityDiffers(let printed, let registered):
                return "The code says \(printed); the merchant is registered in \(registered)."
            case .dynamicWithoutNonce:
                return warningCode(warning: warning)
            }
        }
    }

    static func stage(_ stage: Stage) -> String {
        switch stage {
        case .sending: return "Sending…"
        case .confirming(let queries): return "Checking the outcome (\(queries))…"
        case .reversing(let attempts): return "No clear answer: cancelling (\(attempts))…"
        }
    }

    /// Title and detail of a finished (or parked) payment.
    static func result(_ state: FlowState) -> (title: String, detail: String) {
        switch state {
        case .done(let id, let merchantName, let receipt):
            return ("Paid \(formatMoney(money: receipt.amount))", "To \(merchantName)\nReceipt \(receipt.reference)\nPayment \(id)")
        case .pending(let id, let breakdown, let reason):
            let why = reason == .queuedOffline
                ? "Authorised offline: it is sent when the phone is back online."
                : "Not finished yet: the wallet finishes it without you."
            return ("Pending \(formatMoney(money: breakdown.total))", "\(why)\nPayment \(id)")
        case .failed(let id, let reason, _):
            return ("Not paid", failure(reason) + (id.map { "\nPayment \($0)" } ?? ""))
        case .needsAttention(let id, let breakdown):
            return ("Needs attention", "The wallet cannot tell whether \(formatMoney(money: breakdown.total)) was paid. Contact support with payment \(id).")
        default:
            return ("", "")
        }
    }

    static func failure(_ reason: FailureReason) -> String {
        switch reason {
        case .declined(_, let message): return "Declined: \(message)"
        case .reversed: return "No clear answer in time, so it was cancelled. Nothing was paid."
        case .notSent: return "Not sent (no connection). Nothing was paid."
        case .notStarted(let message): return message
        case .pinLockedOut: return "Too many wrong PINs. Try again later."
        case .pinDisabled: return "The PIN is blocked. Set up the wallet again."
        case .notEnrolled: return "Set a PIN first."
        }
    }

    /// Why the PIN is asked although a shortcut is on (nil when the payer
    /// chose the PIN); the same sentences as the Android sample.
    static func fallback(_ info: PinFallbackInfo?) -> String? {
        guard let info else { return nil }
        let what = info.shortcut == "pin-free" ? "Paying without the PIN" : "Face ID / Touch ID confirmation"
        switch info.reason {
        case "payer-chose":
            return nil
        case "pin-free-refused":
            return "\(what) is not possible here (\(info.message)): enter your PIN."
        case "pin-required":
            return "The bank asks for your PIN for this payment (\(info.message))."
        case "biometric-unavailable":
            return "Biometrics are not available now: enter your PIN."
        case "biometric-failed" where info.detailCode == "key-invalidated" || info.detailCode == "key-missing":
            return "Biometrics changed on this phone, so Face ID / Touch ID confirmation was turned off. Enter your PIN; turn it on again in settings."
        case "bad-signature":
            return "The biometric confirmation could not be verified, so it was turned off. Enter your PIN."
        default:
            return "\(what) did not work (\(info.message)): enter your PIN."
        }
    }

    static func pinProblem(_ problem: PinProblem?) -> String? {
        switch problem {
        case .none: return nil
        case .wrongPin(let attemptsLeft, let waitSecs)?:
            return waitSecs > 0 ? "Wrong PIN. \(attemptsLeft) left; wait \(waitSecs) s." : "Wrong PIN. \(attemptsLeft) left."
        case .lockedOut(_, let retryAfterSecs)?:
            return "Too many wrong PINs. Try again in \(retryAfterSecs) s."
        case .other(let message)?:
            return message
        }
    }
}
