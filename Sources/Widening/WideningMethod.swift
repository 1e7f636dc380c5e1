import Choices
import Models
import NeuralNetwork
import RunRecords
import Sparsity

/// One way of building the model of a width at a weight budget (docs/method.md section 1; paper
/// Section 2): the seam every command, spec and table goes through. A method is a small value
/// made from `WideningOptions` (refusing the options it does not take) that turns a request into
/// a `WidenedModel`. To add one: a file with a type conforming to this protocol, its line in
/// `WideningMethods.all`, and its tests (DESIGN.md, "Widening methods").
public protocol WideningMethod: Sendable {
    /// The name on the command line (`--method`), in specs (`methods:`) and in results.
    static var name: String { get }
    /// One line for help texts.
    static var summary: String { get }
    /// Whether the method keeps a weight budget (all but `dense`, which is the full model).
    static var keepsBudget: Bool { get }
    /// Why the method does not apply to `architecture`, or nil when it does.
    static func inapplicable(to architecture: Architecture) -> String?

    /// The method with its options; throws a `ConfigError` naming the option for options it does not take.
    init(options: WideningOptions) throws

    /// The model of `request.width`; throws when that width cannot meet the request.
    func widen(_ request: WideningRequest) throws -> WidenedModel
}

/// Options of the widening methods, as the command line and specs give them; each method takes
/// the ones it understands and refuses the rest.
public struct WideningOptions: Equatable, Sendable {
    /// Sparse: how removals are spread over the layers (default level-down).
    public var rule: RemovalRule?
    /// Sparse ResNet-18: remove whole k x k kernels (paper Appendix C).
    public var ioOnly: Bool
    /// Sparse MLP-1 (paper Figure 5): the connectivity the last layer keeps.
    public var lastLayerConnectivity: Double?
    /// Sparse: removals per layer given directly (no budget).
    public var removed: [Int]?

    public init(rule: RemovalRule? = nil, ioOnly: Bool = false, lastLayerConnectivity: Double? = nil, removed: [Int]? = nil) {
        self.rule = rule
        self.ioOnly = ioOnly
        self.lastLayerConnectivity = lastLayerConnectivity
        self.removed = removed
    }

    /// The names of the options that are set (as on the command line), for refusals.
    var given: [String] {
        (rule != nil ? ["--rule"] : []) + (ioOnly ? ["--io-only"] : []) + (lastLayerConnectivity != nil ? ["--last-layer-connectivity"] : [])
            + (removed != nil ? ["--removed"] : [])
    }

    /// Throws unless no option is set: for methods that take none.
    func refuseAll(method: String) throws {
        guard given.isEmpty else {
            throw ConfigError(field: given.joined(separator: ", "), expected: "no mask options with --method \(method) (it has no masks)",
                                found: given.joined(separator: " "))
        }
    }
}

/// The model of one width: which architecture, how wide, and the budget it must keep.
public struct WideningRequest: Equatable, Sendable {
    public var architecture: Architecture
    public var width: Int
    /// The width the family widens (stages not widened keep its channels; a bottleneck at this
    /// width is unshrunk). nil when only a weight count is given.
    public var baseWidth: Int?
    /// The weights to keep; nil for methods that keep no budget.
    public var targetWeights: Int?

    public init(architecture: Architecture, width: Int, baseWidth: Int? = nil, targetWeights: Int? = nil) {
        self.architecture = architecture
        self.width = width
        self.baseWidth = baseWidth
        self.targetWeights = targetWeights
    }

    /// The target, or an error saying the method needs one.
    func requireTarget(method: String) throws -> Int {
        guard let targetWeights else {
            throw ConfigError(field: "weights", expected: "a weight budget for --method \(method) (--weights or --weights-of-width)", found: "none")
        }
        guard targetWeights >= 1 else { throw ConfigError(field: "weights", expected: "a positive weight count", found: "\(targetWeights)") }
        return targetWeights
    }

