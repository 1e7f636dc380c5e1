import TensorCore

/// A fully connected layer with a fixed sparsity pattern, computed on the kept weights only:
/// y = scale * x W^T + b with W [outFeatures, inFeatures] in compressed sparse rows. It keeps
/// only the kept weights (and so the optimizer keeps only their momentum): `weight` is a
/// [kept] parameter, named as the dense layer's weight, in the pattern's order.
///
/// Shapes: input [N, inFeatures], output [N, outFeatures] (or [features, N] on either side with
/// `transposedInput` / `transposedOutput`). Inside, activations and gradients are [features, N]
/// so each kept weight works on N contiguous values.
public final class SparseLinear: Layer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let pattern: CSRPattern
    public let weight: Parameter
    public let bias: Parameter?
    public let outputScale: Float

    /// Take the input as [inFeatures, N] (from a SparseLinear before, with `transposedOutput`).
    public var transposedInput = false
    /// Give the output as [outFeatures, N] (to a SparseLinear after, through elementwise layers):
    /// two sparse layers in a row then pass their activations without transposing them.
    public var transposedOutput = false

    private var batch = 0
    /// The input as [inFeatures, N]: the layer's own transposed copy, or the input itself.
    private var inputColumns: Tensor?
    private let inputTransposed = Tensor(shape: [0])
    private let outputTransposed = Tensor(shape: [0])
    private let output = Tensor(shape: [0])
    private let gradientTransposed = Tensor(shape: [0])
    private let inputGradientTransposed = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])

    /// The same layer as `dense` (its mask, values and bias; no mask: every entry kept).
    public init(converting dense: Linear) {
        inFeatures = dense.inFeatures
        outFeatures = dense.outFeatures
        outputScale = dense.outputScale
        let mask = dense.weight.mask ?? Tensor(shape: dense.weight.value.shape, repeating: 1)
        pattern = CSRPattern(mask: mask)
        weight = Parameter(name: dense.weight.name, role: .weight, shape: [pattern.count])
        for (k, value) in pattern.gather(dense.weight.value).enumerated() { weight.value[k] = value }
        bias = dense.bias
    }

    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// The weights as the dense [out, in] matrix (0 at removed entries), for checks and records.
    public var denseWeight: Tensor { pattern.scatter(weight.value.pointer) }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        if transposedInput {
            precondition(input.shape.count == 2 && input.shape[0] == inFeatures, "SparseLinear expects [\(inFeatures), N], got \(input.shape)")
            batch = input.shape[1]
            inputColumns = input
        } else {
            batch = input.shape[0]
            precondition(input.count == batch * inFeatures, "SparseLinear expects [N, \(inFeatures)], got \(input.shape)")
            inputTransposed.reshape(to: [inFeatures, batch])
            SparseProducts.transpose(input.pointer, into: inputTransposed.pointer, rows: batch, columns: inFeatures)
            inputColumns = inputTransposed
        }
        outputTransposed.reshape(to: [outFeatures, batch])
        SparseProducts.forward(
            pattern, values: weight.value.pointer, xT: inputColumns!.pointer, yT: outputTransposed.pointer, batch: batch, scale: outputScale,
            bias: bias.map { UnsafePointer($0.value.pointer) })
        if transposedOutput { return outputTransposed }
        output.reshape(to: [batch, outFeatures])
        SparseProducts.transpose(outputTransposed.pointer, into: output.pointer, rows: outFeatures, columns: batch)
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let inputColumns else { preconditionFailure("SparseLinear.backward before forward") }
        let dyT: Tensor
        if transposedOutput {
            precondition(outputGradient.shape == [outFeatures, batch], "gradient shape \(outputGradient.shape)")
            dyT = outputGradient
        } else {
            precondition(outputGradient.shape == [batch, outFeatures], "gradient shape \(outputGradient.shape)")
            gradientTransposed.reshape(to: [outFeatures, batch])
            SparseProducts.transpose(outputGradient.pointer, into: gradientTransposed.pointer, rows: batch, columns: outFeatures)
            dyT = gradientTransposed
        }
        SparseProducts.weightGradient(
            pattern, dyT: dyT.pointer, xT: inputColumns.pointer, gradient: weight.gradient.pointer, batch: batch,
            scale: outputScale, accumulate: !weight.gradientIsStale)
        weight.gradientIsStale = false
        if let bias {
            SparseProducts.addRowSums(dyT.pointer, rows: outFeatures, batch: batch, into: bias.currentGradient().pointer)
        }
        guard needsInputGradient else { return nil }
        inputGradientTransposed.reshape(to: [inFeatures, batch])
        SparseProducts.inputGradient(
            pattern, values: weight.value.pointer, dyT: dyT.pointer, dxT: inputGradientTransposed.pointer, batch: batch,
            scale: outputScale)
        if transposedInput { return inputGradientTransposed }
        inputGradient.reshape(to: [batch, inFeatures])
        SparseProducts.transpose(inputGradientTransposed.pointer, into: inputGradient.pointer, rows: inFeatures, columns: batch)
        return inputGradient
    }
}
