/// A closed set of values a run is configured with, written in records by its name (the
/// command-line spelling). Decoding a name outside the set throws a `ConfigError` naming the
/// field, so a hand-edited config.json is refused as a wrong command-line value would be.
public protocol RecordedChoice: RawRepresentable, CaseIterable, Codable, Sendable, CustomStringConvertible
where RawValue == String {
    /// The field as the command-line option or config key that sets it ("activation", "init").
    static var field: String { get }
}

extension RecordedChoice {
    /// The value named `name`, or a `ConfigError` listing the names.
    public static func named(_ name: String, field: String = Self.field) throws -> Self {
        guard let value = Self(rawValue: name) else {
            throw ConfigError(field: field, expected: "one of \(names)", found: "'\(name)'")
        }
        return value
    }

    /// The names, comma-separated, in declaration order.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws {
        self = try Self.named(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
