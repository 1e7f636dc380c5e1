import Choices
import NeuralNetwork
import RunRecords
import TensorCore

extension MLPModelConfig {
    /// Weights of the dense model per layer: [d * n, n * classes].
    public var denseWeightCounts: [Int] { weightShapes.map(\.count) }

    /// The weight tensors of the plain model: fc1 [n, d] and fc2 [classes, n].
    public var plainWeightShapes: [WeightShape] {
        [.fullyConnected("fc1.weight", out: width, in: inputSize), .fullyConnected("fc2.weight", out: classes, in: width)]
    }

    /// The weight tensors, named as the model names them: fc1 and fc2, or with a linear
    /// bottleneck their factors fc1.0, fc1.1, fc2.0 and fc2.1.
    public var weightShapes: [WeightShape] {
        linearBottleneck.map { linearBottleneckShapes(plainWeightShapes, innerSizes: $0) } ?? plainWeightShapes
    }

    /// Linear bottleneck (docs/method.md section 1): the inner sizes of fc1 and fc2, each then the
    /// product of two factors; nil for the plain model.
    public var linearBottleneck: [Int]? { bottleneck?.kind == .linear ? bottleneck?.innerSizes : nil }
}

/// d -> n -> classes: Linear, activation, optional BatchNorm1d, Linear. With a linear
/// bottleneck each Linear is the product of two (d -> b1 -> n and n -> b2 -> classes).
///
/// Shapes: input [N, d], output logits [N, classes].
public final class MLP1: Layer {
    public let configuration: MLPModelConfig
    /// fc1 (d -> n) and fc2 (n -> classes), each one Linear or two factors.
    public let fc1: FactorisedLinear
    public let fc2: FactorisedLinear
    /// The layers computed on their kept weights only, once `useSparseExecution` chose them.
    public private(set) var sparseLayers: [SparseLinear?] = [nil, nil]
    /// The activation and the optional batch norm between the two weight layers.
    private let middle: [Layer]
    private var network: Sequential

    /// Builds the architecture of `configuration` (its removals are masks, applied by the caller).
    public init(_ configuration: MLPModelConfig) {
        precondition(configuration.linearBottleneck == nil || configuration.linearBottleneck!.count == 2, "one inner size for each of fc1 and fc2")
        self.configuration = configuration
        let ntk = configuration.parameterisation == .ntk
        fc1 = FactorisedLinear(
            inFeatures: configuration.inputSize, outFeatures: configuration.width, bias: configuration.bias,
            innerFeatures: configuration.linearBottleneck?[0], ntkScaling: ntk, name: "fc1")
        fc2 = FactorisedLinear(
            inFeatures: configuration.width, outFeatures: configuration.classes, bias: configuration.bias,
            innerFeatures: configuration.linearBottleneck?[1], ntkScaling: ntk, name: "fc2")
        var middle: [Layer] = [makeActivation(configuration.activation)]
        if configuration.batchNorm { middle.append(BatchNorm1d(features: configuration.width, name: "bn1")) }
        self.middle = middle
        network = Sequential([fc1] + middle + [fc2])
    }

    /// The layer that computes the hidden units (fc1, or its second factor).
    public var hidden: Linear { fc1.linears.last! }
    /// The layer that computes the logits (fc2, or its second factor).
    public var output: Linear { fc2.linears.last! }

    /// The layers whose weights count toward the budget, in model order.
    public var weightLayers: [Linear] { fc1.linears + fc2.linears }

    /// Draws initial values for both layers, mask-aware: call after masks are attached.
    /// Layer i draws from the stream ("init", i) of `masterSeed`.
    public func initialise(masterSeed: UInt64) {
        for (index, layer) in weightLayers.enumerated() {
            var random = RandomStream(masterSeed: masterSeed, purpose: "init", indices: [UInt64(index)])
            NeuralNetwork.initialise(
                layer, parameterisation: configuration.parameterisation,
                distribution: configuration.initDistribution, random: &random)
        }
    }

    /// Replaces the chosen weight layers ([fc1, fc2]) by `SparseLinear` copies (same pattern,
    /// values and bias) and frees the dense weights; call after masks and initial values, and
    /// read `weightParameters` (and the masks) before: the replaced layers are empty afterwards.
    public func useSparseExecution(_ sparse: [Bool]) {
        precondition(sparse.count == 2 && configuration.linearBottleneck == nil, "one choice per weight layer of the plain model")
        sparseLayers = zip(weightLayers, sparse).map { $1 ? SparseLinear(converting: $0) : nil }
        // Two sparse layers around an elementwise activation pass [width, N] activations as they
        // are (batch norm needs [N, width], so not with it).
        if let first = sparseLayers[0], let second = sparseLayers[1], !configuration.batchNorm {
            first.transposedOutput = true
            second.transposedInput = true
        }
        network = Sequential([sparseLayers[0] ?? fc1] + middle + [sparseLayers[1] ?? fc2])
        // A sparse layer keeps only its kept weights: the dense copies go.
        for (layer, sparse) in zip(weightLayers, sparseLayers) where sparse != nil { layer.weight.releaseStorage() }
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor { network.forward(input, mode: mode) }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        network.backward(outputGradient, needsInputGradient: needsInputGradient)
    }

    public var parameters: [Parameter] { network.parameters }

    public var buffers: [(name: String, tensor: Tensor)] { network.buffers }
}
