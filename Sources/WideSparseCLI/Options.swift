import Experiments
import Foundation
import ArgumentParser
import Choices
import Datasets
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import Training
import Widening

extension DatasetName: ExpressibleByArgument {}
extension NormalisationKind: ExpressibleByArgument {}
extension ConvolutionAlgorithm: ExpressibleByArgument {}
extension KernelInputSource: ExpressibleByArgument {}
extension ModelKind: ExpressibleByArgument {}

extension ActivationKind: ExpressibleByArgument {}
extension Parameterisation: ExpressibleByArgument {}
extension InitDistribution: ExpressibleByArgument {}
extension MaskPattern: ExpressibleByArgument {}
extension ResNetForm: ExpressibleByArgument {}
extension VGGVariant: ExpressibleByArgument {}
extension ExecutionChoice: ExpressibleByArgument {}

/// Lists are read by the library (`CommaList`), so their errors are its messages, not the parser's.
extension CommaList: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension RemovalRule: ExpressibleByArgument {
    /// Also accepts "proportional": removals proportional to layer size are the uniform rule.
    public init?(argument: String) {
        self.init(rawValue: argument == "proportional" ? "uniform" : argument)
    }
}

/// Which data and how it is prepared.
public struct DataOptions: ParsableArguments {
    @Option(help: "Dataset: mnist5k (5000 real MNIST digits, the default), mnist (IDX files in --data-dir), fashion-mnist, cifar10, cifar100 or svhn (their standard files in --data-dir), or image-folder (--data-dir holds train/ and val/ with one sub-folder of JPEG/PNG images per class, ImageNet's layout; ResNet-18 only).")
    var dataset: DatasetName = .mnist5k

    @OptionGroup var location: DataDirOption
    var dataDir: String? { location.dataDir }

    @Option(help: "Train on a random subset of this many training samples (paper Figure 8: 2048).")
    var trainSubset: Int?

    @Option(help: "Hold out this many training samples as a validation part for model selection.")
    var validationSize: Int = 0

    @Option(help: "Normalisation: fixed (--mean/--std), per-channel (--channel-means/--channel-stds), pixelwise (per-pixel statistics of the training part) or none (default: fixed; per-channel for ResNet-18 on 3-channel data).")
    var normalise: NormalisationKind?

    @Option(help: "Mean for --normalise fixed, on pixels scaled to [0, 1].")
    var mean: Float = 0.1307

    @Option(help: "Standard deviation for --normalise fixed.")
    var std: Float = 0.3081

    public init() {}

    /// Sets the recipe's data fields.
    func apply(to recipe: inout RunRecipe) throws {
        (recipe.dataset, recipe.dataDir, recipe.trainSubset, recipe.validationSize) = (dataset, dataDir, trainSubset, validationSize)
        (recipe.normalise, recipe.mean, recipe.std) = (normalise, mean, std)
    }
}

/// The optimiser and schedule (defaults: the paper's MLP settings, docs/method.md section 5).
public struct TrainingOptions: ParsableArguments {
    @Option(help: "Epochs to train (default 300).")
    var epochs: Int?

    @Option(help: "Mini-batch size (default: MLP 100, ResNet-18 128).")
    var batchSize: Int?

    @Option(help: "Batch size for evaluation.")
    var evalBatchSize: Int = 1000

    @Option(help: "Base learning rate (default 0.1).")
    var lr: Double?

    @Option(help: "SGD momentum (default: MLP 0, ResNet-18 0.9).")
    var momentum: Double?

    @Flag(help: "Use Nesterov momentum.")
    var nesterov = false

    @Option(help: "Weight decay, applied to every parameter (default: MLP 0, ResNet-18 5e-4).")
    var weightDecay: Double?

    @Option(help: ArgumentHelp("Learning-rate schedule: \(ScheduleKind.names) (default: MLP constant, ResNet-18 multistep).", valueName: "schedule"))
    var schedule: String?

    @Option(help: "Epochs where the multistep schedule multiplies the rate by --gamma, comma-separated.")
    var milestones: CommaList = "50,120,200"

