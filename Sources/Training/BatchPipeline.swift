import Datasets
import Dispatch
import TensorCore

/// Training batches prepared one step ahead: while the model computes on batch b, a background
/// thread gathers and augments batch b + 1 into a second set of buffers.
///
/// Every batch's content depends only on (epoch, batch, master seed) — the shuffled order and
/// the augmentation streams — so preparing it early changes nothing in the results.
final class BatchPipeline {
    /// Two buffers: one being trained on, one being filled.
    private let buffers: [BatchIterator]
    private let augmentation: Augmentation?
    private let masterSeed: UInt64
    private let queue = DispatchQueue(label: "widesparse.batch-preparation")

    init(data: ImageSet, batchSize: Int, augmentation: Augmentation?, masterSeed: UInt64) {
        buffers = [BatchIterator(data: data, batchSize: batchSize), BatchIterator(data: data, batchSize: batchSize)]
        self.augmentation = augmentation
        self.masterSeed = masterSeed
    }

    var batchesPerEpoch: Int { buffers[0].batchesPerEpoch }
    var sampleCount: Int { buffers[0].data.count }

    /// Calls `body(batch, buffer)` for every batch of epoch `epoch` in order, with the buffer's
    /// images [B, C, H, W] and labels ready; the next batch is prepared meanwhile.
    func forEachBatch(epoch: Int, _ body: (Int, BatchIterator) -> Void) {
        let order = buffers[0].order(epoch: epoch, masterSeed: masterSeed, shuffle: true)
        let batches = batchesPerEpoch
        prepare(batch: 0, of: order, epoch: epoch, into: buffers[0])
        for batch in 0..<batches {
            let pending = DispatchGroup()
            if batch + 1 < batches {
                // The buffer for batch + 1 was last used by batch - 1, whose step has finished.
                nonisolated(unsafe) let next = buffers[(batch + 1) % 2]
                nonisolated(unsafe) let unsafeSelf = self
                queue.async(group: pending) { unsafeSelf.prepare(batch: batch + 1, of: order, epoch: epoch, into: next) }
            }
            body(batch, buffers[batch % 2])
            pending.wait()
        }
    }

    private func prepare(batch: Int, of order: [Int], epoch: Int, into buffer: BatchIterator) {
        buffer.load(batch: batch, of: order)
        augmentation?.apply(to: buffer.images, epoch: epoch, batch: batch, masterSeed: masterSeed)
    }
}
