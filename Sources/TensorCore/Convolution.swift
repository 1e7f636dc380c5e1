import CDNNL

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
}

/// oneDNN's convolution primitives (forward, backward data, backward weights) for one geometry,
/// created once and reused every step. Tensors are plain NCHW / OIHW float32; no bias (the
/// ResNet convolutions have none; a bias is added by the layer).
public final class ConvolutionKernels {
    public let geometry: ConvolutionGeometry
    private let source: dnnl_memory_desc_t
    private let weights: dnnl_memory_desc_t
    private let destination: dnnl_memory_desc_t
    private var forwardPrimitive: dnnl_primitive_t?
    private var backwardDataPrimitive: dnnl_primitive_t?
    private var backwardWeightsPrimitive: dnnl_primitive_t?

    public init(_ geometry: ConvolutionGeometry) {
        self.geometry = geometry
        source = OneDNN.plainDescriptor(geometry.inputShape)
        weights = OneDNN.plainDescriptor(geometry.weightShape)
        destination = OneDNN.plainDescriptor(geometry.outputShape)
        let strides: [Int64] = [Int64(geometry.stride), Int64(geometry.stride)]
        let padding: [Int64] = [Int64(geometry.padding), Int64(geometry.padding)]

        var forwardDescriptor = dnnl_convolution_desc_t()
        var (src, wei, dst) = (source, weights, destination)
        OneDNN.check(dnnl_convolution_forward_desc_init(
            &forwardDescriptor, dnnl_forward_training, dnnl_convolution_direct, &src, &wei, nil, &dst, strides, padding, padding),
            "convolution forward descriptor")
        var forwardHint: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&forwardHint, &forwardDescriptor, nil, OneDNN.engine, nil), "convolution forward")
        OneDNN.check(dnnl_primitive_create(&forwardPrimitive, forwardHint), "convolution forward primitive")

        var dataDescriptor = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_data_desc_init(
            &dataDescriptor, dnnl_convolution_direct, &src, &wei, &dst, strides, padding, padding), "backward data descriptor")
        var dataPrimitiveDescriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&dataPrimitiveDescriptor, &dataDescriptor, nil, OneDNN.engine, forwardHint), "backward data")
        OneDNN.check(dnnl_primitive_create(&backwardDataPrimitive, dataPrimitiveDescriptor), "backward data primitive")

        var weightsDescriptor = dnnl_convolution_desc_t()
        OneDNN.check(dnnl_convolution_backward_weights_desc_init(
            &weightsDescriptor, dnnl_convolution_direct, &src, &wei, nil, &dst, strides, padding, padding), "backward weights descriptor")
        var weightsPrimitiveDescriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&weightsPrimitiveDescriptor, &weightsDescriptor, nil, OneDNN.engine, forwardHint), "backward weights")
        OneDNN.check(dnnl_primitive_create(&backwardWeightsPrimitive, weightsPrimitiveDescriptor), "backward weights primitive")

        dnnl_primitive_desc_destroy(forwardHint)
        dnnl_primitive_desc_destroy(dataPrimitiveDescriptor)
        dnnl_primitive_desc_destroy(weightsPrimitiveDescriptor)
    }

    deinit {
        dnnl_primitive_destroy(forwardPrimitive)
        dnnl_primitive_destroy(backwardDataPrimitive)
        dnnl_primitive_destroy(backwardWeightsPrimitive)
    }

    /// y = conv(x, w): x [N, C, H, W], w [O, C, k, k], y [N, O, H', W'].
    public func forward(input: UnsafeMutablePointer<Float>, weights w: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>) {
        OneDNN.execute(forwardPrimitive!, [
            (DNNL_ARG_SRC, source, UnsafeMutableRawPointer(input)),
            (DNNL_ARG_WEIGHTS, weights, UnsafeMutableRawPointer(w)),
            (DNNL_ARG_DST, destination, UnsafeMutableRawPointer(output)),
        ])
    }

    /// dx = conv_transpose(dy, w), overwriting `inputGradient` [N, C, H, W].
    public func backwardData(outputGradient: UnsafeMutablePointer<Float>, weights w: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>) {
        OneDNN.execute(backwardDataPrimitive!, [
            (DNNL_ARG_DIFF_DST, destination, UnsafeMutableRawPointer(outputGradient)),
            (DNNL_ARG_WEIGHTS, weights, UnsafeMutableRawPointer(w)),
            (DNNL_ARG_DIFF_SRC, source, UnsafeMutableRawPointer(inputGradient)),
        ])
    }

    /// dw = correlation of x with dy, overwriting `weightGradient` [O, C, k, k].
    public func backwardWeights(input: UnsafeMutablePointer<Float>, outputGradient: UnsafeMutablePointer<Float>, weightGradient: UnsafeMutablePointer<Float>) {
        OneDNN.execute(backwardWeightsPrimitive!, [
            (DNNL_ARG_SRC, source, UnsafeMutableRawPointer(input)),
            (DNNL_ARG_DIFF_DST, destination, UnsafeMutableRawPointer(outputGradient)),
            (DNNL_ARG_DIFF_WEIGHTS, weights, UnsafeMutableRawPointer(weightGradient)),
        ])
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
