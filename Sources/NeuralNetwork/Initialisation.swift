import Choices
import Foundation
import TensorCore

/// Initialises a fully connected layer, mask-aware (docs/method.md section 3).
///
/// Standard: s = 1/sqrt(fan_in * connectivity); weight and bias uniform in [-s, s] or normal with
/// standard deviation s. NTK: weight normal with variance 1/connectivity, or uniform in
/// [-1/sqrt(connectivity), 1/sqrt(connectivity)] (the paper's code); the 1/sqrt(fan_in) prefactor
/// lives in `Linear.outputScale`. Every entry draws a number, masked or not, so the values at
/// kept positions do not depend on which positions were removed; removed ones are then zeroed.
public func initialise(
    _ layer: Linear, parameterisation: Parameterisation, distribution: InitDistribution,
    random: inout RandomStream
) {
    initialise(
        weight: layer.weight, bias: layer.bias, fanIn: layer.inFeatures, parameterisation: parameterisation,
        distribution: distribution, random: &random)
}

/// Initialises a convolution like PyTorch's Conv2d (standard parameterisation), mask-aware:
/// fan-in = in_channels * k * k.
public func initialise(_ layer: Conv2d, distribution: InitDistribution = .uniform, random: inout RandomStream) {
    initialise(
        weight: layer.weight, bias: layer.bias, fanIn: layer.inChannels * layer.kernel * layer.kernel,
        parameterisation: .standard, distribution: distribution, random: &random)
}

/// The rule above for any weight (and optional bias) with the given dense fan-in.
public func initialise(
    weight: Parameter, bias: Parameter?, fanIn: Int, parameterisation: Parameterisation, distribution: InitDistribution,
    random: inout RandomStream
) {
    let connectivity = weight.connectivity
    let scale: Float
    switch parameterisation {
    case .standard: scale = Float(1 / (Double(fanIn) * connectivity).squareRoot())
    case .ntk: scale = Float(1 / connectivity.squareRoot())
    }
    fill(weight.value, distribution: distribution, scale: scale, random: &random)
    weight.applyMaskToValue()
    if let bias {
        fill(bias.value, distribution: distribution, scale: scale, random: &random)
    }
}

/// Uniform in [-scale, scale] or normal with standard deviation `scale`.
public func fill(_ tensor: Tensor, distribution: InitDistribution, scale: Float, random: inout RandomStream) {
    let values = tensor.pointer
    for i in 0..<tensor.count {
        switch distribution {
        case .uniform: values[i] = random.nextUniform(-scale, scale)
        case .normal: values[i] = scale * random.nextNormal()
        }
    }
}
