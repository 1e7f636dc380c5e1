import Choices
import Foundation
import TensorCore

/// A data file's identity as a run records it: where it was read, its size and an FNV-1a hash of
/// its bytes (16 hex digits), so two runs can be told to have trained on the same files.
public struct DataFileDigest: Equatable, Sendable {
    public var path: String
    public var bytes: Int
    /// FNV-1a 64 of the file's bytes; for an image folder, of its listing (each image's relative
    /// path and size, sorted), as hashing every image would cost more than the run.
    public var fnv1a64: String
    public var ofListing: Bool

    public init(path: String, bytes: Int, fnv1a64: String, ofListing: Bool = false) {
        self.path = path
        self.bytes = bytes
        self.fnv1a64 = fnv1a64
        self.ofListing = ofListing
    }
}

extension DatasetName {
    /// The files `loadDataset` reads from `location` (nil: the default place), in reading order;
    /// for an image folder, its train/ and val/ folders.
    public func files(location: String?) -> [String] {
        let place = location ?? defaultLocation
        switch self {
        case .mnist, .fashionMNIST:
            return ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
                .map { idxFile($0, in: place) }
        case .mnist5k: return [place]
        case .cifar10: return (1...5).map { "\(place)/data_batch_\($0).bin" } + ["\(place)/test_batch.bin"]
        case .cifar100: return ["\(place)/train.bin", "\(place)/test.bin"]
        case .svhn: return ["\(place)/train_32x32.mat", "\(place)/test_32x32.mat"]
        case .imageFolder: return ["\(place)/train", "\(place)/val"]
        }
    }

    /// The digests of `files(location:)` (a file's computed once per path, size and modification
    /// time in a process, since every run of a sweep worker reads the same files).
    public func fileDigests(location: String?) throws -> [DataFileDigest] {
        try files(location: location).map { try DataFileDigests.shared.digest(of: $0, isFolder: self == .imageFolder) }
    }
}

/// The four IDX names are read plain when present, else gzipped.
func idxFile(_ stem: String, in folder: String) -> String {
    let plain = "\(folder)/\(stem)"
    return FileManager.default.fileExists(atPath: plain) ? plain : plain + ".gz"
}

/// The process's cache of file digests.
final class DataFileDigests: @unchecked Sendable {
    static let shared = DataFileDigests()
    private var known: [String: DataFileDigest] = [:]
    private let lock = NSLock()

    func digest(of path: String, isFolder: Bool) throws -> DataFileDigest {
        // A folder's own size and time do not change when an image deep inside it does: list it every time.
        if isFolder { return try listingDigest(of: path) }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let key = "\(path)|\(attributes[.size] as? Int ?? 0)|\(modified)"
        if let cached = lock.withLock({ known[key] }) { return cached }
        let digest = try fileDigest(of: path)
        lock.withLock { known[key] = digest }
        return digest
    }

    private func fileDigest(of path: String) throws -> DataFileDigest {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw DatasetError.missingFile(path: path, hint: "") }
        defer { try? handle.close() }
        var hasher = FNV1a64()
        var bytes = 0
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty {
            chunk.withUnsafeBytes { hasher.add($0) }
            bytes += chunk.count
        }
        return DataFileDigest(path: path, bytes: bytes, fnv1a64: hasher.hex)
    }

    private func listingDigest(of folder: String) throws -> DataFileDigest {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { throw DatasetError.missingFile(path: folder, hint: "") }
        var entries: [(String, Int)] = []
        while let relative = enumerator.nextObject() as? String {
            if let size = (enumerator.fileAttributes?[.size] as? Int), enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular {
                entries.append((relative, size))
            }
        }
        var hasher = FNV1a64()
        for (relative, size) in entries.sorted(by: { $0.0 < $1.0 }) { hasher.add(Data("\(relative)\t\(size)\n".utf8)) }
        return DataFileDigest(path: folder, bytes: entries.map(\.1).reduce(0, +), fnv1a64: hasher.hex, ofListing: true)
    }
}
