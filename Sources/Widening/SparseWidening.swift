import Choices
import NeuralNetwork
import RunRecords
import Sparsity

/// Static sparsity (docs/method.md section 2): the dense model of the width with a fixed random subset of
/// its weights masked to zero, as many as the budget asks, spread over the layers by a rule
/// (level-down, uniform, ERK), by the MLP's last-layer connectivity (Figure 5), or given per layer.
/// io-only masks remove whole kernels (Appendix C) and miss the budget by less than one kernel.
public struct SparseWidening: WideningMethod {
    public static let name = "sparse"
    public static let summary = "static random masks at the budget (the paper's main method)"
    public static let keepsBudget = true
    public static func inapplicable(to architecture: Architecture) -> String? { nil }

    public let options: WideningOptions

    public init(options: WideningOptions) throws {
        if options.rule != nil && options.lastLayerConnectivity != nil {
            throw ConfigError(field: "--rule, --last-layer-connectivity", expected: "one of them (the latter is the Figure 5 rule)", found: "both")
        }
        if options.removed != nil && (options.rule != nil || options.lastLayerConnectivity != nil || options.ioOnly) {
            throw ConfigError(field: "--removed", expected: "removals given directly, without --rule, --last-layer-connectivity or --io-only",
                                found: options.given.joined(separator: " "))
        }
        self.options = options
    }

    public func widen(_ request: WideningRequest) throws -> WidenedModel {
        let stages = try request.stageWidths()
        let layers = try request.plainLayers()
        let dense = layers.map(\.count).reduce(0, +)
        let pattern: MaskPattern = options.ioOnly ? .ioOnly : .allEntries
        if options.ioOnly && request.architecture.isMLP {
            throw ConfigError(field: "--io-only", expected: "a model with convolutions (io-only masks remove whole kernels)", found: "an MLP")
        }
        if options.lastLayerConnectivity != nil && !request.architecture.isMLP {
            throw ConfigError(field: "--last-layer-connectivity", expected: "MLP-1 (the paper's Figure 5)", found: request.architecture.name)
        }
        func model(_ removals: [Int], target: Int?) -> WidenedModel {
            WidenedModel(method: Self.name, width: request.width, stageWidths: stages, denseWeights: dense, layers: layers,
                         removals: removals, maskPattern: pattern, targetWeights: target)
        }
        if let removed = options.removed {
            if let target = request.targetWeights {
                throw ConfigError(field: "--removed", expected: "either --removed or a weight budget, not both", found: "a budget of \(target)")
            }
            guard removed.count == layers.count else {
                throw ConfigError(field: "--removed", expected: "\(layers.count) counts (\(layers.map(\.name).joined(separator: ", ")))",
                                    found: "\(removed.count)")
            }
            for (layer, count) in zip(layers, removed) where count < 0 || count >= layer.count {
                throw ConfigError(field: "--removed", expected: "a count in 0...\(layer.count - 1) for \(layer.name)", found: "\(count)")
            }
            return model(removed, target: nil)
        }
        let target = try request.requireTarget(method: Self.name)
        guard target <= dense else {
            throw ConfigError(field: "weights", expected: "a budget the dense model of width \(request.width) can hold (at most \(dense) weights)",
                                found: "\(target)")
        }
        if let connectivity = options.lastLayerConnectivity, case .mlp(let inputSize, let classes, let depth) = request.architecture {
            guard depth == 1 else {
                throw ConfigError(field: "--last-layer-connectivity", expected: "MLP-1 (the paper's Figure 5 splits a budget between two layers)",
                                  found: "\(depth) hidden layers")
            }
            let plan = try MLPSparsityPlan.atBudget(
                inputSize: inputSize, width: request.width, classes: classes, weightBudget: target, rule: .lastLayerConnectivity(connectivity))
            return model(plan.removals, target: target)
        }
        var removals = try (options.rule ?? .levelDown).removals(total: dense - target, layers: layers)
        if options.ioOnly { removals = ioOnlyRemovals(removals, layers: layers).removals }
        return model(removals, target: target)
    }
}
