import NeuralNetwork
import TensorCore

/// Stochastic gradient descent as PyTorch's torch.optim.SGD (dampening 0):
///   d = g + weightDecay * w;  buf = d on the first step, else momentum * buf + d;
///   d = d + momentum * buf (Nesterov) or buf;  w -= lr * d.
/// Weight decay applies to every parameter (docs/method.md section 5). After each step masked weights
/// are set to exactly 0 again, as the paper's code does.
public final class SGD {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    /// One buffer per parameter once momentum is in use; nil before the first step.
    public private(set) var momentumBuffers: [Tensor?]

    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs momentum > 0")
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        momentumBuffers = Array(repeating: nil, count: parameters.count)
    }

    /// Marks every gradient as empty before the next backward pass.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }

    /// Applies one update from the current gradients.
    public func step() {
        for (index, parameter) in parameters.enumerated() {
            let g = parameter.currentGradient().pointer
            if momentum != 0 && momentumBuffers[index] == nil {
                // PyTorch starts the buffer at the first step's d, not at 0.
                let buffer = Tensor(shape: parameter.value.shape)
                let w = parameter.value.pointer
                for i in 0..<buffer.count { buffer[i] = g[i] + weightDecay * w[i] }
                momentumBuffers[index] = buffer
                update(parameter, gradient: g, buffer: buffer.pointer, bufferIsFresh: true)
            } else {
                update(parameter, gradient: g, buffer: momentumBuffers[index]?.pointer, bufferIsFresh: false)
            }
        }
    }

    /// w -= lr * d, then w *= mask, in one pass over the parameter (masks fused in so that a
    /// sparse layer costs no extra pass over memory).
    private func update(_ parameter: Parameter, gradient g: UnsafeMutablePointer<Float>, buffer b: UnsafeMutablePointer<Float>?, bufferIsFresh: Bool) {
        let w = parameter.value.pointer
        let m = parameter.mask?.pointer
        let count = parameter.value.count
        let lr = learningRate
        let decay = weightDecay
        let mu = momentum
        switch (b, m) {
        case (nil, nil):
            for i in 0..<count { w[i] -= lr * (g[i] + decay * w[i]) }
        case (nil, let m?):
            for i in 0..<count { w[i] = (w[i] - lr * (g[i] + decay * w[i])) * m[i] }
        // The common case of momentum without Nesterov after the first step, in loops without
        // branches so that they vectorise (the same operations in the same order as below).
        case (let b?, nil) where !bufferIsFresh && !nesterov:
            for i in 0..<count {
                b[i] = mu * b[i] + (g[i] + decay * w[i])
                w[i] -= lr * b[i]
            }
        case (let b?, let m?) where !bufferIsFresh && !nesterov:
            for i in 0..<count {
                b[i] = mu * b[i] + (g[i] + decay * w[i])
                w[i] = (w[i] - lr * b[i]) * m[i]
            }
        case (let b?, _):
            for i in 0..<count {
                let d = g[i] + decay * w[i]
                if !bufferIsFresh { b[i] = mu * b[i] + d }
                let step = nesterov ? d + mu * b[i] : b[i]
                w[i] = (w[i] - lr * step) * (m?[i] ?? 1)
            }
        }
    }

    /// Restores momentum buffers saved from `momentumBuffers` (nil entries: none yet).
    public func restoreMomentumBuffers(_ buffers: [Tensor?]) {
        precondition(buffers.count == parameters.count, "one buffer slot per parameter")
        momentumBuffers = buffers
    }
}
