import Foundation
import ScanPay

/// One payment: forwards the user's intents to the core's flow and publishes
/// the states it returns. Intents are applied one at a time, in tap order
/// (each waits for the previous), off the main thread.
@MainActor
final class PaymentModel: ObservableObject {
    @Published private(set) var state: FlowState
    /// The flow's sentence for `state` in the current language ("Pay SGD
    /// 12.50 to Kopi Corner?", a failure's reason), from the core's catalogue.
    @Published private(set) var stateText: String
    /// The review's verdict sentence (the state text at ReviewMerchant), kept
    /// for the merchant line of the later screens of the same payment.
    @Published private(set) var verdict: String = ""
    @Published private(set) var working = false
    @Published var error: String?

    private let session: PaymentSession
    private var queue: Task<Void, Never>?
    private var listening: Task<Void, Never>?

    init(flow: PaymentFlow) {
        session = PaymentSession(flow: flow)
        state = flow.state()
        stateText = flow.stateText().text
        let states = session.states
        listening = Task { [weak self] in
            for await next in states {
                self?.show(next, text: flow.stateText().text)
            }
        }
    }

    // stateText() reads the flow's current state, which during process() may
    // already be the next one: it is then the newer sentence, the one to show.
    private func show(_ next: FlowState, text: String) {
        if case .reviewMerchant = next { verdict = text }
        state = next
        stateText = text
    }

    /// Says the language changed: the current sentence again, in the new one.
    func relocalize() {
        stateText = session.flow.stateText().text
        if case .reviewMerchant = state { verdict = stateText }
    }

    deinit {
        session.finish()
    }

    /// A code from the camera or a photo. `onRefused` runs when the core
    /// refuses it (not a merchant code, a phishing link…): the screen stays on
    /// the camera, which must resume, skipping that code (it is still in view).
    func scanned(_ code: ScannedCode, onRefused: @escaping @MainActor () -> Void = {}) {
        perform(onRefused: onRefused) { try await self.session.send(.scannedCode(code: code)) }
    }
    func scannedText(_ text: String) { send(.scannedText(text: text)) }
    func proceed() { send(.proceed) }
    func editAmount(_ text: String) { send(.editAmount(text: text)) }
    func editTip(_ text: String) { send(.editTip(text: text)) }
    /// Echoes the total the screen displayed: the core refuses a mismatch.
    func confirm(displayed total: Money) { send(.confirm(displayedTotal: total)) }
    /// The digit goes straight to Rust, never in a `FlowIntent`; only the count comes back.
    func digit(_ value: UInt8) { perform { try await self.session.pressPinDigit(value) } }
    /// Shows the system's Face ID / Touch ID sheet: the core blocks until
    /// it ends, on a thread of its own (never the main thread, never the
    /// cooperative pool), then pays or offers the PIN.
    func confirmBiometric() {
        perform {
            self.working = true
            defer { self.working = false }
            return try await self.session.authenticateBiometric()
        }
    }
    /// On the one-tap or biometric screen: the PIN pad instead.
    func usePin() { send(.usePin) }
    func backspace() { send(.backspace) }
    func cancel() { send(.cancel) }
    func retry() { send(.retry) }

    /// Resolves or forwards a pending payment.
    func checkAgain() {
        enqueue { try await self.process() }
    }

    private func send(_ intent: FlowIntent) {
        perform { try await self.session.send(intent) }
    }

    /// Queues one step in tap order; runs the payment at once if the step
    /// reached `Processing`. `onRefused` runs when the step itself throws.
    private func perform(
        onRefused: @escaping @MainActor () -> Void = {},
        _ step: @escaping @MainActor () async throws -> FlowState
    ) {
        enqueue {
            let next: FlowState
            do {
                next = try await step()
            } catch {
                onRefused()
                throw error
            }
            if case .processing = next {
                try await self.process()
            }
        }
    }

    private func process() async throws {
        working = true
        defer { working = false }
        try await session.process()
    }

    private func enqueue(_ work: @escaping @MainActor () async throws -> Void) {
        let previous = queue
        queue = Task {
            await previous?.value
            do {
                try await work()
                self.error = nil
            } catch {
                self.error = userMessage(for: error)
            }
        }
    }
}
