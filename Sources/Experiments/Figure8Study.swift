import RunResults
import Foundation
import KernelAnalysis
import RunRecords

/// The paper's Figure 8 study (docs/method.md section 6): MLP-1 without biases in the NTK
/// parameterisation, at a fixed weight budget (uniform rule) over growing widths; a learning-rate
/// search per width on held-out training digits, the final runs at the chosen rates, and the
/// kernel distance of the same family, set side by side. The defaults are the paper's settings
/// but for the seeds (the paper: 10) and the data (the paper: MNIST).
public struct Figure8Study: Sendable {
    public var dataset = "mnist5k"
    public var dataDirectory: String?
    /// The paper: 6352, the dense width 8.
    public var weights = 6352
    public var widths = [8, 16, 32, 64, 128, 256, 512]
    /// The rates of the search, as the spec writes them.
    public var learningRates = ["1", "3", "10", "30", "100", "300", "1000"]
    public var searchEpochs = 30
    /// Training samples held out for the search.
    public var validationSize = 256
    /// The paper: 300.
    public var epochs = 300
    public var seeds: [UInt64] = [0, 1, 2]
    /// The paper: 2048.
    public var trainSubset = 2048
    /// The experiment's name: its runs are <name>-search and <name>-final.
    public var name = "figure8"
    /// Test pairs of the kernel distance (the paper: 10^4).
    public var pairs = 10_000
    /// Random networks per width for the kernel distance (the paper: 10).
    public var initialisations = 10

    public init() {}

    /// The spec of some widths at some rates and seeds, as a tree (frozen beside its runs).
    public func spec(name: String, widths: [Int], rates: [String], seeds: [UInt64], epochs: Int, validation: Int) -> SpecValue {
        func list(_ values: [String]) -> SpecValue { .list(values.map { .scalar($0) }) }
        var entries: [(key: String, value: SpecValue)] = [
            ("name", .scalar(name)), ("model", .scalar("mlp")), ("dataset", .scalar(dataset)), ("base_width", .scalar("8")),
            ("weights", .scalar("\(weights)")), ("widths", list(widths.map(String.init))), ("methods", .scalar("sparse")),
            ("rule", .scalar("uniform")), ("seeds", list(seeds.map(String.init))),
        ]
        if let dataDirectory { entries.append(("data_dir", .scalar(dataDirectory))) }
        var options: [(key: String, value: SpecValue)] = [
            ("no-bias", .scalar("true")), ("parameterisation", .scalar("ntk")), ("train-subset", .scalar("\(trainSubset)")),
            ("normalise", .scalar("pixelwise")), ("batch-size", .scalar("256")), ("epochs", .scalar("\(epochs)")), ("lr", list(rates)),
        ]
        if validation > 0 { options.append(("validation-size", .scalar("\(validation)"))) }
        entries.append(("options", .map(options)))
        return .map(entries)
    }

    /// Step 1's spec: every width at every rate, the first seed, validation held out.
    public var searchSpec: SpecValue {
        spec(name: "\(name)-search", widths: widths, rates: learningRates, seeds: [seeds.first ?? 0], epochs: searchEpochs, validation: validationSize)
    }

    /// Step 2's spec for one width at its chosen rate, every seed, no validation part.
    public func finalSpec(width: Int, rate: Double) -> SpecValue {
        spec(name: "\(name)-final", widths: [width], rates: ["\(rate)"], seeds: seeds, epochs: epochs, validation: 0)
    }

    /// Step 3's input pairs: the dataset's test images.
    public func kernelInputs() throws -> KernelInputs {
        KernelInputs(source: try KernelInputSource.named(dataset), dataDirectory: dataDirectory, pairs: pairs)
    }

    /// Step 3's family: the trained widths at the budget's n p, the paper's estimator settings.
    public func kernelSettings(dimension: Int) -> KernelStudy.Settings {
        KernelStudy.Settings(np: kernelNP(weights: weights, dimension: dimension, classes: 10), widths: widths, initialisations: initialisations)
    }

    /// The trained widths side by side: rate, test error and the three distances.
    public static func comparisonTable(kernel: KernelStudy, testError: [Int: Spread], chosen: [Int: Double]) -> String {
        var lines = ["    n         p        lr   test error % (sd)   D Monte-Carlo   D exact      eq. 4"]
        for row in kernel.rows {
            guard let error = testError[row.width] else { continue }
            lines.append(String(
                format: "%5d  %8.5f  %8.3g   %8.2f (%5.2f)   %.4e    %.4e   %.4e", row.width, row.connectivity, chosen[row.width] ?? 0,
                100 * error.mean, 100 * error.standardDeviation, row.monteCarlo.value, row.exact.value, row.equationFour))
        }
        return lines.joined(separator: "\n")
    }

