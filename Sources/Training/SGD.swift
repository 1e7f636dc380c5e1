import NeuralNetwork
import TensorCore

/// Stochastic gradient descent as PyTorch's torch.optim.SGD (dampening 0):
///   d = g + weightDecay * w;  buf = d on the first step, else momentum * buf + d;
///   d = d + momentum * buf (Nesterov) or buf;  w -= lr * d.
/// Weight decay applies to every parameter (SPEC.md section 5). After each step masked weights
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
            let w = parameter.value.pointer
            let g = parameter.currentGradient().pointer
            let count = parameter.value.count
            let lr = learningRate
            let decay = weightDecay
            if momentum == 0 {
                for i in 0..<count { w[i] -= lr * (g[i] + decay * w[i]) }
            } else {
                let mu = momentum
                if momentumBuffers[index] == nil {
                    let buffer = Tensor(shape: parameter.value.shape)
                    let b = buffer.pointer
                    for i in 0..<count { b[i] = g[i] + decay * w[i] }
                    momentumBuffers[index] = buffer
                    for i in 0..<count {
                        let d = b[i]
                        w[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
                    }
                } else {
                    let b = momentumBuffers[index]!.pointer
                    for i in 0..<count {
                        let d = g[i] + decay * w[i]
                        b[i] = mu * b[i] + d
                        w[i] -= lr * (nesterov ? d + mu * b[i] : b[i])
                    }
                }
            }
            parameter.applyMaskToValue()
        }
    }

    /// Restores momentum buffers saved from `momentumBuffers` (nil entries: none yet).
    public func restoreMomentumBuffers(_ buffers: [Tensor?]) {
        precondition(buffers.count == parameters.count, "one buffer slot per parameter")
        momentumBuffers = buffers
    }
}
