/// The fixed sparsity pattern of a weight matrix W [rows, columns] in compressed sparse rows:
/// the kept entries of row r are `columnIndex[rowStart[r] ..< rowStart[r + 1]]`, and a value
/// array of `count` entries holds them in that order. Built once from the mask.
public struct CSRPattern: Equatable, Sendable {
    public let rows: Int
    public let columns: Int
    /// [rows + 1]
    public let rowStart: [Int32]
    /// [count]
    public let columnIndex: [Int32]

    public var count: Int { columnIndex.count }

    /// The pattern of the entries of `mask` [rows, columns] that are 1.
    public init(mask: Tensor) {
        precondition(mask.shape.count == 2, "a CSR pattern needs a matrix mask, got \(mask.shape)")
        rows = mask.shape[0]
        columns = mask.shape[1]
        var starts: [Int32] = [0]
        var indices: [Int32] = []
        for row in 0..<rows {
            for column in 0..<columns where mask[row * columns + column] != 0 { indices.append(Int32(column)) }
            starts.append(Int32(indices.count))
        }
        rowStart = starts
        columnIndex = indices
    }

    /// The kept entries of the dense matrix `dense` [rows, columns], in pattern order.
    public func gather(_ dense: Tensor) -> [Float] {
        (0..<rows).flatMap { row in (Int(rowStart[row])..<Int(rowStart[row + 1])).map { dense[row * columns + Int(columnIndex[$0])] } }
    }

    /// The dense matrix [rows, columns] of `values` (0 elsewhere).
    public func scatter(_ values: UnsafePointer<Float>) -> Tensor {
        let dense = Tensor(shape: [rows, columns])
        for row in 0..<rows {
            for k in Int(rowStart[row])..<Int(rowStart[row + 1]) { dense[row * columns + Int(columnIndex[k])] = values[k] }
        }
        return dense
    }
}

/// Products with a CSR matrix W [rows, columns] whose operands are stored transposed, batch
/// innermost ([features, batch]), so every kept weight touches one contiguous run of `batch`
/// values: the inner loops are vector multiply-adds whatever the sparsity.
public enum SparseProducts {
    /// yT [rows, batch] = scale * W xT (+ bias [rows] on every column), with xT [columns, batch].
    public static func forward(
        _ pattern: CSRPattern, values: UnsafePointer<Float>, xT: UnsafePointer<Float>, yT: UnsafeMutablePointer<Float>, batch: Int,
        scale: Float, bias: UnsafePointer<Float>? = nil
    ) {
        pattern.rowStart.withUnsafeBufferPointer { starts in
            pattern.columnIndex.withUnsafeBufferPointer { columns in
                for row in 0..<pattern.rows {
                    let out = yT + row * batch
                    let start = bias?[row] ?? 0
                    for n in 0..<batch { out[n] = start }
                    for k in Int(starts[row])..<Int(starts[row + 1]) {
                        let (v, x) = (scale * values[k], xT + Int(columns[k]) * batch)
                        for n in 0..<batch { out[n] += v * x[n] }
                    }
                }
            }
        }
    }

    /// dW at the kept entries: gradient[k] (+)= scale * dyT[row] . xT[column], dyT [rows, batch].
    public static func weightGradient(
        _ pattern: CSRPattern, dyT: UnsafePointer<Float>, xT: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, batch: Int,
        scale: Float, accumulate: Bool
    ) {
        pattern.rowStart.withUnsafeBufferPointer { starts in
            pattern.columnIndex.withUnsafeBufferPointer { columns in
                for row in 0..<pattern.rows {
                    let dy = dyT + row * batch
                    for k in Int(starts[row])..<Int(starts[row + 1]) {
                        let sum = dot(dy, xT + Int(columns[k]) * batch, count: batch)
                        gradient[k] = (accumulate ? gradient[k] : 0) + scale * sum
                    }
                }
            }
        }
    }

    /// dxT [columns, batch] = scale * W^T dyT (overwritten).
    public static func inputGradient(
        _ pattern: CSRPattern, values: UnsafePointer<Float>, dyT: UnsafePointer<Float>, dxT: UnsafeMutablePointer<Float>, batch: Int,
        scale: Float
    ) {
        for i in 0..<(pattern.columns * batch) { dxT[i] = 0 }
        pattern.rowStart.withUnsafeBufferPointer { starts in
            pattern.columnIndex.withUnsafeBufferPointer { columns in
                for row in 0..<pattern.rows {
                    let dy = dyT + row * batch
                    for k in Int(starts[row])..<Int(starts[row + 1]) {
                        let (v, dx) = (scale * values[k], dxT + Int(columns[k]) * batch)
                        for n in 0..<batch { dx[n] += v * dy[n] }
                    }
                }
            }
        }
    }

    /// b [columns, rows] = a^T for a [rows, columns], in 8 x 8 tiles (both sides stay in cache
    /// and every row of a tile is one contiguous run), the edges element by element.
    public static func transpose(_ a: UnsafePointer<Float>, into b: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let tile = 8
        let (fullRows, fullColumns) = (rows - rows % tile, columns - columns % tile)
        for rowTile in stride(from: 0, to: fullRows, by: tile) {
            for columnTile in stride(from: 0, to: fullColumns, by: tile) {
                let source = a + rowTile * columns + columnTile
                let destination = b + columnTile * rows + rowTile
                for i in 0..<tile {
                    for j in 0..<tile { destination[j * rows + i] = source[i * columns + j] }
                }
            }
        }
        for row in 0..<rows {
            for column in (row < fullRows ? fullColumns : 0)..<columns { b[column * rows + row] = a[row * columns + column] }
        }
    }

    /// sums[r] += the sum of row r of a [rows, batch] (bias gradients from dyT).
    public static func addRowSums(_ a: UnsafePointer<Float>, rows: Int, batch: Int, into sums: UnsafeMutablePointer<Float>) {
        for row in 0..<rows {
            let values = a + row * batch
            var lanes = SIMD16<Float>()
            var n = 0
            while n + 16 <= batch {
                lanes += UnsafeRawPointer(values + n).loadUnaligned(as: SIMD16<Float>.self)
                n += 16
            }
            var sum = lanes.sum()
            while n < batch {
                sum += values[n]
                n += 1
            }
            sums[row] += sum
        }
    }

    /// x . y over `count` values, in 16 lanes (a Float reduction written as a loop would not
    /// vectorise: the compiler keeps the order of the additions).
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD16<Float>()
        var n = 0
        while n + 16 <= count {
            let a = UnsafeRawPointer(x + n).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(y + n).loadUnaligned(as: SIMD16<Float>.self)
            lanes = lanes.addingProduct(a, b)
            n += 16
        }
        var sum = lanes.sum()
        while n < count {
            sum += x[n] * y[n]
            n += 1
        }
        return sum
    }
}
