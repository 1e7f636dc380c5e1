import Foundation
import TensorCore
import Testing

@Suite("Random streams and safetensors")
struct CoreTests {
    @Test("Streams repeat for the same seed and purpose and differ otherwise")
    func streams() {
        var a = RandomStream(masterSeed: 1, purpose: "mask", indices: [3])
        var b = RandomStream(masterSeed: 1, purpose: "mask", indices: [3])
        var c = RandomStream(masterSeed: 1, purpose: "init", indices: [3])
        var d = RandomStream(masterSeed: 1, purpose: "mask", indices: [4])
        let first = (0..<8).map { _ in a.next() }
        #expect(first == (0..<8).map { _ in b.next() })
        #expect(first != (0..<8).map { _ in c.next() })
        #expect(first != (0..<8).map { _ in d.next() })
    }

    @Test("xoshiro256** from SplitMix64(0) gives the published first outputs")
    func knownValues() {
        // SplitMix64 seeded with 0 yields e220a8397b1dcdaf, 6e789e6aa1b965f4, 06c45d188009454f, f88bb8a8724c81ec;
        // xoshiro256** on that state: first output rotl(s1 * 5, 7) * 9.
        var random = RandomStream(seed: 0)
        let s1: UInt64 = 0x6E78_9E6A_A1B9_65F4
        let product = s1 &* 5
        let expected = ((product << 7) | (product >> 57)) &* 9
        #expect(random.next() == expected)
    }

    @Test("Uniform, normal, bounded and subset draws have the right ranges and moments")
    func distributions() {
        var random = RandomStream(seed: 5)
        let uniforms = (0..<20000).map { _ in random.nextUnitFloat() }
        #expect(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(uniforms.reduce(0, +) / 20000 - 0.5) < 0.01)
        let normals = (0..<20000).map { _ in Double(random.nextNormal()) }
        let mean = normals.reduce(0, +) / 20000
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 20000
        #expect(abs(mean) < 0.03 && abs(variance - 1) < 0.04)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<7000 { counts[random.nextIndex(below: 7)] += 1 }
        #expect(counts.allSatisfy { $0 > 850 && $0 < 1150 })
        let subset = random.subset(of: 30, from: 100)
        #expect(subset.count == 30 && Set(subset).count == 30 && subset == subset.sorted() && subset.last! < 100)
        #expect(random.permutation(of: 50).sorted() == Array(0..<50))
    }

    @Test("safetensors round trip, and broken files refused with what was expected")
    func safeTensors() throws {
        let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, -6])
        let b = Tensor(shape: [1], scalars: [0.25])
        let data = try SafeTensors.encode([("a", a), ("b", b)], metadata: ["epoch": "3"])
        #expect(data.prefix(8).withUnsafeBytes { $0.load(as: UInt64.self) } % 8 == 0)
        let (tensors, metadata) = try SafeTensors.decode(data, path: "x.safetensors")
        #expect(tensors["a"]!.shape == [2, 3] && tensors["a"]!.scalars == a.scalars)
        #expect(tensors["b"]!.scalars == [0.25])
        #expect(metadata == ["epoch": "3"])
        #expect(throws: SafeTensorsError.self) { try SafeTensors.decode(data.prefix(data.count - 4), path: "x") }
        #expect(throws: SafeTensorsError(path: "x", expected: "at least 8 bytes", found: "3 bytes")) {
            try SafeTensors.decode(Data([1, 2, 3]), path: "x")
        }
    }
}
