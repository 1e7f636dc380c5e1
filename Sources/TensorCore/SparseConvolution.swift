/// The kept taps of a masked convolution weight W [O, C, k, k]: tap t of output channel o is
/// (input channel, ky, kx) with value index t in row-major mask order (the order the dense
/// weight's kept entries have, so checkpoints of kept values read the same either way).
/// Built once from the mask; `byInput` lists the same taps grouped by input channel, for the
/// input gradient.
public struct ConvolutionTaps: Equatable, Sendable {
    public let outChannels: Int
    public let inChannels: Int
    public let kernel: Int
    /// [O + 1]: the taps of output channel o are `start[o] ..< start[o + 1]`.
    public let start: [Int32]
    /// [count]: input channel, row and column in the kernel of each tap.
    public let channel: [Int32]
    public let ky: [Int32]
    public let kx: [Int32]
    /// [C + 1] and [count]: the taps reading input channel c are `inputTaps[inputStart[c] ..< inputStart[c + 1]]`
    /// (indices into the arrays above and the values).
    public let inputStart: [Int32]
    public let inputTaps: [Int32]

    public var count: Int { channel.count }

    /// The taps of the entries of `mask` [O, C, k, k] that are not 0.
    public init(mask: Tensor) {
        precondition(mask.shape.count == 4 && mask.shape[2] == mask.shape[3], "convolution taps need an [O, C, k, k] mask, got \(mask.shape)")
        (outChannels, inChannels, kernel) = (mask.shape[0], mask.shape[1], mask.shape[2])
        var (start, channel, ky, kx): ([Int32], [Int32], [Int32], [Int32]) = ([0], [], [], [])
        var perInput = [[Int32]](repeating: [], count: inChannels)
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                for y in 0..<kernel {
                    for x in 0..<kernel where mask[((o * inChannels + c) * kernel + y) * kernel + x] != 0 {
                        perInput[c].append(Int32(channel.count))
                        channel.append(Int32(c))
                        ky.append(Int32(y))
                        kx.append(Int32(x))
                    }
                }
            }
            start.append(Int32(channel.count))
        }
        (self.start, self.channel, self.ky, self.kx) = (start, channel, ky, kx)
        inputStart = perInput.reduce(into: [Int32(0)]) { $0.append($0.last! + Int32($1.count)) }
        inputTaps = perInput.flatMap { $0 }
    }

    /// The output channel of each tap.
    public var outputChannel: [Int32] {
        (0..<outChannels).flatMap { o in Array(repeating: Int32(o), count: Int(start[o + 1] - start[o])) }
    }

    /// The kept entries of the dense weight `dense` [O, C, k, k], in tap order.
    public func gather(_ dense: Tensor) -> [Float] {
        let output = outputChannel
        return (0..<count).map { dense[denseIndex(tap: $0, outputChannel: Int(output[$0]))] }
    }

    /// The dense weight [O, C, k, k] of `values` (0 elsewhere).
    public func scatter(_ values: UnsafePointer<Float>) -> Tensor {
        let dense = Tensor(shape: [outChannels, inChannels, kernel, kernel])
        for (t, o) in outputChannel.enumerated() { dense[denseIndex(tap: t, outputChannel: Int(o))] = values[t] }
        return dense
    }

    private func denseIndex(tap t: Int, outputChannel o: Int) -> Int {
        ((o * inChannels + Int(channel[t])) * kernel + Int(ky[t])) * kernel + Int(kx[t])
    }
}

