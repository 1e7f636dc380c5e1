import Choices
import NeuralNetwork
import TensorCore

/// ResNet's BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), where conv1 is 3x3
/// with the block's stride, conv2 3x3 stride 1, and the shortcut the identity or, where the shape
/// changes, a 1x1 convolution with the stride followed by batch norm. Bottleneck variants
/// (docs/method.md section 1): a narrower inner width between conv1 and conv2 (non-linear), or any of
/// the convolutions as a product of two factors (linear).
///
/// Shapes: [N, C, H, W] -> [N, O, H/s, W/s] (or channels-last with `layout` `.channelsLast`).
public final class BasicBlock: Layer {
    public let conv1: FactorisedConv2d
    public let bn1: BatchNorm
    public let conv2: FactorisedConv2d
    public let bn2: BatchNorm
    /// nil for the identity shortcut.
    public let shortcut: (conv: FactorisedConv2d, bn: BatchNorm)?

    private let relu1 = ReLU()
    private let sum = Tensor(shape: [0])
    private let sumGradient = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    /// `innerChannels`: conv1's outputs and conv2's inputs (non-linear bottleneck; default
    /// `outChannels`). `linearInner(name)`: the inner size of the weight named `name` (e.g.
    /// "layer1.0.conv1.weight") when the linear bottleneck factorises it.
    public init(
        inChannels: Int, outChannels: Int, stride: Int, innerChannels: Int? = nil, layout: ImageLayout = .channelsFirst,
        convolution: ConvolutionAlgorithm = .direct, linearInner: (String) -> Int? = { _ in nil }, name: String
    ) {
        let inner = innerChannels ?? outChannels
        conv1 = FactorisedConv2d(
            inChannels: inChannels, outChannels: inner, kernel: 3, stride: stride, padding: 1,
            innerChannels: linearInner("\(name).conv1.weight"), layout: layout, algorithm: convolution, name: "\(name).conv1")
        bn1 = BatchNorm(features: inner, layout: layout, name: "\(name).bn1")
        conv2 = FactorisedConv2d(
            inChannels: inner, outChannels: outChannels, kernel: 3, stride: 1, padding: 1,
            innerChannels: linearInner("\(name).conv2.weight"), layout: layout, algorithm: convolution, name: "\(name).conv2")
        bn2 = BatchNorm(features: outChannels, layout: layout, name: "\(name).bn2")
        shortcut = stride != 1 || inChannels != outChannels
            ? (FactorisedConv2d(inChannels: inChannels, outChannels: outChannels, kernel: 1, stride: stride,
                                innerChannels: linearInner("\(name).shortcut.0.weight"), layout: layout, name: "\(name).shortcut.0"),
               BatchNorm(features: outChannels, layout: layout, name: "\(name).shortcut.1"))
            : nil
    }

    /// Every convolution (each factor of a factorised one), in model order.
    public var convolutions: [Conv2d] { conv1.convolutions + conv2.convolutions + (shortcut?.conv.convolutions ?? []) }

    /// conv1, conv2 and the shortcut's convolution, if any.
    public var factorisedConvolutions: [FactorisedConv2d] { [conv1, conv2] + (shortcut.map { [$0.conv] } ?? []) }

    public var parameters: [Parameter] {
        conv1.parameters + bn1.parameters + conv2.parameters + bn2.parameters
            + (shortcut.map { $0.conv.parameters + $0.bn.parameters } ?? [])
    }

    public var buffers: [(name: String, tensor: Tensor)] {
        bn1.buffers + bn2.buffers + (shortcut?.bn.buffers ?? [])
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let main = bn2.forward(conv2.forward(relu1.forward(bn1.forward(conv1.forward(input, mode: mode), mode: mode), mode: mode), mode: mode), mode: mode)
        let skip = shortcut.map { $0.bn.forward($0.conv.forward(input, mode: mode), mode: mode) } ?? input
        sum.reshape(to: main.shape)
        let (a, b, y) = (main.pointer, skip.pointer, sum.pointer)
        for i in 0..<sum.count { y[i] = max(a[i] + b[i], 0) }
        return sum
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        // Through the final ReLU: the gradient of the sum, shared by both branches.
        sumGradient.reshape(to: outputGradient.shape)
        let (dy, y, ds) = (outputGradient.pointer, sum.pointer, sumGradient.pointer)
        for i in 0..<sum.count { ds[i] = y[i] > 0 ? dy[i] : 0 }

        let mainGradient = conv1.backward(
            bn1.backward(relu1.backward(conv2.backward(bn2.backward(sumGradient)))), needsInputGradient: needsInputGradient)
        let skipGradient: Tensor? = shortcut.map { $0.conv.backward($0.bn.backward(sumGradient), needsInputGradient: needsInputGradient) }
            ?? (needsInputGradient ? sumGradient : nil)
        guard needsInputGradient, let mainGradient, let skipGradient else { return nil }
        inputGradient.reshape(to: mainGradient.shape)
        let (a, b, dx) = (mainGradient.pointer, skipGradient.pointer, inputGradient.pointer)
        for i in 0..<inputGradient.count { dx[i] = a[i] + b[i] }
        return inputGradient
    }
}
