// ScanPay Kotlin bindings on the JVM, used the way an app uses them.
// Compiled with kotlinc against the generated bindings (plain JVM, JNA) and run by
// scripts/test-bindings.sh. Shares the JSON vectors under tests/vectors/.
package app.scanpay.test

import app.scanpay.ffi.*
import java.io.File
import java.nio.file.Files
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.spec.GCMParameterSpec
import java.security.SecureRandom
import kotlinx.coroutines.runBlocking

// ----- a minimal JSON reader (the JVM has none built in) -----
class Json(private val s: String) {
    private var i = 0
    fun parse(): Any? { ws(); val v = value(); ws(); return v }
    private fun ws() { while (i < s.length && s[i].isWhitespace()) i++ }
    private fun value(): Any? {
        ws()
        return when (s[i]) {
            '{' -> { i++; val m = LinkedHashMap<String, Any?>(); ws()
                if (s[i] == '}') { i++; return m }
                while (true) { ws(); val k = str(); ws(); i++; m[k] = value(); ws()
                    if (s[i++] == '}') return m } ; @Suppress("UNREACHABLE_CODE") m }
            '[' -> { i++; val l = ArrayList<Any?>(); ws()
                if (s[i] == ']') { i++; return l }
                while (true) { l.add(value()); ws(); if (s[i++] == ']') return l } ; @Suppress("UNREACHABLE_CODE") l }
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
                'n' -> sb.append('\n'); 't' -> sb.append('\t'); 'u' -> { sb.append(s.substring(i + 1, i + 5).toInt(16).toChar()); i += 4 }
                else -> sb.append(s[i]) } } else sb.append(s[i])
            i++
        }
        i++; return sb.toString()
    }
}
@Suppress("UNCHECKED_CAST") fun Any?.obj() = this as Map<String, Any?>
@Suppress("UNCHECKED_CAST") fun Any?.arr() = this as List<Any?>

// ----- platform implementations, as an app would write them -----
class AesKeyStore : PlatformKeyStore {
    private val key = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
    var calls = 0
    override fun wrap(alias: String, plaintext: ByteArray): ByteArray {
        calls++
        val iv = ByteArray(12).also { SecureRandom().nextBytes(it) }
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.ENCRYPT_MODE, key, GCMParameterSpec(128, iv)); c.updateAAD(alias.toByteArray())
        return iv + c.doFinal(plaintext)
    }
    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        calls++
        if (wrapped.size < 28) throw PlatformKeyStoreException.Rejected()
        val c = Cipher.getInstance("AES/GCM/NoPadding")
        c.init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(128, wrapped.copyOfRange(0, 12))); c.updateAAD(alias.toByteArray())
        return try { c.doFinal(wrapped.copyOfRange(12, wrapped.size)) } catch (e: Exception) { throw PlatformKeyStoreException.Rejected() }
    }
}
/** The AES key store, switchable to what a phone's key store reports when its key is gone
 *  (app data restored onto a new phone, Keystore wiped), and able to hold an unwrap at a gate. */
class SwitchableKeyStore : PlatformKeyStore {
    @Volatile var inner = AesKeyStore()
    @Volatile var unavailable = false
    @Volatile var gate: java.util.concurrent.CountDownLatch? = null
    val entered = java.util.concurrent.CountDownLatch(1)
    /** The platform has a different key now, and it works. */
    fun newPhone() { inner = AesKeyStore(); unavailable = false }
    private fun guard() { if (unavailable) throw PlatformKeyStoreException.Unavailable("key permanently invalidated") }
    override fun wrap(alias: String, plaintext: ByteArray): ByteArray { guard(); return inner.wrap(alias, plaintext) }
    override fun unwrap(alias: String, wrapped: ByteArray): ByteArray {
        guard()
        gate?.let { entered.countDown(); check(it.await(10, java.util.concurrent.TimeUnit.SECONDS)) { "gate never opened" } }
        return inner.unwrap(alias, wrapped)
    }
}
class Net(@Volatile var available: Boolean = true) : NetworkMonitor { override fun isNetworkAvailable() = available }
class Logs : LogSink { val lines = java.util.concurrent.CopyOnWriteArrayList<String>(); override fun log(level: LogLevel, message: String) { lines.add("$level $message") } }
class Statuses : StatusListener {
    val got = java.util.concurrent.CopyOnWriteArrayList<Pair<StatusSnapshot, String>>()
    override fun onStatus(status: StatusSnapshot) { got.add(status to Thread.currentThread().name) }
}
class States : FlowListener {
    val got = java.util.concurrent.CopyOnWriteArrayList<Pair<FlowState, String>>()
    override fun onState(state: FlowState) { got.add(state to Thread.currentThread().name) }
}

val ROOT = File(System.getenv("SCANPAY_ROOT") ?: ".")
val VECTORS = File(ROOT, "tests/vectors")
val FIXTURES = File(System.getenv("SCANPAY_FIXTURES") ?: "target/bindings/fixtures")
const val THB_CODE = "00020101021129370016A000000677010111011300668012345675802TH530376463046197"
val PIN = listOf(2, 5, 8, 0, 4, 7)
val OTHER_PIN = listOf(9, 3, 6, 1, 7, 4)

fun check(cond: Boolean, msg: () -> String = { "check failed" }) { if (!cond) throw AssertionError(msg()) }
inline fun <reified T : Throwable> raises(block: () -> Unit): T {
    try { block() } catch (e: Throwable) { if (e is T) return e; throw AssertionError("expected ${T::class.simpleName}, got $e") }
    throw AssertionError("expected ${T::class.simpleName}, nothing thrown")
}
fun PinPad.type(digits: List<Int>) = digits.forEachIndexed { i, d -> check(press(d.toUByte()) == (i + 1).toUInt()) }
// Every temp dir a test makes is removed when the JVM exits (exitProcess runs the hook).
val tmpDirs = java.util.concurrent.ConcurrentLinkedQueue<File>().also { dirs ->
    Runtime.getRuntime().addShutdownHook(Thread { dirs.forEach { it.deleteRecursively() } })
}
fun tmpDir(): File = Files.createTempDirectory("scanpay-kt").toFile().also { tmpDirs.add(it) }

fun config(dir: File, backend: BackendConfig? = null, roots: String? = null, currency: String = "THB",
           unverified: Boolean = true, timings: Timings? = null) = WalletConfig(
    dataDir = File(dir, "wallet").path,
    rootsJson = roots ?: File(VECTORS, "trust/roots.json").readText(),
    backend = backend,
    limits = listOf(CurrencyLimits(currency, 100_000u, 200_000u, 0u, 0u)),
    allowOfflinePayments = false, allowUnverifiedMerchants = unverified, timings = timings)

fun enrol(w: Wallet, digits: List<Int> = PIN): ByteArray = PinPad().use { pad ->
    pad.type(digits); val key = runBlocking { w.enrol(pad) }; check(pad.count() == 0u) { "pad wiped" }; key
}

