import Choices
import Models
import NeuralNetwork
import RunRecords

/// The non-linear bottleneck (docs/method.md section 1, paper Figure 3): layers change in pairs. In each
/// ResNet BasicBlock the outer width follows the width while the inner width (conv1's outputs,
/// bn1, conv2's inputs) shrinks by one global fraction so the total comes closest to the budget;
/// the ReLU between them stays. The stem, shortcuts and classifier are those of the wider plain
/// model. No masks.
///
/// Not for MLP-1: its only pair of layers around a non-linearity (d -> hidden -> classes) has the
/// hidden units as its inner width and both outer sizes fixed by the data, so nothing could widen.
public struct NonlinearBottleneckWidening: WideningMethod {
    public static let name = "nonlinear-bottleneck"
    public static let summary = "each ResNet block's inner width shrunk to the budget while its outer width grows (Figure 3; not MLP-1)"
    public static let keepsBudget = true

    public static func inapplicable(to architecture: Architecture) -> String? {
        guard case .mlp1(let inputSize, let classes) = architecture else { return nil }
        return "MLP-1's one pair of layers (\(inputSize) -> hidden -> \(classes)) has the hidden units as its inner width and both "
            + "outer sizes fixed by the data, so it cannot widen; use linear-bottleneck or sparse"
    }

    public init(options: WideningOptions) throws { try options.refuseAll(method: Self.name) }

    public func widen(_ request: WideningRequest) throws -> WidenedModel {
        if let reason = Self.inapplicable(to: request.architecture) {
            throw ConfigError(field: "method", expected: "a method that applies to MLP-1", found: "\(Self.name): \(reason)")
        }
        let target = try request.requireTarget(method: Self.name)
        let stages = try request.stageWidths()
        let plain = try request.plainLayers()
        try refuseNarrowerThanBase(request, method: Self.name)
        // Each block's pair: conv1 (in -> inner, 3x3) and conv2 (inner -> out, 3x3); an inner unit
        // costs 9 (in + out) weights. Everything else is fixed.
        let firsts = plain.filter { $0.name.hasSuffix(".conv1.weight") }
        let paired = plain.filter { $0.name.hasSuffix(".conv1.weight") || $0.name.hasSuffix(".conv2.weight") }.map(\.count).reduce(0, +)
        let fixed = plain.map(\.count).reduce(0, +) - paired
        let slots = firsts.map { BottleneckSlot(full: $0.outChannels, weightsPerUnit: 9 * ($0.inChannels + $0.outChannels)) }
        try checkReachable(slots: slots, fixed: fixed, target: target, method: Self.name, width: request.width)
        let solved = GlobalFraction.solve(fixedWeights: fixed, slots: slots, target: target)
        let sizes = BottleneckSizes(kind: .nonlinear, fraction: solved.fraction, innerSizes: solved.innerSizes, fullSizes: slots.map(\.full))
        return WidenedModel(
            method: Self.name, width: request.width, stageWidths: stages, denseWeights: plain.map(\.count).reduce(0, +),
            layers: request.architecture.layers(width: request.width, stageWidths: stages, bottleneck: sizes.bottleneck),
            bottleneck: sizes, targetWeights: target)
    }
}
