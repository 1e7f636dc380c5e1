import CDNNL
import Choices

/// The geometry of a 2-D convolution (PyTorch's Conv2d with equal padding on both sides).
public struct ConvolutionGeometry: Hashable, Sendable {
    public var batch: Int
    public var inChannels: Int
    public var outChannels: Int
    public var inputHeight: Int
    public var inputWidth: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int

    public init(batch: Int, inChannels: Int, outChannels: Int, inputHeight: Int, inputWidth: Int, kernel: Int, stride: Int, padding: Int) {
        self.batch = batch
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public var outputHeight: Int { (inputHeight + 2 * padding - kernel) / stride + 1 }
    public var outputWidth: Int { (inputWidth + 2 * padding - kernel) / stride + 1 }
    /// [N, C, H, W]
    public var inputShape: [Int] { [batch, inChannels, inputHeight, inputWidth] }
    /// [O, C, k, k]
    public var weightShape: [Int] { [outChannels, inChannels, kernel, kernel] }
    /// [N, O, H', W']
    public var outputShape: [Int] { [batch, outChannels, outputHeight, outputWidth] }

    /// The input tensor's shape in `layout`.
    public func inputShape(in layout: ImageLayout) -> [Int] {
        layout.shape(batch: batch, channels: inChannels, height: inputHeight, width: inputWidth)
    }

    /// The output tensor's shape in `layout`.
    public func outputShape(in layout: ImageLayout) -> [Int] {
        layout.shape(batch: batch, channels: outChannels, height: outputHeight, width: outputWidth)
    }
}

/// oneDNN's convolution primitives (forward, backward data, backward weights) for one geometry,
/// created once and reused every step. Weights are plain OIHW float32; activations are NCHW,
/// NHWC or blocked (`inputLayout`, `outputLayout`). NHWC and blocked activations go to oneDNN as
/// they are (no conversion on the hot path); when both sides are NCHW, oneDNN chooses its own
/// blocked layout and each primitive converts at its edges. Weights are converted to oneDNN's
/// weight layout on each call (they are small). No bias (the ResNet convolutions have none; a
/// bias is added by the layer).
public final class ConvolutionKernels {
    public let geometry: ConvolutionGeometry
    public let inputLayout: ImageLayout
    public let outputLayout: ImageLayout
    /// The algorithm the primitives use (Winograd falls back to direct where oneDNN lacks it).
    public let algorithm: ConvolutionAlgorithm
    private let forwardPrimitive: Primitive
    private let backwardDataPrimitive: Primitive
    private let backwardWeightsPrimitive: Primitive
    // Layout conversions at the edges of each primitive, by argument.
    private let forwardSource, forwardWeights, forwardDestination: LayoutBridge
    private let dataOutputGradient, dataWeights, dataInputGradient: LayoutBridge
    private let weightsSource, weightsOutputGradient, weightsGradient: LayoutBridge

    public convenience init(_ geometry: ConvolutionGeometry, layout: ImageLayout = .channelsFirst, algorithm: ConvolutionAlgorithm = .direct) {
        self.init(geometry, inputLayout: layout, outputLayout: layout, algorithm: algorithm)
    }

    public init(_ geometry: ConvolutionGeometry, inputLayout: ImageLayout, outputLayout: ImageLayout, algorithm requested: ConvolutionAlgorithm) {
        self.geometry = geometry
        self.inputLayout = inputLayout
        self.outputLayout = outputLayout
        // oneDNN's dims are always logical NCHW; the tag says how they sit in memory.
        let plainSource = OneDNN.descriptor(geometry.inputShape, tag: inputLayout.oneDNNTag)
        let plainWeights = OneDNN.plainDescriptor(geometry.weightShape)
        let plainDestination = OneDNN.descriptor(geometry.outputShape, tag: outputLayout.oneDNNTag)
        let oneDNNChooses = inputLayout == .channelsFirst && outputLayout == .channelsFirst
        var source = oneDNNChooses ? OneDNN.anyDescriptor(geometry.inputShape) : plainSource
        var weights = OneDNN.anyDescriptor(geometry.weightShape)
        var destination = oneDNNChooses ? OneDNN.anyDescriptor(geometry.outputShape) : plainDestination
        let winogradShape = geometry.kernel == 3 && geometry.stride == 1 && inputLayout == .blocked16 && outputLayout == .blocked16
        let algorithm: ConvolutionAlgorithm = requested == .winograd && winogradShape
            && ConvolutionKernels.hasWinograd(&source, &weights, &destination, geometry) ? .winograd : .direct
        self.algorithm = algorithm
        let kind = algorithm == .winograd ? dnnl_convolution_winograd : dnnl_convolution_direct
        let strides: [Int64] = [Int64(geometry.stride), Int64(geometry.stride)]
        let padding: [Int64] = [Int64(geometry.padding), Int64(geometry.padding)]

        func chosen(_ descriptor: dnnl_primitive_desc_t?, _ query: dnnl_query_t) -> dnnl_memory_desc_t {
            dnnl_primitive_desc_query_md(descriptor, query, 0).pointee
        }
        func primitive(_ descriptor: dnnl_primitive_desc_t?) -> Primitive { Primitive(descriptor, "convolution primitive") }

        var forwardDescriptor = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_forward_desc_init(
            &forwardDescriptor, dnnl_forward_training, kind, &source, &weights, nil, &destination,
            strides, padding, padding), "convolution forward descriptor")
        let forward = OneDNN.primitiveDescriptor(&forwardDescriptor, hint: nil, "convolution forward")
        forwardPrimitive = primitive(forward)
        forwardSource = LayoutBridge(plain: plainSource, chosen: chosen(forward, dnnl_query_src_md))
        forwardWeights = LayoutBridge(plain: plainWeights, chosen: chosen(forward, dnnl_query_weights_md))
        forwardDestination = LayoutBridge(plain: plainDestination, chosen: chosen(forward, dnnl_query_dst_md))

