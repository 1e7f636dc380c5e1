import Choices
import NeuralNetwork
import TensorCore

/// ResNet-18 (docs/method.md section 4) with parameter names as in the PyTorch reference: a stem
/// (conv1, bn1, relu; plus a 3x3 stride-2 max-pool in the ImageNet form), four stages of two
/// BasicBlocks (width, 2, 4, 8 x width channels; stride 2 at the first block of stages 2-4),
/// global average pooling and a linear classifier with bias.
///
/// Shapes: [N, inputChannels, H, W] -> logits [N, classes]. Inside, activations stay in one
/// layout (`layout`; by default blocked when the width divides by 16, else channels-last, see
/// `ImageLayout` for why): the stem reads the NCHW input directly into the blocked layout, or the
/// input is converted to channels-last once at the entry.
///
/// With a `bottleneck` (docs/method.md section 1; no masks): linear, every weight tensor becomes two
/// factors (`FactorisedConv2d`, `FactorisedLinear`); non-linear, each block's inner width shrinks.
public final class ResNet18: Layer {
    public let width: Int
    /// Channels of the four stages.
    public let stageWidths: [Int]
    public let form: ResNetForm
    public let bottleneck: Bottleneck?
    public let layout: ImageLayout
    public let convolution: ConvolutionAlgorithm
    public let stem: FactorisedConv2d
    public let stemNorm: BatchNorm
    public let blocks: [BasicBlock]
    public let classifier: FactorisedLinear

    private let network: Sequential

    /// `stageWidths`: the channels of the four stages (default width, 2, 4, 8 x width); the stem
    /// has stage 1's, the classifier reads stage 4's.
    public init(width: Int, inputChannels: Int = 3, classes: Int = 10, form: ResNetForm = .cifar, stageWidths: [Int]? = nil,
                layout: ImageLayout? = nil, convolution: ConvolutionAlgorithm = .direct, bottleneck: Bottleneck? = nil) {
        let stages = stageWidths ?? resNet18StageWidths(width: width)
        precondition(width > 0 && inputChannels > 0 && classes > 0 && stages.count == 4 && stages.allSatisfy { $0 > 0 },
                     "ResNet18 needs positive sizes and four stage widths")
        self.width = width
        self.stageWidths = stages
        self.form = form
        self.bottleneck = bottleneck
        let shapes = resNet18WeightShapes(
            width: width, inputChannels: inputChannels, classes: classes, form: form, stageWidths: stages, bottleneck: bottleneck)
        let layout = layout ?? preferredImageLayout(channelCounts: shapes.filter { $0.kind == .convolution }.map(\.outChannels))
        self.layout = layout
        self.convolution = convolution
        // Linear bottleneck: the inner size of each plain weight, by its name.
        var linearInnerSizes: [String: Int] = [:]
        if case .linear(let innerSizes) = bottleneck {
            let plain = resNet18WeightShapes(width: width, inputChannels: inputChannels, classes: classes, form: form, stageWidths: stages)
            precondition(innerSizes.count == plain.count, "one inner size per weight tensor (\(plain.count))")
            linearInnerSizes = Dictionary(uniqueKeysWithValues: zip(plain.map(\.name), innerSizes))
        }
        var blockInnerWidths: [Int?] = Array(repeating: nil, count: 8)
        if case .nonlinear(let innerWidths) = bottleneck { blockInnerWidths = innerWidths }
        let (stemInput, conversions) = imageEntry(layout: layout)
        stem = form == .cifar
            ? FactorisedConv2d(inChannels: inputChannels, outChannels: stages[0], kernel: 3, stride: 1, padding: 1,
                               innerChannels: linearInnerSizes["conv1.weight"], layout: layout, inputLayout: stemInput,
                               algorithm: convolution, name: "conv1")
            : FactorisedConv2d(inChannels: inputChannels, outChannels: stages[0], kernel: 7, stride: 2, padding: 3,
                               innerChannels: linearInnerSizes["conv1.weight"], layout: layout, inputLayout: stemInput, name: "conv1")
        stemNorm = BatchNorm(features: stages[0], layout: layout, name: "bn1")
        var blocks: [BasicBlock] = []
        var channels = stages[0]
        for stage in 1...4 {
            let out = stages[stage - 1]
            for block in 0..<2 {
                let stride = stage > 1 && block == 0 ? 2 : 1
                blocks.append(BasicBlock(
                    inChannels: channels, outChannels: out, stride: stride, innerChannels: blockInnerWidths[blocks.count],
                    layout: layout, convolution: convolution, linearInner: { linearInnerSizes[$0] }, name: "layer\(stage).\(block)"))
                channels = out
            }
        }
        self.blocks = blocks
        classifier = FactorisedLinear(
            inFeatures: stages[3], outFeatures: classes, bias: true, innerFeatures: linearInnerSizes["linear.weight"], name: "linear")
        var layers: [Layer] = conversions + [stem, stemNorm, ReLU()]
        if form == .imagenet { layers.append(MaxPool2d(kernel: 3, stride: 2, padding: 1, layout: layout)) }
        network = Sequential(layers + blocks + [GlobalAveragePool(layout: layout), classifier])
    }

    /// The stem, then each block's conv1, conv2 and shortcut convolution: the plain (or
    /// factorised) convolutions in model order.
    public var factorisedConvolutions: [FactorisedConv2d] { [stem] + blocks.flatMap(\.factorisedConvolutions) }

    /// Each plain convolution (as `factorisedConvolutions`) with the height and width of the
    /// images it reads, for inputs of `height` x `width`.
    public func convolutionInputSizes(height: Int, width: Int) -> [(convolution: FactorisedConv2d, height: Int, width: Int)] {
        func output(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int { outputSide(size, kernel: kernel, stride: stride, padding: padding) }
        let first = stem.convolutions[0]
        var (h, w) = (output(height, kernel: first.kernel, stride: first.stride, padding: first.padding),
                      output(width, kernel: first.kernel, stride: first.stride, padding: first.padding))
        var sizes = [(stem, height, width)]
        // The ImageNet form's max-pool (3x3, stride 2, padding 1).
        if form == .imagenet { (h, w) = (output(h, kernel: 3, stride: 2, padding: 1), output(w, kernel: 3, stride: 2, padding: 1)) }
        for block in blocks {
            // conv1 and the shortcut read the block's input; conv2 reads conv1's (strided) output.
            let stride = block.conv1.convolutions[0].stride
            let (innerH, innerW) = (output(h, kernel: 3, stride: stride, padding: 1), output(w, kernel: 3, stride: stride, padding: 1))
            sizes += [(block.conv1, h, w), (block.conv2, innerH, innerW)] + (block.shortcut.map { [($0.conv, h, w)] } ?? [])
            (h, w) = (innerH, innerW)
        }
        return sizes
    }

    /// Every convolution (each factor of a factorised one), in model order.
    public var convolutions: [Conv2d] { stem.convolutions + blocks.flatMap(\.convolutions) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor { network.forward(input, mode: mode) }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        network.backward(outputGradient, needsInputGradient: needsInputGradient)
    }

    public var parameters: [Parameter] { network.parameters }

    public var buffers: [(name: String, tensor: Tensor)] { network.buffers }
}
