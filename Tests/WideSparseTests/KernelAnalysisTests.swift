import Foundation
import KernelAnalysis
import TensorCore
import Testing

/// Gaussian pairs of dimension d (seeded).
func gaussianPairs(count: Int, dimension: Int, seed: UInt64) -> InputPairs {
    var random = RandomStream(seed: seed)
    let x = (0..<(count * dimension)).map { _ in random.nextNormal() }
    let y = (0..<(count * dimension)).map { _ in random.nextNormal() }
    return InputPairs(x: x, y: y, dimension: dimension)
}

@Suite("Kernel analysis: GP kernels of sparse two-layer ReLU nets")
struct KernelAnalysisTests {
    @Test("J1 and J2 at 0, pi/2 and pi; K_l symmetric, homogeneous, and K1(x, x) = |x|^2 / 2")
    func analyticKernels() {
        #expect(abs(ReLUKernel.j1(0) - Double.pi) < 1e-12)
        #expect(abs(ReLUKernel.j1(Double.pi / 2) - 1) < 1e-12)
        #expect(abs(ReLUKernel.j1(Double.pi)) < 1e-12)
        #expect(abs(ReLUKernel.j2(0) - 3 * Double.pi) < 1e-12)
        #expect(abs(ReLUKernel.j2(Double.pi / 2) - Double.pi / 2) < 1e-12)
        #expect(abs(ReLUKernel.j2(Double.pi)) < 1e-12)
        // K1(x, x) = E[relu(w.x)^2] = |x|^2 / 2; K2(x, x) = E[relu(w.x)^4] = 3 |x|^4 / 2.
        #expect(abs(ReLUKernel.k(1, squaredNormX: 4, squaredNormY: 4, dot: 4) - 2) < 1e-12)
        #expect(abs(ReLUKernel.k(2, squaredNormX: 4, squaredNormY: 4, dot: 4) - 24) < 1e-12)
        // Opposite vectors never fire together.
        #expect(abs(ReLUKernel.k(1, squaredNormX: 1, squaredNormY: 1, dot: -1)) < 1e-12)
        #expect(ReLUKernel.k(1, squaredNormX: 2, squaredNormY: 5, dot: 1.3) == ReLUKernel.k(1, squaredNormX: 5, squaredNormY: 2, dot: 1.3))
        let scaled = ReLUKernel.k(2, squaredNormX: 4 * 2, squaredNormY: 5, dot: 2 * 1.3)
        #expect(abs(scaled - 4 * ReLUKernel.k(2, squaredNormX: 2, squaredNormY: 5, dot: 1.3)) < 1e-9)
        #expect(ReLUKernel.k(1, squaredNormX: 0, squaredNormY: 3, dot: 0) == 0)
    }

    @Test("K1 against a direct Monte-Carlo integral over w")
    func analyticAgainstIntegral() {
        let pairs = gaussianPairs(count: 1, dimension: 3, seed: 4)
        var random = RandomStream(seed: 9)
        var sum = 0.0
        let samples = 400_000
        for _ in 0..<samples {
            let w = (0..<3).map { _ in Double(random.nextNormal()) }
            let wx = (0..<3).map { w[$0] * Double(pairs.x[$0]) }.reduce(0, +)
            let wy = (0..<3).map { w[$0] * Double(pairs.y[$0]) }.reduce(0, +)
            sum += max(wx, 0) * max(wy, 0)
        }
        let (xx, yy, xy) = pairs.products(0)
        let analytic = ReLUKernel.k(1, squaredNormX: xx, squaredNormY: yy, dot: xy)
        #expect(abs(sum / Double(samples) - analytic) < 0.01 * max(1, abs(analytic)))
    }

    @Test("The matrix-product kernel equals its per-pair twin, sparse and dense")
    func kernelTwin() {
        let pairs = gaussianPairs(count: 37, dimension: 13, seed: 1)
        for p in [1.0, 0.3] {
            var random = RandomStream(seed: 2)
            let u = sparseFirstLayer(width: 29, dimension: 13, connectivity: p, random: &random)
            let fast = networkKernel(pairs, firstLayer: u, width: 29)
            let slow = referenceNetworkKernel(pairs, firstLayer: u, width: 29)
            #expect(zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
        }
        // Kept entries have variance 1/p; about a fraction p is kept.
        var random = RandomStream(seed: 3)
        let u = sparseFirstLayer(width: 400, dimension: 100, connectivity: 0.25, random: &random)
        let kept = u.filter { $0 != 0 }
        #expect(abs(Double(kept.count) / 40_000 - 0.25) < 0.01)
        let meanSquare: Double = kept.map { Double($0) * Double($0) }.reduce(0, +) / Double(kept.count)
        #expect(abs(meanSquare - 4) < 0.15)
    }

