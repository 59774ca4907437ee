import CryptoKit
import Foundation
import Security

/// The iOS key store behind the bindings' `PlatformKeyStore` foreign interface.
///
/// The core hands over the device key already sealed under the PIN; this
/// store adds a key that never leaves the device:
///
/// - **Secure Enclave** (devices): a P-256 private key created inside the
///   Secure Enclave, one per alias. `wrap` encrypts to its public key with
///   ECIES (`eciesEncryptionCofactorVariableIVX963SHA256AESGCM`: ephemeral
///   ECDH, X9.63 KDF, AES-GCM); `unwrap` needs the enclave to decrypt.
/// - **Keychain AES** (simulator, or no enclave): a 256-bit AES-GCM key kept
///   as a Keychain item, one per alias.
///
/// Both are `ThisDeviceOnly`: not in backups, not synced, gone after a device
/// restore, so a restored wallet must re-enrol (the core sees `Unavailable`).
/// The first byte of a blob says which scheme wrapped it, and the alias is
/// bound into every blob (AES-GCM associated data; a SHA-256 prefix inside
/// the ECIES plaintext), so a blob moved to another alias is `Rejected`.
///
/// Errors, by what the core does with them: `Unavailable` only for a key
/// that is really gone (no Keychain item / enclave key for the alias, or a
/// corrupt one) and `Rejected` only for a blob that fails its tag, format or
/// alias binding: the core then tells the UI the device key is unusable
/// (reset and enrol again). Everything that can pass — the phone locked
/// (`errSecInteractionNotAllowed`: the items are `WhenUnlocked`), the Keychain
/// not available, a Secure Enclave (CryptoTokenKit) error, a failed key
/// creation — is `Failed`, which the core reports as retryable.
///
/// Called on `scanpay-worker` threads (or the thread entering a payment's last
/// PIN digit), possibly several at once: Keychain calls are thread-safe, and
/// the look-up-then-create of a key is serialised by `createLock`, so two
/// first wraps at once cannot make two keys under one tag (the Android store
/// locks the same step).
public final class KeychainKeyStore: PlatformKeyStore {
    private static let secureEnclaveScheme: UInt8 = 1
    private static let keychainAesScheme: UInt8 = 2
    /// The core wraps a few hundred bytes; refuse anything absurd before crypto.
    private static let maxInput = 64 * 1024

    private let service: String
    private let useSecureEnclave: Bool
    /// Serialises look-up-then-create (see the type's documentation).
    private let createLock = NSLock()

    /// - Parameters:
    ///   - service: prefix of the Keychain items (use the app's bundle id).
    ///   - preferSecureEnclave: false forces the Keychain AES scheme (tests).
    public init(service: String = "app.scanpay.keystore", preferSecureEnclave: Bool = true) {
        self.service = service
        #if targetEnvironment(simulator)
        self.useSecureEnclave = false
        #else
        self.useSecureEnclave = preferSecureEnclave && SecureEnclave.isAvailable
        #endif
    }

    /// Which scheme new wraps use (for diagnostics screens).
    public var usesSecureEnclave: Bool { useSecureEnclave }

