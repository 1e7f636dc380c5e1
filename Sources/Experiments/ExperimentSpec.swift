import Choices
import Foundation
import Models
import TensorCore
import Widening

/// An experiment: a constant-weight width family (or several) written down once. Every field
/// that takes a value also takes a list of values, and lists multiply (datasets x base widths x
/// methods x widened stages x widths x rules x masks x last-layer connectivities x option values x seeds).
///
///     name: figure6-quick
///     model: resnet18                 # or mlp, vgg
///     datasets: [fashion-mnist]
///     base_widths: [8]
///     factors: [1, 2, 4]              # or widths: [8, 16, 32]
///     methods: [sparse, dense]        # sparse: at the weights of the base width; dense: the full model of each width;
///                                     # linear-bottleneck, nonlinear-bottleneck: those weights without masks (Figure 3)
///     rule: level-down                # level-down, uniform or erk
///     io_only: false                  # ResNet-18: remove whole kernels (Figure 9: [false, true])
///     widen_stages: ["1,2,3,4", "4"]  # ResNet-18: which stages widen (the others keep the base width's)
///     seeds: [0, 1, 2]
///     options:                        # any option of `widesparse train <model>`, by name
///       epochs: 20
///       lr: [0.05, 0.1]               # a list is a sweep dimension
public struct ExperimentSpec: Equatable, Sendable {
    public var name: String
    public var description: String?
    /// "mlp", "resnet18" or "vgg"
    public var model: String
    public var datasets: [String]
    /// Per dataset, where its files are (absent: the dataset's standard place).
    public var dataDirectories: [String: String]
    public var baseWidths: [Int]
    /// Either explicit widths or widening factors of each base width.
    public var widths: [Int]?
    public var factors: [Double]?
    /// The weight budget of sparse members (absent: the dense weights of the base width).
    public var weights: Int?
    /// Any of "dense", "sparse", "linear-bottleneck", "nonlinear-bottleneck"
    public var methods: [String]
    public var rules: [String]
    public var ioOnly: [Bool]
    /// MLP only: the paper's Figure 5 split (the last layer's connectivity; the first layer takes the rest).
    public var lastLayerConnectivities: [Double]?
    public var seeds: [UInt64]
    /// ResNet-18: the stages that widen, one set per entry (default: all four); the others keep
    /// the base width's channels.
    public var widenedStages: [[Int]]
    /// `widesparse train <model>` options, by name, each with one or more values, sorted by name.
    public var options: [(name: String, values: [String])]

    public static var methodNames: [String] { WideningMethods.names }
    /// The widest model a spec may ask for (2^20 channels or hidden units).
    public static let maximumWidth = 1 << 20
    /// The most runs one spec may expand to.
    public static let maximumRuns = 100_000
    public static let ruleNames = ["level-down", "uniform", "erk"]
    static let fields = [
        "name", "description", "model", "dataset", "datasets", "data_dir", "base_width", "base_widths", "widths",
        "factors", "weights", "methods", "method", "rule", "rules", "io_only", "last_layer_connectivity", "seed", "seeds",
        "widen_stages", "options",
    ]
    /// Options the structured fields set; giving them under `options` would contradict those.
    public static let reservedOptions = [
        "width", "weights", "weights-of-width", "base-width", "widen-stages", "method", "rule", "io-only", "last-layer-connectivity", "removed", "seed",
        "dataset", "data-dir", "out", "restart", "stop-after-epochs", "threads", "resume", "execution",
    ]

    public static func == (a: ExperimentSpec, b: ExperimentSpec) -> Bool {
        a.name == b.name && a.description == b.description && a.model == b.model && a.datasets == b.datasets
            && a.dataDirectories == b.dataDirectories && a.baseWidths == b.baseWidths && a.widths == b.widths
            && a.factors == b.factors && a.weights == b.weights && a.methods == b.methods && a.rules == b.rules
            && a.ioOnly == b.ioOnly && a.lastLayerConnectivities == b.lastLayerConnectivities && a.seeds == b.seeds
            && a.widenedStages == b.widenedStages
            && a.options.map(\.name) == b.options.map(\.name) && a.options.map(\.values) == b.options.map(\.values)
    }

