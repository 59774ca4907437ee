// The plain-Kotlin parts of the Android project, tested on the JVM against the
// real core: the library's idiomatic layer (ScanPayWallet, PaymentSession,
// FrameScanner) and the sample's view-models (PaymentViewModel,
// ConnectivityViewModel, SetupViewModel). Compiled with kotlinc together with
// the generated plain-JVM bindings and run by scripts/test-android-jvm.sh.
// Closes with the line `N passed, M failed`.
package app.scanpay.android.test

import app.scanpay.android.FrameScanner
import app.scanpay.android.ObservableNetworkMonitor
import app.scanpay.android.ScanPayWallet
import app.scanpay.android.Viewfinder
import app.scanpay.android.sensorRegion
import app.scanpay.android.userMessage
import app.scanpay.ffi.BackendConfig
import app.scanpay.ffi.ChargeMerchant
import app.scanpay.sample.model.unlisted
import app.scanpay.ffi.ConnectivityStatus
import app.scanpay.ffi.CurrencyLimits
import app.scanpay.ffi.FlowException
import app.scanpay.ffi.FlowIntent
import app.scanpay.ffi.FlowState
import app.scanpay.ffi.PinException
import app.scanpay.ffi.PlatformKeyStore
import app.scanpay.ffi.PlatformKeyStoreException
import app.scanpay.ffi.Region
import app.scanpay.ffi.Timings
import app.scanpay.ffi.WalletConfig
import app.scanpay.ffi.LocalizedText
import app.scanpay.ffi.Money
import app.scanpay.ffi.amountText
import app.scanpay.ffi.PaycodeBlock
import app.scanpay.ffi.PaymentState
import app.scanpay.ffi.PinProblem
import app.scanpay.ffi.StatusSnapshot
import app.scanpay.ffi.UiLabel
import app.scanpay.ffi.labelText
import app.scanpay.ffi.liveObjectCount
import app.scanpay.ffi.pinEntryText
import app.scanpay.ffi.receiptStatusText
import app.scanpay.ffi.setLocales
import app.scanpay.ffi.statusTexts
import app.scanpay.sample.model.Banner
import app.scanpay.sample.model.ConnectivityViewModel
import app.scanpay.sample.model.Outcome
import app.scanpay.sample.model.PaycodeScreen
import app.scanpay.sample.model.PaycodeViewModel
import app.scanpay.sample.model.PaymentViewModel
import app.scanpay.sample.model.Screen
import app.scanpay.sample.model.SetupState
import app.scanpay.sample.model.SetupViewModel
import app.scanpay.sample.model.UiState
import app.scanpay.sample.model.runWallet
import java.io.File
import java.nio.ByteBuffer
import java.nio.file.Files
import java.security.SecureRandom
import java.util.concurrent.CopyOnWriteArrayList
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.spec.GCMParameterSpec
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineExceptionHandler
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

// ----- a minimal JSON reader (the JVM has none built in) -----
class Json(private val s: String) {
    private var i = 0
    fun parse(): Any? = value()
    private fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
    private fun value(): Any? {
        ws()
        return when (s[i]) {
            '{' -> { i++; val m = LinkedHashMap<String, Any?>(); ws()
                if (s[i] == '}') { i++; return m }
                while (true) { ws(); val k = str(); ws(); i++ /* : */; m[k] = value(); ws(); if (s[i++] == '}') return m }
                @Suppress("UNREACHABLE_CODE") m }
            '[' -> { i++; val l = ArrayList<Any?>(); ws()
                if (s[i] == ']') { i++; return l }
                while (true) { l.add(value()); ws(); if (s[i++] == ']') return l }
                @Suppress("UNREACHABLE_CODE") l }
            '"' -> str()
            't' -> { i += 4; true }
            'f' -> { i += 5; false }
            'n' -> { i += 4; null }
            else -> { val st = i; while (i < s.length && (s[i].isDigit() || s[i] in "-+.eE")) i++; s.substring(st, i).toLong() }
        }
    }
    private fun str(): String {
        val sb = StringBuilder(); i++
        while (s[i] != '"') {
            if (s[i] == '\\') { i++; when (s[i]) {
                'n' -> sb.append('\n'); 't' -> sb.append('\t'); 'r' -> sb.append('\r')
                'u' -> { sb.append(s.substring(i + 1, i + 5).toInt(16).toChar()); i += 4 }
                else -> sb.append(s[i]) } } else sb.append(s[i])
            i++
        }
        i++; return sb.toString()
    }
}
@Suppress("UNCHECKED_CAST") fun Any?.obj() = this as Map<String, Any?>
@Suppress("UNCHECKED_CAST") fun Any?.arr() = this as List<Any?>
fun Any?.int() = (this as Long).toInt()

// ----- platform implementations a desktop / test app would write -----
/** AES-256-GCM under an in-memory key, the same contract as the Android Keystore one. */
class JvmKeyStore : PlatformKeyStore {
    private val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    override fun wrap(alias: String, plaintext: ByteArray): ByteArray {
        val iv = ByteArray(12).also { SecureRandom().nextBytes(it) }
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.ENCRYPT_MODE, key, GCMParameterSpec(128, iv)); c.updateAAD(alias.toByteArray())
        return iv + c.doFinal(plaintext)
    }
    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        if (wrapped.size < 28) throw PlatformKeyStoreException.Rejected()
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped, 0, 12)); c.updateAAD(alias.toByteArray())
        return try { c.doFinal(wrapped, 12, wrapped.size - 12) } catch (e: Exception) { throw PlatformKeyStoreException.Rejected() }
    }
}

/** A network switch, standing in for ConnectivityManager: pushes changes like AndroidNetworkMonitor. */
class SwitchNetwork(initial: Boolean = true) : ObservableNetworkMonitor {
    private val flow = kotlinx.coroutines.flow.MutableStateFlow(initial)
    override val available: StateFlow<Boolean> = flow
    @Volatile private var listener: ((Boolean) -> Unit)? = null
    override fun setListener(listener: ((Boolean) -> Unit)?) { this.listener = listener }
    override fun isNetworkAvailable() = flow.value
    fun set(now: Boolean) { val before = flow.value; flow.value = now; if (before != now) listener?.invoke(now) }
    /** Changes the answer without pushing it (a change the platform did not report). */
    fun setSilently(now: Boolean) { flow.value = now }
}

val ROOT = File(System.getenv("SCANPAY_ROOT") ?: ".")
val VECTORS = File(ROOT, "tests/vectors")
val FIXTURES = File(System.getenv("SCANPAY_FIXTURES") ?: "target/bindings/fixtures")
const val THB_CODE = "00020101021129370016A000000677010111011300668012345675802TH530376463046197"
val PIN = listOf(2, 5, 8, 0, 4, 7)

