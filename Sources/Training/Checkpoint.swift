import Foundation
import NeuralNetwork
import RunRecords
import TensorCore

/// A run's state after an epoch in one safetensors file: parameters by name, batch-norm buffers,
/// momentum buffers ("momentum/<parameter name>"), and in the metadata the epoch and an FNV-1a
/// checksum of every tensor, so that a changed or truncated checkpoint is refused on resume.
public enum Checkpoint {
    /// Format 2 carries the checksum; format 1 (earlier runs) has none and is still read.
    static let format = "widesparse-checkpoint-2"

    public static func save(to path: String, epoch: Int, model: Layer, optimizer: SGD) throws {
        var tensors: [(name: String, tensor: Tensor)] = model.parameters.map { ($0.name, $0.value) }
        tensors += model.buffers
        for (parameter, buffer) in zip(optimizer.parameters, optimizer.momentumBuffers) {
            if let buffer { tensors.append(("momentum/\(parameter.name)", buffer)) }
        }
        let data = try SafeTensors.encode(
            tensors, metadata: ["epoch": "\(epoch)", "format": format, "fnv1a64": checksum(Dictionary(tensors, uniquingKeysWith: { a, _ in a }))])
        try RecordFiles.writeAtomically(data, to: path)
    }

    /// Loads the state into `model` and `optimizer` and returns the number of finished epochs
    /// (checked to lie in 0...`epochs`).
    public static func restore(from path: String, model: Layer, optimizer: SGD, epochs: Int) throws -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { throw RecordError.missing(path: path) }
        let (tensors, metadata) = try SafeTensors.decode(data, path: path)
        guard let epochText = metadata["epoch"], let epoch = Int(epochText), (0...epochs).contains(epoch) else {
            throw RecordError.invalid(path: path, reason: "expected an epoch in 0...\(epochs) in the checkpoint's metadata, found \(metadata["epoch"].map { "'\($0)'" } ?? "none")")
        }
        switch metadata["format"] {
        case "widesparse-checkpoint-1"?: break
        case format?:
            let stored = metadata["fnv1a64"] ?? "none"
            let computed = checksum(tensors)
            guard stored == computed else {
                throw RecordError.invalid(
                    path: path, reason: "expected the checksum \(stored) it was written with, found \(computed) (the file was changed or damaged; "
                        + "start the run again with --restart)")
            }
        default:
            throw RecordError.invalid(path: path, reason: "expected the format \(format), found \(metadata["format"].map { "'\($0)'" } ?? "none")")
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

    /// FNV-1a over every tensor's name, shape and little-endian float bytes, in name order, as 16 hex digits.
    static func checksum(_ tensors: [String: Tensor]) -> String {
        var bytes: [UInt8] = []
        for name in tensors.keys.sorted() {
            let tensor = tensors[name]!
            bytes += Array(name.utf8) + [0]
            for size in tensor.shape { withUnsafeBytes(of: UInt64(size).littleEndian) { bytes += $0 } }
            tensor.withUnsafeBufferPointer { bytes += UnsafeRawBufferPointer($0) }
        }
        return fnv1a64Hex(fnv1a64(bytes: bytes))
    }
}
