import Sparsity
import TensorCore
import Testing

@Suite("Spreading removed weights and MLP-1 families")
struct SparsityTests {
    @Test("Level-down rule, worked by hand")
    func levelDownByHand() throws {
        // Sizes in model order: [30, 100, 60, 100]. Sorted (ties in model order): 100 (#1), 100 (#3), 60 (#2), 30 (#0).
        // L_1 = 1*(100-100) = 0; L_2 = 0 + 2*(100-60) = 80; L_3 = 80 + 3*(60-30) = 170; L_4 = 170 + 4*30 = 290.
        // Remove 100: smallest k with L_k >= 100 is 3. Each of #1, #3, #2 first drops to 60 (40, 40, 0 removed),
        // then the remaining 100 - 80 = 20 is split over 3: 6 each, remainder 2 to the largest (#1, first in order).
        #expect(try levelDownRemovals(total: 100, layerSizes: [30, 100, 60, 100]) == [0, 48, 6, 46])
        // Remove 40: k = 2 (L_2 = 80 >= 40): both 100s lose 0 first, then 20 each.
        #expect(try levelDownRemovals(total: 40, layerSizes: [30, 100, 60, 100]) == [0, 20, 0, 20])
        // Remove 41: 20 each and the remainder 1 to the first of the tied largest.
        #expect(try levelDownRemovals(total: 41, layerSizes: [30, 100, 60, 100]) == [0, 21, 0, 20])
        // Past L_3: all four layers. Remove 200: each drops to 30 (70, 30, 70, 0 = 170), then 30 over 4: 7 each, +2.
        #expect(try levelDownRemovals(total: 200, layerSizes: [30, 100, 60, 100]) == [7, 79, 37, 77])
        // MLP-1 at width 640 and 3970 weights: [501760, 6400]; T = 504190 > L_1 = 495360, so both layers,
        // 8830 left over two: 4415 each -> 1985 weights kept in each layer.
        #expect(try levelDownRemovals(total: 504_190, layerSizes: [501_760, 6400]) == [499_775, 4415])
    }

    @Test("The sum of removals equals the target for thousands of random layer lists")
    func levelDownSumsExactly() throws {
        var random = RandomStream(seed: 11)
        var refusedNearLimit = 0
        for _ in 0..<3000 {
            let layers = 1 + random.nextIndex(below: 8)
            let sizes = (0..<layers).map { _ in 1 + random.nextIndex(below: random.nextIndex(below: 2) == 0 ? 20 : 5000) }
            let maximum = sizes.reduce(0, +) - layers
            let target = random.nextIndex(below: maximum + 1)
            do {
                let removals = try levelDownRemovals(total: target, layerSizes: sizes)
                #expect(removals.reduce(0, +) == target)
                #expect(zip(removals, sizes).allSatisfy { $0 >= 0 && $0 < $1 })
            } catch SparsityError.remainderEmptiesLayer(_, let layer, let size) {
                // The largest layer ends at s_k - floor(R/k) - (R mod k) >= s_(k+1) - (k - 1), so the remainder
                // can only empty it when every layer is involved (target > total - L * smallest) or when
                // some layer has fewer weights than there are layers.
                let total = sizes.reduce(0, +)
                #expect(target > total - layers * sizes.min()! || sizes.min()! < layers)
                #expect(sizes[layer] == size)
                refusedNearLimit += 1
            }
        }
        #expect(refusedNearLimit < 100)
    }

    @Test("Failure boundary: every layer keeps at least one weight")
    func levelDownBoundary() throws {
        #expect(try levelDownRemovals(total: 7, layerSizes: [5, 3, 2]) == [4, 2, 1])
        #expect(throws: SparsityError.layerEmptied(requested: 8, total: 10, layers: 3, maximum: 7)) {
            try levelDownRemovals(total: 8, layerSizes: [5, 3, 2])
        }
        #expect(throws: SparsityError.negativeRemoval(requested: -1)) { try levelDownRemovals(total: -1, layerSizes: [5]) }
        // [3, 3, 3], 5 removed: 1 each and the remainder 2 to the first largest, which then has none left.
        #expect(throws: SparsityError.remainderEmptiesLayer(requested: 5, layer: 0, size: 3)) {
            try levelDownRemovals(total: 5, layerSizes: [3, 3, 3])
        }
        #expect(try levelDownRemovals(total: 6, layerSizes: [3, 3, 3]) == [2, 2, 2])
    }

    @Test("Every feasible member of the Figure 5 family has exactly the budget of weights")
    func familyHoldsBudget() throws {
        for width in [5, 10, 20, 40, 80, 160, 320, 640] {
            for lastLayer in [1.0, 0.9, 0.5, 0.1] {
                guard let plan = try? MLPSparsityPlan.atBudget(
                    inputSize: 784, width: width, classes: 10, weightBudget: 3970, rule: .lastLayerConnectivity(lastLayer))
                else { continue }
                #expect(plan.totalWeights == 3970)
                #expect(abs(plan.layerConnectivities[1] - lastLayer) <= 0.5 / Double(width * 10))
            }
            let levelled = try MLPSparsityPlan.atBudget(inputSize: 784, width: width, classes: 10, weightBudget: 3970, rule: .spread(.levelDown))
            #expect(levelled.totalWeights == 3970)
        }
    }

    @Test("An infeasible Figure 5 cell is refused with the feasible range")
    func infeasibleCell() {
        do {
            _ = try MLPSparsityPlan.atBudget(
                inputSize: 784, width: 640, classes: 10, weightBudget: 3970, rule: .lastLayerConnectivity(1))
            Issue.record("expected an error")
        } catch {
            #expect("\(error)" == "last-layer-connectivity: at width 640 with 3970 weights, connectivity 1.0 keeps 6400 of "
                + "the last layer's 6400 weights and leaves -2430 for the first layer (which has 501760); feasible "
                + "last-layer connectivities here: 0.0001563...0.6202")
        }
        #expect(throws: SparsityError.self) {
            try MLPSparsityPlan.atBudget(inputSize: 784, width: 4, classes: 10, weightBudget: 3970, rule: .spread(.levelDown))
        }
    }
}
