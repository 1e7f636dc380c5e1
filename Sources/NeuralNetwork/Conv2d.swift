import Choices
import TensorCore

/// A 2-D convolution with square kernels, equal padding and an optional bias, computed by
/// oneDNN (primitives cached per input geometry, so training and evaluation batch sizes each
/// build theirs once).
///
/// Shapes: input [N, C, H, W], weight [O, C, k, k] (optionally masked), bias [O],
/// output [N, O, (H + 2p - k)/s + 1, (W + 2p - k)/s + 1]; with `layout` `.channelsLast` the
/// input and output are [N, H, W, C] and [N, H', W', O], with `.blocked16` [N, C/16, H, W, 16]
/// and [N, O/16, H', W', 16] (the weight stays [O, C, k, k]). `inputLayout` may differ from
/// `layout` (a network's first convolution reads the readers' NCHW images directly).
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let layout: ImageLayout
    public let inputLayout: ImageLayout
    public let algorithm: ConvolutionAlgorithm
    public let weight: Parameter
    public let bias: Parameter?

    private var kernels: [ConvolutionGeometry: ConvolutionKernels] = [:]
    private var input: Tensor?
    private var geometry: ConvolutionGeometry?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// Holds dW when the gradient must be accumulated rather than overwritten.
    private let weightGradientScratch = Tensor(shape: [0])

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = false,
                layout: ImageLayout = .channelsFirst, inputLayout: ImageLayout? = nil, algorithm: ConvolutionAlgorithm = .direct,
                name: String = "conv") {
        precondition(inChannels > 0 && outChannels > 0 && kernel > 0 && stride > 0 && padding >= 0, "invalid Conv2d sizes")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.layout = layout
        self.inputLayout = inputLayout ?? layout
        self.algorithm = algorithm
        precondition(layout.holds(channels: outChannels) && self.inputLayout.holds(channels: inChannels),
                     "\(name): \(inChannels) -> \(outChannels) channels do not fit the \(self.inputLayout) -> \(layout) layouts")
        weight = Parameter(name: "\(name).weight", role: .weight, shape: [outChannels, inChannels, kernel, kernel])
        self.bias = bias ? Parameter(name: "\(name).bias", role: .bias, shape: [outChannels]) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// The weight's description for weight counting and masks.
    public var weightShape: WeightShape {
        .convolution(weight.name, out: outChannels, in: inChannels, kernel: kernel)
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        precondition(inputLayout.isImageBatch(input.shape) && inputLayout.channels(of: input.shape) == inChannels,
                     "Conv2d expects a batch of \(inChannels)-channel images (\(inputLayout)), got \(input.shape)")
        let (batch, _, height, width) = inputLayout.dimensions(of: input.shape)
        let geometry = ConvolutionGeometry(
            batch: batch, inChannels: inChannels, outChannels: outChannels, inputHeight: height,
            inputWidth: width, kernel: kernel, stride: stride, padding: padding)
        self.input = input
        self.geometry = geometry
        output.reshape(to: geometry.outputShape(in: layout))
        kernelsFor(geometry).forward(input: input.pointer, weights: weight.value.pointer, output: output.pointer)
        if let bias {
            forEachOutputChannelRun(geometry) { channel, range in
                let b = bias.value[channel]
                for i in range { output.pointer[i] += b }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let input, let geometry else { preconditionFailure("Conv2d.backward before forward") }
        precondition(outputGradient.shape == geometry.outputShape(in: layout), "gradient shape \(outputGradient.shape)")
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
            let dy = outputGradient.pointer
            forEachOutputChannelRun(geometry) { channel, range in
                var sum: Float = 0
                for i in range { sum += dy[i] }
                db[channel] += sum
            }
        }
        return needsInputGradient ? inputGradient : nil
    }

    /// Calls body(channel, flat indices) over the output in runs that share one channel: whole
    /// planes channels-first, single elements otherwise.
    private func forEachOutputChannelRun(_ geometry: ConvolutionGeometry, _ body: (Int, Range<Int>) -> Void) {
        let plane = geometry.outputHeight * geometry.outputWidth
        switch layout {
        case .channelsFirst:
            for run in 0..<(geometry.batch * outChannels) { body(run % outChannels, (run * plane)..<((run + 1) * plane)) }
        case .channelsLast:
            for i in 0..<(geometry.batch * plane * outChannels) { body(i % outChannels, i..<(i + 1)) }
        case .batchLast:
            let size = plane * geometry.batch
            for channel in 0..<outChannels { body(channel, (channel * size)..<((channel + 1) * size)) }
        case .blocked16:
            let block = ImageLayout.block
            for i in 0..<(geometry.batch * plane * outChannels) {
                // i = ((n * O/16 + c/16) * plane + position) * 16 + c % 16
                let channel = (i / (plane * block)) % (outChannels / block) * block + i % block
                body(channel, i..<(i + 1))
            }
        }
    }

    private func kernelsFor(_ geometry: ConvolutionGeometry) -> ConvolutionKernels {
        if let cached = kernels[geometry] { return cached }
        let created = ConvolutionKernels(geometry, inputLayout: inputLayout, outputLayout: layout, algorithm: algorithm)
        kernels[geometry] = created
        return created
    }
}
