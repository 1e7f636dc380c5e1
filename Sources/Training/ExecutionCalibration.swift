import Foundation
import NeuralNetwork
import RunRecords
import TensorCore

/// Median nanoseconds of one training pass (forward and backward) of a layer in both forms:
/// dense with its mask multiplied in, and on its kept weights only.
public struct ExecutionTiming: Codable, Equatable, Sendable {
    public var dense: Double
    public var sparse: Double

    public init(dense: Double, sparse: Double) { (self.dense, self.sparse) = (dense, sparse) }

    /// The decision `auto` takes: sparse only where it measured faster.
    public var sparseIsFaster: Bool { sparse < dense }
}

/// A weight layer to time at a run's batch size: what decides its cost on this machine.
public struct ExecutionProbe {
    public enum Layer {
        case linear(Linear)
        /// A convolution reading `height` x `width` images; `needsInputGradient` is false for the
        /// first layer of a model (nothing before it to train).
        case convolution(Conv2d, height: Int, width: Int, needsInputGradient: Bool)
    }

    public let layer: Layer
    public let batch: Int

    public init(_ layer: Layer, batch: Int) { (self.layer, self.batch) = (layer, batch) }

    /// Everything the timing depends on: the kind of machine, the release (its kernels), the
    /// layer's shape, layout and algorithm, its kept weights, the batch and the thread count.
    public var key: String {
        let common = "batch \(batch) threads \(ComputeThreads.current) on \(MachineKind.current) widesparse \(WideSparseVersion.release)"
        switch layer {
        case .linear(let linear):
            return "linear \(linear.outFeatures)x\(linear.inFeatures) bias \(linear.bias != nil) kept \(linear.weight.keptCount) \(common)"
        case .convolution(let c, let height, let width, let needsInputGradient):
            return "conv \(c.outChannels)x\(c.inChannels)x\(c.kernel)x\(c.kernel) stride \(c.stride) padding \(c.padding) "
                + "bias \(c.bias != nil) image \(height)x\(width) \(c.inputLayout.rawValue)->\(c.layout.rawValue) \(c.algorithm) "
                + "input-gradient \(needsInputGradient) kept \(c.weight.keptCount) \(common)"
        }
    }
}

/// The processor model and count, as /proc/cpuinfo and the OS give them: timings measured on one
/// node of a cluster hold for the others of its kind, not for a different kind.
public enum MachineKind {
    public static let current: String = {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .map { $0.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "unknown processor"
        return "\(model) x\(ProcessInfo.processInfo.activeProcessorCount)"
    }()
}

/// Dense and sparse timings of weight layers, each measured once and kept in a JSON file, so
/// that a sweep of a hundred runs calibrates a layer shape once rather than a hundred times.
///
/// The file is a cache: one that is missing or unreadable counts as empty and is written anew;
/// entries are merged into what is on disk at each save (written atomically), so concurrent runs
/// lose at most a measurement, never the file.
public final class ExecutionCalibration: @unchecked Sendable {
    /// The cache of this user: $WIDESPARSE_CACHE_DIR, else $XDG_CACHE_HOME/widesparse, else
    /// ~/.cache/widesparse, each holding execution-timings.json (in memory only without a home).
    public static let shared = ExecutionCalibration(file: defaultFile)

    public static var defaultFile: String? {
        let environment = ProcessInfo.processInfo.environment
        let directory = environment["WIDESPARSE_CACHE_DIR"].map { $0 }
            ?? environment["XDG_CACHE_HOME"].map { "\($0)/widesparse" }
            ?? environment["HOME"].map { "\($0)/.cache/widesparse" }
        return directory.map { "\($0)/execution-timings.json" }
    }

    /// Where the timings are kept; nil keeps them in memory only.
    public let file: String?
    private let measure: (ExecutionProbe) -> ExecutionTiming
    private var timings: [String: ExecutionTiming] = [:]
    private let lock = NSLock()

    /// `measure` times a probe (by default on this machine, `ExecutionCalibration.time`); tests
    /// inject timings.
    public convenience init(file: String?) {
        self.init(file: file, measure: ExecutionCalibration.time)
    }

    public init(file: String?, measure: @escaping (ExecutionProbe) -> ExecutionTiming) {
        self.file = file
        self.measure = measure
        timings = readFile()
    }

