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

    /// The per-column mean and biased variance of x [rows, C]. Sums are taken around the first
    /// row's values, so a large mean does not cancel the variance away.
    public static func statistics(
        _ x: UnsafePointer<Float>, rows: Int, channels: Int, mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>
    ) {
        // Raw pointers rather than arrays in the inner loops: no bounds checks, so they vectorise.
        let scratch = FloatScratch(vectors: 3, length: channels)
        defer { scratch.free() }
        let (reference, chunkSum, chunkSquares) = (scratch[0], scratch[1], scratch[2])
        reference.update(from: x, count: channels)
        var sums = [Double](repeating: 0, count: channels)
        var squares = [Double](repeating: 0, count: channels)
        var start = 0
        while start < rows {
            let end = min(start + chunkRows, rows)
            for c in 0..<channels { chunkSum[c] = 0; chunkSquares[c] = 0 }
            for row in start..<end {
                let values = x + row * channels
                for c in 0..<channels {
                    let d = values[c] - reference[c]
                    chunkSum[c] += d
                    chunkSquares[c] += d * d
                }
            }
            for c in 0..<channels {
                sums[c] += Double(chunkSum[c])
                squares[c] += Double(chunkSquares[c])
            }
            start = end
        }
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
        // y = a * x + b with a = scale / sigma and b = shift - a * mean.
        let scratch = FloatScratch(vectors: 2, length: channels)
        defer { scratch.free() }
        let (a, b) = (scratch[0], scratch[1])
        for c in 0..<channels {
            a[c] = scale[c] / (variance[c] + epsilon).squareRoot()
            b[c] = shift[c] - a[c] * mean[c]
        }
        for row in 0..<rows {
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
        let scratch = FloatScratch(vectors: 6, length: channels)
        defer { scratch.free() }
        let (inverseStd, chunkDy, chunkDyCentred, a, b, d) = (scratch[0], scratch[1], scratch[2], scratch[3], scratch[4], scratch[5])
        for c in 0..<channels { inverseStd[c] = 1 / (variance[c] + epsilon).squareRoot() }
        // Sums of dy and dy * (x - mean), in chunks as in `statistics`.
        var sumDy = [Double](repeating: 0, count: channels)
        var sumDyCentred = [Double](repeating: 0, count: channels)
        var start = 0
        while start < rows {
            let end = min(start + chunkRows, rows)
            for c in 0..<channels { chunkDy[c] = 0; chunkDyCentred[c] = 0 }
            for row in start..<end {
                let (values, gradients) = (x + row * channels, dy + row * channels)
                for c in 0..<channels {
                    chunkDy[c] += gradients[c]
                    chunkDyCentred[c] += gradients[c] * (values[c] - mean[c])
                }
            }
            for c in 0..<channels {
                sumDy[c] += Double(chunkDy[c])
                sumDyCentred[c] += Double(chunkDyCentred[c])
            }
            start = end
        }
        // dx = a * dy + b * (x - mean) + d per column, with the constants below.
        let count = Double(rows)
        for c in 0..<channels {
            let sumDyXHat = sumDyCentred[c] * Double(inverseStd[c])
            scaleGradient[c] = Float(sumDyXHat)
            shiftGradient[c] = Float(sumDy[c])
            a[c] = scale[c] * inverseStd[c]
            b[c] = 0
            d[c] = 0
            if training {
                b[c] = Float(-Double(a[c]) * Double(inverseStd[c]) * sumDyXHat / count)
                d[c] = Float(-Double(a[c]) * sumDy[c] / count)
            }
        }
        for row in 0..<rows {
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
