import TensorCore

/// A 2-D convolution with square kernels, equal padding and an optional bias, computed by
/// oneDNN (primitives cached per input geometry, so training and evaluation batch sizes each
/// build theirs once).
///
/// Shapes: input [N, C, H, W], weight [O, C, k, k] (optionally masked), bias [O],
/// output [N, O, (H + 2p - k)/s + 1, (W + 2p - k)/s + 1].
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter?

    private var kernels: [ConvolutionGeometry: ConvolutionKernels] = [:]
    private var input: Tensor?
    private var geometry: ConvolutionGeometry?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// Holds dW when the gradient must be accumulated rather than overwritten.
    private let weightGradientScratch = Tensor(shape: [0])

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = false, name: String = "conv") {
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0, "invalid Conv2d sizes")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        weight = Parameter(name: "\(name).weight", role: .weight, shape: [outChannels, inChannels, kernel, kernel])
        self.bias = bias ? Parameter(name: "\(name).bias", role: .bias, shape: [outChannels]) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// The weight's description for weight counting and masks.
    public var weightShape: WeightShape {
        .convolution(weight.name, out: outChannels, in: inChannels, kernel: kernel)
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        precondition(input.shape.count == 4 && input.shape[1] == inChannels, "Conv2d expects [N, \(inChannels), H, W], got \(input.shape)")
        let geometry = ConvolutionGeometry(
            batch: input.shape[0], inChannels: inChannels, outChannels: outChannels, inputHeight: input.shape[2],
            inputWidth: input.shape[3], kernel: kernel, stride: stride, padding: padding)
        self.input = input
        self.geometry = geometry
        output.reshape(to: geometry.outputShape)
        kernelsFor(geometry).forward(input: input.pointer, weights: weight.value.pointer, output: output.pointer)
        if let bias {
            let plane = geometry.outputHeight * geometry.outputWidth
            let y = output.pointer
            for n in 0..<geometry.batch {
                for o in 0..<outChannels {
                    let start = (n * outChannels + o) * plane
                    let b = bias.value[o]
                    for i in start..<(start + plane) { y[i] += b }
                }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let input, let geometry else { preconditionFailure("Conv2d.backward before forward") }
        precondition(outputGradient.shape == geometry.outputShape, "gradient shape \(outputGradient.shape)")
        let kernels = kernelsFor(geometry)
        if needsInputGradient { inputGradient.reshape(to: input.shape) }
        // dW overwrites the gradient when it is stale, else goes to scratch and is added.
        let accumulate = !weight.gradientIsStale
        if accumulate { weightGradientScratch.reshape(to: weight.value.shape) }
        kernels.backward(
            input: input.pointer, inputIsForwardInput: true, outputGradient: outputGradient.pointer,
            weights: weight.value.pointer, weightGradient: accumulate ? weightGradientScratch.pointer : weight.gradient.pointer,
            inputGradient: needsInputGradient ? inputGradient.pointer : nil)
        if accumulate {
            let g = weight.gradient.pointer
            let extra = weightGradientScratch.pointer
            for i in 0..<weight.gradient.count { g[i] += extra[i] }
        }
        weight.gradientIsStale = false
        weight.maskGradient()
        if let bias {
            let db = bias.currentGradient().pointer
            let plane = geometry.outputHeight * geometry.outputWidth
            let dy = outputGradient.pointer
            for n in 0..<geometry.batch {
                for o in 0..<outChannels {
                    let start = (n * outChannels + o) * plane
                    var sum: Float = 0
                    for i in start..<(start + plane) { sum += dy[i] }
                    db[o] += sum
                }
            }
        }
        return needsInputGradient ? inputGradient : nil
    }

    private func kernelsFor(_ geometry: ConvolutionGeometry) -> ConvolutionKernels {
        if let cached = kernels[geometry] { return cached }
        let created = ConvolutionKernels(geometry)
        kernels[geometry] = created
        return created
    }
}
