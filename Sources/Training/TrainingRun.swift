import Choices
import Datasets
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore

/// One training run (MLP-1 or ResNet-18) that lives in a `RunDirectory` (its files are listed
/// there and in docs/run-folder.md). Every file is written atomically. Started again on the same
/// directory, a finished run returns its result and an interrupted one continues from its last
/// checkpoint, bit for bit as if it had never stopped (each epoch's data order is a pure
/// function of the seed and the epoch).
public final class TrainingRun {
    public let config: RunConfig
    public let directory: String
    /// The budget as asked for (recorded in run-info.json and TensorBoard's hparams); nil when
    /// the run was made from a config alone.
    public let budget: RequestedBudget?

    public init(config: RunConfig, directory: String, budget: RequestedBudget? = nil) {
        self.config = config
        self.directory = directory
        self.budget = budget
    }

    public var folder: RunDirectory { RunDirectory(directory) }
    public var configPath: String { folder.path(.config) }
    public var metricsPath: String { folder.path(.metrics) }
    public var checkpointPath: String { folder.path(.checkpoint) }
    public var masksPath: String { folder.path(.masks) }
    public var resultPath: String { folder.path(.result) }
    public var eventsPath: String { folder.path(.events) }
    public var divergedPath: String { folder.path(.diverged) }
    public var runInfoPath: String { folder.path(.runInfo) }

    /// The divergence record of a run that diverged, if there is one.
    public func existingDivergence() -> RunDivergence? { folder.divergence() }

    /// A stable 12-hex-digit id of a config: the same settings always give the same id.
    public static func identifier(of config: RunConfig) -> String {
        let data = (try? RecordFiles.encode(config)) ?? Data()
        let hash = fnv1a64(String(decoding: data, as: UTF8.self))
        return String(String(hash, radix: 16).leftPadded(to: 16).prefix(12))
    }

    /// The result of a finished run in this directory, if there is one.
    public func existingResult() -> RunResult? { folder.result() }

    /// Removes what training wrote in `directory` (keeping config.json and logs), so the run starts again.
    public static func clear(directory: String) throws { try RunDirectory(directory).clearTraining() }

