/// How a batch of images is laid out in memory.
///
/// - `channelsFirst`: [N, C, H, W] (NCHW, PyTorch's default and what the data readers produce).
/// - `channelsLast`: [N, H, W, C] (NHWC).
/// - `blocked16`: [N, C/16, H, W, 16] (oneDNN's nChw16c), for channel counts divisible by 16.
/// - `batchLast`: [C, H, W, N], the batch innermost: the layout of the kept-taps convolutions
///   (`SparseConvolution`), where every tap multiplies N contiguous values.
///
/// Convolution networks run channels-last or blocked inside, never converting between layers.
/// Measured here (BENCHMARKS.md): oneDNN's direct convolutions run NHWC as fast as its blocked
/// layout, and 1.2-1.7x faster at the paper's odd widths (18, 36, 72 channels), which the
/// blocked layout would pad to multiples of 16; but only the blocked layout has oneDNN's
/// Winograd kernels, 2.3-2.8x faster than direct for 3x3 stride-1 convolutions. So ResNets use
/// `blocked16` when every channel count divides by 16 and `channelsLast` otherwise.
public enum ImageLayout: String, Codable, Sendable, CaseIterable {
    case channelsFirst, channelsLast, blocked16, batchLast

    /// Channels per block of `blocked16`.
    public static let block = 16

    /// Whether a batch of `channels`-channel images can be held in this layout.
    public func holds(channels: Int) -> Bool { self != .blocked16 || channels % ImageLayout.block == 0 }

    /// The tensor shape of `batch` images of `channels` x `height` x `width` in this layout.
    public func shape(batch: Int, channels: Int, height: Int, width: Int) -> [Int] {
        switch self {
        case .channelsFirst: return [batch, channels, height, width]
        case .channelsLast: return [batch, height, width, channels]
        case .blocked16:
            precondition(holds(channels: channels), "the blocked layout needs channels divisible by 16, got \(channels)")
            return [batch, channels / ImageLayout.block, height, width, ImageLayout.block]
        case .batchLast: return [channels, height, width, batch]
        }
    }

    /// (batch, channels, height, width) of an image batch's tensor shape in this layout.
    public func dimensions(of shape: [Int]) -> (batch: Int, channels: Int, height: Int, width: Int) {
        switch self {
        case .channelsFirst:
            precondition(shape.count == 4, "an NCHW image batch needs 4 dimensions, got \(shape)")
            return (shape[0], shape[1], shape[2], shape[3])
        case .channelsLast:
            precondition(shape.count == 4, "an NHWC image batch needs 4 dimensions, got \(shape)")
            return (shape[0], shape[3], shape[1], shape[2])
        case .blocked16:
            precondition(shape.count == 5 && shape[4] == ImageLayout.block, "a blocked image batch is [N, C/16, H, W, 16], got \(shape)")
            return (shape[0], shape[1] * ImageLayout.block, shape[2], shape[3])
        case .batchLast:
            precondition(shape.count == 4, "a CHWN image batch needs 4 dimensions, got \(shape)")
            return (shape[3], shape[0], shape[1], shape[2])
        }
    }

    /// Whether `shape` is an image batch (rather than [N, C]) in this layout.
    public func isImageBatch(_ shape: [Int]) -> Bool { shape.count == (self == .blocked16 ? 5 : 4) }

    /// The channel count of a batch shape in this layout ([N, C] for 2-D shapes in any).
    public func channels(of shape: [Int]) -> Int {
        isImageBatch(shape) ? dimensions(of: shape).channels : shape[self == .batchLast ? 0 : 1]
    }

    /// The flat index of element (image, channel, row, column) of a batch of `batch` images in this layout.
    @inlinable
    public func index(_ image: Int, _ channel: Int, _ row: Int, _ column: Int, batch: Int, channels: Int, height: Int, width: Int) -> Int {
        switch self {
        case .channelsFirst: return ((image * channels + channel) * height + row) * width + column
        case .channelsLast: return ((image * height + row) * width + column) * channels + channel
        case .blocked16:
            let block = ImageLayout.block
            return (((image * (channels / block) + channel / block) * height + row) * width + column) * block + channel % block
        case .batchLast: return ((channel * height + row) * width + column) * batch + image
        }
    }
}

/// `input` (a batch in layout `from`) in layout `to`, into `output` (reshaped as needed).
public func convertLayout(_ input: Tensor, from: ImageLayout, to: ImageLayout, into output: Tensor) {
    let (n, c, h, w) = from.dimensions(of: input.shape)
    output.reshape(to: to.shape(batch: n, channels: c, height: h, width: w))
    let (x, y) = (input.pointer, output.pointer)
    for image in 0..<n { for channel in 0..<c { for row in 0..<h { for column in 0..<w {
        y[to.index(image, channel, row, column, batch: n, channels: c, height: h, width: w)] =
            x[from.index(image, channel, row, column, batch: n, channels: c, height: h, width: w)]
    } } } }
}

/// [N, C, H, W] -> [N, H, W, C] into `output` (reshaped as needed).
public func convertToChannelsLast(_ input: Tensor, into output: Tensor) {
    let (n, c, h, w) = ImageLayout.channelsFirst.dimensions(of: input.shape)
    output.reshape(to: [n, h, w, c])
    transposeImages(input.pointer, output.pointer, images: n, rows: c, columns: h * w)
}

/// [N, H, W, C] -> [N, C, H, W] into `output` (reshaped as needed).
public func convertToChannelsFirst(_ input: Tensor, into output: Tensor) {
    let (n, c, h, w) = ImageLayout.channelsLast.dimensions(of: input.shape)
    output.reshape(to: [n, c, h, w])
    transposeImages(input.pointer, output.pointer, images: n, rows: h * w, columns: c)
}

/// Transposes each image's [rows, columns] matrix: channels x positions <-> positions x channels.
private func transposeImages(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, images: Int, rows: Int, columns: Int) {
    let size = rows * columns
    for image in 0..<images {
        let (source, destination) = (x + image * size, y + image * size)
        for row in 0..<rows {
            for column in 0..<columns { destination[column * rows + row] = source[row * columns + column] }
        }
    }
}
