// Plain Kotlin (no android.* imports): compiled and tested on the JVM by
// scripts/test-android-jvm.sh as well as in the AAR.
package app.scanpay.android

import app.scanpay.ffi.Region
import app.scanpay.ffi.ScannedCode
import app.scanpay.ffi.QrScanner
import java.nio.ByteBuffer
import kotlin.math.roundToInt

/**
 * The viewfinder box as fractions (0..1) of the UPRIGHT image, as the UI draws
 * it over the preview: left, top, right, bottom.
 */
data class Viewfinder(val left: Float, val top: Float, val right: Float, val bottom: Float) {
    init {
        require(left in 0f..1f && top in 0f..1f && right in 0f..1f && bottom in 0f..1f) { "fractions must be in 0..1" }
        require(left < right && top < bottom) { "empty viewfinder" }
    }

    companion object {
        /** A centred square box whose side is [side] of the upright image's shorter side. */
        fun centredSquare(uprightWidth: Int, uprightHeight: Int, side: Float = 0.7f): Viewfinder {
            val s = side.coerceIn(0.05f, 1f) * minOf(uprightWidth, uprightHeight)
            val fx = s / uprightWidth / 2f
            val fy = s / uprightHeight / 2f
            return Viewfinder(0.5f - fx, 0.5f - fy, 0.5f + fx, 0.5f + fy)
        }
    }
}

/**
 * Maps [viewfinder] (upright fractions) to a [Region] of the sensor frame
 * (unrotated pixels), which is what the core crops. [rotationDegrees] is the
 * clockwise rotation that makes the frame upright (CameraX
 * `ImageInfo.rotationDegrees`).
 */
fun sensorRegion(width: Int, height: Int, rotationDegrees: Int, viewfinder: Viewfinder): Region {
    require(width > 0 && height > 0) { "empty frame" }
    val quarterTurns = when (rotationDegrees) {
        0 -> 0; 90 -> 1; 180 -> 2; 270 -> 3
        else -> throw IllegalArgumentException("rotation must be 0, 90, 180 or 270, not $rotationDegrees")
    }
    val uprightW = if (quarterTurns % 2 == 0) width else height
    val uprightH = if (quarterTurns % 2 == 0) height else width
    // Upright edges in pixels (half-open ranges [u0, u1) × [v0, v1)).
    // Rounded, not truncated: 0.3333f * 600 must be 200, not 199.
    val u0 = (viewfinder.left * uprightW).roundToInt().coerceAtMost(uprightW - 1)
    val u1 = (viewfinder.right * uprightW).roundToInt().coerceIn(u0 + 1, uprightW)
    val v0 = (viewfinder.top * uprightH).roundToInt().coerceAtMost(uprightH - 1)
    val v1 = (viewfinder.bottom * uprightH).roundToInt().coerceIn(v0 + 1, uprightH)
    // Rotating the sensor frame clockwise by r gives the upright image, so an
    // upright rectangle comes from this sensor rectangle:
    //   0°: x = u, y = v        90°: x = v, y = H - u
    // 180°: x = W - u, y = H - v  270°: x = W - v, y = u
    val (x0, x1, y0, y1) = when (quarterTurns) {
        0 -> listOf(u0, u1, v0, v1)
        1 -> listOf(v0, v1, height - u1, height - u0)
        2 -> listOf(width - u1, width - u0, height - v1, height - v0)
        else -> listOf(width - v1, width - v0, u0, u1)
    }
    return Region(x0.toUInt(), y0.toUInt(), (x1 - x0).toUInt(), (y1 - y0).toUInt())
}

/**
 * Feeds camera luma frames (the Y plane) to the core scanner, cropped to the
 * viewfinder. Call from the camera's analysis thread: the scan runs on the
 * calling thread (a few milliseconds per frame). Not thread-safe: one per
 * analyzer.
 */
class FrameScanner(private val scanner: QrScanner = QrScanner()) : AutoCloseable {
    private var buffer = ByteArray(0)

    /**
     * Scans a Y plane as the camera hands it over: [luma] from its position
     * to its limit (CameraX `planes[0].buffer`; the last row may be shorter
     * than [rowStride]), [rowStride] bytes per row (pixel stride 1), the
     * clockwise rotation that makes it upright. Throws the core's
     * `ScanException` for a frame that fails its caps.
     */
    fun scan(luma: ByteBuffer, width: Int, height: Int, rowStride: Int, rotationDegrees: Int, viewfinder: Viewfinder?): List<ScannedCode> {
        val view = luma.duplicate()
        val n = view.remaining()
        if (buffer.size != n) buffer = ByteArray(n) // frames of one stream have one size: reuse
        view.get(buffer)
        return scan(buffer, width, height, rowStride, rotationDegrees, viewfinder)
    }

    /** Scans a luma frame already in a byte array. */
    fun scan(luma: ByteArray, width: Int, height: Int, rowStride: Int, rotationDegrees: Int, viewfinder: Viewfinder?): List<ScannedCode> {
        val region = viewfinder?.let { sensorRegion(width, height, rotationDegrees, it) }
        return scanner.scan(luma, width.toUInt(), height.toUInt(), rowStride.toUInt(), rotationDegrees.toUInt(), region)
    }

    override fun close() = scanner.close()
}
