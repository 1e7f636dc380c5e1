import TensorCore

/// Reads a CIFAR binary file: records of label byte(s) then 3072 pixel bytes (1024 red, 1024
/// green, 1024 blue, each 32x32 row-major), i.e. already [C, H, W].
///
/// - Parameters:
///   - labelBytes: 1 for CIFAR-10; 2 for CIFAR-100 (coarse label, then fine label).
///   - classCount: 10 for CIFAR-10, 100 (fine) or 20 (coarse) for CIFAR-100.
///   - useFirstLabel: for CIFAR-100, true reads the coarse label instead of the fine one.
public func readCIFARBinary(
    _ path: String, labelBytes: Int, classCount: Int, useFirstLabel: Bool = false, missingHint: String = ""
) throws -> ImageSet {
    let bytes = try readFileBytes(path, missingHint: missingHint)
    let recordSize = labelBytes + 3072
    guard !bytes.isEmpty, bytes.count % recordSize == 0 else {
        throw DatasetError.badFormat(
            path: path, expected: "a whole number of \(recordSize)-byte records (\(labelBytes) label byte(s) + 3072 pixels)",
            found: "\(bytes.count) bytes")
    }
    let count = bytes.count / recordSize
    var labels = [Int32](repeating: 0, count: count)
    var pixels = [UInt8](repeating: 0, count: count * 3072)
    for record in 0..<count {
        let start = record * recordSize
        labels[record] = Int32(bytes[start + (useFirstLabel ? 0 : labelBytes - 1)])
        pixels.replaceSubrange((record * 3072)..<((record + 1) * 3072), with: bytes[(start + labelBytes)..<(start + recordSize)])
    }
    return try pixels.withUnsafeBufferPointer { buffer in
        do {
            return try makeImageSet(pixels: buffer, labels: labels, sampleShape: [3, 32, 32], classCount: classCount, labelSource: path)
        } catch DatasetError.badFormat(let path, let expected, let found) {
            // Say which record, not which index, so the byte offset can be found.
            throw DatasetError.badFormat(path: path, expected: expected, found: found.replacingOccurrences(of: "at index", with: "in record"))
        }
    }
}

/// Concatenates image sets of one sample shape.
func concatenate(_ sets: [ImageSet]) -> ImageSet {
    let count = sets.map(\.count).reduce(0, +)
    let size = sets[0].sampleSize
    let images = Tensor(shape: [count] + sets[0].sampleShape)
    var offset = 0
    for set in sets {
        (images.pointer + offset * size).update(from: set.images.pointer, count: set.count * size)
        offset += set.count
    }
    return ImageSet(images: images, labels: sets.flatMap(\.labels), classCount: sets[0].classCount)
}
