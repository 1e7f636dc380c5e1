import ArgumentParser
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore
import Training

/// `widesparse train mlp`: one MLP-1, dense or statically sparse.
public struct TrainMLP: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mlp",
        abstract: "Train a one-hidden-layer network (d -> width -> classes), dense or sparse.",
        discussion: """
            Dense by default. For a sparse model give the weight budget (--weights) and how the \
            removed weights are split: --last-layer-connectivity C (the paper's Figure 5 grid) or the \
            level-down rule (SPEC.md section 2, the default); or give --removed FIRST,LAST directly. \
            --method linear-bottleneck keeps the budget instead by making each weight matrix a \
            product of two (SPEC.md section 1); the non-linear bottleneck does not apply to MLP-1 \
            (its one pair of layers has the hidden units as its inner width).
            Examples (paper Figure 5, width 80, 3970 weights, last layer dense; then a linear bottleneck):
              widesparse train mlp --width 80 --weights 3970 --last-layer-connectivity 1
              widesparse train mlp --width 80 --weights-of-width 5 --method linear-bottleneck
            """)

    @OptionGroup var data: DataOptions
    @OptionGroup var model: MLPOptions
    @OptionGroup var training: TrainingOptions

    @Option(help: "Run directory (default: runs/mlp/<run id>).")
    var out: String?

    @Flag(help: "Discard an earlier run in --out and start again.")
    var restart = false

    @Option(help: "Stop (checkpointed) once this many epochs are done in total; the same command continues later.")
    var stopAfterEpochs: Int?

    @Flag(help: "Continue the run in --out from its last checkpoint, and refuse to start a new one (the same command without --resume also continues a run it finds).")
    var resume = false

    public init() {}

    public mutating func run() throws {
        ComputeThreads.set(training.threads)
        let config = try resolvedConfig()
        try trainAndSummarise(
            config, directory: out ?? "runs/mlp/\(TrainingRun.identifier(of: config))", restart: restart, resume: resume,
            stopAfterEpochs: stopAfterEpochs, execution: training.execution)
    }

    /// The full config: sparsity resolved to removals, data and training defaults filled in.
    public func resolvedConfig() throws -> RunConfig {
        RunConfig(
            model: .mlp(try model.config(classes: data.dataset.classCount(location: data.dataDir))), data: data.config(),
            training: try training.config(), seed: training.seed)
    }
}

/// Validates, trains (or resumes) one run with a progress display, and prints its summary.
func trainAndSummarise(
    _ config: RunConfig, directory: String, restart: Bool, resume: Bool, stopAfterEpochs: Int?, execution: ExecutionChoice
) throws {
    try reportingErrors { try config.validate() }
    if let stopAfterEpochs, stopAfterEpochs < 1 {
        throw ValidationError("--stop-after-epochs: expected at least 1, found \(stopAfterEpochs)")
    }
    if resume && restart { throw ValidationError("--resume and --restart: give one of them") }
    if resume && !FileManager.default.fileExists(atPath: "\(directory)/config.json") {
        throw ValidationError("--resume: expected a run to continue in \(directory), found none (leave out --resume to start it)")
    }
    print("run directory: \(directory)")
    let display = ProgressDisplay()
    let run = TrainingRun(config: config, directory: directory)
    let result = try reportingErrors { try run.run(restart: restart, stopAfterEpochs: stopAfterEpochs, execution: execution, onEvent: display.handle) }
    display.finish()
    guard let result else {
        print("stopped after \(stopAfterEpochs ?? 0) of \(config.training.epochs) epochs (checkpointed); run the same command again to continue")
        return
    }
    printSummary(config: config, result: result, directory: directory)
}

/// The MLP-1 architecture and its sparsity.
public struct MLPOptions: ParsableArguments {
    @Option(help: "Hidden units.")
    var width: Int = 5

    @Option(help: "Weight budget: make the model sparse with exactly this many weights.")
    var weights: Int?

    @Option(help: "Weight budget as the weight count of the dense model of this width (instead of --weights).")
    var weightsOfWidth: Int?

    @Option(help: "With --weights: the last layer's connectivity (0-1]; the first layer takes the rest of the budget.")
    var lastLayerConnectivity: Double?

    @Option(help: "With --weights and no --last-layer-connectivity: how removals are spread over the layers: level-down (the paper's), uniform (same connectivity everywhere; 'proportional' is the same rule) or erk.")
    var rule: RemovalRule?

