import Foundation
import NeuralNetwork

/// The two mask-free ways of widening at a constant number of weights (docs/method.md section 1).
public enum BottleneckKind: String, Codable, CaseIterable, Sendable {
    /// Every weight W (d_in x d_out) becomes the product of two factors with an inner size
    /// d_b <= min(d_in, d_out): a k x k conv d_in -> d_b then a 1 x 1 conv d_b -> d_out (a fully
    /// connected layer: d_in -> d_b -> d_out), nothing between them.
    case linear
    /// Layers change in pairs: in each ResNet BasicBlock the outer width grows and the inner width
    /// (conv1's output, conv2's input) shrinks; the ReLU between them stays.
    case nonlinear
}

/// A bottleneck model's sizes, as a model is built from them.
public enum Bottleneck: Equatable, Sendable {
    /// The inner size of each weight tensor of the plain model, in model order.
    case linear(innerSizes: [Int])
    /// The inner width of each BasicBlock, in model order.
    case nonlinear(innerWidths: [Int])

    public init(kind: BottleneckKind, innerSizes: [Int]) {
        self = kind == .linear ? .linear(innerSizes: innerSizes) : .nonlinear(innerWidths: innerSizes)
    }
}

/// The weight tensors of a linear bottleneck: each plain weight "x.weight" [out, in, k, k]
/// becomes "x.0.weight" [inner, in, k, k] and "x.1.weight" [out, inner, 1, 1] (fully connected:
/// [inner, in] and [out, inner]), the names PyTorch gives an nn.Sequential of the two.
public func linearBottleneckShapes(_ plain: [WeightShape], innerSizes: [Int]) -> [WeightShape] {
    precondition(plain.count == innerSizes.count, "one inner size per weight tensor")
    return zip(plain, innerSizes).flatMap { shape, inner -> [WeightShape] in
        let stem = String(shape.name.dropLast(".weight".count))
        switch shape.kind {
        case .fullyConnected:
            return [.fullyConnected("\(stem).0.weight", out: inner, in: shape.inChannels),
                    .fullyConnected("\(stem).1.weight", out: shape.outChannels, in: inner)]
        case .convolution:
            return [WeightShape(name: "\(stem).0.weight", kind: .convolution, outChannels: inner, inChannels: shape.inChannels,
                                kernelHeight: shape.kernelHeight, kernelWidth: shape.kernelWidth),
                    .convolution("\(stem).1.weight", out: shape.outChannels, in: inner, kernel: 1)]
        }
    }
}
