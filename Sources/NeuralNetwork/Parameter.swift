import TensorCore

/// What a parameter is; only `.weight` (of a convolution or fully connected layer) counts
/// toward a model's weight budget and may carry a mask (docs/method.md section 1).
public enum ParameterRole: String, Codable, Sendable {
    case weight, bias, batchNormScale, batchNormShift
}

/// A trainable tensor with its gradient and an optional fixed 0/1 mask.
///
/// Masked entries are 0 in `value` once the mask is set, 0 in `gradient` after every backward
/// pass (layers call `maskGradient()`), and the optimizer re-applies the mask after each step.
public final class Parameter {
    public let name: String
    public let role: ParameterRole
    public let value: Tensor
    public let gradient: Tensor
    /// 1 where the entry is kept, 0 where it is removed; same shape as `value`.
    public private(set) var mask: Tensor?
    /// The number of kept entries (all of them when there is no mask).
    public private(set) var keptCount: Int
    /// True when `gradient` holds nothing from the current step: the next layer to write it
    /// overwrites instead of accumulating, which spares a memset of every gradient per step.
    public var gradientIsStale = true

    public init(name: String, role: ParameterRole, shape: [Int]) {
        self.name = name
        self.role = role
        self.value = Tensor(shape: shape)
        self.gradient = Tensor(shape: shape)
        self.keptCount = value.count
    }

    /// Kept entries / all entries (1 for a dense parameter).
    public var connectivity: Double {
        value.count == 0 ? 1 : Double(keptCount) / Double(value.count)
    }

    /// Attaches a fixed mask (entries exactly 0 or 1) and zeroes the removed values.
    public func setMask(_ newMask: Tensor) {
        precondition(newMask.shape == value.shape, "mask shape \(newMask.shape) != \(value.shape)")
        var kept = 0
        newMask.withUnsafeBufferPointer { entries in
            for entry in entries {
                precondition(entry == 0 || entry == 1, "mask entries must be 0 or 1, found \(entry)")
                if entry == 1 { kept += 1 }
            }
        }
        mask = newMask
        keptCount = kept
        applyMaskToValue()
    }

    /// value *= mask.
    public func applyMaskToValue() {
        guard let mask else { return }
        multiply(value, by: mask)
    }

    /// gradient *= mask.
    public func maskGradient() {
        guard let mask else { return }
        multiply(gradient, by: mask)
    }

    /// Frees value, gradient and mask (a `SparseLinear` holds the kept entries now); the
    /// parameter must not be trained or read afterwards.
    public func releaseStorage() {
        value.releaseStorage()
        gradient.releaseStorage()
        mask = nil
    }

    /// Marks the gradient as holding nothing for the coming step.
    public func zeroGradient() { gradientIsStale = true }

    /// The gradient, with a stale one zero-filled first (for readers such as the optimizer).
    public func currentGradient() -> Tensor {
        if gradientIsStale {
            gradient.fill(0)
            gradientIsStale = false
        }
        return gradient
    }
}

private func multiply(_ tensor: Tensor, by mask: Tensor) {
    let values = tensor.pointer
    let keep = mask.pointer
    for i in 0..<tensor.count { values[i] *= keep[i] }
}