/** Runs [block] on a thread; fails (instead of hanging the suite) if it does not finish in time. */
fun <T> inThread(timeoutSecs: Long = 10, block: () -> T): T {
    val out = java.util.concurrent.CompletableFuture<T>()
    Thread { try { out.complete(block()) } catch (e: Throwable) { out.completeExceptionally(e) } }.apply { isDaemon = true; start() }
    return try { out.get(timeoutSecs, java.util.concurrent.TimeUnit.SECONDS) }
    catch (e: java.util.concurrent.TimeoutException) { throw AssertionError("still running after $timeoutSecs s (deadlock?)") }
    catch (e: java.util.concurrent.ExecutionException) { throw e.cause!! }
}

/** A journalled payment, the way an app makes one (no backend: NotSent). */
fun notSentPayment(w: Wallet, amount: String = "1.00"): String = w.newFlow().use { flow ->
    toPin(flow, THB_CODE, amount)
    PIN.forEach { flow.pressPinDigit(it.toUByte()) }
    val end = runBlocking { flow.process(null) }
    check(end is FlowState.Failed && end.reason is FailureReason.NotSent) { "$end" }
    (end as FlowState.Failed).paymentId!!
}

/** A journalled payment without a backend: NotSent while the wallet thinks it is online,
 *  queued offline once the unreachable sends made it Offline (needs offline payments allowed). */
fun anyPayment(w: Wallet, amount: String = "1.00"): String = w.newFlow().use { flow ->
    toPin(flow, THB_CODE, amount)
    var s: FlowState? = null
    PIN.forEach { s = flow.pressPinDigit(it.toUByte()) }
    // Online: Processing until sent (NotSent here). Offline: queued, Pending at once.
    check(s is FlowState.Processing || s is FlowState.Pending) { "$s" }
    if (s is FlowState.Processing) runBlocking { flow.process(null) }
    flow.paymentId()!!
}

fun toPin(flow: PaymentFlow, text: String, amount: String): FlowState {
    var s = flow.handle(FlowIntent.ScannedText(text))
    check(s is FlowState.ReviewMerchant && s.review.payable) { "review: $s" }
    s = flow.handle(FlowIntent.Proceed)
    s = flow.handle(FlowIntent.EditAmount(amount)) as FlowState.EnterAmount
    s = flow.handle(FlowIntent.Confirm(s.breakdown!!.total))
    check(s is FlowState.EnterPin && s.digits == 0u)
    return s
}


// ----- the attack corpus (tests/fixtures/attacks), as an app calls the bindings -----
// The same manifest core/tests/it/attacks.rs asserts through the core; every case is
// checked here through the Kotlin API an app uses (TrustChecker + applyRegistry +
// verify, classify, QrScanner.scan). What the bindings cannot express is noted per
// case and printed with the counts; a case neither checked nor in EXPECTED_SKIPS fails.
val ATTACKS = File(ROOT, "tests/fixtures/attacks")
val ATTACK_KINDS = listOf("verify", "replay", "registry", "classify", "image")
// Cases the bindings cannot express at all (name to reason). Empty: every case is checked.
val EXPECTED_SKIPS = mapOf<String, String>()

fun attackManifest() = Json(File(ATTACKS, "manifest.json").readText()).parse().obj()
fun Any?.long() = this as Long
fun attackText(c: Map<String, Any?>): String = (c["text"] as String?) ?: c["text_repeat"].obj().let { r ->
    (r["prefix"] as String? ?: "") + (r["unit"] as String).repeat(r["count"].long().toInt())
}
/** `FrameTooSmall` / `EMV_MPM` to `frame-too-small` / `emv-mpm`. */
fun kebab(name: String): String =
    if (name.contains('_') || name.all { !it.isLowerCase() }) name.lowercase().replace('_', '-')
    else name.replace(Regex("(?<=[a-z0-9])([A-Z])"), "-$1").lowercase()
fun verdictOutcome(v: Verdict): Map<String, Any?> = when (v) {
    is Verdict.Verified -> mapOf("verdict" to "verified", "registered_name" to v.merchant.registeredName)
    is Verdict.Unverified -> mapOf("verdict" to "unverified", "reason" to reasonCode(v.reason))
}
fun flagCode(f: LinkFlag): String = if (f is LinkFlag.Lookalike) "lookalike:${f.brand}" else kebab(f::class.simpleName!!)
fun scanOutcome(scanner: QrScanner, luma: ByteArray, w: Int, h: Int): Map<String, Any?> = try {
    mapOf("codes" to scanner.scan(luma, w.toUInt(), h.toUInt(), w.toUInt(), 0u, null).size.toLong())
} catch (e: ScanException) { mapOf("error" to kebab(e::class.simpleName!!)) }
/** A corpus PNG (8-bit greyscale) decoded with ImageIO, as an app would on the JVM. */
fun pngLuma(f: File): Triple<ByteArray, Int, Int> {
    val img = javax.imageio.ImageIO.read(f) ?: throw AssertionError("$f: not decodable")
    val raster = img.raster
    check(raster.numBands == 1 && raster.sampleModel.getSampleSize(0) == 8) { "$f: not 8-bit greyscale" }
    val px = raster.getPixels(0, 0, img.width, img.height, null as IntArray?)
    return Triple(ByteArray(px.size) { px[it].toByte() }, img.width, img.height)
}
/** The frame a `generate` case describes (the manifest's LCG for noise). */
fun generatedLuma(g: Map<String, Any?>): Triple<ByteArray, Int, Int> {
    val w = g["width"].long().toInt(); val h = g["height"].long().toInt(); val n = w * h
    val data = when (g["fill"]) {
        "black" -> ByteArray(n)
        "white" -> ByteArray(n) { 0xFF.toByte() }
        "noise" -> { var s = g["seed"].long()
            ByteArray(n) { s = s * 6364136223846793005L + 1442695040888963407L; (s ushr 56).toByte() } }
        else -> throw AssertionError("fill ${g["fill"]}")
    }
    return Triple(data, w, h)
}

