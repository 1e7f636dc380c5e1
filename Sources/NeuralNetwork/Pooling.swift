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
    /// For each output element, the flat input index of its maximum.
    private var winners: [Int] = []
    private var inputShape: [Int] = []

    public init(kernel: Int, stride: Int, padding: Int = 0, layout: ImageLayout = .channelsFirst) {
        precondition(kernel > 0 && stride > 0 && padding >= 0 && 2 * padding <= kernel, "invalid MaxPool2d sizes")
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.layout = layout
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let (n, c, h, w) = layout.dimensions(of: input.shape)
        let outH = (h + 2 * padding - kernel) / stride + 1
        let outW = (w + 2 * padding - kernel) / stride + 1
        inputShape = input.shape
        output.reshape(to: layout.shape(batch: n, channels: c, height: outH, width: outW))
        winners = [Int](repeating: 0, count: output.count)
        let inputIndex = FlatIndex(layout: layout, batch: n, channels: c, height: h, width: w)
        let outputIndex = FlatIndex(layout: layout, batch: n, channels: c, height: outH, width: outW)
        let x = input.pointer
        let y = output.pointer
        for image in 0..<n {
            for channel in 0..<c {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var best = -Float.infinity
                        var bestIndex = -1
                        for ky in 0..<kernel {
                            let iy = oy * stride - padding + ky
                            guard iy >= 0 && iy < h else { continue }
                            for kx in 0..<kernel {
                                let ix = ox * stride - padding + kx
                                guard ix >= 0 && ix < w else { continue }
                                let index = inputIndex(image, channel, iy, ix)
                                if bestIndex < 0 || x[index] > best {
                                    best = x[index]
                                    bestIndex = index
                                }
                            }
                        }
                        let out = outputIndex(image, channel, oy, ox)
                        y[out] = best
                        winners[out] = bestIndex
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
        for (out, index) in winners.enumerated() { dx[index] += dy[out] }
        return inputGradient
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
