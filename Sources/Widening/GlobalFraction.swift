import Foundation

/// One size the global fraction shrinks: inner = max(1, round(alpha * full)), and every inner
/// unit costs `weightsPerUnit` weights.
public struct BottleneckSlot: Equatable, Sendable {
    public var full: Int
    public var weightsPerUnit: Int

    public init(full: Int, weightsPerUnit: Int) {
        self.full = full
        self.weightsPerUnit = weightsPerUnit
    }
}

/// docs/method.md section 1's rule: one global fraction alpha in (0, 1] for every slot, solved so that
/// fixed + sum of weightsPerUnit * max(1, round(alpha * full)) comes as close as possible to the
/// target (on a tie, the total below the target wins).
public struct GlobalFraction: Equatable, Sendable {
    /// An alpha inside the interval of fractions that all give `innerSizes` (its midpoint; 1 when
    /// every slot is at full size), so that `innerSizes(fraction:slots:)` reproduces them.
    public var fraction: Double
    public var innerSizes: [Int]
    public var weights: Int

    /// The rule itself: the inner sizes at `fraction`.
    public static func innerSizes(fraction: Double, slots: [BottleneckSlot]) -> [Int] {
        slots.map { max(1, Int((fraction * Double($0.full)).rounded(.toNearestOrAwayFromZero))) }
    }

    /// Walks up through every fraction at which some inner size grows by one (slot s grows from
    /// k to k + 1 at alpha = (k + 1/2) / full_s), keeping the total closest to `target`. The
    /// breakpoints are compared as exact fractions, so slots that grow at the same alpha grow together.
    public static func solve(fixedWeights: Int, slots: [BottleneckSlot], target: Int) -> GlobalFraction {
        precondition(slots.allSatisfy { $0.full >= 1 && $0.weightsPerUnit >= 0 }, "bottleneck slots need positive sizes")
        // (numerator, denominator, slot): size of `slot` becomes k + 1 at (2k + 1) / (2 full).
        var breakpoints: [(numerator: Int, denominator: Int, slot: Int)] = []
        for (index, slot) in slots.enumerated() where slot.full > 1 {
            for k in 1..<slot.full { breakpoints.append((2 * k + 1, 2 * slot.full, index)) }
        }
        breakpoints.sort { $0.numerator * $1.denominator < $1.numerator * $0.denominator }
        func value(_ b: (numerator: Int, denominator: Int, slot: Int)) -> Double { Double(b.numerator) / Double(b.denominator) }

        var sizes = [Int](repeating: 1, count: slots.count)
        var total = fixedWeights + slots.map(\.weightsPerUnit).reduce(0, +)
        func score(_ total: Int) -> (Int, Int) { (abs(total - target), total > target ? 1 : 0) }
        var best = (score: score(total), sizes: sizes, total: total,
                    fraction: breakpoints.first.map { value($0) / 2 } ?? 1)
        var start = 0
        while start < breakpoints.count {
            // Every breakpoint equal to this one applies at once.
            var end = start
            while end < breakpoints.count
                && breakpoints[end].numerator * breakpoints[start].denominator == breakpoints[start].numerator * breakpoints[end].denominator {
                sizes[breakpoints[end].slot] += 1
                total += slots[breakpoints[end].slot].weightsPerUnit
                end += 1
            }
            let here = score(total)
            if here < best.score {
                let upper = end < breakpoints.count ? value(breakpoints[end]) : nil
                best = (here, sizes, total, upper.map { (value(breakpoints[start]) + $0) / 2 } ?? 1)
            }
            // Totals only grow from here on: once above the target, nothing later is closer.
            if total > target { break }
            start = end
        }
        return GlobalFraction(fraction: best.fraction, innerSizes: best.sizes, weights: best.total)
    }
}

