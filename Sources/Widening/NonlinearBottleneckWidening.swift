import Choices
import Models
import NeuralNetwork
import RunRecords

/// The non-linear bottleneck (docs/method.md section 1, paper Figure 3): layers change in pairs
/// around a non-linearity. The outer width follows the width while the inner width shrinks by one
/// global fraction so the total comes closest to the budget; the non-linearity stays. No masks.
/// - ResNet-18: in each BasicBlock the inner width is conv1's outputs (bn1, conv2's inputs); the
///   stem, shortcuts and classifier are those of the wider plain model.
/// - VGG: in each stage the convolutions pair up in order (`vggBottleneckPairs`); the inner width
///   is the first one's outputs, an odd last convolution of a stage follows the width.
/// - MLP-L: hidden layers go in pairs (h1, h2), (h3, h4), ...; the second of each pair is the
///   inner width (fc(2i)'s outputs, bn(2i), fc(2i+1)'s inputs), the first follows the width, and
///   an odd last hidden layer does too. Needs L >= 2: MLP-1's only pair of layers around a
///   non-linearity (d -> hidden -> classes) has the hidden units as its inner width and both
///   outer sizes fixed by the data, so nothing could widen.
public struct NonlinearBottleneckWidening: WideningMethod {
    public static let name = "nonlinear-bottleneck"
    public static let summary = "each ResNet block's (VGG pair of convolutions', MLP pair of hidden layers') inner width shrunk to the budget while its outer width grows (Figure 3; not MLP-1)"
    public static let keepsBudget = true

    public static func inapplicable(to architecture: Architecture) -> String? {
        guard case .mlp(let inputSize, let classes, let depth) = architecture, depth < 2 else { return nil }
        return "MLP-1's one pair of layers (\(inputSize) -> hidden -> \(classes)) has the hidden units as its inner width and both "
            + "outer sizes fixed by the data, so it cannot widen; use linear-bottleneck or sparse, or two or more hidden layers"
    }

    public init(options: WideningOptions) throws { try options.refuseAll(method: Self.name) }

    public func widen(_ request: WideningRequest) throws -> WidenedModel {
        if let reason = Self.inapplicable(to: request.architecture) {
            throw ConfigError(field: "method", expected: "a method that applies to \(request.architecture.name)", found: "\(Self.name): \(reason)")
        }
        let target = try request.requireTarget(method: Self.name)
        let stages = try request.stageWidths()
        let plain = try request.plainLayers()
        try refuseNarrowerThanBase(request, method: Self.name)
        let pairs = Self.pairs(plain, architecture: request.architecture)
        let paired = pairs.map { $0.first.count + $0.second.count }.reduce(0, +)
        let fixed = plain.map(\.count).reduce(0, +) - paired
        // An inner unit costs its row of the first layer and its column of the second.
        let slots = pairs.map { BottleneckSlot(full: $0.first.outChannels, weightsPerUnit: $0.first.count / $0.first.outChannels + $0.second.count / $0.second.inChannels) }
        try checkReachable(slots: slots, fixed: fixed, target: target, method: Self.name, width: request.width)
        let solved = GlobalFraction.solve(fixedWeights: fixed, slots: slots, target: target)
        let sizes = BottleneckSizes(kind: .nonlinear, fraction: solved.fraction, innerSizes: solved.innerSizes, fullSizes: slots.map(\.full))
        return WidenedModel(
            method: Self.name, width: request.width, stageWidths: stages, denseWeights: plain.map(\.count).reduce(0, +),
            layers: request.architecture.layers(width: request.width, stageWidths: stages, bottleneck: sizes.bottleneck),
            bottleneck: sizes, targetWeights: target)
    }
}

extension NonlinearBottleneckWidening {
    /// The pairs of weight layers around each inner width, in model order: a ResNet block's conv1
    /// and conv2 (3x3 each), a VGG stage's pairs of convolutions, or an MLP's fc(2i) and fc(2i+1).
    static func pairs(_ plain: [WeightShape], architecture: Architecture) -> [(first: WeightShape, second: WeightShape)] {
        if case .vgg(let variant, _, _) = architecture {
            return vggBottleneckPairs(variant).map { (plain[$0.first], plain[$0.second]) }
        }
        if architecture.isMLP {
            return stride(from: 1, to: plain.count - 1, by: 2).map { (plain[$0], plain[$0 + 1]) }
        }
        let firsts = plain.filter { $0.name.hasSuffix(".conv1.weight") }
        let seconds = plain.filter { $0.name.hasSuffix(".conv2.weight") }
        return Array(zip(firsts, seconds))
    }
}
