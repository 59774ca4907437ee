package app.scanpay.sample.ui

import android.Manifest
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.background
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.Spacer
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.height
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.layout.safeDrawingPadding
import androidx.compose.foundation.layout.size
import androidx.compose.foundation.layout.sizeIn
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.foundation.shape.CircleShape
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Surface
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.draw.clip
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.semantics.LiveRegionMode
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.liveRegion
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.TextStyle
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import app.scanpay.ffi.UiLabel
import app.scanpay.ffi.labelText
import app.scanpay.ffi.pinEntryText
import app.scanpay.sample.AppViewModel
import app.scanpay.sample.model.AmountUi
import app.scanpay.sample.model.Banner
import app.scanpay.sample.model.ConnectivityViewModel
import app.scanpay.sample.model.MerchantUi
import app.scanpay.sample.model.Outcome
import app.scanpay.sample.model.PaymentViewModel
import app.scanpay.sample.model.ShortcutsViewModel
import app.scanpay.sample.model.Screen
import app.scanpay.sample.model.SetupState
import app.scanpay.sample.model.SetupViewModel
import kotlinx.coroutines.delay

/** The whole app: the banner on top, then setup or the payment screens. */
@Composable
fun ScanPayApp(model: AppViewModel) {
    val models by model.models.collectAsStateWithLifecycle()
    val openError by model.openError.collectAsStateWithLifecycle()
    MaterialTheme {
        // Edge to edge (MainActivity.enableEdgeToEdge; forced by targetSdk 35 on
        // Android 15): the surface draws under the system bars, the content
        // keeps clear of the status bar, the navigation bar, cutouts and the
        // keyboard (the amount field's IME would cover the Pay button).
        Surface(Modifier.fillMaxSize()) {
            Box(Modifier.fillMaxSize().safeDrawingPadding()) {
                val m = models
                when {
                    // The catalogue's sentence, then the error's own (the core's) text.
                    openError != null -> Centered { Text(labelText(UiLabel.WALLET_OPEN_FAILED).text + " " + openError) }
                    m == null -> Centered {
                        Column(horizontalAlignment = Alignment.CenterHorizontally) {
                            CircularProgressIndicator()
                            Text(labelText(UiLabel.OPENING_WALLET).text)
                        }
                    }
                    else -> Column(Modifier.fillMaxSize()) {
                        ConnectivityBanner(m.connectivity)
                        model.problem?.let { Text(it, Modifier.padding(8.dp), color = Color(0xFFB00020)) }
                        val setup by m.setup.state.collectAsStateWithLifecycle()
                        if (setup == SetupState.Ready) {
                            // Two ways to pay: scan the shop's code, or show
                            // the pay code to the shop's till.
                            var tab by remember { mutableStateOf(0) }
                            Row(Modifier.fillMaxWidth().padding(8.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                                OutlinedButton(onClick = { tab = 0 }, enabled = tab != 0) { Text(labelText(UiLabel.TAB_SCAN).text) }
                                OutlinedButton(onClick = { tab = 1 }, enabled = tab != 1) { Text(labelText(UiLabel.TAB_PAYCODE).text) }
                                OutlinedButton(onClick = { tab = 2; m.shortcuts.refresh() }, enabled = tab != 2) { Text(labelText(UiLabel.TAB_SHORTCUTS).text) }
                            }
                            when (tab) {
                                1 -> PaycodeScreen(m.wallet)
                                2 -> ShortcutsScreen(m.shortcuts)
                                else -> PaymentScreens(m.payment)
                            }
                        } else {
                            SetupScreen(m.setup, setup)
                        }
                    }
                }
            }
        }
    }
}

@Composable
private fun Centered(content: @Composable () -> Unit) =
    Box(Modifier.fillMaxSize().padding(24.dp), contentAlignment = Alignment.Center) { content() }

@Composable
fun ConnectivityBanner(vm: ConnectivityViewModel) {
    val banner by vm.banner.collectAsStateWithLifecycle()
    val b = banner ?: return
    val colour = when (b.level) {
        Banner.Level.INFO -> Color(0xFF1565C0)
        Banner.Level.WARNING -> Color(0xFFEF6C00)
        Banner.Level.OFFLINE -> Color(0xFF424242)
    }
    // Polite: a change of connectivity is read out after what TalkBack is saying.
    Text(b.text, Modifier.fillMaxWidth().background(colour).padding(12.dp).semantics { liveRegion = LiveRegionMode.Polite }, color = Color.White)
}

@Composable
private fun SetupScreen(vm: SetupViewModel, state: SetupState) {
    Column(Modifier.fillMaxSize().padding(24.dp), horizontalAlignment = Alignment.CenterHorizontally) {
        when (state) {
            SetupState.Checking, SetupState.Ready -> CircularProgressIndicator()
            is SetupState.ChoosePin -> {
                Text(labelText(UiLabel.CHOOSE_PIN).text, style = MaterialTheme.typography.titleLarge)
                state.error?.let { Text(it, color = Color(0xFFB00020)) }
                PinPad(state.digits, 6, onDigit = vm::pinDigit, onBackspace = vm::backspace)
            }
            is SetupState.Working -> { CircularProgressIndicator(); Text(state.step) }
            is SetupState.Failed -> {
                Text(state.message)
                Button(onClick = { vm.register() }) { Text(labelText(UiLabel.TRY_AGAIN).text) }
            }
        }
    }
}

@Composable
private fun PaymentScreens(vm: PaymentViewModel) {
    val ui by vm.ui.collectAsStateWithLifecycle()
    Column(Modifier.fillMaxSize()) {
        ui.message?.let {
            Row(Modifier.fillMaxWidth().background(Color(0xFFFFF3E0)).padding(8.dp), verticalAlignment = Alignment.CenterVertically) {
                Text(it, Modifier.weight(1f))
                // No "OK" in the catalogue: "Done" closes the message.
                TextButton(onClick = vm::dismissMessage) { Text(labelText(UiLabel.DONE).text) }
            }
        }
        when (val s = ui.screen) {
            Screen.Scanning -> ScanningScreen(vm)
            is Screen.Review -> ReviewScreen(vm, s.merchant, ui.busy)
            is Screen.Amount -> AmountScreen(vm, s, ui.busy)
            is Screen.OneTap -> ShortcutScreen(vm, s.merchant, s.total, s.prompt, null, ui.busy) {
                // The sentence above it (the core's) says how much, to whom, without the PIN.
                Button(onClick = vm::confirm, enabled = !ui.busy, modifier = Modifier.fillMaxWidth()) { Text(labelText(UiLabel.PAY).text) }
            }
            is Screen.Biometric -> ShortcutScreen(vm, s.merchant, s.total, s.prompt, s.problem, ui.busy) {
                // The system prompt runs while the intent is applied (IO); busy keeps taps out.
                Button(onClick = vm::confirmBiometric, enabled = !ui.busy, modifier = Modifier.fillMaxWidth()) { Text(labelText(UiLabel.CONFIRM).text) }
            }
            is Screen.Pin -> Column(
                Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp),
                horizontalAlignment = Alignment.CenterHorizontally,
            ) {
                AmountText(s.total, MaterialTheme.typography.headlineSmall)
                // The core's sentence: amount, payee, and whether it is sent later (offline).
                Text(s.prompt)
                s.fallback?.let { Text(it, color = Color(0xFFEF6C00)) }
                s.error?.let { Text(it, color = Color(0xFFB00020), modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
                // WCAG 2.2.1: a lockout is a wait, not a limit on the payer:
                // said once when it starts (the error above, never per
                // second) and once when it ends (this notice).
                var unlocked by remember(s.error, s.waitSecs) { mutableStateOf<String?>(null) }
                LaunchedEffect(s.error, s.waitSecs) {
                    if (s.waitSecs > 0) {
                        delay(s.waitSecs.coerceAtMost(86_400L) * 1000)
                        unlocked = labelText(UiLabel.PIN_TRY_AGAIN_NOW).text
                    }
                }
                unlocked?.let { Text(it, Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
                PinPad(s.digits, s.length, onDigit = vm::pinDigit, onBackspace = vm::backspace, enabled = !ui.busy)
                TextButton(onClick = vm::cancel) { Text(labelText(UiLabel.CANCEL).text) }
            }
            is Screen.Processing -> Centered {
                Column(horizontalAlignment = Alignment.CenterHorizontally) {
                    CircularProgressIndicator()
                    AmountText(s.total, MaterialTheme.typography.headlineSmall)
                    Text(s.stage, Modifier.semantics { liveRegion = LiveRegionMode.Polite })
                }
            }
            is Screen.Result -> ResultScreen(vm, s)
        }
    }
}

@Composable
private fun ScanningScreen(vm: PaymentViewModel) {
    val context = LocalContext.current
    var granted by remember {
        mutableStateOf(ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    val ask = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { granted = it }
    LaunchedEffect(Unit) { if (!granted) ask.launch(Manifest.permission.CAMERA) }
    Column(Modifier.fillMaxSize()) {
        Text(labelText(UiLabel.SCANNING).text, Modifier.padding(8.dp))
        if (granted) {
            CameraScanner(onCode = vm::onScanned, modifier = Modifier.weight(1f).fillMaxWidth())
        } else {
            Box(Modifier.weight(1f).fillMaxWidth(), contentAlignment = Alignment.Center) { Text(labelText(UiLabel.CAMERA_NEEDED).text) }
        }
        // For emulators without a camera: paste a code's text.
        var pasted by remember { mutableStateOf("") }
        Row(Modifier.padding(8.dp), verticalAlignment = Alignment.CenterVertically) {
            OutlinedTextField(pasted, { pasted = it }, Modifier.weight(1f), label = { Text(labelText(UiLabel.FIELD_PASTE_CODE).text) }, singleLine = true)
            TextButton(onClick = { vm.onScannedText(pasted.trim()) }, enabled = pasted.isNotBlank()) { Text(labelText(UiLabel.USE_CODE).text) }
        }
    }
}

@Composable
private fun MerchantCard(m: MerchantUi) {
    Column(Modifier.fillMaxWidth().padding(vertical = 8.dp)) {
        // The registered name, else the printed claim in quotes (never shown as
        // the payee: the verdict under it is the core's sentence saying why).
        Text(m.name ?: m.claim?.let { "“$it”" } ?: labelText(UiLabel.NO_NAME).text, fontSize = 24.sp, fontWeight = FontWeight.Bold)
        m.city?.let { Text(it) }
        Text(m.verdict, color = if (m.verified) Color(0xFF2E7D32) else Color(0xFFB00020))
        m.warnings.forEach { Text("⚠ $it", color = Color(0xFFEF6C00)) }
    }
}

@Composable
private fun ReviewScreen(vm: PaymentViewModel, m: MerchantUi, busy: Boolean) {
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp)) {
        Text(labelText(UiLabel.YOU_ARE_PAYING).text, style = MaterialTheme.typography.labelLarge)
        MerchantCard(m)
        m.fixedAmount?.let { AmountText(it, MaterialTheme.typography.headlineSmall) }
        Spacer(Modifier.height(24.dp))
        Button(onClick = vm::proceed, enabled = m.payable && !busy, modifier = Modifier.fillMaxWidth()) { Text(labelText(UiLabel.PAY_THIS_MERCHANT).text) }
        OutlinedButton(onClick = vm::cancel, enabled = !busy, modifier = Modifier.fillMaxWidth()) { Text(labelText(UiLabel.CANCEL).text) }
    }
}

@Composable
private fun AmountScreen(vm: PaymentViewModel, s: Screen.Amount, busy: Boolean) {
    // The core's text is the truth; a local copy keeps typing smooth while intents apply.
    var amount by remember { mutableStateOf(s.entered) }
    var tip by remember { mutableStateOf(s.tipEntered) }
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp)) {
        MerchantCard(s.merchant)
        OutlinedTextField(
            amount, { amount = it; vm.editAmount(it) }, Modifier.fillMaxWidth(),
            label = { Text(labelText(UiLabel.FIELD_AMOUNT).text) }, enabled = !s.fixed, singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
        )
        OutlinedTextField(
            tip, { tip = it; vm.editTip(it) }, Modifier.fillMaxWidth(),
            label = { Text(labelText(UiLabel.FIELD_TIP).text) }, singleLine = true,
            keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Decimal),
        )
        s.problem?.let { Text(it, color = Color(0xFFB00020), modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
        s.total?.let { AmountText(it, MaterialTheme.typography.headlineSmall) }
        Spacer(Modifier.height(24.dp))
        Button(onClick = vm::confirm, enabled = s.canConfirm && !busy, modifier = Modifier.fillMaxWidth()) { Text(labelText(UiLabel.PAY).text) }
        OutlinedButton(onClick = vm::cancel, enabled = !busy, modifier = Modifier.fillMaxWidth()) { Text(labelText(UiLabel.CANCEL).text) }
    }
}

/** The shortcut settings: biometric confirmation and PIN-free payments, opted in with the PIN. */
@Composable
private fun ShortcutsScreen(vm: ShortcutsViewModel) {
    val ui by vm.ui.collectAsStateWithLifecycle()
    val s = ui.status
    Column(Modifier.fillMaxSize().padding(24.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
        ui.message?.let { Text(it, color = Color(0xFFB00020)) }
        ui.lapses.forEach { Text(it, color = Color(0xFFEF6C00)) }
        if (ui.askingPin != null) {
            Text(labelText(UiLabel.SETTINGS_PIN_NEEDED).text)
            PinPad(ui.digits, PaymentViewModel.PIN_LENGTH, onDigit = vm::pinDigit, onBackspace = vm::backspace, enabled = !ui.busy)
            TextButton(onClick = vm::cancelPin) { Text(labelText(UiLabel.CANCEL).text) }
        } else if (s != null) {
            Text(labelText(UiLabel.BIOMETRIC_SETTING).text, fontWeight = FontWeight.Bold)
            ui.biometricNote?.let { Text(it) }
            if (s.biometric) {
                OutlinedButton(onClick = vm::disableBiometric, enabled = !ui.busy) { Text(labelText(UiLabel.TURN_OFF).text) }
            } else {
                Button(onClick = vm::enableBiometric, enabled = !ui.busy && ui.biometricNote == null) { Text(labelText(UiLabel.TURN_ON).text) }
            }
            Text(labelText(UiLabel.PIN_FREE_SETTING).text, fontWeight = FontWeight.Bold)
            ui.pinFreeOffer?.let { Text(it) }
            if (s.pinFree.isNotEmpty()) {
                OutlinedButton(onClick = vm::disablePinFree, enabled = !ui.busy) { Text(labelText(UiLabel.TURN_OFF).text) }
            } else {
                Button(onClick = vm::enablePinFree, enabled = !ui.busy && ui.pinFreeOffer != null) { Text(labelText(UiLabel.TURN_ON).text) }
            }
            if (s.pushPending) Text(labelText(UiLabel.SETTINGS_PUSH_PENDING).text, style = MaterialTheme.typography.bodySmall)
        }
    }
}

/**
 * The one-tap (PIN-free) and biometric confirmation screens: who is paid and
 * how much on one screen, the shortcut's button ([actions]), "Use PIN" and
 * Cancel. Rendered from FlowState.ConfirmPinFree / ConfirmBiometric.
 */
@Composable
private fun ShortcutScreen(vm: PaymentViewModel, m: MerchantUi, total: AmountUi, prompt: String, problem: String?, busy: Boolean, actions: @Composable () -> Unit) {
    Column(Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp)) {
        Text(labelText(UiLabel.YOU_ARE_PAYING).text, style = MaterialTheme.typography.labelLarge)
        MerchantCard(m)
        AmountText(total, TextStyle(fontSize = 32.sp, fontWeight = FontWeight.Bold))
        Text(prompt)
        problem?.let { Text(it, color = Color(0xFFB00020), modifier = Modifier.semantics { liveRegion = LiveRegionMode.Polite }) }
        Spacer(Modifier.height(24.dp))
        actions()
        OutlinedButton(onClick = vm::usePin, enabled = !busy, modifier = Modifier.fillMaxWidth()) { Text(labelText(UiLabel.USE_PIN).text) }
        TextButton(onClick = vm::cancel, enabled = !busy, modifier = Modifier.fillMaxWidth()) { Text(labelText(UiLabel.CANCEL).text) }
    }
}

@Composable
private fun ResultScreen(vm: PaymentViewModel, s: Screen.Result) {
    val colour = when (s.outcome) {
        Outcome.PAID -> Color(0xFF2E7D32)
        Outcome.PENDING -> Color(0xFF1565C0)
        Outcome.FAILED -> Color(0xFFB00020)
        Outcome.NEEDS_ATTENTION -> Color(0xFFEF6C00)
    }
    Column(
        Modifier.fillMaxSize().verticalScroll(rememberScrollState()).padding(24.dp),
        horizontalAlignment = Alignment.CenterHorizontally,
        verticalArrangement = Arrangement.Center,
    ) {
        // One node, announced assertively when it appears: the payer hears
        // the result ("Paid. Paid SGD 3.50 to Kopi Corner.") without moving focus.
        Column(
            Modifier.semantics(mergeDescendants = true) {
                liveRegion = LiveRegionMode.Assertive
                contentDescription = s.announcement
            },
            horizontalAlignment = Alignment.CenterHorizontally,
        ) {
            Text(s.title, fontSize = 28.sp, fontWeight = FontWeight.Bold, color = colour)
            Text(s.detail)
        }
        s.reference?.let { Text(it, style = MaterialTheme.typography.bodySmall) }
        Spacer(Modifier.height(24.dp))
        if (s.canRetry) Button(onClick = vm::retry) { Text(labelText(UiLabel.TRY_AGAIN).text) }
        OutlinedButton(onClick = vm::newPayment) { Text(labelText(UiLabel.DONE).text) }
    }
}

/**
 * The PIN pad: dots for the count, keys 1–9, 0 and backspace. Digits go
 * straight to Rust. TalkBack reads the dots as the core's count sentence ("2 of
 * 6 digits entered", never a digit), politely after each key; the digit keys
 * read their digit as the finger explores (unavoidable, and what the payer
 * expects), the delete key the catalogue's label. Keys have a minimum size, not
 * a fixed one, so a 200 % font does not clip them.
 */
@Composable
fun PinPad(digits: Int, length: Int, onDigit: (Int) -> Unit, onBackspace: () -> Unit, enabled: Boolean = true) {
    val entry = pinEntryText(digits.toUInt(), length.toUInt()).text
    Row(
        Modifier.padding(16.dp).semantics(mergeDescendants = true) {
            contentDescription = entry
            liveRegion = LiveRegionMode.Polite
        },
        horizontalArrangement = Arrangement.spacedBy(12.dp),
    ) {
        repeat(length) { i ->
            Box(Modifier.size(16.dp).clip(CircleShape).background(if (i < digits) Color.Black else Color.LightGray))
        }
    }
    val rows = listOf(listOf(1, 2, 3), listOf(4, 5, 6), listOf(7, 8, 9), listOf(-1, 0, -2))
    rows.forEach { row ->
        Row(horizontalArrangement = Arrangement.spacedBy(12.dp), modifier = Modifier.padding(4.dp)) {
            row.forEach { key ->
                when (key) {
                    -1 -> Spacer(Modifier.size(72.dp))
                    -2 -> {
                        val label = labelText(UiLabel.DELETE_KEY).text
                        TextButton(
                            onClick = onBackspace, enabled = enabled && digits > 0,
                            modifier = Modifier.sizeIn(minWidth = 72.dp, minHeight = 72.dp).semantics { contentDescription = label },
                        ) { Text("⌫", fontSize = 24.sp) }
                    }
                    else -> OutlinedButton(onClick = { onDigit(key) }, enabled = enabled, modifier = Modifier.sizeIn(minWidth = 72.dp, minHeight = 72.dp), shape = CircleShape) {
                        Text("$key", fontSize = 24.sp)
                    }
                }
            }
        }
    }
}

/**
 * An amount as CLDR writes it for the locale ("SGD 12.50", "Rp 12.500"), read by
 * TalkBack as the core's spoken form ("12.50 Singapore dollars"): Compose has no
 * money TtsAnnotation (only VerbatimTtsAnnotation), so the spoken form is the
 * content description. A View-based app passes the parts to TtsSpan.MoneyBuilder.
 */
@Composable
fun AmountText(a: AmountUi, style: TextStyle) {
    Text(a.text, Modifier.semantics { contentDescription = a.spoken }, style = style)
}