        var dataDescriptor = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_data_desc_init(
            &dataDescriptor, kind, &source, &weights, &destination, strides, padding, padding),
            "backward data descriptor")
        let data = OneDNN.primitiveDescriptor(&dataDescriptor, hint: forward, "backward data")
        backwardDataPrimitive = primitive(data)
        dataOutputGradient = LayoutBridge(plain: plainDestination, chosen: chosen(data, dnnl_query_diff_dst_md))
        dataWeights = LayoutBridge(plain: plainWeights, chosen: chosen(data, dnnl_query_weights_md))
        dataInputGradient = LayoutBridge(plain: plainSource, chosen: chosen(data, dnnl_query_diff_src_md))

        var weightsDescriptor = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_weights_desc_init(
            &weightsDescriptor, kind, &source, &weights, nil, &destination, strides, padding, padding),
            "backward weights descriptor")
        // oneDNN 2.6's jit_1x1 backward-weights kernel overruns its scratchpad on strided
        // channels-last 1x1 convolutions (see Primitive); the next implementation is correct.
        let avoidStrided1x1 = inputLayout == .channelsLast && geometry.kernel == 1 && geometry.stride > 1
        let weightsPrimitiveDescriptor = OneDNN.primitiveDescriptor(&weightsDescriptor, hint: forward, "backward weights") {
            !(avoidStrided1x1 && $0.hasPrefix("jit_1x1"))
        }
        backwardWeightsPrimitive = primitive(weightsPrimitiveDescriptor)
        weightsSource = LayoutBridge(plain: plainSource, chosen: chosen(weightsPrimitiveDescriptor, dnnl_query_src_md))
        weightsOutputGradient = LayoutBridge(plain: plainDestination, chosen: chosen(weightsPrimitiveDescriptor, dnnl_query_diff_dst_md))
        weightsGradient = LayoutBridge(plain: plainWeights, chosen: chosen(weightsPrimitiveDescriptor, dnnl_query_diff_weights_md))

        dnnl_primitive_desc_destroy(forward)
        dnnl_primitive_desc_destroy(data)
        dnnl_primitive_desc_destroy(weightsPrimitiveDescriptor)
    }

    /// Whether oneDNN has compiled (JIT) kernels for blocked16 convolutions on this CPU: it has
    /// them with AVX-512, while with AVX2 only (this project's AMD EPYC nodes, for one) it has
    /// reference loops, some 17 s for one 16-channel 32x32 convolution of a batch of 128. Probed
    /// once, on a small 3x3 convolution's forward primitive.
    public static let blockedLayoutIsCompiled: Bool = {
        let geometry = ConvolutionGeometry(
            batch: 1, inChannels: ImageLayout.block, outChannels: ImageLayout.block, inputHeight: 8, inputWidth: 8, kernel: 3, stride: 1, padding: 1)
        var source = OneDNN.descriptor(geometry.inputShape, tag: ImageLayout.blocked16.oneDNNTag)
        var weights = OneDNN.anyDescriptor(geometry.weightShape)
        var destination = OneDNN.descriptor(geometry.outputShape, tag: ImageLayout.blocked16.oneDNNTag)
        var descriptor = dnnl_convolution_desc_t()
        guard dnnl_convolution_forward_desc_init(
            &descriptor, dnnl_forward_training, dnnl_convolution_direct, &source, &weights, nil, &destination,
            [1, 1], [1, 1], [1, 1]) == dnnl_success else { return false }
        guard let forward = OneDNN.tryPrimitiveDescriptor(&descriptor, hint: nil) else { return false }
        defer { dnnl_primitive_desc_destroy(forward) }
        return !OneDNN.implementation(of: forward).hasPrefix("ref")
    }()

    /// Whether oneDNN has Winograd forward and backward kernels for these descriptors.
    private static func hasWinograd(
        _ source: inout dnnl_memory_desc_t, _ weights: inout dnnl_memory_desc_t, _ destination: inout dnnl_memory_desc_t,
        _ geometry: ConvolutionGeometry
    ) -> Bool {
        let strides: [Int64] = [1, 1]
        let padding: [Int64] = [Int64(geometry.padding), Int64(geometry.padding)]
        var descriptor = dnnl_convolution_desc_t()
        guard dnnl_convolution_forward_desc_init(
            &descriptor, dnnl_forward_training, dnnl_convolution_winograd, &source, &weights, nil, &destination,
            strides, padding, padding) == dnnl_success else { return false }
        guard let forward = OneDNN.tryPrimitiveDescriptor(&descriptor, hint: nil) else { return false }
        defer { dnnl_primitive_desc_destroy(forward) }
        var weightsDescriptor = dnnl_convolution_desc_t()
        guard dnnl_convolution_backward_weights_desc_init(
            &weightsDescriptor, dnnl_convolution_winograd, &source, &weights, nil, &destination, strides, padding, padding) == dnnl_success
        else { return false }
        guard let backward = OneDNN.tryPrimitiveDescriptor(&weightsDescriptor, hint: forward) else { return false }
        dnnl_primitive_desc_destroy(backward)
        return true
    }

    /// y = conv(x, w): x [N, C, H, W], w [O, C, k, k], y [N, O, H', W'] (x and y in their layouts).
    public func forward(input: UnsafeMutablePointer<Float>, weights w: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        let destination = UnsafeMutableRawPointer(output)
        forwardPrimitive.execute([
            (DNNL_ARG_SRC, forwardSource.chosen, forwardSource.chosenData(from: UnsafeMutableRawPointer(input))),
            (DNNL_ARG_WEIGHTS, forwardWeights.chosen, forwardWeights.chosenData(from: UnsafeMutableRawPointer(w))),
            (DNNL_ARG_DST, forwardDestination.chosen, forwardDestination.outputData(for: destination)),
        ])
        forwardDestination.finishOutput(into: destination)
    }

    /// dx = conv_transpose(dy, w), overwriting `inputGradient` [N, C, H, W] (in `inputLayout`).
    public func backwardData(outputGradient: UnsafeMutablePointer<Float>, weights w: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
        let destination = UnsafeMutableRawPointer(inputGradient)
        backwardDataPrimitive.execute([
            (DNNL_ARG_DIFF_DST, dataOutputGradient.chosen, dataOutputGradient.chosenData(from: UnsafeMutableRawPointer(outputGradient))),
            (DNNL_ARG_WEIGHTS, dataWeights.chosen, dataWeights.chosenData(from: UnsafeMutableRawPointer(w))),
            (DNNL_ARG_DIFF_SRC, dataInputGradient.chosen, dataInputGradient.outputData(for: destination)),
        ])
        dataInputGradient.finishOutput(into: destination)
    }

    /// Both backward products of one step: dw = correlation of x with dy (overwriting
    /// `weightGradient`) and, when `inputGradient` is given, dx = conv_transpose(dy, w). dy is
    /// converted to oneDNN's layout once for both, and x's conversion from the last `forward` is
    /// reused when that call saw the same input (`inputIsForwardInput`).
    public func backward(
        input: UnsafeMutablePointer<Float>, inputIsForwardInput: Bool, outputGradient: UnsafeMutablePointer<Float>,
        weights w: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?
    ) {
        let dyPlain = UnsafeMutableRawPointer(outputGradient)
        let dyForWeights = weightsOutputGradient.chosenData(from: dyPlain)
        let source = inputIsForwardInput && weightsSource.sharesLayout(with: forwardSource)
            ? forwardSource.lastConverted(or: UnsafeMutableRawPointer(input))
            : weightsSource.chosenData(from: UnsafeMutableRawPointer(input))
        let weightDestination = UnsafeMutableRawPointer(weightGradient)
        backwardWeightsPrimitive.execute([
            (DNNL_ARG_SRC, weightsSource.chosen, source),
            (DNNL_ARG_DIFF_DST, weightsOutputGradient.chosen, dyForWeights),
            (DNNL_ARG_DIFF_WEIGHTS, weightsGradient.chosen, weightsGradient.outputData(for: weightDestination)),
        ])
        weightsGradient.finishOutput(into: weightDestination)

        guard let inputGradient else { return }
        let dyForData = dataOutputGradient.sharesLayout(with: weightsOutputGradient) ? dyForWeights : dataOutputGradient.chosenData(from: dyPlain)
        let destination = UnsafeMutableRawPointer(inputGradient)
        backwardDataPrimitive.execute([
            (DNNL_ARG_DIFF_DST, dataOutputGradient.chosen, dyForData),
            (DNNL_ARG_WEIGHTS, dataWeights.chosen, dataWeights.chosenData(from: UnsafeMutableRawPointer(w))),
            (DNNL_ARG_DIFF_SRC, dataInputGradient.chosen, dataInputGradient.outputData(for: destination)),
        ])
        dataInputGradient.finishOutput(into: destination)
    }

    /// dw = correlation of x with dy, overwriting `weightGradient` [O, C, k, k].
    public func backwardWeights(input: UnsafeMutablePointer<Float>, outputGradient: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>) {
        let destination = UnsafeMutableRawPointer(weightGradient)
        backwardWeightsPrimitive.execute([
            (DNNL_ARG_SRC, weightsSource.chosen, weightsSource.chosenData(from: UnsafeMutableRawPointer(input))),
            (DNNL_ARG_DIFF_DST, weightsOutputGradient.chosen, weightsOutputGradient.chosenData(from: UnsafeMutableRawPointer(outputGradient))),
            (DNNL_ARG_DIFF_WEIGHTS, weightsGradient.chosen, weightsGradient.outputData(for: destination)),
        ])
        weightsGradient.finishOutput(into: destination)
    }
}

