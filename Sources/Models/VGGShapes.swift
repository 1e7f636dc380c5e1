import Choices
import NeuralNetwork

/// The weight tensors of a VGG in its CIFAR form (docs/method.md section 4), model order: the 3x3
/// convolutions "conv1.weight" ... (five stages of width, 2, 4, 8 and 8 x width channels, with
/// `variant.convolutionsPerStage` convolutions each), then the classifier "classifier.weight"
/// (8 x width -> classes). Biases are not counted (the convolutions have none: batch norm follows
/// each).
///
/// For c input channels and k classes the total is 9 c w + 2250 w^2 + 8 k w (VGG-11) or
/// 9 c w + 3591 w^2 + 8 k w (VGG-16).
///
/// With a linear bottleneck every tensor becomes its two factors (`linearBottleneckShapes`).
public func vggWeightShapes(
    variant: VGGVariant, width: Int, inputChannels: Int = 3, classes: Int = 10, bottleneck: Bottleneck? = nil
) -> [WeightShape] {
    if case .linear(let innerSizes) = bottleneck {
        return linearBottleneckShapes(vggWeightShapes(variant: variant, width: width, inputChannels: inputChannels, classes: classes),
                                      innerSizes: innerSizes)
    }
    precondition(bottleneck == nil, "VGG has the linear bottleneck only")
    var shapes: [WeightShape] = []
    var channels = inputChannels
    for (stage, count) in variant.convolutionsPerStage.enumerated() {
        let out = vggStageWidths(width: width)[stage]
        for _ in 0..<count {
            shapes.append(.convolution("conv\(shapes.count + 1).weight", out: out, in: channels, kernel: 3))
            channels = out
        }
    }
    shapes.append(.fullyConnected("classifier.weight", out: classes, in: channels))
    return shapes
}

/// The channels of the five stages of a VGG of `width`: width, 2, 4, 8 and 8 x width (64, 128,
/// 256, 512, 512 in the original).
public func vggStageWidths(width: Int) -> [Int] { [1, 2, 4, 8, 8].map { $0 * width } }
