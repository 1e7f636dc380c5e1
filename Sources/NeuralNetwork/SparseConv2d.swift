import TensorCore

/// A 2-D convolution with a fixed sparsity pattern, computed on its kept taps only
/// (`SparseConvolution`). It keeps only the kept weights (and so the optimizer keeps only their
/// momentum): `weight` is a [kept] parameter, named as the dense layer's weight, holding the
/// kept entries in row-major [O, C, k, k] order ([O, C, k, k] itself when every tap is kept).
///
/// Shapes: input [C, H, W, N], output [O, (H + 2p - k)/s + 1, (W + 2p - k)/s + 1, N]
/// (`ImageLayout.batchLast`); the bias [O], if any, is added to every position.
public final class SparseConv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let taps: ConvolutionTaps
    public let weight: Parameter
    public let bias: Parameter?

    private var input: Tensor?
    private var geometry: ConvolutionGeometry?
    /// One per input geometry (training and evaluation batch sizes, the epoch's last batch).
    private var plans: [ConvolutionGeometry: SparseConvolution.Plan] = [:]
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    /// The same layer as `dense` (its mask, values and bias; no mask: every tap kept).
    public init(converting dense: Conv2d) {
        (inChannels, outChannels, kernel, stride, padding) = (dense.inChannels, dense.outChannels, dense.kernel, dense.stride, dense.padding)
        taps = ConvolutionTaps(mask: dense.weight.mask ?? Tensor(shape: dense.weight.value.shape, repeating: 1))
        // With every tap kept, tap order is the dense weight's row-major order: the parameter keeps
        // the dense shape, so checkpoints of unmasked layers read the same on both paths.
        let shape = taps.count == dense.weight.value.count ? dense.weight.value.shape : [taps.count]
        weight = Parameter(name: dense.weight.name, role: .weight, shape: shape)
        for (t, value) in taps.gather(dense.weight.value).enumerated() { weight.value[t] = value }
        bias = dense.bias
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// The weight as the dense [O, C, k, k] tensor (0 at removed taps), for checks and records.
    public var denseWeight: Tensor { taps.scatter(weight.value.pointer) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let layout = ImageLayout.batchLast
        precondition(layout.isImageBatch(input.shape) && layout.channels(of: input.shape) == inChannels,
                     "SparseConv2d expects [\(inChannels), H, W, N], got \(input.shape)")
        let (batch, _, height, width) = layout.dimensions(of: input.shape)
        let geometry = ConvolutionGeometry(
            batch: batch, inChannels: inChannels, outChannels: outChannels, inputHeight: height, inputWidth: width, kernel: kernel,
            stride: stride, padding: padding)
        (self.input, self.geometry) = (input, geometry)
        output.reshape(to: geometry.outputShape(in: layout))
        SparseConvolution.forward(taps, values: weight.value.pointer, x: input.pointer, y: output.pointer, geometry: geometry, plan: plan(geometry))
        if let bias {
            let plane = geometry.outputHeight * geometry.outputWidth * batch
            for channel in 0..<outChannels {
                let b = bias.value[channel]
                for i in (channel * plane)..<((channel + 1) * plane) { output.pointer[i] += b }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let input, let geometry else { preconditionFailure("SparseConv2d.backward before forward") }
        precondition(outputGradient.shape == geometry.outputShape(in: .batchLast), "gradient shape \(outputGradient.shape)")
        SparseConvolution.weightGradient(
            taps, x: input.pointer, dy: outputGradient.pointer, gradient: weight.gradient.pointer, geometry: geometry,
            accumulate: !weight.gradientIsStale, plan: plan(geometry))
        weight.gradientIsStale = false
        if let bias {
            let plane = geometry.outputHeight * geometry.outputWidth * geometry.batch
            SparseProducts.addRowSums(outputGradient.pointer, rows: outChannels, batch: plane, into: bias.currentGradient().pointer)
        }
        guard needsInputGradient else { return nil }
        inputGradient.reshape(to: input.shape)
        SparseConvolution.inputGradient(
            taps, values: weight.value.pointer, dy: outputGradient.pointer, dx: inputGradient.pointer, geometry: geometry, plan: plan(geometry))
        return inputGradient
    }

    private func plan(_ geometry: ConvolutionGeometry) -> SparseConvolution.Plan {
        if let cached = plans[geometry] { return cached }
        let created = SparseConvolution.Plan(taps, geometry)
        plans[geometry] = created
        return created
    }
}