    /// The search's outcome: each width's best validation accuracy per rate (a diverged rate has
    /// no result and scores 0), and the chosen rate (the best accuracy; the smaller rate among equals).
    public static func chooseRates(_ search: SweepPlan) -> (chosen: [Int: Double], candidates: [Int: [String: Double]]) {
        var candidates: [Int: [String: Double]] = [:]
        for run in search.trainable {
            guard let result = RunDirectory(search.directory(of: run)!).result() else { continue }
            candidates[run.request.width, default: [:]]["\(run.config!.training.learningRate)"] = result.bestValidationAccuracy ?? 0
        }
        var chosen: [Int: Double] = [:]
        for (width, accuracies) in candidates {
            chosen[width] = accuracies.map { (Double($0.key)!, $0.value) }.max { ($0.1, -$0.0) < ($1.1, -$1.0) }?.0
        }
        return (chosen, candidates)
    }

    /// The test errors (1 - best test accuracy) of a final plan's runs; nil when none finished.
    public static func testError(_ plan: SweepPlan) -> Spread? {
        Spread(plan.trainable.compactMap { run in RunDirectory(plan.directory(of: run)!).result().map { 1 - $0.bestTestAccuracy } })
    }
}

/// figure8.json: the chosen rates, the search's accuracies, the test errors, the kernel rows,
/// and how the errors rank against each distance.
public struct Figure8Record: Codable, Sendable {
    public var widths: [Int]
    public var learningRates: [String: Double]
    public var searchValidationAccuracy: [String: [String: Double]]
    public var testErrorMean: [String: Double]
    public var testErrorStandardDeviation: [String: Double]
    public var kernel: [KernelStudy.Row]
    /// Spearman rank correlation of the mean test error with each distance (monteCarlo, exact, equationFour).
    public var spearman: [String: Double]
    public var bestWidth: Int
    public var argminMonteCarlo: Int
    public var argminExact: Int
    public var argminEquationFour: Int

    /// Writes the record atomically to <experiment folder>/figure8.json and returns its path.
    public func write(experimentDirectory: String) throws -> String {
        let path = ExperimentDirectory(experimentDirectory).path(.figure8)
        try RecordFiles.writeJSON(self, to: path)
        return path
    }

    /// The correlations and whether the distance's argmin is the best width, as `figure8` ends.
    public var summary: String {
        func rho(_ key: String) -> String { String(format: "%.2f", spearman[key]!) }
        return "Spearman rank correlation of test error with D: Monte-Carlo \(rho("monteCarlo")), exact \(rho("exact")), eq. 4 \(rho("equationFour"))\n"
            + "best width \(bestWidth); smallest D at n = \(argminMonteCarlo) (Monte-Carlo), \(argminExact) (exact), \(argminEquationFour) (eq. 4): "
            + (argminMonteCarlo == bestWidth ? "the Monte-Carlo argmin matches" : "the Monte-Carlo argmin does not match")
    }

    /// The record of the widths that trained (at least 3), or nil.
    public init?(study: KernelStudy, testError: [Int: Spread], chosen: [Int: Double], candidates: [Int: [String: Double]]) {
        let rows = study.rows.filter { testError[$0.width] != nil }
        guard rows.count >= 3 else { return nil }
        let errors = rows.map { testError[$0.width]!.mean }
        widths = rows.map(\.width)
        learningRates = Dictionary(uniqueKeysWithValues: chosen.map { ("\($0.key)", $0.value) })
        searchValidationAccuracy = Dictionary(uniqueKeysWithValues: candidates.map { ("\($0.key)", $0.value) })
        testErrorMean = Dictionary(uniqueKeysWithValues: testError.map { ("\($0.key)", $0.value.mean) })
        testErrorStandardDeviation = Dictionary(uniqueKeysWithValues: testError.map { ("\($0.key)", $0.value.standardDeviation) })
        kernel = study.rows
        spearman = [
            "monteCarlo": rankCorrelation(errors, rows.map(\.monteCarlo.value)),
            "exact": rankCorrelation(errors, rows.map(\.exact.value)),
            "equationFour": rankCorrelation(errors, rows.map(\.equationFour)),
        ]
        bestWidth = rows.min { testError[$0.width]!.mean < testError[$1.width]!.mean }!.width
        argminMonteCarlo = rows.min { $0.monteCarlo.value < $1.monteCarlo.value }!.width
        argminExact = rows.min { $0.exact.value < $1.exact.value }!.width
        argminEquationFour = rows.min { $0.equationFour < $1.equationFour }!.width
    }
}
