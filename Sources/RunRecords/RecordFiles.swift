import Foundation

/// Reading and writing run records. Every write goes to a temporary file in the same folder
/// that is flushed and renamed over the target, so a reader sees the old file or the new one,
/// never half of one, whatever interrupts the writer.
public enum RecordFiles {
    /// Writes `data` to `path` atomically (temporary file, fsync, rename).
    public static func writeAtomically(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent)\(temporaryMarker)\(ProcessInfo.processInfo.processIdentifier)").path
        // Plain POSIX writes: Foundation's createFile would itself write through a second
        // temporary (".dat.nosync…") that a kill leaves behind.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw RecordError.cannotWrite(path: temporary) }
        let written = data.withUnsafeBytes { buffer -> Bool in
            var offset = 0
            while offset < buffer.count {
                let count = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if count <= 0 { return false }
                offset += count
            }
            return true
        }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        guard written, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw RecordError.cannotWrite(path: path)
        }
    }

    /// What `writeAtomically` puts between the name and the writer's process id.
    static let temporaryMarker = ".tmp-"

    /// Removes the temporaries that killed writes left in `directory`: ours (".NAME.tmp-PID"
    /// whose writer is gone, a zombie, or not the process now holding that id) and
    /// Foundation's (".dat.nosync…"). Returns their names.
    @discardableResult
    public static func removeStaleTemporaries(in directory: String) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(".") {
            var stale = name.hasPrefix(".dat.nosync")
            if let marker = name.range(of: temporaryMarker, options: .backwards), let pid = Int32(name[marker.upperBound...]) {
                let modified = (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(name)"))?[.modificationDate] as? Date
                stale = !WriterProcess.mayStillWrite(pid: pid, fileModified: modified)
            }
            if stale && unlink("\(directory)/\(name)") == 0 { removed.append(name) }
        }
        return removed.sorted()
    }

    /// Pretty, key-sorted JSON (stable across runs, pleasant to diff).
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try encoder.encode(value)
        data.append(0x0A)
        return data
    }

    public static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        try writeAtomically(encode(value), to: path)
    }

    public static func readJSON<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw RecordError.missing(path: path) }
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw RecordError.invalid(path: path, reason: describe(error))
        }
    }

    /// One compact JSON object per line.
    public static func writeJSONLines<T: Encodable>(_ values: [T], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for value in values {
            data.append(try encoder.encode(value))
            data.append(0x0A)
        }
        try writeAtomically(data, to: path)
    }

    public static func readJSONLines<T: Decodable>(_ type: T.Type, from path: String) throws -> [T] {
        guard let data = FileManager.default.contents(atPath: path) else { throw RecordError.missing(path: path) }
        let decoder = JSONDecoder()
        var values: [T] = []
        for (number, line) in data.split(separator: 0x0A).enumerated() where !line.isEmpty {
            do {
                values.append(try decoder.decode(type, from: Data(line)))
            } catch {
                throw RecordError.invalid(path: path, reason: "line \(number + 1): \(describe(error))")
            }
        }
        return values
    }
}

/// Why a record could not be read or written.
public enum RecordError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case invalid(path: String, reason: String)
    case cannotWrite(path: String)
    case cannotLock(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): return "\(path): file not found"
        case .invalid(let path, let reason): return "\(path): not a valid record: \(reason)"
        case .cannotWrite(let path): return "\(path): cannot write (check the folder exists and is writable)"
        case .cannotLock(let path, let reason): return "\(path): cannot lock (\(reason))"
        }
    }
}

/// A decoding error in words: which field, what was wrong.
private func describe(_ error: Error) -> String {
    guard let decodingError = error as? DecodingError else { return "\(error)" }
    func path(_ context: DecodingError.Context) -> String {
        let keys = context.codingPath.map(\.stringValue).joined(separator: ".")
        return keys.isEmpty ? "the top level" : "field '\(keys)'"
    }
    switch decodingError {
    case .keyNotFound(let key, let context):
        let parent = path(context)
        return "missing field '\(key.stringValue)'" + (context.codingPath.isEmpty ? "" : " in \(parent)")
    case .typeMismatch(let type, let context): return "\(path(context)): expected \(type)"
    case .valueNotFound(let type, let context): return "\(path(context)): expected \(type), found null"
    case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
    @unknown default: return "\(error)"
    }
}
