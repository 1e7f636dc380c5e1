import Foundation
import ArgumentParser
import Datasets
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import Training

extension DatasetName: ExpressibleByArgument {}
extension ActivationKind: ExpressibleByArgument {}
extension Parameterisation: ExpressibleByArgument {}
extension InitDistribution: ExpressibleByArgument {}
extension MaskPattern: ExpressibleByArgument {}
extension ResNetForm: ExpressibleByArgument {}

extension RemovalRule: ExpressibleByArgument {
    /// Also accepts "proportional": removals proportional to layer size are the uniform rule.
    public init?(argument: String) {
        self.init(rawValue: argument == "proportional" ? "uniform" : argument)
    }
}

/// Which data and how it is prepared.
public struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: mnist5k (5000 real MNIST digits, the default), mnist (IDX files in --data-dir), fashion-mnist, cifar10, cifar100 or svhn (their standard files in --data-dir).")
    var dataset: DatasetName = .mnist5k

    @Option(help: "Folder of IDX files, or the mnist_5k.csv.gz file (default: the dataset's standard place).")
    var dataDir: String?

    @Option(help: "Train on a random subset of this many training samples (paper Figure 8: 2048).")
    var trainSubset: Int?

    @Option(help: "Hold out this many training samples as a validation part for model selection.")
    var validationSize: Int = 0

    @Option(help: "Normalisation: fixed (mean/std), pixelwise (per-pixel statistics of the training part) or none.")
    var normalise: String = "fixed"

    @Option(help: "Mean for --normalise fixed, on pixels scaled to [0, 1].")
    var mean: Float = 0.1307

    @Option(help: "Standard deviation for --normalise fixed.")
    var std: Float = 0.3081

    public init() {}

    var config: DataConfig {
        DataConfig(
            dataset: dataset.rawValue, location: dataDir, trainSubset: trainSubset, validationSize: validationSize,
            normalisation: normalise, mean: mean, std: std)
    }
}

/// The optimiser and schedule (defaults: the paper's MLP settings, SPEC.md section 5).
public struct TrainingOptions: ParsableArguments {
    @Option(help: "Epochs to train.")
    var epochs: Int = 300

    @Option(help: "Mini-batch size.")
    var batchSize: Int = 100

    @Option(help: "Batch size for evaluation.")
    var evalBatchSize: Int = 1000

    @Option(help: "Base learning rate.")
    var lr: Double = 0.1

    @Option(help: "SGD momentum.")
    var momentum: Double = 0

    @Flag(help: "Use Nesterov momentum.")
    var nesterov = false

    @Option(help: "Weight decay (applied to every parameter).")
    var weightDecay: Double = 0

    @Option(help: "Learning-rate schedule: constant, multistep or cosine.")
    var schedule: String = "constant"

    @Option(help: "Epochs where the multistep schedule multiplies the rate by --gamma, comma-separated.")
    var milestones: String = "50,120,200"

    @Option(help: "Factor of the multistep schedule.")
    var gamma: Double = 0.1

    @Option(help: "Master seed: masks, initial values, data order and subsets all derive from it.")
    var seed: UInt64 = 0

    @Option(help: "Threads for the numerical kernels (1 is deterministic and fastest on a busy machine).")
    var threads: Int = 1

    public init() {}

    func config() throws -> TrainingConfig {
        let parsed = try milestones.split(separator: ",").map { part -> Int in
            guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--milestones: expected comma-separated epochs, found '\(milestones)'")
            }
            return value
        }
        return TrainingConfig(
            epochs: epochs, batchSize: batchSize, evalBatchSize: evalBatchSize, learningRate: lr, momentum: momentum,
            nesterov: nesterov, weightDecay: weightDecay, schedule: schedule,
            milestones: schedule == "multistep" ? parsed : [], gamma: gamma)
    }

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads: expected at least 1, found \(threads)") }
    }
}
