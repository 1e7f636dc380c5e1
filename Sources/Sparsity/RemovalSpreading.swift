/// Why a number of weights cannot be removed from a set of layers.
public enum SparsityError: Error, Equatable, CustomStringConvertible {
    case negativeRemoval(requested: Int)
    case layerEmptied(requested: Int, total: Int, layers: Int, maximum: Int)
    case remainderEmptiesLayer(requested: Int, layer: Int, size: Int)
    case infeasible(field: String, reason: String)

    public var description: String {
        switch self {
        case .negativeRemoval(let requested):
            return "cannot remove \(requested) weights: the budget is larger than the dense model"
        case .layerEmptied(let requested, let total, let layers, let maximum):
            return "removing \(requested) of \(total) weights would leave a layer with no weights; "
                + "with \(layers) layers at most \(maximum) can be removed"
        case .remainderEmptiesLayer(let requested, let layer, let size):
            return "removing \(requested) weights by the level-down rule would take all \(size) weights of layer "
                + "\(layer + 1) (the largest layer takes the remainder of the even split); choose another budget"
        case .infeasible(let field, let reason):
            return "\(field): \(reason)"
        }
    }
}

/// Spreads `total` removed weights over layers of the given sizes by the paper's level-down
/// rule (docs/method.md section 2; paper Appendices B and D), exact to the weight.
///
/// Layers are sorted by size, largest first (ties keep model order). With sorted sizes
/// s1 >= s2 >= ... >= sL and s(L+1) = 0, levelling the top k layers to s(k+1) removes
/// L_k = sum_{j<=k} j (s_j - s_(j+1)). The smallest k with L_k >= total is the number of layers
/// involved; each loses s_i - s_k, and the rest, total - L_(k-1), is split evenly over those k,
/// the largest taking the remainder. Unlike the reference code this continues to k = L, and
/// fails only when a layer would keep no weight: when `total` exceeds (all weights - one per
/// layer), or, near that limit, when the largest layer's share of the remainder empties it.
///
/// - Returns: removals per layer, in the given (model) order; they sum to `total`.
public func levelDownRemovals(total: Int, layerSizes: [Int]) throws -> [Int] {
    if total < 0 { throw SparsityError.negativeRemoval(requested: total) }
    var removals = Array(repeating: 0, count: layerSizes.count)
    if total == 0 || layerSizes.isEmpty { return removals }

    // Stable sort, largest first.
    let order = layerSizes.indices.sorted { a, b in
        layerSizes[a] != layerSizes[b] ? layerSizes[a] > layerSizes[b] : a < b
    }
    let sorted = order.map { layerSizes[$0] }
    let layerCount = sorted.count
    let grandTotal = sorted.reduce(0, +)
    // Every layer must keep at least one weight.
    let maximum = grandTotal - layerCount
    if total > maximum {
        throw SparsityError.layerEmptied(requested: total, total: grandTotal, layers: layerCount, maximum: maximum)
    }

    var removedBefore = 0  // L_(k-1)
    for k in 1...layerCount {
        let next = k < layerCount ? sorted[k] : 0
        let levelled = removedBefore + k * (sorted[k - 1] - next)  // L_k
        if levelled >= total {
            let remaining = total - removedBefore
            for position in 0..<k {
                removals[order[position]] = sorted[position] - sorted[k - 1] + remaining / k
            }
            removals[order[0]] += remaining % k
            // Near the limit the remainder can exceed what the largest layer has left.
            if removals[order[0]] >= sorted[0] {
                throw SparsityError.remainderEmptiesLayer(requested: total, layer: order[0], size: sorted[0])
            }
            return removals
        }
        removedBefore = levelled
    }
    preconditionFailure("unreachable: total <= maximum <= L_L")
}
