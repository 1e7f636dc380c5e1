/// Batch normalisation of the rows of a [rows, C] matrix, per column: an NHWC image batch is
/// [N*H*W, C]. Each function streams the matrix once or twice with the channel vector innermost.
///
/// oneDNN 2.6 has fast channels-last batch norm only when C is a multiple of 16; at the
/// paper's odd widths (18, 36, 72 channels) it falls back to a generic kernel 5-10x slower than
/// the memory bandwidth allows, so channels-last networks use these loops instead
/// (BENCHMARKS.md). ReferenceBatchNorm is their slow twin.
public enum RowBatchNorm {
    /// Rows summed in Float before the partial sums go to Double: short runs keep the rounding
    /// error small while the inner loops stay in vector registers.
    private static let chunkRows = 64

    /// How many rows to treat as one "wide row" of k * C values, so that the inner loops run over
    /// a multiple of 16 floats (one AVX-512 register) when C is not (8, 12, 18, 36 channels):
    /// k * C = lcm(C, 16), per-channel constants repeated k times. 1 when C divides by 16 or
    /// the wide row would be long.
    static func rowsPerWideRow(channels: Int) -> Int {
        guard channels % 16 != 0 else { return 1 }
        var (a, b) = (channels, 16)
        while b != 0 { (a, b) = (b, a % b) }
        let lcm = channels / a * 16
        return lcm <= 288 ? lcm / channels : 1
    }

    /// The per-column mean and biased variance of x [rows, C]. Sums are taken around the first
    /// row's values, so a large mean does not cancel the variance away.
    public static func statistics(
        _ x: UnsafePointer<Float>, rows: Int, channels: Int, mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>
    ) {
        let k = rowsPerWideRow(channels: channels)
        let wide = k * channels
        // Raw pointers rather than arrays in the inner loops: no bounds checks, so they vectorise.
        let scratch = FloatScratch(vectors: 3, length: wide)
        defer { scratch.free() }
        let (reference, chunkSum, chunkSquares) = (scratch[0], scratch[1], scratch[2])
        for j in 0..<wide { reference[j] = x[j % channels] }
        var sums = [Double](repeating: 0, count: channels)
        var squares = [Double](repeating: 0, count: channels)
        /// Adds rows [start, end) of x seen as rows of `width` values (a multiple of C).
        func accumulate(_ start: Int, _ end: Int, width: Int) {
            for j in 0..<width { chunkSum[j] = 0; chunkSquares[j] = 0 }
            for row in start..<end {
                let values = x + row * width
                for j in 0..<width {
                    let d = values[j] - reference[j]
                    chunkSum[j] += d
                    chunkSquares[j] += d * d
                }
            }
            for j in 0..<width {
                sums[j % channels] += Double(chunkSum[j])
                squares[j % channels] += Double(chunkSquares[j])
            }
        }
        let wideRows = rows / k
        let wideChunk = max(1, chunkRows / k)
        var start = 0
        while start < wideRows {
            accumulate(start, min(start + wideChunk, wideRows), width: wide)
            start += wideChunk
        }
        // The rows left over after the last wide row, channel-wide (the first C entries of the
        // repeated vectors are the per-channel ones).
        if wideRows * k < rows { accumulate(wideRows * k, rows, width: channels) }
        let count = Double(rows)
        for c in 0..<channels {
            let shiftedMean = sums[c] / count
            mean[c] = Float(Double(reference[c]) + shiftedMean)
            variance[c] = Float(max(squares[c] / count - shiftedMean * shiftedMean, 0))
        }
    }

    /// y = scale * (x - mean) / sqrt(variance + eps) + shift, per column of [rows, C].
    public static func normalise(
        _ x: UnsafePointer<Float>, rows: Int, channels: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, variance: UnsafePointer<Float>, epsilon: Float, output y: UnsafeMutablePointer<Float>
    ) {
        let k = rowsPerWideRow(channels: channels)
        let wide = k * channels
        // y = a * x + b with a = scale / sigma and b = shift - a * mean, repeated k times.
        let scratch = FloatScratch(vectors: 2, length: wide)
        defer { scratch.free() }
        let (a, b) = (scratch[0], scratch[1])
        for j in 0..<wide {
            let c = j % channels
            a[j] = scale[c] / (variance[c] + epsilon).squareRoot()
            b[j] = shift[c] - a[j] * mean[c]
        }
        let wideRows = rows / k
        for row in 0..<wideRows {
            let (source, destination) = (x + row * wide, y + row * wide)
            for j in 0..<wide { destination[j] = a[j] * source[j] + b[j] }
        }
        for row in (wideRows * k)..<rows {
            let (source, destination) = (x + row * channels, y + row * channels)
            for c in 0..<channels { destination[c] = a[c] * source[c] + b[c] }
        }
    }