    /// Reads and checks a spec tree; every problem names the file and the field.
    public init(_ tree: SpecValue, file: String) throws {
        let fields = SpecFields(tree: tree, file: file)
        try fields.rejectUnknown(ExperimentSpec.fields)
        name = try fields.string("name")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }), !name.hasPrefix(".") else {
            throw SpecError(file: file, field: "name", expected: "letters, digits, '-', '_' or '.' (it names the runs folder)", found: "'\(name)'")
        }
        description = try fields.optionalString("description")
        model = try fields.string("model")
        guard let kind = ModelKind(rawValue: model) else {
            throw SpecError(file: file, field: "model", expected: "one of \(ModelKind.names)", found: "'\(model)'")
        }
        datasets = try fields.strings(one: "dataset", many: "datasets") ?? ["mnist5k"]
        dataDirectories = try fields.dataDirectories(datasets: datasets)
        baseWidths = try fields.integers(one: "base_width", many: "base_widths", minimum: 1, maximum: ExperimentSpec.maximumWidth)
            ?? { throw SpecError(file: file, field: "base_width", expected: "the base width(s) of the family", found: "nothing") }()
        widths = try fields.integers(one: nil, many: "widths", minimum: 1, maximum: ExperimentSpec.maximumWidth)
        factors = try fields.doubles("factors")
        if let factors, let bad = factors.first(where: { !($0 > 0 && $0.isFinite) }) {
            throw SpecError(file: file, field: "factors", expected: "positive widening factors", found: "\(bad)")
        }
        let widestBase = Double(baseWidths.max()!)
        if let factors, let bad = factors.first(where: { $0 * widestBase > Double(ExperimentSpec.maximumWidth) }) {
            throw SpecError(file: file, field: "factors", expected: "factors that keep widths at most \(ExperimentSpec.maximumWidth)", found: "\(bad)")
        }
        guard (widths == nil) != (factors == nil) else {
            throw SpecError(file: file, field: "widths", expected: "either widths or factors", found: widths == nil ? "neither" : "both")
        }
        weights = try fields.integers(one: "weights", many: nil, minimum: 1)?.first
        if weights != nil && baseWidths.count > 1 {
            throw SpecError(file: file, field: "weights", expected: "one base width with an explicit budget", found: "\(baseWidths.count) base widths")
        }
        methods = try fields.strings(one: "method", many: "methods") ?? ["sparse"]
        for method in methods where !ExperimentSpec.methodNames.contains(method) {
            throw SpecError(file: file, field: "methods", expected: "one of \(ExperimentSpec.methodNames.joined(separator: ", "))", found: "'\(method)'")
        }
        rules = try fields.strings(one: "rule", many: "rules") ?? ["level-down"]
        for rule in rules where !ExperimentSpec.ruleNames.contains(rule) {
            throw SpecError(file: file, field: "rule", expected: "one of \(ExperimentSpec.ruleNames.joined(separator: ", "))", found: "'\(rule)'")
        }
        options = try fields.options(reserved: ExperimentSpec.reservedOptions)
        // A method applies when it applies to the shallowest MLP the options ask for.
        let depth = options.first { $0.name == "depth" }?.values.compactMap { Int($0) }.min() ?? 1
        var family = FamilyRecipe(model: kind)
        family.depth = depth
        let architecture = family.architecture
        for method in methods {
            if let reason = try WideningMethods.named(method).inapplicable(to: architecture) {
                throw SpecError(file: file, field: "methods", expected: "methods that apply to model \(model)", found: "\(method): \(reason)")
            }
        }
        let model = self.model
        widenedStages = try fields.strings(one: "widen_stages", many: nil).map { entries in
            try entries.map { entry in
                let items = CommaList(entry).items
                let stages = items.compactMap { Int($0) }
                guard model == "resnet18" else {
                    throw SpecError(file: file, field: "widen_stages", expected: "it only with model resnet18", found: "model \(model)")
                }
                guard stages.count == items.count, !stages.isEmpty,
                      stages.allSatisfy({ (1...4).contains($0) }), stages == stages.sorted(), Set(stages).count == stages.count else {
                    throw SpecError(file: file, field: "widen_stages", expected: "entries of distinct stage numbers 1...4, ascending (e.g. \"4\" or \"1,2\")",
                                    found: "'\(entry)'")
                }
                return stages
            }
        } ?? [[1, 2, 3, 4]]
        ioOnly = try fields.booleans("io_only") ?? [false]
        if model == "mlp" && ioOnly.contains(true) {
            throw SpecError(file: file, field: "io_only", expected: "false for the MLP (io-only masks remove whole convolution kernels)", found: "true")
        }
        lastLayerConnectivities = try fields.doubles("last_layer_connectivity")
        if let values = lastLayerConnectivities {
            guard model == "mlp" else {
                throw SpecError(file: file, field: "last_layer_connectivity", expected: "it only with model mlp", found: "model \(model)")
            }
            if fields.has("rule") || fields.has("rules") {
                throw SpecError(file: file, field: "rule", expected: "rule or last_layer_connectivity (the latter is the Figure 5 split)", found: "both")
            }
            if let bad = values.first(where: { !($0 > 0 && $0 <= 1) }) {
                throw SpecError(file: file, field: "last_layer_connectivity", expected: "connectivities in (0, 1]", found: "\(bad)")
            }
        }
        seeds = try fields.unsignedIntegers(one: "seed", many: "seeds") ?? [0]
        let dimensions = [datasets.count, baseWidths.count, methods.count, widenedStages.count, widths?.count ?? factors!.count,
                          rules.count, ioOnly.count, lastLayerConnectivities?.count ?? 1, seeds.count] + options.map(\.values.count)
        guard let runs = checkedProduct(dimensions), runs <= ExperimentSpec.maximumRuns else {
            throw SpecError(file: file, field: nil, expected: "at most \(ExperimentSpec.maximumRuns) runs (lists multiply)",
                            found: "lists of \(dimensions.map(String.init).joined(separator: " x ")) values")
        }
        for (field, values) in [("datasets", datasets), ("methods", methods), ("rules", rules)] where Set(values).count != values.count {
            throw SpecError(file: file, field: field, expected: "each value once", found: values.joined(separator: ", "))
        }
    }

    /// Reads a spec file (YAML or JSON) with `key=value` overrides applied.
    public static func load(path: String, overrides: [String] = []) throws -> (spec: ExperimentSpec, tree: SpecValue) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SpecError(file: path, field: nil, expected: "a readable spec file", found: "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SpecError(file: path, field: nil, expected: "UTF-8 text", found: "\(data.count) bytes that are not")
        }
        let tree = try SpecValue.parse(yaml: text, file: path).applying(overrides: overrides)
        return (try ExperimentSpec(tree, file: path), tree)
    }

    /// The widths of the family of `baseWidth`, in the order given.
    public func widths(baseWidth: Int) -> [Int] {
        if let widths { return widths }
        return factors!.map { width(base: baseWidth, factor: $0) }
    }
}

