import Foundation
import TensorCore

/// Batch normalisation per channel over the batch and any spatial positions: PyTorch's
/// BatchNorm1d on [N, C] and BatchNorm2d on [N, C, H, W].
///
/// Training mode normalises with the batch mean and biased variance and updates the running
/// statistics with `momentum` (running variance from the unbiased batch variance, as PyTorch);
/// evaluation mode uses the running statistics. Scale starts at 1, shift at 0 (SPEC.md section 3).
/// Neither is masked nor counted as a weight.
public final class BatchNorm: Layer {
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
    /// 1/sqrt(var + eps) per channel, from the last forward pass.
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

    /// (batch, spatial positions per channel) of an input [N, C, ...].
    private func layout(_ shape: [Int]) -> (batch: Int, spatial: Int) {
        precondition(shape.count >= 2 && shape[1] == features, "BatchNorm expects [N, \(features), ...], got \(shape)")
        return (shape[0], shape.dropFirst(2).reduce(1, *))
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let (batch, spatial) = layout(input.shape)
        lastMode = mode
        output.reshape(to: input.shape)
        normalised.reshape(to: input.shape)
        let x = input.pointer
        let xHat = normalised.pointer
        let y = output.pointer
        let gamma = scale.value.pointer
        let beta = shift.value.pointer
        let perChannel = batch * spatial
        for c in 0..<features {
            let mean: Float
            let variance: Float
            if mode == .training {
                precondition(perChannel > 1, "BatchNorm in training mode needs more than 1 value per channel")
                var sum = 0.0
                for n in 0..<batch {
                    let start = (n * features + c) * spatial
                    for i in start..<(start + spatial) { sum += Double(x[i]) }
                }
                let batchMean = sum / Double(perChannel)
                var squares = 0.0
                for n in 0..<batch {
                    let start = (n * features + c) * spatial
                    for i in start..<(start + spatial) {
                        let d = Double(x[i]) - batchMean
                        squares += d * d
                    }
                }
                mean = Float(batchMean)
                variance = Float(squares / Double(perChannel))
                let unbiased = Float(squares / Double(perChannel - 1))
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean
                runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * unbiased
            } else {
                mean = runningMean[c]
                variance = runningVariance[c]
            }
            let invStd = 1 / (variance + epsilon).squareRoot()
            inverseStd[c] = invStd
            for n in 0..<batch {
                let start = (n * features + c) * spatial
                for i in start..<(start + spatial) {
                    xHat[i] = (x[i] - mean) * invStd
                    y[i] = gamma[c] * xHat[i] + beta[c]
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        let (batch, spatial) = layout(outputGradient.shape)
        let dy = outputGradient.pointer
        let xHat = normalised.pointer
        let gamma = scale.value.pointer
        let dGamma = scale.currentGradient().pointer
        let dBeta = shift.currentGradient().pointer
        if needsInputGradient { inputGradient.reshape(to: outputGradient.shape) }
        let dx = inputGradient.pointer
        let count = Float(batch * spatial)
        for c in 0..<features {
            var sumDy: Float = 0
            var sumDyXHat: Float = 0
            for n in 0..<batch {
                let start = (n * features + c) * spatial
                for i in start..<(start + spatial) {
                    sumDy += dy[i]
                    sumDyXHat += dy[i] * xHat[i]
                }
            }
            dGamma[c] += sumDyXHat
            dBeta[c] += sumDy
            guard needsInputGradient else { continue }
            let factor = gamma[c] * inverseStd[c]
            let meanDy = sumDy / count
            let meanDyXHat = sumDyXHat / count
            for n in 0..<batch {
                let start = (n * features + c) * spatial
                for i in start..<(start + spatial) {
                    // Training: dx = gamma/sigma * (dy - mean(dy) - xHat * mean(dy * xHat)); evaluation: the
                    // statistics are constants, so dx = gamma/sigma * dy.
                    dx[i] = lastMode == .training ? factor * (dy[i] - meanDy - xHat[i] * meanDyXHat) : factor * dy[i]
                }
            }
        }
        return needsInputGradient ? inputGradient : nil
    }
}

/// PyTorch's names for the two uses.
public typealias BatchNorm1d = BatchNorm
public typealias BatchNorm2d = BatchNorm
