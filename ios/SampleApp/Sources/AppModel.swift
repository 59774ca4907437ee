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
        do {
            pinDigits = try setupPad.press(digit: digit)
        } catch {
            message = userMessage(for: error)
        }
        if setupPad.isComplete() {
            Task { await enrol() }
        }
    }

    func setupBackspace() {
        pinDigits = setupPad.backspace()
    }

    private func enrol() async {
        guard let wallet else { return }
        do {
            // The core wipes the pad afterwards, whatever happens.
            _ = try await wallet.enrol(pin: setupPad)
            if let code = config?.enrolmentCode {
                _ = try await wallet.registerDevice(enrolmentCode: code)
            }
            phase = .ready
        } catch {
            message = userMessage(for: error)
        }
        pinDigits = setupPad.count()
    }

    func newPayment() -> PaymentModel? {
        wallet.map { PaymentModel(flow: $0.newFlow()) }
    }
}
