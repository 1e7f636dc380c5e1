import Foundation
import TensorCore

/// A rectangle of an image in pixels: rows top..<top+height, columns left..<left+width.
public struct PixelRegion: Equatable, Sendable {
    public var top: Int
    public var left: Int
    public var height: Int
    public var width: Int

    public init(top: Int, left: Int, height: Int, width: Int) {
        (self.top, self.left, self.height, self.width) = (top, left, height, width)
    }
}

/// Resizes `region` of an 8-bit interleaved image to `height` x `width` with PIL's bilinear
/// filter (a triangle filter whose support widens with the shrink factor, so downscaling
/// averages instead of aliasing — what torchvision does on PIL images), writing planar floats
/// in [0, 1] into `output` [C, height, width]. Optionally mirrored left-right.
///
/// Separable: rows first into a [region rows, width, C] scratch, then columns.
public func resizeBilinear(
    _ image: DecodedImage, region: PixelRegion, height: Int, width: Int, flip: Bool = false, into output: UnsafeMutablePointer<Float>
) {
    let channels = image.channels
    let horizontal = FilterTaps(inputStart: region.left, inputSize: region.width, outputSize: width, limit: image.width)
    let vertical = FilterTaps(inputStart: region.top, inputSize: region.height, outputSize: height, limit: image.height)
    // Pass 1: each source row of the region to `width` columns.
    var rows = [Float](repeating: 0, count: region.height * width * channels)
    image.pixels.withUnsafeBufferPointer { pixels in
        for row in 0..<region.height {
            let source = (region.top + row) * image.width * channels
            for column in 0..<width {
                let (first, weights) = horizontal.taps[column]
                for c in 0..<channels {
                    var sum: Float = 0
                    for (k, weight) in weights.enumerated() { sum += weight * Float(pixels[source + (first + k) * channels + c]) }
                    rows[(row * width + column) * channels + c] = sum
                }
            }
        }
    }
    // Pass 2: columns to `height` rows, planar output scaled to [0, 1].
    for outputRow in 0..<height {
        let (first, weights) = vertical.taps[outputRow]
        for column in 0..<width {
            let destinationColumn = flip ? width - 1 - column : column
            for c in 0..<channels {
                var sum: Float = 0
                for (k, weight) in weights.enumerated() { sum += weight * rows[((first + k - region.top) * width + column) * channels + c] }
                output[(c * height + outputRow) * width + destinationColumn] = min(max(sum, 0), 255) / 255
            }
        }
    }
}

/// For each output position along one axis: the first input index and the normalised weights
/// of PIL's bilinear (triangle) filter, support scaled by the shrink factor when shrinking.
struct FilterTaps {
    let taps: [(first: Int, weights: [Float])]

    init(inputStart: Int, inputSize: Int, outputSize: Int, limit: Int) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filterScale  // the triangle filter has support 1, widened when shrinking
        taps = (0..<outputSize).map { position in
            let centre = Double(inputStart) + (Double(position) + 0.5) * scale
            let low = max(Int((centre - support + 0.5).rounded(.down)), inputStart)
            let high = min(Int((centre + support + 0.5).rounded(.down)), inputStart + inputSize, limit)
            var weights = (low..<max(high, low + 1)).map { index -> Double in
                max(0, 1 - abs((Double(index) - centre + 0.5) / filterScale))
            }
            let total = weights.reduce(0, +)
            weights = total > 0 ? weights.map { $0 / total } : weights.map { _ in 1 / Double(weights.count) }
            return (low, weights.map(Float.init))
        }
    }
}