    /// Checks the width and the architecture, and resolves the stage widths.
    func stageWidths() throws -> [Int]? {
        guard width >= 1 else { throw ConfigError(field: "width", expected: "a positive width", found: "\(width)") }
        if let baseWidth, baseWidth < 1 { throw ConfigError(field: "base width", expected: "a positive width", found: "\(baseWidth)") }
        try architecture.validate()
        return try architecture.stageWidths(width: width, baseWidth: baseWidth)
    }

    /// The weight tensors of the plain dense model of this width.
    func plainLayers() throws -> [WeightShape] { architecture.layers(width: width, stageWidths: try stageWidths()) }
}

/// The registry of methods: names for options and specs, and construction by name.
public enum WideningMethods {
    /// Every method, in the order help texts list them.
    public static let all: [any WideningMethod.Type] = [
        DenseWidening.self, SparseWidening.self, LinearBottleneckWidening.self, NonlinearBottleneckWidening.self,
    ]

    public static var names: [String] { all.map { $0.name } }

    /// The method called `name`, or an error listing the names.
    public static func named(_ name: String, field: String = "method") throws -> any WideningMethod.Type {
        guard let method = all.first(where: { $0.name == name }) else {
            throw ConfigError(field: field, expected: "one of \(names.joined(separator: ", "))", found: "'\(name)'")
        }
        return method
    }

    /// The method called `name` (default: sparse with a budget or any mask option, dense without)
    /// made with `options`, after checking it applies to `architecture`.
    public static func make(
        _ name: String?, options: WideningOptions, architecture: Architecture, hasBudget: Bool
    ) throws -> any WideningMethod {
        let type = try named(name ?? (hasBudget || !options.given.isEmpty ? SparseWidening.name : DenseWidening.name))
        if let reason = type.inapplicable(to: architecture) {
            throw ConfigError(field: "method", expected: "a method that applies to \(architecture.name)", found: "\(type.name): \(reason)")
        }
        return try type.init(options: options)
    }

    /// The method that built a model config: a bottleneck's kind, else sparse when anything is
    /// removed, else dense.
    public static func name(bottleneck: BottleneckKind?, removedWeights: [Int]) -> String {
        if let bottleneck { return bottleneck == .linear ? LinearBottleneckWidening.name : NonlinearBottleneckWidening.name }
        return removedWeights.contains { $0 != 0 } ? SparseWidening.name : DenseWidening.name
    }
}

extension WideningMethods {
    /// The model of `width` by the method called `name` (nil: the default of `make`), as the
    /// command line gives it: a budget of `weights`, or of the plain dense model of width
    /// `weightsOfWidth` (then the base width, unless `baseWidth` names another).
    public static func widen(
        _ name: String?, options: WideningOptions, architecture: Architecture, width: Int,
        weights: Int?, weightsOfWidth: Int?, baseWidth: Int? = nil
    ) throws -> WidenedModel {
        if weights != nil && weightsOfWidth != nil {
            throw ConfigError(field: "--weights, --weights-of-width", expected: "one of them", found: "both")
        }
        for (value, option) in [(weightsOfWidth, "--weights-of-width"), (baseWidth, "--base-width")] {
            if let value, value < 1 { throw ConfigError(field: option, expected: "a positive width", found: "\(value)") }
        }
        let base = baseWidth ?? weightsOfWidth
        let target = try weights ?? weightsOfWidth.map { try architecture.denseWeights(width: $0, baseWidth: base) }
        let method = try make(name, options: options, architecture: architecture, hasBudget: target != nil)
        if !type(of: method).keepsBudget, let weights = weights ?? weightsOfWidth {
            throw ConfigError(
                field: "--weights, --weights-of-width", expected: "no budget with --method \(type(of: method).name) (it keeps none)",
                found: "\(weights)")
        }
        return try method.widen(WideningRequest(architecture: architecture, width: width, baseWidth: base, targetWeights: target))
    }

    /// Help text listing every method: "dense (…), sparse (…), …".
    public static var helpText: String { all.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ") }
}
