import ArgumentParser
import Benchmarks
import Choices
import Foundation
import TensorCore

/// `widesparse bench mlp`: samples per second of MLP-1 training steps, measured as
/// benchmarks/torch_bench.py measures PyTorch (same shapes, batch, masks and statistic).
public struct BenchMLP: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mlp",
        abstract: "Time MLP-1 training steps (784 -> width -> 10, SGD) dense and masked.",
        discussion: """
            As torch_bench.py's "mlp" part: a fixed batch of uniform random pixels, 50 warm-up steps, \
            a wait for a quiet machine, then the mean step time of windows of at least 0.5 s, keeping \
            windows in which other processes used at most 0.15 cores, until 6 such windows and \
            --seconds of them; the median over windows is reported as samples per second. Masked models keep a fraction \
            min(1, base/width) of the first layer's weights, the paper's Figure 5 connectivity \
            (base width 5, last layer dense).
            """)

    @Option(help: "Widths, comma-separated.")
    var widths: CommaList = "5,40,160,640"

    @Option(help: "Base width that sets the masked models' first-layer density base/width.")
    var baseWidth: Int = 5

    @Option(help: "Batch size.")
    var batchSize: Int = 100

    @OptionGroup var compute: ThreadsOption
    var threads: Int { compute.threads }

    @Option(help: "Seconds of measurement per configuration.")
    var seconds: Double = 6

    @Option(help: "Seconds to wait at most for other processes to go quiet before each measurement.")
    var maxWait: Double = 300

    @Option(help: "Write the rows as JSON to this file.")
    var json: String?

    @OptionGroup var executionOption: ExecutionOption
    var execution: ExecutionChoice { executionOption.execution }

    @Option(help: "Instead of the first-layer masks above: mask both layers to this weight budget with the uniform rule (one connectivity in both layers), a constant-weight family (e.g. 3970, the dense width 5).")
    var familyWeights: Int?

    public init() {}

    public mutating func run() throws {
        ComputeThreads.set(threads)
        let widthList = try reportingErrors { try widths.widths(field: "--widths") }
        var rows: [[String: Any]] = []
        print("threads \(threads), batch \(batchSize), masked layers \(execution.rawValue)")
        print("width  masked  density  samples/s  (median over clean 0.5 s windows, at least \(Int(seconds)) s)")
        for width in widthList {
            for masked in [false, true] {
                if familyWeights != nil && masked && width * 794 < familyWeights! { continue }
                let density = masked ? (familyWeights.map { Double($0) / Double(794 * width) } ?? min(1, Double(baseWidth) / Double(width))) : 1
                let masks: MLPStepBenchmark.Masks = !masked ? .none : familyWeights.map { .budget(weights: $0) } ?? .firstLayer(density: density)
                let benchmark = MLPStepBenchmark(width: width, batchSize: batchSize, masks: masks, execution: execution, seconds: seconds, maxWait: maxWait)
                let (median, contended) = try reportingErrors { try benchmark.measure() }
                let samplesPerSecond = Double(batchSize) / median
                print(String(format: "%5d  %@  %7.4f  %9.0f%@", width, masked ? "   yes" : "    no", density, samplesPerSecond,
                             contended ? "  (machine busy: all windows used)" : ""))
                rows.append(["width": width, "masked": masked, "density": density, "threads": threads, "batch": batchSize, "execution": execution.rawValue,
                             "family_weights": familyWeights ?? 0,
                             "step_median_s": median, "samples_per_s": samplesPerSecond, "contended": contended])
            }
        }
        if let json {
            let data = try JSONSerialization.data(withJSONObject: ["rows": rows], options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }
}
