import Choices
import NeuralNetwork
import TensorCore

/// A 0/1 mask of `shape` with exactly `removed` zeros at uniformly random positions over all
/// entries, a pure function of (master seed, layer name, shape, removed count).
public func drawMask(shape: [Int], removed: Int, masterSeed: UInt64, layerName: String) -> Tensor {
    let count = shape.reduce(1, *)
    precondition(removed >= 0 && removed <= count, "cannot remove \(removed) of \(count) entries")
    var random = maskStream(purpose: "mask", masterSeed: masterSeed, layerName: layerName, shape: shape, removed: removed)
    let mask = Tensor(shape: shape)
    for position in randomSubsetMarks(count: count, removed: removed, random: &random) { mask[position] = 1 }
    return mask
}

/// A mask removing `removed` weights as whole kernels (`removed` must be a multiple of the
/// kernel size): a uniform random subset of the out x in kernels, from its own stream.
public func drawKernelMask(layer: WeightShape, removed: Int, masterSeed: UInt64) -> Tensor {
    let kernel = layer.kernelSize
    precondition(removed % kernel == 0, "io-only removals are whole kernels of \(kernel) weights")
    let kernels = layer.outChannels * layer.inChannels
    var random = maskStream(purpose: "mask-io-only", masterSeed: masterSeed, layerName: layer.name, shape: layer.tensorShape, removed: removed)
    let mask = Tensor(shape: layer.tensorShape)
    for pair in randomSubsetMarks(count: kernels, removed: removed / kernel, random: &random) {
        for tap in 0..<kernel { mask[pair * kernel + tap] = 1 }
    }
    return mask
}

/// The mask of one layer under a pattern.
public func drawMask(layer: WeightShape, removed: Int, pattern: MaskPattern, masterSeed: UInt64) -> Tensor {
    switch pattern {
    case .allEntries: return drawMask(shape: layer.tensorShape, removed: removed, masterSeed: masterSeed, layerName: layer.name)
    case .ioOnly: return drawKernelMask(layer: layer, removed: removed, masterSeed: masterSeed)
    }
}

/// Rounds per-layer removals to whole kernels for io-only masks, in model order, carrying each
/// layer's rounding error into the next so the total stays within half a kernel of the target
/// wherever a later layer can absorb it (1x1 and fully connected layers absorb it exactly).
/// Each layer keeps at least one kernel.
///
/// - Returns: removals in weights (multiples of each layer's kernel size) and the miss
///   (achieved total - requested total).
public func ioOnlyRemovals(_ removals: [Int], layers: [WeightShape]) -> (removals: [Int], miss: Int) {
    var carried = 0  // requested so far - achieved so far
    var result: [Int] = []
    for (removed, layer) in zip(removals, layers) {
        let kernel = layer.kernelSize
        let wanted = Double(removed + carried) / Double(kernel)
        let kernels = min(max(Int(wanted.rounded()), 0), layer.outChannels * layer.inChannels - 1)
        result.append(kernels * kernel)
        carried += removed - kernels * kernel
    }
    return (result, -carried)
}

/// Attaches masks removing `removals[i]` weights from `layers[i].weight` (no mask where 0).
public func applyMasks(to layers: [Linear], removals: [Int], masterSeed: UInt64) {
    precondition(layers.count == removals.count, "one removal count per layer")
    for (layer, removed) in zip(layers, removals) where removed > 0 {
        let weight = layer.weight
        weight.setMask(drawMask(shape: weight.value.shape, removed: removed, masterSeed: masterSeed, layerName: weight.name))
    }
}

/// Attaches masks removing `removals[i]` weights from each weight (no mask where 0), drawn with
/// `pattern` (io-only removals must already be whole kernels, see `ioOnlyRemovals`).
public func applyMasks(
    to weights: [(parameter: Parameter, shape: WeightShape)], removals: [Int], pattern: MaskPattern, masterSeed: UInt64
) {
    precondition(weights.count == removals.count, "one removal count per weight")
    for ((parameter, shape), removed) in zip(weights, removals) where removed > 0 {
        parameter.setMask(drawMask(layer: shape, removed: removed, pattern: pattern, masterSeed: masterSeed))
    }
}

private func maskStream(purpose: String, masterSeed: UInt64, layerName: String, shape: [Int], removed: Int) -> RandomStream {
    let indices = [fnv1a64(layerName)] + shape.map { UInt64($0) } + [UInt64(removed)]
    return RandomStream(masterSeed: masterSeed, purpose: purpose, indices: indices)
}

/// The positions (of `count`) that are kept when `removed` are removed uniformly at random.
/// Draws whichever set is smaller: a uniform subset of one is a uniform subset of the other's
/// complement.
private func randomSubsetMarks(count: Int, removed: Int, random: inout RandomStream) -> [Int] {
    if removed <= count - removed {
        var gone = [Bool](repeating: false, count: count)
        for position in random.subset(of: removed, from: count) { gone[position] = true }
        return (0..<count).filter { !gone[$0] }
    }
    return random.subset(of: count - removed, from: count)
}
