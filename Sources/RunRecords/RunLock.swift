import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a run directory, so that two workers (local or on cluster nodes sharing
/// the folder) never train the same run at once. It is a POSIX record lock (fcntl) on the file
/// `lock`: the kernel drops it when the holder exits in any way, so a crashed or killed worker
/// cannot leave it stuck, and NFS carries it between nodes. The file also names the holder.
public final class RunLock {
    public let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }  // closing the descriptor releases the lock

    /// Takes the lock without waiting; nil when another process holds it.
    public static func acquire(directory: String, holder: String) throws -> RunLock? {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = RunDirectory(directory).path(.lock)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw RecordError.cannotLock(path: path, reason: "cannot open the lock file (\(String(cString: strerror(errno))))") }
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        guard fcntl(descriptor, F_SETLK, &request) == 0 else {
            close(descriptor)
            if errno == EAGAIN || errno == EACCES { return nil }
            throw RecordError.cannotLock(path: path, reason: String(cString: strerror(errno)))
        }
        let text = Array(holder.utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBufferPointer { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return RunLock(path: path, descriptor: descriptor)
    }

    /// Whether another process holds the lock of `directory` now (tested without taking it, so
    /// asking never makes a starting worker miss the lock).
    public static func isHeld(directory: String) -> Bool {
        let descriptor = open(RunDirectory(directory).path(.lock), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        guard fcntl(descriptor, F_GETLK, &request) == 0 else { return false }
        return request.l_type != Int16(F_UNLCK)
    }

    /// What the holder wrote into the lock file ("host pid 1234 since ...").
    public static func holder(directory: String) -> String? {
        (try? String(contentsOfFile: RunDirectory(directory).path(.lock), encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }
}
