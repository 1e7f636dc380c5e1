import Foundation
import Yams

/// An experiment spec as read from YAML or JSON, before it is checked: every scalar is kept as
/// the text the user wrote, so `5e-4`, `off` or `0.10` reach the options exactly as typed and
/// YAML 1.1's guesses (`off` as false, `5e-4` as a string) never change a value.
public indirect enum SpecValue: Equatable, Sendable {
    case scalar(String)
    case list([SpecValue])
    /// Keys in the order written.
    case map([(key: String, value: SpecValue)])

    public static func == (a: SpecValue, b: SpecValue) -> Bool {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.map(let x), .map(let y)): return x.map(\.key) == y.map(\.key) && x.map(\.value) == y.map(\.value)
        default: return false
        }
    }

    /// Reads YAML (or JSON, which YAML 1.2 contains) text; `file` names the source in errors.
    public static func parse(yaml text: String, file: String) throws -> SpecValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            // libyaml quotes the offending line, which can be the whole file: keep its start.
            var found = "\(error)".replacingOccurrences(of: "\n", with: " ")
            if found.count > 300 { found = found.prefix(300) + "…" }
            throw SpecError(file: file, field: nil, expected: "valid YAML or JSON", found: found)
        }
        guard let node else { throw SpecError(file: file, field: nil, expected: "a spec", found: "an empty file") }
        var budget = SpecValue.maximumValues
        return try SpecValue(node: node, file: file, budget: &budget, depth: 0)
    }

    /// The deepest nesting of lists and maps a spec may have (the paper's specs use 3). libyaml
    /// itself stops at 1000 levels, before its recursive composer could exhaust a stack.
    static let maximumDepth = 32

    /// The most values (scalars, lists, maps) a spec may hold once YAML aliases are expanded:
    /// a "billion laughs" file of nested aliases is refused instead of filling memory.
    static let maximumValues = 100_000

    init(node: Node, file: String, budget: inout Int, depth: Int) throws {
        budget -= 1
        guard budget >= 0 else {
            throw SpecError(file: file, field: nil, expected: "at most \(SpecValue.maximumValues) values (YAML aliases expanded)", found: "more")
        }
        guard depth <= SpecValue.maximumDepth else {
            throw SpecError(file: file, field: nil, expected: "lists and maps nested at most \(SpecValue.maximumDepth) deep",
                            found: "deeper nesting (line \(node.mark?.line ?? 0))")
        }
        switch node {
        case .scalar(let scalar): self = .scalar(scalar.string)
        case .sequence(let sequence):
            var items: [SpecValue] = []
            for item in sequence { items.append(try SpecValue(node: item, file: file, budget: &budget, depth: depth + 1)) }
            self = .list(items)
        case .mapping(let mapping):
            var entries: [(key: String, value: SpecValue)] = []
            for (key, value) in mapping {
                guard case .scalar(let name) = key else {
                    throw SpecError(file: file, field: nil, expected: "plain keys", found: "a key that is a list or map")
                }
                guard !entries.contains(where: { $0.key == name.string }) else {
                    throw SpecError(file: file, field: name.string, expected: "each key once", found: "it twice")
                }
                entries.append((name.string, try SpecValue(node: value, file: file, budget: &budget, depth: depth + 1)))
            }
            self = .map(entries)
        case .alias:
            throw SpecError(file: file, field: nil, expected: "no YAML aliases", found: "an alias")
        }
    }

    /// JSON in which every scalar is a string (the frozen copy workers read back exactly).
    public func canonicalJSON() -> String {
        switch self {
        case .scalar(let text):
            let data = try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
            return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
        case .list(let items): return "[" + items.map { $0.canonicalJSON() }.joined(separator: ", ") + "]"
        case .map(let entries):
            return "{" + entries.map { SpecValue.scalar($0.key).canonicalJSON() + ": " + $0.value.canonicalJSON() }
                .joined(separator: ", ") + "}"
        }
    }

    subscript(key: String) -> SpecValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// This tree with `value` set at the dotted `path` (maps are created on the way).
    func setting(_ path: [String], to value: SpecValue) -> SpecValue {
        guard let head = path.first else { return value }
        var entries: [(key: String, value: SpecValue)] = []
        if case .map(let existing) = self { entries = existing }
        if let index = entries.firstIndex(where: { $0.key == head }) {
            entries[index].value = entries[index].value.setting(Array(path.dropFirst()), to: value)
        } else {
            entries.append((head, SpecValue.map([]).setting(Array(path.dropFirst()), to: value)))
        }
        return .map(entries)
    }

    /// Applies `key=value` overrides; the value is read as YAML, so `seeds=[0,1,2]` is a list.
    public func applying(overrides: [String]) throws -> SpecValue {
        var tree = self
        for override in overrides {
            guard let equals = override.firstIndex(of: "="), equals != override.startIndex else {
                throw SpecError(file: "override", field: nil, expected: "key=value (e.g. options.epochs=5 or seeds=[0,1])", found: "'\(override)'")
            }
            let path = override[..<equals].split(separator: ".").map(String.init)
            let text = String(override[override.index(after: equals)...])
            let value = text.isEmpty ? SpecValue.scalar("") : try SpecValue.parse(yaml: text, file: "override '\(override)'")
            tree = tree.setting(path, to: value)
        }
        return tree
    }

    var kindName: String {
        switch self {
        case .scalar(let text): return "'\(text)'"
        case .list: return "a list"
        case .map: return "a map"
        }
    }
}

/// A spec that cannot be run, found before any run starts.
public struct SpecError: Error, Equatable, CustomStringConvertible {
    public let file: String
    /// The offending field, dotted ("options.lr"), or nil for the whole file.
    public let field: String?
    public let expected: String
    public let found: String

    public init(file: String, field: String?, expected: String, found: String) {
        self.file = file
        self.field = field
        self.expected = expected
        self.found = found
    }

    public var description: String {
        "\(file): " + (field.map { "field '\($0)': " } ?? "") + "expected \(expected), found \(found)"
    }
}
