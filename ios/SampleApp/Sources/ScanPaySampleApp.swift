import SwiftUI

@main
struct ScanPaySampleApp: App {
    @StateObject private var app = AppModel()
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            RootView(app: app)
                .task { await app.open() }
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
            Label("ScanPay", systemImage: "qrcode.viewfinder").font(.largeTitle)
        }
        .ignoresSafeArea()
    }
}
