import Foundation

/// The safetensors file format (readable from Python with `safetensors.numpy.load_file`):
/// 8 bytes little-endian header length, a JSON header mapping each tensor name to
/// {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]} plus an optional
/// "__metadata__" object of strings, then the raw little-endian data.
public enum SafeTensors {
    /// The file's bytes for `tensors` (in the given order) and `metadata`.
    public static func encode(_ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, tensor) in tensors {
            precondition(name != "__metadata__" && header[name] == nil, "duplicate or reserved tensor name \(name)")
            let size = tensor.count * MemoryLayout<Float>.size
            header[name] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + size]] as [String: Any]
            offset += size
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var data = Data()
        data.reserveCapacity(8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(headerBytes)
        for (_, tensor) in tensors {
            tensor.withUnsafeBufferPointer { data.append(UnsafeBufferPointer(start: $0.baseAddress, count: $0.count)) }
        }
        return data
    }

    /// The tensors and metadata of a safetensors file's bytes; `path` names the file in errors.
    public static func decode(_ data: Data, path: String) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        func bad(_ expected: String, _ found: String) -> SafeTensorsError {
            SafeTensorsError(path: path, expected: expected, found: found)
        }
        guard data.count >= 8 else { throw bad("at least 8 bytes", "\(data.count) bytes") }
        let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw bad("a header of at most \(data.count - 8) bytes", "a header length of \(headerLength)")
        }
        let dataStart = 8 + Int(headerLength)
        guard let header = try? JSONSerialization.jsonObject(with: data.subdata(in: 8..<dataStart)) as? [String: Any] else {
            throw bad("a JSON object as header", "unparsable header")
        }
        var tensors: [String: Tensor] = [:]
        var metadata: [String: String] = [:]
        for (name, entry) in header {
            if name == "__metadata__" {
                metadata = entry as? [String: String] ?? [:]
                continue
            }
            guard let info = entry as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw bad("dtype, shape and data_offsets for tensor '\(name)'", "\(entry)") }
            guard dtype == "F32" else { throw bad("dtype F32 for tensor '\(name)'", dtype) }
            guard let count = checkedProduct(shape), let size = checkedProduct([count, 4]), size <= data.count else {
                throw bad("a shape for tensor '\(name)' that fits in the file's \(data.count) bytes", "shape \(shape)")
            }
            guard offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] - offsets[0] == size,
                  let begin = checkedSum(dataStart, offsets[0]), let end = checkedSum(dataStart, offsets[1]), end <= data.count else {
                throw bad("\(size) bytes inside the file for tensor '\(name)' of shape \(shape)",
                          "offsets \(offsets) in a file of \(data.count) bytes")
            }
            let tensor = Tensor(shape: shape)
            data.copyBytes(to: UnsafeMutableBufferPointer(start: tensor.pointer, count: count), from: begin..<end)
            tensors[name] = tensor
        }
        return (tensors, metadata)
    }
}

/// A safetensors file that is not what it should be.
public struct SafeTensorsError: Error, Equatable, CustomStringConvertible {
    public let path: String
    public let expected: String
    public let found: String

    public init(path: String, expected: String, found: String) {
        self.path = path
        self.expected = expected
        self.found = found
    }

    public var description: String { "\(path): expected \(expected), found \(found)" }
}
