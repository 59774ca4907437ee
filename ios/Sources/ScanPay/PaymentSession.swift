import Foundation

/// One payment attempt with its states as an `AsyncStream`.
///
/// Every state the flow reaches is yielded, in order: the results of
/// `send(_:)` and `pressPinDigit(_:)`, and the intermediate `Processing`
/// stages that `process()` reports from its `scanpay-worker` thread. A
/// view-model iterates `states` on the main actor and renders each one.
///
/// The same name and role as the Android layer's `PaymentSession`.
public final class PaymentSession: @unchecked Sendable {
    /// The underlying flow (state, payment id).
    public let flow: PaymentFlow
    /// Every state, starting with the current one.
    public let states: AsyncStream<FlowState>
    private let continuation: AsyncStream<FlowState>.Continuation

    public init(flow: PaymentFlow) {
        self.flow = flow
        var captured: AsyncStream<FlowState>.Continuation?
        self.states = AsyncStream(bufferingPolicy: .unbounded) { captured = $0 }
        // AsyncStream runs its build closure before init returns.
        self.continuation = captured!
        continuation.yield(flow.state())
    }

    deinit {
        continuation.finish()
    }

    /// Applies one intent off the calling thread and yields the new state.
    /// On error the state is unchanged and nothing is yielded.
    @discardableResult
    public func send(_ intent: FlowIntent) async throws -> FlowState {
        let state = try await flow.send(intent)
        continuation.yield(state)
        return state
    }

    /// Enters one PIN pad key (the digit value 0–9) off the calling thread
    /// and yields the new state; only the digit count comes back. A value
    /// above 9 throws `FlowError.Pin`. On error the state is unchanged and
    /// nothing is yielded.
    @discardableResult
    public func pressPinDigit(_ digit: UInt8) async throws -> FlowState {
        let state = try await flow.pressPinDigit(digit)
        continuation.yield(state)
        return state
    }

    /// The `authenticateBiometric` intent (the Face ID / Touch ID sheet) on a
    /// thread of its own, yielding the new state: Processing after a
    /// signature that verified, ConfirmBiometric again after a cancel, or
    /// EnterPin with the reason.
    @discardableResult
    public func authenticateBiometric() async throws -> FlowState {
        let state = try await flow.authenticateBiometric()
        continuation.yield(state)
        return state
    }

    /// Runs the network part (in `Processing`, or `Pending` to resolve it),
    /// yielding each stage, and returns the end state. The core's listener
    /// already delivers the end state (once), so it is not yielded again.
    @discardableResult
    public func process() async throws -> FlowState {
        try await flow.process(listener: StreamListener(continuation))
    }

    /// Ends the stream (the view went away).
    public func finish() {
        continuation.finish()
    }
}
