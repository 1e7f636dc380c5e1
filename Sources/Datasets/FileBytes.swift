import CZlib
import Foundation

/// The bytes of a file, gunzipped when it starts with the gzip magic 1f 8b (whatever its name).
///
/// Throws `.missingFile` (with `missingHint`) when it does not exist and `.badFormat` for a
/// corrupt or truncated gzip stream.
public func readFileBytes(_ path: String, missingHint: String = "") throws -> [UInt8] {
    guard FileManager.default.fileExists(atPath: path) else {
        throw DatasetError.missingFile(path: path, hint: missingHint)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DatasetError.unreadable(path: path, reason: "permission denied or not a regular file")
    }
    let bytes = [UInt8](data)
    if bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B {
        return try gunzip(bytes, path: path)
    }
    return bytes
}

/// Inflates every gzip member of `compressed` (files made by concatenating gzip files are legal).
func gunzip(_ compressed: [UInt8], path: String) throws -> [UInt8] {
    try inflateStream(compressed, path: path, windowBits: 15 + 16, format: "gzip")
}

/// Inflates zlib-wrapped data (MATLAB's compressed elements).
func inflateZlib(_ compressed: ArraySlice<UInt8>, path: String) throws -> [UInt8] {
    try inflateStream(Array(compressed), path: path, windowBits: 15, format: "zlib")
}

/// The most bytes a compressed stream may decompress to (8 GiB), against decompression bombs.
let maximumDecompressedBytes = 1 << 33

private func inflateStream(_ compressed: [UInt8], path: String, windowBits: Int32, format: String) throws -> [UInt8] {
    guard !compressed.isEmpty else {
        throw DatasetError.badFormat(path: path, expected: "\(format) data", found: "no bytes")
    }
    guard compressed.count <= Int(UInt32.max) else {
        throw DatasetError.badFormat(path: path, expected: "at most 4 GiB of \(format) data in one stream", found: "\(compressed.count) bytes")
    }
    var output: [UInt8] = []
    output.reserveCapacity(compressed.count * 4)
    var stream = z_stream()
    // 15: the largest window; + 16: a gzip wrapper instead of zlib's.
    guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
        throw DatasetError.unreadable(path: path, reason: "zlib could not start")
    }
    defer { inflateEnd(&stream) }
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    try compressed.withUnsafeBufferPointer { input in
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
        stream.avail_in = UInt32(input.count)
        while true {
            let status: Int32 = chunk.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(buffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            output.append(contentsOf: chunk[0..<(chunk.count - Int(stream.avail_out))])
            if output.count > maximumDecompressedBytes {
                throw DatasetError.badFormat(
                    path: path, expected: "at most \(maximumDecompressedBytes) decompressed bytes", found: "more (a decompression bomb?)")
            }
            switch status {
            case Z_STREAM_END:
                if stream.avail_in == 0 || format != "gzip" { return }
                inflateReset(&stream)  // another gzip member follows
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw DatasetError.badFormat(
                    path: path, expected: "a complete \(format) stream",
                    found: "it ends early (truncated after \(output.count) decompressed bytes)")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
                throw DatasetError.badFormat(path: path, expected: "valid \(format) data", found: "corrupt data (\(message))")
            }
        }
    }
    return output
}
