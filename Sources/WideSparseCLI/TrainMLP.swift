import ArgumentParser
import Choices
import Experiments
import Foundation
import Models
import NeuralNetwork
import Reporting
import RunRecords
import Sparsity
import TensorCore
import Training
import Widening

/// `widesparse train mlp`: one MLP (MLP-1 by default), dense, statically sparse or a bottleneck.
public struct TrainMLP: TrainModelCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mlp",
        abstract: "Train a fully connected network (d -> width -> classes; --depth for more hidden layers), dense or sparse.",
        discussion: """
            Dense by default. For a sparse model give the weight budget (--weights) and how the \
            removed weights are split: --last-layer-connectivity C (the paper's Figure 5 grid) or the \
            level-down rule (docs/method.md section 2, the default); or give --removed FIRST,LAST directly. \
            --method linear-bottleneck keeps the budget instead by making each weight matrix a \
            product of two (docs/method.md section 1); the non-linear bottleneck does not apply to MLP-1 \
            (its one pair of layers has the hidden units as its inner width), but to --depth 2 or more, \
            where the second hidden layer of each pair is the inner width.
            """ + examples(
                ("paper Figure 5: width 80, 3970 weights, last layer dense", "widesparse train mlp --width 80 --weights 3970 --last-layer-connectivity 1"),
                ("the same budget as a linear bottleneck", "widesparse train mlp --width 80 --weights-of-width 5 --method linear-bottleneck"),
                ("Fashion-MNIST, the paper's rule, kept weights only", "widesparse train mlp --dataset fashion-mnist --width 160 --weights-of-width 5 --execution sparse"),
                ("three hidden layers of 64 at the weights of three of 16", "widesparse train mlp --depth 3 --width 64 --weights-of-width 16")))

    @OptionGroup public var data: DataOptions
    @OptionGroup var model: MLPOptions
    @OptionGroup public var training: TrainingOptions

    @OptionGroup public var runDirectory: RunDirectoryOptions

    public init() {}

    public mutating func run() throws { try train() }

    public func recipe() throws -> RunRecipe {
        var recipe = try commonRecipe(.mlp)
        try model.apply(to: &recipe)
        return recipe
    }
}

/// A `train <model>` command: data, training and run-directory options common to all, and the
/// model's own options, which `recipe()` turns into the run's choices.
public protocol TrainModelCommand: ParsableCommand {
    var data: DataOptions { get }
    var training: TrainingOptions { get }
    var runDirectory: RunDirectoryOptions { get }
    /// The run's choices as the options give them.
    func recipe() throws -> RunRecipe
}

extension TrainModelCommand {
    /// A recipe for `model` with the data and training options applied.
    public func commonRecipe(_ model: ModelKind) throws -> RunRecipe {
        var recipe = RunRecipe(model: model)
        try data.apply(to: &recipe)
        try training.apply(to: &recipe)
        return recipe
    }

    /// The config and the budget as asked for (run-info.json records both).
    public func resolved() throws -> (config: RunConfig, budget: RequestedBudget) {
        try reportingErrors { try recipe().resolved() }
    }

    /// The full config: sparsity resolved to removals, data and training defaults filled in.
    public func resolvedConfig() throws -> RunConfig { try resolved().config }

    /// Resolves, validates, trains (or resumes) the run with a progress display, and prints its summary.
    func train() throws {
        ComputeThreads.set(training.threads)
        let (config, budget) = try resolved()
        try trainAndSummarise(config, budget: budget, model: config.model.kind, options: runDirectory, execution: training.execution)
    }
}