    public func wrap(alias: String, plaintext: Data) throws -> Data {
        guard plaintext.count <= Self.maxInput else {
            throw PlatformKeyStoreError.InvalidInput(reason: "\(plaintext.count) bytes to wrap")
        }
        if useSecureEnclave {
            let key = try enclaveKey(alias: alias, create: true)
            guard let publicKey = SecKeyCopyPublicKey(key) else {
                throw PlatformKeyStoreError.Unavailable(reason: "the Secure Enclave key has no public key")
            }
            var error: Unmanaged<CFError>?
            let bound = aliasDigest(alias) + plaintext
            guard let sealed = SecKeyCreateEncryptedData(publicKey, Self.ecies, bound as CFData, &error) else {
                throw PlatformKeyStoreError.Failed(reason: describe(error, "ECIES encryption failed"))
            }
            return Data([Self.secureEnclaveScheme]) + (sealed as Data)
        }
        let key = try aesKey(alias: alias, create: true)
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: Data(alias.utf8))
            guard let combined = box.combined else {
                throw PlatformKeyStoreError.Failed(reason: "AES-GCM produced no output")
            }
            return Data([Self.keychainAesScheme]) + combined
        } catch let error as PlatformKeyStoreError {
            throw error
        } catch {
            throw PlatformKeyStoreError.Failed(reason: "AES-GCM encryption failed: \(error)")
        }
    }

    public func unwrap(alias: String, wrapped: Data) throws -> Data {
        guard wrapped.count <= Self.maxInput + 256, let scheme = wrapped.first else {
            throw PlatformKeyStoreError.InvalidInput(reason: "\(wrapped.count) bytes to unwrap")
        }
        let body = wrapped.dropFirst()
        switch scheme {
        case Self.secureEnclaveScheme:
            let key = try enclaveKey(alias: alias, create: false)
            var error: Unmanaged<CFError>?
            guard let opened = SecKeyCreateDecryptedData(key, Self.ecies, Data(body) as CFData, &error) as Data? else {
                // The enclave could not do its part now (phone locked, a
                // CryptoTokenKit error): retryable. Otherwise the AES-GCM tag
                // failed: altered, or wrapped under another key.
                if let failure = error?.takeRetainedValue(), Self.isTransient(failure) {
                    throw PlatformKeyStoreError.Failed(reason: "Secure Enclave: \(failure.localizedDescription)")
                }
                throw PlatformKeyStoreError.Rejected
            }
            let digest = aliasDigest(alias)
            guard opened.count >= digest.count, opened.prefix(digest.count) == digest else {
                throw PlatformKeyStoreError.Rejected
            }
            return Data(opened.dropFirst(digest.count))
        case Self.keychainAesScheme:
            let key = try aesKey(alias: alias, create: false)
            do {
                let box = try AES.GCM.SealedBox(combined: body)
                return try AES.GCM.open(box, using: key, authenticating: Data(alias.utf8))
            } catch {
                throw PlatformKeyStoreError.Rejected
            }
        default:
            throw PlatformKeyStoreError.Rejected
        }
    }

    /// Deletes the keys of `alias` (re-enrolment, sign-out). Blobs wrapped
    /// under them can never be opened again.
    public func deleteKeys(alias: String) {
        SecItemDelete(enclaveQuery(alias: alias) as CFDictionary)
        SecItemDelete(aesQuery(alias: alias) as CFDictionary)
    }

    // MARK: Secure Enclave

    private static let ecies = SecKeyAlgorithm.eciesEncryptionCofactorVariableIVX963SHA256AESGCM

    private func tag(_ alias: String) -> Data {
        Data("\(service).se.\(alias)".utf8)
    }

    private func enclaveQuery(alias: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassKey,
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrApplicationTag as String: tag(alias),
        ]
    }

    private func enclaveKey(alias: String, create: Bool) throws -> SecKey {
        createLock.lock()
        defer { createLock.unlock() }
        var query = enclaveQuery(alias: alias)
        query[kSecReturnRef as String] = true
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess, let item {
            // SecItemCopyMatching with kSecReturnRef on kSecClassKey yields a SecKey.
            return item as! SecKey // swiftlint:disable:this force_cast
        }
        guard status == errSecItemNotFound else {
            // Locked phone (errSecInteractionNotAllowed), Keychain busy: may pass later.
            throw PlatformKeyStoreError.Failed(reason: "Keychain lookup failed (\(status))")
        }
        guard create else {
            throw PlatformKeyStoreError.Unavailable(reason: "the Secure Enclave key is gone (device restored or reset)")
        }
        var acError: Unmanaged<CFError>?
        // No user presence flag: the PIN in the core is the user's proof;
        // `.privateKeyUsage` is what lets the enclave key decrypt.
        guard let access = SecAccessControlCreateWithFlags(
            nil, kSecAttrAccessibleWhenUnlockedThisDeviceOnly, .privateKeyUsage, &acError
        ) else {
            throw PlatformKeyStoreError.Failed(reason: describe(acError, "access control refused"))
        }
        let attributes: [String: Any] = [
            kSecAttrKeyType as String: kSecAttrKeyTypeECSECPrimeRandom,
            kSecAttrKeySizeInBits as String: 256,
            kSecAttrTokenID as String: kSecAttrTokenIDSecureEnclave,
            kSecPrivateKeyAttrs as String: [
                kSecAttrIsPermanent as String: true,
                kSecAttrApplicationTag as String: tag(alias),
                kSecAttrAccessControl as String: access,
            ] as [String: Any],
        ]
        var error: Unmanaged<CFError>?
        guard let key = SecKeyCreateRandomKey(attributes as CFDictionary, &error) else {
            // A busy or failing enclave: nothing is lost yet, try again later.
            throw PlatformKeyStoreError.Failed(reason: describe(error, "Secure Enclave key creation failed"))
        }
        return key
    }

    /// Errors that say the enclave or the Keychain cannot serve the request
    /// now, not that the data is wrong.
    private static func isTransient(_ error: CFError) -> Bool {
        let domain = CFErrorGetDomain(error) as String
        let code = CFErrorGetCode(error)
        if domain == "CryptoTokenKit" { return true } // the enclave's token driver
        return domain == NSOSStatusErrorDomain
            && (code == Int(errSecInteractionNotAllowed) || code == Int(errSecNotAvailable))
    }

    private func aliasDigest(_ alias: String) -> Data {
        Data(SHA256.hash(data: Data(alias.utf8)))
    }

    // MARK: Keychain AES (simulator)

    private func aesQuery(alias: String) -> [String: Any] {
        [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: "\(service).aes",
            kSecAttrAccount as String: alias,
        ]
    }

    private func aesKey(alias: String, create: Bool) throws -> SymmetricKey {
        createLock.lock()
        defer { createLock.unlock() }
        var query = aesQuery(alias: alias)
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecSuccess {
            guard let data = item as? Data, data.count == 32 else {
                throw PlatformKeyStoreError.Unavailable(reason: "the Keychain key is corrupt")
            }
            return SymmetricKey(data: data)
        }
        guard status == errSecItemNotFound else {
            // Locked phone (errSecInteractionNotAllowed), Keychain busy: may pass later.
            throw PlatformKeyStoreError.Failed(reason: "Keychain lookup failed (\(status))")
        }
        guard create else {
            throw PlatformKeyStoreError.Unavailable(reason: "the Keychain key is gone (device restored or reset)")
        }
        let key = SymmetricKey(size: .bits256)
        var add = aesQuery(alias: alias)
        add[kSecValueData as String] = key.withUnsafeBytes { Data($0) }
        add[kSecAttrAccessible as String] = kSecAttrAccessibleWhenUnlockedThisDeviceOnly
        add[kSecAttrSynchronizable as String] = false
        let added = SecItemAdd(add as CFDictionary, nil)
        guard added == errSecSuccess else {
            throw PlatformKeyStoreError.Failed(reason: "Keychain refused the key (\(added))")
        }
        return key
    }

    private func describe(_ error: Unmanaged<CFError>?, _ fallback: String) -> String {
        guard let error else { return fallback }
        return "\(fallback): \(error.takeRetainedValue().localizedDescription)"
    }
}
