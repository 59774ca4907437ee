import Foundation
import os

/// Sends the core's log lines to the unified log (Console.app, `log stream
/// --predicate 'subsystem == "app.scanpay"'`). The core never logs PIN
/// digits, keys or payloads; lines are still logged as private data, which
/// the unified log redacts unless a debugger is attached or a logging profile
/// enables it. Called on whichever thread logs.
public final class OSLogger: LogSink {
    // `ScanPay.Logger`: the core's protocol, not `os.Logger`.
    private let sink: os.Logger

    public init(subsystem: String = "app.scanpay", category: String = "core") {
        self.sink = os.Logger(subsystem: subsystem, category: category)
    }

    public func log(level: LogLevel, message: String) {
        switch level {
        case .debug:
            sink.debug("\(message, privacy: .private)")
        case .info:
            sink.info("\(message, privacy: .private)")
        case .warn:
            sink.warning("\(message, privacy: .private)")
        case .error:
            sink.error("\(message, privacy: .private)")
        }
    }
}
