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
/// With a linear bottleneck every tensor becomes its two factors (`linearBottleneckShapes`); with
/// a non-linear one the first convolution of pair p (`vggBottleneckPairs`) has `innerWidths[p]`
/// outputs and the second as many inputs.
public func vggWeightShapes(
    variant: VGGVariant, width: Int, inputChannels: Int = 3, classes: Int = 10, bottleneck: Bottleneck? = nil
) -> [WeightShape] {
    switch bottleneck {
    case .linear(let innerSizes):
        return linearBottleneckShapes(vggWeightShapes(variant: variant, width: width, inputChannels: inputChannels, classes: classes),
                                      innerSizes: innerSizes)
    case .nonlinear(let innerWidths):
        var shapes = vggWeightShapes(variant: variant, width: width, inputChannels: inputChannels, classes: classes)
        let pairs = vggBottleneckPairs(variant)
        precondition(innerWidths.count == pairs.count, "one inner width per pair of convolutions (\(pairs.count))")
        for ((first, second), inner) in zip(pairs, innerWidths) {
            shapes[first].outChannels = inner
            shapes[second].inChannels = inner
        }
        return shapes
    case nil: break
    }
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

/// The pairs of convolutions (indices in model order) around each inner width of the non-linear
/// bottleneck: in every stage its convolutions pair up in order, (1st, 2nd), (3rd, 4th), ..., the
/// inner width being the first one's outputs (its batch norm, the second one's inputs) as in a
/// ResNet block; an odd last convolution of a stage follows the width. VGG-11: one pair in each of
/// stages 3-5; VGG-16: one in every stage.
public func vggBottleneckPairs(_ variant: VGGVariant) -> [(first: Int, second: Int)] {
    var pairs: [(first: Int, second: Int)] = []
    var start = 0
    for count in variant.convolutionsPerStage {
        pairs += stride(from: start, to: start + count - 1, by: 2).map { ($0, $0 + 1) }
        start += count
    }
    return pairs
}

/// The channels of the five stages of a VGG of `width`: width, 2, 4, 8 and 8 x width (64, 128,
/// 256, 512, 512 in the original).
public func vggStageWidths(width: Int) -> [Int] { [1, 2, 4, 8, 8].map { $0 * width } }