    /// Trains (or resumes) the run and returns its result. `restart` discards earlier files.
    /// `stopAfterEpochs` ends this call early, checkpointed, after that many epochs in total (for
    /// jobs with a time limit); the result is then nil and a later call continues. `execution`
    /// picks each layer's path (`auto` times them with `calibration`, a cache on disk).
    @discardableResult
    public func run(
        cache: DatasetCache = DatasetCache(), restart: Bool = false, stopAfterEpochs: Int? = nil,
        execution: ExecutionChoice = .dense, calibration: ExecutionCalibration = .shared, onEvent: (TrainingEvent) -> Void = { _ in }
    ) throws -> RunResult? {
        try config.validate()
        if restart { try TrainingRun.clear(directory: directory) }
        RecordFiles.removeStaleTemporaries(in: directory)
        if FileManager.default.fileExists(atPath: configPath) {
            let previous = try RecordFiles.readJSON(RunConfig.self, from: configPath)
            guard previous == config else {
                throw ConfigError(
                    field: "out", expected: "a new directory or one holding this same run (use --restart to replace it)",
                    found: "\(directory) holds a run with a different \(RunDirectory.File.config.rawValue)")
            }
            if let result = existingResult() { return result }
            // Training again would take the same steps to the same non-finite loss.
            if let divergence = existingDivergence() { throw RunDiverged(divergence: divergence, path: divergedPath) }
        }

        let data = try config.data.prepare(masterSeed: config.seed, cache: cache)
        var model = try buildModel(config.model, masterSeed: config.seed, sampleShape: data.train.sampleShape, classes: data.train.classCount)
        if config.model.record.normalisesBatches && data.train.count % config.training.batchSize == 1 {
            throw ConfigError(
                field: "batch-size", expected: "no training batch of a single sample with --batch-norm",
                found: "\(data.train.count) training samples in batches of \(config.training.batchSize)")
        }
        // Only a run that can start gets a directory.
        if !FileManager.default.fileExists(atPath: configPath) {
            try RecordFiles.writeJSON(config, to: configPath)
        }
        let executionRecord = try decideExecution(execution, for: model, sampleShape: data.train.sampleShape, calibration: calibration)
        model = try modelForExecution(executionRecord, model: model, sampleShape: data.train.sampleShape, classes: data.train.classCount)
        try recordMasks(of: model)
        // Weight counts (and disconnected units) of the masks, before sparse layers replace them.
        let layers = layerWeights(model)
        executionRecord.apply(to: model)
        let optimizer = SGD(
            parameters: model.parameters, learningRate: Float(config.training.learningRate),
            momentum: Float(config.training.momentum), nesterov: config.training.nesterov,
            weightDecay: Float(config.training.weightDecay))
        let trainer = Trainer(
            model: model, optimizer: optimizer, schedule: try config.training.scheduleValue(),
            baseLearningRate: config.training.learningRate, trainData: data.train,
            batchSize: config.training.batchSize, evaluationBatchSize: config.training.evalBatchSize, masterSeed: config.seed)

        var metrics: [EpochMetrics] = []
        if FileManager.default.fileExists(atPath: checkpointPath) {
            let epoch = try Checkpoint.restore(from: checkpointPath, model: model, optimizer: optimizer, epochs: config.training.epochs)
            let saved = FileManager.default.fileExists(atPath: metricsPath) ? try RecordFiles.readJSONLines(EpochMetrics.self, from: metricsPath) : []
            // Metrics are written before the checkpoint, so a run stopped between the two has one
            // record more than its checkpoint's epoch; any other difference means a file was replaced.
            guard saved.count == epoch || saved.count == epoch + 1 else {
                throw RecordError.invalid(
                    path: metricsPath,
                    reason: "expected \(epoch) or \(epoch + 1) epoch records (the checkpoint \(checkpointPath) is at epoch \(epoch)), "
                        + "found \(saved.count); one of the two files is from another point of the run: start it again with --restart")
            }
            metrics = Array(saved.prefix(epoch))
        }

        let epochs = config.training.epochs
        let lastEpoch = min(epochs, stopAfterEpochs ?? epochs)
        let startTime = startTimeOfRun()
        let hparams = self.hparams(layers: layers)
        if metrics.count < lastEpoch {
            try RecordFiles.writeJSON(
                runInfo(execution: execution, record: executionRecord, model: model, firstEpoch: metrics.count + 1), to: runInfoPath)
        }
        for epoch in metrics.count..<max(metrics.count, lastEpoch) {
            let start = Date()
            let train: Evaluation
            do {
                train = try trainer.trainEpoch(epoch) { batch, count in
                    onEvent(.batchFinished(epoch: epoch, batch: batch, batchesPerEpoch: count))
                }
            } catch let diverged as TrainingDiverged {
                let record = RunDivergence(epoch: diverged.epoch, step: diverged.step, loss: diverged.loss.isNaN ? "nan" : "\(diverged.loss)")
                try RecordFiles.writeJSON(record, to: divergedPath)
                throw RunDiverged(divergence: record, path: divergedPath)
            }
            let test = try trainer.evaluate(data.test)
            let validation = try data.validation.map { try trainer.evaluate($0) }
            let record = EpochMetrics(
                epoch: epoch + 1, learningRate: Double(optimizer.learningRate),
                trainLoss: train.loss, trainAccuracy: train.accuracy, testLoss: test.loss, testAccuracy: test.accuracy,
                validationLoss: validation?.loss, validationAccuracy: validation?.accuracy,
                seconds: Date().timeIntervalSince(start))
            metrics.append(record)
            // Metrics first, then the checkpoint that says how many of them count.
            try RecordFiles.writeJSONLines(metrics, to: metricsPath)
            try writeEvents(metrics, startTime: startTime, hparams: hparams)
            try Checkpoint.save(to: checkpointPath, epoch: epoch + 1, model: model, optimizer: optimizer)
            onEvent(.epochFinished(record, totalEpochs: epochs))
        }

        if metrics.count < epochs { return nil }
        let result = RunResult(metrics: metrics, layers: layers.map { layer in
            var layer = layer
            layer.execution = executionRecord.layers[layer.name]
            return layer
        })
        try RecordFiles.writeJSON(result, to: resultPath)
        return result
    }
}

