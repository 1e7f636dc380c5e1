import Choices
import Foundation
import Models
import NeuralNetwork
import Sparsity
import TensorCore
import Training

/// Training or inference steps of a CIFAR ResNet-18 or VGG on 32x32x3 images, 10 classes, timed as
/// benchmarks/torch_bench.py's "resnet-train" part times PyTorch: 3 warm-up steps, then steps
/// until `seconds` of clean time and at least `minSteps` steps; the median step time counts.
public struct ConvolutionalStepBenchmark: Sendable {
    /// The models it times.
    public enum Model: Sendable, Equatable {
        case resnet18
        case vgg(VGGVariant)

        /// "resnet18", "vgg11", "vgg16".
        public var name: String {
            switch self {
            case .resnet18: return "resnet18"
            case .vgg(let variant): return "vgg\(variant.rawValue)"
            }
        }

        /// The weight tensors of the dense model of `width`.
        func shapes(width: Int) -> [WeightShape] {
            switch self {
            case .resnet18: return resNet18WeightShapes(width: width)
            case .vgg(let variant): return vggWeightShapes(variant: variant, width: width)
            }
        }

        func build(width: Int, layout: ImageLayout?, convolution: ConvolutionAlgorithm) -> ConvolutionalModel {
            switch self {
            case .resnet18: return ResNet18(width: width, layout: layout, convolution: convolution)
            case .vgg(let variant): return VGG(variant: variant, width: width, layout: layout, convolution: convolution)
            }
        }
    }

    public enum Mode: String, CaseIterable, Sendable {
        /// SGD with momentum 0.9 and weight decay 5e-4.
        case train
        /// Evaluation mode, no gradients.
        case infer
    }

    public var mode: Mode
    public var model = Model.resnet18
    public var width: Int
    /// Masked to the weight count of the dense model of this width by the level-down rule; nil: dense.
    public var maskedToWeightsOfWidth: Int?
    public var batchSize: Int
    public var convolution: ConvolutionAlgorithm
    public var seconds: Double
    public var minSteps: Int
    /// The convolutions' paths, as training decides them: `sparse` every one on its kept taps
    /// (the model batch-last), `auto` each as measured (`ExecutionCalibration.shared`).
    public var execution = ExecutionChoice.dense

    public init(mode: Mode, width: Int, maskedToWeightsOfWidth: Int?, batchSize: Int, convolution: ConvolutionAlgorithm, seconds: Double, minSteps: Int) {
        (self.mode, self.width, self.maskedToWeightsOfWidth, self.batchSize) = (mode, width, maskedToWeightsOfWidth, batchSize)
        (self.convolution, self.seconds, self.minSteps) = (convolution, seconds, minSteps)
    }

    /// The median step time in seconds over clean steps (over all steps when fewer than
    /// `minSteps` were clean), and the model's weights.
    public func measure() throws -> (seconds: Double, weights: Int) {
        func build(layout: ImageLayout?) throws -> ConvolutionalModel {
            let model = self.model.build(width: width, layout: layout, convolution: convolution)
            let shapes = model.weightParameters.map(\.shape)
            if let base = maskedToWeightsOfWidth {
                let budget = self.model.shapes(width: base).map(\.count).reduce(0, +)
                let removals = try RemovalRule.levelDown.removals(total: shapes.map(\.count).reduce(0, +) - budget, layers: shapes)
                applyMasks(to: model.weightParameters, removals: removals, pattern: .allEntries, masterSeed: 1)
            }
            model.initialise(masterSeed: 0)
            return model
        }
        var model = try build(layout: nil)
        let record = decide(execution, for: model, sampleShape: [3, 32, 32], batch: batchSize, calibration: .shared)
        if !model.hasBottleneck, record.runsEveryConvolutionSparse(model) { model = try build(layout: .batchLast) }
        // Weights counted before the dense storage of kept-taps layers goes.
        let weights = model.weightParameters.map(\.parameter.keptCount).reduce(0, +)
        record.apply(to: model)
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
            _ = labels.withUnsafeBufferPointer { trainingStep(images, labels: $0) }
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
        return (samples[samples.count / 2], weights)
    }
}
