import Foundation

/// Mean and sample standard deviation.
public struct Spread: Equatable, Sendable {
    public var mean: Double
    public var standardDeviation: Double
    public var count: Int

    public init?(_ values: [Double]) {
        guard !values.isEmpty else { return nil }
        count = values.count
        let mean = values.reduce(0, +) / Double(values.count)
        self.mean = mean
        standardDeviation = values.count < 2 ? 0
            : (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)).squareRoot()
    }
}

/// Runs that differ only in their seed, summarised.
public struct ResultGroup: Sendable {
    public var rows: [ResultRow]
    public var bestTest: Spread?
    public var finalTrain: Spread?
    /// (acc_sparse(w) - acc_base) / (acc_dense(w) - acc_base), docs/method.md section 6: the share of
    /// the dense model's gain over the base that width alone brings; nil without both references.
    public var fractionDueToWidth: Double?

    public var first: ResultRow { rows[0] }
}