/// Typed access to the fields of a spec map, with errors that name the field.
struct SpecFields {
    let tree: SpecValue
    let file: String

    func has(_ key: String) -> Bool { tree[key] != nil }

    func error(_ field: String, _ expected: String, _ found: String) -> SpecError {
        SpecError(file: file, field: field, expected: expected, found: found)
    }

    func rejectUnknown(_ known: [String]) throws {
        guard case .map(let entries) = tree else { throw SpecError(file: file, field: nil, expected: "a map of fields", found: tree.kindName) }
        for entry in entries where !known.contains(entry.key) {
            throw error(entry.key, "one of the known fields (\(known.joined(separator: ", ")))", "an unknown field")
        }
    }

    func optionalString(_ key: String) throws -> String? {
        guard let value = tree[key] else { return nil }
        guard case .scalar(let text) = value else { throw error(key, "a single value", value.kindName) }
        return text
    }

    func string(_ key: String) throws -> String {
        guard let text = try optionalString(key) else { throw error(key, "a value", "nothing (the field is required)") }
        return text
    }

    /// The scalars of a field given as `one: x`, `one: [x, y]` or `many: [x, y]`.
    func scalars(one: String?, many: String?) throws -> (field: String, values: [String])? {
        let present = [one, many].compactMap { $0 }.filter(has)
        if present.count > 1 { throw error(present[1], "\(present[0]) or \(present[1])", "both") }
        guard let key = present.first, let value = tree[key] else { return nil }
        switch value {
        case .scalar(let text): return (key, [text])
        case .list(let items):
            guard !items.isEmpty else { throw error(key, "at least one value", "an empty list") }
            return (key, try items.map { item in
                guard case .scalar(let text) = item else { throw error(key, "a list of values", "a nested \(item.kindName)") }
                return text
            })
        case .map: throw error(key, "a value or a list of values", "a map")
        }
    }

