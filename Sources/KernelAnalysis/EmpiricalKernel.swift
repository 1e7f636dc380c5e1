import TensorCore

/// The first layer u [n, d] of a sparse two-layer ReLU net (docs/method.md section 7): each entry is
/// kept with probability p (independently) and then drawn from N(0, 1/p); the rest are exactly 0.
public func sparseFirstLayer(width n: Int, dimension d: Int, connectivity p: Double, random: inout RandomStream) -> [Float] {
    precondition(p > 0 && p <= 1, "connectivity must be in (0, 1]")
    let scale = Float((1 / p).squareRoot())
    var u = [Float](repeating: 0, count: n * d)
    for i in 0..<(n * d) where p == 1 || random.nextDouble() < p { u[i] = scale * random.nextNormal() }
    return u
}

/// Theta(x_k, y_k) = (1/(n d)) sum_i relu(u_i . x_k) relu(u_i . y_k) for every pair, for the
/// first layer `u` [n, d]: two matrix products relu(u X^T), relu(u Y^T) [n, pairs] (oneDNN, in
/// chunks of pairs to bound memory), then column dot products summed in Double.
public func networkKernel(_ pairs: InputPairs, firstLayer u: [Float], width n: Int) -> [Double] {
    let d = pairs.dimension
    let chunk = max(1, min(pairs.count, (1 << 24) / max(1, n)))  // at most 64 MiB per activation matrix
    var kernel = [Double](repeating: 0, count: pairs.count)
    var ax = [Float](repeating: 0, count: n * chunk)
    var ay = [Float](repeating: 0, count: n * chunk)
    var start = 0
    while start < pairs.count {
        let columns = min(chunk, pairs.count - start)
        u.withUnsafeBufferPointer { u in
            pairs.x.withUnsafeBufferPointer { x in
                ax.withUnsafeMutableBufferPointer { ax in
                    matrixMultiply(u.baseAddress!, x.baseAddress! + start * d, transposeB: .yes, into: ax.baseAddress!, rows: n, columns: columns, inner: d)
                }
            }
            pairs.y.withUnsafeBufferPointer { y in
                ay.withUnsafeMutableBufferPointer { ay in
                    matrixMultiply(u.baseAddress!, y.baseAddress! + start * d, transposeB: .yes, into: ay.baseAddress!, rows: n, columns: columns, inner: d)
                }
            }
        }
        ax.withUnsafeBufferPointer { ax in
            ay.withUnsafeBufferPointer { ay in
                var sums = [Double](repeating: 0, count: columns)
                for unit in 0..<n {
                    let (a, b) = (ax.baseAddress! + unit * columns, ay.baseAddress! + unit * columns)
                    for k in 0..<columns { sums[k] += Double(max(a[k], 0) * max(b[k], 0)) }
                }
                for k in 0..<columns { kernel[start + k] = sums[k] / Double(n * d) }
            }
        }
        start += columns
    }
    return kernel
}

/// The slow, obvious twin of `networkKernel`: every pre-activation as its own Double dot product.
public func referenceNetworkKernel(_ pairs: InputPairs, firstLayer u: [Float], width n: Int) -> [Double] {
    let d = pairs.dimension
    return (0..<pairs.count).map { k in
        var sum = 0.0
        for unit in 0..<n {
            var (ux, uy) = (0.0, 0.0)
            for i in 0..<d {
                ux += Double(u[unit * d + i]) * Double(pairs.x[k * d + i])
                uy += Double(u[unit * d + i]) * Double(pairs.y[k * d + i])
            }
            sum += max(ux, 0) * max(uy, 0)
        }
        return sum / Double(n * d)
    }
}
