import TensorCore

/// Max pooling with square windows and equal padding (padding never wins: PyTorch pads with
/// -infinity). Shapes: [N, C, H, W] -> [N, C, (H + 2p - k)/s + 1, (W + 2p - k)/s + 1], or the
/// same channels-last with `layout` `.channelsLast`.
public final class MaxPool2d: Layer {
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let layout: ImageLayout
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// For each output element, the flat input index of its maximum (kept between steps: a
    /// training step allocates nothing after the first).
    private var winners: [Int32] = []
    private var inputShape: [Int] = []
    /// Scratch: where each position of one window starts.
    private let windowStarts: UnsafeMutablePointer<Int>

    public init(kernel: Int, stride: Int, padding: Int = 0, layout: ImageLayout = .channelsFirst) {
        precondition(kernel > 0 && stride > 0 && padding >= 0 && 2 * padding <= kernel, "invalid MaxPool2d sizes")
        windowStarts = .allocate(capacity: kernel * kernel)
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.layout = layout
    }

    deinit { windowStarts.deallocate() }

    public var parameters: [Parameter] { [] }

    /// The windows are walked with the layout's strides over runs of channels that lie next to
    /// each other in memory (all of them channels-last, 16 per block in the blocked layout), so the
    /// inner loop compares contiguous values.
    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let (n, c, h, w) = layout.dimensions(of: input.shape)
        let outH = (h + 2 * padding - kernel) / stride + 1
        let outW = (w + 2 * padding - kernel) / stride + 1
        precondition(input.count <= Int(Int32.max), "MaxPool2d indexes its input with 32 bits")
        inputShape = input.shape
        output.reshape(to: layout.shape(batch: n, channels: c, height: outH, width: outW))
        if winners.count != output.count { winners = [Int32](repeating: 0, count: output.count) }
        let from = ImageStrides(layout: layout, batch: n, channels: c, height: h, width: w)
        let to = ImageStrides(layout: layout, batch: n, channels: c, height: outH, width: outW)
        let (x, y) = (input.pointer, output.pointer)
        winners.withUnsafeMutableBufferPointer { winners in
            let winner = winners.baseAddress!
            for image in 0..<n {
                for oy in 0..<outH {
                    let rows = max(0, oy * stride - padding)..<min(h, oy * stride - padding + kernel)
                    for ox in 0..<outW {
                        let columns = max(0, ox * stride - padding)..<min(w, ox * stride - padding + kernel)
                        for first in Swift.stride(from: 0, to: c, by: from.channelRun) {
                            let length = min(from.channelRun, c - first)
                            let out = image * to.image + oy * to.row + ox * to.column + to.channelOffset(first)
                            let inBase = image * from.image + from.channelOffset(first)
                            // The window's positions in row-major order (where each run of channels starts).
                            var count = 0
                            for row in rows {
                                for column in columns {
                                    windowStarts[count] = inBase + row * from.row + column * from.column
                                    count += 1
                                }
                            }
                            // A later value replaces only a strictly larger one, so ties keep the first
                            // maximum in window order (as PyTorch).
                            for k in 0..<length {
                                var bestStart = windowStarts[0]
                                var best = x[bestStart + k]
                                for position in 1..<count {
                                    let value = x[windowStarts[position] + k]
                                    if value > best { (best, bestStart) = (value, windowStarts[position]) }
                                }
                                y[out + k] = best
                                winner[out + k] = Int32(truncatingIfNeeded: bestStart + k)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The gradient goes to each window's maximum (the first one in row-major window order on
    /// ties, as PyTorch).
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard needsInputGradient else { return nil }
        inputGradient.reshape(to: inputShape)
        inputGradient.fill(0)
        let dx = inputGradient.pointer
        let dy = outputGradient.pointer
        winners.withUnsafeBufferPointer { winner in
            for out in 0..<winner.count { dx[Int(winner[out])] += dy[out] }
        }
        return inputGradient
    }
}

/// Where element (image, channel, row, column) of an image batch lies in a layout: image * `image`
/// + row * `row` + column * `column` + `channelOffset(channel)`. Channels come in runs of
/// `channelRun` neighbours in memory (all of them channels-last, a block of 16 in the blocked
/// layout, one otherwise), each run starting at a multiple of `channelRun`.
struct ImageStrides {
    let image: Int
    let row: Int
    let column: Int
    private let layout: ImageLayout
    private let channelStride: Int

    var channelRun: Int {
        switch layout {
        case .channelsLast: return max(1, channelCount)
        case .blocked16: return ImageLayout.block
        case .channelsFirst, .batchLast: return 1
        }
    }
    private let channelCount: Int

    init(layout: ImageLayout, batch: Int, channels: Int, height: Int, width: Int) {
        self.layout = layout
        channelCount = channels
        switch layout {
        case .channelsFirst: (image, row, column, channelStride) = (channels * height * width, width, 1, height * width)
        case .channelsLast: (image, row, column, channelStride) = (height * width * channels, width * channels, channels, 1)
        case .blocked16:
            let block = ImageLayout.block
            (image, row, column, channelStride) = (channels * height * width, width * block, block, height * width * block)
        case .batchLast: (image, row, column, channelStride) = (1, width * batch, batch, height * width * batch)
        }
    }

    /// In the blocked layout channel c is in block c / 16 (`channelStride` apart) at c % 16.
    @inline(__always)
    func channelOffset(_ channel: Int) -> Int {
        layout == .blocked16 ? channel / ImageLayout.block * channelStride + channel % ImageLayout.block : channel * channelStride
    }
}

/// The mean over all spatial positions: [N, C, H, W] (or [N, H, W, C] with `layout`
/// `.channelsLast`) -> [N, C].
public final class GlobalAveragePool: Layer {
    public let layout: ImageLayout
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init(layout: ImageLayout = .channelsFirst) { self.layout = layout }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        inputShape = input.shape
        let (n, c, h, w) = layout.dimensions(of: input.shape)
        let index = FlatIndex(layout: layout, batch: n, channels: c, height: h, width: w)
        output.reshape(to: [n, c])
        output.fill(0)
        let (x, y) = (input.pointer, output.pointer)
        for image in 0..<n {
            for row in 0..<h {
                for column in 0..<w {
                    for channel in 0..<c { y[image * c + channel] += x[index(image, channel, row, column)] }
                }
            }
        }
        let size = Float(h * w)
        for i in 0..<output.count { y[i] /= size }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard needsInputGradient else { return nil }
        inputGradient.reshape(to: inputShape)
        let (n, c, h, w) = layout.dimensions(of: inputShape)
        let index = FlatIndex(layout: layout, batch: n, channels: c, height: h, width: w)
        let (dy, dx) = (outputGradient.pointer, inputGradient.pointer)
        let share = 1 / Float(h * w)
        for image in 0..<n {
            for row in 0..<h {
                for column in 0..<w {
                    for channel in 0..<c { dx[index(image, channel, row, column)] = dy[image * c + channel] * share }
                }
            }
        }
        return inputGradient
    }
}

/// The flat index of element (image, channel, row, column) of an image batch in a layout.
struct FlatIndex {
    let layout: ImageLayout
    let batch: Int
    let channels: Int
    let height: Int
    let width: Int

    func callAsFunction(_ image: Int, _ channel: Int, _ row: Int, _ column: Int) -> Int {
        layout.index(image, channel, row, column, batch: batch, channels: channels, height: height, width: width)
    }
}
