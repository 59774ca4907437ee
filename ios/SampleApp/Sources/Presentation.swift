import Foundation
import ScanPay

/// The screens' texts, kept out of the views. Every payer-facing sentence is
/// the core's catalogue (issue 13), in the language last given to
/// `setLocales(tags:)`: nothing here writes a sentence of its own.
enum Presentation {
    /// The connectivity banner: the catalogue's status texts (connectivity,
    /// then payments waiting); nil when online with nothing pending.
    static func banner(_ status: StatusSnapshot?) -> String? {
        guard let status else { return nil }
        var texts = statusTexts(status: status).map(\.text)
        // Online: the first text is "Online", not worth a banner.
        if case .online = status.connectivity { texts = Array(texts.dropFirst()) }
        return texts.isEmpty ? nil : texts.joined(separator: " ")
    }

    /// Who is paid: the registered name, else the printed name in quotes (a
    /// claim: the verdict under it, the core's sentence, says why it is not
    /// verified); never the printed name as the payee.
    static func payee(_ review: MerchantReview) -> String {
        if let name = review.registeredName { return name }
        if let printed = review.printedName { return "“\(printed)”" }
        return "?"
    }

    static func warnings(_ review: MerchantReview) -> [String] {
        review.warnings.map { warningText(warning: $0).text }
    }

    /// An amount as CLDR writes it for the locale, and as VoiceOver must say
    /// it ("12.50 Singapore dollars"). A Money the core refuses (unknown
    /// currency) falls back to `formatMoney`.
    static func amount(_ money: Money) -> AmountText {
        if let text = try? amountText(money: money) { return text }
        let plain = formatMoney(money: money)
        return AmountText(text: plain, spoken: plain, integerPart: "", fractionPart: "", currency: money.currency)
    }

    /// The status word of a finished (or parked) payment: "Paid", "Not paid"…
    static func resultTitle(_ state: FlowState) -> String {
        switch state {
        case .done: return receiptStatusText(state: .succeeded).text
        case .pending: return receiptStatusText(state: .queued).text
        case .failed: return receiptStatusText(state: .declined).text
        case .needsAttention: return receiptStatusText(state: .needsAttention).text
        default: return ""
        }
    }

    /// The payment id of a finished payment, for support (shown, not spoken first).
    static func paymentId(_ state: FlowState) -> String? {
        switch state {
        case .done(let id, _, _), .pending(let id, _, _), .needsAttention(let id, _): return id
        case .failed(let id, _, _): return id
        default: return nil
        }
    }

    /// Why the PIN is asked although a shortcut is on: the core's sentence
    /// for the stable reason; nil when the payer chose the PIN.
    static func fallback(_ info: PinFallbackInfo?) -> String? {
        guard let info, info.reason != "payer-chose" else { return nil }
        return info.message.text
    }

    static func pinProblem(_ problem: PinProblem?) -> String? {
        problem?.text().text
    }
}
