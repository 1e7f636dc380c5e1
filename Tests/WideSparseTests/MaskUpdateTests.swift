import Sparsity
import TensorCore
import Testing

@Suite("Dynamic masks: the drop schedule, SET and RigL updates against slow twins")
struct MaskUpdateTests {
    @Test("The schedule: updates every interval steps before the end, the fraction cosine-decayed to 0")
    func schedule() {
        let schedule = MaskUpdateSchedule(interval: 100, initialFraction: 0.3, endStep: 750)
        #expect((0...1000).filter(schedule.isUpdateStep) == [100, 200, 300, 400, 500, 600, 700])
        #expect(abs(schedule.dropFraction(atStep: 0) - 0.3) < 1e-12)
        #expect(abs(schedule.dropFraction(atStep: 375) - 0.15) < 1e-12)
        #expect(abs(schedule.dropFraction(atStep: 250) - 0.15 * (1 + 0.5)) < 1e-12)  // cos(pi/3) = 1/2
        #expect(schedule.dropFraction(atStep: 750) == 0 && schedule.dropFraction(atStep: 900) == 0)
    }

    /// A layer of `count` values with distinct magnitudes (some repeated, for ties) and a mask
    /// keeping every position `position % 3 != 0`.
    static func layer(count: Int) -> (values: [Float], mask: [Float]) {
        var random = RandomStream(seed: 4)
        let values = (0..<count).map { _ in Float(random.nextIndex(below: 40)) / 8 - 2.5 }
        return (values, (0..<count).map { $0 % 3 == 0 ? 0 : 1 })
    }

    /// The k kept positions of smallest |value| chosen one at a time (the lower index on ties).
    static func twinDrop(values: [Float], mask: [Float], count: Int) -> [Int] {
        var chosen: [Int] = []
        for _ in 0..<count {
            var best: Int? = nil
            for i in values.indices where mask[i] == 1 && !chosen.contains(i) {
                if best == nil || abs(values[i]) < abs(values[best!]) { best = i }
            }
            chosen.append(best!)
        }
        return chosen.sorted()
    }

    @Test("SET: the kept count stays; the smallest magnitudes go; regrowth only where weights were removed before, never where it just dropped; a pure function of the seed")
    func set() {
        let (values, initial) = Self.layer(count: 61)
        func update(seed: UInt64) -> (MaskChange, [Float]) {
            var mask = initial
            let change = values.withUnsafeBufferPointer { v in
                mask.withUnsafeMutableBufferPointer { updateMask(values: v, mask: $0, fraction: 0.3, regrowth: .random(RandomStream(seed: seed))) }
            }
            return (change, mask)
        }
        let (change, mask) = update(seed: 1)
        let kept = initial.filter { $0 == 1 }.count
        #expect(mask.filter { $0 == 1 }.count == kept && mask.allSatisfy { $0 == 0 || $0 == 1 })
        #expect(change.dropped == Self.twinDrop(values: values, mask: initial, count: Int((0.3 * Double(kept)).rounded())))
        #expect(change.grown.count == change.dropped.count)
        #expect(change.grown.allSatisfy { initial[$0] == 0 && mask[$0] == 1 })
        #expect(Set(change.grown).isDisjoint(with: change.dropped) && change.dropped.allSatisfy { mask[$0] == 0 })
        #expect(update(seed: 1).0 == change && update(seed: 2).0.grown != change.grown)
    }

    @Test("RigL: the regrowth set equals a slow twin's on a layer with a known dense gradient; just-dropped positions compete too")
    func rigl() {
        let (values, initial) = Self.layer(count: 45)
        // The gradient is largest at a position the drop frees, so RigL regrows it (at zero).
        let dropped = Self.twinDrop(values: values, mask: initial, count: Int((0.25 * 30).rounded()))
        var gradient = (0..<45).map { Float(($0 * 7) % 13) / 13 - 0.4 }
        gradient[dropped[0]] = 5
        var mask = initial
        let change = values.withUnsafeBufferPointer { v in
            gradient.withUnsafeBufferPointer { g in
                mask.withUnsafeMutableBufferPointer { updateMask(values: v, mask: $0, fraction: 0.25, regrowth: .gradient(g)) }
            }
        }
        #expect(change.dropped == dropped)
        // The twin: one at a time, the largest |gradient| among positions the drop leaves removed.
        var twinGrown: [Int] = []
        for _ in dropped {
            var best: Int? = nil
            for i in 0..<45 where (initial[i] == 0 || dropped.contains(i)) && !twinGrown.contains(i) {
                if best == nil || abs(gradient[i]) > abs(gradient[best!]) { best = i }
            }
            twinGrown.append(best!)
        }
        #expect(change.grown == twinGrown.sorted())
        #expect(change.grown.contains(dropped[0]) && mask[dropped[0]] == 1)
        #expect(mask.filter { $0 == 1 }.count == 30)
    }
}