/// A run stopped (now or in an earlier attempt) because its loss was not finite.
public struct RunDiverged: Error, Equatable, CustomStringConvertible {
    public let divergence: RunDivergence
    public let path: String

    public var description: String {
        "training diverged: the loss was \(divergence.loss) at step \(divergence.step) (epoch \(divergence.epoch &+ 1)), "
            + "recorded in \(path); try a smaller learning rate"
    }
}

extension TrainingRun {
    /// The run's start as Unix time: when config.json was first written (TensorBoard's time axis).
    func startTimeOfRun() -> Double {
        let attributes = try? FileManager.default.attributesOfItem(atPath: configPath)
        return (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? Date().timeIntervalSince1970
    }

    /// Rewrites the TensorBoard file from all metrics so far (so a resumed run's file holds every
    /// epoch exactly once); epoch k is stamped with the start time plus the seconds of epochs 1...k.
    func writeEvents(_ metrics: [EpochMetrics], startTime: Double, hparams: [(name: String, value: TensorBoardEvents.HParamValue)]) throws {
        var elapsed = 0.0
        let scalars = metrics.flatMap { epoch -> [TensorBoardEvents.Scalar] in
            elapsed += epoch.seconds
            return epoch.scalars(wallTime: startTime + elapsed)
        }
        try RecordFiles.writeAtomically(TensorBoardEvents.encode(scalars, fileStartTime: startTime, hparams: hparams), to: eventsPath)
    }

    /// Writes the model's masks to masks.safetensors, or, when the file exists (a resumed run),
    /// checks that it holds exactly these masks: a changed or foreign file is refused.
    func recordMasks(of model: WeightedModel) throws {
        let masked = model.weightParameters.map(\.parameter).filter { $0.mask != nil }
        guard !masked.isEmpty else { return }
        guard let data = FileManager.default.contents(atPath: masksPath) else {
            try RecordFiles.writeAtomically(MaskFile.encode(masked.map { ($0.name, $0.mask!) }), to: masksPath)
            return
        }
        let expected = masked.map { (name: $0.name, shape: $0.value.shape, kept: $0.keptCount) }
        let saved = try MaskFile.decode(data, path: masksPath, expected: expected)
        for (weight, mask) in zip(masked, saved) where mask.scalars != weight.mask!.scalars {
            throw RecordError.invalid(
                path: masksPath, reason: "the mask of '\(weight.name)' is not the one this run's seed draws; move the file away or use --restart")
        }
    }
}

/// Builds the model of `config` with its masks and initial values, checked against the data's
/// sample shape [C, H, W] and classes. `keptTaps`: a convolutional model in the batch-last
/// layout, whose convolutions can then run on their kept taps (`ConvolutionalModel.useKeptTaps`).
public func buildModel(_ config: ModelConfig, masterSeed: UInt64, sampleShape: [Int], classes: Int, keptTaps: Bool = false) throws -> WeightedModel {
    switch config {
    case .mlp(let mlp):
        return try buildMLP(mlp, masterSeed: masterSeed, sampleSize: sampleShape.reduce(1, *), classes: classes)
    case .resnet18(let resnet):
        return try buildResNet(resnet, masterSeed: masterSeed, sampleShape: sampleShape, classes: classes, layout: keptTaps ? .batchLast : nil)
    case .vgg(let vgg):
        return try buildVGG(vgg, masterSeed: masterSeed, sampleShape: sampleShape, classes: classes, layout: keptTaps ? .batchLast : nil)
    }
}

/// A ResNet-18: layers, masks (stream "mask" or "mask-io-only"), then mask-aware initial values.
public func buildResNet(
    _ config: ResNetModelConfig, masterSeed: UInt64, sampleShape: [Int], classes: Int, layout: ImageLayout? = nil
) throws -> ResNet18 {
    try config.validate()
    try checkImages(inputChannels: config.inputChannels, classes: config.classes, sampleShape: sampleShape, dataClasses: classes)
    let model = ResNet18(
        width: config.width, inputChannels: config.inputChannels, classes: config.classes, form: config.form, stageWidths: config.stageWidths,
        layout: layout, convolution: config.convolutionAlgorithm, bottleneck: config.bottleneckValue)
    try maskAndInitialise(model, record: config, masterSeed: masterSeed)
    return model
}

/// A VGG: layers, masks (stream "mask" or "mask-io-only"), then mask-aware initial values.
public func buildVGG(_ config: VGGModelConfig, masterSeed: UInt64, sampleShape: [Int], classes: Int, layout: ImageLayout? = nil) throws -> VGG {
    try config.validate()
    try checkImages(inputChannels: config.inputChannels, classes: config.classes, sampleShape: sampleShape, dataClasses: classes)
    let model = VGG(
        variant: config.variant, width: config.width, inputChannels: config.inputChannels, classes: config.classes, layout: layout,
        convolution: config.convolution ?? .winograd, bottleneck: config.bottleneck?.sizes)
    try maskAndInitialise(model, record: config, masterSeed: masterSeed)
    return model
}

/// Checks a convolutional model's input channels and classes against the data's [C, H, W] and classes.
func checkImages(inputChannels: Int, classes: Int, sampleShape: [Int], dataClasses: Int) throws {
    guard inputChannels == sampleShape[0] else {
        throw ConfigError(field: "input-channels", expected: "\(sampleShape[0]) (the channels of the data)", found: "\(inputChannels)")
    }
    guard classes == dataClasses else {
        throw ConfigError(field: "classes", expected: "\(dataClasses) (the classes of the data)", found: "\(classes)")
    }
}

/// Draws the masks the record asks for (none for a bottleneck model), then the mask-aware
/// initial values. io-only removals must be whole k x k kernels.
func maskAndInitialise(_ model: WeightedModel, record: any ModelRecord, masterSeed: UInt64) throws {
    if record.bottleneck == nil {
        let pattern = record.maskPattern
        for (shape, removed) in zip(model.weightParameters.map(\.shape), record.removedWeights)
        where pattern == .ioOnly && removed % shape.kernelSize != 0 {
            throw ConfigError(
                field: "removed", expected: "whole kernels of \(shape.kernelSize) weights for \(shape.name) with io-only masks", found: "\(removed)")
        }
        applyMasks(to: model.weightParameters, removals: record.removedWeights, pattern: pattern, masterSeed: masterSeed)
    }
    model.initialise(masterSeed: masterSeed)
}

/// Builds the MLP-1 of `config`: layers, masks (stream "mask"), then mask-aware initial values
/// (stream "init"). Checks the input size and classes against the data.
public func buildMLP(_ config: MLPModelConfig, masterSeed: UInt64, sampleSize: Int, classes: Int) throws -> MLP {
    try config.validate()
    guard config.inputSize == sampleSize else {
        throw ConfigError(field: "input-size", expected: "\(sampleSize) (the pixels per sample of the data)", found: "\(config.inputSize)")
    }
    guard config.classes == classes else {
        throw ConfigError(field: "classes", expected: "\(classes) (the classes of the data)", found: "\(config.classes)")
    }
    let model = MLP(config)
    // Bottleneck models have no masks.
    if config.bottleneck == nil { applyMasks(to: model.weightLayers, removals: config.removedWeights, masterSeed: masterSeed) }
    model.initialise(masterSeed: masterSeed)
    return model
}

/// Dense and kept weights of each weight layer, and the units its mask disconnects.
public func layerWeights(_ model: WeightedModel) -> [LayerWeights] {
    model.weightParameters.map { weight, shape in
        let disconnected = weight.mask.map { DisconnectedUnits(mask: $0, layer: shape) }
        return LayerWeights(
            name: weight.name, shape: weight.value.shape, dense: weight.value.count, kept: weight.keptCount,
            outputsWithoutInputs: disconnected?.outputsWithoutInputs ?? 0,
            inputsWithoutOutputs: disconnected?.inputsWithoutOutputs ?? 0)
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
