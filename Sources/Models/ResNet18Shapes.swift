import NeuralNetwork

/// The two forms of ResNet-18 (SPEC.md section 4).
public enum ResNetForm: String, Codable, CaseIterable, Sendable {
    /// 3x3 stride-1 stem, no max-pool (CIFAR, SVHN).
    case cifar
    /// 7x7 stride-2 stem and a 3x3 stride-2 max-pool (ImageNet).
    case imagenet
}

/// The weight tensors of ResNet-18 in model order (PyTorch's parameter names): a stem conv of
/// `width` channels, four stages of two BasicBlocks with width, 2, 4 and 8 x width channels (a 1x1
/// shortcut conv where the shape changes: the first block of stages 2-4), and a linear classifier.
///
/// For the CIFAR form the total is 2724 w^2 + 9 c w + 8 k w (c input channels, k classes).
///
/// With a `bottleneck`: a linear one replaces every tensor by its two factors
/// (`linearBottleneckShapes`); a non-linear one gives block b's conv1 `innerWidths[b]` outputs
/// and its conv2 as many inputs.
public func resNet18WeightShapes(
    width: Int, inputChannels: Int = 3, classes: Int = 10, form: ResNetForm = .cifar, bottleneck: Bottleneck? = nil
) -> [WeightShape] {
    if case .linear(let innerSizes) = bottleneck {
        return linearBottleneckShapes(resNet18WeightShapes(width: width, inputChannels: inputChannels, classes: classes, form: form), innerSizes: innerSizes)
    }
    var innerWidths: [Int]? = nil
    if case .nonlinear(let widths) = bottleneck {
        precondition(widths.count == 8, "one inner width per BasicBlock (8)")
        innerWidths = widths
    }
    var shapes: [WeightShape] = [
        .convolution("conv1.weight", out: width, in: inputChannels, kernel: form == .cifar ? 3 : 7),
    ]
    var channels = width
    for stage in 1...4 {
        let out = width << (stage - 1)
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
    shapes.append(.fullyConnected("linear.weight", out: classes, in: 8 * width))
    return shapes
}
