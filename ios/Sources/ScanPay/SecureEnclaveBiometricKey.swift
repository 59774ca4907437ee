import Foundation
import LocalAuthentication
import Security

/// The ScanPay biometric key on iOS (ADR 0022), behind the bindings'
/// `BiometricKey` foreign interface: a P-256 key created inside the Secure
/// Enclave whose private key can be used only after Face ID / Touch ID
/// succeeds with the biometrics enrolled when it was created.
///
/// The core never asks "did the user pass?": it hands over a challenge (the
/// payment's authorisation bytes) and checks the signature with the public key
/// it recorded at opt-in; the backend checks it again. Without the enclave
/// releasing the key there is no signature.
///
/// - `createKey()`: replaces any key under `tag`; access control
///   `kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly` with
///   `[.privateKeyUsage, .biometryCurrentSet]` (a new enrolment, or removing the
///   passcode, makes the key unusable for good; no passcode fallback). Returns
///   the 65-byte uncompressed point (`SecKeyCopyExternalRepresentation`), which
///   the core records.
/// - `sign(challenge:prompt:)`: `SecKeyCreateSignature(.ecdsaSignatureMessageX962SHA256)`
///   (SHA-256, ASN.1 DER: what the core verifies), with an `LAContext` whose
///   `localizedReason` is the core's prompt text and whose
///   `localizedCancelTitle` is the prompt's `cancel` ("Use PIN", in the
///   same language). The system shows the Face ID /
///   Touch ID sheet and the call **blocks until it ends**, so it must not run on
///   the main thread: there it fails at once with `.Failed`. The core calls it
///   on its own background thread.
/// - Outcomes: cancel (`errSecUserCanceled`, `LAError.userCancel`,
///   `.systemCancel`, `.appCancel`, `.userFallback`) → `.Cancelled`;
///   `LAError.biometryLockout` → `.LockedOut`; `.biometryNotEnrolled` →
///   `.NotEnrolled`; no key → `.KeyMissing`; a key whose biometric set changed
///   since it was made → `.KeyInvalidated` (detected from
///   `evaluatedPolicyDomainState`, kept beside the key, because an invalidated
///   enclave key fails with a generic error); no usable sensor →
///   `.Unavailable`; anything else → `.Failed`. None of them pays: the flow
///   falls back to the PIN.
///
/// The simulator has no Secure Enclave: `availability()` is `.noHardware`
/// there, so the app hides the option (desktop tests use the core's software
/// key). Needs `NSFaceIDUsageDescription` in the app's Info.plist.
public final class SecureEnclaveBiometricKey: BiometricKey {
    private let tag: String
    private let stateAccount: String
    private let service: String
    private let lock = NSLock()

    /// The sheet's words are all the core's (issue 13): the reason is the
    /// prompt's title and subtitle, the cancel button (which falls back to the
    /// PIN pad) is `prompt.cancel`, "Use PIN" in the payer's language. There is
    /// no override: a caption of the app's own would be in one language only.
    ///
    /// - Parameter service: prefix of the Keychain items (use the app's bundle id).
    public init(service: String = "app.scanpay.biometric") {
        self.service = service
        self.tag = "\(service).key"
        self.stateAccount = "\(service).domain-state"
    }

