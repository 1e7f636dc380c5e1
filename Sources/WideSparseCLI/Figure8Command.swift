import ArgumentParser
import Choices
import Experiments
import Foundation
import KernelAnalysis
import RunResults

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

    /// The datasets whose test images are both training data and kernel inputs.
    enum Dataset: String, CaseIterable, ExpressibleByArgument {
        case mnist5k, mnist
        case fashionMNIST = "fashion-mnist"
    }

    @Option(help: "Dataset: its training digits train the family, its test digits are the kernel's input pairs.")
    var dataset: Dataset = .mnist5k

    @OptionGroup var location: DataDirOption

    @Option(help: "Weight budget (the paper: 6352, the dense width 8).")
    var weights: Int = 6352

    @Option(help: "Widths, comma-separated.")
    var widths: CommaList = "8,16,32,64,128,256,512"

    @Option(help: "Learning rates of the search, comma-separated.")
    var lrs: CommaList = "1,3,10,30,100,300,1000"

    @Option(help: "Epochs of each search run.")
    var searchEpochs: Int = 30

    @Option(help: "Training samples held out for the search.")
    var validationSize: Int = 256

    @Option(help: "Epochs of the final runs (the paper: 300).")
    var epochs: Int = 300

    @Option(help: "Seeds of the final runs, comma-separated.")
    var seeds: CommaList = "0,1,2"

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
        guard weights >= 1 else { throw ValidationError("--weights: expected a positive count, found \(weights)") }
        guard pairs >= 2 else { throw ValidationError("--pairs: expected at least 2, found \(pairs)") }
        guard initialisations >= 2 else { throw ValidationError("--initialisations: expected at least 2 (for an error), found \(initialisations)") }
        guard searchEpochs >= 1, epochs >= 1 else { throw ValidationError("--epochs and --search-epochs: expected at least 1") }
        guard validationSize >= 1, validationSize < trainSubset else {
            throw ValidationError("--validation-size: expected 1...\(trainSubset - 1) (held out of --train-subset), found \(validationSize)")
        }
        // The three datasets' images have 784 pixels: the kernel family's n p is known before any training.
        let study = try self.study()
        try checkKernelWidths(study.widths, np: study.kernelSettings(dimension: 784).np)
    }

    /// The study the options describe.
    func study() throws -> Figure8Study {
        var study = Figure8Study()
        (study.dataset, study.dataDirectory, study.weights) = (dataset.rawValue, location.dataDir, weights)
        (study.widths, study.learningRates) = (try reportingErrors { try widths.widths(field: "--widths") }, lrs.items)
        study.seeds = try reportingErrors { try seeds.values(field: "--seeds", expected: "whole numbers") { UInt64($0) } }
        (study.searchEpochs, study.validationSize, study.epochs, study.trainSubset, study.name) = (searchEpochs, validationSize, epochs, trainSubset, name)
        (study.pairs, study.initialisations) = (pairs, initialisations)
        return study
    }

    /// Runs a spec tree as a local sweep and returns its plan; failed runs fail the study.
    func sweep(_ tree: SpecValue) throws -> SweepPlan {
        let (plan, status) = try reportingErrors {
            try LocalSweep.run(tree: tree, file: "figure8", runsRoot: absolutePath(runsDir), executable: executablePath(), jobs: jobs) { event in
                if case .ended(let run, _, let state, _) = event { print("  \(state.rawValue): \(run.request.summary)") }
            }
        }
        if status.count(.failed) > 0 { throw RunFailed(description: "\(status.count(.failed)) runs failed; see `widesparse sweep status` of \(plan.directory)") }
        return plan
    }

    public func run() throws {
        let study = try self.study()
        print("1. learning-rate search: \(study.widths.count) widths x \(study.learningRates.count) rates, \(searchEpochs) epochs, \(validationSize) validation digits")
        let (chosen, candidates) = Figure8Study.chooseRates(try sweep(study.searchSpec))
        for width in study.widths {
            print("  width \(width): lr \(chosen[width].map { "\($0)" } ?? "none (every rate diverged)")  "
                + (candidates[width] ?? [:]).sorted { Double($0.key)! < Double($1.key)! }.map { "\($0.key): \(percent($0.value))" }.joined(separator: ", "))
        }

        print("2. training: \(epochs) epochs, seeds \(seeds)")
        var testError: [Int: Spread] = [:]
        for width in study.widths {
            guard let lr = chosen[width] else { continue }
            testError[width] = Figure8Study.testError(try sweep(study.finalSpec(width: width, rate: lr)))
        }

        print("3. kernel distance: \(pairs) test pairs, \(initialisations) nets per width")
        let inputPairs = try reportingErrors { try study.kernelInputs().make(seed: 0) }
        let kernel = KernelStudy(pairs: inputPairs, settings: study.kernelSettings(dimension: inputPairs.dimension))
        print(kernel.table)
        print("\n" + Figure8Study.comparisonTable(kernel: kernel, testError: testError, chosen: chosen))
        guard let record = Figure8Record(study: kernel, testError: testError, chosen: chosen, candidates: candidates) else {
            print("fewer than 3 trained widths: no correlation")
            return
        }
        print(record.summary)
        let path = try reportingErrors { try record.write(experimentDirectory: "\(absolutePath(runsDir))/\(name)") }
        print("written: \(path)")
    }
}
