import ArgumentParser
import Experiments
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

    /// A spec for some widths, one learning rate (or several) and seeds, as a tree.
    func spec(name: String, widths: [Int], lrs: [String], seeds: [UInt64], epochs: Int, validation: Int) -> SpecValue {
        func list(_ values: [String]) -> SpecValue { .list(values.map { .scalar($0) }) }
        var entries: [(key: String, value: SpecValue)] = [
            ("name", .scalar(name)), ("model", .scalar("mlp")), ("dataset", .scalar(dataset)), ("base_width", .scalar("8")),
            ("weights", .scalar("\(weights)")), ("widths", list(widths.map(String.init))), ("methods", .scalar("sparse")),
            ("rule", .scalar("uniform")), ("seeds", list(seeds.map(String.init))),
        ]
        if let dataDir { entries.append(("data_dir", .scalar(dataDir))) }
        var options: [(key: String, value: SpecValue)] = [
            ("no-bias", .scalar("true")), ("parameterisation", .scalar("ntk")), ("train-subset", .scalar("\(trainSubset)")),
            ("normalise", .scalar("pixelwise")), ("batch-size", .scalar("256")), ("epochs", .scalar("\(epochs)")), ("lr", list(lrs)),
        ]
        if validation > 0 { options.append(("validation-size", .scalar("\(validation)"))) }
        entries.append(("options", .map(options)))
        return .map(entries)
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

    public func run() throws {
        let widthList = try parseWidths(widths)
        let rates = lrs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let seedList = try seeds.split(separator: ",").map { text -> UInt64 in
            guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--seeds: expected whole numbers, found '\(seeds)'") }
            return seed
        }
        print("1. learning-rate search: \(widthList.count) widths x \(rates.count) rates, \(searchEpochs) epochs, \(validationSize) validation digits")
        let search = try reportingErrors {
            try sweep(spec(name: "\(name)-search", widths: widthList, lrs: rates, seeds: [seedList.first ?? 0], epochs: searchEpochs, validation: validationSize))
        }
        var chosen: [Int: Double] = [:]
        var candidates: [Int: [String: Double]] = [:]
        for run in search.trainable {
            guard let result = RunDirectory(search.directory(of: run)!).result() else { continue }
            let lr = run.config!.training.learningRate
            // A diverged rate has no result and loses.
            candidates[run.request.width, default: [:]]["\(lr)"] = result.bestValidationAccuracy ?? 0
        }
        for (width, accuracies) in candidates {
            // The best validation accuracy; the smaller rate among equals.
            chosen[width] = accuracies.map { (Double($0.key)!, $0.value) }.max { ($0.1, -$0.0) < ($1.1, -$1.0) }?.0
        }
        for width in widthList {
            print("  width \(width): lr \(chosen[width].map { "\($0)" } ?? "none (every rate diverged)")  "
                + (candidates[width] ?? [:]).sorted { Double($0.key)! < Double($1.key)! }.map { "\($0.key): \(percent($0.value))" }.joined(separator: ", "))
        }

        print("2. training: \(epochs) epochs, seeds \(seeds)")
        var testError: [Int: Spread] = [:]
        for width in widthList {
            guard let lr = chosen[width] else { continue }
            let plan = try reportingErrors {
                try sweep(spec(name: "\(name)-final", widths: [width], lrs: ["\(lr)"], seeds: seedList, epochs: epochs, validation: 0))
            }
            let errors = plan.trainable.compactMap { run in
                RunDirectory(plan.directory(of: run)!).result().map { 1 - $0.bestTestAccuracy }
            }
            testError[width] = Spread(errors)
        }

        print("3. kernel distance: \(pairs) test pairs, \(initialisations) nets per width")
        let inputs = KernelInputs(source: try reportingErrors { try KernelInputSource.named(dataset) }, dataDirectory: dataDir, pairs: pairs)
        let family = try KernelFamilyOptions.parse([
            "--weights", "\(weights)", "--widths", widths, "--initialisations", "\(initialisations)",
        ])
        let inputPairs = try reportingErrors { try inputs.make(seed: 0) }
        let study = KernelStudy(pairs: inputPairs, settings: try family.settings(dimension: inputPairs.dimension))
        print(kernelTable(study))
        try report(study: study, testError: testError, chosen: chosen, candidates: candidates)
    }

    func report(study: KernelStudy, testError: [Int: Spread], chosen: [Int: Double], candidates: [Int: [String: Double]]) throws {
        let rows = study.rows.filter { testError[$0.width] != nil }
        print("\n    n         p        lr   test error % (sd)   D Monte-Carlo   D exact      eq. 4")
        for row in rows {
            let error = testError[row.width]!
            print(String(format: "%5d  %8.5f  %8.3g   %8.2f (%5.2f)   %.4e    %.4e   %.4e", row.width, row.connectivity, chosen[row.width] ?? 0,
                         100 * error.mean, 100 * error.standardDeviation, row.monteCarlo.value, row.exact.value, row.equationFour))
        }
        guard rows.count >= 3 else { print("fewer than 3 trained widths: no correlation"); return }
        let errors = rows.map { testError[$0.width]!.mean }
        let correlations = [
            ("monteCarlo", rankCorrelation(errors, rows.map(\.monteCarlo.value))),
            ("exact", rankCorrelation(errors, rows.map(\.exact.value))),
            ("equationFour", rankCorrelation(errors, rows.map(\.equationFour))),
        ]
        let bestWidth = rows.min { testError[$0.width]!.mean < testError[$1.width]!.mean }!.width
        let smallestD = rows.min { $0.monteCarlo.value < $1.monteCarlo.value }!.width
        let smallestExact = rows.min { $0.exact.value < $1.exact.value }!.width
        let smallestFour = rows.min { $0.equationFour < $1.equationFour }!.width
        print("Spearman rank correlation of test error with D: Monte-Carlo \(format(correlations[0].1, digits: 2)), "
            + "exact \(format(correlations[1].1, digits: 2)), eq. 4 \(format(correlations[2].1, digits: 2))")
        print("best width \(bestWidth); smallest D at n = \(smallestD) (Monte-Carlo), \(smallestExact) (exact), \(smallestFour) (eq. 4): "
            + (smallestD == bestWidth ? "the Monte-Carlo argmin matches" : "the Monte-Carlo argmin does not match"))
        struct Record: Codable {
            var widths: [Int]
            var learningRates: [String: Double]
            var searchValidationAccuracy: [String: [String: Double]]
            var testErrorMean: [String: Double]
            var testErrorStandardDeviation: [String: Double]
            var kernel: [KernelStudy.Row]
            var spearman: [String: Double]
            var bestWidth: Int
            var argminMonteCarlo: Int
            var argminExact: Int
            var argminEquationFour: Int
        }
        let record = Record(
            widths: rows.map(\.width), learningRates: Dictionary(uniqueKeysWithValues: chosen.map { ("\($0.key)", $0.value) }),
            searchValidationAccuracy: Dictionary(uniqueKeysWithValues: candidates.map { ("\($0.key)", $0.value) }),
            testErrorMean: Dictionary(uniqueKeysWithValues: testError.map { ("\($0.key)", $0.value.mean) }),
            testErrorStandardDeviation: Dictionary(uniqueKeysWithValues: testError.map { ("\($0.key)", $0.value.standardDeviation) }),
            kernel: study.rows, spearman: Dictionary(uniqueKeysWithValues: correlations), bestWidth: bestWidth,
            argminMonteCarlo: smallestD, argminExact: smallestExact, argminEquationFour: smallestFour)
        let path = "\(absolutePath(runsDir))/\(name)/figure8.json"
        try reportingErrors { try RecordFiles.writeJSON(record, to: path) }
        print("written: \(path)")
    }
}
