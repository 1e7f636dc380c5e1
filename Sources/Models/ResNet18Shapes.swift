import Choices
import NeuralNetwork

/// The weight tensors of ResNet-18 in model order (PyTorch's parameter names): a stem conv of
/// `width` channels, four stages of two BasicBlocks with width, 2, 4 and 8 x width channels (a 1x1
/// shortcut conv where the shape changes: the first block of stages 2-4), and a linear classifier.
///
/// For the CIFAR form the total is 2724 w^2 + 9 c w + 8 k w (c input channels, k classes).
///
/// `stageWidths` (default `resNet18StageWidths(width:)`) gives the four stages other widths, for
/// models widened in chosen stages only; the stem has stage 1's width, the classifier reads stage 4's.
///
/// With a `bottleneck`: a linear one replaces every tensor by its two factors
/// (`linearBottleneckShapes`); a non-linear one gives block b's conv1 `innerWidths[b]` outputs
/// and its conv2 as many inputs.
public func resNet18WeightShapes(
    width: Int, inputChannels: Int = 3, classes: Int = 10, form: ResNetForm = .cifar, stageWidths: [Int]? = nil,
    bottleneck: Bottleneck? = nil
) -> [WeightShape] {
    let stages = stageWidths ?? resNet18StageWidths(width: width)
    precondition(stages.count == 4, "one width per stage (4)")
    if case .linear(let innerSizes) = bottleneck {
        let plain = resNet18WeightShapes(width: width, inputChannels: inputChannels, classes: classes, form: form, stageWidths: stages)
        return linearBottleneckShapes(plain, innerSizes: innerSizes)
    }
    var innerWidths: [Int]? = nil
    if case .nonlinear(let widths) = bottleneck {
        precondition(widths.count == 8, "one inner width per BasicBlock (8)")
        innerWidths = widths
    }
    var shapes: [WeightShape] = [
        .convolution("conv1.weight", out: stages[0], in: inputChannels, kernel: form == .cifar ? 3 : 7),
    ]
    var channels = stages[0]
    for stage in 1...4 {
        let out = stages[stage - 1]
        for block in 0..<2 {
            let prefix = "layer\(stage).\(block)"
            let inner = innerWidths?[2 * (stage - 1) + block] ?? out
            shapes.append(.convolution("\(prefix).conv1.weight", out: inner, in: channels, kernel: 3))
            shapes.append(.convolution("\(prefix).conv2.weight", out: out, in: inner, kernel: 3))
            if block == 0 && stage > 1 {
                shapes.append(.convolution("\(prefix).shortcut.0.weight", out: out, in: channels, kernel: 1))
            }
            channels = out
        }
    }
    shapes.append(.fullyConnected("linear.weight", out: classes, in: stages[3]))
    return shapes
}

/// The stage widths of the standard ResNet-18 of `width`: width, 2, 4 and 8 x width.
public func resNet18StageWidths(width: Int) -> [Int] { (0..<4).map { width << $0 } }
