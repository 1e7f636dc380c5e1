import NeuralNetwork
import TensorCore

/// Units a sparse layer leaves without connections: output channels (units) that receive no
/// weight, and input channels whose value no weight reads. Such a hidden unit computes only its
/// bias; users of static sparsity get bitten by them at high sparsity.
public struct DisconnectedUnits: Codable, Equatable, Sendable {
    public var layer: String
    /// Output channels with every incoming weight removed, of `outChannels`.
    public var outputsWithoutInputs: Int
    public var outChannels: Int
    /// Input channels with every outgoing weight removed, of `inChannels`.
    public var inputsWithoutOutputs: Int
    public var inChannels: Int

    /// Counts them in a [out, in, kh, kw] (or [out, in]) 0/1 mask.
    public init(mask: Tensor, layer: WeightShape) {
        precondition(mask.shape == layer.tensorShape, "mask shape \(mask.shape) != \(layer.tensorShape)")
        self.layer = layer.name
        outChannels = layer.outChannels
        inChannels = layer.inChannels
        let kernel = layer.kernelSize
        var outputHasInput = [Bool](repeating: false, count: layer.outChannels)
        var inputHasOutput = [Bool](repeating: false, count: layer.inChannels)
        mask.withUnsafeBufferPointer { entries in
            for out in 0..<layer.outChannels {
                for input in 0..<layer.inChannels {
                    let start = (out * layer.inChannels + input) * kernel
                    if entries[start..<(start + kernel)].contains(1) {
                        outputHasInput[out] = true
                        inputHasOutput[input] = true
                    }
                }
            }
        }
        outputsWithoutInputs = outputHasInput.filter { !$0 }.count
        inputsWithoutOutputs = inputHasOutput.filter { !$0 }.count
    }
}
