import NeuralNetwork
import TensorCore

/// A model of convolutions (ResNet-18, VGG) whose masked convolutions can run on their kept taps
/// only (`SparseConv2d`): what the execution choice measures and switches, for any such model.
public protocol ConvolutionalModel: WeightedModel {
    /// The layout its activations keep between the entry and the pooling before the classifier.
    var layout: ImageLayout { get }
    /// Whether it is a bottleneck model (no masks, so nothing runs on kept taps).
    var hasBottleneck: Bool { get }
    /// The plain (or factorised) convolutions, model order.
    var factorisedConvolutions: [FactorisedConv2d] { get }
    /// Every convolution (each factor of a factorised one), model order.
    var convolutions: [Conv2d] { get }
    /// The fully connected classifier after the pooling (one layer, or two factors).
    var classifier: FactorisedLinear { get }
    /// Each of `factorisedConvolutions` with the height and width of the images it reads, for
    /// inputs of `height` x `width`.
    func convolutionInputSizes(height: Int, width: Int) -> [(convolution: FactorisedConv2d, height: Int, width: Int)]
}

extension ConvolutionalModel {
    /// Every convolution and the classifier weight, model order, with their descriptions (the
    /// order and names of the model's weight-shape function).
    public var weightParameters: [(parameter: Parameter, shape: WeightShape)] {
        convolutions.map { ($0.weight, $0.weightShape) }
            + classifier.linears.map { ($0.weight, .fullyConnected($0.weight.name, out: $0.outFeatures, in: $0.inFeatures)) }
    }

    /// PyTorch's default initialisation, mask-aware (attach masks first): convolution (or factor)
    /// i draws from the stream ("init", i) of `masterSeed`, the classifier's after them.
    public func initialise(masterSeed: UInt64) {
        let convolutions = self.convolutions
        for (index, convolution) in convolutions.enumerated() {
            var random = RandomStream(masterSeed: masterSeed, purpose: "init", indices: [UInt64(index)])
            NeuralNetwork.initialise(convolution, random: &random)
        }
        for (offset, linear) in classifier.linears.enumerated() {
            var random = RandomStream(masterSeed: masterSeed, purpose: "init", indices: [UInt64(convolutions.count + offset)])
            NeuralNetwork.initialise(linear, parameterisation: .standard, distribution: .uniform, random: &random)
        }
    }

    /// Computes the convolutions that `onKeptTaps` picks on their kept taps only (an unmasked one
    /// at full density); the model must have no bottleneck. In a batch-last model every
    /// convolution must be picked (oneDNN has only reference kernels for that layout); in another
    /// layout each picked one converts its input and output. Fully connected layers stay dense.
    public func useKeptTaps(where onKeptTaps: (FactorisedConv2d) -> Bool = { _ in true }) {
        precondition(!hasBottleneck, "kept taps need a model without a bottleneck")
        let picked = factorisedConvolutions.filter(onKeptTaps)
        precondition(layout != .batchLast || picked.count == factorisedConvolutions.count,
                     "a batch-last model runs every convolution on its kept taps")
        for convolution in picked { convolution.useKeptTaps() }
    }

    /// Whether every convolution runs on its kept taps.
    public var runsOnKeptTaps: Bool { factorisedConvolutions.allSatisfy { $0.keptTaps != nil } }
}

/// The layout a convolutional model of these channel counts runs in when none is asked for:
/// blocked when every one of `channelCounts` divides by 16 and this CPU has oneDNN's compiled
/// blocked kernels (AVX-512), else channels-last (compiled for AVX2 too).
public func preferredImageLayout(channelCounts: [Int]) -> ImageLayout {
    channelCounts.allSatisfy { $0 % ImageLayout.block == 0 } && ConvolutionKernels.blockedLayoutIsCompiled ? .blocked16 : .channelsLast
}

/// How [N, C, H, W] images enter a network of `layout`: the layout its first convolution reads
/// (a blocked stem reads NCHW itself) and the conversion layers before it.
func imageEntry(layout: ImageLayout) -> (stemInput: ImageLayout, conversions: [Layer]) {
    switch layout {
    case .blocked16: return (.channelsFirst, [])
    case .channelsLast: return (.channelsLast, [ToChannelsLast()])
    case .batchLast: return (.batchLast, [ToBatchLast()])
    case .channelsFirst: return (.channelsFirst, [])
    }
}

/// The side of a convolution's or pooling's output.
func outputSide(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int { (size + 2 * padding - kernel) / stride + 1 }
