package app.scanpay.sample

import android.app.Application
import android.content.res.Configuration
import android.os.LocaleList
import android.util.Log
import app.scanpay.android.AndroidBiometricKey
import app.scanpay.android.AndroidKeystoreKeyStore
import app.scanpay.android.AndroidNetworkMonitor
import app.scanpay.android.LogcatLogger
import app.scanpay.android.ScanPayWallet
import app.scanpay.ffi.BackendConfig
import app.scanpay.ffi.CurrencyLimits
import app.scanpay.ffi.WalletConfig
import app.scanpay.ffi.setLocales
import app.scanpay.sample.model.runWallet
import java.io.File
import java.io.IOException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async

/**
 * Owns the wallet for the whole process (one wallet per data directory): opened
 * once, off the main thread; payments left unresolved by a previous run are
 * resumed; queued payments are forwarded whenever the network comes back.
 */
class SampleApp : Application() {
    /** Process-wide work (the wallet outlives any screen). */
    val appScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    lateinit var network: AndroidNetworkMonitor
        private set

    /** The wallet, once open. */
    lateinit var wallet: Deferred<ScanPayWallet>
        private set

    /**
     * The biometric key (Keystore + BiometricPrompt), attached to the wallet at
     * open so a payer who turned biometric confirmation on gets its screen.
     */
    lateinit var biometricKey: AndroidBiometricKey
        private set

    /**
     * Why the sample runs without a backend, if it does (missing sandbox
     * files). In English, not from the catalogue: it is for the developer
     * building the sample, never for a payer (as is the roots.json error in
     * config()); docs/android.md, "Language and accessibility".
     */
    @Volatile
    var setupProblem: String? = null
        private set

    override fun onCreate() {
        super.onCreate()
        // The payer's words come from the core's catalogue in the language
        // set here (process-wide; English until called), before any text.
        applyLocales(LocaleList.getDefault())
        network = AndroidNetworkMonitor(this)
        biometricKey = AndroidBiometricKey(this)
        wallet = appScope.async(Dispatchers.IO) {
            ScanPayWallet.open(config(), AndroidKeystoreKeyStore(this@SampleApp), network, LogcatLogger())
                .also { it.ffi.setBiometricKey(biometricKey) }
        }
        // Never rethrows a failure to open (it would kill the process): the
        // app screen shows it from the same Deferred (AppViewModel.openError).
        appScope.runWallet(wallet, network.available) { what, e -> Log.w(TAG, what, e) }
    }

    // A change of the system language, or of this app's language (per-app
    // language, res/xml/locales_config.xml), arrives as a configuration change.
    override fun onConfigurationChanged(newConfig: Configuration) {
        super.onConfigurationChanged(newConfig)
        applyLocales(newConfig.locales)
    }

    private fun asset(name: String): String? = try {
        assets.open("sandbox/$name").bufferedReader().use { it.readText() }
    } catch (e: IOException) {
        null
    }

    /**
     * The sandbox's trust files, copied from its data directory into the debug
     * src/debug/assets/sandbox/ (docs/android.md): roots.json, ca.pem, pin.txt.
     */
    private fun config(): WalletConfig {
        val roots = asset("roots.json")
        val ca = asset("ca.pem")
        val pin = asset("pin.txt")?.trim()
        val backend = if (ca != null && pin != null) {
            BackendConfig(BuildConfig.SANDBOX_URL, ca, listOf(pin), requirePins = true, connectTimeoutMs = 10_000u, readTimeoutMs = 15_000u)
        } else {
            setupProblem = "No sandbox ca.pem / pin.txt in assets/sandbox: payments cannot be sent."
            null
        }
        return WalletConfig(
            dataDir = File(filesDir, "wallet").path,
            // No roots, no wallet: merchants could never be verified.
            rootsJson = roots ?: error("copy the sandbox's roots.json to sample/src/debug/assets/sandbox/ (docs/android.md)"),
            backend = backend,
            limits = listOf(
                CurrencyLimits("SGD", 30_000u, 40_000u, 2_000u, 5_000u),
                CurrencyLimits("THB", 500_000u, 1_000_000u, 50_000u, 100_000u),
            ),
            allowOfflinePayments = true,
            allowUnverifiedMerchants = false,
            timings = null,
        )
    }

    private companion object {
        const val TAG = "ScanPaySample"
    }
}

/**
 * Gives the core the user's ordered languages ("zh-Hans-SG,en-SG" →
 * ["zh-Hans-SG", "en-SG"]): every text the core renders afterwards (flow,
 * errors, amounts) is in the negotiated one. The screens already drawn keep
 * their words until their next state.
 */
fun applyLocales(locales: LocaleList) {
    val tags = locales.toLanguageTags().split(',').map { it.trim() }.filter { it.isNotEmpty() }
    val chosen = setLocales(tags)
    Log.i(SampleApp.TAG, "UI language: $chosen (from $tags)")
}
