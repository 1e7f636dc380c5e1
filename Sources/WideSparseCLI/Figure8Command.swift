import ArgumentParser
import Experiments
import RunResults
import Foundation
import KernelAnalysis
import RunRecords
import TensorCore
import Training

/// `widesparse figure8`: the paper's Figure 8 — trained test error against the kernel distance
/// at initialisation, per width, for MLP-1 at a fixed weight budget.
public struct Figure8Command: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "figure8",
        abstract: "Figure 8: train MLP-1 (no biases, NTK) across widths at fixed weights and set its test error beside the kernel distance.",
        discussion: """
            Three steps, each resumable (runs live under --runs-dir as sweeps do): (1) a learning-rate \
            search per width: --search-epochs of training on the --train-subset digits less a held-out \
            validation part (--validation-size), one run per rate in --lrs, the rate with the best \
            validation accuracy wins (the choice and every candidate's accuracy are written to \
            figure8.json); (2) the full training (--epochs, every --seeds) of each width at its rate on \
            the whole training subset; (3) the kernel distance of the same family on test pairs \
            (`widesparse kernel`). It ends with the Spearman rank correlation of test error with each \
            distance and whether the width of smallest distance is the width of best accuracy. The \
            paper's settings are the defaults, but for the seeds (the paper: 10) and the data (the \
            paper: MNIST; here mnist5k's 4000 training digits).
            """)

    @Option(help: "Dataset: mnist5k, mnist or fashion-mnist.")
    var dataset: String = "mnist5k"

    @Option(help: "The dataset's folder or file.")
    var dataDir: String?

    @Option(help: "Weight budget (the paper: 6352, the dense width 8).")
    var weights: Int = 6352

    @Option(help: "Widths, comma-separated.")
    var widths: String = "8,16,32,64,128,256,512"

    @Option(help: "Learning rates of the search, comma-separated.")
    var lrs: String = "1,3,10,30,100,300,1000"

    @Option(help: "Epochs of each search run.")
    var searchEpochs: Int = 30

    @Option(help: "Training samples held out for the search.")
    var validationSize: Int = 256

    @Option(help: "Epochs of the final runs (the paper: 300).")
    var epochs: Int = 300

    @Option(help: "Seeds of the final runs, comma-separated.")
    var seeds: String = "0,1,2"

    @Option(help: "Training samples (the paper: 2048).")
    var trainSubset: Int = 2048

    @Option(help: "Runs at once.")
    var jobs: Int = 1

    @Option(help: "Folder for the runs and figure8.json.")
    var runsDir: String = "runs"

    @Option(help: "Name of the experiment (its folder under --runs-dir).")
    var name: String = "figure8"

    @Option(help: "Input pairs for the kernel distance.")
    var pairs: Int = 10_000

    @Option(help: "Random networks per width for the kernel distance.")
    var initialisations: Int = 10

    public init() {}

    public func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs: expected at least 1, found \(jobs)") }
        guard searchEpochs >= 1, epochs >= 1 else { throw ValidationError("--epochs and --search-epochs: expected at least 1") }
        guard validationSize >= 1, validationSize < trainSubset else {
            throw ValidationError("--validation-size: expected 1...\(trainSubset - 1) (held out of --train-subset), found \(validationSize)")
        }
    }

    /// Runs a spec tree as a local sweep and returns its plan.
    func sweep(_ tree: SpecValue) throws -> SweepPlan {
        let spec = try ExperimentSpec(tree, file: "figure8")
        let root = absolutePath(runsDir)
        let plan = try SweepPlan(spec: spec, runsRoot: root, file: "figure8")
        let frozen = try FrozenSpec.write(tree, experimentDirectory: plan.directory)
        let status = try LocalSweep(plan: plan, specPath: frozen, runsRoot: root, executable: executablePath(), jobs: jobs, threadsPerJob: 1)
            .run { event in
                if case .ended(let run, _, let state, _) = event { print("  \(state.rawValue): \(run.request.summary)") }
            }
        if status.count(.failed) > 0 { throw ValidationError("\(status.count(.failed)) runs failed; see `widesparse sweep status` of \(plan.directory)") }
        return plan
    }

    /// The study the options describe.
    func study() throws -> Figure8Study {
        var study = Figure8Study()
        (study.dataset, study.dataDirectory, study.weights, study.widths) = (dataset, dataDir, weights, try parseWidths(widths))
        study.learningRates = lrs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        study.seeds = try seeds.split(separator: ",").map { text -> UInt64 in
            guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--seeds: expected whole numbers, found '\(seeds)'") }
            return seed
        }
        (study.searchEpochs, study.validationSize, study.epochs, study.trainSubset, study.name) = (searchEpochs, validationSize, epochs, trainSubset, name)
        return study
    }

    public func run() throws {
        let study = try self.study()
        print("1. learning-rate search: \(study.widths.count) widths x \(study.learningRates.count) rates, \(searchEpochs) epochs, \(validationSize) validation digits")
        let search = try reportingErrors { try sweep(study.searchSpec) }
        let (chosen, candidates) = Figure8Study.chooseRates(search)
        for width in study.widths {
            print("  width \(width): lr \(chosen[width].map { "\($0)" } ?? "none (every rate diverged)")  "
                + (candidates[width] ?? [:]).sorted { Double($0.key)! < Double($1.key)! }.map { "\($0.key): \(percent($0.value))" }.joined(separator: ", "))
        }

        print("2. training: \(epochs) epochs, seeds \(seeds)")
        var testError: [Int: Spread] = [:]
        for width in study.widths {
            guard let lr = chosen[width] else { continue }
            testError[width] = Figure8Study.testError(try reportingErrors { try sweep(study.finalSpec(width: width, rate: lr)) })
        }

        print("3. kernel distance: \(pairs) test pairs, \(initialisations) nets per width")
        let inputs = KernelInputs(source: try reportingErrors { try KernelInputSource.named(dataset) }, dataDirectory: dataDir, pairs: pairs)
        let family = try KernelFamilyOptions.parse([
            "--weights", "\(weights)", "--widths", widths, "--initialisations", "\(initialisations)",
        ])
        let inputPairs = try reportingErrors { try inputs.make(seed: 0) }
        let kernel = KernelStudy(pairs: inputPairs, settings: try family.settings(dimension: inputPairs.dimension))
        print(kernelTable(kernel))
        printComparison(kernel: kernel, testError: testError, chosen: chosen)
        guard let record = Figure8Record(study: kernel, testError: testError, chosen: chosen, candidates: candidates) else {
            print("fewer than 3 trained widths: no correlation")
            return
        }
        print("Spearman rank correlation of test error with D: Monte-Carlo \(format(record.spearman["monteCarlo"]!, digits: 2)), "
            + "exact \(format(record.spearman["exact"]!, digits: 2)), eq. 4 \(format(record.spearman["equationFour"]!, digits: 2))")
        print("best width \(record.bestWidth); smallest D at n = \(record.argminMonteCarlo) (Monte-Carlo), \(record.argminExact) (exact), "
            + "\(record.argminEquationFour) (eq. 4): "
            + (record.argminMonteCarlo == record.bestWidth ? "the Monte-Carlo argmin matches" : "the Monte-Carlo argmin does not match"))
        let path = try reportingErrors { try record.write(experimentDirectory: "\(absolutePath(runsDir))/\(name)") }
        print("written: \(path)")
    }

    /// The table of trained widths: rate, test error and the three distances.
    func printComparison(kernel: KernelStudy, testError: [Int: Spread], chosen: [Int: Double]) {
        print("\n    n         p        lr   test error % (sd)   D Monte-Carlo   D exact      eq. 4")
        for row in kernel.rows {
            guard let error = testError[row.width] else { continue }
            print(String(format: "%5d  %8.5f  %8.3g   %8.2f (%5.2f)   %.4e    %.4e   %.4e", row.width, row.connectivity, chosen[row.width] ?? 0,
                         100 * error.mean, 100 * error.standardDeviation, row.monteCarlo.value, row.exact.value, row.equationFour))
        }
    }
}
