import Foundation
import ScanPay

/// The screens' texts, kept out of the views. Every payer-facing word is the
/// core's catalogue (issue 13), in the language last given to
/// `setLocales(tags:)`: captions from `labelText`, texts made from values from
/// `uiText`, sentences from the flow and the errors. Nothing here (or in the
/// views) writes a word of its own; the exceptions are the brand "ScanPay"
/// (the alert title, the privacy cover) and `SampleConfig`'s developer-only
/// set-up problem (missing sandbox files), which a payer never sees.
enum Presentation {
    /// A caption (button, tab, field, progress line, instruction).
    static func label(_ label: UiLabel) -> String {
        labelText(label: label).text
    }

    /// The amount field's placeholder (and VoiceOver label): "Amount (SGD)",
    /// the caption, then the currency code (a value, the same in every language).
    static func amountField(currency: String) -> String {
        "\(label(.fieldAmount)) (\(currency))"
    }

    /// A text made from values. `uiText` throws only for a Money the core
    /// refuses (unknown currency, wrong exponent), which the bindings never
    /// hand out; then `values` is shown: the values alone, no word of the app's.
    static func text(_ text: UiText, values: @autoclosure () -> String) -> String {
        (try? uiText(text: text))?.text ?? values()
    }

    /// Under the pay code: "New code in 12 seconds" ("Offline · new code in
    /// 12 seconds" while the wallet is offline). Shown, never read out.
    static func paycodeRefresh(_ code: PaycodeDisplay, offline: Bool) -> String {
        text(.paycodeRefresh(seconds: UInt32(clamping: code.refreshInSecs), offline: offline),
             values: String(code.refreshInSecs))
    }

    /// Above the PIN pad of a pay-code charge: "Kopi Corner asks for SGD
    /// 3.50. Enter your PIN to pay."
    static func chargeRequest(_ charge: PendingCharge) -> String {
        text(.chargeRequest(charge: charge),
             values: "\(charge.merchant.name) · \(formatMoney(money: charge.amount))")
    }

    /// The note under a pay-code charge from a shop the merchant registry
    /// does not list (its name is the payment service's, not a verified
    /// one); nil for a registered merchant.
    static func unlisted(_ merchant: ChargeMerchant) -> String? {
        merchant.registered ? nil : label(.merchantUnlisted)
    }

    /// The end of a pay-code charge: its status word ("Paid", "Refunded"…)
    /// and the sentence ("You paid SGD 3.50 to Kopi Corner. Receipt R-77.").
    /// `declined`: `outcome` is what `declineCharge` returned.
    static func chargeEnd(merchant: String, amount: Money, outcome: ChargeOutcome,
                          declined: Bool) -> (title: String, detail: String) {
        let title = text(.chargeTitle(outcome: outcome), values: "")
        let detail = text(.chargeResult(merchant: merchant, amount: amount, outcome: outcome, declined: declined),
                          values: "\(merchant) · \(formatMoney(money: amount))")
        return (title, detail)
    }

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
        return label(.noName)
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

    /// The payment id of a finished payment, for support (shown, not spoken
    /// first): "Reference: 5f0c…".
    static func reference(_ state: FlowState) -> String? {
        let id: String
        switch state {
        case .done(let payment, _, _), .pending(let payment, _, _), .needsAttention(let payment, _): id = payment
        // A payment that failed before it was journalled has no id.
        case .failed(let payment?, _, _): id = payment
        default: return nil
        }
        return text(.reference(reference: id), values: id)
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
