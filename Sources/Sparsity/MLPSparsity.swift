import Choices
import Foundation
import NeuralNetwork

/// How the weights removed from a sparse MLP-1 are split between its two layers.
public enum MLPRemovalRule: Equatable, Sendable {
    /// One of the general rules (docs/method.md section 2); the paper's is `.levelDown`.
    case spread(RemovalRule)
    /// The last layer keeps round(c * n * classes) weights, the first layer the rest of the
    /// budget (paper Figure 5).
    case lastLayerConnectivity(Double)
}

/// The weights of each layer of one MLP-1, dense and after removal.
public struct MLPSparsityPlan: Equatable, Sendable {
    /// [d * n, n * classes]
    public let denseCounts: [Int]
    /// Weights removed from each layer.
    public let removals: [Int]

    public init(denseCounts: [Int], removals: [Int]) {
        self.denseCounts = denseCounts
        self.removals = removals
    }

    public var keptCounts: [Int] { zip(denseCounts, removals).map { $0 - $1 } }
    public var totalWeights: Int { keptCounts.reduce(0, +) }
    /// Weights / weights of the dense model of the same width.
    public var connectivity: Double { Double(totalWeights) / Double(denseCounts.reduce(0, +)) }
    public var layerConnectivities: [Double] { zip(keptCounts, denseCounts).map { Double($0) / Double($1) } }
    public var isDense: Bool { removals.allSatisfy { $0 == 0 } }

    /// The dense model.
    public static func dense(inputSize: Int, width: Int, classes: Int) -> MLPSparsityPlan {
        MLPSparsityPlan(denseCounts: [inputSize * width, width * classes], removals: [0, 0])
    }

    /// Removals given directly, checked against the layer sizes.
    public static func explicit(
        inputSize: Int, width: Int, classes: Int, removals: [Int]
    ) throws -> MLPSparsityPlan {
        let dense = [inputSize * width, width * classes]
        guard removals.count == 2 else {
            throw SparsityError.infeasible(field: "removed", reason: "expected 2 counts (first layer, last layer), found \(removals.count)")
        }
        for (index, (removed, size)) in zip(removals, dense).enumerated() where removed < 0 || removed >= size {
            throw SparsityError.infeasible(
                field: "removed",
                reason: "layer \(index + 1) has \(size) weights; expected a removal in 0...\(size - 1), found \(removed)")
        }
        return MLPSparsityPlan(denseCounts: dense, removals: removals)
    }

    /// The model of width `width` with exactly `weightBudget` weights.
    public static func atBudget(
        inputSize: Int, width: Int, classes: Int, weightBudget: Int, rule: MLPRemovalRule
    ) throws -> MLPSparsityPlan {
        let dense = [inputSize * width, width * classes]
        let denseTotal = dense.reduce(0, +)
        guard weightBudget <= denseTotal else {
            throw SparsityError.infeasible(
                field: "weights",
                reason: "the dense model of width \(width) has only \(denseTotal) weights, fewer than the budget \(weightBudget)")
        }
        switch rule {
        case .spread(let rule):
            let layers: [WeightShape] = [
                .fullyConnected("fc1.weight", out: width, in: inputSize), .fullyConnected("fc2.weight", out: classes, in: width),
            ]
            return MLPSparsityPlan(denseCounts: dense, removals: try rule.removals(total: denseTotal - weightBudget, layers: layers))
        case .lastLayerConnectivity(let target):
            guard target > 0 && target <= 1 else {
                throw SparsityError.infeasible(field: "last-layer-connectivity", reason: "expected a value in (0, 1], found \(target)")
            }
            let lastKept = Int((target * Double(dense[1])).rounded())
            let firstKept = weightBudget - lastKept
            // Feasible: 1 <= lastKept <= dense[1], 1 <= firstKept <= dense[0].
            let lowest = max(1, weightBudget - dense[0])
            let highest = min(dense[1], weightBudget - 1)
            guard lastKept >= 1, firstKept >= 1, firstKept <= dense[0] else {
                let range = lowest <= highest
                    ? String(format: "%.4g...%.4g", Double(lowest) / Double(dense[1]), Double(highest) / Double(dense[1]))
                    : "none"
                throw SparsityError.infeasible(
                    field: "last-layer-connectivity",
                    reason: "at width \(width) with \(weightBudget) weights, connectivity \(target) keeps \(lastKept) of the "
                        + "last layer's \(dense[1]) weights and leaves \(firstKept) for the first layer (which has "
                        + "\(dense[0])); feasible last-layer connectivities here: \(range)")
            }
            return MLPSparsityPlan(denseCounts: dense, removals: [dense[0] - firstKept, dense[1] - lastKept])
        }
    }
}

/// One cell of the paper's Figure 5 grid: a width (hence an overall connectivity) and a
/// last-layer connectivity, with its plan or the reason it cannot exist.
public struct Figure5Cell: Sendable {
    public var width: Int
    public var lastLayerConnectivity: Double
    public var plan: MLPSparsityPlan?
    public var infeasibleBecause: String?
}

/// The grid of MLP-1 models with `weightBudget` weights over widths and last-layer
/// connectivities; infeasible cells are kept and named, not skipped.
public func figure5Grid(
    inputSize: Int, classes: Int, weightBudget: Int, widths: [Int], lastLayerConnectivities: [Double]
) -> [[Figure5Cell]] {
    widths.map { width in
        lastLayerConnectivities.map { connectivity in
            do {
                let plan = try MLPSparsityPlan.atBudget(
                    inputSize: inputSize, width: width, classes: classes, weightBudget: weightBudget,
                    rule: .lastLayerConnectivity(connectivity))
                return Figure5Cell(width: width, lastLayerConnectivity: connectivity, plan: plan)
            } catch {
                return Figure5Cell(width: width, lastLayerConnectivity: connectivity, infeasibleBecause: "\(error)")
            }
        }
    }
}
