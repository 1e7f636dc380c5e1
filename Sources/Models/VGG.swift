import Choices
import NeuralNetwork
import TensorCore

/// VGG-11 or VGG-16 in the CIFAR form (docs/method.md section 4): five stages of 3x3 stride-1
/// convolutions with padding 1, each followed by batch norm and ReLU, a 2x2 stride-2 max-pool
/// between stages, then global average pooling and one fully connected classifier with bias.
///
/// One classifier layer, not the original three of 4096 units: those would hold most of the
/// weights (123M of VGG-16's 138M on ImageNet), so a constant-weight family would mostly trade
/// classifier weights for convolution width; the CIFAR VGGs that sparse-training papers use have
/// one. Global average pooling after the last stage (where the 32x32 CIFAR input is 2x2) instead
/// of a fifth max-pool lets any input of 16 pixels or more through (28x28 Fashion-MNIST too).
///
/// With a `bottleneck` (docs/method.md section 1; no masks): linear, every weight tensor becomes
/// two factors; non-linear, the first convolution of each pair in a stage (`vggBottleneckPairs`)
/// narrows to the inner width.
///
/// Shapes: [N, inputChannels, H, W] -> logits [N, classes]. Inside, activations keep one layout
/// (`layout`, as ResNet18 chooses it); masked convolutions can run on their kept taps
/// (`ConvolutionalModel.useKeptTaps`).
public final class VGG: Layer {
    public let variant: VGGVariant
    public let width: Int
    public let layout: ImageLayout
    public let bottleneck: Bottleneck?
    /// The five stages; stages 2-5 start with the max-pool.
    public let stages: [VGGStage]
    public let classifier: FactorisedLinear

    private let network: Sequential

    public init(
        variant: VGGVariant, width: Int, inputChannels: Int = 3, classes: Int = 10, layout: ImageLayout? = nil,
        convolution: ConvolutionAlgorithm = .direct, bottleneck: Bottleneck? = nil
    ) {
        precondition(width > 0 && inputChannels > 0 && classes > 0, "VGG needs positive sizes")
        self.variant = variant
        self.width = width
        self.bottleneck = bottleneck
        let plain = vggWeightShapes(variant: variant, width: width, inputChannels: inputChannels, classes: classes)
        // The non-linear bottleneck's narrower inner widths; the linear one factorises the plain shapes.
        var built = plain
        if case .nonlinear = bottleneck {
            built = vggWeightShapes(variant: variant, width: width, inputChannels: inputChannels, classes: classes, bottleneck: bottleneck)
        }
        let layout = layout ?? preferredImageLayout(channelCounts: vggStageWidths(width: width))
        self.layout = layout
        // Linear bottleneck: the inner size of each plain weight, model order.
        var innerSizes: [Int?] = Array(repeating: nil, count: plain.count)
        if case .linear(let sizes) = bottleneck {
            precondition(sizes.count == plain.count, "one inner size per weight tensor (\(plain.count))")
            innerSizes = sizes
        }
        let (stemInput, conversions) = imageEntry(layout: layout)
        var stages: [VGGStage] = []
        var first = 0
        for (stage, count) in variant.convolutionsPerStage.enumerated() {
            stages.append(VGGStage(
                shapes: Array(built[first..<(first + count)]), firstNumber: first + 1, pooled: stage > 0,
                innerSizes: Array(innerSizes[first..<(first + count)]), layout: layout, inputLayout: stage == 0 ? stemInput : layout,
                convolution: convolution))
            first += count
        }
        self.stages = stages
        classifier = FactorisedLinear(
            inFeatures: plain.last!.inChannels, outFeatures: classes, bias: true, innerFeatures: innerSizes.last!, name: "classifier")
        network = Sequential(conversions + stages + [GlobalAveragePool(layout: layout), classifier])
    }

    /// Every convolution (each factor of a factorised one), model order.
    public var convolutions: [Conv2d] { factorisedConvolutions.flatMap(\.convolutions) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor { network.forward(input, mode: mode) }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        network.backward(outputGradient, needsInputGradient: needsInputGradient)
    }

    public var parameters: [Parameter] { network.parameters }

    public var buffers: [(name: String, tensor: Tensor)] { network.buffers }
}

extension VGG: ConvolutionalModel {
    public var hasBottleneck: Bool { bottleneck != nil }

    public var factorisedConvolutions: [FactorisedConv2d] { stages.flatMap(\.convolutions) }

    public func convolutionInputSizes(height: Int, width: Int) -> [(convolution: FactorisedConv2d, height: Int, width: Int)] {
        var (h, w) = (height, width)
        var sizes: [(convolution: FactorisedConv2d, height: Int, width: Int)] = []
        for stage in stages {
            // The 2x2 stride-2 max-pool before every stage but the first; the convolutions keep the size.
            if stage.pool != nil { (h, w) = (outputSide(h, kernel: 2, stride: 2, padding: 0), outputSide(w, kernel: 2, stride: 2, padding: 0)) }
            sizes += stage.convolutions.map { ($0, h, w) }
        }
        return sizes
    }
}

/// One stage of a VGG: (for stages 2-5) a 2x2 stride-2 max-pool, then 3x3 convolutions with
/// padding 1 ("conv<i>"), each followed by batch norm ("bn<i>") and ReLU.
///
/// Shapes: [N, C, H, W] -> [N, O, H/2, W/2] with the pool, [N, O, H, W] without (or the same in
/// `layout`).
public final class VGGStage: Layer {
    public let pool: MaxPool2d?
    public let convolutions: [FactorisedConv2d]
    public let norms: [BatchNorm]
    private let network: Sequential

    /// `shapes`: the stage's convolution weights; `firstNumber`: the number in the first one's
    /// name; `innerSizes`: each one's linear-bottleneck inner size (nil: plain).
    public init(
        shapes: [WeightShape], firstNumber: Int, pooled: Bool, innerSizes: [Int?], layout: ImageLayout, inputLayout: ImageLayout,
        convolution: ConvolutionAlgorithm
    ) {
        pool = pooled ? MaxPool2d(kernel: 2, stride: 2, layout: layout) : nil
        convolutions = shapes.enumerated().map { index, shape in
            FactorisedConv2d(
                inChannels: shape.inChannels, outChannels: shape.outChannels, kernel: 3, stride: 1, padding: 1,
                innerChannels: innerSizes[index], layout: layout, inputLayout: index == 0 ? inputLayout : layout,
                algorithm: convolution, name: "conv\(firstNumber + index)")
        }
        norms = shapes.enumerated().map { BatchNorm(features: $1.outChannels, layout: layout, name: "bn\(firstNumber + $0)") }
        let layers: [Layer] = zip(convolutions, norms).flatMap { [$0, $1, ReLU()] as [Layer] }
        network = Sequential((pool.map { [$0] } ?? []) + layers)
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor { network.forward(input, mode: mode) }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        network.backward(outputGradient, needsInputGradient: needsInputGradient)
    }

    public var parameters: [Parameter] { network.parameters }

    public var buffers: [(name: String, tensor: Tensor)] { network.buffers }
}
