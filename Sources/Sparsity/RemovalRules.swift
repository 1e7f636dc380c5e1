import Choices
import NeuralNetwork

extension RemovalRule {
    /// Weights to remove from each layer (model order) so that `total` are removed in all.
    public func removals(total: Int, layers: [WeightShape]) throws -> [Int] {
        let sizes = layers.map(\.count)
        let grandTotal = sizes.reduce(0, +)
        if total < 0 { throw SparsityError.negativeRemoval(requested: total) }
        if total > grandTotal - sizes.count {
            throw SparsityError.layerEmptied(requested: total, total: grandTotal, layers: sizes.count, maximum: grandTotal - sizes.count)
        }
        let budget = grandTotal - total
        switch self {
        case .levelDown:
            return try levelDownRemovals(total: total, layerSizes: sizes)
        case .uniform:
            let ideal = sizes.map { Double(budget) * Double($0) / Double(grandTotal) }
            return zip(sizes, apportion(budget, ideal: ideal, maxima: sizes)).map { $0 - $1 }
        case .erk:
            let ideal = erkKeptWeights(budget: budget, layers: layers)
            return zip(sizes, apportion(budget, ideal: ideal, maxima: sizes)).map { $0 - $1 }
        }
    }
}

/// ERK's real-valued kept weights per layer for a budget (before rounding).
func erkKeptWeights(budget: Int, layers: [WeightShape]) -> [Double] {
    let sizes = layers.map { Double($0.count) }
    let raw = layers.map { layer -> Double in
        let dimensions = [layer.outChannels, layer.inChannels] + (layer.kind == .convolution ? [layer.kernelHeight, layer.kernelWidth] : [])
        return Double(dimensions.reduce(0, +)) / Double(dimensions.reduce(1, *))
    }
    var dense = Set<Int>()
    while true {
        let denseWeights = dense.map { sizes[$0] }.reduce(0, +)
        let sparseMass = layers.indices.filter { !dense.contains($0) }.map { raw[$0] * sizes[$0] }.reduce(0, +)
        let scale = sparseMass > 0 ? (Double(budget) - denseWeights) / sparseMass : 0
        // The layer that most exceeds density 1 becomes dense; then solve again.
        let over = layers.indices.filter { !dense.contains($0) && scale * raw[$0] > 1 }
        guard let worst = over.max(by: { raw[$0] < raw[$1] }) else {
            return layers.indices.map { dense.contains($0) ? sizes[$0] : scale * raw[$0] * sizes[$0] }
        }
        dense.insert(worst)
    }
}

/// Whole numbers close to `ideal` that sum to `total`, each in 1...maxima[i]: floors first, then
/// units go to the largest shortfalls (ties: model order) or come from the largest excesses.
func apportion(_ total: Int, ideal: [Double], maxima: [Int]) -> [Int] {
    var counts = zip(ideal, maxima).map { min(max(Int($0.rounded(.down)), 1), $1) }
    var missing = total - counts.reduce(0, +)
    while missing != 0 {
        let step = missing > 0 ? 1 : -1
        let candidates = counts.indices.filter { step > 0 ? counts[$0] < maxima[$0] : counts[$0] > 1 }
        precondition(!candidates.isEmpty, "apportion: \(total) cannot be split within the bounds")
        // Largest shortfall ideal - count when adding, largest excess when removing.
        let chosen = candidates.max { a, b in
            let da = (ideal[a] - Double(counts[a])) * Double(step)
            let db = (ideal[b] - Double(counts[b])) * Double(step)
            return da != db ? da < db : a > b
        }!
        counts[chosen] += step
        missing -= step
    }
    return counts
}
