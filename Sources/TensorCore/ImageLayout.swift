/// How a batch of images is laid out in memory.
///
/// `channelsFirst` is [N, C, H, W] (NCHW, PyTorch's default and what the data readers produce);
/// `channelsLast` is [N, H, W, C] (NHWC). Convolution networks run channels-last inside: oneDNN's
/// convolutions read and write it directly at 1.0-1.7x the speed of its own blocked layouts at the
/// paper's widths (which pad channels to multiples of 16), so no layout conversion sits between
/// layers, and batch norm, ReLU and pooling become loops over contiguous channel vectors.
public enum ImageLayout: String, Codable, Sendable, CaseIterable {
    case channelsFirst, channelsLast

    /// The tensor shape of `batch` images of `channels` x `height` x `width` in this layout.
    public func shape(batch: Int, channels: Int, height: Int, width: Int) -> [Int] {
        switch self {
        case .channelsFirst: return [batch, channels, height, width]
        case .channelsLast: return [batch, height, width, channels]
        }
    }

    /// (batch, channels, height, width) of a 4-D tensor shape in this layout.
    public func dimensions(of shape: [Int]) -> (batch: Int, channels: Int, height: Int, width: Int) {
        precondition(shape.count == 4, "an image batch needs 4 dimensions, got \(shape)")
        switch self {
        case .channelsFirst: return (shape[0], shape[1], shape[2], shape[3])
        case .channelsLast: return (shape[0], shape[3], shape[1], shape[2])
        }
    }

    /// The channel count of a batch shape in this layout ([N, C] for 2-D shapes in either).
    public func channels(of shape: [Int]) -> Int {
        shape.count == 4 ? dimensions(of: shape).channels : shape[1]
    }
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
