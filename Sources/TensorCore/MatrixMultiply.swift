import CDNNL

/// Whether a matrix operand is used as stored or transposed.
public enum Transpose: Sendable {
    case no, yes
    var flag: CChar { self == .no ? CChar(UInt8(ascii: "N")) : CChar(UInt8(ascii: "T")) }
}

/// C = alpha * op(A) * op(B) + beta * C on row-major matrices, computed by oneDNN's sgemm.
///
/// - Parameters:
///   - a: [M, K], or [K, M] when `transposeA` is `.yes` (any shape whose leading dims multiply to
///     the row count, e.g. a batch of images [N, C, H, W] is [N, C*H*W]).
///   - b: [K, N], or [N, K] when `transposeB` is `.yes`.
///   - c: [M, N]; must already have M*N elements. With `beta` 0 its contents are ignored.
///   - rows/columns/inner: M, N, K.
public func matrixMultiply(
    _ a: UnsafePointer<Float>, transposeA: Transpose = .no,
    _ b: UnsafePointer<Float>, transposeB: Transpose = .no,
    into c: UnsafeMutablePointer<Float>,
    rows: Int, columns: Int, inner: Int,
    alpha: Float = 1, beta: Float = 0
) {
    if rows == 0 || columns == 0 { return }
    if inner == 0 {
        // oneDNN would leave C untouched; the mathematical answer is beta * C.
        for i in 0..<(rows * columns) { c[i] = beta == 0 ? 0 : beta * c[i] }
        return
    }
    let lda = transposeA == .no ? inner : rows
    let ldb = transposeB == .no ? columns : inner
    ComputeThreads.applyToCallingThread()
    let status = dnnl_sgemm(
        transposeA.flag, transposeB.flag, Int64(rows), Int64(columns), Int64(inner),
        alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(columns))
    precondition(status == dnnl_success, "oneDNN sgemm failed with status \(status.rawValue)")
}

/// The slow, obvious twin of `matrixMultiply`: three nested loops accumulating in Double.
/// Used by the tests as the reference.
public func referenceMatrixMultiply(
    _ a: UnsafePointer<Float>, transposeA: Transpose = .no,
    _ b: UnsafePointer<Float>, transposeB: Transpose = .no,
    into c: UnsafeMutablePointer<Float>,
    rows: Int, columns: Int, inner: Int,
    alpha: Float = 1, beta: Float = 0
) {
    for i in 0..<rows {
        for j in 0..<columns {
            var sum = 0.0
            for k in 0..<inner {
                let aik = transposeA == .no ? a[i * inner + k] : a[k * rows + i]
                let bkj = transposeB == .no ? b[k * columns + j] : b[j * inner + k]
                sum += Double(aik) * Double(bkj)
            }
            let previous = beta == 0 ? 0 : Double(beta) * Double(c[i * columns + j])
            c[i * columns + j] = Float(Double(alpha) * sum + previous)
        }
    }
}
