import TensorCore

extension ImageSet {
    /// A random training subset of `size` samples, drawn uniformly without replacement from
    /// the stream ("train-subset") of `masterSeed`, kept in their original order.
    public func randomSubset(size: Int, masterSeed: UInt64) throws -> ImageSet {
        guard size >= 1 && size <= count else {
            throw DatasetError.invalidOption(field: "train-subset", expected: "a size in 1...\(count)", found: "\(size)")
        }
        var random = RandomStream(masterSeed: masterSeed, purpose: "train-subset")
        return selecting(random.subset(of: size, from: count))
    }
}

/// Mini-batches of a sample source, gathered into tensors that are reused from batch to batch.
///
/// The order for epoch e is a permutation drawn from the stream ("data-order", e) of the master
/// seed, so any epoch's order can be recomputed when a run resumes. The last batch is smaller
/// when the batch size does not divide the set (PyTorch's drop_last=False).
public final class BatchIterator {
    public let data: SampleSource
    public let batchSize: Int
    /// [B, C, H, W]
    public let images: Tensor
    /// B labels
    public private(set) var labels: [Int32]

    public init(data: SampleSource, batchSize: Int) {
        precondition(batchSize >= 1, "batch size must be positive")
        self.data = data
        self.batchSize = batchSize
        images = Tensor(shape: [min(batchSize, data.count)] + data.sampleShape)
        labels = []
        labels.reserveCapacity(batchSize)
    }

    public var batchesPerEpoch: Int { (data.count + batchSize - 1) / batchSize }

    /// The sample order of epoch `epoch`: shuffled, or 0..<N when `shuffle` is false.
    public func order(epoch: Int, masterSeed: UInt64, shuffle: Bool) -> [Int] {
        guard shuffle else { return Array(0..<data.count) }
        var random = RandomStream(masterSeed: masterSeed, purpose: "data-order", indices: [UInt64(epoch)])
        return random.permutation(of: data.count)
    }

    /// Gathers (and, for training sources, transforms) batch `batch` of `order` into `images`
    /// and `labels`.
    public func load(batch: Int, of order: [Int], epoch: Int = 0, masterSeed: UInt64 = 0) throws {
        let start = batch * batchSize
        let end = min(start + batchSize, order.count)
        images.reshape(to: [end - start] + data.sampleShape)
        labels.removeAll(keepingCapacity: true)
        for index in order[start..<end] { labels.append(data.label(at: index)) }
        try data.load(order[start..<end], into: images, epoch: epoch, batch: batch, masterSeed: masterSeed)
    }
}