/// Validates, trains (or resumes) one run with a progress display, and prints its summary.
func trainAndSummarise(
    _ config: RunConfig, budget: RequestedBudget, model: ModelKind, options: RunDirectoryOptions, execution: ExecutionChoice
) throws {
    let (restart, resume, stopAfterEpochs) = (options.restart, options.resume, options.stopAfterEpochs)
    let directory = options.out ?? "runs/\(model.rawValue)/\(TrainingRun.identifier(of: config))"
    try reportingErrors { try config.validate() }
    try reportingErrors { try execution.check(config) }
    if let stopAfterEpochs, stopAfterEpochs < 1 {
        throw ValidationError("--stop-after-epochs: expected at least 1, found \(stopAfterEpochs)")
    }
    if resume && restart { throw ValidationError("--resume and --restart: give one of them") }
    if resume && !RunDirectory(directory).has(.config) {
        throw ValidationError("--resume: expected a run to continue in \(directory), found none (leave out --resume to start it)")
    }
    print("run directory: \(directory)")
    let display = ProgressDisplay(batchSize: config.training.batchSize, epochs: config.training.epochs)
    let run = TrainingRun(config: config, directory: directory, budget: budget)
    if !restart, let done = run.existingResult(), (try? RecordFiles.readJSON(RunConfig.self, from: run.configPath)) == config {
        print("this run is already finished (\(done.epochs) epochs, \(run.resultPath)); nothing to train. --restart trains it again.")
    }
    let result = try reportingErrors { try run.run(restart: restart, stopAfterEpochs: stopAfterEpochs, execution: execution, onEvent: display.handle) }
    display.finish()
    guard let result else {
        print("stopped after \(stopAfterEpochs ?? 0) of \(config.training.epochs) epochs (checkpointed); run the same command again to continue")
        return
    }
    print("")
    print(RunSummary.text(config: config, result: result, directory: directory))
}

/// The MLP architecture and its sparsity.
public struct MLPOptions: ParsableArguments {
    @Option(help: "Hidden units per hidden layer.")
    var width: Int = 5

    @Option(help: "Hidden layers (1: the paper's MLP-1).")
    var depth: Int = 1

    @OptionGroup var budget: BudgetOptions

    @Option(help: "With --weights: the last layer's connectivity (0-1]; the first layer takes the rest of the budget.")
    var lastLayerConnectivity: Double?

    @Option(help: "Weights to remove from each layer, first to last, e.g. 1000,20 (instead of --weights).")
    var removed: CommaList?

    @Option(help: "Activation: relu or identity (a deep linear network).")
    var activation: ActivationKind = .relu

    @Flag(help: "No biases.")
    var noBias = false

    @Flag(help: "BatchNorm1d after the activation.")
    var batchNorm = false

    @Option(help: "Parameterisation: standard (PyTorch) or ntk (1/sqrt(fan-in) prefactor, no biases).")
    var parameterisation: Parameterisation = .standard

    @Option(help: "Initial weights: uniform or normal (default: uniform for standard, normal for ntk).")
    var initDistribution: InitDistribution?

    @Option(help: "Input features per sample.")
    var inputSize: Int = 784

    public init() {}

    /// Sets the recipe's MLP and budget fields.
    func apply(to recipe: inout RunRecipe) throws {
        recipe.removed = try removed?.wholeNumbers(field: "--removed")
        (recipe.width, recipe.depth) = (width, depth)
        budget.apply(to: &recipe)
        recipe.lastLayerConnectivity = lastLayerConnectivity
        (recipe.activation, recipe.bias, recipe.batchNorm) = (activation, !noBias, batchNorm)
        (recipe.parameterisation, recipe.initDistribution, recipe.inputSize) = (parameterisation, initDistribution, inputSize)
    }
}

/// Runs `body`, sorting the library's typed errors by what the user must change (see
/// `WideSparseCommand.mainWithExitCodes`): an option or option combination (`ConfigError`,
/// `ValidationError`: usage, exit 64, with the command's usage), a file or folder given
/// (everything else: input, exit 65, the message alone), or a run that failed (exit 1).
@discardableResult
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as ConfigError {
        throw ValidationError(error.description)
    } catch let error as RunDiverged {
        throw RunFailed(description: error.description)
    } catch let error as SweepInterrupted {
        throw error
    } catch let error as InputError {
        throw error
    } catch let error as RunFailed {
        throw error
    } catch let error as CustomStringConvertible {
        throw InputError(description: error.description)
    }
}
