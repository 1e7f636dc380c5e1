/// One line of a run's metrics.jsonl: the state after `epoch` (counted from 1).
public struct EpochMetrics: Codable, Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Double
    /// Mean loss and accuracy over the epoch's training batches, as they were trained.
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// Wall-clock seconds of this epoch (training and evaluation).
    public var seconds: Double

    public init(
        epoch: Int, learningRate: Double, trainLoss: Double, trainAccuracy: Double, testLoss: Double,
        testAccuracy: Double, validationLoss: Double?, validationAccuracy: Double?, seconds: Double
    ) {
        self.epoch = epoch
        self.learningRate = learningRate
        self.trainLoss = trainLoss
        self.trainAccuracy = trainAccuracy
        self.testLoss = testLoss
        self.testAccuracy = testAccuracy
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.seconds = seconds
    }
}

/// The weights of one layer.
public struct LayerWeights: Codable, Equatable, Sendable {
    public var name: String
    public var shape: [Int]
    public var dense: Int
    public var kept: Int
    public var connectivity: Double
    /// Output units (channels) left with no incoming weight by the mask.
    public var outputsWithoutInputs: Int
    /// Input units (channels) whose value no kept weight reads.
    public var inputsWithoutOutputs: Int
    /// "dense" (masked dense maths) or "sparse" (kept weights only), when recorded.
    public var execution: String?

    public init(name: String, shape: [Int], dense: Int, kept: Int, outputsWithoutInputs: Int = 0, inputsWithoutOutputs: Int = 0) {
        self.name = name
        self.shape = shape
        self.dense = dense
        self.kept = kept
        self.connectivity = dense == 0 ? 1 : Double(kept) / Double(dense)
        self.outputsWithoutInputs = outputsWithoutInputs
        self.inputsWithoutOutputs = inputsWithoutOutputs
    }
}

/// A finished run's result.json; its presence marks the run done.
public struct RunResult: Codable, Equatable, Sendable {
    /// The best test accuracy over all epochs (the paper's measure; no early stopping).
    public var bestTestAccuracy: Double
    public var bestTestEpoch: Int
    public var finalTestAccuracy: Double
    public var finalTrainAccuracy: Double
    public var bestTrainAccuracy: Double
    /// Test accuracy at the epoch with the best validation accuracy, when a validation part exists.
    public var testAccuracyAtBestValidation: Double?
    public var bestValidationAccuracy: Double?
    public var layers: [LayerWeights]
    public var totalWeights: Int
    /// Weights / weights of the dense model of the same width.
    public var connectivity: Double
    public var epochs: Int
    public var trainingSeconds: Double

    public init(
        bestTestAccuracy: Double, bestTestEpoch: Int, finalTestAccuracy: Double, finalTrainAccuracy: Double,
        bestTrainAccuracy: Double, testAccuracyAtBestValidation: Double?, bestValidationAccuracy: Double?,
        layers: [LayerWeights], epochs: Int, trainingSeconds: Double
    ) {
        self.bestTestAccuracy = bestTestAccuracy
        self.bestTestEpoch = bestTestEpoch
        self.finalTestAccuracy = finalTestAccuracy
        self.finalTrainAccuracy = finalTrainAccuracy
        self.bestTrainAccuracy = bestTrainAccuracy
        self.testAccuracyAtBestValidation = testAccuracyAtBestValidation
        self.bestValidationAccuracy = bestValidationAccuracy
        self.layers = layers
        self.totalWeights = layers.map(\.kept).reduce(0, +)
        let dense = layers.map(\.dense).reduce(0, +)
        self.connectivity = dense == 0 ? 1 : Double(totalWeights) / Double(dense)
        self.epochs = epochs
        self.trainingSeconds = trainingSeconds
    }

    /// The result summarised from a run's per-epoch metrics.
    public init(metrics: [EpochMetrics], layers: [LayerWeights]) {
        precondition(!metrics.isEmpty, "a result needs at least one epoch")
        let bestTest = metrics.max { $0.testAccuracy < $1.testAccuracy }!  // first of equals
        let bestValidation = metrics.contains { $0.validationAccuracy != nil }
            ? metrics.max { ($0.validationAccuracy ?? 0) < ($1.validationAccuracy ?? 0) } : nil
        self.init(
            bestTestAccuracy: bestTest.testAccuracy, bestTestEpoch: bestTest.epoch,
            finalTestAccuracy: metrics.last!.testAccuracy, finalTrainAccuracy: metrics.last!.trainAccuracy,
            bestTrainAccuracy: metrics.map(\.trainAccuracy).max()!,
            testAccuracyAtBestValidation: bestValidation?.testAccuracy,
            bestValidationAccuracy: bestValidation?.validationAccuracy,
            layers: layers, epochs: metrics.count, trainingSeconds: metrics.map(\.seconds).reduce(0, +))
    }
}
