package app.scanpay.android

import android.util.Log
import app.scanpay.ffi.LogLevel
import app.scanpay.ffi.LogSink

/**
 * Sends the core's log lines to Logcat (tag `ScanPay`). The lines never carry
 * PIN digits, keys or payloads. Called on whichever thread logs (often a
 * `scanpay-worker` thread); Logcat is thread-safe. [minLevel] drops the
 * chattier levels in release builds.
 */
class LogcatLogger(private val minLevel: LogLevel = LogLevel.INFO) : LogSink {
    override fun log(level: LogLevel, message: String) {
        if (level.ordinal < minLevel.ordinal) return
        when (level) {
            LogLevel.DEBUG -> Log.d(TAG, message)
            LogLevel.INFO -> Log.i(TAG, message)
            LogLevel.WARN -> Log.w(TAG, message)
            LogLevel.ERROR -> Log.e(TAG, message)
        }
    }

    private companion object {
        const val TAG = "ScanPay"
    }
}
