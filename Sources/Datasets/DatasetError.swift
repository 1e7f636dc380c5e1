/// What went wrong reading or preparing data. Each message names the file or field, what was
/// expected and what was found, and for missing data how to get it.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case missingFile(path: String, hint: String)
    case unreadable(path: String, reason: String)
    case badFormat(path: String, expected: String, found: String)
    case invalidOption(field: String, expected: String, found: String)

    public var description: String {
        switch self {
        case .missingFile(let path, let hint):
            return "\(path): file not found. \(hint)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read: \(reason)"
        case .badFormat(let path, let expected, let found):
            return "\(path): expected \(expected), found \(found)"
        case .invalidOption(let field, let expected, let found):
            return "\(field): expected \(expected), found \(found)"
        }
    }
}
