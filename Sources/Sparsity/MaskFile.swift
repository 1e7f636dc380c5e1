import Foundation
import TensorCore

/// A run's masks in one safetensors file (0/1 float32 tensors named by layer, readable from
/// Python), with each mask's kept count and FNV-1a checksum in the metadata so that a mask that
/// was changed, truncated or belongs to another model is refused on load.
public enum MaskFile {
    public static func encode(_ masks: [(name: String, mask: Tensor)]) throws -> Data {
        var metadata = ["format": "widesparse-masks-1"]
        for (name, mask) in masks {
            metadata["\(name).kept"] = "\(keptCount(mask))"
            metadata["\(name).fnv1a64"] = checksum(mask)
        }
        return try SafeTensors.encode(masks.map { ($0.name, $0.mask) }, metadata: metadata)
    }

    /// The masks of `path`, checked against the layers they are for: (name, shape, kept count).
    public static func decode(_ data: Data, path: String, expected: [(name: String, shape: [Int], kept: Int)]) throws -> [Tensor] {
        let (tensors, metadata) = try SafeTensors.decode(data, path: path)
        func refuse(_ expected: String, _ found: String) -> SafeTensorsError {
            SafeTensorsError(path: path, expected: expected, found: found)
        }
        return try expected.map { layer in
            guard let mask = tensors[layer.name] else { throw refuse("a mask for layer '\(layer.name)'", "none") }
            guard mask.shape == layer.shape else {
                throw refuse("mask '\(layer.name)' of shape \(layer.shape)", "shape \(mask.shape)")
            }
            guard mask.scalars.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw refuse("mask '\(layer.name)' of 0s and 1s", "other values")
            }
            let kept = keptCount(mask)
            guard kept == layer.kept else { throw refuse("\(layer.kept) kept weights in mask '\(layer.name)'", "\(kept)") }
            let written = metadata["\(layer.name).kept"] ?? "none"
            guard written == "\(kept)" else {
                throw refuse("the kept count \(kept) of mask '\(layer.name)' in its metadata", "\(written) (the file was changed)")
            }
            let stored = metadata["\(layer.name).fnv1a64"] ?? "none"
            guard stored == checksum(mask) else {
                throw refuse("mask '\(layer.name)' with checksum \(stored) as written", "checksum \(checksum(mask)) (the file was changed)")
            }
            return mask
        }
    }

    static func keptCount(_ mask: Tensor) -> Int {
        mask.withUnsafeBufferPointer { $0.reduce(0) { $0 + ($1 == 1 ? 1 : 0) } }
    }

    /// FNV-1a of the mask's little-endian float bytes, as 16 hex digits.
    static func checksum(_ mask: Tensor) -> String {
        fnv1a64Hex(mask.withUnsafeBufferPointer { fnv1a64(bytes: UnsafeRawBufferPointer($0)) })
    }
}