    @Option(help: "Weights to remove from the first and last layer, e.g. 1000,20 (instead of --weights).")
    var removed: String?

    @Option(help: "How the model keeps the budget: sparse (the default with a budget) or linear-bottleneck; dense (the default without) is the full model of --width. nonlinear-bottleneck does not apply to MLP-1.")
    var method: WideningMethod?

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

    /// The model config with the sparsity resolved to removal counts.
    public func config(classes: Int) throws -> MLPModelConfig {
        var removals = [0, 0]
        var bottleneck: BottleneckConfig?
        if let kind = method?.bottleneckKind {
            bottleneck = try bottleneckConfig(kind: kind, classes: classes)
        } else {
            if method == .sparse && weights == nil && weightsOfWidth == nil && removed == nil {
                throw ValidationError("--method sparse: needs the weight budget (--weights or --weights-of-width) or --removed")
            }
            if method == .dense && (weights != nil || weightsOfWidth != nil || removed != nil) {
                throw ValidationError("--method dense: the dense model of --width has its own weight count; leave out --weights, --weights-of-width and --removed")
            }
            removals = try reportingErrors { try plan(classes: classes).removals }
        }
        return MLPModelConfig(
            inputSize: inputSize, width: width, classes: classes, bias: !noBias, activation: activation.rawValue,
            batchNorm: batchNorm, parameterisation: parameterisation.rawValue,
            initDistribution: (initDistribution ?? (parameterisation == .ntk ? .normal : .uniform)).rawValue,
            removedWeights: removals, bottleneck: bottleneck)
    }

    /// The bottleneck model of --width at the budget: sizes solved by the global-fraction rule.
    func bottleneckConfig(kind: BottleneckKind, classes: Int) throws -> BottleneckConfig {
        guard width >= 1 else { throw ValidationError("--width: expected a positive number, found \(width)") }
        if removed != nil || lastLayerConnectivity != nil || rule != nil {
            throw ValidationError("--method \(kind.method.rawValue): --removed, --last-layer-connectivity and --rule are for sparse models")
        }
        if weights != nil && weightsOfWidth != nil { throw ValidationError("--weights and --weights-of-width: give one of them") }
        if let base = weightsOfWidth, base < 1 { throw ValidationError("--weights-of-width: expected a positive width, found \(base)") }
        guard let target = weights ?? weightsOfWidth.map({ inputSize * $0 + $0 * classes }) else {
            throw ValidationError("--method \(kind.method.rawValue): needs the weight budget (--weights or --weights-of-width)")
        }
        let plan = try reportingErrors {
            try BottleneckPlan.mlp1(
                kind: kind, width: width, targetWeights: target, atBaseWidth: try atBaseWidth(width: width, base: weightsOfWidth),
                inputSize: inputSize, classes: classes)
        }
        return BottleneckConfig(kind: kind.rawValue, innerSizes: plan.innerSizes, targetWeights: target)
    }

    func plan(classes: Int) throws -> MLPSparsityPlan {
        guard width >= 1 else { throw ValidationError("--width: expected a positive number, found \(width)") }
        if weights != nil && weightsOfWidth != nil { throw ValidationError("--weights and --weights-of-width: give one of them") }
        if let base = weightsOfWidth, base < 1 {
            throw ValidationError("--weights-of-width: expected a positive width, found \(base)")
        }
        let weights = self.weights ?? weightsOfWidth.map { inputSize * $0 + $0 * classes }
        if let removed {
            guard weights == nil && lastLayerConnectivity == nil && rule == nil else {
                throw ValidationError("--removed: give either --removed or --weights (with --last-layer-connectivity), not both")
            }
            let counts = try removed.split(separator: ",").map { part -> Int in
                guard let value = Int(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--removed: expected two comma-separated counts, found '\(removed)'")
                }
                return value
            }
            return try MLPSparsityPlan.explicit(inputSize: inputSize, width: width, classes: classes, removals: counts)
        }
        guard let weights else {
            if lastLayerConnectivity != nil {
                throw ValidationError("--last-layer-connectivity: needs a weight budget (--weights)")
            }
            if rule != nil { throw ValidationError("--rule: needs a weight budget (--weights)") }
            return .dense(inputSize: inputSize, width: width, classes: classes)
        }
        if lastLayerConnectivity != nil && rule != nil {
            throw ValidationError("--rule and --last-layer-connectivity: give one of them (the latter is the Figure 5 rule)")
        }
        let rule: MLPRemovalRule = lastLayerConnectivity.map { .lastLayerConnectivity($0) } ?? .spread(self.rule ?? .levelDown)
        return try MLPSparsityPlan.atBudget(inputSize: inputSize, width: width, classes: classes, weightBudget: weights, rule: rule)
    }
}

