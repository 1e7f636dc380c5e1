import Choices
import Foundation
import RunRecords
import TensorCore
import Testing
import Training

/// A small MLP-1 run on mnist5k.
func mnist5kConfig(width: Int = 64, removed: [Int] = [0, 0], epochs: Int, subset: Int? = nil, seed: UInt64 = 0) -> RunConfig {
    RunConfig(
        model: .mlp(MLPModelConfig(
            inputSize: 784, width: width, classes: 10, bias: true, activation: .relu, batchNorm: false,
            parameterisation: .standard, initDistribution: .uniform, removedWeights: removed)),
        data: DataConfig(dataset: .mnist5k, location: nil, trainSubset: subset, validationSize: 0, normalisation: .fixed, mean: 0.1307, std: 0.3081),
        training: TrainingConfig(
            epochs: epochs, batchSize: 100, evalBatchSize: 1000, learningRate: 0.1, momentum: 0, nesterov: false,
            weightDecay: 0, schedule: .constant, milestones: [], gamma: 0.1),
        seed: seed)
}

/// Metrics without the wall-clock times, for bitwise comparison.
func numbers(_ metrics: [EpochMetrics]) -> [[Double]] {
    metrics.map { [$0.trainLoss, $0.trainAccuracy, $0.testLoss, $0.testAccuracy, $0.learningRate] }
}

@Suite("Training runs", .serialized)
struct TrainingTests {
    @Test("A dense width-64 MLP-1 reaches at least 90 % test accuracy on mnist5k")
    func realTrainingRun() throws {
        let directory = temporaryFolder()
        let result = try TrainingRun(config: mnist5kConfig(epochs: 10), directory: directory).run()!
        #expect(result.bestTestAccuracy >= 0.90)
        #expect(result.totalWeights == 784 * 64 + 64 * 10)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/result.json"))
        let metrics = try RecordFiles.readJSONLines(EpochMetrics.self, from: "\(directory)/metrics.jsonl")
        #expect(metrics.count == 10)
    }

    @Test("A sparse model trains with exactly its budget of non-zero weights")
    func sparseRun() throws {
        let directory = temporaryFolder()
        // Width 80 at 3970 weights, last layer dense: first layer keeps 3170 of 62720.
        let config = mnist5kConfig(width: 80, removed: [62720 - 3170, 0], epochs: 3)
        let result = try TrainingRun(config: config, directory: directory).run()!
        #expect(result.totalWeights == 3970)
        #expect(result.layers.map(\.kept) == [3170, 800])
        #expect(result.bestTestAccuracy > 0.5)
        // The trained weights themselves: exactly the budget of non-zero entries.
        let data = try #require(FileManager.default.contents(atPath: "\(directory)/checkpoint.safetensors"))
        let (tensors, _) = try SafeTensors.decode(data, path: "checkpoint")
        let nonZero = ["fc1.weight", "fc2.weight"].map { tensors[$0]!.scalars.filter { $0 != 0 }.count }
        #expect(nonZero == [3170, 800])
        #expect(FileManager.default.fileExists(atPath: "\(directory)/masks.safetensors"))
    }

    @Test("A resumed run refuses a masks file that is not its own")
    func refusesForeignMasks() throws {
        let config = mnist5kConfig(width: 20, removed: [15000, 0], epochs: 2, subset: 300)
        let directory = temporaryFolder()
        let run = TrainingRun(config: config, directory: directory)
        try run.run(stopAfterEpochs: 1)
        var other = config
        other.seed = 99
        let foreign = temporaryFolder()
        try TrainingRun(config: other, directory: foreign).run(stopAfterEpochs: 1)
        try FileManager.default.removeItem(atPath: run.masksPath)
        try FileManager.default.copyItem(atPath: "\(foreign)/masks.safetensors", toPath: run.masksPath)
        #expect(throws: RecordError.self) { try run.run() }
    }

    @Test("Same seed: bit-identical metrics; another seed: different ones")
    func determinism() throws {
        let config = mnist5kConfig(width: 32, removed: [20000, 100], epochs: 3, subset: 1000, seed: 7)
        let first = try runMetrics(config)
        let second = try runMetrics(config)
        var other = config
        other.seed = 8
        let third = try runMetrics(other)
        #expect(numbers(first) == numbers(second))
        #expect(numbers(first) != numbers(third))
    }

    @Test("An interrupted run resumes from its checkpoint and ends bit-identical to an uninterrupted one")
    func resume() throws {
        var config = mnist5kConfig(width: 16, epochs: 4, subset: 1000, seed: 3)
        config.training.momentum = 0.9
        config.training.weightDecay = 5e-4
        let straight = try runMetrics(config)
        let directory = temporaryFolder()
        let run = TrainingRun(config: config, directory: directory)
        #expect(try run.run(stopAfterEpochs: 2) == nil)
        #expect(try RecordFiles.readJSONLines(EpochMetrics.self, from: run.metricsPath).count == 2)
        try run.run()
        let resumed = try RecordFiles.readJSONLines(EpochMetrics.self, from: run.metricsPath)
        #expect(numbers(resumed) == numbers(straight))
    }

