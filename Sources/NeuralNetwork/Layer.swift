import TensorCore

/// Training or evaluation: decides whether batch norm uses batch or running statistics.
public enum Mode: Sendable {
    case training, evaluation
}

/// A differentiable function of one tensor with parameters.
///
/// `forward` keeps what `backward` needs; `backward` accumulates the parameter gradients and
/// returns the gradient with respect to the forward input. Tensors a layer returns belong to the
/// layer and are overwritten by its next call.
public protocol Layer: AnyObject {
    /// Computes the output for `input`, remembering what backward needs.
    func forward(_ input: Tensor, mode: Mode) -> Tensor
    /// Given dLoss/dOutput for the last forward call, accumulates parameter gradients and
    /// returns dLoss/dInput (or nothing when `needsInputGradient` is false: the first layer of
    /// a network skips that product, as PyTorch does for inputs that need no gradient).
    func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor?
    /// Trainable parameters, in a stable order.
    var parameters: [Parameter] { get }
    /// State that is not trained but must be saved with a checkpoint (batch-norm running
    /// statistics), with stable names.
    var buffers: [(name: String, tensor: Tensor)] { get }
}

extension Layer {
    public var buffers: [(name: String, tensor: Tensor)] { [] }

    /// dLoss/dInput for the last forward call.
    public func backward(_ outputGradient: Tensor) -> Tensor {
        backward(outputGradient, needsInputGradient: true)!
    }
}

/// Layers applied one after another.
public final class Sequential: Layer {
    public let layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        layers.reduce(input) { $1.forward($0, mode: mode) }
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        var gradient = outputGradient
        for (index, layer) in layers.enumerated().reversed() {
            // A layer's input gradient is wanted only if some layer before it has parameters
            // (or the caller wants it): a ResNet's stem skips its costly dx behind the layout
            // conversion at the entry.
            let needed = needsInputGradient || layers[..<index].contains { !$0.parameters.isEmpty }
            guard let next = layer.backward(gradient, needsInputGradient: needed) else { return nil }
            gradient = next
        }
        return gradient
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    public var buffers: [(name: String, tensor: Tensor)] { layers.flatMap(\.buffers) }
}
