import ArgumentParser
import Foundation
import RunRecords
import TensorCore
import Reporting
import Training
import Widening

/// `widesparse demo`: the paper's Figure 5 question on real digits, in a few minutes.
public struct Demo: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Train an MLP-1 family at 3970 weights (widths 5-640, last layer dense) on mnist5k and tabulate it.",
        discussion: """
            Every member has exactly the same number of weights as the dense width-5 network; wider \
            members are sparser. Runs are saved under --out and resumed if interrupted; the table is \
            also written as family.csv there.
            """)

    /// The paper's 300 epochs: the whole family trains in about two minutes here (BENCHMARKS.md).
    static let defaultEpochs = 300

    @Option(help: "Epochs per model (the paper: 300).")
    var epochs: Int = Demo.defaultEpochs

    @Option(help: "Widths of the family, comma-separated.")
    var widths: String = "5,10,20,40,80,160,320,640"

    @Option(help: "The weight budget (dense width 5: 784*5 + 5*10 = 3970).")
    var weights: Int = 3970

    @Option(help: "Connectivity of the last layer (1 = dense).")
    var lastLayerConnectivity: Double = 1

    @Option(help: "Master seed.")
    var seed: UInt64 = 0

    @OptionGroup var compute: ThreadsOption
    var threads: Int { compute.threads }

    @Option(help: "Folder for the runs and family.csv.")
    var out: String = "runs/demo"

    @Option(help: "The mnist_5k.csv.gz file (default: the set-up script's cache).")
    var dataDir: String?

    public init() {}

    public func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs: expected at least 1, found \(epochs)") }
    }

    public mutating func run() throws {
        ComputeThreads.set(threads)
        let widthList = try parseWidths(widths)
        let epochNote = epochs == 300 ? "the paper's 300 epochs" : "\(epochs) epochs (the paper trains 300)"
        print("MLP-1 family at \(weights) weights on mnist5k (4000 training / 1000 test digits), "
            + "last-layer connectivity \(lastLayerConnectivity), \(epochNote), seed \(seed)")

        let cache = DatasetCache()
        var rows: [FamilyRow] = []
        for width in widthList {
            let plan: WidenedModel
            do {
                plan = try WideningMethods.widen(
                    SparseWidening.name, options: WideningOptions(lastLayerConnectivity: lastLayerConnectivity),
                    architecture: .mlp1(inputSize: 784, classes: 10), width: width, weights: weights, weightsOfWidth: nil)
            } catch {
                rows.append(FamilyRow(width: width, plan: nil, result: nil, note: "infeasible: \(error)"))
                // The table says "infeasible"; the reason, with the feasible range, is printed here.
                print("width \(width): infeasible: \(error)")
                continue
            }
            var model = MLPModelConfig(inputSize: 784, width: width, classes: 10)
            model.take(plan)
            let config = RunConfig(
                model: .mlp(model),
                data: DataConfig(
                    dataset: .mnist5k, location: dataDir, trainSubset: nil, validationSize: 0, normalisation: .fixed,
                    mean: 0.1307, std: 0.3081),
                training: TrainingConfig(
                    epochs: epochs, batchSize: 100, evalBatchSize: 1000, learningRate: 0.1, momentum: 0, nesterov: false,
                    weightDecay: 0, schedule: .constant, milestones: [], gamma: 0.1),
                seed: seed)
            let directory = "\(out)/width-\(width)-\(TrainingRun.identifier(of: config))"
            let budget = RequestedBudget(
                method: plan.method, weights: weights, weightsOfWidth: nil, rule: nil, lastLayerConnectivity: lastLayerConnectivity)
            let run = TrainingRun(config: config, directory: directory, budget: budget)
            let resumed = run.existingResult() != nil
            let start = Date()
            let display = ProgressDisplay(label: "width \(width): ", epochLineEvery: 50, batchSize: config.training.batchSize, epochs: config.training.epochs)
            let result = try reportingErrors { try run.run(cache: cache, onEvent: display.handle)! }
            display.finish()
            let seconds = Date().timeIntervalSince(start)
            print(String(
                format: "width %4d  connectivity %.4f  best test %.2f%%  (%@)", width, plan.connectivity,
                100 * result.bestTestAccuracy, resumed ? "already done" : String(format: "%.1f s", seconds)))
            rows.append(FamilyRow(width: width, plan: plan, result: result, note: ""))
        }
        print("")
        print(FamilyRow.table(rows))
        let csvPath = ExperimentDirectory(out).path(.familyCSV)
        try reportingErrors { try RecordFiles.writeAtomically(Data(FamilyRow.csv(rows).utf8), to: csvPath) }
        print("written: \(csvPath)")
        let page = try reportingErrors { try Report(folders: [out]).write(to: "\(out)/report") }
        print("report: \(page) (open it in a browser)")
    }
}

/// One width of a family and how it did.
struct FamilyRow {
    var width: Int
    var plan: WidenedModel?
    var result: RunResult?
    var note: String

    static func table(_ rows: [FamilyRow]) -> String {
        var lines = ["width  connectivity  last-layer conn.  weights  best test acc.  final train acc."]
        for row in rows {
            guard let plan = row.plan, let result = row.result else {
                lines.append(String(format: "%5d  ", row.width) + "infeasible at this last-layer connectivity (see above)")
                continue
            }
            lines.append(String(
                format: "%5d  %12.4f  %16.3f  %7d  %13.2f%%  %15.2f%%", row.width, plan.connectivity,
                plan.layers[1].connectivity, plan.weights, 100 * result.bestTestAccuracy, 100 * result.finalTrainAccuracy))
        }
        return lines.joined(separator: "\n")
    }

    static func csv(_ rows: [FamilyRow]) -> String {
        var lines = ["width,connectivity,first_layer_connectivity,last_layer_connectivity,weights,best_test_accuracy,best_test_epoch,final_train_accuracy,status"]
        for row in rows {
            guard let plan = row.plan, let result = row.result else {
                lines.append("\(row.width),,,,,,,,\"\(row.note.replacingOccurrences(of: "\"", with: "'"))\"")
                continue
            }
            lines.append([
                "\(row.width)", "\(plan.connectivity)", "\(plan.layers[0].connectivity)", "\(plan.layers[1].connectivity)",
                "\(plan.weights)", "\(result.bestTestAccuracy)", "\(result.bestTestEpoch)", "\(result.finalTrainAccuracy)", "trained",
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

func parseWidths(_ text: String) throws -> [Int] {
    try text.split(separator: ",").map { part in
        guard let width = Int(part.trimmingCharacters(in: .whitespaces)), width >= 1 else {
            throw ValidationError("--widths: expected comma-separated positive widths, found '\(text)'")
        }
        return width
    }
}
