import TensorCore

/// A numeric array read from a MATLAB 5 .mat file, in MATLAB's column-major order.
public struct MATArray {
    public enum Values {
        /// Stored as unsigned bytes (images).
        case bytes([UInt8])
        /// Any other numeric storage, converted to Double.
        case numbers([Double])

        public var count: Int {
            switch self {
            case .bytes(let values): return values.count
            case .numbers(let values): return values.count
            }
        }
    }

    public var name: String
    /// MATLAB's dimensions, e.g. [32, 32, 3, N] for SVHN's X.
    public var dimensions: [Int]
    public var values: Values
    /// How the file stores the values: "uint8", "double", "single", "int32", ...
    public var storage: String
}

/// Reads the numeric arrays of a little-endian MATLAB 5 (v6/v7, not v7.3 HDF5) .mat file,
/// including zlib-compressed elements. Other element kinds (cells, structs, sparse, complex,
/// character arrays) are skipped.
public func readMATFile(_ path: String, missingHint: String = "") throws -> [String: MATArray] {
    let bytes = try readFileBytes(path, missingHint: missingHint)
    guard bytes.count >= 128 else {
        throw DatasetError.badFormat(path: path, expected: "a MATLAB 5 file with a 128-byte header", found: "\(bytes.count) bytes")
    }
    if bytes.starts(with: Array("MATLAB 7.3".utf8)) || bytes[0..<8] == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] {
        throw DatasetError.badFormat(path: path, expected: "a MATLAB 5 (v6/v7) .mat file", found: "a MATLAB v7.3 (HDF5) file")
    }
    let endian = String(decoding: bytes[126..<128], as: UTF8.self)
    guard endian == "IM" else {
        throw DatasetError.badFormat(
            path: path, expected: "a little-endian MATLAB 5 file (endian mark 'IM' at byte 126)", found: "'\(endian)'")
    }
    var arrays: [String: MATArray] = [:]
    var reader = MATElementReader(bytes: bytes[...], path: path)
    reader.position = 128
    while let element = try reader.next() {
        for array in try element.arrays(path: path) { arrays[array.name] = array }
    }
    return arrays
}

/// One data element: its type code and payload.
private struct MATElement {
    var type: UInt32
    var payload: ArraySlice<UInt8>

    static let int8: UInt32 = 1, uint8: UInt32 = 2, int16: UInt32 = 3, uint16: UInt32 = 4, int32: UInt32 = 5
    static let uint32: UInt32 = 6, single: UInt32 = 7, double: UInt32 = 9, int64: UInt32 = 12, uint64: UInt32 = 13
    static let matrix: UInt32 = 14, compressed: UInt32 = 15

    /// The numeric arrays this element holds (a compressed element may hold several).
    /// MATLAB never nests compressed elements, so one inside another is refused (a file of
    /// thousands of nested ones would otherwise exhaust the stack).
    func arrays(path: String, insideCompressed: Bool = false) throws -> [MATArray] {
        switch type {
        case MATElement.compressed:
            if insideCompressed {
                throw DatasetError.badFormat(path: path, expected: "no compressed element inside a compressed element", found: "one")
            }
            let inflated = try inflateZlib(payload, path: path)
            var inner = MATElementReader(bytes: inflated[...], path: path)
            var result: [MATArray] = []
            while let element = try inner.next() { result += try element.arrays(path: path, insideCompressed: true) }
            return result
        case MATElement.matrix:
            return try matrix(path: path).map { [$0] } ?? []
        default:
            return []
        }
    }

    /// A numeric matrix: flags, dimensions, name, real part.
    private func matrix(path: String) throws -> MATArray? {
        var reader = MATElementReader(bytes: payload, path: path)
        guard let flags = try reader.next(), let dimensions = try reader.next(), let name = try reader.next() else {
            throw DatasetError.badFormat(path: path, expected: "array flags, dimensions and name in a matrix element", found: "fewer sub-elements")
        }
        let flagWord = try flags.integers(path: path).first ?? 0
        let arrayClass = Int(flagWord) & 0xFF
        let isComplex = Int(flagWord) & 0x0800 != 0
        // Classes 6-15 are the numeric ones (double, single, int8 ... uint64).
        guard (6...15).contains(arrayClass), !isComplex else { return nil }
        let sizes = try dimensions.integers(path: path).map { Int($0) }
        guard let total = checkedProduct(sizes) else {
            throw DatasetError.badFormat(path: path, expected: "non-negative dimensions of array '\(name.text)' whose product fits", found: "\(sizes)")
        }
        guard let real = try reader.next() else {
            throw DatasetError.badFormat(path: path, expected: "the data of array '\(name.text)'", found: "none")
        }
        let values: MATArray.Values = real.type == MATElement.uint8
            ? .bytes(Array(real.payload)) : .numbers(try real.numbers(path: path))
        guard values.count == total else {
            throw DatasetError.badFormat(
                path: path, expected: "\(total) values for array '\(name.text)' of size \(sizes)", found: "\(values.count)")
        }
        return MATArray(name: name.text, dimensions: sizes, values: values, storage: real.typeName)
    }