    @Test("A corrupt checkpoint is refused with the file named, not trained over")
    func corruptCheckpoint() throws {
        let config = mnist5kConfig(width: 8, epochs: 2, subset: 200)
        let run = TrainingRun(config: config, directory: temporaryFolder())
        try run.run(stopAfterEpochs: 1)
        let data = try #require(FileManager.default.contents(atPath: run.checkpointPath))
        FileManager.default.createFile(atPath: run.checkpointPath, contents: data.prefix(data.count / 2))
        do {
            try run.run()
            Issue.record("a truncated checkpoint was accepted")
        } catch {
            #expect("\(error)".hasPrefix("\(run.checkpointPath): expected "))
        }
    }

    @Test("A directory holding another run's config is refused")
    func refusesForeignDirectory() throws {
        let directory = temporaryFolder()
        try TrainingRun(config: mnist5kConfig(width: 8, epochs: 1, subset: 200), directory: directory).run()
        #expect(throws: ConfigError.self) {
            try TrainingRun(config: mnist5kConfig(width: 9, epochs: 1, subset: 200), directory: directory).run()
        }
    }

    func runMetrics(_ config: RunConfig) throws -> [EpochMetrics] {
        let directory = temporaryFolder()
        try TrainingRun(config: config, directory: directory).run()
        return try RecordFiles.readJSONLines(EpochMetrics.self, from: "\(directory)/metrics.jsonl")
    }
}

/// `config` as config.json, with one piece of text replaced, decoded again (as a hand-edited file is).
@discardableResult
func decodeEdited(_ config: RunConfig, replacing original: String, with edited: String) throws -> RunConfig {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let text = String(decoding: try encoder.encode(config), as: UTF8.self)
    #expect(text.contains(original))
    return try JSONDecoder().decode(RunConfig.self, from: Data(text.replacingOccurrences(of: original, with: edited).utf8))
}

@Suite("Impossible configurations are refused before any work, naming the field")
struct ConfigValidationTests {
    @Test func namesTheField() {
        var config = mnist5kConfig(epochs: 0)
        #expect(throws: ConfigError(field: "epochs", expected: "at least 1", found: "0")) { try config.validate() }
        config = mnist5kConfig(epochs: 1)
        // A choice outside its set can only come from a hand-edited config.json: it fails to decode.
        #expect(throws: ConfigError(field: "activation", expected: "one of relu, identity", found: "'tanh'")) {
            try decodeEdited(config, replacing: "\"activation\":\"relu\"", with: "\"activation\":\"tanh\"")
        }
        config = mnist5kConfig(epochs: 1)
        config.model.mlp?.parameterisation = .ntk
        #expect(throws: ConfigError(field: "bias", expected: "no biases with the NTK parameterisation (pass --no-bias)", found: "biases on")) {
            try config.validate()
        }
        config = mnist5kConfig(width: 5, removed: [3920, 0], epochs: 1)
        #expect(throws: ConfigError(field: "removed", expected: "a count in 0...3919 for layer 1 (3920 weights)", found: "3920")) {
            try config.validate()
        }
        config = mnist5kConfig(epochs: 1)
        config.training.schedule = .multistep
        #expect(throws: ConfigError(field: "milestones", expected: "increasing positive epochs for the multistep schedule", found: "none")) {
            try config.validate()
        }
        config = mnist5kConfig(epochs: 1)
        config.training.nesterov = true
        #expect(throws: ConfigError(field: "nesterov", expected: "a positive --momentum with Nesterov momentum", found: "momentum 0")) {
            try config.validate()
        }
        config = mnist5kConfig(epochs: 1)
        #expect(throws: ConfigError(field: "dataset", expected: "one of mnist, fashion-mnist, mnist5k, cifar10, cifar100, svhn, image-folder", found: "'notmnist'")) {
            try decodeEdited(config, replacing: "\"dataset\":\"mnist5k\"", with: "\"dataset\":\"notmnist\"")
        }
    }

    @Test("An input size that does not match the data is refused before training")
    func inputSizeAgainstData() throws {
        var config = mnist5kConfig(epochs: 1)
        config.model.mlp?.inputSize = 100
        #expect(throws: ConfigError(field: "input-size", expected: "784 (the pixels per sample of the data)", found: "100")) {
            try TrainingRun(config: config, directory: temporaryFolder()).run()
        }
    }
}
