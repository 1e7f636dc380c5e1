import NeuralNetwork

/// One weight tensor of a family member.
public struct LayerPlan: Codable, Equatable, Sendable {
    public var name: String
    /// PyTorch layout: [out, in] or [out, in, kh, kw].
    public var shape: [Int]
    public var dense: Int
    public var removed: Int
    public var kept: Int
    public var connectivity: Double
    /// With drawn masks (`WidthFamily.countDisconnectedUnits`): output channels without any
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

/// A model of one width in a family: its layers, what is removed from each, and the totals.
public struct FamilyMember: Codable, Equatable, Sendable {
    public var width: Int
    /// width / base width.
    public var wideningFactor: Double
    /// Weights of the dense model of this width.
    public var denseWeights: Int
    /// Weights kept (the budget, up to the io-only miss).
    public var weights: Int
    /// weights / denseWeights.
    public var connectivity: Double
    public var layers: [LayerPlan]
    /// With io-only masks: achieved - requested removals (0 otherwise).
    public var ioOnlyMiss: Int
    /// Why this width cannot have the budget, when it cannot (then `layers` is empty).
    public var infeasible: String?
}

/// Models of growing width with the same number of weights as the dense base model.
public struct WidthFamily: Codable, Equatable, Sendable {
    public var model: String
    public var baseWidth: Int
    /// Weights of the dense model of the base width.
    public var weightBudget: Int
    public var rule: String
    public var pattern: MaskPattern
    public var members: [FamilyMember]

    /// Draws every member's masks (as a run with `masterSeed` would) and records the units
    /// they leave disconnected in each layer.
    public mutating func countDisconnectedUnits(layersAtWidth: (Int) -> [WeightShape], masterSeed: UInt64) {
        for index in members.indices where members[index].infeasible == nil {
            let shapes = layersAtWidth(members[index].width)
            for (position, shape) in shapes.enumerated() {
                let plan = members[index].layers[position]
                let mask = drawMask(layer: shape, removed: plan.removed, pattern: pattern, masterSeed: masterSeed)
                let units = DisconnectedUnits(mask: mask, layer: shape)
                members[index].layers[position].outputsWithoutInputs = units.outputsWithoutInputs
                members[index].layers[position].inputsWithoutOutputs = units.inputsWithoutOutputs
            }
        }
    }

    /// Builds the family: for each width, the layers (`layersAtWidth`) and the removals
    /// (`removals(layers, total to remove)`), rounded to whole kernels for io-only masks.
    public init(
        model: String, baseWidth: Int, widths: [Int], rule: String, pattern: MaskPattern,
        layersAtWidth: (Int) -> [WeightShape], removals: ([WeightShape], Int) throws -> [Int]
    ) {
        self.model = model
        self.baseWidth = baseWidth
        self.rule = rule
        self.pattern = pattern
        let budget = layersAtWidth(baseWidth).map(\.count).reduce(0, +)
        weightBudget = budget
        members = widths.map { width in
            let layers = layersAtWidth(width)
            let dense = layers.map(\.count).reduce(0, +)
            let factor = Double(width) / Double(baseWidth)
            func infeasible(_ reason: String) -> FamilyMember {
                FamilyMember(width: width, wideningFactor: factor, denseWeights: dense, weights: 0, connectivity: 0, layers: [], ioOnlyMiss: 0, infeasible: reason)
            }
            guard dense >= budget else {
                return infeasible("the dense model of width \(width) has \(dense) weights, fewer than the budget \(budget)")
            }
            do {
                var removed = try removals(layers, dense - budget)
                var miss = 0
                if pattern == .ioOnly { (removed, miss) = ioOnlyRemovals(removed, layers: layers) }
                let plans = zip(layers, removed).map { LayerPlan(layer: $0, removed: $1) }
                let kept = plans.map(\.kept).reduce(0, +)
                return FamilyMember(
                    width: width, wideningFactor: factor, denseWeights: dense, weights: kept,
                    connectivity: Double(kept) / Double(dense), layers: plans, ioOnlyMiss: miss, infeasible: nil)
            } catch {
                return infeasible("\(error)")
            }
        }
    }
}
