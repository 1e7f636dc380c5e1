import CPNG
import CTurboJPEG
import Foundation
import TensorCore

/// Decoded 8-bit pixels, interleaved row by row: [height, width, channels].
public struct DecodedImage: Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * channels, "\(pixels.count) pixels for \(width)x\(height)x\(channels)")
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }
}

/// The most pixels an image may have (16384 x 16384): a header claiming more is refused before
/// anything is allocated for it.
public let maximumImagePixels = 1 << 28

/// Refuses a decoded size beyond `maximumImagePixels`.
func checkImageSize(width: Int, height: Int, path: String) throws {
    guard let pixels = checkedProduct([width, height]), pixels <= maximumImagePixels, pixels > 0 else {
        throw DatasetError.badFormat(path: path, expected: "an image of 1 to \(maximumImagePixels) pixels", found: "\(width)x\(height)")
    }
}

/// Decodes a PNG or JPEG file's bytes (told apart by their magic numbers, not the file name) to
/// `channels` channels: 3 (RGB; grey images are expanded) or 1 (grey; colour images are reduced).
public func decodeImage(_ bytes: [UInt8], path: String, channels: Int) throws -> DecodedImage {
    precondition(channels == 1 || channels == 3, "1 or 3 channels")
    if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(bytes, path: path, channels: channels) }
    if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return try decodeJPEG(bytes, path: path, channels: channels) }
    let head = bytes.prefix(4).map { String($0, radix: 16) }.joined(separator: " ")
    throw DatasetError.badFormat(path: path, expected: "a PNG or JPEG image", found: bytes.isEmpty ? "an empty file" : "bytes \(head)")
}

private func decodePNG(_ bytes: [UInt8], path: String, channels: Int) throws -> DecodedImage {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    func failure() -> DatasetError {
        let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        png_image_free(&image)
        return DatasetError.badFormat(path: path, expected: "a valid PNG image", found: "libpng: \(message)")
    }
    guard bytes.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else { throw failure() }
    // PNG_FORMAT_RGB is PNG_FORMAT_FLAG_COLOR (2); PNG_FORMAT_GRAY is 0: 8 bits per channel, no alpha.
    image.format = channels == 3 ? 2 : 0
    let (width, height) = (Int(image.width), Int(image.height))
    do { try checkImageSize(width: width, height: height, path: path) } catch {
        png_image_free(&image)
        throw error
    }
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    let finished = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
    guard finished != 0 else { throw failure() }
    png_image_free(&image)
    return DecodedImage(width: width, height: height, channels: channels, pixels: pixels)
}

private func decodeJPEG(_ bytes: [UInt8], path: String, channels: Int) throws -> DecodedImage {
    guard let handle = tjInitDecompress() else {
        throw DatasetError.unreadable(path: path, reason: "libjpeg-turbo could not start")
    }
    defer { tjDestroy(handle) }
    func failure() -> DatasetError {
        DatasetError.badFormat(path: path, expected: "a valid JPEG image", found: "libjpeg-turbo: \(String(cString: tjGetErrorStr2(handle)))")
    }
    var (width, height, subsampling, colourspace): (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
    guard tjDecompressHeader3(handle, bytes, UInt(bytes.count), &width, &height, &subsampling, &colourspace) == 0 else { throw failure() }
    try checkImageSize(width: Int(width), height: Int(height), path: path)
    var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
    let format = channels == 3 ? TJPF_RGB.rawValue : TJPF_GRAY.rawValue
    guard tjDecompress2(handle, bytes, UInt(bytes.count), &pixels, width, 0, height, Int32(format), 0) == 0 else { throw failure() }
    return DecodedImage(width: Int(width), height: Int(height), channels: channels, pixels: pixels)
}

/// Reads a folder with one sub-folder of PNG/JPEG images per class (ImageNet's train/ and val/
/// layout): classes are the sub-folder names in sorted order, images within a class in sorted
/// order. Every image must have the size of the first one.
///
/// - Returns: the images as [N, channels, H, W] and the class names.
public func readImageFolder(_ root: String, channels: Int = 3) throws -> (images: ImageSet, classNames: [String]) {
    let listing = try listImageFolder(root)
    let classNames = listing.classNames
    var pixels: [UInt8] = []
    var labels: [Int32] = []
    var size: (width: Int, height: Int)?
    var firstPath = ""
    for (path, label) in zip(listing.paths, listing.labels) {
        let image = try decodeImage(try readFileBytes(path), path: path, channels: channels)
        if let size, size != (image.width, image.height) {
            throw DatasetError.badFormat(
                path: path, expected: "\(size.width)x\(size.height) pixels like \(firstPath)", found: "\(image.width)x\(image.height)")
        }
        if size == nil { (size, firstPath) = ((image.width, image.height), path) }
        // Interleaved [H, W, C] to planar [C, H, W].
        let plane = image.width * image.height
        var planar = [UInt8](repeating: 0, count: plane * channels)
        for position in 0..<plane { for c in 0..<channels { planar[c * plane + position] = image.pixels[position * channels + c] } }
        pixels += planar
        labels.append(label)
    }
    guard let size else { throw DatasetError.badFormat(path: root, expected: "PNG or JPEG images in the class folders", found: "none") }
    let images = try pixels.withUnsafeBufferPointer {
        try makeImageSet(pixels: $0, labels: labels, sampleShape: [channels, size.height, size.width], classCount: classNames.count, labelSource: root)
    }
    return (images, classNames)
}
