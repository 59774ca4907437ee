import AVFoundation
import ScanPay
import UIKit

/// The back camera's frames, Y plane only, to the core scanner.
///
/// Frames are `kCVPixelFormatType_420YpCbCr8BiPlanarFullRange`: plane 0 is
/// the full-range luma the scanner reads, `bytesPerRow` apart (padded: the
/// row stride is passed as is). The sensor is landscape; `rotationDegrees`
/// tells the core how to make the frame upright (90 in portrait, the only
/// orientation the sample allows). `scan` runs on the capture queue, never
/// on the main thread; one frame at a time, late frames are dropped.
final class CameraFrameSource: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    let session = AVCaptureSession()
    private let queue = DispatchQueue(label: "app.scanpay.camera")
    private let scanner = QrScanner()
    // Touched only on `queue`.
    private var onCode: (@MainActor (ScannedCode) -> Void)?
    // Touched only on `queue`: the payload of a code refused on this screen,
    // never delivered again while this `start` lasts (it stays in view).
    private var skipping: Data?
    private var configured = false

    /// Clockwise rotation that makes a back-camera frame upright.
    static func rotationDegrees(for orientation: UIInterfaceOrientation) -> UInt32 {
        switch orientation {
        case .landscapeRight: return 0
        case .portraitUpsideDown: return 270
        case .landscapeLeft: return 180
        default: return 90
        }
    }

    /// Starts the camera; `onCode` runs on the main actor with the first code
    /// found whose payload is not `skipping`, after which scanning pauses
    /// until `start` is called again (after a refused code: with its bytes).
    func start(skipping: Data? = nil, onCode: @escaping @MainActor (ScannedCode) -> Void) {
        queue.async {
            self.skipping = skipping
            self.onCode = onCode
            if !self.configured {
                self.configured = self.configure()
            }
            if self.configured && !self.session.isRunning {
                self.session.startRunning()
            }
        }
    }

    func stop() {
        queue.async {
            self.onCode = nil
            if self.session.isRunning {
                self.session.stopRunning()
            }
        }
    }

    private func configure() -> Bool {
        guard let camera = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: camera) else {
            return false // the simulator has no camera: use photo import
        }
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        session.sessionPreset = .hd1280x720
        let output = AVCaptureVideoDataOutput()
        output.videoSettings = [
            kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange,
        ]
        output.alwaysDiscardsLateVideoFrames = true
        output.setSampleBufferDelegate(self, queue: queue)
        guard session.canAddInput(input), session.canAddOutput(output) else { return false }
        session.addInput(input)
        session.addOutput(output)
        return true
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer, from connection: AVCaptureConnection) {
        guard let deliver = onCode, let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        CVPixelBufferLockBaseAddress(pixels, .readOnly)
        defer { CVPixelBufferUnlockBaseAddress(pixels, .readOnly) }
        guard CVPixelBufferGetPlaneCount(pixels) >= 2,
              let base = CVPixelBufferGetBaseAddressOfPlane(pixels, 0) else { return }
        let width = CVPixelBufferGetWidthOfPlane(pixels, 0)
        let height = CVPixelBufferGetHeightOfPlane(pixels, 0)
        let rowStride = CVPixelBufferGetBytesPerRowOfPlane(pixels, 0)
        let luma = Data(bytes: base, count: rowStride * height)
        guard let codes = try? scanner.scan(
            data: luma, width: UInt32(width), height: UInt32(height), rowStride: UInt32(rowStride),
            rotationDegrees: Self.rotationDegrees(for: .portrait), region: nil
        ), let code = codes.first(where: { $0.bytes != skipping }) else { return }
        onCode = nil
        Task { @MainActor in deliver(code) }
    }
}