    /// The timing of `probe`: from memory, else from the file (another run may have added it),
    /// else measured now and saved.
    public func timing(_ probe: ExecutionProbe) -> ExecutionTiming {
        let key = probe.key
        lock.lock()
        defer { lock.unlock() }
        if let known = timings[key] { return known }
        timings.merge(readFile()) { mine, _ in mine }
        if let known = timings[key] { return known }
        let measured = measure(probe)
        timings[key] = measured
        save()
        return measured
    }

    private struct CacheFile: Codable {
        var format = 1
        var timings: [String: ExecutionTiming]
    }

    private func readFile() -> [String: ExecutionTiming] {
        guard let file, let saved = try? RecordFiles.readJSON(CacheFile.self, from: file), saved.format == 1 else { return [:] }
        return saved.timings
    }

    private func save() {
        guard let file else { return }
        timings.merge(readFile()) { mine, _ in mine }
        // A cache that cannot be written costs a calibration next time, not the run.
        try? RecordFiles.writeJSON(CacheFile(timings: timings), to: file)
    }
}

extension ExecutionCalibration {
    /// Times `probe` on this machine: a forward and backward pass of a copy of the layer,
    /// dense-masked and on its kept weights (`SparseLinear`; `SparseConv2d` between layout
    /// conversions, as a model that mixes the two runs it), on random inputs of the probe's batch:
    /// the median of `rounds` after one warm-up each. The layer itself is left alone.
    public static func time(_ probe: ExecutionProbe) -> ExecutionTiming {
        time(probe, rounds: 3)
    }

    public static func time(_ probe: ExecutionProbe, rounds: Int) -> ExecutionTiming {
        var random = RandomStream(seed: 17)
        func randomTensor(_ shape: [Int]) -> Tensor {
            let tensor = Tensor(shape: shape)
            for i in 0..<tensor.count { tensor[i] = random.nextUniform(-1, 1) }
            return tensor
        }
        func median(_ candidate: NeuralNetwork.Layer, input: Tensor, gradient: Tensor, needsInputGradient: Bool) -> Double {
            var times: [Double] = []
            for round in 0...rounds {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = candidate.forward(input, mode: .training)
                _ = candidate.backward(gradient, needsInputGradient: needsInputGradient)
                for parameter in candidate.parameters { parameter.zeroGradient() }
                if round > 0 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start)) }
            }
            return times.sorted()[times.count / 2]
        }
        switch probe.layer {
        case .linear(let layer):
            let dense = Linear(inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, bias: layer.bias != nil,
                               outputScale: layer.outputScale, name: layer.weight.name)
            dense.weight.value.copy(from: layer.weight.value)
            if let mask = layer.weight.mask { dense.weight.setMask(mask) }
            let (input, gradient) = (randomTensor([probe.batch, layer.inFeatures]), randomTensor([probe.batch, layer.outFeatures]))
            let sparse = median(SparseLinear(converting: dense), input: input, gradient: gradient, needsInputGradient: true)
            return ExecutionTiming(dense: median(dense, input: input, gradient: gradient, needsInputGradient: true), sparse: sparse)
        case .convolution(let layer, let height, let width, let needsInputGradient):
            let dense = Conv2d(
                inChannels: layer.inChannels, outChannels: layer.outChannels, kernel: layer.kernel, stride: layer.stride,
                padding: layer.padding, bias: layer.bias != nil, layout: layer.layout, inputLayout: layer.inputLayout,
                algorithm: layer.algorithm, name: layer.weight.name)
            dense.weight.value.copy(from: layer.weight.value)
            if let mask = layer.weight.mask { dense.weight.setMask(mask) }
            let geometry = ConvolutionGeometry(
                batch: probe.batch, inChannels: layer.inChannels, outChannels: layer.outChannels, inputHeight: height,
                inputWidth: width, kernel: layer.kernel, stride: layer.stride, padding: layer.padding)
            let input = randomTensor(layer.inputLayout.shape(batch: probe.batch, channels: layer.inChannels, height: height, width: width))
            let gradient = randomTensor(geometry.outputShape(in: layer.layout))
            let sparse = BatchLastBridge(SparseConv2d(converting: dense), inputLayout: layer.inputLayout, outputLayout: layer.layout)
            let sparseTime = median(sparse, input: input, gradient: gradient, needsInputGradient: needsInputGradient)
            return ExecutionTiming(
                dense: median(dense, input: input, gradient: gradient, needsInputGradient: needsInputGradient), sparse: sparseTime)
        }
    }
}
