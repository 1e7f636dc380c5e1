import Choices
import TensorCore

/// A convolution, or (linear bottleneck, docs/method.md section 1) the product of two: a k x k
/// convolution in -> inner with the stride and padding, then a 1 x 1 convolution inner -> out,
/// with nothing between them. The plain one is named `name`; the factors `name.0` and `name.1`, as
/// PyTorch names an nn.Sequential of the two. A bias, if any, belongs to the last factor.
///
/// Shapes as Conv2d's: [N, in, H, W] -> [N, out, H', W'] in `layout` (the input in `inputLayout`).
public final class FactorisedConv2d: Layer {
    /// One convolution, or the two factors in order.
    public let convolutions: [Conv2d]

    public init(
        inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = false,
        innerChannels: Int? = nil, layout: ImageLayout = .channelsFirst, inputLayout: ImageLayout? = nil,
        algorithm: ConvolutionAlgorithm = .direct, name: String
    ) {
        guard let inner = innerChannels else {
            convolutions = [Conv2d(
                inChannels: inChannels, outChannels: outChannels, kernel: kernel, stride: stride, padding: padding, bias: bias,
                layout: layout, inputLayout: inputLayout, algorithm: algorithm, name: name)]
            return
        }
        convolutions = [
            Conv2d(inChannels: inChannels, outChannels: inner, kernel: kernel, stride: stride, padding: padding, layout: layout,
                   inputLayout: inputLayout, algorithm: algorithm, name: "\(name).0"),
            Conv2d(inChannels: inner, outChannels: outChannels, kernel: 1, bias: bias, layout: layout, name: "\(name).1"),
        ]
    }

    /// The plain convolution on its kept taps only, once `useKeptTaps()` chose that.
    public private(set) var keptTaps: SparseConv2d?
    /// `keptTaps`, or it between layout conversions when the network is not batch-last.
    private var keptTapsPath: Layer?

    /// Computes the plain convolution on its kept taps only (`SparseConv2d`): its dense weight's
    /// storage goes, and the kept values become the parameter. In a network of another layout
    /// than batch-last, its input and output are converted on the way (`BatchLastBridge`).
    public func useKeptTaps() {
        precondition(convolutions.count == 1, "kept taps need a plain convolution, not the factors of a bottleneck")
        let dense = convolutions[0]
        let sparse = SparseConv2d(converting: dense)
        keptTaps = sparse
        keptTapsPath = dense.layout == .batchLast && dense.inputLayout == .batchLast
            ? sparse : BatchLastBridge(sparse, inputLayout: dense.inputLayout, outputLayout: dense.layout)
        dense.weight.releaseStorage()
    }

    public var parameters: [Parameter] { keptTaps?.parameters ?? convolutions.flatMap(\.parameters) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        if let keptTapsPath { return keptTapsPath.forward(input, mode: mode) }
        return convolutions.reduce(input) { $1.forward($0, mode: mode) }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        if let keptTapsPath { return keptTapsPath.backward(outputGradient, needsInputGradient: needsInputGradient) }
        var gradient = outputGradient
        for (index, convolution) in convolutions.enumerated().reversed() {
            // The first factor's weights need the second factor's input gradient.
            guard let next = convolution.backward(gradient, needsInputGradient: needsInputGradient || index > 0) else { return nil }
            gradient = next
        }
        return gradient
    }
}

/// A fully connected layer, or (linear bottleneck) the product of two: in -> inner with no bias,
/// then inner -> out with the layer's bias. Named `name`, or `name.0` and `name.1`. With
/// `ntkScaling` each factor carries its own 1/sqrt(fan-in) prefactor (docs/method.md section 3).
///
/// Shapes: [N, in] -> [N, out].
public final class FactorisedLinear: Layer {
    /// One layer, or the two factors in order.
    public let linears: [Linear]

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, innerFeatures: Int? = nil, ntkScaling: Bool = false, name: String) {
        func scale(_ fanIn: Int) -> Float { ntkScaling ? 1 / Float(fanIn).squareRoot() : 1 }
        guard let inner = innerFeatures else {
            linears = [Linear(inFeatures: inFeatures, outFeatures: outFeatures, bias: bias, outputScale: scale(inFeatures), name: name)]
            return
        }
        linears = [
            Linear(inFeatures: inFeatures, outFeatures: inner, bias: false, outputScale: scale(inFeatures), name: "\(name).0"),
            Linear(inFeatures: inner, outFeatures: outFeatures, bias: bias, outputScale: scale(inner), name: "\(name).1"),
        ]
    }

    public var parameters: [Parameter] { linears.flatMap(\.parameters) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        linears.reduce(input) { $1.forward($0, mode: mode) }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        var gradient = outputGradient
        for (index, linear) in linears.enumerated().reversed() {
            guard let next = linear.backward(gradient, needsInputGradient: needsInputGradient || index > 0) else { return nil }
            gradient = next
        }
        return gradient
    }
}
