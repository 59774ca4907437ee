import AVFoundation
import PhotosUI
import ScanPay
import SwiftUI

struct RootView: View {
    @ObservedObject var app: AppModel
    @State private var payment: PaymentModel?
    @State private var showPaycode = false

    var body: some View {
        VStack(spacing: 0) {
            if let text = Presentation.banner(app.status) {
                ConnectivityBanner(text: text)
            }
            content.frame(maxWidth: .infinity, maxHeight: .infinity)
        }
        .alert("ScanPay", isPresented: Binding(get: { app.message != nil }, set: { if !$0 { app.message = nil } })) {
            Button("OK") { app.message = nil }
        } message: {
            Text(app.message ?? "")
        }
    }

    @ViewBuilder private var content: some View {
        switch app.phase {
        case .opening:
            ProgressView("Opening the wallet…")
        case .failed(let message):
            Text(message).padding()
        case .needsPin:
            VStack(spacing: 24) {
                Text("Choose a 6-digit PIN").font(.title2)
                PinDots(count: app.pinDigits)
                PinKeys(onDigit: app.setupDigit, onBackspace: app.setupBackspace)
            }
        case .registering:
            ProgressView("Registering this device…")
        case .registrationFailed(let message):
            VStack(spacing: 16) {
                Text(message).padding()
                Button("Try again") { Task { await app.register() } }
            }
        case .ready:
            VStack(spacing: 0) {
                // Two ways to pay: scan the shop's code, or show the pay
                // code to the shop's till.
                Picker("Pay", selection: $showPaycode) {
                    Text("Scan to pay").tag(false)
                    Text("Pay code").tag(true)
                }
                .pickerStyle(.segmented)
                .padding(8)
                if showPaycode, let wallet = app.wallet {
                    PaycodeScreen(model: PaycodeModel(wallet: wallet))
                } else if let payment {
                    PaymentScreen(model: payment) { self.payment = app.newPayment() }
                } else {
                    ProgressView().onAppear { payment = app.newPayment() }
                }
            }
        }
    }
}

struct ConnectivityBanner: View {
    let text: String
    var body: some View {
        Text(text)
            .font(.footnote)
            .frame(maxWidth: .infinity)
            .padding(8)
            .background(Color.orange.opacity(0.25))
    }
}

/// Renders whatever state the core's flow is in.
struct PaymentScreen: View {
    @ObservedObject var model: PaymentModel
    let startOver: @MainActor () -> Void

    var body: some View {
        VStack(spacing: 16) {
            screen
            if let error = model.error {
                Text(error).font(.footnote).foregroundStyle(.red)
            }
        }
        .padding()
    }

    @ViewBuilder private var screen: some View {
        switch model.state {
        case .scanning:
            ScanScreen(model: model)
        case .reviewMerchant(let review):
            ReviewScreen(review: review, proceed: model.proceed, cancel: model.cancel)
        case .enterAmount(let review, _, _, let breakdown, let problem):
            AmountScreen(review: review, breakdown: breakdown, problem: problem, fixed: false, model: model)
        case .confirmAmount(let review, _, let breakdown, let problem):
            AmountScreen(review: review, breakdown: breakdown, problem: problem, fixed: true, model: model)
        case .confirmPinFree(let review, let breakdown, let limits):
            ShortcutScreen(review: review, breakdown: breakdown, problem: nil, model: model) {
                Button("Pay \(formatMoney(money: breakdown.total))") { model.confirm(displayed: breakdown.total) }
                    .buttonStyle(.borderedProminent)
                Text("No PIN needed up to \(formatMoney(money: Money(minorUnits: limits.perPayment, currency: limits.currency, exponent: breakdown.total.exponent))): a small payment to a merchant you have paid before.").font(.footnote)
            }
        case .confirmBiometric(let review, let breakdown, let offline, let problem, _):
            ShortcutScreen(review: review, breakdown: breakdown, problem: problem, model: model) {
                if offline { Text("Offline: the payment will be queued.").font(.footnote) }
                Button("Confirm with Face ID or Touch ID", action: model.confirmBiometric)
                    .buttonStyle(.borderedProminent)
            }
        case .enterPin(let review, let breakdown, let digits, let offline, let lastError, let fallback):
            VStack(spacing: 16) {
                Text("Pay \(formatMoney(money: breakdown.total)) to \(Presentation.payee(review))")
                    .multilineTextAlignment(.center)
                if let why = Presentation.fallback(fallback) {
                    Text(why).font(.footnote).foregroundStyle(.orange)
                }
                if offline { Text("Offline: the payment will be queued.").font(.footnote) }
                PinDots(count: digits)
                if let problem = Presentation.pinProblem(lastError) {
                    Text(problem).foregroundStyle(.red)
                }
                PinKeys(onDigit: model.digit, onBackspace: model.backspace)
                Button("Cancel", role: .cancel, action: model.cancel)
            }
        case .processing(_, let breakdown, let stage):
            ProgressView("\(formatMoney(money: breakdown.total)) · \(Presentation.stage(stage))")
        case .done, .pending, .failed, .needsAttention:
            ResultScreen(state: model.state, model: model, startOver: startOver)
        }
    }
}

