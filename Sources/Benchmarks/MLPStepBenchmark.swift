import Choices
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore
import Training

/// MLP-1 training steps (784 -> width -> 10, SGD at lr 0.1) timed as benchmarks/torch_bench.py's
/// "mlp" part times PyTorch: a fixed batch of uniform random pixels, 50 warm-up steps, a wait
/// for a quiet machine, then the mean step time of windows of at least 0.5 s.
public struct MLPStepBenchmark: Sendable {
    public var width: Int
    public var batchSize: Int
    /// Masks, if any: the first layer's kept fraction, or the budget of both layers.
    public var masks: Masks
    public var execution: ExecutionChoice
    /// Seconds of clean windows to measure (at least 6 windows).
    public var seconds: Double
    /// Seconds to wait at most for other processes to go quiet first.
    public var maxWait: Double

    public enum Masks: Sendable {
        case none
        /// The first layer keeps this fraction (the paper's Figure 5 connectivity base/width), the last is dense.
        case firstLayer(density: Double)
        /// Both layers masked to this many weights by the uniform rule (a constant-weight family).
        case budget(weights: Int)
    }

    public init(width: Int, batchSize: Int, masks: Masks, execution: ExecutionChoice, seconds: Double, maxWait: Double) {
        (self.width, self.batchSize, self.masks, self.execution, self.seconds, self.maxWait) = (width, batchSize, masks, execution, seconds, maxWait)
    }

    /// The median over clean windows of the mean step time in seconds, and whether too few
    /// windows were clean (the machine was busy: then every window counts).
    public func measure() throws -> (seconds: Double, contended: Bool) {
        let model = MLP(MLPModelConfig(inputSize: 784, width: width, classes: 10))
        switch masks {
        case .none: break
        case .budget(let weights):
            let shapes = MLPModelConfig(width: width).weightShapes
            let removals = try RemovalRule.uniform.removals(total: shapes.map(\.count).reduce(0, +) - weights, layers: shapes)
            applyMasks(to: model.weightLayers, removals: removals, masterSeed: 1)
        case .firstLayer(let density):
            let firstLayerWeights = 784 * width
            let removed = firstLayerWeights - max(1, Int((density * Double(firstLayerWeights)).rounded()))
            applyMasks(to: model.weightLayers, removals: [removed, 0], masterSeed: 1)
        }
        model.initialise(masterSeed: 0)
        // As training chooses.
        decide(execution, for: model, sampleShape: [784], batch: batchSize, calibration: .shared).apply(to: model)
        let trainingStep = TrainingStep(model: model, optimizer: SGD(parameters: model.parameters, learningRate: 0.1))
        var random = RandomStream(seed: 2)
        let images = Tensor(shape: [batchSize, 784])
        for i in 0..<images.count { images[i] = random.nextUnitFloat() }
        let labels = (0..<batchSize).map { _ in Int32(random.nextIndex(below: 10)) }

        func step() { _ = labels.withUnsafeBufferPointer { trainingStep(images, labels: $0) } }
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
