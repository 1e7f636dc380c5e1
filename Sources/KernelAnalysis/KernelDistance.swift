import Foundation
import TensorCore

/// A number estimated from random samples, with its standard error (0 when exact).
public struct Estimate: Equatable, Codable, Sendable {
    public var value: Double
    public var standardError: Double

    public init(value: Double, standardError: Double) {
        self.value = value
        self.standardError = standardError
    }

    /// How many standard errors (combined) separate two estimates.
    public func standardErrors(from other: Estimate) -> Double {
        let combined = (standardError * standardError + other.standardError * other.standardError).squareRoot()
        return combined > 0 ? abs(value - other.value) / combined : (value == other.value ? 0 : .infinity)
    }
}

/// The kernel distance D = E[(Theta - Theta_ref)^2] of sparse two-layer ReLU nets (docs/method.md
/// section 7), averaged over input pairs: by Monte-Carlo over networks, by the paper's exact
/// expression (eq. 1), and by its closed-form approximation (eq. 4).
public enum KernelDistance {
    /// Monte-Carlo over `initialisations` random networks of width n and connectivity p (stream
    /// ("kernel-init", n, i) of `masterSeed` for network i): the mean over pairs and networks of
    /// (Theta - reference)^2; its standard error is that of the per-network means.
    public static func monteCarlo(
        _ pairs: InputPairs, reference: [Double], width n: Int, connectivity p: Double, initialisations: Int, masterSeed: UInt64
    ) -> Estimate {
        precondition(reference.count == pairs.count && initialisations >= 1)
        let perNetwork = (0..<initialisations).map { index -> Double in
            var random = RandomStream(masterSeed: masterSeed, purpose: "kernel-init", indices: [UInt64(n), UInt64(index)])
            let u = sparseFirstLayer(width: n, dimension: pairs.dimension, connectivity: p, random: &random)
            let kernel = networkKernel(pairs, firstLayer: u, width: n)
            return zip(kernel, reference).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(pairs.count)
        }
        return meanAndError(perNetwork)
    }

    /// The exact expectation of eq. 1, averaged over pairs:
    ///
    ///     D(x, y) = (1/d^2) [K~1,p - K1]^2 + (1/(d^2 n)) [K~2,p - K~1,p^2],
    ///     K~l,p = sigma^(2l) E_s[ K_l(x_s, y_s) ],  s ~ Bernoulli(p)^d,  sigma^2 = 1/p,
    ///
    /// with E_s taken over `masks` random input masks (stream "kernel-masks" of `masterSeed`;
    /// the same masks for every pair). The squares of estimated means are corrected for their
    /// sampling variance, so the estimate is unbiased; its standard error comes from 8 batches of
    /// masks. With p = 1 the mask is all ones and the result exact.
    public static func exact(_ pairs: InputPairs, width n: Int, connectivity p: Double, masks: Int, masterSeed: UInt64) -> Estimate {
        precondition(masks >= 16, "at least 16 masks")
        if p == 1 { return Estimate(value: exactForAllOnesMask(pairs, width: n), standardError: 0) }
        let d = pairs.dimension
        var random = RandomStream(masterSeed: masterSeed, purpose: "kernel-masks", indices: [UInt64(d), p.bitPattern])
        let batches = 8
        let perBatch = masks / batches
        // Per pair and batch: sums of K1, K1^2 and K2 over that batch's masks.
        var sumK1 = [Double](repeating: 0, count: pairs.count * batches)
        var sumK1Squared = sumK1
        var sumK2 = sumK1
        let products = PairProducts(pairs)
        var kept: [Int] = []
        for batch in 0..<batches {
            for _ in 0..<perBatch {
                kept.removeAll(keepingCapacity: true)
                for i in 0..<d where random.nextDouble() < p { kept.append(i) }
                for k in 0..<pairs.count {
                    let (xx, yy, xy) = products.sums(k, over: kept)
                    let k1 = ReLUKernel.k(1, squaredNormX: xx, squaredNormY: yy, dot: xy)
                    let k2 = ReLUKernel.k(2, squaredNormX: xx, squaredNormY: yy, dot: xy)
                    sumK1[k * batches + batch] += k1
                    sumK1Squared[k * batches + batch] += k1 * k1
                    sumK2[k * batches + batch] += k2
                }
            }
        }
        let sigma2 = 1 / p
        let infinite = ReLUKernel.infiniteWidth(pairs).map { $0 * Double(d) }  // K1 of the full vectors
        /// D averaged over pairs from the masks of `batchesUsed`.
        func distance(_ batchesUsed: [Int]) -> Double {
            let m = Double(batchesUsed.count * perBatch)
            var total = 0.0
            for k in 0..<pairs.count {
                var (s1, s11, s2) = (0.0, 0.0, 0.0)
                for b in batchesUsed { s1 += sumK1[k * batches + b]; s11 += sumK1Squared[k * batches + b]; s2 += sumK2[k * batches + b] }
                let mean1 = s1 / m
                let varianceOfMean1 = max(0, (s11 / m - mean1 * mean1) * m / (m - 1)) / m
                let k1 = sigma2 * mean1
                let k1SquaredUnbiased = k1 * k1 - sigma2 * sigma2 * varianceOfMean1
                let bias = (k1 - infinite[k]) * (k1 - infinite[k]) - sigma2 * sigma2 * varianceOfMean1
                let variance = (sigma2 * sigma2 * s2 / m - k1SquaredUnbiased) / Double(n)
                total += (bias + variance) / Double(d * d)
            }
            return total / Double(pairs.count)
        }
        let value = distance(Array(0..<batches))
        let spread = meanAndError((0..<batches).map { distance([$0]) })
        // A batch holds 1/8 of the masks, so the error of the whole is that of the batch mean.
        return Estimate(value: value, standardError: spread.standardError)
    }

