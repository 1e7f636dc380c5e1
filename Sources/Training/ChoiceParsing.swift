import RunRecords

/// A choice stored by name in a config record, parsed with an error naming the field.
func parseChoice<T: RawRepresentable & CaseIterable>(_ raw: String, field: String, as type: T.Type) throws -> T
where T.RawValue == String {
    guard let value = T(rawValue: raw) else {
        let names = T.allCases.map(\.rawValue).joined(separator: ", ")
        throw ConfigError(field: field, expected: "one of \(names)", found: "'\(raw)'")
    }
    return value
}
