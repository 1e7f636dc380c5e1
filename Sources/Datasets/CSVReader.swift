/// Where the label stands in each CSV row.
public enum LabelColumn: String, Codable, CaseIterable, Sendable {
    case first, last
}

/// Reads a CSV of labelled images: one sample per line, integer pixel values 0-255 and an
/// integer label, comma-separated (gzip or not). Blank lines are skipped; there is no header.
///
/// - Parameters:
///   - sampleShape: [C, H, W]; each row must have C*H*W pixels plus the label.
public func readCSVImageSet(
    _ path: String, sampleShape: [Int], labelColumn: LabelColumn, classCount: Int, missingHint: String = ""
) throws -> ImageSet {
    let bytes = try readFileBytes(path, missingHint: missingHint)
    let pixelsPerRow = sampleShape.reduce(1, *)
    var pixels: [UInt8] = []
    pixels.reserveCapacity(bytes.count / 2)
    var labels: [Int32] = []
    var row: [Int] = []
    row.reserveCapacity(pixelsPerRow + 1)

    var line = 1
    var value = 0
    var digits = 0
    var index = 0

    func finishField() throws {
        guard digits > 0 else {
            throw DatasetError.badFormat(path: path, expected: "an integer in field \(row.count + 1) of line \(line)", found: "an empty field")
        }
        row.append(value)
        value = 0
        digits = 0
    }
    func finishRow() throws {
        if row.isEmpty && digits == 0 { return }  // blank line
        try finishField()
        guard row.count == pixelsPerRow + 1 else {
            throw DatasetError.badFormat(
                path: path, expected: "\(pixelsPerRow + 1) fields (\(pixelsPerRow) pixels and a label) on line \(line)",
                found: "\(row.count)")
        }
        let labelIndex = labelColumn == .first ? 0 : pixelsPerRow
        let label = row[labelIndex]
        guard label < classCount else {
            throw DatasetError.badFormat(path: path, expected: "a label in 0...\(classCount - 1) on line \(line)", found: "\(label)")
        }
        labels.append(Int32(label))
        for (position, pixel) in row.enumerated() where position != labelIndex {
            guard pixel <= 255 else {
                throw DatasetError.badFormat(
                    path: path, expected: "pixel values in 0...255 on line \(line)", found: "\(pixel) in field \(position + 1)")
            }
            pixels.append(UInt8(pixel))
        }
        row.removeAll(keepingCapacity: true)
    }

    while index < bytes.count {
        let byte = bytes[index]
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            digits += 1
            if digits > 9 {
                throw DatasetError.badFormat(path: path, expected: "small integers on line \(line)", found: "a number with more than 9 digits")
            }
        case UInt8(ascii: "."):
            // Accept "12.0" style integers (numpy's savetxt writes them); reject real fractions.
            var next = index + 1
            while next < bytes.count && bytes[next] == UInt8(ascii: "0") { next += 1 }
            if next < bytes.count && (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(bytes[next]) {
                throw DatasetError.badFormat(path: path, expected: "integer values on line \(line)", found: "a fractional number")
            }
            index = next - 1
        case UInt8(ascii: ","):
            try finishField()
        case UInt8(ascii: "\n"):
            try finishRow()
            line += 1
        case UInt8(ascii: "\r"), UInt8(ascii: " "):
            break
        default:
            let found = byte < 0x80 ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(byte)"
            throw DatasetError.badFormat(path: path, expected: "digits, commas and newlines on line \(line)", found: found)
        }
        index += 1
    }
    try finishRow()
    guard !labels.isEmpty else {
        throw DatasetError.badFormat(path: path, expected: "at least one row", found: "no data")
    }
    return try pixels.withUnsafeBufferPointer { buffer in
        try makeImageSet(pixels: buffer, labels: labels, sampleShape: sampleShape, classCount: classCount, labelSource: path)
    }
}