fun check(cond: Boolean, msg: () -> String = { "check failed" }) { if (!cond) throw AssertionError(msg()) }
// Every temp dir a test makes is removed when the JVM exits (exitProcess runs the hook).
val tmpDirs = java.util.concurrent.ConcurrentLinkedQueue<File>().also { dirs ->
    Runtime.getRuntime().addShutdownHook(Thread { dirs.forEach { it.deleteRecursively() } })
}
fun tmpDir(): File = Files.createTempDirectory("scanpay-android").toFile().also { tmpDirs.add(it) }

/** Waits (up to [ms]) for a StateFlow value matching [pred]; fails with the last value seen. */
fun <T> StateFlow<T>.await(ms: Long = 30_000, what: String = "state", pred: (T) -> Boolean): T = try {
    runBlocking { withTimeout(ms) { first(pred) } }
} catch (e: Exception) { throw AssertionError("timed out waiting for $what; last: $value") }

fun config(dir: File, backend: BackendConfig? = null, roots: String? = null, currency: String = "THB", unverified: Boolean = true,
           timings: Timings? = null) = WalletConfig(
    dataDir = File(dir, "wallet").path,
    rootsJson = roots ?: File(VECTORS, "trust/roots.json").readText(),
    backend = backend,
    limits = listOf(CurrencyLimits(currency, 100_000u, 200_000u, 0u, 0u)),
    allowOfflinePayments = false, allowUnverifiedMerchants = unverified, timings = timings)

/** A scope like viewModelScope, on a background dispatcher (no Main on the JVM). */
fun <R> withScope(block: (CoroutineScope) -> R): R {
    val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    try { return block(scope) } finally { scope.cancel() }
}

fun openWallet(cfg: WalletConfig, net: SwitchNetwork? = SwitchNetwork()): ScanPayWallet =
    runBlocking { ScanPayWallet.open(cfg, JvmKeyStore(), net, null) }

/** Drives a setup to Ready / Failed by typing [pin] on its pad. */
fun setUp(vm: SetupViewModel, pin: List<Int> = PIN): SetupState {
    vm.state.await(what = "setup start") { it is SetupState.ChoosePin }
    pin.forEach { vm.pinDigit(it) }
    return vm.state.await(what = "setup end") { it is SetupState.Ready || it is SetupState.Failed || (it is SetupState.ChoosePin && it.error != null) }
}

/**
 * Runs [block] with the process-wide UI language set to [tag] (setLocales, as
 * the app does at start), then back to English for the other tests.
 */
fun <R> inLocale(tag: String, block: () -> R): R {
    setLocales(listOf(tag))
    try { return block() } finally { setLocales(listOf("en")) }
}

fun hasHan(s: String) = s.any { Character.UnicodeScript.of(it.code) == Character.UnicodeScript.HAN }

/**
 * Each catalogue id's `# max-length: N` from the English source, the limit the
 * build checks for every language and for en-XA (docs/i18n.md). The bindings
 * do not expose `Msg::max_len()`, so the test reads the source the build reads.
 */
val MAX_LEN: Map<String, Int> by lazy {
    val out = HashMap<String, Int>()
    var pending: Int? = null
    for (line in File(ROOT, "core/i18n/messages/en.ftl").readLines()) {
        Regex("""^#\s*max-length:\s*(\d+)""").find(line)?.let { pending = it.groupValues[1].toInt() }
        Regex("""^([a-z][a-z0-9-]*)\s*=""").find(line)?.let { m -> pending?.let { out[m.groupValues[1]] = it }; pending = null }
    }
    check(out.size > 100) { "max-lengths not found in en.ftl (${out.size})" }
    out
}

/** The longest max-length the catalogue declares: the bound every on-screen text stays within at 200 %. */
val MAX_SCREEN_TEXT: Int by lazy { MAX_LEN.values.max() }

fun chars(s: String) = s.codePointCount(0, s.length)

/** A text rendered in en-XA: bracketed, and within its id's declared max-length. */
fun checkPseudo(t: LocalizedText) {
    val max = MAX_LEN[t.id] ?: throw AssertionError("no max-length for ${t.id}")
    check(t.text.startsWith("[") && t.text.endsWith("]")) { "${t.id} not pseudo-localised: ${t.text}" }
    check(chars(t.text) <= max) { "${t.id}: ${chars(t.text)} > $max: ${t.text}" }
}

/** Every catalogue text a payment screen model draws (not the payer's own input, not names). */
fun screenTexts(s: Screen): List<String> = when (s) {
    is Screen.Scanning -> emptyList()
    is Screen.Review -> listOf(s.merchant.verdict) + s.merchant.warnings
    is Screen.Amount -> listOf(s.merchant.verdict) + s.merchant.warnings + listOfNotNull(s.problem)
    is Screen.OneTap -> listOf(s.merchant.verdict, s.prompt)
    is Screen.Biometric -> listOf(s.merchant.verdict, s.prompt) + listOfNotNull(s.problem)
    is Screen.Pin -> listOf(s.prompt, s.spoken) + listOfNotNull(s.error, s.fallback)
    is Screen.Processing -> listOf(s.stage)
    is Screen.Result -> listOf(s.title, s.detail)
}

/** Records every screen the view-model shows. */
fun recordScreens(vm: PaymentViewModel, scope: CoroutineScope): MutableList<Screen> {
    val seen = CopyOnWriteArrayList<Screen>()
    scope.launch { vm.ui.collect { seen.add(it.screen) } }
    return seen
}

/** From Scanning to the PIN pad: text → review → amount → confirm. */
fun toPin(vm: PaymentViewModel, text: String, amount: String): Screen.Pin {
    vm.onScannedText(text)
    val review = vm.ui.await(what = "review") { it.screen is Screen.Review && !it.busy }.screen as Screen.Review
    check(review.merchant.payable) { "not payable: $review" }
    vm.proceed()
    vm.ui.await(what = "amount") { it.screen is Screen.Amount && !it.busy }
    vm.editAmount(amount)
    val a = vm.ui.await(what = "amount entered") { (it.screen as? Screen.Amount)?.canConfirm == true && !it.busy }.screen as Screen.Amount
    check(a.total!!.text.endsWith(amount)) { "total ${a.total}" }  // CLDR: "THB 12.50"
    vm.confirm()
    return vm.ui.await(what = "pin") { it.screen is Screen.Pin && !it.busy }.screen as Screen.Pin
}

fun frames(): List<Map<String, Any?>> = Json(File(FIXTURES, "frames.json").readText()).parse().obj()["frames"].arr().map { it.obj() }

