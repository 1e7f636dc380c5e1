import TensorCore

/// A fully connected layer: y = scale * x W^T + b.
///
/// - weight: [outFeatures, inFeatures] (PyTorch's layout), optionally masked.
/// - bias: [outFeatures], optional.
/// - `outputScale` is 1 in the standard parameterisation and 1/sqrt(inFeatures) in the NTK
///   parameterisation (docs/method.md section 3), where the full fan-in is used even when masked.
///
/// Shapes: input [N, inFeatures] (any [N, ...] whose trailing dims multiply to inFeatures),
/// output [N, outFeatures].
public final class Linear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    public let outputScale: Float

    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    public init(inFeatures: Int, outFeatures: Int, bias: Bool = true, outputScale: Float = 1, name: String = "linear") {
        precondition(inFeatures > 0 && outFeatures > 0, "Linear needs positive sizes")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.outputScale = outputScale
        self.weight = Parameter(name: "\(name).weight", role: .weight, shape: [outFeatures, inFeatures])
        self.bias = bias ? Parameter(name: "\(name).bias", role: .bias, shape: [outFeatures]) : nil
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        let batch = input.shape[0]
        precondition(input.count == batch * inFeatures, "Linear expects [N, \(inFeatures)], got \(input.shape)")
        self.input = input
        output.reshape(to: [batch, outFeatures])
        matrixMultiply(
            input.pointer, weight.value.pointer, transposeB: .yes, into: output.pointer,
            rows: batch, columns: outFeatures, inner: inFeatures, alpha: outputScale)
        if let bias {
            let y = output.pointer
            let b = bias.value.pointer
            for row in 0..<batch {
                let outRow = y + row * outFeatures
                for j in 0..<outFeatures { outRow[j] += b[j] }
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let input else { preconditionFailure("Linear.backward before forward") }
        let batch = input.shape[0]
        precondition(outputGradient.shape == [batch, outFeatures], "gradient shape \(outputGradient.shape)")
        let dy = outputGradient.pointer

        // dW (+)= scale * dy^T x : [out, N] x [N, in]
        matrixMultiply(
            dy, transposeA: .yes, input.pointer, into: weight.gradient.pointer,
            rows: outFeatures, columns: inFeatures, inner: batch,
            alpha: outputScale, beta: weight.gradientIsStale ? 0 : 1)
        weight.gradientIsStale = false
        weight.maskGradient()

        if let bias {
            let db = bias.gradient.pointer
            if bias.gradientIsStale { bias.gradient.fill(0) }
            bias.gradientIsStale = false
            for row in 0..<batch {
                let gradientRow = dy + row * outFeatures
                for j in 0..<outFeatures { db[j] += gradientRow[j] }
            }
        }

        guard needsInputGradient else { return nil }
        // dx = scale * dy W : [N, out] x [out, in]
        inputGradient.reshape(to: input.shape)
        matrixMultiply(
            dy, weight.value.pointer, into: inputGradient.pointer,
            rows: batch, columns: inFeatures, inner: outFeatures, alpha: outputScale)
        return inputGradient
    }
}
