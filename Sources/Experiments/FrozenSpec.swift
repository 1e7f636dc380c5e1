import Foundation
import RunRecords

/// The spec exactly as a sweep was started (file plus overrides, data folders made absolute),
/// saved where workers read it: <experiment>/specs/<hash>.json. Named by its content, so a later
/// sweep with an edited spec never changes the file that queued workers will read.
public enum FrozenSpec {
    public static func write(_ tree: SpecValue, experimentDirectory: String) throws -> String {
        let absolute = absoluteDataDirectories(tree)
        let text = absolute.canonicalJSON() + "\n"
        let hash = String(fnv1a(text), radix: 16)
        let path = URL(fileURLWithPath: "\(ExperimentDirectory(experimentDirectory).path(.specs))/\(hash).json").standardizedFileURL.path
        if !FileManager.default.fileExists(atPath: path) {
            try RecordFiles.writeAtomically(Data(text.utf8), to: path)
        }
        return path
    }

    static func absoluteDataDirectories(_ tree: SpecValue) -> SpecValue {
        let current = FileManager.default.currentDirectoryPath
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") || path.hasPrefix("~") ? (path as NSString).expandingTildeInPath
                : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: current, isDirectory: true)).standardizedFileURL.path
        }
        switch tree["data_dir"] {
        case .scalar(let path)?: return tree.setting(["data_dir"], to: .scalar(absolute(path)))
        case .map(let entries)?:
            return tree.setting(["data_dir"], to: .map(entries.map { entry in
                if case .scalar(let path) = entry.value { return (entry.key, SpecValue.scalar(absolute(path))) }
                return entry
            }))
        default: return tree
        }
    }
}

/// FNV-1a, 64 bits: a stable name for a text (not a security measure).
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
}