    @Option(help: "Factor of the multistep schedule.")
    var gamma: Double = 0.1

    @OptionGroup var master: SeedOption
    var seed: UInt64 { master.seed }

    @OptionGroup var compute: ThreadsOption
    @OptionGroup var executionOption: ExecutionOption
    var threads: Int { compute.threads }
    var execution: ExecutionChoice { executionOption.execution }

    public init() {}

    /// Sets the recipe's training fields (the paper's settings fill what is not given).
    func apply(to recipe: inout RunRecipe) throws {
        recipe.schedule = try schedule.map { try ScheduleKind.named($0) }
        recipe.milestones = try milestones.wholeNumbers(field: "--milestones", expected: "comma-separated epochs")
        (recipe.epochs, recipe.batchSize, recipe.evalBatchSize, recipe.lr) = (epochs, batchSize, evalBatchSize, lr)
        (recipe.momentum, recipe.nesterov, recipe.weightDecay, recipe.gamma, recipe.seed) = (momentum, nesterov, weightDecay, gamma, seed)
    }
}

/// Where one training run lives and how to treat what is already there (train mlp, train resnet18).
public struct RunDirectoryOptions: ParsableArguments {
    @Option(help: "Run directory (default: runs/<model>/<run id>).")
    var out: String?

    @Flag(help: "Discard an earlier run in --out and start again.")
    var restart = false

    @Option(help: "Stop (checkpointed) once this many epochs are done in total; the same command continues later.")
    var stopAfterEpochs: Int?

    @Flag(help: "Continue the run in --out from its last checkpoint, and refuse to start a new one (the same command without --resume also continues a run it finds).")
    var resume = false

    public init() {}
}

/// The weight budget and how a wider model keeps it (train mlp, train resnet18).
public struct BudgetOptions: ParsableArguments {
    @Option(help: "Weight budget: make the model sparse with exactly this many weights.")
    var weights: Int?

    @Option(help: "Weight budget as the weight count of the dense model of this width (instead of --weights).")
    var weightsOfWidth: Int?

    @Option(help: ArgumentHelp("How the model keeps the budget: \(WideningMethods.helpText). Default: sparse with a budget, dense without.", valueName: "method"))
    var method: String?

    @Option(help: "How removals are spread over the layers: level-down (the paper's, the default), uniform (same connectivity everywhere; 'proportional' is the same rule) or erk. MLP-1: not with --last-layer-connectivity.")
    var rule: RemovalRule?

    public init() {}

    /// Sets the recipe's budget fields.
    func apply(to recipe: inout RunRecipe) {
        (recipe.weights, recipe.weightsOfWidth, recipe.method, recipe.rule) = (weights, weightsOfWidth, method, rule)
    }
}

/// --data-dir, declared once for every command that reads a dataset.
public struct DataDirOption: ParsableArguments {
    @Option(help: "The dataset's folder (or the mnist_5k.csv.gz file) (default: the dataset's standard place, where scripts/setup.sh puts it).")
    var dataDir: String?

    public init() {}
}

/// --seed, declared once for every command that draws anything at random.
public struct SeedOption: ParsableArguments {
    @Option(help: "Master seed: everything the command draws at random (masks, initial values, data order, input pairs) derives from it.")
    var seed: UInt64 = 0

    public init() {}
}

/// --threads, declared once for every command that computes.
public struct ThreadsOption: ParsableArguments {
    @Option(help: "Threads for the numerical kernels (1 is deterministic and fastest on a busy machine).")
    var threads: Int = 1

    public init() {}

    public func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads: expected at least 1, found \(threads)") }
    }
}

/// --execution, declared once for every command that trains.
public struct ExecutionOption: ParsableArguments {
    @Option(help: "Masked layers: dense (masked dense maths, the default: repeats bit for bit on any machine), sparse (kept weights only: fully connected layers, and every ResNet-18 convolution on its kept taps) or auto (each masked layer, convolutions too, whichever a short calibration measures faster here, cached per machine in ~/.cache/widesparse). The path taken is recorded in execution.json and result.json.")
    var execution: ExecutionChoice = .dense

    public init() {}
}
