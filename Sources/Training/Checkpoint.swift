import Foundation
import NeuralNetwork
import RunRecords
import TensorCore

/// A run's state after an epoch in one safetensors file: parameters by name, batch-norm buffers,
/// momentum buffers ("momentum/<parameter name>"), and the epoch in the metadata.
public enum Checkpoint {
    public static func save(to path: String, epoch: Int, model: Layer, optimizer: SGD) throws {
        var tensors: [(name: String, tensor: Tensor)] = model.parameters.map { ($0.name, $0.value) }
        tensors += model.buffers
        for (parameter, buffer) in zip(optimizer.parameters, optimizer.momentumBuffers) {
            if let buffer { tensors.append(("momentum/\(parameter.name)", buffer)) }
        }
        let data = try SafeTensors.encode(tensors, metadata: ["epoch": "\(epoch)", "format": "widesparse-checkpoint-1"])
        try RecordFiles.writeAtomically(data, to: path)
    }

    /// Loads the state into `model` and `optimizer` and returns the number of finished epochs.
    public static func restore(from path: String, model: Layer, optimizer: SGD) throws -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { throw RecordError.missing(path: path) }
        let (tensors, metadata) = try SafeTensors.decode(data, path: path)
        guard let epochText = metadata["epoch"], let epoch = Int(epochText) else {
            throw RecordError.invalid(path: path, reason: "no epoch in the checkpoint's metadata")
        }
        func load(_ name: String, into target: Tensor) throws {
            guard let saved = tensors[name] else { throw RecordError.invalid(path: path, reason: "tensor '\(name)' is missing") }
            guard saved.shape == target.shape else {
                throw RecordError.invalid(path: path, reason: "tensor '\(name)' has shape \(saved.shape), the model needs \(target.shape)")
            }
            target.copy(from: saved)
        }
        for parameter in model.parameters {
            try load(parameter.name, into: parameter.value)
            parameter.applyMaskToValue()
        }
        for (name, buffer) in model.buffers { try load(name, into: buffer) }
        let buffers: [Tensor?] = try optimizer.parameters.map { parameter in
            guard let buffer = tensors["momentum/\(parameter.name)"] else { return nil }
            guard buffer.shape == parameter.value.shape else {
                throw RecordError.invalid(
                    path: path, reason: "momentum of '\(parameter.name)' has shape \(buffer.shape), the model needs \(parameter.value.shape)")
            }
            return buffer
        }
        optimizer.restoreMomentumBuffers(buffers)
        return epoch
    }
}
