import Foundation

/// The payer's sentence for any error the bindings throw, in the language last
/// given to `setLocales(tags:)`, from the core's catalogue (issue 13): the same
/// words the Android layer's `userMessage()` and the CLI show.
///
/// Errors whose cases carry fields have `text()` (their generated
/// `errorDescription` is the debug form); the flat ones (WalletError,
/// FlowError, ScanError) carry the catalogue text as their only payload. No
/// sentence is written here: a missing text belongs in `core/i18n/messages/`.
public func userMessage(for error: Error) -> String {
    switch error {
    case let e as PinError: return e.text().text
    case let e as PaycodeError: return e.text().text
    case let e as ShortcutError: return e.text().text
    case let e as TrustError: return e.text().text
    case let e as PlatformKeyStoreError: return e.text().text
    case let e as BiometricError: return e.text().text
    default:
        // Flat errors: `case Busy(message: String)`, the message is the text.
        if let payload = Mirror(reflecting: error).children.first?.value {
            if let message = payload as? String {
                return message
            }
            if let message = Mirror(reflecting: payload).children.first?.value as? String {
                return message
            }
        }
        // Not from the bindings (a bug in the app): the system's description.
        return error.localizedDescription
    }
}