val tests = linkedMapOf<String, () -> Unit>(
    "sensorRegion maps the upright viewfinder for each rotation" to {
        val full = Viewfinder(0f, 0f, 1f, 1f)
        for (r in listOf(0, 90, 180, 270)) check(sensorRegion(600, 400, r, full) == Region(0u, 0u, 600u, 400u)) { "full frame at $r" }
        // The upright top-left quarter of a 600×400 sensor frame rotated 90° (upright 400×600).
        val q = Viewfinder(0f, 0f, 0.5f, 0.5f)
        check(sensorRegion(600, 400, 0, q) == Region(0u, 0u, 300u, 200u))
        check(sensorRegion(600, 400, 90, q) == Region(0u, 200u, 300u, 200u)) { "${sensorRegion(600, 400, 90, q)}" }
        check(sensorRegion(600, 400, 180, q) == Region(300u, 200u, 300u, 200u))
        check(sensorRegion(600, 400, 270, q) == Region(300u, 0u, 300u, 200u)) { "${sensorRegion(600, 400, 270, q)}" }
        val sq = Viewfinder.centredSquare(400, 600, 0.5f)
        val r = sensorRegion(600, 400, 90, sq)
        check(r.width == r.height && r.width == 200u) { "$r" }
        check(runCatching { sensorRegion(600, 400, 45, full) }.isFailure)
    },
    "FrameScanner reads the camera fixtures through the viewfinder" to {
        FrameScanner().use { fs ->
            for (f in frames()) {
                val data = File(FIXTURES, f["file"] as String).readBytes()
                val (w, h, stride, rot) = listOf(f["width"].int(), f["height"].int(), f["row_stride"].int(), f["rotation_degrees"].int())
                // A direct buffer whose last row is only `width` long, as CameraX hands over the Y plane.
                val plane = ByteBuffer.allocateDirect((h - 1) * stride + w).put(data, 0, (h - 1) * stride + w).also { it.flip() }
                val codes = fs.scan(plane, w, h, stride, rot, Viewfinder.centredSquare(w, h, 0.98f))
                check(codes.map { it.text } == listOf(f["payload"])) { "${f["name"]}: $codes" }
            }
        }
    },
    "the viewfinder crop follows the rotation (code off-centre in a 600x400 frame)" to {
        val f = frames().first { it["rotation_degrees"] == 0L }
        val src = File(FIXTURES, f["file"] as String).readBytes()
        val (w, h, stride) = listOf(f["width"].int(), f["height"].int(), f["row_stride"].int())
        val W = 600; val H = 400
        val frame = ByteArray(W * H) { 0xFF.toByte() }
        for (y in 0 until h) System.arraycopy(src, y * stride, frame, (40 + y) * W + 280, w) // code at x 280..588, y 40..348
        val top = Viewfinder(0f, 0f, 1f, 0.45f); val bottom = Viewfinder(0f, 0.45f, 1f, 1f)
        val left = Viewfinder(0f, 0f, 0.45f, 1f); val right = Viewfinder(0.45f, 0f, 1f, 1f)
        FrameScanner().use { fs ->
            fun found(rot: Int, v: Viewfinder) = fs.scan(frame, W, H, W, rot, v).isNotEmpty()
            check(found(0, right) && !found(0, left)) { "0°" }
            check(found(90, bottom) && !found(90, top)) { "90°: the code is in the lower part of the upright image" }
            check(found(270, top.copy(bottom = 0.56f)) && !found(270, bottom)) { "270°: upper part" }
            check(found(180, left.copy(right = 0.56f)) && !found(180, right)) { "180°: left part" }
        }
    },
    "ScanPayWallet: status StateFlow follows the network monitor; banner follows it" to {
        val net = SwitchNetwork(true)
        openWallet(config(tmpDir()), net).use { w ->
            withScope { scope ->
                val conn = ConnectivityViewModel(w.status, scope)
                check(w.status.value.connectivity !is ConnectivityStatus.Offline)
                net.set(false) // as ConnectivityManager's callback would, on its thread
                w.status.await(what = "offline") { it.connectivity is ConnectivityStatus.Offline }
                check(conn.banner.await(what = "offline banner") { it != null }!!.level == Banner.Level.OFFLINE)
                net.set(true)
                w.status.await(what = "back online") { it.connectivity !is ConnectivityStatus.Offline }
                conn.banner.await(what = "banner gone") { it == null }
            }
        }
    },
    "status changes from a Rust worker thread reach the StateFlow" to {
        val net = SwitchNetwork(true)
        openWallet(config(tmpDir()), net).use { w ->
            run {
                net.set(false); net.set(true)
                // The monitor now says "no network" without pushing it: start() asks on its worker thread.
                net.setSilently(false)
                runBlocking { w.start() }
                w.status.await(what = "offline after start") { it.connectivity is ConnectivityStatus.Offline }
            }
        }
    },
    "setup: a weak PIN is refused, then enrol through the pad; no backend to register" to {
        openWallet(config(tmpDir())).use { w ->
            withScope { scope ->
                SetupViewModel(w, scope, "SANDBOX").use { vm ->
                    val weak = setUp(vm, listOf(1, 1, 1, 1, 1, 1))
                    check(weak is SetupState.ChoosePin && weak.error != null && weak.digits == 0) { "$weak" }
                    // A sentence, not UniFFI's field dump ("reason=…").
                    val sentence = (weak as SetupState.ChoosePin).error.orEmpty()
                    check(!sentence.contains("reason=") && sentence.contains("PIN")) { "$weak" }
                    PIN.forEach { vm.pinDigit(it) }
                    val end = vm.state.await(what = "registered or failed") { it is SetupState.Failed || it is SetupState.Ready }
                    check(end is SetupState.Failed && end.message.contains("no payment service")) { "$end" }
                    check(runBlocking { w.isEnrolled() })
                }
            }
        }
    },
    "userMessage: the catalogue's sentence for every rich exception, never the field dump" to {
        val wrong = PinException.WrongPin(3u, 0uL).userMessage()
        check(wrong == "Wrong PIN. 3 attempts left.") { wrong }
        check(wrong == PinException.WrongPin(3u, 0uL).text().text)
        check(PinException.WrongPin(2u, 30uL).userMessage().contains("30")) { "wait" }
        check(PinException.SamePinPad().userMessage() == PinException.SamePinPad().text().text)
        val store = PlatformKeyStoreException.Unavailable("no key").userMessage()
        check(store.isNotBlank() && !store.contains("no key")) { "the reason is for logs: $store" }
        check(IllegalStateException("plain").userMessage() == "plain")
        inLocale("zh-Hans") {
            val zh = PinException.WrongPin(3u, 0uL).userMessage()
            check(zh.any { Character.UnicodeScript.of(it.code) == Character.UnicodeScript.HAN }) { "zh-Hans: $zh" }
        }
    },
    "catalogue: in zh-Hans the payment screens show the core's Chinese texts" to {
        inLocale("zh-Hans") {
            openWallet(config(tmpDir())).use { w ->
                withScope { scope ->
                    SetupViewModel(w, scope, "X").use { setUp(it) }
                    PaymentViewModel(w, scope).use { vm ->
                        val pin = toPin(vm, THB_CODE, "12.50")
                        check(hasHan(pin.prompt) && hasHan(pin.spoken)) { "$pin" }
                        check(pin.total.text.contains("12.50") && pin.total.currency == "THB" && pin.total.integerPart == "12" && pin.total.fractionPart == "50") { "${pin.total}" }
                        check(hasHan(pin.total.spoken)) { "spoken ${pin.total.spoken}" }
                        PIN.forEach { vm.pinDigit(it) }
                        val end = vm.ui.await(what = "result") { it.screen is Screen.Result && !it.busy }.screen as Screen.Result
                        check(hasHan(end.title) && hasHan(end.detail) && hasHan(end.announcement)) { "$end" }
                    }
                }
            }
            val banner = ConnectivityViewModel.bannerOf(StatusSnapshot(ConnectivityStatus.Offline(0uL), 2u))
            check(banner != null && banner.level == Banner.Level.OFFLINE && hasHan(banner.text)) { "$banner" }
        }
    },
    "en-XA: every text on the payment screens is the catalogue's, bracketed, within the declared max-length" to {
        inLocale("en-XA") {
            openWallet(config(tmpDir())).use { w ->
                withScope { scope ->
                    SetupViewModel(w, scope, "X").use { setUp(it) }
                    PaymentViewModel(w, scope).use { vm ->
                        val seen = recordScreens(vm, scope)
                        val pin = toPin(vm, THB_CODE, "12.50")
                        vm.pinDigit(PIN[0])
                        vm.ui.await(what = "one digit") { (it.screen as? Screen.Pin)?.digits == 1 && !it.busy }
                        PIN.drop(1).forEach { vm.pinDigit(it) }
                        vm.ui.await(what = "result") { it.screen is Screen.Result && !it.busy }
                        val texts = (seen + pin).flatMap(::screenTexts)
                        check(texts.size >= 8) { "too few texts: $texts" }
                        for (t in texts) {
                            check(t.startsWith("[") && t.endsWith("]")) { "not from the catalogue: $t" }
                            check(chars(t) <= MAX_SCREEN_TEXT) { "${chars(t)} > $MAX_SCREEN_TEXT: $t" }
                        }
                    }
                }
                // Per id: the flow's sentence at each state, and the other texts the screens draw.
                w.newPayment().use { session ->
                    val ids = mutableListOf<LocalizedText>()
                    runBlocking {
                        ids += session.ffi.stateText()
                        session.send(FlowIntent.ScannedText(THB_CODE)); ids += session.ffi.stateText()
                        session.send(FlowIntent.Proceed); ids += session.ffi.stateText()
                        val amount = session.send(FlowIntent.EditAmount("999.99")) as FlowState.EnterAmount
                        ids += session.ffi.stateText()
                        session.send(FlowIntent.Confirm(amount.breakdown!!.total)); ids += session.ffi.stateText()
                        PIN.forEach { session.pressPinDigit(it) }
                        ids += session.ffi.stateText()
                        session.process(); ids += session.ffi.stateText()
                    }
                    for (k in 0u..6u) ids += pinEntryText(k, 6u)
                    ids += UiLabel.values().map(::labelText)
                    ids += PaymentState.values().map(::receiptStatusText)
                    ids += statusTexts(StatusSnapshot(ConnectivityStatus.Offline(0uL), 999u))
                    ids += listOf(PinProblem.WrongPin(999u, 999_999uL), PinProblem.LockedOut(0uL, 999_999uL)).map { it.text() }
                    ids += listOf(PaycodeBlock.NotEnrolled, PaycodeBlock.NotProvisioned, PaycodeBlock.PinLocked(999_999uL)).map { it.text() }
                    ids.forEach(::checkPseudo)
                    check(ids.map { it.id }.toSet().size >= 20) { "${ids.map { it.id }}" }
                }
            }
        }
    },
    "PIN pad: its screen-reader text depends on the count only, never on the digits" to {
        fun spokenAfter(digits: List<Int>): List<String> = openWallet(config(tmpDir())).use { w ->
            withScope { scope ->
                SetupViewModel(w, scope, "X").use { setUp(it) }
                PaymentViewModel(w, scope).use { vm ->
                    val out = mutableListOf(toPin(vm, THB_CODE, "1.00").spoken)
                    digits.forEachIndexed { i, d ->
                        vm.pinDigit(d)
                        out += (vm.ui.await(what = "digit $i") { (it.screen as? Screen.Pin)?.digits == i + 1 && !it.busy }.screen as Screen.Pin).spoken
                    }
                    out
                }
            }
        }
        // Five digits: the sixth would send the payment.
        val a = spokenAfter(listOf(9, 9, 9, 9, 9))
        val b = spokenAfter(listOf(3, 1, 4, 1, 5))
        check(a == b) { "$a vs $b" }
        a.forEachIndexed { i, t -> check(t == pinEntryText(i.toUInt(), 6u).text) { "$i: $t" } }
        check(a.none { it.contains("99") || it.contains("31") }) { "$a" }
        check(a.last().startsWith("5") && !a.last().contains("9")) { a.last() }
    },
    "payment without a backend: review, amount, PIN, not sent, retry offered" to {
        openWallet(config(tmpDir())).use { w ->
            withScope { scope ->
                SetupViewModel(w, scope, "X").use { setUp(it) }
                PaymentViewModel(w, scope).use { vm ->
                    vm.onScannedText("https://example.com/pay")
                    val bad = vm.ui.await(what = "message") { it.message != null && !it.busy }
                    check(bad.screen == Screen.Scanning) { "$bad" }
                    vm.dismissMessage()
                    val pin = toPin(vm, THB_CODE, "12.50")
                    check(pin.digits == 0 && pin.length == 6 && pin.total.text.endsWith("12.50"))
                    val seen = recordScreens(vm, scope)
                    PIN.dropLast(1).forEachIndexed { i, d -> vm.pinDigit(d); vm.ui.await(what = "digit $i") { (it.screen as? Screen.Pin)?.digits == i + 1 } }
                    vm.backspace(); vm.ui.await(what = "backspace") { (it.screen as? Screen.Pin)?.digits == 4 && !it.busy }
                    vm.pinDigit(PIN[4]); vm.pinDigit(PIN[5])
                    val end = vm.ui.await(what = "result") { it.screen is Screen.Result && !it.busy }.screen as Screen.Result
                    check(end.outcome == Outcome.FAILED && end.canRetry && end.detail.startsWith("The payment could not be sent") && end.paymentId != null) { "$end" }
                    check(seen.any { it is Screen.Processing }) { "no processing screen: $seen" }
                    check(w.ffi.history(10u, null).size == 1)
                    vm.newPayment()
                    vm.ui.await(what = "new payment") { it == UiState() }
                }
            }
        }
    },
    "PaymentSession.pressPinDigit: counts digits, refuses (never wraps) values outside 0-9" to {
        openWallet(config(tmpDir())).use { w ->
            w.newPayment().use { session ->
                runBlocking {
                    check(session.send(FlowIntent.ScannedText(THB_CODE)) is FlowState.ReviewMerchant)
                    session.send(FlowIntent.Proceed)
                    val amount = session.send(FlowIntent.EditAmount("1.00")) as FlowState.EnterAmount
                    check(session.send(FlowIntent.Confirm(amount.breakdown!!.total)) is FlowState.EnterPin)
                    // 256.toUByte() would be 0, a digit: it must be refused like 10 and -1.
                    for (bad in listOf(10, 256, -1)) {
                        val refused = try { session.pressPinDigit(bad); null } catch (e: FlowException.Pin) { e }
                        check(refused != null) { "$bad accepted" }
                        check((session.state.value as FlowState.EnterPin).digits == 0u) { "$bad counted" }
                    }
                    val s = session.pressPinDigit(PIN[0]) as FlowState.EnterPin
                    check(s.digits == 1u && session.state.value == s) { "$s" }
                }
            }
        }
    },
    "PIN digits typed at once on a multi-threaded dispatcher arrive in order" to {
        // A fresh wallet each round: without a backend, failed sends make the
        // core's status Offline, which (rightly) stops the next payment early.
        repeat(4) { round ->
            openWallet(config(tmpDir())).use { w ->
                withScope { scope ->
                    SetupViewModel(w, scope, "X").use { setUp(it) }
                    PaymentViewModel(w, scope).use { vm ->
                        toPin(vm, THB_CODE, "1.0$round")
                        PIN.forEach { vm.pinDigit(it) } // no waiting between taps
                        val end = vm.ui.await(what = "result $round") { it.screen is Screen.Result || (it.screen as? Screen.Pin)?.error != null }
                        check(end.screen is Screen.Result) { "round $round: $end" }
                    }
                }
            }
        }
    },
    "camera path: frame -> FrameScanner -> onScanned -> merchant review" to {
        openWallet(config(tmpDir())).use { w ->
            withScope { scope ->
                PaymentViewModel(w, scope).use { vm ->
                    val f = frames().first()
                    val code = FrameScanner().use { fs ->
                        fs.scan(File(FIXTURES, f["file"] as String).readBytes(), f["width"].int(), f["height"].int(), f["row_stride"].int(), f["rotation_degrees"].int(), null).single()
                    }
                    vm.onScanned(code)
                    val review = vm.ui.await(what = "review") { it.screen is Screen.Review }.screen as Screen.Review
                    check(review.merchant.verdict.isNotEmpty())
                    vm.onScanned(code) // frames keep coming: ignored outside Scanning
                    vm.cancel()
                    vm.ui.await(what = "back to scanning") { it.screen == Screen.Scanning && !it.busy }
                }
            }
        }
    },
    "SampleApp's runWallet: a wallet that fails to open is warned about, never rethrown (it killed the app)" to {
        // As SampleApp: SupervisorJob scope; on Android an exception reaching
        // the handler below is an uncaught exception, which kills the process.
        val uncaught = CopyOnWriteArrayList<Throwable>()
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default + CoroutineExceptionHandler { _, e -> uncaught.add(e) })
        try {
            val opening = CompletableDeferred<ScanPayWallet>()
            val warned = CopyOnWriteArrayList<Pair<String, Throwable>>()
            val job = scope.runWallet(opening, SwitchNetwork().available) { what, e -> warned.add(what to e) }
            // What SampleApp.config() throws without roots.json.
            opening.completeExceptionally(IllegalStateException("copy the sandbox's roots.json"))
            runBlocking { withTimeout(10_000) { job.join() } }
            check(uncaught.isEmpty()) { "rethrown: $uncaught" }
            check(warned.size == 1 && warned[0].second.message!!.contains("roots.json")) { "$warned" }
            // The screen's own await still sees the reason (AppViewModel.openError shows it).
            check(runCatching { runBlocking { opening.await() } }.exceptionOrNull()?.message?.contains("roots.json") == true)
        } finally { scope.cancel() }
    },
    "a refused camera code is not re-sent every frame (no flicker); another code still scans" to {
        openWallet(config(tmpDir())).use { w ->
            withScope { scope ->
                PaymentViewModel(w, scope).use { vm ->
                    val f = frames().first()
                    val good = FrameScanner().use { fs ->
                        fs.scan(File(FIXTURES, f["file"] as String).readBytes(), f["width"].int(), f["height"].int(), f["row_stride"].int(), f["rotation_degrees"].int(), null).single()
                    }
                    val link = "https://example.com/pay"
                    val bad = good.copy(bytes = link.toByteArray(), text = link)
                    vm.onScanned(bad)
                    val refused = vm.ui.await(what = "message") { it.message != null && !it.busy }
                    check(refused.screen == Screen.Scanning) { "$refused" }
                    val seen = CopyOnWriteArrayList<UiState>()
                    scope.launch { vm.ui.collect { seen.add(it) } }
                    // The same code in the next frames, as CameraX delivers it.
                    repeat(20) { vm.onScanned(bad.copy(bytes = link.toByteArray())); Thread.sleep(10) }
                    Thread.sleep(200)
                    check(seen.all { it == refused }) { "the message flickered or the code was re-sent: $seen" }
                    vm.onScanned(good)
                    vm.ui.await(what = "review of the next code") { it.screen is Screen.Review && !it.busy }
                }
            }
        }
    },
    "close frees every Rust object" to {
        System.gc()
        val before = liveObjectCount()
        openWallet(config(tmpDir())).use { w ->
            withScope { scope ->
                PaymentViewModel(w, scope).use { SetupViewModel(w, scope, "X").use { FrameScanner().use {
                    check(liveObjectCount() > before) } } }
            }
        }
        // The view-models release some handles (the status subscription, a flow) from
        // their coroutine scope's cancellation and from worker threads: give that up to
        // 5 s to settle before counting.
        val deadline = System.currentTimeMillis() + 5_000
        while (liveObjectCount() > before && System.currentTimeMillis() < deadline) {
            System.gc()
            Thread.sleep(20)
        }
        check(liveObjectCount() <= before) { "leaked ${liveObjectCount() - before}" }
    },
)

