import AVFoundation
import PhotosUI
import ScanPay
import SwiftUI
import UIKit

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
        // The flow's current sentence again, in the new language
        // (ScanPaySampleApp has already called setLocales).
        .onReceive(NotificationCenter.default.publisher(for: NSLocale.currentLocaleDidChangeNotification)) { _ in
            payment?.relocalize()
        }
        // The title is the brand, the same in every language; the message is the core's sentence.
        .alert("ScanPay", isPresented: Binding(get: { app.message != nil }, set: { if !$0 { app.message = nil } })) {
            Button(Presentation.label(.done)) { app.message = nil }
        } message: {
            Text(app.message ?? "")
        }
    }

    @ViewBuilder private var content: some View {
        switch app.phase {
        case .opening:
            ProgressView(Presentation.label(.openingWallet))
        case .failed(let message):
            VStack(spacing: 8) {
                Text(Presentation.label(.walletOpenFailed)).font(.headline)
                // The core's reason; only a missing sandbox file (a developer's
                // set-up problem, SampleConfig) is the sample's own English.
                Text(message)
            }
            .padding()
        case .needsPin:
            VStack(spacing: 24) {
                Text(Presentation.label(.choosePin)).font(.title2)
                PinDots(count: app.pinDigits)
                PinKeys(onDigit: app.setupDigit, onBackspace: app.setupBackspace)
            }
        case .registering:
            ProgressView(Presentation.label(.registering))
        case .registrationFailed(let message):
            VStack(spacing: 16) {
                Text(message).padding()
                Button(Presentation.label(.tryAgain)) { Task { await app.register() } }
            }
        case .ready:
            VStack(spacing: 0) {
                // Two ways to pay: scan the shop's code, or show the pay
                // code to the shop's till.
                Picker(Presentation.label(.pay), selection: $showPaycode) {
                    Text(Presentation.label(.tabScan)).tag(false)
                    Text(Presentation.label(.tabPaycode)).tag(true)
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
            .lineLimit(nil)
            .fixedSize(horizontal: false, vertical: true)
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
        // Every screen but the camera scrolls, so the largest Dynamic Type
        // sizes never clip a line or a button (the camera preview needs a
        // fixed frame, which a ScrollView would collapse).
        if case .scanning = model.state {
            content
        } else {
            ScrollView { content }
        }
    }

    private var content: some View {
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
            ReviewScreen(review: review, verdict: model.stateText, proceed: model.proceed, cancel: model.cancel)
        case .enterAmount(let review, _, _, let breakdown, let problem):
            AmountScreen(review: review, breakdown: breakdown, problem: problem?.text, fixed: false, model: model)
        case .confirmAmount(let review, _, let breakdown, let problem):
            AmountScreen(review: review, breakdown: breakdown, problem: problem?.text, fixed: true, model: model)
        case .confirmPinFree(let review, let breakdown, _):
            // The core's sentence says how much, to whom, and without the PIN; the button is "Pay".
            ShortcutScreen(review: review, breakdown: breakdown, problem: nil, model: model) {
                Button(Presentation.label(.pay)) { model.confirm(displayed: breakdown.total) }
                    .buttonStyle(.borderedProminent)
            }
        case .confirmBiometric(let review, let breakdown, _, let problem, _):
            ShortcutScreen(review: review, breakdown: breakdown, problem: problem?.text, model: model) {
                Button(Presentation.label(.confirm), action: model.confirmBiometric)
                    .buttonStyle(.borderedProminent)
            }
        case .enterPin(_, let breakdown, let digits, _, let lastError, let fallback):
            VStack(spacing: 16) {
                AmountLabel(money: breakdown.total).font(.title2)
                // The core's sentence: amount, payee, and whether it is sent later (offline).
                Text(model.stateText)
                    .multilineTextAlignment(.center)
                if let why = Presentation.fallback(fallback) {
                    Text(why).font(.footnote).foregroundStyle(.orange)
                }
                PinDots(count: digits)
                if let problem = Presentation.pinProblem(lastError) {
                    Text(problem).foregroundStyle(.red)
                        .onAppear { announce(problem) }
                }
                PinKeys(onDigit: model.digit, onBackspace: model.backspace)
                Button(Presentation.label(.cancel), role: .cancel, action: model.cancel)
            }
            // WCAG 2.2.1: a lockout is a wait, not a limit on the payer, so
            // nothing is extended; it is said once when it starts (the problem
            // above) and once when it ends, never per second.
            .task(id: lastError) {
                let wait: UInt64
                switch lastError {
                case .lockedOut(_, let secs)?: wait = secs
                case .wrongPin(_, let secs)? where secs > 0: wait = secs
                default: return
                }
                try? await Task.sleep(nanoseconds: min(wait, 86_400) * 1_000_000_000)
                if !Task.isCancelled { await announce(labelText(label: .pinTryAgainNow).text) }
            }
        case .processing(_, let breakdown, _):
            VStack(spacing: 8) {
                ProgressView()
                AmountLabel(money: breakdown.total).font(.title2)
                Text(model.stateText).multilineTextAlignment(.center)
            }
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
    /// Camera access refused (or restricted) for this app: the preview stays
    /// black, so the screen says so; photo import and paste still work.
    @State private var cameraRefused = false

    var body: some View {
        VStack(spacing: 16) {
            Text(labelText(label: .scanning).text).multilineTextAlignment(.center)
            if cameraRefused {
                Text(Presentation.label(.cameraNeeded)).foregroundStyle(.orange).multilineTextAlignment(.center)
            }
            CameraPreview(session: camera.source.session)
                .aspectRatio(3 / 4, contentMode: .fit)
                .overlay { RoundedRectangle(cornerRadius: 12).stroke(.white, lineWidth: 2).padding(48) }
            HStack {
                PhotosPicker(selection: $photo, matching: .images) {
                    Label(Presentation.label(.importPhoto), systemImage: "photo")
                }
                PasteButton(payloadType: String.self) { texts in
                    if let text = texts.first { model.scannedText(text) }
                }
            }
        }
        .onAppear {
            visible = true
            let access = AVCaptureDevice.authorizationStatus(for: .video)
            cameraRefused = access == .denied || access == .restricted
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
/// shortcut's button, "Use PIN" and "Cancel" (captions from `labelText`).
struct ShortcutScreen<Actions: View>: View {
    let review: MerchantReview
    let breakdown: AmountBreakdown
    let problem: String?
    @ObservedObject var model: PaymentModel
    @ViewBuilder let actions: () -> Actions

    var body: some View {
        VStack(spacing: 16) {
            Text(Presentation.payee(review)).font(.title)
            Text(model.verdict).foregroundStyle(.green)
            AmountLabel(money: breakdown.total).font(.largeTitle)
            Text(model.stateText).multilineTextAlignment(.center)
            if let problem { Text(problem).foregroundStyle(.red) }
            actions()
            Button(Presentation.label(.usePin), action: model.usePin)
            Button(Presentation.label(.cancel), role: .cancel, action: model.cancel)
        }
        .disabled(model.working)
    }
}

struct ReviewScreen: View {
    let review: MerchantReview
    /// The core's verdict sentence (the flow's state text at the review).
    let verdict: String
    let proceed: @MainActor () -> Void
    let cancel: @MainActor () -> Void

    var body: some View {
        VStack(alignment: .leading, spacing: 12) {
            Text(Presentation.payee(review)).font(.title)
            Text(verdict).foregroundStyle(review.payable ? .green : .red)
            if let amount = review.amount {
                AmountLabel(money: amount).font(.title2)
            }
            ForEach(Presentation.warnings(review), id: \.self) { warning in
                Label(warning, systemImage: "exclamationmark.triangle")
            }
            HStack {
                Button(Presentation.label(.cancel), role: .cancel, action: cancel)
                Spacer()
                if review.payable {
                    Button(Presentation.label(.payThisMerchant), action: proceed).buttonStyle(.borderedProminent)
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
            Text(model.stateText).multilineTextAlignment(.center)
            if !fixed {
                TextField(Presentation.amountField(currency: review.currency), text: $amount)
                    .keyboardType(.decimalPad)
                    .onChange(of: amount) { model.editAmount($0) }
            }
            if review.tipRule == .prompt {
                TextField(Presentation.label(.fieldTip), text: $tip)
                    .keyboardType(.decimalPad)
                    .onChange(of: tip) { model.editTip($0) }
            }
            if let problem { Text(problem).foregroundStyle(.red) }
            if let breakdown {
                AmountLabel(money: breakdown.total).font(.title2)
                Button(Presentation.label(.confirm)) { model.confirm(displayed: breakdown.total) }
                    .buttonStyle(.borderedProminent)
            }
            Button(Presentation.label(.cancel), role: .cancel, action: model.cancel)
        }
    }
}

struct ResultScreen: View {
    let state: FlowState
    @ObservedObject var model: PaymentModel
    let startOver: @MainActor () -> Void

    var body: some View {
        let title = Presentation.resultTitle(state)
        VStack(spacing: 16) {
            // One element, announced when it appears: the payer hears the
            // result without moving focus.
            VStack(spacing: 8) {
                Text(title).font(.title)
                Text(model.stateText).multilineTextAlignment(.center)
            }
            .accessibilityElement(children: .combine)
            .onAppear { announce("\(title). \(model.stateText)") }
            if let reference = Presentation.reference(state) {
                Text(reference).font(.footnote).textSelection(.enabled)
            }
            if case .failed(_, _, let retry) = state, retry != .none {
                Button(Presentation.label(.tryAgain), action: model.retry)
            }
            if case .pending = state {
                Button(Presentation.label(.checkAgain), action: model.checkAgain).disabled(model.working)
            }
            Button(Presentation.label(.done)) {
                model.cancel()
                startOver()
            }
            .buttonStyle(.borderedProminent)
        }
    }
}

/// The PIN dots. VoiceOver reads the core's count sentence ("2 of 6 digits
/// entered", "PIN complete"): counts only, never a digit.
struct PinDots: View {
    let count: UInt32
    var body: some View {
        HStack(spacing: 12) {
            ForEach(0..<6, id: \.self) { index in
                Image(systemName: index < Int(count) ? "circle.fill" : "circle")
            }
        }
        .accessibilityElement(children: .ignore)
        .accessibilityLabel(pinEntryText(entered: count, length: 6).text)
        .accessibilityAddTraits(.updatesFrequently)
    }
}

/// An amount as CLDR writes it for the language, read by VoiceOver as the
/// core's spoken form ("12.50 Singapore dollars"), not as "S G D 12 point 5 0".
struct AmountLabel: View {
    let money: Money
    var body: some View {
        let amount = Presentation.amount(money)
        Text(amount.text).accessibilityLabel(amount.spoken)
    }
}

/// Says [text] through VoiceOver without moving focus (a result, the end of a
/// lockout). UIAccessibility.post works from iOS 16, the sample's target.
@MainActor
func announce(_ text: String) {
    UIAccessibility.post(notification: .announcement, argument: text)
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
                Color.clear.frame(minWidth: 72, minHeight: 56)
                key(0)
                Button(action: onBackspace) {
                    Image(systemName: "delete.left").frame(minWidth: 72, minHeight: 56)
                }
                .accessibilityLabel(labelText(label: .deleteKey).text)
            }
        }
    }

    private func key(_ digit: UInt8) -> some View {
        Button { onDigit(digit) } label: {
            // A minimum, not a fixed size: the digit grows with Dynamic Type.
            Text(String(digit)).font(.title).frame(minWidth: 72, minHeight: 56)
        }
        .buttonStyle(.bordered)
    }
}
