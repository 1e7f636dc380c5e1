import Datasets
import Dispatch
import TensorCore

/// Training batches prepared one step ahead: while the model computes on batch b, a background
/// thread gathers and transforms batch b + 1 (augmentation, or decoding image files) into a
/// second set of buffers.
///
/// Every batch's content depends only on (epoch, batch, master seed) — the shuffled order and
/// the augmentation streams — so preparing it early changes nothing in the results.
final class BatchPipeline {
    /// Two buffers: one being trained on, one being filled.
    private let buffers: [BatchIterator]
    private let masterSeed: UInt64
    private let queue = DispatchQueue(label: "widesparse.batch-preparation")

    init(data: SampleSource, batchSize: Int, masterSeed: UInt64) {
        buffers = [BatchIterator(data: data, batchSize: batchSize), BatchIterator(data: data, batchSize: batchSize)]
        self.masterSeed = masterSeed
    }

    var batchesPerEpoch: Int { buffers[0].batchesPerEpoch }
    var sampleCount: Int { buffers[0].data.count }

    /// Calls `body(batch, buffer)` for every batch of epoch `epoch` in order, with the buffer's
    /// images [B, C, H, W] and labels ready; the next batch is prepared meanwhile. A batch that
    /// cannot be prepared (an unreadable image file) ends the epoch with its error.
    func forEachBatch(epoch: Int, _ body: (Int, BatchIterator) throws -> Void) throws {
        let order = buffers[0].order(epoch: epoch, masterSeed: masterSeed, shuffle: true)
        let batches = batchesPerEpoch
        let masterSeed = self.masterSeed
        try buffers[0].load(batch: 0, of: order, epoch: epoch, masterSeed: masterSeed)
        for batch in 0..<batches {
            let pending = DispatchGroup()
            nonisolated(unsafe) var failure: Error?
            if batch + 1 < batches {
                // The buffer for batch + 1 was last used by batch - 1, whose step has finished.
                nonisolated(unsafe) let next = buffers[(batch + 1) % 2]
                queue.async(group: pending) {
                    do { try next.load(batch: batch + 1, of: order, epoch: epoch, masterSeed: masterSeed) } catch { failure = error }
                }
            }
            do {
                try body(batch, buffers[batch % 2])
            } catch {
                pending.wait()  // the next batch's preparation must not outlive this call
                throw error
            }
            pending.wait()
            if let failure { throw failure }
        }
    }
}
