/// A dense, row-major array of `Float` with a shape.
///
/// `Tensor` is a reference type on purpose: a layer owns the tensors it writes (its output,
/// its input gradient) and hands out references to them, so a training step reuses the same
/// memory batch after batch instead of allocating. A tensor returned by a layer stays valid
/// until that layer's next call; whoever needs it longer copies it.
///
/// Images are [N, C, H, W]; matrices are [rows, columns]; a batch of vectors is [N, features].
public final class Tensor {
    /// The extent of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The number of elements (the product of `shape`).
    public private(set) var count: Int
    /// Storage; its capacity may exceed `count` after a tensor was shrunk by `reshape(to:)`.
    private var storage: UnsafeMutableBufferPointer<Float>

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = .allocate(capacity: max(count, 1))
        storage.initialize(repeating: value)
    }

    /// A tensor of the given shape holding `scalars` (row-major).
    public convenience init(shape: [Int], scalars: [Float]) {
        self.init(shape: shape)
        precondition(scalars.count == count, "\(scalars.count) scalars do not fill shape \(shape)")
        scalars.withUnsafeBufferPointer { source in
            _ = UnsafeMutableBufferPointer(rebasing: storage[0..<count]).initialize(from: source)
        }
    }

    deinit { storage.deallocate() }

    /// Changes the shape, keeping the memory when it is large enough; contents are unspecified
    /// afterwards unless the element count is unchanged.
    public func reshape(to newShape: [Int]) {
        if newShape == shape { return }
        let newCount = newShape.reduce(1, *)
        if newCount > storage.count {
            storage.deallocate()
            storage = .allocate(capacity: newCount)
            storage.initialize(repeating: 0)
        }
        shape = newShape
        count = newCount
    }

    /// Frees the memory and leaves an empty tensor of shape [0] (for storage another object has
    /// taken over, e.g. a dense weight replaced by its kept entries).
    public func releaseStorage() {
        storage.deallocate()
        storage = .allocate(capacity: 1)
        storage.initialize(repeating: 0)
        shape = [0]
        count = 0
    }

    /// The elements as an array (a copy).
    public var scalars: [Float] { Array(UnsafeBufferPointer(rebasing: storage[0..<count])) }

    /// Element `index` in row-major order.
    public subscript(index: Int) -> Float {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// Read-only access to the `count` elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(rebasing: rawStorage[0..<count]))
    }

    /// Read-write access to the `count` elements.
    @inlinable
    public func withUnsafeMutableBufferPointer<R>(
        _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try body(UnsafeMutableBufferPointer(rebasing: rawStorage[0..<count]))
    }

    /// The base address, for kernels that take raw pointers.
    public var pointer: UnsafeMutablePointer<Float> { storage.baseAddress! }

    @usableFromInline var rawStorage: UnsafeMutableBufferPointer<Float> { storage }

    /// Sets every element to `value`.
    public func fill(_ value: Float) {
        withUnsafeMutableBufferPointer { $0.update(repeating: value) }
    }

    /// Copies shape and contents of `other` into this tensor.
    public func copy(from other: Tensor) {
        reshape(to: other.shape)
        pointer.update(from: other.pointer, count: count)
    }

    /// A new tensor with the same shape and contents.
    public func clone() -> Tensor {
        let result = Tensor(shape: shape)
        result.pointer.update(from: pointer, count: count)
        return result
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { "\($0)" }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", ..." : "")])"
    }
}