/// Runs `body`, turning the library's typed errors into messages ArgumentParser prints as
/// "Error: ..." with a failing exit code (never a stack trace).
@discardableResult
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as ValidationError {
        throw error
    } catch let error as CustomStringConvertible {
        throw ValidationError(error.description)
    }
}

func printSummary(config: RunConfig, result: RunResult, directory: String) {
    print("")
    switch config.model {
    case .mlp(let m):
        print("MLP-1 \(m.inputSize) -> \(m.width) -> \(m.classes), \(m.activation), \(m.parameterisation) parameterisation, "
            + "\(m.bias ? "biases" : "no biases")\(m.batchNorm ? ", batch norm" : "")")
    case .resnet18(let r):
        print("ResNet-18 (\(r.form) form), width \(r.width), \(r.inputChannels) input channels, \(r.classes) classes, "
            + (r.bottleneck == nil ? "\(r.maskPattern) masks" : "no masks"))
    }
    if let bottleneck = config.model.mlp?.bottleneck ?? { if case .resnet18(let r) = config.model { return r.bottleneck } else { return nil } }() {
        print("\(bottleneck.kind) bottleneck, inner sizes \(bottleneck.innerSizes.map(String.init).joined(separator: ",")); "
            + "\(result.totalWeights) weights against the target \(bottleneck.targetWeights) (residual \(signed(result.totalWeights - bottleneck.targetWeights)))")
    }
    print("data: \(config.data.dataset), \(config.training.epochs) epochs, batch \(config.training.batchSize), "
        + "lr \(config.training.learningRate) (\(config.training.schedule)), seed \(config.seed)")
    for layer in result.layers {
        print("  \(layer.name.padding(toLength: max(12, layer.name.count + 1), withPad: " ", startingAt: 0)) \(layer.shape.map(String.init).joined(separator: "x"))"
            + "  weights \(layer.kept) of \(layer.dense)  connectivity \(format(layer.connectivity, digits: 4))"
            + (layer.execution.map { "  (\($0))" } ?? ""))
    }
    print("  total weights \(result.totalWeights), connectivity \(format(result.connectivity, digits: 4))")
    let layers = result.layers
    if let m = config.model.mlp, layers.count == 2 {
        if layers[0].outputsWithoutInputs > 0 || layers[1].inputsWithoutOutputs > 0 {
            print("  disconnected hidden units: \(layers[0].outputsWithoutInputs) of \(m.width) have no incoming weight "
                + "(they output only their bias), \(layers[1].inputsWithoutOutputs) have no outgoing weight")
        }
        if layers[0].inputsWithoutOutputs > 0 {
            print("  input features no weight reads: \(layers[0].inputsWithoutOutputs) of \(m.inputSize)")
        }
    } else {
        for layer in layers where layer.outputsWithoutInputs > 0 || layer.inputsWithoutOutputs > 0 {
            print("  \(layer.name): \(layer.outputsWithoutInputs) output channels without input, "
                + "\(layer.inputsWithoutOutputs) input channels without output")
        }
    }
    print("best test accuracy  \(percent(result.bestTestAccuracy)) (epoch \(result.bestTestEpoch))")
    print("final test accuracy \(percent(result.finalTestAccuracy))")
    print("train accuracy      final \(percent(result.finalTrainAccuracy)), best \(percent(result.bestTrainAccuracy))")
    if let validation = result.bestValidationAccuracy, let test = result.testAccuracyAtBestValidation {
        print("best validation     \(percent(validation)) (test accuracy there \(percent(test)))")
    }
    print("time \(format(result.trainingSeconds, digits: 1)) s; results in \(directory)/result.json")
}

func percent(_ value: Double) -> String { String(format: "%.2f %%", 100 * value) }

func format(_ value: Double, digits: Int) -> String { String(format: "%.\(digits)f", value) }
