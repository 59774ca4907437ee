package app.scanpay.sample

import android.os.Bundle
import android.view.WindowManager
import androidx.activity.ComponentActivity
import androidx.activity.compose.setContent
import androidx.activity.enableEdgeToEdge
import androidx.activity.viewModels
import app.scanpay.sample.ui.ScanPayApp

class MainActivity : ComponentActivity() {
    private val model: AppViewModel by viewModels()

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        // Edge to edge on every API level, as Android 15 forces it at targetSdk
        // 35: ScanPayApp pads its content by the safe-drawing insets.
        enableEdgeToEdge()
        // Recreated on a language change (system or per-app): the activity's
        // configuration carries the per-app language on Android 13+.
        applyLocales(resources.configuration.locales)
        // FLAG_SECURE for the whole window: the PIN pad, amounts and merchant
        // never appear in screenshots, screen recordings, casts or the recents
        // thumbnail. (Per-screen toggling would leave the recents thumbnail of
        // an earlier frame, and the PIN pad is one tap away from every screen.)
        window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
        setContent { ScanPayApp(model) }
    }
}
