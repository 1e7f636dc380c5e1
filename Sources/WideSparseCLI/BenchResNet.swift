import ArgumentParser
import Benchmarks
import Choices
import Foundation
import TensorCore

extension ConvolutionalStepBenchmark.Mode: ExpressibleByArgument {}

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

    @OptionGroup var options: ConvolutionalBenchOptions

    public init() {}

    public mutating func run() throws { try options.run(.resnet18) }
}

/// The options of `bench resnet` and `bench vgg`, and their measurement loop.
public struct ConvolutionalBenchOptions: ParsableArguments {
    @Option(help: "train (batch 128 by default) or infer (batch 256 by default).")
    var mode: ConvolutionalStepBenchmark.Mode = .train

    @Option(help: "Configurations, comma-separated: widths, or widths with 'm' for masked (e.g. 8,64,64m).")
    var configs: CommaList = "8,18,32,64,64m"

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

    @OptionGroup var executionOption: ExecutionOption

    @Option(help: "Fewest measured steps per configuration.")
    var minSteps: Int = 10

    @Option(help: "Write the rows as JSON to this file.")
    var json: String?

    public init() {}

    /// Measures every configuration of `model` and prints (and writes) the rows.
    func run(_ model: ConvolutionalStepBenchmark.Model) throws {
        ComputeThreads.set(threads)
        var rows: [[String: Any]] = []
        let batchSize = self.batchSize ?? (mode == .train ? 128 : 256)
        print("\(mode.rawValue), threads \(threads), batch \(batchSize), execution \(executionOption.execution.rawValue)")
        print("config  weights     images/s")
        // Checked before any measurement: (width, masked) per item.
        let parsed = try reportingErrors {
            try configs.values(field: "--configs", expected: "widths like 8 or 64m") { item -> (Int, Bool)? in
                let masked = item.hasSuffix("m")
                return Int(masked ? String(item.dropLast()) : item).flatMap { $0 >= 1 ? ($0, masked) : nil }
            }
        }
        for (config, (width, masked)) in zip(configs.items, parsed) {
            var benchmark = ConvolutionalStepBenchmark(
                mode: mode, width: width, maskedToWeightsOfWidth: masked ? maskBaseWidth : nil, batchSize: batchSize, convolution: convolution,
                seconds: seconds, minSteps: minSteps)
            benchmark.execution = executionOption.execution
            benchmark.model = model
            let (stepSeconds, weights) = try reportingErrors { try benchmark.measure() }
            let imagesPerSecond = Double(batchSize) / stepSeconds
            print(String(format: "%-6@  %9d  %9.1f", config, weights, imagesPerSecond))
            rows.append(["config": config, "model": model.name, "mode": mode.rawValue, "width": width, "masked": masked, "weights": weights, "threads": threads,
                         "batch": batchSize, "step_median_s": stepSeconds, "images_per_s": imagesPerSecond,
                         "execution": executionOption.execution.rawValue])
        }
        let peak = peakResidentKiB()
        print("peak resident memory \(peak / 1024) MiB")
        if let json {
            let data = try JSONSerialization.data(
                withJSONObject: ["rows": rows, "peak_rss_kib": peak], options: [.prettyPrinted, .sortedKeys])
            try data.write(to: URL(fileURLWithPath: json))
        }
    }
}
