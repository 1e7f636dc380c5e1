import TensorCore

/// An IDX file (the MNIST format): magic 00 00 08 D (unsigned bytes, D dimensions), D big-endian
/// 32-bit sizes, then the bytes in row-major order.
public struct IDXArray {
    public var dimensions: [Int]
    public var bytes: [UInt8]
}

/// Reads an IDX file of unsigned bytes with `expectedDimensions` dimensions (gzip or not).
public func readIDX(_ path: String, expectedDimensions: Int, missingHint: String = "") throws -> IDXArray {
    let bytes = try readFileBytes(path, missingHint: missingHint)
    let headerSize = 4 + 4 * expectedDimensions
    guard bytes.count >= 4 else {
        throw DatasetError.badFormat(path: path, expected: "an IDX header of \(headerSize) bytes", found: "\(bytes.count) bytes")
    }
    let expectedMagic: [UInt8] = [0, 0, 0x08, UInt8(expectedDimensions)]
    guard Array(bytes[0..<4]) == expectedMagic else {
        throw DatasetError.badFormat(
            path: path, expected: "IDX magic \(hex(expectedMagic)) (unsigned bytes, \(expectedDimensions) dimensions)",
            found: hex(Array(bytes[0..<4])))
    }
    guard bytes.count >= headerSize else {
        throw DatasetError.badFormat(path: path, expected: "an IDX header of \(headerSize) bytes", found: "\(bytes.count) bytes")
    }
    let dimensions = (0..<expectedDimensions).map { index -> Int in
        let offset = 4 + 4 * index
        return bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
    }
    guard let payload = checkedProduct(dimensions) else {
        let shape = dimensions.map(String.init).joined(separator: "x")
        throw DatasetError.badFormat(
            path: path, expected: "a shape whose data fits in the file's \(bytes.count - headerSize) data bytes", found: "shape \(shape)")
    }
    guard bytes.count - headerSize == payload else {
        let shape = dimensions.map(String.init).joined(separator: "x")
        throw DatasetError.badFormat(
            path: path, expected: "\(payload) data bytes for shape \(shape)", found: "\(bytes.count - headerSize)")
    }
    return IDXArray(dimensions: dimensions, bytes: Array(bytes[headerSize...]))
}

/// Reads an IDX image file [N, H, W] and its label file [N] into an ImageSet of [N, 1, H, W].
public func readIDXImageSet(
    imagesPath: String, labelsPath: String, classCount: Int = 10, missingHint: String = ""
) throws -> ImageSet {
    let images = try readIDX(imagesPath, expectedDimensions: 3, missingHint: missingHint)
    let labels = try readIDX(labelsPath, expectedDimensions: 1, missingHint: missingHint)
    guard images.dimensions[0] > 0, images.dimensions[1] > 0, images.dimensions[2] > 0 else {
        throw DatasetError.badFormat(
            path: imagesPath, expected: "at least one image of at least 1x1 pixels",
            found: "shape \(images.dimensions.map(String.init).joined(separator: "x"))")
    }
    guard images.dimensions[0] == labels.dimensions[0] else {
        throw DatasetError.badFormat(
            path: labelsPath, expected: "\(images.dimensions[0]) labels (one per image in \(imagesPath))",
            found: "\(labels.dimensions[0])")
    }
    return try images.bytes.withUnsafeBufferPointer { pixels in
        try makeImageSet(
            pixels: pixels, labels: labels.bytes.map { Int32($0) },
            sampleShape: [1, images.dimensions[1], images.dimensions[2]], classCount: classCount, labelSource: labelsPath)
    }
}

private func hex(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: " ")
}
