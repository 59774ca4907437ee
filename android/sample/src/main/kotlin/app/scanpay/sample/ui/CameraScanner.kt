package app.scanpay.sample.ui

import android.util.Log
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.border
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.shape.RoundedCornerShape
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.remember
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.platform.LocalContext
import androidx.lifecycle.compose.LocalLifecycleOwner
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import app.scanpay.android.FrameScanner
import app.scanpay.android.Viewfinder
import app.scanpay.ffi.ScanException
import app.scanpay.ffi.ScannedCode
import java.util.concurrent.Executors

/** The viewfinder's side as a fraction of the preview's shorter side (drawn and scanned). */
private const val VIEWFINDER_SIDE = 0.7f

/**
 * The camera preview with a square viewfinder. CameraX ImageAnalysis hands
 * each frame (YUV_420_888) to a single background thread, where the Y plane
 * (planes[0]: its buffer, rowStride, and the frame's rotationDegrees) goes to
 * the core scanner cropped to the viewfinder. [onCode] is called on that
 * analysis thread; PaymentViewModel.onScanned is safe to call from any thread
 * and ignores frames once a code was taken.
 */
@Composable
fun CameraScanner(onCode: (ScannedCode) -> Unit, modifier: Modifier = Modifier) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val previewView = remember { PreviewView(context).apply { scaleType = PreviewView.ScaleType.FILL_CENTER } }

    DisposableEffect(lifecycleOwner) {
        val executor = Executors.newSingleThreadExecutor { r -> Thread(r, "scanpay-analysis") }
        val scanner = FrameScanner()
        val analysis = ImageAnalysis.Builder()
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
            .build()
        analysis.setAnalyzer(executor) { image -> analyze(image, scanner, onCode) }
        val providerFuture = ProcessCameraProvider.getInstance(context)
        // Set on dispose (both run on Main): a provider that becomes ready
        // after the screen left must not bind a camera nobody will unbind.
        var disposed = false
        var bound: ProcessCameraProvider? = null
        providerFuture.addListener({
            if (disposed) return@addListener
            // The listener runs once the future is done: get() does not block here.
            val provider = runCatching { providerFuture.get() }
                .onFailure { Log.w("ScanPaySample", "camera unavailable", it) }
                .getOrNull() ?: return@addListener
            val preview = Preview.Builder().build().also { it.setSurfaceProvider(previewView.surfaceProvider) }
            provider.unbindAll()
            provider.bindToLifecycle(lifecycleOwner, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
            bound = provider
        }, ContextCompat.getMainExecutor(context))
        onDispose {
            disposed = true
            // Never providerFuture.get() here: before CameraX is ready it would
            // block the main thread. Unbind only what this effect bound.
            bound?.unbindAll()
            analysis.clearAnalyzer()
            // The scanner is used on the executor: free it there, after the last frame.
            executor.execute { scanner.close() }
            executor.shutdown()
        }
    }

    Box(modifier, contentAlignment = Alignment.Center) {
        AndroidView({ previewView }, Modifier.fillMaxSize())
        Box(
            Modifier.fillMaxWidth(VIEWFINDER_SIDE).aspectRatio(1f)
                .border(3.dp, Color.White, RoundedCornerShape(16.dp)),
        )
    }
}

private fun analyze(image: ImageProxy, scanner: FrameScanner, onCode: (ScannedCode) -> Unit) {
    try {
        val rotation = image.imageInfo.rotationDegrees
        // The frame upright is what the preview shows; the viewfinder is a
        // centred square of it (the preview fills the screen centred, so this
        // matches the drawn box closely enough for aiming).
        val (uprightW, uprightH) = if (rotation % 180 == 0) image.width to image.height else image.height to image.width
        val y = image.planes[0] // pixel stride 1 for the Y plane of YUV_420_888
        val codes = scanner.scan(
            y.buffer, image.width, image.height, y.rowStride, rotation,
            Viewfinder.centredSquare(uprightW, uprightH, VIEWFINDER_SIDE),
        )
        codes.firstOrNull()?.let(onCode)
    } catch (e: ScanException) {
        Log.w("ScanPaySample", "frame skipped: ${e.message}")
    } finally {
        image.close()
    }
}