class AttackRunner(val m: Map<String, Any?>) {
    private val setup = m["setup"].obj()
    val roots = File(ATTACKS, setup["roots"] as String).readText()
    val notes = LinkedHashMap<String, String>()
    /** A fresh checker set up as the manifest says (so a fresh replay memory). */
    fun checker(): TrustChecker = TrustChecker(roots).also { c ->
        setup["registry"].arr().forEach { c.applyRegistry(File(ATTACKS, it as String).readBytes(), setup["registry_now"].long().toULong()) }
    }
    fun run(c: Map<String, Any?>) {
        val name = c["name"] as String
        val exp = c["expect"].obj()
        when (c["kind"]) {
            "verify" -> {
                val got = checker().use { verdictOutcome(it.verify(attackText(c), c["now"].long().toULong())) }
                check(got == exp) { "got $got" }
            }
            "replay" -> {
                // TrustChecker keeps its replay memory in process; the SQLite-backed
                // memory lives only inside a Wallet, which verifies with the system
                // clock (the corpus codes are dated): a `restart` case is asserted
                // for its in-process part only.
                val now = c["now"].long().toULong()
                val got = checker().use { k ->
                    mapOf("first" to verdictOutcome(k.verify(c["text"] as String, now)),
                          "second" to verdictOutcome(k.verify(c["text"] as String, now + 1u)))
                }
                check(got == exp) { "got $got" }
                if (c["restart"] == true) notes[name] = "replay restart: in-process part only (no persistent replay memory outside a Wallet)"
            }
            "registry" -> {
                var last: String? = null
                TrustChecker(roots).use { k ->
                    for (d in c["documents"].arr()) {
                        last = try { k.applyRegistry(File(ATTACKS, d as String).readBytes(), c["now"].long().toULong()); null }
                        catch (e: TrustException.Registry) { e.code }
                    }
                }
                val got = if (last == null) mapOf("applied" to true) else mapOf("applied" to false, "error" to last)
                check(got == exp) { "got $got" }
            }
            "classify" -> {
                val got = classify(attackText(c))
                check(kebab(got.kind.name) == exp["kind"]) { "kind ${got.kind}" }
                if (exp.containsKey("error")) {
                    check(!got.problem.isNullOrEmpty()) { "expected a problem (${exp["error"]}), got none" }
                    check(got.problemCode == exp["error"]) { "problem code ${got.problemCode}, expected ${exp["error"]}" }
                    check(got.merchant == null && got.consumer == null && got.link == null) { "$got" }
                } else {
                    check(got.problem == null) { "problem ${got.problem}" }
                    val part: Any? = when (exp["kind"]) { "emv-mpm" -> got.merchant; "emv-cpm" -> got.consumer; "url" -> got.link; else -> Unit }
                    check(part != null) { "$got" }
                }
                if (exp.containsKey("flags")) {
                    val flags = got.link!!.flags.map { flagCode(it) }
                    check(flags == exp["flags"].arr()) { "flags $flags" }
                }
            }
            "image" -> {
                val (luma, w, h) = (c["file"] as String?)?.let { pngLuma(File(ATTACKS, it)) } ?: generatedLuma(c["generate"].obj())
                // Default options (the manifest's contract: the live-camera scanner),
                // and the gallery-import scanner must agree on these frames.
                for (make in listOf({ QrScanner() }, { QrScanner.forStillImages() })) {
                    val got = make().use { scanOutcome(it, luma, w, h) }
                    check(got == exp) { "got $got" }
                }
            }
            else -> throw AssertionError("unknown kind ${c["kind"]}")
        }
    }
}

