import Choices
import NeuralNetwork
import RunRecords

/// The full model of each width: no budget, nothing removed (the references of the paper's
/// Figure 7 and the dashed baselines of Figure 3).
public struct DenseWidening: WideningMethod {
    public static let name = "dense"
    public static let summary = "the full model of each width (keeps no budget)"
    public static let keepsBudget = false
    public static func inapplicable(to architecture: Architecture) -> String? { nil }

    public init(options: WideningOptions) throws { try options.refuseAll(method: Self.name) }

    public func widen(_ request: WideningRequest) throws -> WidenedModel {
        if let target = request.targetWeights {
            throw ConfigError(
                field: "weights", expected: "no weight budget with --method dense (the dense model of a width has its own weight count)",
                found: "\(target)")
        }
        let stages = try request.stageWidths()
        let layers = request.architecture.layers(width: request.width, stageWidths: stages)
        return WidenedModel(
            method: Self.name, width: request.width, stageWidths: stages, denseWeights: layers.map(\.count).reduce(0, +), layers: layers,
            targetWeights: nil)
    }
}
