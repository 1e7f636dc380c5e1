import TensorCore

/// Converts image batches from the readers' [N, C, H, W] to [N, H, W, C] at the entry of a
/// channels-last network (and gradients back); every layer after it stays channels-last.
public final class ToChannelsLast: Layer {
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        convertToChannelsLast(input, into: output)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard needsInputGradient else { return nil }
        convertToChannelsFirst(outputGradient, into: inputGradient)
        return inputGradient
    }
}

/// Converts image batches from the readers' [N, C, H, W] to [C, H, W, N] at the entry of a
/// batch-last network (the kept-taps convolutions' layout), and gradients back.
public final class ToBatchLast: Layer {
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let (n, c, h, w) = ImageLayout.channelsFirst.dimensions(of: input.shape)
        output.reshape(to: ImageLayout.batchLast.shape(batch: n, channels: c, height: h, width: w))
        SparseProducts.transpose(input.pointer, into: output.pointer, rows: n, columns: c * h * w)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard needsInputGradient else { return nil }
        let (n, c, h, w) = ImageLayout.batchLast.dimensions(of: outputGradient.shape)
        inputGradient.reshape(to: [n, c, h, w])
        SparseProducts.transpose(outputGradient.pointer, into: inputGradient.pointer, rows: c * h * w, columns: n)
        return inputGradient
    }
}

/// A batch-last layer (a convolution on its kept taps) inside a network of another layout: its
/// input is converted from `inputLayout` and its output to `outputLayout`, and the gradients
/// back (`BatchLastConversion`), so that the layers around it stay in theirs.
///
/// Shapes: input [N, C, H, W] in `inputLayout` -> the inner layer's output in `outputLayout`.
public final class BatchLastBridge: Layer {
    public let inner: Layer
    public let inputLayout: ImageLayout
    public let outputLayout: ImageLayout

    private let innerInput = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let innerGradient = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    private let scratch = Tensor(shape: [0])

    public init(_ inner: Layer, inputLayout: ImageLayout, outputLayout: ImageLayout) {
        (self.inner, self.inputLayout, self.outputLayout) = (inner, inputLayout, outputLayout)
    }

    public var parameters: [Parameter] { inner.parameters }

    public var buffers: [(name: String, tensor: Tensor)] { inner.buffers }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        BatchLastConversion.toBatchLast(input, from: inputLayout, into: innerInput, scratch: scratch)
        BatchLastConversion.fromBatchLast(inner.forward(innerInput, mode: mode), to: outputLayout, into: output, scratch: scratch)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        BatchLastConversion.toBatchLast(outputGradient, from: outputLayout, into: innerGradient, scratch: scratch)
        guard let gradient = inner.backward(innerGradient, needsInputGradient: needsInputGradient) else { return nil }
        BatchLastConversion.fromBatchLast(gradient, to: inputLayout, into: inputGradient, scratch: scratch)
        return inputGradient
    }
}