    @Test("The empirical kernel of a dense net approaches the analytic one as the width grows")
    func wideDenseNetApproachesAnalytic() {
        let pairs = gaussianPairs(count: 200, dimension: 50, seed: 5)
        let analytic = ReLUKernel.infiniteWidth(pairs)
        let distances = [16, 256, 4096].map { n in
            KernelDistance.monteCarlo(pairs, reference: analytic, width: n, connectivity: 1, initialisations: 4, masterSeed: 6).value
        }
        #expect(distances[0] > 8 * distances[1] && distances[1] > 8 * distances[2])
        // The variance falls as 1/n: D * n is about constant.
        #expect(abs(distances[2] * 4096 / (distances[0] * 16) - 1) < 0.3)
    }

    @Test("Monte-Carlo D agrees with the exact expectation of eq. 1 within a few standard errors")
    func monteCarloAgreesWithExact() {
        let pairs = gaussianPairs(count: 300, dimension: 64, seed: 7)
        let analytic = ReLUKernel.infiniteWidth(pairs)
        for (n, p) in [(32, 1.0), (64, 0.5), (256, 0.125), (128, 0.05)] {
            let monteCarlo = KernelDistance.monteCarlo(pairs, reference: analytic, width: n, connectivity: p, initialisations: 30, masterSeed: 8)
            let exact = KernelDistance.exact(pairs, width: n, connectivity: p, masks: 4096, masterSeed: 9)
            #expect(monteCarlo.standardErrors(from: exact) < 4, "n \(n) p \(p): MC \(monteCarlo) exact \(exact)")
        }
    }

    @Test("On inputs small enough to enumerate every mask, the exact sum agrees with Monte-Carlo and with random masks")
    func enumeration() {
        let pairs = gaussianPairs(count: 40, dimension: 8, seed: 10)
        let analytic = ReLUKernel.infiniteWidth(pairs)
        for (n, p) in [(16, 0.5), (40, 0.2)] {
            let enumerated = KernelDistance.exactByEnumeration(pairs, width: n, connectivity: p)
            let sampled = KernelDistance.exact(pairs, width: n, connectivity: p, masks: 8192, masterSeed: 11)
            #expect(sampled.standardErrors(from: Estimate(value: enumerated, standardError: 0)) < 4)
            let monteCarlo = KernelDistance.monteCarlo(pairs, reference: analytic, width: n, connectivity: p, initialisations: 200, masterSeed: 12)
            #expect(monteCarlo.standardErrors(from: Estimate(value: enumerated, standardError: 0)) < 4, "n \(n) p \(p): \(monteCarlo) vs \(enumerated)")
        }
    }

    @Test("eq. 4 as written, and its optimum p* = sqrt(n p / 4 d)")
    func equationFour() {
        // (1/(4d)) [ (1/4)(1/sqrt(p) - 1)^2 + (d/n)(1 - 1/pi^2) ] at d = 784, n = 4096, p = 1/64:
        // (1/3136) [ 12.25 + 0.19140625 * 0.898679... ]
        let expected = (0.25 * 49 + 784.0 / 4096 * (1 - 1 / (Double.pi * Double.pi))) / 3136
        #expect(abs(KernelDistance.equationFour(dimension: 784, width: 4096, connectivity: 1.0 / 64) - expected) < 1e-15)
        let dense: Double = (10.0 / 5) * (1 - 1 / (Double.pi * Double.pi)) / 40
        #expect(KernelDistance.equationFour(dimension: 10, width: 5, connectivity: 1) == dense)
        #expect(abs(KernelDistance.optimalConnectivity(np: 64, dimension: 784) - (64.0 / 3136).squareRoot()) < 1e-15)
    }

    @Test("Results repeat exactly for a seed and change with it")
    func determinism() {
        let pairs = gaussianPairs(count: 50, dimension: 20, seed: 13)
        let settings = KernelStudy.Settings(np: 8, widths: [8, 32], initialisations: 3, masks: 64, seed: 14, reference: "analytic", referenceWidth: 100)
        let first = KernelStudy(pairs: pairs, settings: settings).rows
        #expect(KernelStudy(pairs: pairs, settings: settings).rows == first)
        var other = settings
        other.seed = 15
        #expect(KernelStudy(pairs: pairs, settings: other).rows != first)
        #expect(abs(rankCorrelation([1, 2, 3, 4], [10, 20, 30, 40]) - 1) < 1e-12)
        #expect(abs(rankCorrelation([1, 2, 3, 4], [4, 3, 2, 1]) + 1) < 1e-12)
    }
}
