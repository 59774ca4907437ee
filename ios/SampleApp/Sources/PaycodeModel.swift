import Foundation
import ScanPay
import UIKit

/// The pay-code screen's model: opens the code with the PIN, refreshes it
/// once a second (the core returns the same code until it must change),
/// long-polls the event feed while it is open so a till's charge shows
/// within ~2 s, asks for the PIN when a charge above the no-PIN amount
/// waits, and hides the code while the screen is captured (mirroring,
/// AirPlay, recording): `UIScreen.isCaptured` and its change notification are
/// passed to the core, which then hands out nothing to draw.
@MainActor
final class PaycodeModel: ObservableObject {
    enum Phase {
        case blocked(String)
        case enterPin(error: String?)
        case opening
        case showing(PaycodeDisplay)
        case hidden
        case confirm(PendingCharge, error: String?)
        case charged(title: String, detail: String, unlisted: String?)
    }

    @Published private(set) var phase: Phase = .blocked("…")
    @Published private(set) var pinDigits: UInt32 = 0
    /// The wallet is offline: the refresh line says so (codes are limited
    /// until it syncs). Read with each code.
    @Published private(set) var offline = false

    private let wallet: Wallet
    private let pad = PinPad()
    private var session: PaycodeSession?
    private var ticker: Task<Void, Never>?
    private var syncer: Task<Void, Never>?
    private var captureObserver: NSObjectProtocol?
    private var unlock: Task<Void, Never>?

    init(wallet: Wallet) {
        self.wallet = wallet
        captureObserver = NotificationCenter.default.addObserver(
            forName: UIScreen.capturedDidChangeNotification, object: nil, queue: .main
        ) { [weak self] _ in
            Task { @MainActor in self?.captureChanged() }
        }
        refresh()
    }

    deinit {
        ticker?.cancel()
        syncer?.cancel()
        unlock?.cancel()
        session?.end()
        if let captureObserver { NotificationCenter.default.removeObserver(captureObserver) }
    }

    /// The status: the PIN pad when a code can be shown (or set up), else why not.
    func refresh() {
        guard session == nil else { return }
        do {
            let status = try wallet.paycodeStatus()
            switch status.blocked {
            case .none, .some(.notProvisioned), .some(.windowExhausted):
                phase = .enterPin(error: nil)
            case .some(let block):
                phase = .blocked(Self.message(for: block))
                if case .pinLocked(let secs) = block { unlockLater(secs) }
            }
        } catch {
            phase = .blocked(userMessage(for: error))
        }
    }

    /// WCAG 2.2.1: a PIN lockout is a wait, not a limit on the payer, so
    /// nothing is extended; its sentence is said once when it starts (the
    /// blocked screen) and "You can try again now" once when it ends.
    private func unlockLater(_ secs: UInt64) {
        unlock?.cancel()
        unlock = Task { [weak self] in
            try? await Task.sleep(nanoseconds: min(secs, 86_400) * 1_000_000_000)
            guard !Task.isCancelled, let self else { return }
            self.refresh()
            if case .enterPin = self.phase {
                announce(labelText(label: .pinTryAgainNow).text)
            }
        }
    }

    func digit(_ d: UInt8) {
        guard (try? pad.press(digit: d)) != nil else { return }
        pinDigits = pad.count()
        if pad.isComplete() { Task { await complete() } }
    }

    func backspace() {
        pinDigits = pad.backspace()
    }

    private func complete() async {
        defer { pinDigits = pad.count() }
        switch phase {
        case .enterPin:
            phase = .opening
            do {
                let opened = try await wallet.openPaycode(pin: pad)
                opened.setScreenCaptured(captured: UIScreen.main.isCaptured)
                session = opened
                startShowing()
            } catch {
                pad.clear()
                phase = .enterPin(error: userMessage(for: error))
                if case PaycodeError.LockedOut(let secs) = error { unlockLater(secs) }
            }
        case .confirm(let charge, _):
            do {
                let outcome = try await wallet.confirmCharge(chargeId: charge.chargeId, pin: pad)
                phase = Self.chargeEnded(merchant: charge.merchant, amount: charge.amount, outcome: outcome,
                                         declined: false)
            } catch {
                pad.clear()
                phase = .confirm(charge, error: userMessage(for: error))
            }
        default:
            pad.clear()
        }
    }

    func decline() {
        guard case .confirm(let charge, _) = phase else { return }
        pad.clear()
        pinDigits = 0
        Task {
            do {
                // Closed: "You declined. Kopi Corner was not paid."; a decline can also find
                // the charge already paid (a confirmation whose answer was lost): the
                // outcome, not the button, decides what is said.
                let outcome = try await wallet.declineCharge(chargeId: charge.chargeId)
                phase = Self.chargeEnded(merchant: charge.merchant, amount: charge.amount, outcome: outcome,
                                         declined: true)
            } catch {
                phase = .confirm(charge, error: userMessage(for: error))
            }
        }
    }

    func dismiss() {
        Task { await tick() }
    }

    private func captureChanged() {
        session?.setScreenCaptured(captured: UIScreen.main.isCaptured)
        Task { await tick() }
    }

    private func startShowing() {
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                await self?.tickIfShowing()
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
        syncer = Task { [weak self] in
            while !Task.isCancelled {
                guard let wallet = self?.wallet else { return }
                do {
                    let changed = try await wallet.syncPaycode(waitSecs: 20)
                    await self?.onCharges(changed)
                } catch {
                    try? await Task.sleep(nanoseconds: 5_000_000_000)
                }
            }
        }
    }

    private func tickIfShowing() async {
        switch phase {
        case .showing, .hidden, .opening: await tick()
        default: break
        }
    }

    private func tick() async {
        guard let session else { return }
        do {
            let code = try await session.current()
            if case .offline = wallet.status().connectivity { offline = true } else { offline = false }
            phase = code.displayable ? .showing(code) : .hidden
        } catch {
            phase = .blocked(userMessage(for: error))
        }
    }

    private func onCharges(_ changed: [PaycodeCharge]) {
        if case .confirm = phase { return }
        if let pending = (try? wallet.pendingCharges())?.first {
            pad.clear()
            pinDigits = 0
            phase = .confirm(pending, error: nil)
            return
        }
        if let paid = changed.last(where: { $0.state == .paid && $0.method == .code }) {
            // Paid with the code alone (under the no-PIN amount): the feed's receipt.
            phase = Self.chargeEnded(merchant: paid.merchant, amount: paid.amount,
                                     outcome: .paid(receipt: paid.receipt), declined: false)
        }
    }

    /// A charge's end in the catalogue's words: its status word and sentence.
    private static func chargeEnded(merchant: ChargeMerchant, amount: Money, outcome: ChargeOutcome,
                                    declined: Bool) -> Phase {
        let end = Presentation.chargeEnd(merchant: merchant.name, amount: amount, outcome: outcome,
                                         declined: declined)
        return .charged(title: end.title, detail: end.detail, unlisted: Presentation.unlisted(merchant))
    }

    /// Why no code can be shown, with the way out: the catalogue's sentence.
    static func message(for block: PaycodeBlock) -> String {
        block.text().text
    }
}
