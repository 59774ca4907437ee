import Foundation
import ScanPay
import SwiftUI

@main
struct ScanPaySampleApp: App {
    @StateObject private var app = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    init() {
        // The payer's words come from the core's catalogue in the language set
        // here (process-wide; English until called), before any text is drawn.
        applyPreferredLanguages()
    }

    var body: some Scene {
        WindowGroup {
            RootView(app: app)
                .task { await app.open() }
                // A language change in Settings (system, or this app's own
                // language) posts this; the next texts the core renders are in
                // the new language, and the status banner is rendered again.
                .onReceive(NotificationCenter.default.publisher(for: NSLocale.currentLocaleDidChangeNotification)) { _ in
                    applyPreferredLanguages()
                    app.relocalize()
                }
                // The app switcher snapshot is taken after the scene goes
                // inactive: cover the PIN pad and amounts before that.
                .overlay {
                    if scenePhase != .active {
                        PrivacyCover()
                    }
                }
        }
    }
}

struct PrivacyCover: View {
    var body: some View {
        ZStack {
            Rectangle().fill(.background)
            // The brand, the same in every language: not a catalogue text.
            Label("ScanPay", systemImage: "qrcode.viewfinder").font(.largeTitle)
        }
        .ignoresSafeArea()
    }
}

/// Gives the core the user's ordered languages (`Locale.preferredLanguages`:
/// "zh-Hans-SG", "en-SG"…, this app's own language first when set in Settings).
func applyPreferredLanguages() {
    _ = setLocales(tags: Locale.preferredLanguages)
}
