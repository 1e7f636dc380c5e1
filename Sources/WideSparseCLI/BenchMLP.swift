import RunRecords
import ArgumentParser
import Choices
import Foundation
import Models
import NeuralNetwork
import Sparsity
import TensorCore
import Training

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
    var widths: String = "5,40,160,640"

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
        let widthList = try parseWidths(widths)
        var rows: [[String: Any]] = []
        print("threads \(threads), batch \(batchSize), masked layers \(execution.rawValue)")
        print("width  masked  density  samples/s  (median over clean 0.5 s windows, at least \(Int(seconds)) s)")
        for width in widthList {
            for masked in [false, true] {
                if familyWeights != nil && masked && width * 794 < familyWeights! { continue }
                let density = masked ? (familyWeights.map { Double($0) / Double(794 * width) } ?? min(1, Double(baseWidth) / Double(width))) : 1
                let (median, contended) = try reportingErrors { try measureSteps(width: width, density: density, masked: masked) }
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

    /// The median over windows of the mean step time in seconds, and whether too few windows
    /// were clean (the machine was busy).
    private func measureSteps(width: Int, density: Double, masked: Bool) throws -> (seconds: Double, contended: Bool) {
        let model = MLP1(MLPModelConfig(inputSize: 784, width: width, classes: 10))
        if let familyWeights, masked {
            let shapes = MLPModelConfig(width: width).weightShapes
            let removals = try RemovalRule.uniform.removals(total: shapes.map(\.count).reduce(0, +) - familyWeights, layers: shapes)
            applyMasks(to: model.weightLayers, removals: removals, masterSeed: 1)
        } else {
            let firstLayerWeights = 784 * width
            let removed = firstLayerWeights - max(1, Int((density * Double(firstLayerWeights)).rounded()))
            applyMasks(to: model.weightLayers, removals: [removed, 0], masterSeed: 1)
        }
        model.initialise(masterSeed: 0)
        if execution != .dense {
            // As training chooses: masked layers sparse with --execution sparse, the rest as measured.
            model.useSparseExecution(model.weightLayers.map { layer in
                (execution == .sparse && layer.weight.mask != nil) || sparseIsFaster(layer, batch: batchSize)
            })
        }
        let trainingStep = TrainingStep(model: model, optimizer: SGD(parameters: model.parameters, learningRate: 0.1))
        var random = RandomStream(seed: 2)
        let images = Tensor(shape: [batchSize, 784])
        for i in 0..<images.count { images[i] = random.nextUnitFloat() }
        let labels = (0..<batchSize).map { _ in Int32(random.nextIndex(below: 10)) }

        func step() { labels.withUnsafeBufferPointer { trainingStep(images, labels: $0) } }
        for _ in 0..<50 { step() }
        // Windows of at least 0.5 s; only clean ones (other processes quiet) count, until there are
        // 6 of them and `seconds` of clean time, or 60 s have passed (then all windows count).
        QuietWindows.waitForQuiet(maximum: maxWait)
        var clean: [Double] = []
        var all: [Double] = []
        var cleanTime = 0.0
        let start = Date()
        repeat {
            var steps = 0
            let window = QuietWindows.watch {
                let windowStart = Date()
                while Date().timeIntervalSince(windowStart) < 0.5 {
                    step()
                    steps += 1
                }
            }
            let perStep = window.seconds / Double(steps)
            all.append(perStep)
            if window.foreignCores <= QuietWindows.cleanForeignCores {
                clean.append(perStep)
                cleanTime += window.seconds
            }
        } while (clean.count < 6 || cleanTime < seconds) && Date().timeIntervalSince(start) < 60
        let contended = clean.count < 6
        return (median(contended ? all : clean), contended)
    }
}

private func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}
