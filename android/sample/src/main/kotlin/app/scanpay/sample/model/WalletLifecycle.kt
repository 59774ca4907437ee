// Plain Kotlin (no android.* imports): the process-wide wallet work that
// SampleApp starts, kept here so its failure paths are tested on the JVM by
// scripts/test-android-jvm.sh.
package app.scanpay.sample.model

import app.scanpay.android.ScanPayWallet
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Deferred
import kotlinx.coroutines.Job
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.drop
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.launch

/**
 * Once [wallet] is open: resumes the payments a previous run left unresolved,
 * then, each time [online] turns true again, forwards the payments authorised
 * offline and refreshes the backend status.
 *
 * A wallet that fails to open (the documented missing `roots.json`, a
 * corrupt data directory) ends this job quietly after [warn]: the failure
 * belongs to the screen that awaits the same [Deferred] and explains it
 * (AppViewModel.openError). Rethrowing it here would reach the thread's
 * uncaught-exception handler, which on Android kills the process.
 */
fun CoroutineScope.runWallet(
    wallet: Deferred<ScanPayWallet>,
    online: Flow<Boolean>,
    warn: (String, Throwable) -> Unit,
): Job = launch {
    val w = try {
        wallet.await()
    } catch (e: CancellationException) {
        throw e
    } catch (e: Exception) {
        warn("the wallet did not open", e)
        return@launch
    }
    try {
        w.start()
    } catch (e: CancellationException) {
        throw e
    } catch (e: Exception) {
        warn("resume failed", e)
    }
    // Back online: send what was authorised offline, refresh the status.
    online.drop(1).filter { it }.collect {
        try {
            w.forwardQueued()
            w.checkBackend()
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            warn("forward failed", e)
        }
    }
}