/// The slow, obvious twins of the three convolution products: loops over every output, channel
/// and tap, accumulating in Double. Used by the tests as the reference.
public enum ReferenceConvolution {
    /// Calls body(n, o, oy, ox, c, ky, kx, iy, ix) for every tap that lands inside the input.
    private static func forEachTap(_ g: ConvolutionGeometry, _ body: (Int, Int, Int, Int, Int, Int, Int, Int, Int) -> Void) {
        for n in 0..<g.batch { for o in 0..<g.outChannels { for oy in 0..<g.outputHeight { for ox in 0..<g.outputWidth {
            for c in 0..<g.inChannels { for ky in 0..<g.kernel { for kx in 0..<g.kernel {
                let iy = oy * g.stride - g.padding + ky
                let ix = ox * g.stride - g.padding + kx
                if iy >= 0 && iy < g.inputHeight && ix >= 0 && ix < g.inputWidth { body(n, o, oy, ox, c, ky, kx, iy, ix) }
            } } }
        } } } }
    }

    public static func forward(_ g: ConvolutionGeometry, input: [Float], weights: [Float]) -> [Float] {
        var output = [Double](repeating: 0, count: g.outputShape.reduce(1, *))
        forEachTap(g) { n, o, oy, ox, c, ky, kx, iy, ix in
            output[((n * g.outChannels + o) * g.outputHeight + oy) * g.outputWidth + ox] +=
                Double(input[((n * g.inChannels + c) * g.inputHeight + iy) * g.inputWidth + ix])
                * Double(weights[((o * g.inChannels + c) * g.kernel + ky) * g.kernel + kx])
        }
        return output.map { Float($0) }
    }