struct ScanScreen: View {
    @ObservedObject var model: PaymentModel
    @StateObject private var camera = CameraHolder()
    @State private var photo: PhotosPickerItem?
    @State private var visible = false

    var body: some View {
        VStack(spacing: 16) {
            CameraPreview(session: camera.source.session)
                .aspectRatio(3 / 4, contentMode: .fit)
                .overlay { RoundedRectangle(cornerRadius: 12).stroke(.white, lineWidth: 2).padding(48) }
            HStack {
                PhotosPicker(selection: $photo, matching: .images) {
                    Label("Import photo", systemImage: "photo")
                }
                PasteButton(payloadType: String.self) { texts in
                    if let text = texts.first { model.scannedText(text) }
                }
            }
        }
        .onAppear {
            visible = true
            scan(skipping: nil)
        }
        .onDisappear {
            visible = false
            camera.source.stop()
        }
        .onChange(of: photo) { item in
            guard let item else { return }
            Task { @MainActor in
                do {
                    guard let data = try await item.loadTransferable(type: Data.self) else { return }
                    let code = try await Task.detached { try PhotoImport.scan(data) }.value
                    model.scanned(code)
                } catch {
                    model.error = userMessage(for: error)
                }
                photo = nil
            }
        }
    }

    /// Runs the camera until it finds a code other than `skipping`. The camera
    /// pauses on each code; a code the core refuses leaves this screen up, so
    /// scanning resumes, skipping that code (still in view) rather than
    /// re-sending it every frame.
    private func scan(skipping: Data?) {
        camera.source.start(skipping: skipping) { code in
            model.scanned(code) {
                if visible { scan(skipping: code.bytes) }
            }
        }
    }
}

@MainActor
final class CameraHolder: ObservableObject {
    let source = CameraFrameSource()
}

struct CameraPreview: UIViewRepresentable {
    let session: AVCaptureSession

    final class PreviewView: UIView {
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
    }

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        view.backgroundColor = .black
        if let layer = view.layer as? AVCaptureVideoPreviewLayer {
            layer.session = session
            layer.videoGravity = .resizeAspectFill
        }
        return view
    }

    func updateUIView(_ uiView: PreviewView, context: Context) {}
}

/// The one-tap (PIN-free) and biometric screens (`FlowState.confirmPinFree`,
/// `.confirmBiometric`): who is paid and how much on one screen, the
/// shortcut's button, "Use PIN" and Cancel.
struct ShortcutScreen<Actions: View>: View {
    let review: MerchantReview
    let breakdown: AmountBreakdown
    let problem: String?
    @ObservedObject var model: PaymentModel
    @ViewBuilder let actions: () -> Actions

    var body: some View {
        VStack(spacing: 16) {
            Text(Presentation.payee(review)).font(.title)
            Text(Presentation.verdict(review)).foregroundStyle(.green)
            Text(formatMoney(money: breakdown.total)).font(.largeTitle)
            if let problem { Text(problem).foregroundStyle(.red) }
            actions()
            Button("Use PIN", action: model.usePin)
            Button("Cancel", role: .cancel, action: model.cancel)
        }
        .disabled(model.working)
    }
}