    /// Overwrites dx [rows, C], dScale and dShift [C]. With `training` the statistics are the
    /// batch's own: dx = scale/sigma * (dy - mean(dy) - xHat * mean(dy * xHat)); otherwise they
    /// are constants and dx = scale/sigma * dy.
    public static func backward(
        _ x: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>, rows: Int, channels: Int,
        scale: UnsafePointer<Float>, mean: UnsafePointer<Float>, variance: UnsafePointer<Float>, epsilon: Float, training: Bool,
        inputGradient dx: UnsafeMutablePointer<Float>, scaleGradient: UnsafeMutablePointer<Float>, shiftGradient: UnsafeMutablePointer<Float>
    ) {
        let k = rowsPerWideRow(channels: channels)
        let wide = k * channels
        let scratch = FloatScratch(vectors: 6, length: wide)
        defer { scratch.free() }
        let (wideMean, chunkDy, chunkDyCentred, a, b, d) = (scratch[0], scratch[1], scratch[2], scratch[3], scratch[4], scratch[5])
        for j in 0..<wide { wideMean[j] = mean[j % channels] }
        // Sums of dy and dy * (x - mean), in chunks as in `statistics`.
        var sumDy = [Double](repeating: 0, count: channels)
        var sumDyCentred = [Double](repeating: 0, count: channels)
        func accumulate(_ start: Int, _ end: Int, width: Int) {
            for j in 0..<width { chunkDy[j] = 0; chunkDyCentred[j] = 0 }
            for row in start..<end {
                let (values, gradients) = (x + row * width, dy + row * width)
                for j in 0..<width {
                    chunkDy[j] += gradients[j]
                    chunkDyCentred[j] += gradients[j] * (values[j] - wideMean[j])
                }
            }
            for j in 0..<width {
                sumDy[j % channels] += Double(chunkDy[j])
                sumDyCentred[j % channels] += Double(chunkDyCentred[j])
            }
        }
        let wideRows = rows / k
        let wideChunk = max(1, chunkRows / k)
        var start = 0
        while start < wideRows {
            accumulate(start, min(start + wideChunk, wideRows), width: wide)
            start += wideChunk
        }
        if wideRows * k < rows { accumulate(wideRows * k, rows, width: channels) }
        // dx = a * dy + b * (x - mean) + d per column, with the constants below (repeated k times).
        let count = Double(rows)
        for c in 0..<channels {
            let inverseStd = 1 / (variance[c] + epsilon).squareRoot()
            let sumDyXHat = sumDyCentred[c] * Double(inverseStd)
            scaleGradient[c] = Float(sumDyXHat)
            shiftGradient[c] = Float(sumDy[c])
            a[c] = scale[c] * inverseStd
            b[c] = training ? Float(-Double(a[c]) * Double(inverseStd) * sumDyXHat / count) : 0
            d[c] = training ? Float(-Double(a[c]) * sumDy[c] / count) : 0
        }
        for j in channels..<wide { (a[j], b[j], d[j]) = (a[j % channels], b[j % channels], d[j % channels]) }
        for row in 0..<wideRows {
            let (values, gradients, destination) = (x + row * wide, dy + row * wide, dx + row * wide)
            for j in 0..<wide { destination[j] = a[j] * gradients[j] + b[j] * (values[j] - wideMean[j]) + d[j] }
        }
        for row in (wideRows * k)..<rows {
            let (values, gradients, destination) = (x + row * channels, dy + row * channels, dx + row * channels)
            for c in 0..<channels { destination[c] = a[c] * gradients[c] + b[c] * (values[c] - mean[c]) + d[c] }
        }
    }
}

/// A few zeroed Float vectors of one length in one allocation, for per-channel constants.
private struct FloatScratch {
    let base: UnsafeMutablePointer<Float>
    let length: Int

    init(vectors: Int, length: Int) {
        self.length = length
        base = .allocate(capacity: vectors * length)
        base.initialize(repeating: 0, count: vectors * length)
    }

    subscript(index: Int) -> UnsafeMutablePointer<Float> { base + index * length }

    func free() { base.deallocate() }
}
