// swift-tools-version:5.10
// 5.10, not 5.9: the UniFFI-generated Swift uses `nonisolated(unsafe)` (SE-0412,
// Swift 5.10 = Xcode 15.3); ios/tools/check-settings.sh checks this.
// The ScanPay Swift package: the Rust core as an XCFramework (binary target
// `scanpayFFI`) plus a Swift layer (`ScanPay`) holding the UniFFI-generated
// `scanpay.swift` and the hand-written async / Keychain / NWPathMonitor code.
//
// Build the XCFramework and the generated Swift first: `ios/build-xcframework.sh`
// (see docs/ios.md). Nothing it produces is committed.
import PackageDescription

/// A released XCFramework: fill both from the last lines `build-xcframework.sh`
/// prints (the zip's URL once uploaded, and `swift package compute-checksum`).
/// `nil` uses the local build in `build/` (development).
let releasedFramework: (url: String, checksum: String)? = nil
// Example of the released form:
// let releasedFramework: (url: String, checksum: String)? = (
//     url: "https://github.com/scanpay/scanpay/releases/download/0.1.0/scanpayFFI.xcframework.zip",
//     checksum: "<64 hex digits from swift package compute-checksum>"
// )

let ffiTarget: Target
if let released = releasedFramework {
    ffiTarget = .binaryTarget(name: "scanpayFFI", url: released.url, checksum: released.checksum)
} else {
    ffiTarget = .binaryTarget(name: "scanpayFFI", path: "build/scanpayFFI.xcframework")
}

let package = Package(
    name: "ScanPay",
    platforms: [.iOS(.v16)],
    products: [
        .library(name: "ScanPay", targets: ["ScanPay"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "ScanPay",
            dependencies: ["scanpayFFI"],
            path: "Sources/ScanPay",
            linkerSettings: [
                // The Keychain / Secure Enclave key store and biometric key.
                .linkedFramework("Security"),
                // Face ID / Touch ID for the biometric key (LAContext).
                .linkedFramework("LocalAuthentication"),
            ]
        ),
    ]
)