/// The slow, obvious twin of `resizeBilinear`: every output pixel as one 2-D weighted sum over
/// the whole region with the triangle filter's weights, in Double.
public func referenceResizeBilinear(_ image: DecodedImage, region: PixelRegion, height: Int, width: Int) -> [Float] {
    func weights(start: Int, size: Int, outputSize: Int, position: Int) -> [Double] {
        let scale = Double(size) / Double(outputSize)
        let filterScale = max(scale, 1)
        let centre = Double(start) + (Double(position) + 0.5) * scale
        let raw = (0..<size).map { max(0, 1 - abs((Double(start + $0) + 0.5 - centre) / filterScale)) }
        let total = raw.reduce(0, +)
        return raw.map { $0 / total }
    }
    var output = [Float](repeating: 0, count: image.channels * height * width)
    for y in 0..<height {
        let rowWeights = weights(start: region.top, size: region.height, outputSize: height, position: y)
        for x in 0..<width {
            let columnWeights = weights(start: region.left, size: region.width, outputSize: width, position: x)
            for c in 0..<image.channels {
                var sum = 0.0
                for i in 0..<region.height where rowWeights[i] > 0 {
                    for j in 0..<region.width where columnWeights[j] > 0 {
                        let pixel = image.pixels[((region.top + i) * image.width + region.left + j) * image.channels + c]
                        sum += rowWeights[i] * columnWeights[j] * Double(pixel)
                    }
                }
                output[(c * height + y) * width + x] = Float(min(max(sum, 0), 255) / 255)
            }
        }
    }
    return output
}

/// torchvision's RandomResizedCrop region: 10 tries at an area fraction in `scale` and an
/// aspect ratio log-uniform in `ratio` that fits, else the largest centred crop whose aspect
/// ratio is clamped into `ratio`.
public func randomResizedCropRegion(
    height: Int, width: Int, scale: ClosedRange<Double>, ratio: ClosedRange<Double> = (3.0 / 4)...(4.0 / 3), random: inout RandomStream
) -> PixelRegion {
    let area = Double(height * width)
    for _ in 0..<10 {
        let targetArea = area * (scale.lowerBound + (scale.upperBound - scale.lowerBound) * random.nextDouble())
        let logRatio = log(ratio.lowerBound) + (log(ratio.upperBound) - log(ratio.lowerBound)) * random.nextDouble()
        let aspect = exp(logRatio)
        let cropWidth = Int((targetArea * aspect).squareRoot().rounded(.toNearestOrEven))
        let cropHeight = Int((targetArea / aspect).squareRoot().rounded(.toNearestOrEven))
        if cropWidth > 0 && cropWidth <= width && cropHeight > 0 && cropHeight <= height {
            let top = random.nextIndex(below: height - cropHeight + 1)
            let left = random.nextIndex(below: width - cropWidth + 1)
            return PixelRegion(top: top, left: left, height: cropHeight, width: cropWidth)
        }
    }
    let inputRatio = Double(width) / Double(height)
    var (cropWidth, cropHeight) = (width, height)
    if inputRatio < ratio.lowerBound {
        cropHeight = Int((Double(width) / ratio.lowerBound).rounded(.toNearestOrEven))
    } else if inputRatio > ratio.upperBound {
        cropWidth = Int((Double(height) * ratio.upperBound).rounded(.toNearestOrEven))
    }
    return PixelRegion(top: (height - cropHeight) / 2, left: (width - cropWidth) / 2, height: cropHeight, width: cropWidth)
}

/// torchvision's Resize(shorter side to `resize`) followed by CenterCrop(`crop`), as one region
/// of the original image and the resized image's size: (region of the resized image, its size).
public func resizedCentreCrop(height: Int, width: Int, resize: Int, crop: Int) -> (resizedHeight: Int, resizedWidth: Int, crop: PixelRegion) {
    // torchvision: the longer side becomes int(resize * long / short).
    let (resizedHeight, resizedWidth) = height <= width
        ? (resize, Int(Double(resize) * Double(width) / Double(height)))
        : (Int(Double(resize) * Double(height) / Double(width)), resize)
    // Python's round(): halves go to the even neighbour.
    let top = Int((Double(resizedHeight - crop) / 2).rounded(.toNearestOrEven))
    let left = Int((Double(resizedWidth - crop) / 2).rounded(.toNearestOrEven))
    return (resizedHeight, resizedWidth, PixelRegion(top: top, left: left, height: crop, width: crop))
}