struct ReviewScreen: View {
    let review: MerchantReview
    let proceed: @MainActor () -> Void
    let cancel: @MainActor () -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(Presentation.payee(review)).font(.title)
            Text(Presentation.verdict(review)).foregroundStyle(review.payable ? .green : .red)
            if let amount = review.amount {
                Text(formatMoney(money: amount)).font(.title2)
            }
            ForEach(Presentation.warnings(review), id: \.self) { warning in
                Label(warning, systemImage: "exclamationmark.triangle")
            }
            HStack {
                Button("Cancel", role: .cancel, action: cancel)
                Spacer()
                if review.payable {
                    Button("Pay this merchant", action: proceed).buttonStyle(.borderedProminent)
                }
            }
        }
    }
}

struct AmountScreen: View {
    let review: MerchantReview
    let breakdown: AmountBreakdown?
    let problem: String?
    let fixed: Bool
    @ObservedObject var model: PaymentModel
    @State private var amount = ""
    @State private var tip = ""

    var body: some View {
        VStack(spacing: 12) {
            Text(Presentation.payee(review)).font(.headline)
            if !fixed {
                TextField("Amount (\(review.currency))", text: $amount)
                    .keyboardType(.decimalPad)
                    .onChange(of: amount) { model.editAmount($0) }
            }
            if review.tipRule == .prompt {
                TextField("Tip", text: $tip)
                    .keyboardType(.decimalPad)
                    .onChange(of: tip) { model.editTip($0) }
            }
            if let problem { Text(problem).foregroundStyle(.red) }
            if let breakdown {
                Text("Total \(formatMoney(money: breakdown.total))").font(.title2)
                Button("Confirm") { model.confirm(displayed: breakdown.total) }
                    .buttonStyle(.borderedProminent)
            }
            Button("Cancel", role: .cancel, action: model.cancel)
        }
    }
}

struct ResultScreen: View {
    let state: FlowState
    @ObservedObject var model: PaymentModel
    let startOver: @MainActor () -> Void

    var body: some View {
        let text = Presentation.result(state)
        VStack(spacing: 16) {
            Text(text.title).font(.title)
            Text(text.detail).multilineTextAlignment(.center).textSelection(.enabled)
            if case .failed(_, _, let retry) = state, retry != .none {
                Button("Try again", action: model.retry)
            }
            if case .pending = state {
                Button("Check again", action: model.checkAgain).disabled(model.working)
            }
            Button("Done") {
                model.cancel()
                startOver()
            }
            .buttonStyle(.borderedProminent)
        }
    }
}

struct PinDots: View {
    let count: UInt32
    var body: some View {
        HStack(spacing: 12) {
            ForEach(0..<6, id: \.self) { index in
                Image(systemName: index < Int(count) ? "circle.fill" : "circle")
            }
        }
        .accessibilityLabel("\(count) of 6 digits entered")
    }
}

/// The keypad: each key sends its digit value; the PIN is never a String.
struct PinKeys: View {
    let onDigit: @MainActor (UInt8) -> Void
    let onBackspace: @MainActor () -> Void
    private let rows: [[UInt8]] = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]

    var body: some View {
        VStack(spacing: 12) {
            ForEach(rows, id: \.self) { row in
                HStack(spacing: 12) {
                    ForEach(row, id: \.self) { digit in key(digit) }
                }
            }
            HStack(spacing: 12) {
                Color.clear.frame(width: 72, height: 56)
                key(0)
                Button(action: onBackspace) {
                    Image(systemName: "delete.left").frame(width: 72, height: 56)
                }
                .accessibilityLabel("Delete")
            }
        }
    }

    private func key(_ digit: UInt8) -> some View {
        Button { onDigit(digit) } label: {
            Text(String(digit)).font(.title).frame(width: 72, height: 56)
        }
        .buttonStyle(.bordered)
    }
}
