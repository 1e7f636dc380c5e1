import Choices
import NeuralNetwork
import RunRecords
import TensorCore

extension MLPModelConfig {
    /// The bottleneck of the model, if it has one.
    public var bottleneckValue: Bottleneck? { bottleneck?.sizes }

    /// The units of each hidden layer h1 ... hL (`mlpHiddenWidths`).
    public var hiddenWidths: [Int] { mlpHiddenWidths(width: width, hiddenLayers: hiddenLayers, bottleneck: bottleneckValue) }

    /// Weights of the dense model per weight tensor, in model order.
    public var denseWeightCounts: [Int] { weightShapes.map(\.count) }

    /// The weight tensors of the plain model of `width`: fc1 [n, d], fc2 ... fcL [n, n] and fc(L+1) [classes, n].
    public var plainWeightShapes: [WeightShape] {
        mlpWeightShapes(inputSize: inputSize, width: width, hiddenLayers: hiddenLayers, classes: classes, bottleneck: nil)
    }

    /// The weight tensors, named as the model names them (`mlpWeightShapes`).
    public var weightShapes: [WeightShape] {
        mlpWeightShapes(inputSize: inputSize, width: width, hiddenLayers: hiddenLayers, classes: classes, bottleneck: bottleneckValue)
    }

    /// Linear bottleneck (docs/method.md section 1): the inner size of each weight tensor of the
    /// plain model, each then the product of two factors; nil otherwise.
    public var linearBottleneck: [Int]? { bottleneck?.kind == .linear ? bottleneck?.innerSizes : nil }
}

/// The units of each hidden layer h1 ... hL: all `width`, except that a non-linear bottleneck
/// gives the second of each pair of hidden layers (h2, h4, ...) its inner width.
public func mlpHiddenWidths(width: Int, hiddenLayers: Int, bottleneck: Bottleneck?) -> [Int] {
    var widths = Array(repeating: width, count: hiddenLayers)
    if case .nonlinear(let inner) = bottleneck {
        // A hand-edited config with the wrong count is refused by `validate()` with the field
        // named; here extra sizes are ignored rather than crashing whatever reads the shapes first.
        for (pair, units) in inner.enumerated() where 2 * pair + 1 < hiddenLayers { widths[2 * pair + 1] = units }
    }
    return widths
}

/// The weight tensors of MLP-L: fc1 (d -> h1), fc2 (h1 -> h2), ..., fc(L+1) (hL -> classes),
/// with a non-linear bottleneck's inner widths, or with a linear bottleneck each the product of
/// two factors (fc1.0, fc1.1, ...).
public func mlpWeightShapes(inputSize: Int, width: Int, hiddenLayers: Int, classes: Int, bottleneck: Bottleneck?) -> [WeightShape] {
    let sizes = [inputSize] + mlpHiddenWidths(width: width, hiddenLayers: hiddenLayers, bottleneck: bottleneck) + [classes]
    let shapes: [WeightShape] = (1..<sizes.count).map { .fullyConnected("fc\($0).weight", out: sizes[$0], in: sizes[$0 - 1]) }
    if case .linear(let inner) = bottleneck { return linearBottleneckShapes(shapes, innerSizes: inner) }
    return shapes
}

/// MLP-L: d -> h1 -> ... -> hL -> classes. Each hidden layer is a Linear, the activation and an
/// optional BatchNorm1d (bn1 ... bnL); the last Linear gives the logits. With a linear
/// bottleneck each Linear is the product of two. MLP-1 (L = 1) is the paper's model.
///
/// Shapes: input [N, d], output logits [N, classes].
public final class MLP: Layer {
    public let configuration: MLPModelConfig
    /// fc1 ... fc(L+1), each one Linear or two factors.
    public let fullyConnected: [FactorisedLinear]
    /// The layers computed on their kept weights only, once `useSparseExecution` chose them.
    public private(set) var sparseLayers: [SparseLinear?]
    /// After each hidden layer's Linear: the activation and the optional batch norm.
    private let hiddenStages: [[Layer]]
    private var network: Sequential

    /// Builds the architecture of `configuration` (its removals are masks, applied by the caller).
    public init(_ configuration: MLPModelConfig) {
        let layerCount = configuration.hiddenLayers + 1
        precondition(configuration.linearBottleneck == nil || configuration.linearBottleneck!.count == layerCount,
                     "one inner size for each of fc1 ... fc\(layerCount)")
        self.configuration = configuration
        let ntk = configuration.parameterisation == .ntk
        let sizes = [configuration.inputSize] + configuration.hiddenWidths + [configuration.classes]
        fullyConnected = (1...layerCount).map { index in
            FactorisedLinear(
                inFeatures: sizes[index - 1], outFeatures: sizes[index], bias: configuration.bias,
                innerFeatures: configuration.linearBottleneck?[index - 1], ntkScaling: ntk, name: "fc\(index)")
        }
        hiddenStages = configuration.hiddenWidths.enumerated().map { index, width in
            [makeActivation(configuration.activation)] + (configuration.batchNorm ? [BatchNorm1d(features: width, name: "bn\(index + 1)")] : [])
        }
        sparseLayers = Array(repeating: nil, count: layerCount)
        network = Sequential([])
        network = assembled()
    }

    /// fc1, hidden stage 1, fc2, ..., fc(L+1), each weight layer sparse where chosen.
    private func assembled() -> Sequential {
        var layers: [Layer] = []
        for (index, layer) in fullyConnected.enumerated() {
            layers.append(sparseLayers[index] ?? layer)
            if index < hiddenStages.count { layers += hiddenStages[index] }
        }
        return Sequential(layers)
    }

    /// The layer that computes the first hidden units (fc1, or its second factor).
    public var hidden: Linear { fullyConnected[0].linears.last! }
    /// The layer that computes the logits (the last Linear).
    public var output: Linear { fullyConnected.last!.linears.last! }

    /// The layers whose weights count toward the budget, in model order.
    public var weightLayers: [Linear] { fullyConnected.flatMap(\.linears) }

    /// Draws initial values for every weight layer, mask-aware: call after masks are attached.
    /// Layer i draws from the stream ("init", i) of `masterSeed`.
    public func initialise(masterSeed: UInt64) {
        for (index, layer) in weightLayers.enumerated() {
            var random = RandomStream(masterSeed: masterSeed, purpose: "init", indices: [UInt64(index)])
            NeuralNetwork.initialise(
                layer, parameterisation: configuration.parameterisation,
                distribution: configuration.initDistribution, random: &random)
        }
    }

    /// Replaces the chosen weight layers (one choice per fc layer) by `SparseLinear` copies (same
    /// pattern, values and bias) and frees the dense weights; call after masks and initial
    /// values, and read `weightParameters` (and the masks) before: the replaced layers are empty
    /// afterwards.
    public func useSparseExecution(_ sparse: [Bool]) {
        precondition(sparse.count == fullyConnected.count && configuration.linearBottleneck == nil, "one choice per weight layer of the plain model")
        sparseLayers = zip(weightLayers, sparse).map { $1 ? SparseLinear(converting: $0) : nil }
        // Two sparse layers around an elementwise activation pass [width, N] activations as they
        // are (batch norm needs [N, width], so not with it).
        if !configuration.batchNorm {
            for index in sparseLayers.indices.dropLast() {
                guard let first = sparseLayers[index], let second = sparseLayers[index + 1] else { continue }
                first.transposedOutput = true
                second.transposedInput = true
            }
        }
        network = assembled()
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
