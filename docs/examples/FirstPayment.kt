// A first payment through the ScanPay Kotlin bindings (docs/bindings.md).
//   kotlinc scanpay.kt FirstPayment.kt -cp kotlinx-coroutines-core-jvm.jar:jna.jar -d app.jar
//   java -Djna.library.path=FOLDER_OF_libscanpay_ffi.so -cp app.jar:… FirstPaymentKt \
//        BASE_URL CA_PEM_FILE SPKI_PIN ROOTS_JSON_FILE PAYLOAD WALLET_DIR
// The first four are in the `link.json` of `scanpay sandbox serve --data DIR`; PAYLOAD is a
// merchant code's text (`scanpay qr make --merchant M-0001 …`); WALLET_DIR is a new folder.
import app.scanpay.ffi.*
import java.io.File
import kotlin.system.exitProcess
import kotlinx.coroutines.runBlocking

val PIN = listOf(2, 5, 8, 0, 4, 7) // from the app's PIN screen, digit by digit: never a string

fun main(args: Array<String>) {
    val (baseUrl, caPemFile, spkiPin, rootsFile, payload) = args
    val backend = BackendConfig(baseUrl, File(caPemFile).readText(), listOf(spkiPin),
        requirePins = true, connectTimeoutMs = 0u, readTimeoutMs = 0u) // 0: 10 s and 15 s
    val limits = CurrencyLimits("SGD", perPayment = 20_000u, daily = 50_000u, // minor units
        offlinePerPayment = 0u, offlineTotal = 0u)
    val config = WalletConfig(args[5], File(rootsFile).readText(), backend, listOf(limits),
        allowOfflinePayments = false, allowUnverifiedMerchants = false, timings = null)
    val end = runBlocking {
        Wallet.open(config, softwareKeyStore(), null, null).use { wallet -> // a phone: its Keystore
            wallet.syncRegistry()                                     // the signed key registry
            PinPad().use { pad -> PIN.forEach { pad.press(it.toUByte()) }; wallet.enrol(pad) }
            wallet.registerDevice("SANDBOX")                          // the user's enrolment code
            wallet.newFlow().use { flow ->
                val review = flow.handle(FlowIntent.ScannedText(payload)) as FlowState.ReviewMerchant
                println("paying ${review.review.registeredName}")     // never the printed name
                var state = flow.handle(FlowIntent.Proceed)
                if (state is FlowState.EnterAmount) state = flow.handle(FlowIntent.EditAmount("4.50"))
                val total = when (state) {
                    is FlowState.ConfirmAmount -> state.breakdown.total
                    is FlowState.EnterAmount -> state.breakdown!!.total
                    else -> error("unexpected $state")
                }
                flow.handle(FlowIntent.Confirm(total))                 // the total the UI showed
                PIN.forEach { flow.pressPinDigit(it.toUByte()) }        // 6th: signs and journals
                flow.process(null)                                      // sends; queries, reverses
            }
        }
    }
    if (end is FlowState.Done) println("paid ${formatMoney(end.receipt.amount)} to ${end.merchantName}")
    else { println(end); exitProcess(1) }
}