val tests = linkedMapOf<String, () -> Unit>(
    "classify" to {
        val mpm = classify(THB_CODE)
        check(mpm.kind == PayloadKind.EMV_MPM && mpm.problem == null && mpm.merchant!!.currency == "THB")
        val damaged = classify(THB_CODE.dropLast(1) + "8")
        check(damaged.problem != null && damaged.problemCode == "mpm/bad-crc") { "$damaged" }
        val link = classify("http://paypa1.com/login")
        check(link.kind == PayloadKind.URL && LinkFlag.NotHttps in link.link!!.flags)
        check(classify("hello").kind == PayloadKind.TEXT)
    },
    "trust vectors" to {
        val doc = Json(File(VECTORS, "trust/cases.json").readText()).parse().obj()
        val roots = File(VECTORS, "trust/" + doc["roots"]).readText()
        TrustChecker(roots).use { c ->
            c.applyRegistry(File(VECTORS, "trust/" + doc["registry"]).readBytes(), (doc["registry_now"] as Long).toULong())
            for (case in doc["cases"].arr().map { it.obj() }) {
                val v = c.verify(case["payload"] as String, (case["now"] as Long).toULong())
                val exp = case["expect"].obj()
                if (exp["verdict"] == "verified") {
                    check(v is Verdict.Verified) { "${case["name"]}: $v" }
                    val m = (v as Verdict.Verified).merchant
                    check(m.registeredName == exp["registered_name"] && m.keyId == exp["key_id"]) { "${case["name"]}" }
                    check(m.warnings.map { warningCode(it) } == exp["warnings"].arr()) { "${case["name"]} warnings" }
                } else {
                    check(v is Verdict.Unverified && reasonCode(v.reason) == exp["reason"]) { "${case["name"]}: $v" }
                }
            }
        }
        for (case in doc["registry_cases"].arr().map { it.obj() }) {
            TrustChecker(roots).use { c ->
                val docs = case["documents"].arr().map { File(VECTORS, "trust/$it").readBytes() }
                val now = (case["now"] as Long).toULong()
                docs.dropLast(1).forEach { c.applyRegistry(it, now) }
                val expected = case["expect_error"]
                if (expected == null) c.applyRegistry(docs.last(), now)
                else check(raises<TrustException.Registry> { c.applyRegistry(docs.last(), now) }.code == expected) { "${case["name"]}" }
            }
        }
    },
    "scan luma frames" to {
        QrScanner().use { scanner ->
            for (f in Json(File(FIXTURES, "frames.json").readText()).parse().obj()["frames"].arr().map { it.obj() }) {
                val data = File(FIXTURES, f["file"] as String).readBytes()
                val codes = scanner.scan(data, (f["width"] as Long).toUInt(), (f["height"] as Long).toUInt(),
                    (f["row_stride"] as Long).toUInt(), (f["rotation_degrees"] as Long).toUInt(), null)
                check(codes.map { it.text } == listOf(f["payload"])) { "${f["name"]}: $codes" }
                check(codes[0].corners.size == 4)
            }
            raises<ScanException.StrideTooSmall> { scanner.scan(ByteArray(10000), 100u, 100u, 50u, 0u, null) }
            raises<ScanException.InvalidRotation> { scanner.scan(ByteArray(10000), 100u, 100u, 100u, 45u, null) }
            raises<ScanException.DataTooShort> { scanner.scan(ByteArray(10), 100u, 100u, 100u, 0u, null) }
        }
    },
    "pin pad" to {
        PinPad().use { pad ->
            check(pad.press(1u) == 1u && pad.backspace() == 0u)
            raises<PinException.NotADigit> { pad.press(10u) }
            pad.type(PIN); raises<PinException.PadFull> { pad.press(1u) }
        }
    },
    "enrol, verify, change PIN" to {
        val dir = tmpDir()
        Wallet.open(config(dir), AesKeyStore(), Net(), Logs()).use { w ->
            check(!w.isEnrolled())
            PinPad().use { weak -> weak.type(listOf(1, 1, 1, 1, 1, 1)); raises<PinException.Rejected> { runBlocking { w.enrol(weak) } } }
            check(enrol(w).size == 32 && w.isEnrolled())
            raises<PinException.AlreadyEnrolled> { enrol(w) }
            PinPad().use { wrong -> wrong.type(OTHER_PIN)
                check(raises<PinException.WrongPin> { runBlocking { w.verifyPin(wrong) } }.attemptsLeft >= 1u) }
            PinPad().use { old -> PinPad().use { new -> old.type(PIN); new.type(OTHER_PIN); runBlocking { w.changePin(old, new) } } }
            PinPad().use { p -> p.type(OTHER_PIN); runBlocking { w.verifyPin(p) } }
            check(w.authStatus().failures == 0u)
        }
    },
    "changePin with the same pad is a typed error" to {
        Wallet.open(config(tmpDir()), AesKeyStore(), null, null).use { w ->
            enrol(w)
            PinPad().use { pad ->
                pad.type(PIN)
                val started = System.nanoTime()
                inThread { raises<PinException.SamePinPad> { runBlocking { w.changePin(pad, pad) } } }
                // Refused before any key derivation (which alone takes ~0.15 s).
                check(System.nanoTime() - started < 2_000_000_000L) { "slow" }
                check(pad.count() == 0u) { "pad wiped" }
            }
            check(w.authStatus().failures == 0u) { "nothing counted" }
            PinPad().use { p -> p.type(PIN); runBlocking { w.verifyPin(p) } }
        }
    },
    "pad not locked while the PIN is checked" to {
        val ks = SwitchableKeyStore()
        Wallet.open(config(tmpDir()), ks, null, null).use { w ->
            enrol(w)
            PinPad().use { pad ->
                pad.type(PIN)
                ks.gate = java.util.concurrent.CountDownLatch(1)
                val verify = java.util.concurrent.CompletableFuture<Unit>()
                Thread { try { runBlocking { w.verifyPin(pad) }; verify.complete(Unit) } catch (e: Throwable) { verify.completeExceptionally(e) } }.start()
                check(ks.entered.await(10, java.util.concurrent.TimeUnit.SECONDS)) { "verify never reached the key store" }
                // The worker is inside the key store call: the UI thread can still use the pad.
                check(inThread(5) { pad.count() } == 0u) { "digits moved out" }
                check(inThread(5) { pad.press(1u) } == 1u)
                ks.gate!!.countDown()
                verify.get(10, java.util.concurrent.TimeUnit.SECONDS)
                check(pad.count() == 0u) { "pad empty after the call" }
            }
        }
    },
    "unusable device key: reset and enrol again" to {
        val ks = SwitchableKeyStore()
        Wallet.open(config(tmpDir()), ks, Net(), null).use { w ->
            val oldKey = enrol(w)
            val paid = notSentPayment(w)
            // The app data was restored onto a new phone: the platform key is gone.
            ks.unavailable = true
            PinPad().use { p -> p.type(PIN); raises<PinException.DeviceKeyUnusable> { runBlocking { w.verifyPin(p) } } }
            raises<PinException.DeviceKeyUnusable> { w.devicePublicKey() }
            w.newFlow().use { flow ->
                toPin(flow, THB_CODE, "1.00")
                PIN.dropLast(1).forEach { flow.pressPinDigit(it.toUByte()) }
                raises<FlowException.DeviceKeyUnusable> { flow.pressPinDigit(PIN.last().toUByte()) }
            }
            val stuck = w.authStatus()
            check(stuck.enrolled && stuck.failures == 0u && !stuck.disabled) { "$stuck" }
            raises<PinException.AlreadyEnrolled> { enrol(w, OTHER_PIN) }
            w.resetDeviceKey()
            check(!w.authStatus().enrolled && !w.isEnrolled() && w.devicePublicKey() == null)
            ks.newPhone()
            val newKey = enrol(w, OTHER_PIN)
            check(newKey.size == 32 && !newKey.contentEquals(oldKey))
            PinPad().use { p -> p.type(OTHER_PIN); runBlocking { w.verifyPin(p) } }
            check(w.devicePublicKey()!!.contentEquals(newKey))
            check(w.history(10u, null).map { it.id } == listOf(paid)) { "journal kept" }
        }
    },
    "historyPage keeps payments of the same second" to {
        val cfg = config(tmpDir()).let { c ->
            c.copy(allowOfflinePayments = true, limits = listOf(c.limits[0].copy(offlinePerPayment = 100_000u, offlineTotal = 200_000u)))
        }
        // A frozen clock: the payments share their second however slow the
        // machine (a loop waiting for two to fall in one second flaked under load).
        val clock = TestClock()
        Wallet.openWithTestClock(cfg, AesKeyStore(), Net(), null, clock).use { w ->
            enrol(w)
            clock.freeze()
            val made = ArrayList<String>()
            repeat(4) { made.add(anyPayment(w)) }
            val all = w.history(100u, null)
            check(all.map { it.createdAt }.let { it.toSet().size < it.size }) { "no two payments in the same second" }
            val newestFirst = all.map { it.id }
            check(newestFirst.sorted() == made.sorted())
            for (limit in 1..3) {
                val got = ArrayList<String>()
                var cursor: HistoryCursor? = null
                do {
                    val page = w.historyPage(limit.toUInt(), cursor)
                    check(page.payments.size <= limit)
                    got += page.payments.map { it.id }
                    cursor = page.next
                    if (cursor != null) check(cursor.createdAt == page.payments.last().createdAt)
                } while (cursor != null)
                check(got == newestFirst) { "limit $limit: $got != $newestFirst" }
            }
            // Why history(limit, before) must not be used for paging: it skips.
            val naive = ArrayList<String>(); var before: ULong? = null
            while (true) { val r = w.history(1u, before); if (r.isEmpty()) break; naive += r[0].id; before = r[0].createdAt }
            check(naive.size < newestFirst.size)
        }
    },
    "limits, offline policy and currency are typed flow errors" to {
        fun confirmIn(cfg: WalletConfig, online: Boolean, amount: String) {
            Wallet.open(cfg, AesKeyStore(), Net(online), null).use { w ->
                enrol(w)
                w.newFlow().use { flow ->
                    flow.handle(FlowIntent.ScannedText(THB_CODE))
                    flow.handle(FlowIntent.Proceed)
                    val s = flow.handle(FlowIntent.EditAmount(amount)) as FlowState.EnterAmount
                    flow.handle(FlowIntent.Confirm(s.breakdown!!.total))
                }
            }
        }
        val low = config(tmpDir()).let { it.copy(limits = listOf(it.limits[0].copy(perPayment = 1_000u))) }
        val e = raises<FlowException.LimitExceeded> { confirmIn(low, true, "12.50") }
        check(e.message!!.contains("10.00")) { "${e.message}" }
        raises<FlowException.OfflineNotAllowed> { confirmIn(config(tmpDir()), false, "1.00") }
        raises<FlowException.CurrencyNotAllowed> { confirmIn(config(tmpDir(), currency = "SGD"), true, "1.00") }
    },
    "typed open errors" to {
        raises<WalletException.Roots> { Wallet.open(config(tmpDir(), roots = "[]"), AesKeyStore(), null, null) }
        val bad = BackendConfig("http://example.invalid", "", emptyList(), false, 0u, 0u)
        raises<WalletException.BackendConfig> { Wallet.open(config(tmpDir(), backend = bad), AesKeyStore(), null, null) }
    },
    "status callbacks from Rust threads" to {
        val net = Net(true)
        Wallet.open(config(tmpDir()), AesKeyStore(), net, null).use { w ->
            val listener = Statuses()
            w.subscribeStatus(listener).use { sub ->
                w.setNetworkAvailable(false)
                check(listener.got.last().first.connectivity is ConnectivityStatus.Offline)
                check(listener.got.last().second == Thread.currentThread().name)
                w.setNetworkAvailable(true)
                net.available = false
                runBlocking { w.start() }
                val (status, thread) = listener.got.last()
                // A Rust thread: JNA attaches it to the JVM under its own name ("Thread-N").
                check(status.connectivity is ConnectivityStatus.Offline && thread != Thread.currentThread().name) { "$thread" }
                check(sub.cancel())
            }
        }
    },
    "payment flow without a backend" to {
        val logs = Logs()
        Wallet.open(config(tmpDir()), AesKeyStore(), Net(), logs).use { w ->
            enrol(w)
            w.newFlow().use { flow ->
                raises<FlowException.InvalidIntent> { flow.handle(FlowIntent.Proceed) }
                raises<FlowException.NotAMerchantCode> { flow.handle(FlowIntent.ScannedText("https://example.com")) }
                val pin = toPin(flow, THB_CODE, "12.50") as FlowState.EnterPin
                check(formatMoney(pin.breakdown.total) == "THB\u00a012.50") { formatMoney(pin.breakdown.total) }  // CLDR English
                PIN.dropLast(1).forEach { flow.pressPinDigit(it.toUByte()) }
                check(flow.pressPinDigit(PIN.last().toUByte()) is FlowState.Processing)
                val states = States()
                val end = runBlocking { flow.process(states) }
                check(end is FlowState.Failed && end.reason is FailureReason.NotSent && end.retry == RetryOption.SameId) { "$end" }
                val id = (end as FlowState.Failed).paymentId!!
                check(w.history(10u, null).single().state == PaymentState.NOT_SENT)
                flow.handle(FlowIntent.Cancel)
                check(w.payment(id)!!.state == PaymentState.CANCELLED)
            }
        }
        // The digits went in through pressPinDigit (no FlowIntent, whose toString() prints
        // its fields, can hold one) and the log names the intent and state only.
        val digitLines = logs.lines.filter { "pin-digit" in it }
        check(digitLines.size == PIN.size) { "$digitLines" }
        check(digitLines.none { line -> line.any { it.isDigit() } }) { "$digitLines" }
        check(logs.lines.none { PIN.joinToString("") in it }) { "${logs.lines}" }
    },
    "close frees Rust objects" to {
        System.gc()
        val before = liveObjectCount()
        Wallet.open(config(tmpDir()), AesKeyStore(), null, null).use { w ->
            w.newFlow().use { PinPad().use { QrScanner().use { w.subscribeStatus(Statuses()).use {
                check(liveObjectCount() == before + 5u) } } } }
        }
        check(liveObjectCount() == before) { "leaked ${liveObjectCount() - before}" }
    },
    "attack corpus" to {
        val m = attackManifest()
        check(m["format"] == 1L)
        val cases = m["cases"].arr().map { it.obj() }
        val runner = AttackRunner(m)
        val checked = ATTACK_KINDS.associateWith { 0 }.toMutableMap()
        val failures = ArrayList<String>(); val skipped = ArrayList<Pair<String, String>>()
        for (c in cases) {
            val name = c["name"] as String
            val skip = EXPECTED_SKIPS[name]
            if (skip != null) { skipped.add(name to skip); continue }
            try {
                runner.run(c); checked[c["kind"] as String] = checked.getValue(c["kind"] as String) + 1
            } catch (e: Throwable) { failures.add("$name (${c["kind"]}): $e") }
        }
        val total = checked.values.sum()
        println("attack corpus (Kotlin): $total/${cases.size} cases checked: " + checked.entries.joinToString(", ") { "${it.key} ${it.value}" })
        skipped.forEach { println("  skipped ${it.first}: ${it.second}") }
        runner.notes.entries.groupBy({ it.value }, { it.key }).forEach { (note, names) -> println("  partially expressible: ${names.size} cases: $note") }
        check(failures.isEmpty()) { failures.joinToString("\n") }
        check(total + skipped.size == cases.size) { "$total checked + ${skipped.size} skipped != ${cases.size}" }
        check(EXPECTED_SKIPS.keys.all { k -> cases.any { it["name"] == k } }) { "stale EXPECTED_SKIPS" }
    },
    "no attack case verifies" to {
        // Every text in the corpus, classified and verified with a fresh checker:
        // only the cases whose expectation is `verified` may verify.
        val m = attackManifest()
        val runner = AttackRunner(m)
        var seen = 0
        for (c in m["cases"].arr().map { it.obj() }) {
            if (!c.containsKey("text") && !c.containsKey("text_repeat")) continue
            val text = attackText(c)
            classify(text)
            val now = ((c["now"] ?: m["setup"].obj()["registry_now"]) as Long).toULong()
            val v = runner.checker().use { it.verify(text, now) }
            val exp = c["expect"].obj()
            val benign = exp["verdict"] == "verified" || (exp["first"] as Map<*, *>?)?.get("verdict") == "verified"
            check(v !is Verdict.Verified || benign) { "${c["name"]}: verified" }
            seen++
        }
        check(seen >= 50) { "$seen" }
    },
    // ----- words and locales (issue 13, ADR 0024); the locale is process-wide: back to English after each -----
    "set_locales negotiates (POSIX names, legacy codes, Traditional Chinese skipped, English last)" to {
        try {
            for ((tags, want) in listOf(listOf("zh_SG.UTF-8") to "zh-Hans-SG", listOf("in") to "id",
                    listOf("zh-TW", "ms") to "ms", emptyList<String>() to "en", listOf("en-XA") to "en-XA")) {
                check(setLocales(tags) == want && currentLocale() == want) { "$tags -> ${currentLocale()}" }
            }
        } finally { setLocales(emptyList()) }
    },
    "a wrong PIN's text in four languages, with its attempts; amounts the CLDR way" to {
        try {
            Wallet.open(config(tmpDir()), AesKeyStore(), null, null).use { w ->
                enrol(w)
                val e = raises<PinException.WrongPin> { PinPad().use { p -> p.type(OTHER_PIN); runBlocking { w.verifyPin(p) } } }
                val texts = listOf("en", "zh-Hans", "ms", "id").associateWith { tag ->
                    setLocales(listOf(tag))
                    val t = e.text()
                    check(t.id == "pin-wrong" && t.args.single().name == "attempts_left") { "$t" }
                    check(t.args.single().value == TextValue.Count(e.attemptsLeft.toULong())) { "$t" }
                    check(t.text.contains(e.attemptsLeft.toString())) { "$t" }
                    t.text
                }
                check(Regex("[\u4e00-\u9fff]").containsMatchIn(texts["zh-Hans"]!!)) { "$texts" }
                check(texts.values.toSet().size == 4) { "$texts" }
                // A flat error's message is the catalogue's, in the language of the moment.
                setLocales(listOf("id"))
                val flat = raises<FlowException.InvalidIntent> { w.newFlow().use { it.handle(FlowIntent.Proceed) } }
                setLocales(listOf("en"))
                val flatEn = raises<FlowException.InvalidIntent> { w.newFlow().use { it.handle(FlowIntent.Proceed) } }
                check(flat.message!!.isNotBlank() && flat.message != flatEn.message && !flatEn.message!!.contains("proceed")) { "${flat.message} / ${flatEn.message}" }
            }
            for ((tag, money, text) in listOf(
                    Triple("en", Money(1250u, "SGD", 2u), "SGD\u00a012.50"), Triple("en-SG", Money(1250u, "SGD", 2u), "\$12.50"),
                    Triple("zh-Hans", Money(1250u, "CNY", 2u), "\u00a512.50"), Triple("id", Money(1_250_000u, "IDR", 2u), "Rp\u00a012.500"))) {
                setLocales(listOf(tag))
                val a = amountText(money)
                check(a.text == text && formatMoney(money) == text && a.currency == money.currency) { "$tag: $a" }
                check(a.integerPart == (if (money.currency == "IDR") "12500" else "12") && a.fractionPart == (if (money.currency == "IDR") "" else "50")) { "$tag: $a" }
            }
            // Counts only: the pad's digits never reach the screen reader's text.
            PinPad().use { pad ->
                PIN.forEachIndexed { i, d ->
                    val t = pinEntryText(pad.press(d.toUByte()), 6u)
                    check(t.id == (if (i == 5) "a11y-pin-complete" else "a11y-pin-digits-entered")) { "$t" }
                    check(i < 1 || !t.text.contains(PIN.take(i + 1).joinToString(""))) { "$t" }
                }
            }
        } finally { setLocales(emptyList()) }
    },
    "state_text names the merchant and the amount in zh-Hans" to {
        try {
            setLocales(listOf("zh-Hans"))
            Wallet.open(config(tmpDir()), AesKeyStore(), Net(), null).use { w ->
                enrol(w)
                w.newFlow().use { flow ->
                    check(flow.stateText().id == "flow-scanning")
                    val s = toPin(flow, THB_CODE, "12.50") as FlowState.EnterPin
                    val t = flow.stateText()
                    val amount = amountText(s.breakdown.total).text
                    check(t.id == "flow-enter-pin" && t.text.contains(amount) && Regex("[\u4e00-\u9fff]").containsMatchIn(t.text)) { "$t" }
                    check(t.args.map { it.name } == listOf("amount", "merchant")) { "$t" }
                    check((t.args[0].value as TextValue.Amount).money == s.breakdown.total) { "$t" }
                }
            }
        } finally { setLocales(emptyList()) }
    },
    "every caption (labelText) and every text made from values (uiText) is written in every locale" to {
        try {
            val sgd = Money(350u, "SGD", 2u)
            val charge = PendingCharge("c-1", ChargeMerchant("m-1", "Kopi Corner", true), sgd, null)
            val paid = ChargeOutcome.Paid("R-77")
            val texts = listOf(
                UiText.PaycodeRefresh(12u, false) to "paycode-next-code",
                UiText.PaycodeRefresh(1u, true) to "paycode-next-code-offline",
                UiText.ChargeRequest(charge) to "paycode-charge-request",
                UiText.ChargeTitle(paid) to "receipt-paid",
                UiText.ChargeTitle(ChargeOutcome.Closed) to "receipt-failed",
                UiText.ChargeResult("Kopi Corner", sgd, paid, false) to "paycode-charge-paid-receipt",
                UiText.ChargeResult("Kopi Corner", sgd, ChargeOutcome.Closed, true) to "paycode-charge-declined",
                // A decline that found the charge paid (its confirmation's answer was lost) says paid.
                UiText.ChargeResult("Kopi Corner", sgd, paid, true) to "paycode-charge-paid-receipt",
                UiText.ShortcutLapsed(LapsedShortcut(Shortcut.Biometric, ShortcutLapse.PIN_CHANGED, 0u)) to "shortcut-lapsed-biometric-pin-changed",
                UiText.BiometricSetting(BiometricAvailability.LOCKED_OUT) to "shortcut-settings-biometric-locked",
                UiText.PinFreeOffer(PinFreeLimits("SGD", 2000u, 10000u, 10u)) to "shortcut-pin-free-offer",
                UiText.Reference("5f0c2a9e-0000-4000-8000-000000000001") to "receipt-reference",
                UiText.Total(sgd) to "receipt-total",
                UiText.Tip(Money(50u, "SGD", 2u)) to "receipt-tip",
            )
            val pay = mutableMapOf<String, String>()
            for (tag in listOf("en", "zh-Hans", "ms", "id", "en-XA")) {
                setLocales(listOf(tag))
                val labels = UiLabel.entries.map { labelText(it) }
                check(labels.map { it.id }.toSet().size == labels.size) { "$tag: $labels" }
                check(labels.all { it.text.isNotBlank() && !it.text.contains('{') }) { "$tag: $labels" }
                for ((text, id) in texts) {
                    val t = uiText(text)
                    check(t.id == id && t.text.isNotBlank() && !t.text.contains('{')) { "$tag: $text -> $t" }
                }
                pay[tag] = labelText(UiLabel.PAY).text
            }
            check(pay.values.toSet().size >= 4 && Regex("[\u4e00-\u9fff]").containsMatchIn(pay["zh-Hans"]!!)) { "$pay" }
            setLocales(listOf("en"))
            check(uiText(UiText.ChargeResult("Kopi Corner", sgd, paid, false)).text ==
                "You paid SGD\u00a03.50 to \u2068Kopi Corner\u2069. Receipt \u2068R-77\u2069.")
            raises<FlowException.InvalidInput> { uiText(UiText.Total(Money(1u, "XYZ", 2u))) }
        } finally { setLocales(emptyList()) }
    },
)

