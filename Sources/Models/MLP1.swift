import NeuralNetwork
import TensorCore

/// The architecture of a one-hidden-layer perceptron (SPEC.md section 4).
public struct MLP1Configuration: Codable, Equatable, Sendable {
    /// d: features per input (784 for 28x28 images).
    public var inputSize: Int
    /// n: hidden units.
    public var width: Int
    public var classes: Int
    public var bias: Bool
    public var activation: ActivationKind
    /// BatchNorm1d after the activation.
    public var batchNorm: Bool
    public var parameterisation: Parameterisation
    public var initDistribution: InitDistribution

    public init(
        inputSize: Int = 784, width: Int, classes: Int = 10, bias: Bool = true,
        activation: ActivationKind = .relu, batchNorm: Bool = false,
        parameterisation: Parameterisation = .standard, initDistribution: InitDistribution = .uniform
    ) {
        self.inputSize = inputSize
        self.width = width
        self.classes = classes
        self.bias = bias
        self.activation = activation
        self.batchNorm = batchNorm
        self.parameterisation = parameterisation
        self.initDistribution = initDistribution
    }

    /// Weights of the dense model per layer: [d * n, n * classes].
    public var denseWeightCounts: [Int] { weightShapes.map(\.count) }

    /// The two weight tensors, named as the model names them.
    public var weightShapes: [WeightShape] {
        [.fullyConnected("fc1.weight", out: width, in: inputSize), .fullyConnected("fc2.weight", out: classes, in: width)]
    }
}

/// d -> n -> classes: Linear, activation, optional BatchNorm1d, Linear.
///
/// Shapes: input [N, d], output logits [N, classes].
public final class MLP1: Layer {
    public let configuration: MLP1Configuration
    public let hidden: Linear
    public let output: Linear
    /// The layers computed on their kept weights only, once `useSparseExecution` chose them.
    public private(set) var sparseLayers: [SparseLinear?] = [nil, nil]
    /// The activation and the optional batch norm between the two weight layers.
    private let middle: [Layer]
    private var network: Sequential

    public init(_ configuration: MLP1Configuration) {
        self.configuration = configuration
        let ntk = configuration.parameterisation == .ntk
        hidden = Linear(
            inFeatures: configuration.inputSize, outFeatures: configuration.width, bias: configuration.bias,
            outputScale: ntk ? 1 / Float(configuration.inputSize).squareRoot() : 1, name: "fc1")
        output = Linear(
            inFeatures: configuration.width, outFeatures: configuration.classes, bias: configuration.bias,
            outputScale: ntk ? 1 / Float(configuration.width).squareRoot() : 1, name: "fc2")
        var middle: [Layer] = [makeActivation(configuration.activation)]
        if configuration.batchNorm { middle.append(BatchNorm1d(features: configuration.width, name: "bn1")) }
        self.middle = middle
        network = Sequential([hidden] + middle + [output])
    }

    /// The layers whose weights count toward the budget, in model order.
    public var weightLayers: [Linear] { [hidden, output] }

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
        precondition(sparse.count == 2, "one choice per weight layer")
        sparseLayers = zip(weightLayers, sparse).map { $1 ? SparseLinear(converting: $0) : nil }
        // Two sparse layers around an elementwise activation pass [width, N] activations as they
        // are (batch norm needs [N, width], so not with it).
        if let first = sparseLayers[0], let second = sparseLayers[1], !configuration.batchNorm {
            first.transposedOutput = true
            second.transposedInput = true
        }
        network = Sequential([sparseLayers[0] ?? hidden] + middle + [sparseLayers[1] ?? output])
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