fun sandboxTests(bin: String) {
    val proc = ProcessBuilder(bin, File(tmpDir(), "sandbox").path).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val out = proc.inputStream.bufferedReader(); val inp = proc.outputStream.bufferedWriter()
    val sb = Json(out.readLine()).parse().obj()
    fun command(c: String): String { inp.write(c + "\n"); inp.flush(); return out.readLine() }
    Runtime.getRuntime().addShutdownHook(Thread { runCatching { command("quit") }; proc.waitFor() })
    tests["sandbox over TLS: pay code shown, charged by the till, receipt on screen; PIN above the no-PIN amount"] = {
        paycodeSandboxTest(sb)
    }
    tests["sandbox over TLS: the biometric screen pays, a cancel stays on it, an invalidated key shows the PIN pad with why"] = {
        val backend = BackendConfig(sb["base_url"] as String, sb["ca_pem"] as String, listOf(sb["spki_pin"] as String), true, 5000u, 5000u)
        val cfg = config(tmpDir(), backend, sb["roots_json"] as String, sb["currency"] as String, false)
        openWallet(cfg).use { w ->
            withScope { scope ->
                SetupViewModel(w, scope, sb["enrolment_code"] as String).use { check(setUp(it) == SetupState.Ready) }
                val sw = app.scanpay.ffi.InsecureSoftwareBiometricKey()
                val on = app.scanpay.ffi.PinPad().use { pad ->
                    PIN.forEach { pad.press(it.toUByte()) }
                    runBlocking { w.ffi.enableBiometric(pad, sw.asBiometricKey()) }
                }
                check(on.biometric) { "$on" }
                PaymentViewModel(w, scope).use { vm ->
                    fun toBiometric(amount: String, ref: String): Screen.Biometric {
                        vm.newPayment(); vm.ui.await(what = "scanning") { it == UiState() }
                        vm.onScannedText(command("order M-0001 $amount $ref"))
                        // A verified dynamic code: no review screen, the amount is fixed.
                        val a = vm.ui.await(what = "amount") { it.screen is Screen.Amount && !it.busy }.screen as Screen.Amount
                        check(a.fixed && a.canConfirm) { "$a" }
                        vm.confirm()
                        return vm.ui.await(what = "biometric screen") { it.screen is Screen.Biometric && !it.busy }.screen as Screen.Biometric
                    }
                    val b = toBiometric("4.50", "VM-BIO-1")
                    check(b.total.text.endsWith("4.50") && b.merchant.verified && b.problem == null) { "$b" }
                    vm.confirmBiometric()
                    val paid = vm.ui.await(what = "paid") { it.screen is Screen.Result && !it.busy }.screen as Screen.Result
                    check(paid.outcome == Outcome.PAID) { "$paid" }

                    toBiometric("2.00", "VM-BIO-2")
                    sw.failNext(app.scanpay.ffi.BiometricException.Cancelled())
                    vm.confirmBiometric()
                    val again = vm.ui.await(what = "problem shown") { (it.screen as? Screen.Biometric)?.problem != null && !it.busy }
                    check(again.message == null) { "a cancel is not an error: ${again.message}" }
                    vm.usePin()
                    val pad = vm.ui.await(what = "pin pad") { it.screen is Screen.Pin && !it.busy }.screen as Screen.Pin
                    check(pad.fallback == null) { "the payer chose the PIN: nothing to explain, got ${pad.fallback}" }
                    vm.cancel()

                    toBiometric("1.50", "VM-BIO-3")
                    sw.invalidate()
                    vm.confirmBiometric()
                    val pin = vm.ui.await(what = "pin with why") { it.screen is Screen.Pin && !it.busy }.screen as Screen.Pin
                    check(pin.fallback?.startsWith("Fingerprint or face settings changed on this phone") == true) { "$pin" }
                    PIN.forEach { vm.pinDigit(it) }
                    val end = vm.ui.await(what = "paid with PIN") { it.screen is Screen.Result && !it.busy }.screen as Screen.Result
                    check(end.outcome == Outcome.PAID) { "$end" }
                }
            }
        }
    }
    tests["sandbox over TLS: shortcut settings: opt in with the PIN (a wrong one retyped), the offer shown, opt out"] = {
        val backend = BackendConfig(sb["base_url"] as String, sb["ca_pem"] as String, listOf(sb["spki_pin"] as String), true, 5000u, 5000u)
        val cfg = config(tmpDir(), backend, sb["roots_json"] as String, sb["currency"] as String, false)
        openWallet(cfg).use { w ->
            withScope { scope ->
                SetupViewModel(w, scope, sb["enrolment_code"] as String).use { check(setUp(it) == SetupState.Ready) }
                val key = app.scanpay.ffi.InsecureSoftwareBiometricKey()
                app.scanpay.sample.model.ShortcutsViewModel(w, scope, key.asBiometricKey(), sb["currency"] as String).use { vm ->
                    val first = vm.ui.await(what = "status") { it.status != null }
                    check(first.biometricNote == null && first.status!!.biometric.not()) { "$first" }
                    // The offer is the catalogue's sentence with CLDR amounts
                    // ("SGD 20.00", not a hand-made "%d.%02d").
                    val cur = sb["currency"] as String
                    val o = first.status!!.pinFreeOffers.first { it.defaults.currency == cur }.defaults
                    fun amt(minor: ULong) = amountText(Money(minor, cur, 2u)).text
                    check(o.dailyCount > 1u) { "$o" }
                    check(first.pinFreeOffer == "Up to ${amt(o.perPayment)} a payment, ${amt(o.dailyTotal)} and ${o.dailyCount} payments a day.") { "${first.pinFreeOffer}" }
                    vm.enableBiometric()
                    vm.ui.await(what = "pin pad") { it.askingPin is app.scanpay.ffi.Shortcut.Biometric }
                    vm.pinDigit(1); vm.pinDigit(2)
                    check(vm.ui.value.digits == 2); vm.backspace(); check(vm.ui.value.digits == 1); vm.backspace()
                    listOf(9, 3, 6, 1, 7, 4).forEach { vm.pinDigit(it) }
                    val wrong = vm.ui.await(what = "wrong PIN") { it.message != null && !it.busy }
                    check(wrong.message!!.startsWith("Wrong PIN") && wrong.askingPin != null && wrong.digits == 0) { "$wrong" }
                    PIN.forEach { vm.pinDigit(it) }
                    val on = vm.ui.await(what = "biometric on") { it.status?.biometric == true && !it.busy }
                    check(on.askingPin == null && on.message == null) { "$on" }
                    vm.enablePinFree()
                    PIN.forEach { vm.pinDigit(it) }
                    val free = vm.ui.await(what = "PIN-free on") { it.status?.pinFree?.isNotEmpty() == true && !it.busy }
                    check(free.status!!.pinFree.single().currency == sb["currency"]) { "$free" }
                    vm.disableBiometric()
                    val off = vm.ui.await(what = "biometric off") { it.status?.biometric == false && !it.busy }
                    check(off.lapses == listOf("You turned off fingerprint or face confirmation.")) { "${off.lapses}" }
                    // A language change shows at the next read, in the catalogue's words.
                    inLocale("zh-Hans") {
                        vm.refresh()
                        val zh = vm.ui.await(what = "lapse in zh-Hans") { it.lapses.any(::hasHan) }
                        check(zh.lapses == listOf("您已关闭指纹或面容确认。")) { "${zh.lapses}" }
                    }
                }
                // No biometric key on this phone: the catalogue's no-sensor sentence, the toggle off.
                app.scanpay.sample.model.ShortcutsViewModel(w, scope, null, sb["currency"] as String).use { vm ->
                    val none = vm.ui.await(what = "status, no key") { it.status != null }
                    check(none.biometricNote == "This phone has no fingerprint or face sensor that can confirm payments.") { "$none" }
                }
            }
        }
    }
    tests["sandbox over TLS: setup, pay, decline, lost response resolved"] = {
        val backend = BackendConfig(sb["base_url"] as String, sb["ca_pem"] as String, listOf(sb["spki_pin"] as String), true, 5000u, 5000u)
        val cfg = config(tmpDir(), backend, sb["roots_json"] as String, sb["currency"] as String, false, Timings(1u, 20u, 3u, 1u))
        openWallet(cfg).use { w ->
            withScope { scope ->
                SetupViewModel(w, scope, sb["enrolment_code"] as String).use { check(setUp(it) == SetupState.Ready) }
                val conn = ConnectivityViewModel(w.status, scope)
                PaymentViewModel(w, scope).use { vm ->
                    fun pay(payload: String, amount: String): Pair<Screen.Result, List<Screen>> {
                        vm.newPayment(); vm.ui.await(what = "scanning") { it == UiState() }
                        vm.onScannedText(payload)
                        val review = vm.ui.await(what = "review") { it.screen is Screen.Review && !it.busy }.screen as Screen.Review
                        check(review.merchant.verified && review.merchant.name != null) { "$review" }
                        vm.cancel(); vm.ui.await(what = "cancelled") { it.screen == Screen.Scanning && !it.busy }
                        toPin(vm, payload, amount)
                        val seen = recordScreens(vm, scope)
                        PIN.forEach { vm.pinDigit(it) }
                        return (vm.ui.await(what = "result") { it.screen is Screen.Result && !it.busy }.screen as Screen.Result) to seen
                    }
                    val (ok, _) = pay(sb["payload_ok"] as String, "3.50")
                    check(ok.outcome == Outcome.PAID && ok.title == "Paid" && ok.detail.startsWith("Paid") && ok.detail.contains("3.50")) { "$ok" }
                    check(ok.paymentId != null && ok.reference?.startsWith("Reference: ") == true && ok.reference!!.contains(ok.paymentId!!)) { "$ok" }
                    val (declined, _) = pay(sb["payload_blocked"] as String, "1.00")
                    check(declined.outcome == Outcome.FAILED && declined.detail.startsWith("Payment declined")) { "$declined" }
                    check(command("fault submit drop-after-commit") == "ok")
                    val (resolved, seen) = pay(sb["payload_ok"] as String, "2.00")
                    check(resolved.outcome == Outcome.PAID) { "$resolved" }
                    check(seen.any { it is Screen.Processing && it.stage.startsWith("Checking your payment") }) { "no confirming stage: $seen" }
                    check(conn.banner.value == null) { "banner ${conn.banner.value}" }
                }
            }
        }
    }
}

