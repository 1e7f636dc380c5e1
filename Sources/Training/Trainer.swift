import Datasets
import Foundation
import NeuralNetwork
import RunRecords
import TensorCore

/// Progress reported while training; the CLI turns it into a progress bar or log lines.
public enum TrainingEvent {
    case batchFinished(epoch: Int, batch: Int, batchesPerEpoch: Int)
    case epochFinished(EpochMetrics, totalEpochs: Int)
}

/// Training met a loss that is not a finite number (NaN or infinity); no step was taken with it.
public struct TrainingDiverged: Error, Equatable, CustomStringConvertible {
    /// 0-based epoch.
    public let epoch: Int
    /// 1-based optimisation step over the whole run.
    public let step: Int
    public let loss: Double

    public var description: String {
        "training diverged: the loss was \(loss) at step \(step) (epoch \(epoch + 1)); try a smaller learning rate"
    }
}

/// Loss and accuracy over a data set.
public struct Evaluation: Equatable, Sendable {
    public var loss: Double
    public var accuracy: Double
}

/// Trains a classifier with SGD on mini-batches and evaluates it after every epoch.
public final class Trainer {
    public let model: Layer
    public let optimizer: SGD
    public let schedule: LearningRateSchedule
    public let baseLearningRate: Double
    public let masterSeed: UInt64
    private let trainBatches: BatchPipeline
    private let evaluationBatchSize: Int
    private let loss = SoftmaxCrossEntropy()
    private let step: TrainingStep

    public init(
        model: Layer, optimizer: SGD, schedule: LearningRateSchedule, baseLearningRate: Double,
        trainData: SampleSource, batchSize: Int, evaluationBatchSize: Int, masterSeed: UInt64
    ) {
        self.model = model
        self.optimizer = optimizer
        self.schedule = schedule
        self.baseLearningRate = baseLearningRate
        self.masterSeed = masterSeed
        self.trainBatches = BatchPipeline(data: trainData, batchSize: batchSize, masterSeed: masterSeed)
        self.evaluationBatchSize = evaluationBatchSize
        self.step = TrainingStep(model: model, optimizer: optimizer)
    }

    /// Trains one epoch (0-based `epoch`) in the order drawn for it and returns the mean loss and
    /// accuracy over its batches, as they were trained.
    public func trainEpoch(_ epoch: Int, onBatch: (Int, Int) -> Void = { _, _ in }) throws -> Evaluation {
        optimizer.learningRate = Float(schedule.learningRate(base: baseLearningRate, epoch: epoch))
        var lossSum = 0.0
        var correct = 0
        let batches = trainBatches.batchesPerEpoch
        try trainBatches.forEachBatch(epoch: epoch) { batch, data in
            let result = data.labels.withUnsafeBufferPointer { step(data.images, labels: $0) }
            // A non-finite loss would have turned every weight into NaN: the step left them, and training stops.
            guard result.loss.isFinite else {
                throw TrainingDiverged(epoch: epoch, step: epoch * batches + batch + 1, loss: result.loss)
            }
            lossSum += result.loss * Double(data.labels.count)
            correct += result.correct
            onBatch(batch, batches)
        }
        let count = Double(trainBatches.sampleCount)
        return Evaluation(loss: lossSum / count, accuracy: Double(correct) / count)
    }

    /// Mean loss and accuracy on `data` in evaluation mode.
    public func evaluate(_ data: SampleSource) throws -> Evaluation {
        let batches = BatchIterator(data: data, batchSize: evaluationBatchSize)
        let order = batches.order(epoch: 0, masterSeed: masterSeed, shuffle: false)
        var lossSum = 0.0
        var correct = 0
        for batch in 0..<batches.batchesPerEpoch {
            try batches.load(batch: batch, of: order, masterSeed: masterSeed)
            let logits = model.forward(batches.images, mode: .evaluation)
            let result = batches.labels.withUnsafeBufferPointer { loss(logits: logits, labels: $0) }
            lossSum += result.loss * Double(batches.labels.count)
            correct += result.correct
        }
        return Evaluation(loss: lossSum / Double(data.count), accuracy: Double(correct) / Double(data.count))
    }
}
