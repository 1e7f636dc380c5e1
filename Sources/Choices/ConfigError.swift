/// A run configuration that cannot work, found before any work is done.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    /// The field, as the command-line option or config key that sets it.
    public let field: String
    public let expected: String
    public let found: String

    public init(field: String, expected: String, found: String) {
        self.field = field
        self.expected = expected
        self.found = found
    }

    public var description: String { "\(field): expected \(expected), found \(found)" }
}
