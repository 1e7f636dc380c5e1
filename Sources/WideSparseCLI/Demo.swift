import ArgumentParser
import Choices
import Experiments
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
    static let defaultEpochs = DemoFamily().epochs

    @Option(help: "Epochs per model (the paper: 300).")
    var epochs: Int = Demo.defaultEpochs

    @Option(help: "Widths of the family, comma-separated.")
    var widths: CommaList = "5,10,20,40,80,160,320,640"

    @Option(help: "The weight budget (dense width 5: 784*5 + 5*10 = 3970).")
    var weights: Int = 3970

    @Option(help: "Connectivity of the last layer (1 = dense).")
    var lastLayerConnectivity: Double = 1

    @OptionGroup var master: SeedOption
    var seed: UInt64 { master.seed }

    @OptionGroup var compute: ThreadsOption
    var threads: Int { compute.threads }

    @Option(help: "Folder for the runs and family.csv.")
    var out: String = "runs/demo"

    @OptionGroup var location: DataDirOption
    var dataDir: String? { location.dataDir }

    public init() {}

    public func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs: expected at least 1, found \(epochs)") }
    }

    public mutating func run() throws {
        ComputeThreads.set(threads)
        let widthList = try reportingErrors { try widths.widths(field: "--widths") }
        let epochNote = epochs == 300 ? "the paper's 300 epochs" : "\(epochs) epochs (the paper trains 300)"
        print("MLP-1 family at \(weights) weights on mnist5k (4000 training / 1000 test digits), "
            + "last-layer connectivity \(lastLayerConnectivity), \(epochNote), seed \(seed)")

        var demo = DemoFamily()
        (demo.epochs, demo.weights, demo.lastLayerConnectivity) = (epochs, weights, lastLayerConnectivity)
        (demo.seed, demo.dataDirectory, demo.folder) = (seed, dataDir, out)
        let cache = DatasetCache()
        var rows: [DemoFamily.Row] = []
        for width in widthList {
            let plan: WidenedModel, run: TrainingRun
            do {
                (plan, run) = try demo.member(width: width)
            } catch {
                rows.append(DemoFamily.Row(width: width, plan: nil, result: nil, note: "infeasible: \(error)"))
                // The table says "infeasible"; the reason, with the feasible range, is printed here.
                print("width \(width): infeasible: \(error)")
                continue
            }
            let resumed = run.existingResult() != nil
            let start = Date()
            let display = ProgressDisplay(label: "width \(width): ", epochLineEvery: 50, batchSize: run.config.training.batchSize, epochs: epochs)
            let result = try reportingErrors { try run.run(cache: cache, onEvent: display.handle)! }
            display.finish()
            let seconds = Date().timeIntervalSince(start)
            print(String(
                format: "width %4d  connectivity %.4f  best test %.2f%%  (%@)", width, plan.connectivity,
                100 * result.bestTestAccuracy, resumed ? "already done" : String(format: "%.1f s", seconds)))
            rows.append(DemoFamily.Row(width: width, plan: plan, result: result, note: ""))
        }
        print("")
        print(DemoFamily.Row.table(rows))
        let csvPath = ExperimentDirectory(out).path(.familyCSV)
        try reportingErrors { try RecordFiles.writeAtomically(Data(DemoFamily.Row.csv(rows).utf8), to: csvPath) }
        print("written: \(csvPath)")
        let page = try reportingErrors { try Report(folders: [out]).write(to: ExperimentDirectory(out).path(.report)) }
        print("report: \(page) (open it in a browser)")
    }
}
