import Foundation
import Network

/// Network availability from `NWPathMonitor`, for the core's `NetworkMonitor`
/// foreign interface.
///
/// The core asks `isNetworkAvailable()` when the wallet opens and before each
/// network call (on `scanpay-worker` threads); path changes are also pushed
/// with `Wallet.setNetworkAvailable` so the connectivity status changes at
/// once, not at the next payment. The monitor holds the wallet weakly: the
/// wallet (in Rust) holds the monitor.
public final class NetworkPathMonitor: NetworkMonitor, @unchecked Sendable {
    private let monitor = NWPathMonitor()
    private let queue = DispatchQueue(label: "app.scanpay.network-path")
    private let lock = NSLock()
    // Guarded by `lock`.
    private var available = true
    private weak var wallet: Wallet?

    /// Starts monitoring. Until the first path arrives (a few milliseconds)
    /// the network counts as available: the backend calls find out anyway.
    public init() {
        monitor.pathUpdateHandler = { [weak self] path in
            self?.update(path.status == .satisfied)
        }
        monitor.start(queue: queue)
    }

    deinit {
        monitor.cancel()
    }

    /// Pushes every later change to `wallet` (on this monitor's queue).
    public func attach(to wallet: Wallet) {
        lock.lock()
        self.wallet = wallet
        lock.unlock()
        // Pushed on the monitor's queue, like every update: from the caller's
        // thread, a value read here could reach the wallet after a newer one
        // `update` pushed meanwhile. On the serial queue, the value read is
        // the latest and the pushes happen in order.
        queue.async { [weak self, weak wallet] in
            guard let self, let wallet else { return }
            self.lock.lock()
            let now = self.available
            self.lock.unlock()
            wallet.setNetworkAvailable(available: now)
        }
    }

    public func isNetworkAvailable() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return available
    }

    private func update(_ isAvailable: Bool) {
        lock.lock()
        let changed = available != isAvailable
        available = isAvailable
        let target = wallet
        lock.unlock()
        if changed {
            // setNetworkAvailable notifies status listeners on this thread.
            target?.setNetworkAvailable(available: isAvailable)
        }
    }
}
