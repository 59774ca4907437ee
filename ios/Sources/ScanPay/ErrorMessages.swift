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
