import Foundation
import ScanPay

/// The wallet's lifetime in the app: opening, connectivity, PIN set-up.
/// All state is published on the main actor; the core's callbacks arrive on
/// Rust threads and reach it only through `statusUpdates()`.
@MainActor
final class AppModel: ObservableObject {
    enum Phase: Equatable {
        case opening
        case needsPin
        /// Enrolled; registering the device with the backend.
        case registering
        /// Enrolled, but the device registration failed: `register()` retries
        /// it (enrolling again would fail: the PIN is already set).
        case registrationFailed(String)
        case ready
        case failed(String)
    }

    @Published private(set) var phase: Phase = .opening
    @Published private(set) var status: StatusSnapshot?
    @Published private(set) var pinDigits: UInt32 = 0
    @Published var message: String?

    private(set) var wallet: Wallet?
    private var config: SampleConfig?
    private let network = NetworkPathMonitor()
    /// The core's PIN pad: the digits stay in Rust, only the count comes back.
    private let setupPad = PinPad()
    private var statusTask: Task<Void, Never>?
    /// Set on the sixth digit, before the enrolment task starts: a seventh tap
    /// while it runs must not start a second `enrol`.
    private var enrolling = false

    /// After a language change: renders the status banner again (its texts
    /// are the core's, read when drawn; republishing redraws it).
    func relocalize() {
        let current = status
        status = current
    }

    func open() async {
        guard wallet == nil else { return }
        do {
            let config = try SampleConfig.load()
            let wallet = try await Wallet.openDetached(
                config: config.wallet,
                keyStore: KeychainKeyStore(service: "app.scanpay.sample"),
                network: network,
                logger: OSLogger()
            )
            self.config = config
            self.wallet = wallet
            network.attach(to: wallet)
            statusTask = Task { [weak self] in
                for await snapshot in wallet.statusUpdates() {
                    self?.status = snapshot
                }
            }
            // Resume payments left unresolved by a crash, then refresh the registry.
            _ = try? await wallet.start()
            if config.wallet.backend != nil {
                do {
                    _ = try await wallet.syncRegistry()
                } catch {
                    message = userMessage(for: error)
                }
            }
            phase = try wallet.isEnrolled() ? .ready : .needsPin
        } catch {
            phase = .failed(userMessage(for: error))
        }
    }

    func setupDigit(_ digit: UInt8) {
        guard phase == .needsPin, !enrolling else { return }
        do {
            pinDigits = try setupPad.press(digit: digit)
        } catch {
            message = userMessage(for: error)
        }
        if setupPad.isComplete() {
            enrolling = true
            Task { await enrol() }
        }
    }

    func setupBackspace() {
        guard phase == .needsPin, !enrolling else { return }
        pinDigits = setupPad.backspace()
    }

    private func enrol() async {
        defer {
            enrolling = false
            pinDigits = setupPad.count()
        }
        guard let wallet else { return }
        do {
            // The core wipes the pad afterwards, whatever happens.
            _ = try await wallet.enrol(pin: setupPad)
        } catch {
            // Not enrolled (a weak PIN, a key store failure): choose again.
            message = userMessage(for: error)
            return
        }
        // Enrolled from here on: a registration failure must not send the
        // user back to "choose a PIN", where `enrol` would now fail.
        await register()
    }

    /// Registers the device (after enrolment, and again from
    /// `.registrationFailed`).
    func register() async {
        guard let wallet else { return }
        guard let code = config?.enrolmentCode else {
            phase = .ready
            return
        }
        phase = .registering
        do {
            _ = try await wallet.registerDevice(enrolmentCode: code)
            phase = .ready
        } catch {
            phase = .registrationFailed(userMessage(for: error))
        }
    }

    func newPayment() -> PaymentModel? {
        wallet.map { PaymentModel(flow: $0.newFlow()) }
    }
}
