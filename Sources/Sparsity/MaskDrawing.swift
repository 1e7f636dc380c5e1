import NeuralNetwork
import TensorCore

/// A 0/1 mask of `shape` with exactly `removed` zeros at uniformly random positions over all
/// entries, a pure function of (master seed, layer name, shape, removed count).
public func drawMask(shape: [Int], removed: Int, masterSeed: UInt64, layerName: String) -> Tensor {
    let count = shape.reduce(1, *)
    precondition(removed >= 0 && removed <= count, "cannot remove \(removed) of \(count) entries")
    let indices = [fnv1a64(layerName)] + shape.map { UInt64($0) } + [UInt64(removed)]
    var random = RandomStream(masterSeed: masterSeed, purpose: "mask", indices: indices)
    // Draw whichever of the two sets is smaller; a uniform subset of one is a uniform subset of
    // the other's complement.
    let removeChosen = removed <= count - removed
    let mask = Tensor(shape: shape, repeating: removeChosen ? 1 : 0)
    let chosen = random.subset(of: removeChosen ? removed : count - removed, from: count)
    for position in chosen { mask[position] = removeChosen ? 0 : 1 }
    return mask
}

/// Attaches masks removing `removals[i]` weights from `layers[i].weight` (no mask where 0).
public func applyMasks(to layers: [Linear], removals: [Int], masterSeed: UInt64) {
    precondition(layers.count == removals.count, "one removal count per layer")
    for (layer, removed) in zip(layers, removals) where removed > 0 {
        let weight = layer.weight
        weight.setMask(drawMask(shape: weight.value.shape, removed: removed, masterSeed: masterSeed, layerName: weight.name))
    }
}
