import Foundation
import TensorCore

/// When masks move under dynamic sparse training, and how much (RigL, Evci et al. 2020, eq. 1):
/// every `interval` steps while the step is before `endStep`, each sparse layer drops the
/// fraction `dropFraction(atStep:)` of its kept weights, initialFraction / 2 x (1 + cos(pi t / endStep)),
/// and regrows as many.
public struct MaskUpdateSchedule: Equatable, Sendable {
    /// Steps between updates (RigL's delta T).
    public var interval: Int
    /// The drop fraction at step 0 (RigL's alpha).
    public var initialFraction: Double
    /// The first step at which masks no longer move (RigL's T_end).
    public var endStep: Int

    public init(interval: Int, initialFraction: Double, endStep: Int) {
        precondition(interval >= 1 && (0...1).contains(initialFraction) && endStep >= 0, "invalid mask update schedule")
        (self.interval, self.initialFraction, self.endStep) = (interval, initialFraction, endStep)
    }

    /// Whether the masks move after step `step` (counted from 1, the first optimisation step).
    public func isUpdateStep(_ step: Int) -> Bool { step >= interval && step % interval == 0 && step < endStep }

    /// The cosine-decayed fraction of kept weights that an update at `step` drops (0 from `endStep` on).
    public func dropFraction(atStep step: Int) -> Double {
        guard step < endStep else { return 0 }
        return initialFraction / 2 * (1 + cos(Double.pi * Double(step) / Double(endStep)))
    }
}

/// How an update chooses where the weights it drops grow back.
public enum Regrowth {
    /// SET (Mocanu et al. 2018): uniformly at random among the positions that were removed
    /// before this update (never where it just dropped), from `random`.
    case random(RandomStream)
    /// RigL: where the dense gradient (every position's, [count]) is largest in magnitude,
    /// among the positions the drop leaves removed (just-dropped ones included, as in RigL's
    /// Algorithm 1); ties go to the lower index.
    case gradient(UnsafeBufferPointer<Float>)
}

/// What one update did to one layer's mask: the flat positions dropped and grown.
public struct MaskChange: Equatable, Sendable {
    public var dropped: [Int]
    public var grown: [Int]
}

/// Moves one layer's mask: drops the round(fraction x kept) kept weights of smallest magnitude
/// (ties to the lower index), and regrows as many by `regrowth` (fewer only where SET has fewer
/// removed positions to grow into), so the kept count never changes. `mask` (0/1, [count]) is
/// updated in place; the caller zeroes the values (and momentum) at both sets of positions.
public func updateMask(values: UnsafeBufferPointer<Float>, mask: UnsafeMutableBufferPointer<Float>, fraction: Double,
                       regrowth: Regrowth) -> MaskChange {
    precondition(values.count == mask.count, "one mask entry per value")
    let kept = (0..<mask.count).filter { mask[$0] == 1 }
    let removedBefore = (0..<mask.count).filter { mask[$0] == 0 }
    var count = min(kept.count, Int((fraction * Double(kept.count)).rounded()))
    if case .random = regrowth { count = min(count, removedBefore.count) }
    guard count > 0 else { return MaskChange(dropped: [], grown: []) }
    // Smallest magnitude first, the lower index on ties.
    let dropped = Array(kept.sorted { (abs(values[$0]), $0) < (abs(values[$1]), $1) }.prefix(count)).sorted()
    let grown: [Int]
    switch regrowth {
    case .random(var random):
        // The first `count` of a seeded shuffle of the candidates: a uniform subset.
        var candidates = removedBefore
        for i in 0..<count {
            let j = i + random.nextIndex(below: candidates.count - i)
            candidates.swapAt(i, j)
        }
        grown = Array(candidates.prefix(count)).sorted()
    case .gradient(let gradient):
        precondition(gradient.count == mask.count, "one dense gradient entry per value")
        for position in dropped { mask[position] = 0 }
        let candidates = (0..<mask.count).filter { mask[$0] == 0 }
        grown = Array(candidates.sorted { (-abs(gradient[$0]), $0) < (-abs(gradient[$1]), $1) }.prefix(count)).sorted()
    }
    for position in dropped { mask[position] = 0 }
    for position in grown { mask[position] = 1 }
    return MaskChange(dropped: dropped, grown: grown)
}