    public static func backwardData(_ g: ConvolutionGeometry, outputGradient: [Float], weights: [Float]) -> [Float] {
        var gradient = [Double](repeating: 0, count: g.inputShape.reduce(1, *))
        forEachTap(g) { n, o, oy, ox, c, ky, kx, iy, ix in
            gradient[((n * g.inChannels + c) * g.inputHeight + iy) * g.inputWidth + ix] +=
                Double(outputGradient[((n * g.outChannels + o) * g.outputHeight + oy) * g.outputWidth + ox])
                * Double(weights[((o * g.inChannels + c) * g.kernel + ky) * g.kernel + kx])
        }
        return gradient.map { Float($0) }
    }

    public static func backwardWeights(_ g: ConvolutionGeometry, input: [Float], outputGradient: [Float]) -> [Float] {
        var gradient = [Double](repeating: 0, count: g.weightShape.reduce(1, *))
        forEachTap(g) { n, o, oy, ox, c, ky, kx, iy, ix in
            gradient[((o * g.inChannels + c) * g.kernel + ky) * g.kernel + kx] +=
                Double(outputGradient[((n * g.outChannels + o) * g.outputHeight + oy) * g.outputWidth + ox])
                * Double(input[((n * g.inChannels + c) * g.inputHeight + iy) * g.inputWidth + ix])
        }
        return gradient.map { Float($0) }
    }
}
