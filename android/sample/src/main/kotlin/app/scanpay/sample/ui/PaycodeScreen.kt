package app.scanpay.sample.ui

import android.app.Activity
import android.os.Build
import android.view.WindowManager
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size
import androidx.compose.ui.graphics.Color
import androidx.compose.runtime.key
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.scanpay.android.ScanPayWallet
import app.scanpay.ffi.QrMatrix
import app.scanpay.ffi.UiLabel
import app.scanpay.ffi.labelText
import app.scanpay.ffi.paycodeBarsQuietModules
import app.scanpay.ffi.paycodeQrQuietModules
import app.scanpay.sample.model.PaycodeScreen
import app.scanpay.sample.model.PaycodeViewModel

/**
 * The pay code: the QR (EMVCo CPM) and the Code 128 bars drawn from the
 * core's modules with Canvas (no barcode library), the 18 digits, the
 * countdown to the next code; a charge above the no-PIN amount asks for the
 * PIN here. The window is FLAG_SECURE (MainActivity, re-asserted while this
 * screen is up), so the code never reaches a screenshot, a recording, a cast
 * or the recents thumbnail; on Android 14+ a screenshot attempt is also told
 * to the core, which then hands out nothing to draw.
 */
@Composable
fun PaycodeScreen(wallet: ScanPayWallet) {
    val scope = rememberCoroutineScope()
    val vm = remember(wallet) { PaycodeViewModel(wallet, scope) }
    val activity = LocalContext.current as? Activity
    DisposableEffect(vm) {
        val window = activity?.window
        window?.addFlags(WindowManager.LayoutParams.FLAG_SECURE)
        // Android 14+: told when the user takes a screenshot (FLAG_SECURE
        // already blanks it): hide the code until the screen is left.
        val callback = if (Build.VERSION.SDK_INT >= 34 && activity != null) {
            Activity.ScreenCaptureCallback { vm.setScreenCaptured(true) }.also {
                activity.registerScreenCaptureCallback(ContextCompat.getMainExecutor(activity), it)
            }
        } else {
            null
        }
        onDispose {
            if (Build.VERSION.SDK_INT >= 34 && activity != null && callback != null) {
                activity.unregisterScreenCaptureCallback(callback)
            }
            vm.close()
        }
    }
    val screen by vm.screen.collectAsStateWithLifecycle()
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp), horizontalAlignment = Alignment.CenterHorizontally) {
        when (val s = screen) {
            // Said once when it appears (a lockout's wait is not counted down aloud).
            is PaycodeScreen.Blocked -> Text(s.reason, Modifier.semantics { liveRegion = LiveRegionMode.Polite })
            is PaycodeScreen.EnterPin -> {
                Text(labelText(UiLabel.PAYCODE_ENTER_PIN).text, style = MaterialTheme.typography.titleMedium)
                s.notice?.let { Text(it, Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
                s.error?.let { Text(it, color = Color(0xFFB00020), modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
                PinPad(s.digits, 6, onDigit = vm::pinDigit, onBackspace = vm::backspace)
            }
            PaycodeScreen.Opening -> CircularProgressIndicator()
            PaycodeScreen.Hidden -> Text(labelText(UiLabel.PAYCODE_HIDDEN).text)
            is PaycodeScreen.Showing -> {
                Text(labelText(UiLabel.SHOW_PAYCODE_TO_CASHIER).text, style = MaterialTheme.typography.titleMedium)
                // WCAG 2.2.1: the refresh is a time limit under the Essential
                // exception (a code kept longer would weaken the one-time code;
                // docs/android.md). Each new code is said politely, focus stays,
                // and the seconds are never read out. key(): a new live-region
                // node per code, so each refresh is announced.
                key(s.code.digits) {
                    Text(labelText(UiLabel.PAYCODE_REFRESHED).text, Modifier.semantics { liveRegion = LiveRegionMode.Polite }, style = MaterialTheme.typography.bodySmall)
                }
                QrCanvas(s.code.qr, Modifier.fillMaxWidth(0.8f).aspectRatio(1f))
                BarsCanvas(s.code.bars, Modifier.fillMaxWidth().height(96.dp).padding(top = 16.dp))
                Text(groupDigits(s.code.digits), fontFamily = FontFamily.Monospace, fontSize = 20.sp)
                // Shown, never announced each second (PAYCODE_REFRESHED above is said per code).
                Text(s.refresh)
            }
            is PaycodeScreen.Confirm -> {
                // The catalogue's one sentence: who asks, how much, and that the PIN pays.
                Text(s.request, style = MaterialTheme.typography.titleMedium)
                s.unlisted?.let { Text(it, color = Color(0xFFEF6C00)) }
                s.error?.let { Text(it, color = Color(0xFFB00020)) }
                PinPad(s.digits, 6, onDigit = vm::pinDigit, onBackspace = vm::backspace)
                OutlinedButton(onClick = vm::decline) { Text(labelText(UiLabel.DECLINE).text) }
            }
            is PaycodeScreen.Charged -> {
                Text(s.title, style = MaterialTheme.typography.headlineSmall, color = if (s.paid) Color(0xFF2E7D32) else Color.Unspecified)
                Text(s.detail)
                s.unlisted?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
                // Back to the code: this charge is done.
                Button(onClick = vm::dismiss) { Text(labelText(UiLabel.DONE).text) }
            }
        }
    }
}

/** "39 1234 5678 9012 3456": the prefix, then groups of four. */
fun groupDigits(d: String): String =
    if (d.length <= 2) d else d.take(2) + " " + d.drop(2).chunked(4).joinToString(" ")

/** The QR modules as dark squares, with the quiet zone the core asks for. */
@Composable
private fun QrCanvas(qr: QrMatrix, modifier: Modifier) {
    Canvas(modifier.background(Color.White)) {
        val n = qr.size.toInt()
        if (n == 0) return@Canvas
        val quiet = paycodeQrQuietModules().toInt()
        val module = size.minDimension / (n + 2 * quiet)
        for (y in 0 until n) for (x in 0 until n) {
            if (qr.modules[y * n + x]) {
                drawRect(Color.Black, Offset((x + quiet) * module, (y + quiet) * module), Size(module, module))
            }
        }
    }
}

/** Code 128: the widths alternate bar, space, bar…, in modules; quiet zones each side. */
@Composable
private fun BarsCanvas(bars: ByteArray, modifier: Modifier) {
    Canvas(modifier.background(Color.White)) {
        if (bars.isEmpty()) return@Canvas
        val quiet = paycodeBarsQuietModules().toInt()
        val total = bars.sumOf { it.toInt() } + 2 * quiet
        val module = size.width / total
        var x = quiet * module
        bars.forEachIndexed { i, w ->
            val width = w.toInt() * module
            if (i % 2 == 0) drawRect(Color.Black, Offset(x, 0f), Size(width, size.height))
            x += width
        }
    }
}
