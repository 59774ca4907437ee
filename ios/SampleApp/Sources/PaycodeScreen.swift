import ScanPay
import SwiftUI

/// The pay code: the QR (EMVCo CPM) and the Code 128 bars drawn from the
/// core's modules with `Canvas` (no barcode library), the 18 digits in
/// groups, the countdown to the next code ("Offline · …" when offline). Hidden while the screen is
/// captured (`PaycodeModel` tells the core). A charge above the no-PIN
/// amount asks for the PIN here.
struct PaycodeScreen: View {
    @StateObject var model: PaycodeModel

    var body: some View {
        // Scrolls, so the largest Dynamic Type sizes never clip it.
        ScrollView {
            VStack(spacing: 16) {
                switch model.phase {
                case .blocked(let reason):
                    // Said once when it appears (a lockout's wait is not counted down aloud).
                    Text(reason).padding()
                        .onAppear { announce(reason) }
                case .enterPin(let error):
                    Text(Presentation.label(.paycodeEnterPin)).font(.headline)
                    if let error {
                        // Said once (a lockout's wait is not counted down aloud).
                        Text(error).foregroundColor(.red).onAppear { announce(error) }
                    }
                    PinDots(count: model.pinDigits)
                    PinKeys(onDigit: model.digit, onBackspace: model.backspace)
                case .opening:
                    ProgressView()
                case .hidden:
                    Text(Presentation.label(.paycodeHidden)).padding()
                case .showing(let code):
                    Text(labelText(label: .showPaycodeToCashier).text).font(.headline)
                    QrView(qr: code.qr).aspectRatio(1, contentMode: .fit).padding(.horizontal, 32)
                    BarsView(bars: code.bars).frame(height: 96).padding(.horizontal)
                    Text(Self.grouped(code.digits)).font(.system(.title3, design: .monospaced))
                    // The countdown is not read out: the seconds would interrupt
                    // every second. WCAG 2.2.1: the refresh is a time limit under
                    // the Essential exception (a code kept longer would weaken the
                    // one-time code; docs/ios.md), so each new code is announced
                    // politely instead, and focus stays where it is.
                    Text(Presentation.paycodeRefresh(code, offline: model.offline)).font(.footnote)
                        .accessibilityHidden(true)
                        .onChange(of: code.digits) { _ in announce(labelText(label: .paycodeRefreshed).text) }
                case .confirm(let charge, let error):
                    Text(charge.merchant.name).font(.headline)
                    AmountLabel(money: charge.amount).font(.title2)
                    // "Kopi Corner asks for SGD 3.50. Enter your PIN to pay."
                    Text(Presentation.chargeRequest(charge)).multilineTextAlignment(.center)
                    if let note = Presentation.unlisted(charge.merchant) { Text(note).foregroundColor(.orange) }
                    if let error { Text(error).foregroundColor(.red) }
                    PinDots(count: model.pinDigits)
                    PinKeys(onDigit: model.digit, onBackspace: model.backspace)
                    Button(Presentation.label(.decline), role: .destructive) { model.decline() }
                case .charged(let title, let detail, let unlisted):
                    Text(title).font(.title2)
                    Text(detail)
                    if let unlisted { Text(unlisted).font(.footnote) }
                    Button(Presentation.label(.done)) { model.dismiss() }
                }
            }
            .padding()
        }
    }

    /// "39 1234 5678 9012 3456": the prefix, then groups of four.
    static func grouped(_ digits: String) -> String {
        guard digits.count > 2 else { return digits }
        var out = String(digits.prefix(2))
        var rest = Substring(digits.dropFirst(2))
        while !rest.isEmpty {
            out += " " + rest.prefix(4)
            rest = rest.dropFirst(4)
        }
        return out
    }
}

/// The QR modules as dark squares, with the quiet zone the core asks for.
struct QrView: View {
    let qr: QrMatrix

    var body: some View {
        Canvas { context, size in
            let n = Int(qr.size)
            guard n > 0 else { return }
            let quiet = Int(paycodeQrQuietModules())
            let module = min(size.width, size.height) / CGFloat(n + 2 * quiet)
            context.fill(Path(CGRect(origin: .zero, size: size)), with: .color(.white))
            for y in 0..<n {
                for x in 0..<n where qr.modules[y * n + x] {
                    let rect = CGRect(x: CGFloat(x + quiet) * module, y: CGFloat(y + quiet) * module,
                                      width: module, height: module)
                    context.fill(Path(rect), with: .color(.black))
                }
            }
        }
    }
}

/// Code 128: widths alternate bar, space, bar…, in modules; quiet zones each side.
struct BarsView: View {
    let bars: Data

    var body: some View {
        Canvas { context, size in
            guard !bars.isEmpty else { return }
            let quiet = Int(paycodeBarsQuietModules())
            let total = bars.reduce(0) { $0 + Int($1) } + 2 * quiet
            let module = size.width / CGFloat(total)
            context.fill(Path(CGRect(origin: .zero, size: size)), with: .color(.white))
            var x = CGFloat(quiet) * module
            for (index, width) in bars.enumerated() {
                let w = CGFloat(width) * module
                if index % 2 == 0 {
                    context.fill(Path(CGRect(x: x, y: 0, width: w, height: size.height)), with: .color(.black))
                }
                x += w
            }
        }
    }
}
