import Foundation

// Swift-side conveniences over the generated bindings. The network-bound
// calls (`start`, `enrol`, `syncRegistry`, `registerDevice`, `process`...)
// are already `async` in the generated code: they complete on a Rust
// `scanpay-worker` thread and resume the caller's executor. What is added
// here: the two blocking calls moved off the caller's thread, and
// `AsyncStream`s for connectivity and flow states.

extension Wallet {
    /// `Wallet.open` off the calling thread (it reads the journal and the
    /// cached registry: quick, but file I/O does not belong on the main actor).
    public static func openDetached(
        config: WalletConfig,
        keyStore: PlatformKeyStore,
        network: NetworkMonitor?,
        logger: LogSink?
    ) async throws -> Wallet {
        try await Task.detached(priority: .userInitiated) {
            try Wallet.open(config: config, keyStore: keyStore, network: network, logger: logger)
        }.value
    }

    /// Connectivity as an `AsyncStream`: the current status first, then every
    /// change, in order. The listener is called on Rust threads (see
    /// docs/bindings.md) and only yields into the stream; iterate it on the
    /// main actor to update UI. Ending the iteration cancels the subscription.
    public func statusUpdates() -> AsyncStream<StatusSnapshot> {
        AsyncStream(bufferingPolicy: .bufferingNewest(16)) { continuation in
            // Subscribe first, then read: a change landing in between is
            // then either delivered or already in `status()` (the core does
            // not replay the current value to new subscribers), so the last
            // value yielded is never older than the real status.
            let subscription = self.subscribeStatus(listener: StreamListener(continuation))
            continuation.yield(self.status())
            continuation.onTermination = { _ in
                _ = subscription.cancel()
            }
        }
    }
}

extension PaymentFlow {
    /// `handle` off the calling thread (intents return at once; kept off the
    /// caller's thread so every flow call from the UI looks the same).
    public func send(_ intent: FlowIntent) async throws -> FlowState {
        try await Task.detached(priority: .userInitiated) {
            try self.handle(intent: intent)
        }.value
    }

    /// `handle(.authenticateBiometric)` on a dispatch queue: the core blocks
    /// until the platform's biometric sheet ends (seconds), which must not
    /// happen on the main thread (the sheet needs it; the Secure Enclave key
    /// refuses there) nor hold a thread of Swift's cooperative pool.
    public func authenticateBiometric() async throws -> FlowState {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(with: Result { try self.handle(intent: .authenticateBiometric) })
            }
        }
    }

    /// `pressPinDigit(digit:)` off the calling thread: the sixth digit
    /// derives the PIN key (~0.15 s), calls the key store and writes the
    /// journal. PIN keys are not `FlowIntent`s, whose description prints their
    /// fields: no intent holds a PIN digit, so intents are safe to log.
    public func pressPinDigit(_ digit: UInt8) async throws -> FlowState {
        try await Task.detached(priority: .userInitiated) {
            try self.pressPinDigit(digit: digit)
        }.value
    }
}

/// Bridges a foreign-interface callback to an `AsyncStream` continuation.
/// `AsyncStream.Continuation` is thread-safe, so Rust threads may yield.
final class StreamListener: StatusListener, FlowListener {
    private let status: AsyncStream<StatusSnapshot>.Continuation?
    private let flow: AsyncStream<FlowState>.Continuation?

    init(_ continuation: AsyncStream<StatusSnapshot>.Continuation) {
        self.status = continuation
        self.flow = nil
    }

    init(_ continuation: AsyncStream<FlowState>.Continuation) {
        self.status = nil
        self.flow = continuation
    }

    func onStatus(status snapshot: StatusSnapshot) {
        status?.yield(snapshot)
    }

    func onState(state: FlowState) {
        flow?.yield(state)
    }
}