    var text: String { String(decoding: payload, as: UTF8.self) }

    /// The payload as whole numbers (dimensions, flags); anything else is refused.
    func integers(path: String) throws -> [Int64] {
        try numbers(path: path).map { value in
            guard value == value.rounded(), abs(value) < 0x1p62 else {
                throw DatasetError.badFormat(path: path, expected: "whole numbers in a size or flags element", found: "\(value)")
            }
            return Int64(value)
        }
    }

    /// MATLAB's name of the element type.
    var typeName: String {
        let names: [UInt32: String] = [1: "int8", 2: "uint8", 3: "int16", 4: "uint16", 5: "int32", 6: "uint32", 7: "single",
                                       9: "double", 12: "int64", 13: "uint64"]
        return names[type] ?? "element type \(type)"
    }

    /// The payload as numbers, whatever integer or floating type stores them.
    func numbers(path: String) throws -> [Double] {
        let width: Int
        switch type {
        case MATElement.int8, MATElement.uint8: width = 1
        case MATElement.int16, MATElement.uint16: width = 2
        case MATElement.int32, MATElement.uint32, MATElement.single: width = 4
        case MATElement.double, MATElement.int64, MATElement.uint64: width = 8
        default:
            throw DatasetError.badFormat(path: path, expected: "a numeric data type", found: "element type \(type)")
        }
        guard payload.count % width == 0 else {
            throw DatasetError.badFormat(path: path, expected: "a multiple of \(width) bytes of element type \(type)", found: "\(payload.count)")
        }
        let start = payload.startIndex
        return (0..<(payload.count / width)).map { index in
            var bits: UInt64 = 0
            for byte in 0..<width { bits |= UInt64(payload[start + index * width + byte]) << (8 * UInt64(byte)) }
            switch type {
            case MATElement.int8: return Double(Int8(truncatingIfNeeded: bits))
            case MATElement.int16: return Double(Int16(truncatingIfNeeded: bits))
            case MATElement.int32: return Double(Int32(truncatingIfNeeded: bits))
            case MATElement.int64: return Double(Int64(bitPattern: bits))
            case MATElement.single: return Double(Float(bitPattern: UInt32(bits)))
            case MATElement.double: return Double(bitPattern: bits)
            default: return Double(bits)
            }
        }
    }
}

/// Walks the data elements of a byte range: an 8-byte tag (type, size) and the payload padded to
/// 8 bytes, or the 4-byte "small element" form with type and size packed into one word.
private struct MATElementReader {
    let bytes: ArraySlice<UInt8>
    let path: String
    var position: Int

    init(bytes: ArraySlice<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        self.position = bytes.startIndex
    }

    mutating func next() throws -> MATElement? {
        if position >= bytes.endIndex { return nil }
        guard bytes.endIndex - position >= 8 else {
            throw DatasetError.badFormat(path: path, expected: "an 8-byte element tag at byte \(position)", found: "\(bytes.endIndex - position) bytes")
        }
        let first = word(at: position)
        if first >> 16 != 0 {
            // Small element: size in the upper half, type in the lower, data in the next 4 bytes.
            let size = Int(first >> 16)
            guard size <= 4 else {
                throw DatasetError.badFormat(path: path, expected: "a small element of at most 4 bytes", found: "\(size) bytes at byte \(position)")
            }
            let element = MATElement(type: first & 0xFFFF, payload: bytes[(position + 4)..<(position + 4 + size)])
            position += 8
            return element
        }
        let size = Int(word(at: position + 4))
        let start = position + 8
        guard size <= bytes.endIndex - start else {
            throw DatasetError.badFormat(
                path: path, expected: "\(size) bytes of element data at byte \(start)",
                found: "\(bytes.endIndex - start) (the file is truncated)")
        }
        let element = MATElement(type: first, payload: bytes[start..<(start + size)])
        // Compressed elements are not padded; all others are padded to a multiple of 8 bytes.
        position = start + (first == MATElement.compressed ? size : (size + 7) / 8 * 8)
        return element
    }

    private func word(at offset: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }
}
