import Choices
import TensorCore

/// y = max(x, 0) elementwise; any shape.
public final class ReLU: Layer {
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        output.reshape(to: input.shape)
        let x = input.pointer
        let y = output.pointer
        for i in 0..<input.count { y[i] = max(x[i], 0) }
        return output
    }

    /// dx = dy where the output was positive, else 0 (the subgradient 0 at x = 0, as PyTorch).
    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard needsInputGradient else { return nil }
        inputGradient.reshape(to: outputGradient.shape)
        let dy = outputGradient.pointer
        let y = output.pointer
        let dx = inputGradient.pointer
        for i in 0..<outputGradient.count { dx[i] = y[i] > 0 ? dy[i] : 0 }
        return inputGradient
    }
}

/// y = x: the "linear" networks of the paper's Figure 5.
public final class Identity: Layer {
    public init() {}

    public var parameters: [Parameter] { [] }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor { input }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        needsInputGradient ? outputGradient : nil
    }
}

/// The layer for an activation kind.
public func makeActivation(_ kind: ActivationKind) -> Layer {
    switch kind {
    case .relu: return ReLU()
    case .identity: return Identity()
    }
}