    public func availability() -> BiometricAvailability {
        #if targetEnvironment(simulator)
        return .noHardware
        #else
        let context = LAContext()
        var error: NSError?
        if context.canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: &error) {
            return .available
        }
        switch (error as? LAError)?.code {
        case .biometryLockout?:
            return .lockedOut
        case .biometryNotEnrolled?, .passcodeNotSet?:
            return .notEnrolled
        default:
            return .noHardware
        }
        #endif
    }

    public func createKey() throws -> Data {
        switch availability() {
        case .available: break
        case .notEnrolled: throw BiometricError.NotEnrolled
        case .lockedOut: throw BiometricError.LockedOut
        case .noHardware: throw BiometricError.Unavailable
        }
        lock.lock()
        defer { lock.unlock() }
        deleteItems()
        var acError: Unmanaged<CFError>?
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenPasscodeSetThisDeviceOnly, [.privateKeyUsage, .biometryCurrentSet], &acError
        ) else {
            throw BiometricError.Failed(reason: describe(acError, "access control refused"))
        }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs as String: [
                kSecAttrIsPermanent as String: true,
                kSecAttrApplicationTag as String: Data(tag.utf8),
                kSecAttrAccessControl as String: access,
            ] as [String: Any],
        ]
        var error: Unmanaged<CFError>?
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            throw BiometricError.Failed(reason: describe(error, "Secure Enclave key creation failed"))
        }
        guard let publicKey = SecKeyCopyPublicKey(key),
              let point = SecKeyCopyExternalRepresentation(publicKey, &error) as Data? else {
            deleteItems()
            throw BiometricError.Failed(reason: describe(error, "the enclave key has no public key"))
        }
        // The biometric set the key is bound to, to tell "invalidated" from
        // other failures later.
        let context = LAContext()
        var laError: NSError?
        _ = context.canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: &laError)
        if let state = context.evaluatedPolicyDomainState {
            storeDomainState(state)
        }
        return point
    }

    public func sign(challenge: Data, prompt: BiometricPromptText) throws -> Data {
        // SecKeyCreateSignature blocks until the sheet ends: on the main
        // thread that freezes the UI the sheet needs.
        guard !Thread.isMainThread else {
            throw BiometricError.Failed(reason: "the biometric prompt was requested on the main thread; call it from a background thread")
        }
        lock.lock()
        defer { lock.unlock() }
        let context = LAContext()
        context.localizedReason = prompt.subtitle.isEmpty ? prompt.title : "\(prompt.title)\n\(prompt.subtitle)"
        // The core writes it in the title's language; the sheet never shows a word of the app's.
        // An empty title would leave the sheet without its way back to the PIN.
        context.localizedCancelTitle = prompt.cancel.isEmpty ? labelText(label: .usePin).text : prompt.cancel
        context.localizedFallbackTitle = "" // no passcode fallback: the PIN is the core's
        var laError: NSError?
        let canEvaluate = context.canEvaluatePolicy(.deviceOwnerAuthenticationWithBiometrics, error: &laError)
        let laCode = (laError as? LAError)?.code
        // A lockout first: the domain state is not available then, and a
        // locked-out key is not an invalidated one.
        if !canEvaluate, laCode == .biometryLockout {
            throw BiometricError.LockedOut
        }
        // Compared only when biometrics can be evaluated: otherwise (Face ID
        // permission switched off, biometry unavailable) the current state
        // is nil and says nothing about the enrolment; the typed error below
        // answers, and the key is not lapsed for it.
        if canEvaluate, let current = context.evaluatedPolicyDomainState,
           let stored = loadDomainState(), stored != current {
            // Enrolment changed: the `.biometryCurrentSet` key can never
            // sign again.
            throw BiometricError.KeyInvalidated
        }
        if !canEvaluate, let laCode {
            throw Self.typed(laCode: laCode, laError)
        }
        let key = try privateKey(context: context)
        var error: Unmanaged<CFError>?
        guard let signature = SecKeyCreateSignature(
            key, .ecdsaSignatureMessageX962SHA256, challenge as CFData, &error
        ) as Data? else {
            throw Self.typed(error?.takeRetainedValue())
        }
        return signature
    }

    public func deleteKey() throws {
        lock.lock()
        defer { lock.unlock() }
        deleteItems()
    }

    // MARK: Keychain

    private func keyQuery() -> [String: Any] {
        [
            kSecClass as String: kSecClassKey,
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrApplicationTag as String: Data(tag.utf8),
        ]
    }

    private func stateQuery() -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: stateAccount,
        ]
    }

    private func privateKey(context: LAContext) throws -> SecKey {
        var query = keyQuery()
        query[kSecReturnRef as String] = true
        query[kSecUseAuthenticationContext as String] = context
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        guard status == errSecSuccess, let item else {
            if status == errSecItemNotFound { throw BiometricError.KeyMissing }
            throw BiometricError.Failed(reason: "Keychain lookup failed (\(status))")
        }
        // SecItemCopyMatching with kSecReturnRef on kSecClassKey yields a SecKey.
        return item as! SecKey // swiftlint:disable:this force_cast
    }

    private func storeDomainState(_ state: Data) {
        var add = stateQuery()
        add[kSecValueData as String] = state
        add[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        add[kSecAttrSynchronizable as String] = false
        SecItemDelete(stateQuery() as CFDictionary)
        SecItemAdd(add as CFDictionary, nil)
    }

    private func loadDomainState() -> Data? {
        var query = stateQuery()
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        guard SecItemCopyMatching(query as CFDictionary, &item) == errSecSuccess else { return nil }
        return item as? Data
    }

    private func deleteItems() {
        SecItemDelete(keyQuery() as CFDictionary)
        SecItemDelete(stateQuery() as CFDictionary)
    }

    // MARK: Errors

    /// The typed error for a LocalAuthentication outcome.
    private static func typed(laCode: LAError.Code, _ error: Error?) -> BiometricError {
        switch laCode {
        case .userCancel, .systemCancel, .appCancel, .userFallback:
            return .Cancelled
        case .biometryLockout:
            return .LockedOut
        case .biometryNotEnrolled, .passcodeNotSet:
            return .NotEnrolled
        case .biometryNotAvailable:
            return .Unavailable
        default:
            return .Failed(reason: "LocalAuthentication: \(error?.localizedDescription ?? "code \(laCode.rawValue)")")
        }
    }

    /// The typed error for a failed `SecKeyCreateSignature`.
    private static func typed(_ error: CFError?) -> BiometricError {
        guard let error else { return .Failed(reason: "signing failed with no error") }
        let domain = CFErrorGetDomain(error) as String
        let code = CFErrorGetCode(error)
        if domain == LAErrorDomain, let laCode = LAError.Code(rawValue: code) {
            return typed(laCode: laCode, error)
        }
        if domain == NSOSStatusErrorDomain, code == Int(errSecUserCanceled) {
            return .Cancelled
        }
        return .Failed(reason: "Secure Enclave: \((error as Error).localizedDescription)")
    }

    private func describe(_ error: Unmanaged<CFError>?, _ fallback: String) -> String {
        guard let error else { return fallback }
        return "\(fallback): \(error.takeRetainedValue().localizedDescription)"
    }
}