/** A shop's till: HTTPS to the sandbox with its till key, trusting the sandbox's CA only. */
fun till(sb: Map<String, Any?>, method: String, path: String, body: String? = null): Map<String, Any?> {
    val ks = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType()).apply { load(null, null) }
    java.security.cert.CertificateFactory.getInstance("X.509")
        .generateCertificates((sb["ca_pem"] as String).byteInputStream())
        .forEachIndexed { i, c -> ks.setCertificateEntry("ca$i", c) }
    val tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm()).apply { init(ks) }
    val ctx = javax.net.ssl.SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }
    val conn = java.net.URL((sb["base_url"] as String).trimEnd('/') + path).openConnection() as javax.net.ssl.HttpsURLConnection
    conn.sslSocketFactory = ctx.socketFactory
    conn.requestMethod = method
    conn.connectTimeout = 15_000; conn.readTimeout = 15_000
    conn.setRequestProperty("Authorization", "ScanPay-Till ${sb["till_key"]}")
    if (body != null) {
        conn.doOutput = true
        conn.setRequestProperty("Content-Type", "application/json")
        conn.outputStream.use { it.write(body.toByteArray()) }
    }
    val status = conn.responseCode
    val text = (if (status < 400) conn.inputStream else conn.errorStream).bufferedReader().use { it.readText() }
    check(status == 200) { "till $method $path: HTTP $status $text" }
    return Json(text).parse().obj()
}

