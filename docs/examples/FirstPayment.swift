// A first payment through the ScanPay Swift bindings (docs/bindings.md). In an app the
// generated module comes with the ScanPay package (docs/ios.md); the inputs are what the
// `link.json` of `scanpay sandbox serve --data DIR` holds, and a scanned merchant code.
import Foundation

let pin: [UInt8] = [2, 5, 8, 0, 4, 7] // from the app's PIN screen, digit by digit

func firstPayment(baseUrl: String, caPem: String, spkiPin: String, rootsJson: String,
                  payload: String, walletDir: String) async throws -> FlowState {
    let backend = BackendConfig(baseUrl: baseUrl, caPem: caPem, spkiPins: [spkiPin],
                                requirePins: true, connectTimeoutMs: 0, readTimeoutMs: 0)
    let limits = CurrencyLimits(currency: "SGD", perPayment: 20_000, daily: 50_000, // minor units
                                offlinePerPayment: 0, offlineTotal: 0)
    let config = WalletConfig(dataDir: walletDir, rootsJson: rootsJson, backend: backend,
                              limits: [limits], allowOfflinePayments: false,
                              allowUnverifiedMerchants: false, timings: nil)
    // A phone passes its Secure Enclave key store, not the software one.
    let wallet = try Wallet.open(config: config, keyStore: try softwareKeyStore(),
                                 network: nil, logger: nil)
    _ = try await wallet.syncRegistry()                  // the signed merchant key registry
    let pad = PinPad()
    for digit in pin { _ = try pad.press(digit: digit) }
    _ = try await wallet.enrol(pin: pad)                 // once per install: sets the PIN
    _ = try await wallet.registerDevice(enrolmentCode: "SANDBOX")
    let flow = wallet.newFlow()
    if case let .reviewMerchant(review) = try flow.handle(intent: .scannedText(text: payload)) {
        print("paying \(review.registeredName ?? "?")")  // the REGISTERED name
    }
    var state = try flow.handle(intent: .proceed)
    if case .enterAmount = state { state = try flow.handle(intent: .editAmount(text: "4.50")) }
    switch state {
    case let .confirmAmount(_, _, breakdown, _): _ = try flow.handle(intent: .confirm(displayedTotal: breakdown.total))
    case let .enterAmount(_, _, _, breakdown?, _): _ = try flow.handle(intent: .confirm(displayedTotal: breakdown.total))
    default: return state                             // not payable: the state says why
    }
    for digit in pin { _ = try flow.pressPinDigit(digit: digit) } // off the UI thread: 6th signs
    return try await flow.process(listener: nil)         // sends; queries and reverses if needed
}
