package app.scanpay.sample

import android.app.Application
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import app.scanpay.android.ScanPayWallet
import app.scanpay.android.userMessage
import app.scanpay.sample.model.ConnectivityViewModel
import app.scanpay.sample.model.PaymentViewModel
import app.scanpay.sample.model.SetupViewModel
import app.scanpay.sample.model.ShortcutsViewModel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.launch

/**
 * The androidx holder of the plain view-models: gives them viewModelScope
 * (Main) and closes them in [onCleared]. All logic is in the plain classes.
 */
class AppViewModel(app: Application) : AndroidViewModel(app) {
    /** The plain view-models, once the wallet is open. */
    class Models(
        val setup: SetupViewModel,
        val payment: PaymentViewModel,
        val connectivity: ConnectivityViewModel,
        /** For the pay-code screen, which makes (and closes) its own view-model while shown. */
        val wallet: ScanPayWallet,
        /** The shortcut settings (biometric confirmation, PIN-free payments in SGD). */
        val shortcuts: ShortcutsViewModel,
    )

    private val _models = MutableStateFlow<Models?>(null)
    val models: StateFlow<Models?> = _models
    /** A developer's setup problem (English: see [SampleApp.setupProblem]). */
    val problem: String? get() = getApplication<SampleApp>().setupProblem

    /** Why the wallet did not open: the core's sentence, shown after the catalogue's WALLET_OPEN_FAILED. */
    val openError = MutableStateFlow<String?>(null)

    init {
        viewModelScope.launch {
            val w = try {
                getApplication<SampleApp>().wallet.await()
            } catch (e: Exception) {
                openError.value = e.userMessage()
                return@launch
            }
            _models.value = Models(
                SetupViewModel(w, viewModelScope, BuildConfig.ENROLMENT_CODE),
                PaymentViewModel(w, viewModelScope),
                ConnectivityViewModel(w.status, viewModelScope),
                w,
                ShortcutsViewModel(w, viewModelScope, getApplication<SampleApp>().biometricKey, "SGD"),
            )
        }
    }

    override fun onCleared() {
        _models.value?.let {
            it.payment.close()
            it.setup.close()
            it.shortcuts.close()
        }
    }
}