fun sandboxTests(bin: String) {
    val dir = tmpDir()
    val proc = ProcessBuilder(bin, File(dir, "sandbox").path).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val out = proc.inputStream.bufferedReader(); val inp = proc.outputStream.bufferedWriter()
    val sb = Json(out.readLine()).parse().obj()
    fun command(c: String): String { inp.write(c + "\n"); inp.flush(); return out.readLine() }
    tests["e2e payment, decline, lost response (sandbox, TLS)"] = {
        val backend = BackendConfig(sb["base_url"] as String, sb["ca_pem"] as String, listOf(sb["spki_pin"] as String), true, 5000u, 5000u)
        val timings = Timings(1u, 20u, 3u, 1u)
        Wallet.open(config(tmpDir(), backend, sb["roots_json"] as String, sb["currency"] as String, false, timings), AesKeyStore(), Net(), Logs()).use { w ->
            check(runBlocking { w.syncRegistry() }!!.keyCount > 0u)
            enrol(w)
            // A wrong enrolment code is the backend's refusal (HTTP 403), not "offline".
            val refused = raises<WalletException.Refused> { runBlocking { w.registerDevice("NOT-A-CODE") } }
            check(refused.message!!.contains("403")) { "refusal: ${refused.message}" }
            runBlocking { w.registerDevice(sb["enrolment_code"] as String) }
            val statuses = Statuses()
            w.subscribeStatus(statuses).use {
                fun pay(payload: String, amount: String): Pair<FlowState, States> = w.newFlow().use { flow ->
                    toPin(flow, payload, amount)
                    PIN.forEach { flow.pressPinDigit(it.toUByte()) }
                    val states = States()
                    runBlocking { flow.process(states) } to states
                }
                val (ok, states) = pay(sb["payload_ok"] as String, "3.50")
                check(ok is FlowState.Done && ok.receipt.amount.minorUnits == 350uL) { "$ok" }
                val me = Thread.currentThread().name
                check(states.got.isNotEmpty() && states.got.all { it.second != me })
                check(statuses.got.any { it.second != me })
                val (declined, _) = pay(sb["payload_blocked"] as String, "1.00")
                check(declined is FlowState.Failed && declined.reason is FailureReason.Declined) { "$declined" }
                check(command("fault submit drop-after-commit") == "ok")
                val (resolved, st2) = pay(sb["payload_ok"] as String, "2.00")
                check(resolved is FlowState.Done) { "$resolved" }
                check(st2.got.any { (it.first as? FlowState.Processing)?.stage is Stage.Confirming })
            }
        }
    }
    tests["pay code: shown offline, charged by a till, reuse refused, PIN above the no-PIN amount (sandbox, TLS)"] = {
        paycodeEndToEnd(sb)
    }
    Runtime.getRuntime().addShutdownHook(Thread { runCatching { command("quit") }; proc.waitFor() })
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

fun tillCharge(sb: Map<String, Any?>, order: String, authCode: String, minor: Long) = till(sb, "POST", "/v1/merchant/paycode/charges",
    """{"out_trade_no":"$order","auth_code":"$authCode","amount":{"minor":$minor,"currency":"${sb["currency"]}"}}""")

/** The 18 digits in tag 5A (BCD) of the CPM text, read without the core. */
fun cpmToken(cpm: String): String {
    val raw = java.util.Base64.getDecoder().decode(cpm)
    val i = (0 until raw.size - 1).first { raw[it] == 0x5A.toByte() && raw[it + 1] == 0x09.toByte() }
    return raw.copyOfRange(i + 2, i + 11).joinToString("") { "%02x".format(it) }
}

/** What the sample app's Canvas does: a dark square per dark module, quiet zone around; as luma. */
fun drawQr(qr: QrMatrix, scale: Int = 4): Pair<ByteArray, Int> {
    val quiet = paycodeQrQuietModules().toInt(); val n = qr.size.toInt()
    val side = (n + 2 * quiet) * scale
    val luma = ByteArray(side * side) { 0xFF.toByte() }
    for (y in 0 until n) for (x in 0 until n) if (qr.modules[y * n + x])
        for (dy in 0 until scale) for (dx in 0 until scale) luma[((y + quiet) * scale + dy) * side + (x + quiet) * scale + dx] = 0
    return luma to side
}

fun paycodeEndToEnd(sb: Map<String, Any?>) {
    val backend = BackendConfig(sb["base_url"] as String, sb["ca_pem"] as String, listOf(sb["spki_pin"] as String), true, 5000u, 5000u)
    val net = Net(true)
    Wallet.open(config(tmpDir(), backend, sb["roots_json"] as String, sb["currency"] as String, false), AesKeyStore(), net, null).use { w ->
        check(runBlocking { w.syncRegistry() }!!.keyCount > 0u)
        enrol(w)
        runBlocking { w.registerDevice(sb["enrolment_code"] as String) }
        check(w.paycodeStatus().blocked == PaycodeBlock.NotProvisioned) { "${w.paycodeStatus()}" }
        val session = PinPad().use { pad -> pad.type(PIN); runBlocking { w.openPaycode(pad) }.also { check(pad.count() == 0u) { "pad wiped" } } }
        session.use {
            val st = w.paycodeStatus()
            check(st.provisioned && st.blocked == null && st.limits!!.noPinMax.minorUnits == 3000uL) { "$st" }
            // Offline: the code is made without the backend.
            net.available = false
            val shown = runBlocking { session.current() }
            check(shown.displayable && Regex("39\\d{16}").matches(shown.digits)) { "$shown" }
            check(shown.validUntil - shown.issuedAt <= 60uL && shown.refreshInSecs in 1uL..60uL)
            check(w.paycodeStatus().issuedSinceSync == 1u)
            check(runBlocking { session.current() }.counter == shown.counter) { "same code until it must change" }
            check(cpmToken(shown.cpmText) == shown.digits)
            val (luma, side) = drawQr(shown.qr)
            check(QrScanner.forStillImages().use { it.scan(luma, side.toUInt(), side.toUInt(), side.toUInt(), 0u, null) }.map { it.text } == listOf(shown.cpmText))
            check(shown.bars.size == 73 && shown.bars.sumOf { it.toInt() } == 134) { "Start C, 9 pairs, check, Stop" }
            session.setScreenCaptured(true)
            val hidden = runBlocking { session.current() }
            check(!hidden.displayable && hidden.digits.isEmpty() && hidden.qr.size == 0u && hidden.bars.isEmpty()) { "$hidden" }
            session.setScreenCaptured(false)
            // The cashier charges SGD 3.20 by the digits.
            val paid = tillCharge(sb, "KT-PC-1", shown.digits, 320)
            check(paid["state"] == "paid" && paid["receipt"] != null) { "$paid" }
            // Back online: one sync, the receipt is in the pay-code history.
            net.available = true
            val changed = runBlocking { w.syncPaycode(0uL) }
            check(changed.map { Triple(it.state, it.receipt, it.amount.minorUnits) } == listOf(Triple(ChargeState.PAID, paid["receipt"], 320uL))) { "$changed" }
            val hist = w.paycodeHistory()
            check(hist[0].receipt == paid["receipt"] && hist[0].method == AuthMethod.CODE && hist[0].merchant.id == sb["till_merchant"])
            check(w.paycodeStatus().issuedSinceSync == 0u)
            // Reused: refused code-used; the used code is replaced at once.
            val again = tillCharge(sb, "KT-PC-2", shown.digits, 320)
            check(again["state"] == "declined" && again["reason"] == "code-used") { "$again" }
            val next = runBlocking { session.current() }
            check(next.counter > shown.counter && next.digits != shown.digits)
            // SGD 45.00 by the QR form: waits for the phone's PIN.
            val waiting = tillCharge(sb, "KT-PC-3", next.cpmText, 4500)
            check(waiting["state"] == "userpaying" && waiting["expires_at"] != null) { "$waiting" }
            runBlocking { w.syncPaycode(5uL) }
            val pending = w.pendingCharges()
            check(pending.map { it.chargeId to it.amount.minorUnits } == listOf(waiting["charge_id"] to 4500uL)) { "$pending" }
            PinPad().use { wrong -> wrong.type(OTHER_PIN); raises<PaycodeException.WrongPin> { runBlocking { w.confirmCharge(pending[0].chargeId, wrong) } } }
            check(till(sb, "GET", "/v1/merchant/paycode/charges/KT-PC-3")["state"] == "userpaying")
            val outcome = PinPad().use { pad -> pad.type(PIN); runBlocking { w.confirmCharge(pending[0].chargeId, pad) } }
            check(outcome is ChargeOutcome.Paid) { "$outcome" }
            val query = till(sb, "GET", "/v1/merchant/paycode/charges/KT-PC-3")
            check(query["state"] == "paid" && query["receipt"] != null) { "$query" }
            runBlocking { w.syncPaycode(0uL) }
            check(w.pendingCharges().isEmpty())
            val newest = w.paycodeHistory()[0]
            check(newest.chargeId == waiting["charge_id"] && newest.state == ChargeState.PAID && newest.method == AuthMethod.CODE_AND_PIN &&
                newest.payerAnswer == PayerAnswer.CONFIRMED && newest.receipt == query["receipt"]) { "$newest" }
            session.end()
            raises<PaycodeException.Closed> { runBlocking { session.current() } }
        }
    }
}

// ----- shortcuts (issue 12): a biometric key written in Kotlin, PIN-free payments -----

/**
 * The biometric key as an app could write it on the JVM, over java.security:
 * P-256 from `KeyPairGenerator("EC")`, `SHA256withECDSA` (DER), the public key
 * as X.509 SubjectPublicKeyInfo (what Android's `getEncoded()` returns). A
 * second implementation of the interface, independent of the core's software
 * key: the signature it makes must verify in the core and in the sandbox.
 * The switches stand for the platform's outcomes.
 */
class JcaBiometricKey : BiometricKey {
    @Volatile private var pair: java.security.KeyPair? = null
    @Volatile var failNext: BiometricException? = null
    @Volatile var invalidated = false
    val prompts = java.util.concurrent.CopyOnWriteArrayList<Pair<BiometricPromptText, String>>()
    override fun availability() = BiometricAvailability.AVAILABLE
    override fun createKey(): ByteArray {
        val g = java.security.KeyPairGenerator.getInstance("EC").apply { initialize(java.security.spec.ECGenParameterSpec("secp256r1")) }
        val p = g.generateKeyPair()
        pair = p; invalidated = false
        return p.public.encoded
    }
    override fun sign(challenge: ByteArray, prompt: BiometricPromptText): ByteArray {
        prompts.add(prompt to Thread.currentThread().name)
        failNext?.let { failNext = null; throw it }
        if (invalidated) throw BiometricException.KeyInvalidated()
        val p = pair ?: throw BiometricException.KeyMissing()
        return java.security.Signature.getInstance("SHA256withECDSA").run { initSign(p.private); update(challenge); sign() }
    }
    override fun deleteKey() { pair = null }
}

fun shortcutTests(bin: String) {
    // A sandbox of its own: its clock moves a day forward here.
    val dir = tmpDir()
    val proc = ProcessBuilder(bin, File(dir, "sandbox").path).redirectError(ProcessBuilder.Redirect.INHERIT).start()
    val out = proc.inputStream.bufferedReader(); val inp = proc.outputStream.bufferedWriter()
    val sb = Json(out.readLine()).parse().obj()
    fun command(c: String): String { inp.write(c + "\n"); inp.flush(); return out.readLine() }
    fun order(amount: String, ref: String) = command("order M-0001 $amount $ref").also { check(!it.startsWith("error")) { it } }
    fun method(paymentId: String) = Json(command("payment $paymentId")).parse().obj()["method"]
    tests["shortcuts: biometric payment signed by a java.security key, cancel, invalidated key, PIN-free a day later (sandbox, TLS)"] = {
        val backend = BackendConfig(sb["base_url"] as String, sb["ca_pem"] as String, listOf(sb["spki_pin"] as String), true, 5000u, 5000u)
        val clock = TestClock()
        Wallet.openWithTestClock(config(tmpDir(), backend, sb["roots_json"] as String, sb["currency"] as String, false), AesKeyStore(), Net(), Logs(), clock).use { w ->
            check(runBlocking { w.syncRegistry() }!!.keyCount > 0u)
            enrol(w)
            runBlocking { w.registerDevice(sb["enrolment_code"] as String) }
            val key = JcaBiometricKey()
            val on = PinPad().use { pad -> pad.type(PIN); runBlocking { w.enableBiometric(pad, key) } }
            check(on.biometric && on.heldVersion != null) { "$on" }

            // Scan + confirm + touch, signed in Kotlin, verified by the core and the sandbox.
            fun toBiometric(flow: PaymentFlow, amount: String, ref: String): FlowState.ConfirmBiometric {
                val s = flow.handle(FlowIntent.ScannedText(order(amount, ref)))
                check(s is FlowState.ConfirmAmount) { "$s" }
                val b = flow.handle(FlowIntent.Confirm((s as FlowState.ConfirmAmount).breakdown.total))
                check(b is FlowState.ConfirmBiometric && b.problem == null) { "$b" }
                return b as FlowState.ConfirmBiometric
            }
            w.newFlow().use { flow ->
                toBiometric(flow, "4.50", "KT-BIO-1")
                val me = Thread.currentThread().name
                check(flow.handle(FlowIntent.AuthenticateBiometric) is FlowState.Processing)
                val end = runBlocking { flow.process(null) }
                check(end is FlowState.Done) { "$end" }
                val id = (end as FlowState.Done).paymentId
                check(w.payment(id)!!.method == PaymentAuthMethod.BIOMETRIC)
                check(method(id) == "biometric") { "sandbox: ${method(id)}" }
                val (prompt, thread) = key.prompts.last()
                check(prompt.title.contains("4.50") && thread == me) { "$prompt on $thread" }
            }
            // Cancelled: still on the confirm screen, nothing journalled.
            w.newFlow().use { flow ->
                toBiometric(flow, "2.00", "KT-BIO-2")
                key.failNext = BiometricException.Cancelled()
                val s = flow.handle(FlowIntent.AuthenticateBiometric)
                check(s is FlowState.ConfirmBiometric && s.problem != null && flow.paymentId() == null) { "$s" }
                flow.handle(FlowIntent.Cancel)
            }
            // A new enrolment: the PIN, with the reason; biometric confirmation lapses.
            w.newFlow().use { flow ->
                toBiometric(flow, "1.50", "KT-BIO-3")
                key.invalidated = true
                val s = flow.handle(FlowIntent.AuthenticateBiometric)
                check(s is FlowState.EnterPin && s.fallback?.reason == "biometric-failed" && s.fallback!!.detailCode == "key-invalidated") { "$s" }
                val st = w.shortcutStatus()
                check(!st.biometric && st.lapses.map { it.shortcut to it.reason } == listOf(Shortcut.Biometric to ShortcutLapse.KEY_INVALIDATED)) { "$st" }
                PIN.forEach { flow.pressPinDigit(it.toUByte()) }
                val end = runBlocking { flow.process(null) }
                check(end is FlowState.Done && w.payment((end as FlowState.Done).paymentId)!!.method == PaymentAuthMethod.PIN) { "$end" }
            }

            // PIN-free: opt in with the PIN; a day after the first payment to the merchant, scan + one tap.
            val offer = w.shortcutStatus().pinFreeOffers.first { it.caps.currency == sb["currency"] }
            PinPad().use { pad -> pad.type(PIN); runBlocking { w.enablePinFree(pad, offer.defaults) } }
            check(command("advance ${25 * 3600}").toLong() > 0)
            clock.advance((25 * 3600).toULong())
            val half = offer.defaults.perPayment / 2u
            w.newFlow().use { flow ->
                val s = flow.handle(FlowIntent.ScannedText(order("${half / 100u}.${(half % 100u).toString().padStart(2, '0')}", "KT-FREE-1")))
                check(s is FlowState.ConfirmPinFree) { "$s" }
                check(flow.handle(FlowIntent.Confirm((s as FlowState.ConfirmPinFree).breakdown.total)) is FlowState.Processing)
                val end = runBlocking { flow.process(null) }
                check(end is FlowState.Done) { "$end" }
                val id = (end as FlowState.Done).paymentId
                check(w.payment(id)!!.method == PaymentAuthMethod.PIN_FREE && method(id) == "pin-free") { "${method(id)}" }
            }
        }
    }
    Runtime.getRuntime().addShutdownHook(Thread { runCatching { command("quit") }; proc.waitFor() })
}

fun main() {
    System.getenv("SCANPAY_SANDBOX_BIN")?.let { sandboxTests(it); shortcutTests(it) }
    var passed = 0; var failed = 0
    for ((name, t) in tests) {
        try { t(); passed++; println("PASS $name") }
        catch (e: Throwable) { failed++; println("FAIL $name: $e"); e.printStackTrace() }
    }
    println("$passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}