/// Convolutions on the kept taps only, with activations batch-innermost: [C, H, W, N]. Every
/// tap then multiplies one contiguous run of N values, so the inner loops are 16-lane
/// multiply-adds whatever the sparsity, the stride or the image size (4 x 4 in ResNet-18's last
/// stage), and the accumulators of one output position stay in registers.
public enum SparseConvolution {
    /// y [O, H', W', N] = W * x for x [C, H, W, N] (y overwritten). Positions whose window lies
    /// inside the image (most of them) add their taps without bounds checks.
    public static func forward(
        _ taps: ConvolutionTaps, values: UnsafePointer<Float>, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
        geometry g: ConvolutionGeometry, plan: Plan? = nil
    ) {
        let (n, h, w, s, p, k) = (g.batch, g.inputHeight, g.inputWidth, g.stride, g.padding, g.kernel)
        let plan = plan ?? Plan(taps, g)
        let (rowOffset, columnOffset, origin) = (plan.rowOffset, plan.columnOffset, plan.forwardOrigin)
        // One output channel at a time over the image, all lanes of a position in registers (two
        // orders measured slower: a block of 64 lanes at a time over every channel's row, BENCHMARKS.md).
        for o in 0..<g.outChannels {
            let (first, last) = (Int(taps.start[o]), Int(taps.start[o + 1]))
            for oy in 0..<g.outputHeight {
                let rowInside = oy * s - p >= 0 && oy * s - p + k <= h
                for ox in 0..<g.outputWidth {
                    let inside = rowInside && ox * s - p >= 0 && ox * s - p + k <= w
                    let position = (oy * s * w + ox * s) * n
                    let out = y + ((o * g.outputHeight + oy) * g.outputWidth + ox) * n
                    func sum<S: LaneSums>(_: S.Type, _ lane: Int) {
                        var sums = S()
                        if inside {
                            for t in first..<last { sums.add(values[t], x + origin[t] + position + lane) }
                        } else {
                            for t in first..<last where isInside(oy * s + rowOffset[t], h) && isInside(ox * s + columnOffset[t], w) {
                                sums.add(values[t], x + origin[t] + position + lane)
                            }
                        }
                        sums.store(out + lane)
                    }
                    eachLaneBlock(n) { width, lane in
                        switch width {
                        case 128: sum(Lanes128.self, lane)
                        case 64: sum(Lanes64.self, lane)
                        case 16: sum(Lanes16.self, lane)
                        default: sum(Lane1.self, lane)
                        }
                    }
                }
            }
        }
    }

    /// dx [C, H, W, N] = W^T * dy for dy [O, H', W', N] (dx overwritten): each input position
    /// gathers the output positions its taps fed (with stride 1, interior positions unchecked).
    public static func inputGradient(
        _ taps: ConvolutionTaps, values: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>,
        geometry g: ConvolutionGeometry, plan: Plan? = nil
    ) {
        let (n, ho, wo, s, p, k) = (g.batch, g.outputHeight, g.outputWidth, g.stride, g.padding, g.kernel)
        let plan = plan ?? Plan(taps, g)
        let output = plan.outputChannel
        // (iy + p - ky) and (ix + p - kx) are s times the output position that reads (iy, ix).
        let (rowOffset, columnOffset, origin) = (plan.gradientRowOffset, plan.gradientColumnOffset, plan.gradientOrigin)
        for c in 0..<g.inChannels {
            let (first, last) = (Int(taps.inputStart[c]), Int(taps.inputStart[c + 1]))
            for iy in 0..<g.inputHeight {
                let rowInside = s == 1 && iy + p - (k - 1) >= 0 && iy + p < ho
                for ix in 0..<g.inputWidth {
                    let inside = rowInside && ix + p - (k - 1) >= 0 && ix + p < wo
                    let into = dx + ((c * g.inputHeight + iy) * g.inputWidth + ix) * n
                    func sum<S: LaneSums>(_: S.Type, _ lane: Int) {
                        var sums = S()
                        if inside {
                            let position = (iy * wo + ix) * n + lane
                            for q in first..<last {
                                let t = Int(taps.inputTaps[q])
                                sums.add(values[t], dy + origin[t] + position)
                            }
                        } else {
                            for q in first..<last {
                                let t = Int(taps.inputTaps[q])
                                let (ty, tx) = (iy + rowOffset[t], ix + columnOffset[t])
                                guard ty >= 0, tx >= 0, ty % s == 0, tx % s == 0, isInside(ty / s, ho), isInside(tx / s, wo) else { continue }
                                sums.add(values[t], dy + ((Int(output[t]) * ho + ty / s) * wo + tx / s) * n + lane)
                            }
                        }
                        sums.store(into + lane)
                    }
                    eachLaneBlock(n) { width, lane in
                        switch width {
                        case 128: sum(Lanes128.self, lane)
                        case 64: sum(Lanes64.self, lane)
                        case 16: sum(Lanes16.self, lane)
                        default: sum(Lane1.self, lane)
                        }
                    }
                }
            }
        }
    }

