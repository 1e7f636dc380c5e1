import Foundation
import TensorCore

/// Batch normalisation over the batch dimension of [N, features] (PyTorch's BatchNorm1d).
///
/// Training mode normalises with the batch mean and biased variance and updates the running
/// statistics with `momentum` (running variance from the unbiased batch variance, as PyTorch);
/// evaluation mode uses the running statistics. Scale starts at 1, shift at 0 (SPEC.md section 3).
public final class BatchNorm1d: Layer {
    public let name: String
    public let features: Int
    public let epsilon: Float
    public let momentum: Float
    public let scale: Parameter
    public let shift: Parameter
    /// [features]
    public let runningMean: Tensor
    /// [features]
    public let runningVariance: Tensor

    private let output = Tensor(shape: [0])
    private let normalised = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// 1/sqrt(var + eps) per feature, from the last forward pass.
    private var inverseStd: [Float]
    private var lastMode: Mode = .training

    public init(features: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, name: String = "bn") {
        self.name = name
        self.features = features
        self.epsilon = epsilon
        self.momentum = momentum
        scale = Parameter(name: "\(name).weight", role: .batchNormScale, shape: [features])
        shift = Parameter(name: "\(name).bias", role: .batchNormShift, shape: [features])
        scale.value.fill(1)
        runningMean = Tensor(shape: [features], repeating: 0)
        runningVariance = Tensor(shape: [features], repeating: 1)
        inverseStd = Array(repeating: 1, count: features)
    }

    public var parameters: [Parameter] { [scale, shift] }

    public var buffers: [(name: String, tensor: Tensor)] {
        [("\(name).running_mean", runningMean), ("\(name).running_var", runningVariance)]
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let batch = input.shape[0]
        precondition(input.count == batch * features, "BatchNorm1d expects [N, \(features)], got \(input.shape)")
        lastMode = mode
        output.reshape(to: input.shape)
        normalised.reshape(to: input.shape)
        let x = input.pointer
        let xHat = normalised.pointer
        let y = output.pointer
        let gamma = scale.value.pointer
        let beta = shift.value.pointer
        for j in 0..<features {
            let mean: Float
            let variance: Float
            if mode == .training {
                precondition(batch > 1, "BatchNorm1d in training mode needs more than 1 sample per batch")
                var sum = 0.0
                for i in 0..<batch { sum += Double(x[i * features + j]) }
                let batchMean = sum / Double(batch)
                var squares = 0.0
                for i in 0..<batch {
                    let d = Double(x[i * features + j]) - batchMean
                    squares += d * d
                }
                mean = Float(batchMean)
                variance = Float(squares / Double(batch))
                let unbiased = Float(squares / Double(batch - 1))
                runningMean[j] = (1 - momentum) * runningMean[j] + momentum * mean
                runningVariance[j] = (1 - momentum) * runningVariance[j] + momentum * unbiased
            } else {
                mean = runningMean[j]
                variance = runningVariance[j]
            }
            let invStd = 1 / (variance + epsilon).squareRoot()
            inverseStd[j] = invStd
            for i in 0..<batch {
                let k = i * features + j
                xHat[k] = (x[k] - mean) * invStd
                y[k] = gamma[j] * xHat[k] + beta[j]
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        let batch = outputGradient.shape[0]
        let dy = outputGradient.pointer
        let xHat = normalised.pointer
        let gamma = scale.value.pointer
        let dGamma = scale.currentGradient().pointer
        let dBeta = shift.currentGradient().pointer
        if needsInputGradient { inputGradient.reshape(to: outputGradient.shape) }
        let dx = inputGradient.pointer
        let n = Float(batch)
        for j in 0..<features {
            var sumDy: Float = 0
            var sumDyXHat: Float = 0
            for i in 0..<batch {
                let k = i * features + j
                sumDy += dy[k]
                sumDyXHat += dy[k] * xHat[k]
            }
            dGamma[j] += sumDyXHat
            dBeta[j] += sumDy
            guard needsInputGradient else { continue }
            let factor = gamma[j] * inverseStd[j]
            for i in 0..<batch {
                let k = i * features + j
                if lastMode == .training {
                    // dx = gamma/sigma * (dy - mean(dy) - xHat * mean(dy * xHat))
                    dx[k] = factor * (dy[k] - sumDy / n - xHat[k] * sumDyXHat / n)
                } else {
                    dx[k] = factor * dy[k]
                }
            }
        }
        return needsInputGradient ? inputGradient : nil
    }
}