    /// eq. 1 with E_s computed exactly: a sum over all 2^d masks weighted p^|s| (1-p)^(d-|s|).
    /// Only for small d (at most 20).
    public static func exactByEnumeration(_ pairs: InputPairs, width n: Int, connectivity p: Double) -> Double {
        let d = pairs.dimension
        precondition(d <= 20, "enumeration needs d <= 20")
        let products = PairProducts(pairs)
        let sigma2 = 1 / p
        var total = 0.0
        for k in 0..<pairs.count {
            var (k1Tilde, k2Tilde) = (0.0, 0.0)
            for mask in 0..<(1 << d) {
                let kept = (0..<d).filter { mask & (1 << $0) != 0 }
                let weight = pow(p, Double(kept.count)) * pow(1 - p, Double(d - kept.count))
                let (xx, yy, xy) = products.sums(k, over: kept)
                k1Tilde += weight * sigma2 * ReLUKernel.k(1, squaredNormX: xx, squaredNormY: yy, dot: xy)
                k2Tilde += weight * sigma2 * sigma2 * ReLUKernel.k(2, squaredNormX: xx, squaredNormY: yy, dot: xy)
            }
            let (xx, yy, xy) = pairs.products(k)
            let k1 = ReLUKernel.k(1, squaredNormX: xx, squaredNormY: yy, dot: xy)
            total += ((k1Tilde - k1) * (k1Tilde - k1) + (k2Tilde - k1Tilde * k1Tilde) / Double(n)) / Double(d * d)
        }
        return total / Double(pairs.count)
    }

    /// p = 1: no bias, variance (K2 - K1^2) / (d^2 n).
    static func exactForAllOnesMask(_ pairs: InputPairs, width n: Int) -> Double {
        let d = Double(pairs.dimension)
        var total = 0.0
        for k in 0..<pairs.count {
            let (xx, yy, xy) = pairs.products(k)
            let k1 = ReLUKernel.k(1, squaredNormX: xx, squaredNormY: yy, dot: xy)
            let k2 = ReLUKernel.k(2, squaredNormX: xx, squaredNormY: yy, dot: xy)
            total += (k2 - k1 * k1) / (d * d * Double(n))
        }
        return total / Double(pairs.count)
    }

    /// The paper's closed-form approximation (eq. 4), for i.i.d. N(0, 1) inputs and p d >> 1,
    /// exactly as written: D ~ (1/(4d)) [ (1/4)(1/sqrt(p) - 1)^2 + (d/n)(1 - 1/pi^2) ].
    public static func equationFour(dimension d: Int, width n: Int, connectivity p: Double) -> Double {
        let bias = 0.25 * (1 / p.squareRoot() - 1) * (1 / p.squareRoot() - 1)
        let variance = Double(d) / Double(n) * (1 - 1 / (Double.pi * Double.pi))
        return (bias + variance) / (4 * Double(d))
    }

    /// The connectivity where eq. 4 is smallest at fixed n p (the paper: p* ~ sqrt(n p / (4 d))).
    public static func optimalConnectivity(np: Double, dimension d: Int) -> Double {
        (np / (4 * Double(d))).squareRoot()
    }

    static func meanAndError(_ values: [Double]) -> Estimate {
        let mean = values.reduce(0, +) / Double(values.count)
        guard values.count > 1 else { return Estimate(value: mean, standardError: .nan) }
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
        return Estimate(value: mean, standardError: (variance / Double(values.count)).squareRoot())
    }
}

/// x_i y_i, x_i^2 and y_i^2 of every pair in Double, for sums over the kept inputs of a mask.
struct PairProducts {
    let xy: [Double]
    let xx: [Double]
    let yy: [Double]
    let dimension: Int

    init(_ pairs: InputPairs) {
        dimension = pairs.dimension
        xy = zip(pairs.x, pairs.y).map { Double($0) * Double($1) }
        xx = pairs.x.map { Double($0) * Double($0) }
        yy = pairs.y.map { Double($0) * Double($0) }
    }

    /// (|x_s|^2, |y_s|^2, x_s . y_s) of pair k for the mask keeping `kept`.
    func sums(_ k: Int, over kept: [Int]) -> (Double, Double, Double) {
        let base = k * dimension
        var (a, b, c) = (0.0, 0.0, 0.0)
        for i in kept {
            a += xx[base + i]
            b += yy[base + i]
            c += xy[base + i]
        }
        return (a, b, c)
    }
}
