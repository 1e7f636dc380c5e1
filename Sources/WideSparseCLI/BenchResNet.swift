import ArgumentParser
import Choices
import Foundation
import Models
import NeuralNetwork
import Sparsity
import TensorCore
import Training

/// `widesparse bench resnet`: images per second of CIFAR ResNet-18 training steps, measured as
/// benchmarks/torch_bench.py's "resnet-train" part measures PyTorch.
public struct BenchResNet: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "resnet",
        abstract: "Time CIFAR ResNet-18 training steps (batch 128) or inference (batch 256) on 32x32x3 images, 10 classes.",
        discussion: """
            Widths are dense; a width followed by 'm' (e.g. 64m) is masked to the weight count of \
            --mask-base-width by the level-down rule. 3 warm-up steps, then steps until --seconds \
            of clean time (other processes at most 0.15 cores) and at least --min-steps steps; the median \
            step time is reported as images per second. Training steps are SGD with momentum 0.9 and \
            weight decay 5e-4; inference is evaluation mode without gradients. The peak resident \
            memory of the process is reported at the end (measure one configuration per process to \
            compare it with PyTorch's "memory" part).
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case train, infer
    }

    @Option(help: "train (batch 128 by default) or infer (batch 256 by default).")
    var mode: Mode = .train

    @Option(help: "Configurations, comma-separated: widths, or widths with 'm' for masked (e.g. 8,64,64m).")
    var configs: String = "8,18,32,64,64m"

    @Option(help: "Base width whose weight count masked models keep.")
    var maskBaseWidth: Int = 8

    @Option(help: "Batch size (default: 128 for train, 256 for infer).")
    var batchSize: Int?

    @OptionGroup var compute: ThreadsOption
    var threads: Int { compute.threads }

    @Option(help: "Seconds of clean measurement per configuration.")
    var seconds: Double = 20

    @Option(help: "Convolutions: winograd (oneDNN's Winograd kernels for 3x3 stride-1 layers where it has them, the default) or direct.")
    var convolution: ConvolutionAlgorithm = .winograd

    @Option(help: "Fewest measured steps per configuration.")
    var minSteps: Int = 10

    @Option(help: "Write the rows as JSON to this file.")
    var json: String?

    public init() {}

    public mutating func run() throws {
        ComputeThreads.set(threads)
        var rows: [[String: Any]] = []
        let batchSize = self.batchSize ?? (mode == .train ? 128 : 256)
        print("\(mode.rawValue), threads \(threads), batch \(batchSize)")
        print("config  weights     images/s")
        for config in configs.split(separator: ",").map(String.init) {
            let masked = config.hasSuffix("m")
            guard let width = Int(masked ? String(config.dropLast()) : config), width >= 1 else {
                throw ValidationError("--configs: expected widths like 8 or 64m, found '\(config)'")
            }
            let (stepSeconds, weights) = try measure(width: width, masked: masked, batchSize: batchSize)
            let imagesPerSecond = Double(batchSize) / stepSeconds
            print(String(format: "%-6@  %9d  %9.1f", config, weights, imagesPerSecond))
            rows.append(["config": config, "mode": mode.rawValue, "width": width, "masked": masked, "weights": weights, "threads": threads,
                         "batch": batchSize, "step_median_s": stepSeconds, "images_per_s": imagesPerSecond])
        }
        let peak = peakResidentKiB()
        print("peak resident memory \(peak / 1024) MiB")
        if let json {
            let data = try JSONSerialization.data(
                withJSONObject: ["rows": rows, "peak_rss_kib": peak], options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }

    private func measure(width: Int, masked: Bool, batchSize: Int) throws -> (seconds: Double, weights: Int) {
        let model = ResNet18(width: width, convolution: convolution)
        let shapes = model.weightParameters.map(\.shape)
        if masked {
            let budget = resNet18WeightShapes(width: maskBaseWidth).map(\.count).reduce(0, +)
            let removals = try RemovalRule.levelDown.removals(total: shapes.map(\.count).reduce(0, +) - budget, layers: shapes)
            applyMasks(to: model.weightParameters, removals: removals, pattern: .allEntries, masterSeed: 1)
        }
        model.initialise(masterSeed: 0)
        let trainingStep = TrainingStep(
            model: model, optimizer: SGD(parameters: model.parameters, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4))
        var random = RandomStream(seed: 2)
        let images = Tensor(shape: [batchSize, 3, 32, 32])
        for i in 0..<images.count { images[i] = random.nextNormal() }
        let labels = (0..<batchSize).map { _ in Int32(random.nextIndex(below: 10)) }
        func step() {
            if mode == .infer {
                _ = model.forward(images, mode: .evaluation)
                return
            }
            labels.withUnsafeBufferPointer { trainingStep(images, labels: $0) }
        }
        for _ in 0..<3 { step() }
        QuietWindows.waitForQuiet(maximum: 300)
        var clean: [Double] = []
        var all: [Double] = []
        let start = Date()
        while (clean.reduce(0, +) < seconds || clean.count < minSteps) && Date().timeIntervalSince(start) < 4 * seconds + 60 {
            let window = QuietWindows.watch(step)
            all.append(window.seconds)
            if window.foreignCores <= QuietWindows.cleanForeignCores { clean.append(window.seconds) }
        }
        let samples = (clean.count >= minSteps ? clean : all).sorted()
        let weights = model.weightParameters.map(\.parameter.keptCount).reduce(0, +)
        return (samples[samples.count / 2], weights)
    }
}

/// The process's peak resident set size in KiB (VmHWM, as PyTorch's benchmark reads it).
func peakResidentKiB() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