    func strings(one: String?, many: String?) throws -> [String]? { try scalars(one: one, many: many)?.values }

    func integers(one: String?, many: String?, minimum: Int, maximum: Int = Int.max) throws -> [Int]? {
        guard let (key, texts) = try scalars(one: one, many: many) else { return nil }
        return try texts.map { text in
            guard let value = Int(text), value >= minimum, value <= maximum else {
                throw error(key, maximum == Int.max ? "whole numbers of at least \(minimum)" : "whole numbers in \(minimum)...\(maximum)", "'\(text)'")
            }
            return value
        }
    }

    func unsignedIntegers(one: String, many: String) throws -> [UInt64]? {
        guard let (key, texts) = try scalars(one: one, many: many) else { return nil }
        return try texts.map { text in
            guard let value = UInt64(text) else { throw error(key, "whole numbers of 0 or more", "'\(text)'") }
            return value
        }
    }

    func doubles(_ key: String) throws -> [Double]? {
        guard let (_, texts) = try scalars(one: key, many: nil) else { return nil }
        return try texts.map { text in
            guard let value = Double(text) else { throw error(key, "numbers", "'\(text)'") }
            return value
        }
    }

    func booleans(_ key: String) throws -> [Bool]? {
        guard let (_, texts) = try scalars(one: key, many: nil) else { return nil }
        return try texts.map { text in
            guard let value = parseBoolean(text) else { throw error(key, "true or false", "'\(text)'") }
            return value
        }
    }

    /// `data_dir: PATH` (every dataset) or `data_dir: {cifar10: PATH, svhn: PATH}`.
    func dataDirectories(datasets: [String]) throws -> [String: String] {
        guard let value = tree["data_dir"] else { return [:] }
        switch value {
        case .scalar(let path):
            guard datasets.count == 1 else { throw error("data_dir", "a map from dataset to folder with several datasets", "one path") }
            return [datasets[0]: path]
        case .map(let entries):
            var folders: [String: String] = [:]
            for entry in entries {
                guard datasets.contains(entry.key) else { throw error("data_dir.\(entry.key)", "one of the spec's datasets", "'\(entry.key)'") }
                guard case .scalar(let path) = entry.value else { throw error("data_dir.\(entry.key)", "a path", entry.value.kindName) }
                folders[entry.key] = path
            }
            return folders
        case .list: throw error("data_dir", "a path or a map from dataset to path", "a list")
        }
    }

    func options(reserved: [String]) throws -> [(name: String, values: [String])] {
        guard let value = tree["options"] else { return [] }
        guard case .map(let entries) = value else { throw error("options", "a map of option names to values", value.kindName) }
        var options: [(name: String, values: [String])] = []
        for entry in entries {
            let name = entry.key.replacingOccurrences(of: "_", with: "-")
            let field = "options.\(entry.key)"
            guard !reserved.contains(name) else {
                throw error(field, "it in the spec's own fields (width, weights, rule, io_only, seeds, dataset, ...)", "it under options")
            }
            guard !options.contains(where: { $0.name == name }) else { throw error(field, "each option once", "it twice") }
            switch entry.value {
            case .scalar(let text): options.append((name, [text]))
            case .list(let items):
                guard !items.isEmpty else { throw error(field, "at least one value", "an empty list") }
                options.append((name, try items.map { item in
                    guard case .scalar(let text) = item else { throw error(field, "a list of values", "a nested \(item.kindName)") }
                    return text
                }))
            case .map: throw error(field, "a value or a list of values", "a map")
            }
        }
        return options.sorted { $0.name < $1.name }
    }
}

/// YAML's spellings of true and false.
func parseBoolean(_ text: String) -> Bool? {
    switch text.lowercased() {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default: return nil
    }
}
