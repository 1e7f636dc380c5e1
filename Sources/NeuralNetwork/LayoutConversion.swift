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
