import NeuralNetwork

/// A model whose convolution and fully connected weights the sparsity engine can mask and count.
public protocol WeightedModel: Layer {
    /// Every counted weight with its description, in model order.
    var weightParameters: [(parameter: Parameter, shape: WeightShape)] { get }
    /// Mask-aware initial values (attach masks first), from streams of `masterSeed`.
    func initialise(masterSeed: UInt64)
}

extension MLP: WeightedModel {
    public var weightParameters: [(parameter: Parameter, shape: WeightShape)] {
        Array(zip(weightLayers.map(\.weight), configuration.weightShapes))
    }
}

extension ResNet18: ConvolutionalModel {
    public var hasBottleneck: Bool { bottleneck != nil }
}
