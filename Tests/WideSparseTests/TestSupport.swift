import Foundation
import NeuralNetwork
import TensorCore

/// A tensor of uniform random values in [low, high).
func randomTensor(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    var random = RandomStream(seed: seed)
    let tensor = Tensor(shape: shape)
    for i in 0..<tensor.count { tensor[i] = random.nextUniform(low, high) }
    return tensor
}

/// Values bounded away from 0 (for ReLU, whose derivative jumps there).
func randomTensorAwayFromZero(_ shape: [Int], seed: UInt64) -> Tensor {
    var random = RandomStream(seed: seed)
    let tensor = Tensor(shape: shape)
    for i in 0..<tensor.count {
        let magnitude = random.nextUniform(0.2, 1)
        tensor[i] = random.nextIndex(below: 2) == 0 ? magnitude : -magnitude
    }
    return tensor
}

/// sum(output * weights) in Double: a scalar whose gradient with respect to the output is `weights`.
func weightedSum(_ output: Tensor, _ weights: Tensor) -> Double {
    var sum = 0.0
    for i in 0..<output.count { sum += Double(output[i]) * Double(weights[i]) }
    return sum
}

/// The largest disagreement between analytic and central finite-difference gradients of
/// f = sum(layer(x) * upstream), over the input and every parameter entry, relative to
/// max(1, |gradient|). Also returns the analytic parameter gradients for further checks.
struct GradientCheck {
    var worstInputError = 0.0
    var worstParameterError = 0.0
    /// The parameter where `worstParameterError` was found, to say where a failing check failed.
    var worstParameterName = ""
    var analyticParameterGradients: [[Float]] = []
}

func checkGradients(_ layer: Layer, input: Tensor, mode: Mode = .training, step: Float = 1e-2, seed: UInt64 = 99) -> GradientCheck {
    let output = layer.forward(input, mode: mode)
    let upstream = randomTensor(output.shape, seed: seed)
    for parameter in layer.parameters { parameter.zeroGradient() }
    let inputGradient = layer.backward(upstream).clone()
    var result = GradientCheck()
    result.analyticParameterGradients = layer.parameters.map { $0.currentGradient().scalars }

    func numeric(_ tensor: Tensor, _ index: Int) -> Double {
        let saved = tensor[index]
        tensor[index] = saved + step
        let plus = weightedSum(layer.forward(input, mode: mode), upstream)
        tensor[index] = saved - step
        let minus = weightedSum(layer.forward(input, mode: mode), upstream)
        tensor[index] = saved
        return (plus - minus) / (2 * Double(step))
    }
    for i in 0..<input.count {
        let analytic = Double(inputGradient[i])
        let error = abs(numeric(input, i) - analytic) / max(1, abs(analytic))
        result.worstInputError = max(result.worstInputError, error)
    }
    for (parameter, gradient) in zip(layer.parameters, result.analyticParameterGradients) {
        for i in 0..<parameter.value.count {
            if let mask = parameter.mask, mask[i] == 0 { continue }  // removed: not a free variable
            let analytic = Double(gradient[i])
            let error = abs(numeric(parameter.value, i) - analytic) / max(1, abs(analytic))
            if error > result.worstParameterError { (result.worstParameterError, result.worstParameterName) = (error, parameter.name) }
        }
    }
    return result
}

/// Whether this CPU reports AVX-512 (Linux's /proc/cpuinfo): oneDNN's Winograd kernels need it,
/// and the golden records were written on such a CPU (a release build's sums follow its vectors).
let cpuHasAVX512 = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").contains(" avx512f")
