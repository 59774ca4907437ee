import Foundation

/// A sentence for the UI from any error the bindings throw. The generated
/// `errorDescription` is the debug form (`FlowError.Busy(message: ...)`).
public func userMessage(for error: Error) -> String {
    switch error {
    case let pin as PinError:
        switch pin {
        case .WrongPin(let attemptsLeft, let waitSecs):
            return waitSecs > 0
                ? "Wrong PIN. \(attemptsLeft) attempts left; wait \(waitSecs) s."
                : "Wrong PIN. \(attemptsLeft) attempts left."
        case .LockedOut(_, let retryAfterSecs):
            return "Too many wrong PINs. Try again in \(retryAfterSecs) s."
        case .Rejected(let reason), .KeyStore(let reason), .Internal(let reason):
            return reason
        case .Incomplete(let entered):
            return "The PIN has 6 digits; \(entered) entered."
        case .Disabled:
            return "The PIN is blocked after too many wrong attempts. Set up the wallet again."
        case .NotEnrolled:
            return "Set a PIN first."
        case .AlreadyEnrolled:
            return "A PIN is already set."
        case .NotADigit, .PadFull:
            return "Only 6 digits can be entered."
        case .DeviceKeyUnusable:
            return "This device can no longer use its payment key. Set up the wallet again to keep paying."
        case .SamePinPad:
            return "Enter the new PIN on a separate pad."
        }
    case let paycode as PaycodeError:
        switch paycode {
        case .NotProvisioned:
            return "Connect to the internet once to set up your pay code."
        case .NoBackend:
            return "This app has no payment service configured."
        case .OfflineLimitReached(let limit):
            return offlineLimitMessage(limit)
        case .PinIncomplete(let entered):
            return "The PIN has 6 digits; \(entered) entered."
        case .WrongPin(let attemptsLeft, let waitSecs):
            return waitSecs > 0
                ? "Wrong PIN. \(attemptsLeft) attempts left; wait \(waitSecs) s."
                : "Wrong PIN. \(attemptsLeft) attempts left."
        case .LockedOut(let retryAfterSecs):
            return "Too many wrong PINs. Try again in \(retryAfterSecs) s."
        case .PinDisabled:
            return "The PIN is blocked after too many wrong attempts. Set up the wallet again."
        case .NotEnrolled:
            return "Set a PIN first."
        case .DeviceKeyUnusable:
            return "This device can no longer use its payment key. Set up the wallet again to keep paying."
        case .KeyStore(let reason), .Storage(let reason), .Internal(let reason):
            return reason
        case .Unreachable:
            return "The payment service cannot be reached. Check the connection."
        case .Tls:
            return "This network is intercepting secure connections. Use another network."
        case .NoAnswer:
            return "No answer from the payment service. Try again."
        case .Refused(let status, _):
            return "The payment service refused the request (\(status))."
        case .ServerFailure(let status, _):
            return "The payment service failed (\(status)). Try again later."
        case .BadAnswer:
            return "The payment service sent an answer this app cannot use."
        case .WindowExhausted:
            return "Connect to the internet and open your pay code again with your PIN."
        case .SecretReplaced:
            return "Your pay code was set up again. Open it again."
        case .Closed:
            return "The pay code was closed. Open it again."
        case .UnknownCharge:
            return "This charge is not known yet. Refresh."
        case .NotPending(_, let state):
            return "This charge is already \(state)."
        }
    case let store as PlatformKeyStoreError:
        switch store {
        case .Unavailable(let reason), .InvalidInput(let reason), .Failed(let reason):
            return reason
        case .Rejected:
            return "The device key store refused the stored key."
        }
    case let trust as TrustError:
        switch trust {
        case .Roots(let reason), .Registry(_, let reason):
            return reason
        }
    default:
        // Flat errors (WalletError, FlowError, ScanError) carry only the
        // core's UI message as `message`.
        if let payload = Mirror(reflecting: error).children.first?.value {
            if let message = payload as? String {
                return message
            }
            if let message = Mirror(reflecting: payload).children.first?.value as? String {
                return message
            }
        }
        return error.localizedDescription
    }
}

/// Why no more codes can be shown offline, as a sentence (the same as the
/// Android layer's `offlineLimitMessage`).
public func offlineLimitMessage(_ limit: OfflineLimit) -> String {
    switch limit {
    case .codes(let issued, let max):
        return "You have shown \(issued) codes since you were last online (at most \(max)). Connect to the internet to show more."
    case .total:
        return "The codes shown since you were last online could already be charged up to the offline limit. Connect to the internet to show more."
    }
}