fun paycodeSandboxTest(sb: Map<String, Any?>) {
    val backend = BackendConfig(sb["base_url"] as String, sb["ca_pem"] as String, listOf(sb["spki_pin"] as String), true, 5000u, 5000u)
    val net = SwitchNetwork()
    openWallet(config(tmpDir(), backend, sb["roots_json"] as String, sb["currency"] as String, false), net).use { w ->
        withScope { scope ->
            SetupViewModel(w, scope, sb["enrolment_code"] as String).use { check(setUp(it) == SetupState.Ready) }
            PaycodeViewModel(w, scope).use { vm ->
                vm.screen.await(what = "pin to open") { it is PaycodeScreen.EnterPin }
                PIN.forEach { vm.pinDigit(it) }
                val showing = vm.screen.await(what = "code") { it is PaycodeScreen.Showing } as PaycodeScreen.Showing
                check(Regex("New code in \\d+ seconds?").matches(showing.refresh)) { showing.refresh }
                val shown = showing.code
                check(shown.qr.size > 0u && shown.bars.isNotEmpty() && shown.digits.length == 18) { "$shown" }
                // The screen is captured: hidden, and nothing to draw.
                vm.setScreenCaptured(true)
                vm.screen.await(what = "hidden") { it == PaycodeScreen.Hidden }
                vm.setScreenCaptured(false)
                vm.screen.await(what = "shown again") { (it as? PaycodeScreen.Showing)?.code?.digits == shown.digits }
                // The till charges SGD 3.20: the long-poll brings the receipt to the screen.
                val body = """{"out_trade_no":"VM-PC-1","auth_code":"${shown.digits}","amount":{"minor":320,"currency":"${sb["currency"]}"}}"""
                val paid = till(sb, "POST", "/v1/merchant/paycode/charges", body)
                check(paid["state"] == "paid") { "$paid" }
                val charged = vm.screen.await(what = "receipt") { it is PaycodeScreen.Charged } as PaycodeScreen.Charged
                // Paid with the code alone: the catalogue's status word and sentence (amount, payee, receipt).
                val sgd320 = amountText(Money(320u, sb["currency"] as String, 2u)).text
                check(charged.paid && charged.title == "Paid") { "$charged" }
                check(charged.detail.startsWith("You paid $sgd320 to ") && charged.detail.contains(". Receipt \u2068${paid["receipt"]}\u2069.")) { "$charged" }
                vm.dismiss()
                val next = vm.screen.await(what = "next code") { it is PaycodeScreen.Showing && it.code.digits != shown.digits } as PaycodeScreen.Showing
                // SGD 45.00: the PIN is asked on this screen, then the till sees paid.
                val big = """{"out_trade_no":"VM-PC-2","auth_code":"${next.code.cpmText}","amount":{"minor":4500,"currency":"${sb["currency"]}"}}"""
                check(till(sb, "POST", "/v1/merchant/paycode/charges", big)["state"] == "userpaying")
                val confirm = vm.screen.await(what = "confirm") { it is PaycodeScreen.Confirm } as PaycodeScreen.Confirm
                val sgd45 = amountText(Money(4500u, sb["currency"] as String, 2u)).text
                check(confirm.amount.endsWith("45.00")) { "$confirm" }
                check(confirm.request.contains(confirm.merchant) && confirm.request.endsWith(" asks for $sgd45. Enter your PIN to pay.")) { confirm.request }
                // The sandbox's merchant is in the registry: no note. A shop that is not gets the catalogue's.
                check(confirm.unlisted == null) { "$confirm" }
                check(unlisted(ChargeMerchant("M-X", "Shop", false)) == labelText(UiLabel.MERCHANT_UNLISTED).text)
                check(unlisted(ChargeMerchant("M-X", "Shop", true)) == null)
                // The result is written in the language of the moment it arrives: zh-Hans here.
                val (done, zh45) = inLocale("zh-Hans") {
                    PIN.forEach { vm.pinDigit(it) }
                    val d = vm.screen.await(what = "paid with PIN") { it is PaycodeScreen.Charged } as PaycodeScreen.Charged
                    d to amountText(Money(4500u, sb["currency"] as String, 2u)).text
                }
                check(done.paid && done.title == "已支付") { "$done" }
                check(done.detail.startsWith("您已向") && done.detail.contains("支付 $zh45。")) { "$done" }
                check(till(sb, "GET", "/v1/merchant/paycode/charges/VM-PC-2")["state"] == "paid")
            }
        }
    }
}