    /// dW at the kept taps: gradient[t] (+)= sum over output positions and images of
    /// dy[o, oy, ox, :] . x[c, oy s + ky - p, ox s + kx - p, :]. Output rows are the outer
    /// loop, so the row of dy that every tap of o reads stays in the first-level cache; each tap
    /// visits only the columns where its window is inside the image.
    public static func weightGradient(
        _ taps: ConvolutionTaps, x: UnsafePointer<Float>, dy: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>,
        geometry g: ConvolutionGeometry, accumulate: Bool, plan: Plan? = nil
    ) {
        let (n, h, w, s, p) = (g.batch, g.inputHeight, g.inputWidth, g.stride, g.padding)
        if !accumulate { for t in 0..<taps.count { gradient[t] = 0 } }
        let columns = (plan ?? Plan(taps, g)).columns
        for o in 0..<g.outChannels {
            for oy in 0..<g.outputHeight {
                let row = dy + (o * g.outputHeight + oy) * g.outputWidth * n
                for t in Int(taps.start[o])..<Int(taps.start[o + 1]) {
                    let iy = oy * s + Int(taps.ky[t]) - p
                    guard isInside(iy, h) else { continue }
                    let plane = x + ((Int(taps.channel[t]) * h + iy) * w + Int(taps.kx[t]) - p) * n
                    var (a, b, c, d) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
                    var tail: Float = 0
                    for ox in columns[t] {
                        let (u, v) = (row + ox * n, plane + ox * s * n)
                        var lane = 0
                        while lane + 64 <= n {
                            a = a.addingProduct(load(u + lane), load(v + lane))
                            b = b.addingProduct(load(u + lane + 16), load(v + lane + 16))
                            c = c.addingProduct(load(u + lane + 32), load(v + lane + 32))
                            d = d.addingProduct(load(u + lane + 48), load(v + lane + 48))
                            lane += 64
                        }
                        while lane + 16 <= n {
                            a = a.addingProduct(load(u + lane), load(v + lane))
                            lane += 16
                        }
                        while lane < n {
                            tail += u[lane] * v[lane]
                            lane += 1
                        }
                    }
                    gradient[t] += ((a + b) + (c + d)).sum() + tail
                }
            }
        }
    }

    /// What the three kernels derive from the taps and one geometry, a few entries per tap:
    /// built once per geometry by `SparseConv2d` (derived on every call, these arrays of
    /// hundreds of kilobytes cost a fresh, zeroed allocation each time).
    public final class Plan: @unchecked Sendable {
        /// Forward: each tap's window offset (ky - p, kx - p) and where it reads for output (0, 0), in elements.
        let rowOffset: [Int], columnOffset: [Int], forwardOrigin: [Int]
        /// Input gradient: each tap's output channel, (p - ky, p - kx), and with stride 1 where it reads for input (0, 0).
        let outputChannel: [Int32], gradientRowOffset: [Int], gradientColumnOffset: [Int], gradientOrigin: [Int]
        /// Weight gradient: the output columns ox with 0 <= ox s + kx - p < w, per tap.
        let columns: [Range<Int>]

