import TensorCore

/// Max pooling with square windows and equal padding (padding never wins: PyTorch pads with
/// -infinity). Shapes: [N, C, H, W] -> [N, C, (H + 2p - k)/s + 1, (W + 2p - k)/s + 1].
public final class MaxPool2d: Layer {
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// For each output element, the flat input index of its maximum.
    private var winners: [Int] = []
    private var inputShape: [Int] = []

    public init(kernel: Int, stride: Int, padding: Int = 0) {
        precondition(kernel > 0 && stride > 0 && padding >= 0 && 2 * padding <= kernel, "invalid MaxPool2d sizes")
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let outH = (h + 2 * padding - kernel) / stride + 1
        let outW = (w + 2 * padding - kernel) / stride + 1
        inputShape = input.shape
        output.reshape(to: [n, c, outH, outW])
        winners = [Int](repeating: 0, count: output.count)
        let x = input.pointer
        let y = output.pointer
        for plane in 0..<(n * c) {
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
                            let index = (plane * h + iy) * w + ix
                            if bestIndex < 0 || x[index] > best {
                                best = x[index]
                                bestIndex = index
                            }
                        }
                    }
                    let out = (plane * outH + oy) * outW + ox
                    y[out] = best
                    winners[out] = bestIndex
                }
            }
        }
        return output
    }

    /// The gradient goes to each window's maximum (the first one on ties, as PyTorch).
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

/// The mean over all spatial positions: [N, C, H, W] -> [N, C].
public final class GlobalAveragePool: Layer {
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        inputShape = input.shape
        let planes = input.shape[0] * input.shape[1]
        let size = input.shape[2] * input.shape[3]
        output.reshape(to: [input.shape[0], input.shape[1]])
        let x = input.pointer
        for plane in 0..<planes {
            var sum: Float = 0
            for i in 0..<size { sum += x[plane * size + i] }
            output[plane] = sum / Float(size)
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard needsInputGradient else { return nil }
        inputGradient.reshape(to: inputShape)
        let size = inputShape[2] * inputShape[3]
        let dx = inputGradient.pointer
        for plane in 0..<(inputShape[0] * inputShape[1]) {
            let share = outputGradient[plane] / Float(size)
            for i in 0..<size { dx[plane * size + i] = share }
        }
        return inputGradient
    }
}