fun main() {
    biometricRelayTests()
    System.getenv("SCANPAY_SANDBOX_BIN")?.let { sandboxTests(it) }
    var passed = 0; var failed = 0
    for ((name, t) in tests) {
        try { t(); passed++; println("PASS $name") }
        catch (e: Throwable) { failed++; println("FAIL $name: $e"); e.printStackTrace() }
    }
    println("$passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}

// ----- the Android biometric key's hand-over to the main thread (PromptRelay) -----
// AndroidBiometricKey itself needs the Keystore and BiometricPrompt (type-checked
// against the stubs only); the threading and the error mapping it relies on are
// plain Kotlin and run here, with a single-thread executor standing in for Main.
fun biometricRelayTests() {
    fun mainThread(): Pair<java.util.concurrent.ExecutorService, () -> Boolean> {
        val main = java.util.concurrent.Executors.newSingleThreadExecutor { r -> Thread(r, "fake-main").apply { isDaemon = true } }
        return main to { Thread.currentThread().name == "fake-main" }
    }
    tests["PromptRelay: the prompt runs on Main, the caller waits and gets the unlocked value"] = {
        val (main, isMain) = mainThread()
        val relay = app.scanpay.android.PromptRelay(isMain, { main.execute(it) }, 5_000)
        var shownOn = ""
        val got = relay.await<String> { finish ->
            shownOn = Thread.currentThread().name
            // The platform reports later, on Main.
            main.execute { finish(app.scanpay.android.PromptOutcome.Authenticated("signature")) }
            ({})
        }
        check(got == "signature" && shownOn == "fake-main") { "$got on $shownOn" }
        main.shutdown()
    }
    tests["PromptRelay: on the main thread it refuses at once (no deadlock); a throwing prompt is Failed"] = {
        val (main, isMain) = mainThread()
        val relay = app.scanpay.android.PromptRelay(isMain, { main.execute(it) }, 5_000)
        val onMain = main.submit<Throwable?> { runCatching { relay.await<String> { error("never shown") } }.exceptionOrNull() }.get(5, java.util.concurrent.TimeUnit.SECONDS)
        check(onMain is app.scanpay.ffi.BiometricException.Failed && onMain.reason.contains("main thread")) { "$onMain" }
        val thrown = runCatching { relay.await<String> { throw IllegalStateException("no activity") } }.exceptionOrNull()
        check(thrown is app.scanpay.ffi.BiometricException.Failed) { "$thrown" }
        main.shutdown()
    }
    tests["PromptRelay: a prompt left up times out as Cancelled, is taken down, and a late success is ignored"] = {
        val (main, isMain) = mainThread()
        val relay = app.scanpay.android.PromptRelay(isMain, { main.execute(it) }, 200)
        val cancelled = java.util.concurrent.CountDownLatch(1)
        var late: ((app.scanpay.android.PromptOutcome<String>) -> Unit)? = null
        val e = runCatching { relay.await<String> { finish -> late = finish; ({ cancelled.countDown() }) } }.exceptionOrNull()
        check(e is app.scanpay.ffi.BiometricException.Cancelled) { "$e" }
        check(cancelled.await(5, java.util.concurrent.TimeUnit.SECONDS)) { "the prompt was not cancelled" }
        late!!(app.scanpay.android.PromptOutcome.Authenticated("too late")) // no effect, no crash
        main.shutdown()
    }
    tests["PromptErrors: every BiometricPrompt error code is a typed outcome, unknown ones Failed"] = {
        val e = app.scanpay.android.PromptErrors
        fun name(code: Int) = e.toError(code, "text")::class.simpleName
        val expected = mapOf(
            e.LOCKOUT to "LockedOut", e.LOCKOUT_PERMANENT to "LockedOut", e.NO_BIOMETRICS to "NotEnrolled",
            e.USER_CANCELED to "Cancelled", e.NEGATIVE_BUTTON to "Cancelled", e.CANCELED to "Cancelled", e.TIMEOUT to "Cancelled",
            e.HW_UNAVAILABLE to "Unavailable", e.HW_NOT_PRESENT to "Unavailable", e.SECURITY_UPDATE_REQUIRED to "Unavailable",
            e.NO_DEVICE_CREDENTIAL to "Unavailable", e.UNABLE_TO_PROCESS to "Failed", e.NO_SPACE to "Failed", e.VENDOR to "Failed", 99 to "Failed",
        )
        for ((code, want) in expected) check(name(code) == want) { "code $code: ${name(code)}, want $want" }
        check((e.toError(99, "odd") as app.scanpay.ffi.BiometricException.Failed).reason.contains("99"))
    }
}
