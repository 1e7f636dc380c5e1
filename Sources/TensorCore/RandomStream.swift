import Foundation

/// A seeded pseudo-random generator: xoshiro256** (Blackman and Vigna, 2018), its 256-bit state
/// filled from a 64-bit seed with SplitMix64, as the xoshiro authors recommend.
///
/// Every random choice of a run comes from a stream derived from the run's master seed and a
/// purpose ("mask", "init", "data-order", ...), optionally refined by integers such as a layer
/// index or an epoch number, so each choice is a pure function of (seed, purpose, indices)
/// and one purpose never shifts the numbers of another.
public struct RandomStream: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    /// The second value of the last Box-Muller pair, not yet handed out.
    private var spareNormal: Float?

    /// A stream whose state is SplitMix64 applied four times to `seed`.
    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        state = (mixer.next(), mixer.next(), mixer.next(), mixer.next())
    }

    /// The stream for `purpose` under `masterSeed`, refined by `indices` (layer, epoch, ...).
    /// The seed is SplitMix64-mixed from the master seed, the FNV-1a hash of the purpose's UTF-8
    /// bytes, and each index in turn.
    public init(masterSeed: UInt64, purpose: String, indices: [UInt64] = []) {
        var seed = SplitMix64.mix(masterSeed ^ fnv1a64(purpose))
        for index in indices {
            seed = SplitMix64.mix(seed ^ SplitMix64.mix(index &+ 0x9E37_79B9_7F4A_7C15))
        }
        self.init(seed: seed)
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(state.1 &* 5, by: 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotateLeft(state.3, by: 45)
        return result
    }

    /// Uniform in [0, 1), from the top 24 bits (every value is an exact multiple of 2^-24).
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// Uniform in [0, 1), from the top 53 bits.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in [low, high).
    public mutating func nextUniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextUnitFloat()
    }

    /// Standard normal N(0, 1) by the Box-Muller transform (computed in Double).
    public mutating func nextNormal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        // u1 in (0, 1] so that log(u1) is finite.
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        let radius = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = Float(radius * sin(angle))
        return Float(radius * cos(angle))
    }

    /// Uniform integer in 0..<bound without bias (Lemire's multiply-and-reject method).
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// A uniformly random permutation of 0..<count (Fisher-Yates, from the back).
    public mutating func permutation(of count: Int) -> [Int] {
        var values = Array(0..<count)
        if count < 2 { return values }
        for i in stride(from: count - 1, to: 0, by: -1) {
            values.swapAt(i, nextIndex(below: i + 1))
        }
        return values
    }

    /// A uniformly random subset of exactly `size` distinct indices from 0..<count, in
    /// increasing order (a partial Fisher-Yates shuffle over 0..<count).
    public mutating func subset(of size: Int, from count: Int) -> [Int] {
        precondition(size >= 0 && size <= count, "cannot choose \(size) of \(count)")
        var values = Array(0..<count)
        for i in 0..<size {
            values.swapAt(i, i + nextIndex(below: count - i))
        }
        return values[0..<size].sorted()
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): used only to expand and mix seeds.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state)
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// 64-bit FNV-1a hash of a string's UTF-8 bytes: a stable name-to-number map for seeding.
public func fnv1a64(_ text: String) -> UInt64 {
    fnv1a64(bytes: text.utf8)
}

/// 64-bit FNV-1a hash of bytes (a checksum, not a cryptographic hash).
public func fnv1a64<Bytes: Sequence>(bytes: Bytes) -> UInt64 where Bytes.Element == UInt8 {
    var hasher = FNV1a64()
    hasher.add(bytes)
    return hasher.value
}

/// FNV-1a 64 fed in pieces (a file read in chunks), the same hash as `fnv1a64(bytes:)`.
public struct FNV1a64: Sendable {
    public var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    /// Inlinable so that callers in other modules get it specialised for their byte sequence
    /// (a file's chunks are hashed byte by byte).
    @inlinable
    public mutating func add<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var hash = value
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        value = hash
    }

    /// The hash as 16 hex digits, as the run records write checksums.
    public var hex: String { fnv1a64Hex(value) }
}

/// `hash` as 16 lower-case hex digits (leading zeros kept).
public func fnv1a64Hex(_ hash: UInt64) -> String {
    let digits = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}

@inline(__always)
private func rotateLeft(_ value: UInt64, by amount: UInt64) -> UInt64 {
    (value << amount) | (value >> (64 - amount))
}
