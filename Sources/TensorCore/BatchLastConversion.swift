/// Image batches to and from the batch-last layout [C, H, W, N] of the kept-taps convolutions,
/// from any layout that keeps each image contiguous (channels-first, channels-last, blocked).
///
/// In those layouts a batch is an [N, F] matrix (F = C * H * W, each image's F values in the
/// layout's own order); batch-last is [F, N] with the F rows in (channel, row, column) order. So
/// a conversion is one cache-blocked transpose of [N, F] and one copy of each N-float row into
/// its place: two passes of contiguous work instead of the index arithmetic of a gather per
/// element (`convertLayout`, the slow twin in the tests).
public enum BatchLastConversion {
    /// `input` (a batch in `layout`) -> `output` [C, H, W, N] (reshaped as needed). `scratch`
    /// holds the transposed rows between the two passes (reshaped as needed; reuse it).
    public static func toBatchLast(_ input: Tensor, from layout: ImageLayout, into output: Tensor, scratch: Tensor) {
        let (n, c, h, w) = layout.dimensions(of: input.shape)
        output.reshape(to: ImageLayout.batchLast.shape(batch: n, channels: c, height: h, width: w))
        let features = c * h * w
        if layout == .batchLast { output.copy(from: input); return }
        if layout == .channelsFirst {
            // The rows are already in batch-last's order.
            SparseProducts.transpose(input.pointer, into: output.pointer, rows: n, columns: features)
            return
        }
        scratch.reshape(to: [features, n])
        SparseProducts.transpose(input.pointer, into: scratch.pointer, rows: n, columns: features)
        let offset = offsetInImage(layout, channels: c, height: h, width: w)
        copyRows(count: features, length: n, from: scratch.pointer, into: output.pointer) { row in (source: offset(row), destination: row) }
    }

    /// `input` [C, H, W, N] -> `output`, the same batch in `layout` (reshaped as needed).
    public static func fromBatchLast(_ input: Tensor, to layout: ImageLayout, into output: Tensor, scratch: Tensor) {
        let (n, c, h, w) = ImageLayout.batchLast.dimensions(of: input.shape)
        output.reshape(to: layout.shape(batch: n, channels: c, height: h, width: w))
        let features = c * h * w
        if layout == .batchLast { output.copy(from: input); return }
        if layout == .channelsFirst {
            SparseProducts.transpose(input.pointer, into: output.pointer, rows: features, columns: n)
            return
        }
        scratch.reshape(to: [features, n])
        let offset = offsetInImage(layout, channels: c, height: h, width: w)
        copyRows(count: features, length: n, from: input.pointer, into: scratch.pointer) { row in (source: row, destination: offset(row)) }
        SparseProducts.transpose(scratch.pointer, into: output.pointer, rows: features, columns: n)
    }

    /// Where batch-last row `row` (channel, image row, column) sits within one image in `layout`.
    private static func offsetInImage(_ layout: ImageLayout, channels c: Int, height h: Int, width w: Int) -> (Int) -> Int {
        { row in
            let (channel, position) = row.quotientAndRemainder(dividingBy: h * w)
            return layout.index(0, channel, position / w, position % w, batch: 1, channels: c, height: h, width: w)
        }
    }

    /// Copies `count` rows of `length` floats: row `rows(i).source` of `x` to row `rows(i).destination` of `y`.
    private static func copyRows(
        count: Int, length: Int, from x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
        _ rows: (Int) -> (source: Int, destination: Int)
    ) {
        for i in 0..<count {
            let (source, destination) = rows(i)
            (y + destination * length).update(from: x + source * length, count: length)
        }
    }
}
