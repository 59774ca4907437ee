import CoreGraphics
import Foundation
import ScanPay
import UIKit

/// Scans a QR code in an imported photo or screenshot (the simulator has no
/// camera): renders it to 8-bit luma, white behind transparency, at most
/// 2048 px on a side, and runs the still-image scanner on it.
enum PhotoImport {
    enum Problem: LocalizedError {
        case notAnImage
        case noCode
        /// The catalogue's sentence: `userMessage(for:)` shows it (these
        /// cases carry no payload, so it falls back to `localizedDescription`).
        var errorDescription: String? {
            switch self {
            case .notAnImage: return Presentation.label(.photoNotImage)
            case .noCode: return Presentation.label(.photoNoCode)
            }
        }
    }

    static let maxSide = 2048

    static func scan(_ data: Data) throws -> ScannedCode {
        guard let image = UIImage(data: data)?.cgImage else { throw Problem.notAnImage }
        let scale = min(1, Double(maxSide) / Double(max(image.width, image.height)))
        let width = max(1, Int(Double(image.width) * scale))
        let height = max(1, Int(Double(image.height) * scale))
        guard let context = CGContext(
            data: nil, width: width, height: height, bitsPerComponent: 8, bytesPerRow: width,
            space: CGColorSpaceCreateDeviceGray(), bitmapInfo: CGImageAlphaInfo.none.rawValue
        ) else { throw Problem.notAnImage }
        let rect = CGRect(x: 0, y: 0, width: width, height: height)
        context.setFillColor(gray: 1, alpha: 1)
        context.fill(rect)
        context.interpolationQuality = .high
        context.draw(image, in: rect)
        guard let pixels = context.data else { throw Problem.notAnImage }
        let luma = Data(bytes: pixels, count: width * height)
        let codes = try QrScanner.forStillImages().scan(
            data: luma, width: UInt32(width), height: UInt32(height), rowStride: UInt32(width),
            rotationDegrees: 0, region: nil
        )
        guard let code = codes.first else { throw Problem.noCode }
        return code
    }
}