        public init(_ taps: ConvolutionTaps, _ g: ConvolutionGeometry) {
            let (n, h, w, s, p) = (g.batch, g.inputHeight, g.inputWidth, g.stride, g.padding)
            let (ho, wo) = (g.outputHeight, g.outputWidth)
            rowOffset = taps.ky.map { Int($0) - p }
            columnOffset = taps.kx.map { Int($0) - p }
            forwardOrigin = (0..<taps.count).map { [rowOffset, columnOffset] t in
                ((Int(taps.channel[t]) * h + rowOffset[t]) * w + columnOffset[t]) * n
            }
            outputChannel = taps.outputChannel
            gradientRowOffset = rowOffset.map { -$0 }
            gradientColumnOffset = columnOffset.map { -$0 }
            gradientOrigin = (0..<taps.count).map { [outputChannel, gradientRowOffset, gradientColumnOffset] t in
                ((Int(outputChannel[t]) * ho + gradientRowOffset[t]) * wo + gradientColumnOffset[t]) * n
            }
            columns = taps.kx.map { kx -> Range<Int> in
                let offset = Int(kx) - p
                let lower = offset >= 0 ? 0 : (-offset + s - 1) / s
                let upper = min(wo, w - offset <= 0 ? 0 : (w - 1 - offset) / s + 1)
                return lower..<max(lower, upper)
            }
        }
    }

    /// Calls body(width, first lane) over the batch's lanes in blocks of 128, 64, 16, then 1.
    @inline(__always)
    static func eachLaneBlock(_ n: Int, _ body: (Int, Int) -> Void) {
        var lane = 0
        while lane + 128 <= n { body(128, lane); lane += 128 }
        while lane + 64 <= n { body(64, lane); lane += 64 }
        while lane + 16 <= n { body(16, lane); lane += 16 }
        while lane < n { body(1, lane); lane += 1 }
    }

    /// 0 <= i < bound, in one comparison.
    @inline(__always)
    static func isInside(_ i: Int, _ bound: Int) -> Bool { UInt(bitPattern: i) < UInt(bound) }

    /// [C, H, W, N] from [N, C, H, W] (a network's images as the readers give them), into `y`.
    public static func batchLast(fromChannelsFirst x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, batch: Int, features: Int) {
        SparseProducts.transpose(x, into: y, rows: batch, columns: features)
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD16<Float>.self)
    }
}

/// The sums of one output position over some lanes of the batch, kept in registers while the
/// taps are added: 64 lanes (four 16-lane vectors), 16, or 1 (the batch's last few).
protocol LaneSums {
    init()
    /// self += v * x[lanes]
    mutating func add(_ v: Float, _ x: UnsafePointer<Float>)
    func store(_ y: UnsafeMutablePointer<Float>)
}

struct Lanes128: LaneSums {
    var low = Lanes64(), high = Lanes64()

    @inline(__always)
    mutating func add(_ v: Float, _ x: UnsafePointer<Float>) {
        low.add(v, x)
        high.add(v, x + 64)
    }

    @inline(__always)
    func store(_ y: UnsafeMutablePointer<Float>) {
        low.store(y)
        high.store(y + 64)
    }
}

struct Lanes64: LaneSums {
    var a = SIMD16<Float>(), b = SIMD16<Float>(), c = SIMD16<Float>(), d = SIMD16<Float>()

    @inline(__always)
    mutating func add(_ v: Float, _ x: UnsafePointer<Float>) {
        let scale = SIMD16<Float>(repeating: v)
        a = a.addingProduct(scale, SparseConvolution.load(x))
        b = b.addingProduct(scale, SparseConvolution.load(x + 16))
        c = c.addingProduct(scale, SparseConvolution.load(x + 32))
        d = d.addingProduct(scale, SparseConvolution.load(x + 48))
    }

    @inline(__always)
    func store(_ y: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(y).storeBytes(of: a, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(y + 16).storeBytes(of: b, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(y + 32).storeBytes(of: c, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(y + 48).storeBytes(of: d, as: SIMD16<Float>.self)
    }
}

struct Lanes16: LaneSums {
    var a = SIMD16<Float>()

    @inline(__always)
    mutating func add(_ v: Float, _ x: UnsafePointer<Float>) { a = a.addingProduct(SIMD16<Float>(repeating: v), SparseConvolution.load(x)) }

    @inline(__always)
    func store(_ y: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(y).storeBytes(of: a, as: SIMD16<Float>.self) }
}

struct Lane1: LaneSums {
    var a: Float = 0

    @inline(__always)
    mutating func add(_ v: Float, _ x: UnsafePointer<Float>) { a += v * x[0] }

    @inline(__always)
    func store(_ y: UnsafeMutablePointer<Float>) { y[0] = a }
}
