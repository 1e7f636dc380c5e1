import Choices
import Models
import NeuralNetwork
import Sparsity

/// The sizes a bottleneck shrank, as `family` shows them.
public struct BottleneckSizes: Codable, Equatable, Sendable {
    public var kind: BottleneckKind
    /// The global fraction alpha (1: nothing shrank).
    public var fraction: Double
    /// Linear: one inner size per weight tensor of the plain model; non-linear: one inner width
    /// per BasicBlock. Model order.
    public var innerSizes: [Int]
    /// The sizes the inner ones shrank from, in the same order.
    public var fullSizes: [Int]

    public var bottleneck: Bottleneck { Bottleneck(kind: kind, innerSizes: innerSizes) }
}

/// What a widening method built for one width: the architecture (width, stage widths, bottleneck
/// sizes), the removals its masks make if it has masks, the per-layer weight table and the
/// miss from the budget.
public struct WidenedModel: Codable, Equatable, Sendable {
    public var method: String
    public var width: Int
    /// ResNet-18 widened in chosen stages: the channels of the four stages (nil: the standard ones).
    public var stageWidths: [Int]?
    /// Weights of the plain dense model of this width (the denominator of connectivity).
    public var denseWeights: Int
    /// Every weight tensor of the model as built, model order.
    public var layers: [LayerPlan]
    /// Masks: the mask pattern (nil: the model has no masks).
    public var maskPattern: MaskPattern?
    /// Bottlenecks: the solved sizes.
    public var bottleneck: BottleneckSizes?
    /// The weights the model has.
    public var weights: Int
    /// The budget it was built for (nil: the dense model keeps none).
    public var targetWeights: Int?
    /// weights - targetWeights: 0 for exact methods, within one kernel for io-only masks, the
    /// global fraction's closest step for bottlenecks.
    public var residual: Int?

    /// weights / denseWeights.
    public var connectivity: Double { Double(weights) / Double(denseWeights) }

    /// Removals per weight tensor, for drawing masks (zeros when there are none).
    public var removals: [Int] { layers.map(\.removed) }

    /// The model from its layers and removals; totals follow from them.
    public init(
        method: String, width: Int, stageWidths: [Int]?, denseWeights: Int, layers: [WeightShape], removals: [Int]? = nil,
        maskPattern: MaskPattern? = nil, bottleneck: BottleneckSizes? = nil, targetWeights: Int?
    ) {
        self.method = method
        self.width = width
        self.stageWidths = stageWidths
        self.denseWeights = denseWeights
        self.layers = zip(layers, removals ?? Array(repeating: 0, count: layers.count)).map { LayerPlan(layer: $0, removed: $1) }
        self.maskPattern = maskPattern
        self.bottleneck = bottleneck
        weights = self.layers.map(\.kept).reduce(0, +)
        self.targetWeights = targetWeights
        residual = targetWeights.map { weights - $0 }
    }

    /// Draws the masks (as a run with `masterSeed` would) and counts the units they leave
    /// without incoming or outgoing weights in each layer. Layers without masks have none.
    public mutating func countDisconnectedUnits(architecture: Architecture, masterSeed: UInt64) {
        let shapes = architecture.layers(width: width, stageWidths: stageWidths, bottleneck: bottleneck?.bottleneck)
        for (index, shape) in shapes.enumerated() {
            let removed = layers[index].removed
            let mask = drawMask(layer: shape, removed: removed, pattern: maskPattern ?? .allEntries, masterSeed: masterSeed)
            let units = DisconnectedUnits(mask: mask, layer: shape)
            layers[index].outputsWithoutInputs = units.outputsWithoutInputs
            layers[index].inputsWithoutOutputs = units.inputsWithoutOutputs
        }
    }
}
