import Choices
import Foundation
import NeuralNetwork
import RunRecords

/// A bottleneck model's sizes, as a model is built from them.
public enum Bottleneck: Equatable, Sendable {
    /// The inner size of each weight tensor of the plain model, in model order.
    case linear(innerSizes: [Int])
    /// The inner width of each ResNet BasicBlock, or of each pair of MLP hidden layers, in model order.
    case nonlinear(innerWidths: [Int])

    public init(kind: BottleneckKind, innerSizes: [Int]) {
        self = kind == .linear ? .linear(innerSizes: innerSizes) : .nonlinear(innerWidths: innerSizes)
    }
}

extension BottleneckConfig {
    /// The sizes a model is built from.
    public var sizes: Bottleneck { Bottleneck(kind: kind, innerSizes: innerSizes) }
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
