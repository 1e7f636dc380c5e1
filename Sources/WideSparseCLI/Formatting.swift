import Foundation

/// Pretty-printed JSON with sorted keys, as `--json` prints it.
public func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// "12.34 %"
func percent(_ value: Double) -> String { String(format: "%.2f %%", 100 * value) }

/// `value` with `digits` decimals.
func format(_ value: Double, digits: Int) -> String { String(format: "%.\(digits)f", value) }
