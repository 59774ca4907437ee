import Foundation
import ScanPay

/// The wallet configuration of the sample: the sandbox files copied into
/// `Sandbox/` (see Sandbox/README.md), the limits, the data directory.
struct SampleConfig {
    let wallet: WalletConfig
    let enrolmentCode: String?

    /// A developer's set-up problem, not a payer's: the sandbox files were not
    /// copied into the app. It stays in English, outside the catalogue (issue
    /// 13 covers what a payer can see; a shipped app bundles its roots).
    enum Problem: LocalizedError {
        case missingRoots
        var errorDescription: String? {
            "Sandbox/roots.json is missing: copy the sandbox files (ios/SampleApp/Sandbox/README.md)."
        }
    }

    static func load(bundle: Bundle = .main) throws -> SampleConfig {
        func text(_ name: String, _ ext: String) -> String? {
            guard let url = bundle.url(forResource: name, withExtension: ext, subdirectory: "Sandbox"),
                  let value = try? String(contentsOf: url, encoding: .utf8) else { return nil }
            return value.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let roots = text("roots", "json") else { throw Problem.missingRoots }
        var backend: BackendConfig?
        if let url = text("base_url", "txt"), let ca = text("ca", "pem") {
            let pins = text("pin", "txt").map { [$0] } ?? []
            backend = BackendConfig(
                baseUrl: url, caPem: ca, spkiPins: pins, requirePins: !pins.isEmpty,
                connectTimeoutMs: 5_000, readTimeoutMs: 10_000
            )
        }
        let limits = ["SGD", "THB"].map {
            CurrencyLimits(currency: $0, perPayment: 30_000, daily: 40_000, offlinePerPayment: 2_000, offlineTotal: 5_000)
        }
        let config = WalletConfig(
            dataDir: try dataDirectory().path,
            rootsJson: roots,
            backend: backend,
            limits: limits,
            allowOfflinePayments: true,
            allowUnverifiedMerchants: false,
            timings: nil
        )
        return SampleConfig(wallet: config, enrolmentCode: backend == nil ? nil : (text("enrolment_code", "txt") ?? "SANDBOX"))
    }

    /// Application Support/ScanPay: private to the app. Readable after the
    /// first unlock (not `.complete`), so a payment resolving while the phone
    /// locks can still write its journal. Not backed up: the device key that
    /// goes with it is `ThisDeviceOnly`.
    static func dataDirectory() throws -> URL {
        var dir = try FileManager.default.url(
            for: .applicationSupportDirectory, in: .userDomainMask, appropriateFor: nil, create: true
        ).appendingPathComponent("ScanPay", isDirectory: true)
        try FileManager.default.createDirectory(
            at: dir, withIntermediateDirectories: true,
            attributes: [.protectionKey: FileProtectionType.completeUntilFirstUserAuthentication]
        )
        var values = URLResourceValues()
        values.isExcludedFromBackup = true
        try dir.setResourceValues(values)
        return dir
    }
}
