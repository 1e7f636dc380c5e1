import Foundation
import TensorCore

/// The kernel distance of a constant-weight family of two-layer nets (fixed n p, growing n),
/// computed three ways side by side for the same input pairs.
public struct KernelStudy: Sendable {
    public struct Settings: Codable, Equatable, Sendable {
        /// n p: the expected number of kept first-layer weights per input feature.
        public var np: Double
        public var widths: [Int]
        public var initialisations: Int
        /// Input masks for the exact expression (ignored when it is enumerated or p = 1).
        public var masks: Int
        public var seed: UInt64
        /// "analytic" (K1 / d) or "empirical" (a dense net of `referenceWidth` units)
        public var reference: String
        public var referenceWidth: Int

        /// The defaults: the paper's 10 networks per width, 1024 input masks, the analytic reference
        /// (the paper measured against an empirical dense net; `reference: "empirical"`).
        public init(
            np: Double, widths: [Int], initialisations: Int = 10, masks: Int = 1024, seed: UInt64 = 0, reference: String = "analytic",
            referenceWidth: Int = 10_000
        ) {
            self.np = np
            self.widths = widths
            self.initialisations = initialisations
            self.masks = masks
            self.seed = seed
            self.reference = reference
            self.referenceWidth = referenceWidth
        }
    }

    /// One width of the family.
    public struct Row: Codable, Equatable, Sendable {
        public var width: Int
        public var connectivity: Double
        /// Over random networks, against the chosen reference kernel.
        public var monteCarlo: Estimate
        /// eq. 1 (against the analytic infinite-width kernel), over random input masks.
        public var exact: Estimate
        /// eq. 1 by enumerating every mask, when d is small enough.
        public var enumerated: Double?
        public var equationFour: Double
    }

    public let settings: Settings
    public let rows: [Row]

    /// Computes every width (`onRow` sees each as it is done).
    public init(pairs: InputPairs, settings: Settings, onRow: (Row) -> Void = { _ in }) {
        self.settings = settings
        let reference: [Double]
        if settings.reference == "empirical" {
            var random = RandomStream(masterSeed: settings.seed, purpose: "kernel-reference")
            let u = sparseFirstLayer(width: settings.referenceWidth, dimension: pairs.dimension, connectivity: 1, random: &random)
            reference = networkKernel(pairs, firstLayer: u, width: settings.referenceWidth)
        } else {
            reference = ReLUKernel.infiniteWidth(pairs)
        }
        var rows: [Row] = []
        for width in settings.widths {
            let p = min(1, settings.np / Double(width))
            let row = Row(
                width: width, connectivity: p,
                monteCarlo: KernelDistance.monteCarlo(
                    pairs, reference: reference, width: width, connectivity: p, initialisations: settings.initialisations,
                    masterSeed: settings.seed),
                exact: KernelDistance.exact(pairs, width: width, connectivity: p, masks: settings.masks, masterSeed: settings.seed),
                enumerated: pairs.dimension <= 12 ? KernelDistance.exactByEnumeration(pairs, width: width, connectivity: p) : nil,
                equationFour: KernelDistance.equationFour(dimension: pairs.dimension, width: width, connectivity: p))
            rows.append(row)
            onRow(row)
        }
        self.rows = rows
    }

    /// The width with the smallest value of each measure.
    public var argminMonteCarlo: Int? { rows.min { $0.monteCarlo.value < $1.monteCarlo.value }?.width }
    public var argminExact: Int? { rows.min { $0.exact.value < $1.exact.value }?.width }
    public var argminEquationFour: Int? { rows.min { $0.equationFour < $1.equationFour }?.width }

    /// Widths where Monte-Carlo and the exact expression differ by more than `limit` combined
    /// standard errors (expected with the empirical reference, whose own error is not included).
    public func disagreements(limit: Double = 3) -> [Int] {
        rows.filter { $0.monteCarlo.standardErrors(from: $0.exact) > limit }.map(\.width)
    }
}

/// Spearman's rank correlation of two equally long lists (ties get their mean rank).
public func rankCorrelation(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count && a.count > 1)
    func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            for position in start...end { ranks[order[position]] = Double(start + end) / 2 }
            start = end + 1
        }
        return ranks
    }
    let (x, y) = (ranks(a), ranks(b))
    let (mx, my) = (x.reduce(0, +) / Double(x.count), y.reduce(0, +) / Double(y.count))
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for i in x.indices {
        sxy += (x[i] - mx) * (y[i] - my)
        sxx += (x[i] - mx) * (x[i] - mx)
        syy += (y[i] - my) * (y[i] - my)
    }
    return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : .nan
}
