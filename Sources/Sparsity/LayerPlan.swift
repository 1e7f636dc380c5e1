import NeuralNetwork

/// One weight tensor of a model of a family: its shape, dense size, removals and what is kept.
public struct LayerPlan: Codable, Equatable, Sendable {
    public var name: String
    /// PyTorch layout: [out, in] or [out, in, kh, kw].
    public var shape: [Int]
    public var dense: Int
    public var removed: Int
    public var kept: Int
    public var connectivity: Double
    /// With drawn masks (Widening's `WidenedModel.countDisconnectedUnits`): output channels without any
    /// incoming weight, and input channels without any outgoing weight.
    public var outputsWithoutInputs: Int?
    public var inputsWithoutOutputs: Int?

    public init(layer: WeightShape, removed: Int) {
        name = layer.name
        shape = layer.tensorShape
        dense = layer.count
        self.removed = removed
        kept = layer.count - removed
        connectivity = Double(kept) / Double(layer.count)
    }
}
