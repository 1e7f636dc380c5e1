import TensorCore

/// Reads an SVHN cropped-digits file (train_32x32.mat, test_32x32.mat): X is uint8 of MATLAB
/// size [32, 32, 3, N] (column-major: row fastest), y is N labels 1-10 where 10 stands for the
/// digit 0 (mapped to 0, as torchvision does). Returns [N, 3, 32, 32].
public func readSVHN(_ path: String, missingHint: String = "") throws -> ImageSet {
    let arrays = try readMATFile(path, missingHint: missingHint)
    guard let x = arrays["X"], let y = arrays["y"] else {
        throw DatasetError.badFormat(path: path, expected: "arrays 'X' and 'y'", found: "arrays \(arrays.keys.sorted())")
    }
    guard case .bytes(let pixels) = x.values else {
        throw DatasetError.badFormat(path: path, expected: "X stored as uint8 (SVHN's pixels)", found: "X stored as \(x.storage)")
    }
    guard x.dimensions.count == 4, x.dimensions[2] == 3, x.dimensions[0] > 0, x.dimensions[1] > 0, x.dimensions[3] > 0 else {
        throw DatasetError.badFormat(
            path: path, expected: "X of size [height, width, 3, N], each at least 1", found: "size \(x.dimensions) (\(x.values.count) values)")
    }
    let (height, width, count) = (x.dimensions[0], x.dimensions[1], x.dimensions[3])
    guard y.values.count == count else {
        throw DatasetError.badFormat(path: path, expected: "\(count) labels in 'y' (one per image)", found: "\(y.values.count)")
    }
    let rawLabels: [Double]
    switch y.values {
    case .bytes(let values): rawLabels = values.map(Double.init)
    case .numbers(let values): rawLabels = values
    }
    var labels: [Int32] = []
    labels.reserveCapacity(count)
    for (index, label) in rawLabels.enumerated() {
        guard label == label.rounded(), label >= 1, label <= 10 else {
            throw DatasetError.badFormat(path: path, expected: "labels 1...10 in 'y' (10 for the digit 0)", found: "\(label) at index \(index)")
        }
        labels.append(label == 10 ? 0 : Int32(label))
    }
    // Column-major [H, W, C, N] to row-major [N, C, H, W].
    var reordered = [UInt8](repeating: 0, count: pixels.count)
    let plane = height * width
    for n in 0..<count {
        for channel in 0..<3 {
            let source = (n * 3 + channel) * plane
            let destination = (n * 3 + channel) * plane
            for row in 0..<height {
                for column in 0..<width {
                    reordered[destination + row * width + column] = pixels[source + column * height + row]
                }
            }
        }
    }
    return try reordered.withUnsafeBufferPointer {
        try makeImageSet(pixels: $0, labels: labels, sampleShape: [3, height, width], classCount: 10, labelSource: path)
    }
}
