import Choices
import Datasets
import Models
import NeuralNetwork
import Sparsity
import TensorCore
import Testing
import Training

@Suite("ResNet-18 layers and model")
struct ResNetTests {
    @Test("The model's weights are exactly resNet18WeightShapes: names, shapes, counts", arguments: [ResNetForm.cifar, .imagenet])
    func weightsMatchShapes(form: ResNetForm) {
        for (width, channels, classes) in [(4, 3, 10), (8, 1, 100), (6, 3, 7)] {
            let model = ResNet18(width: width, inputChannels: channels, classes: classes, form: form)
            let shapes = resNet18WeightShapes(width: width, inputChannels: channels, classes: classes, form: form)
            #expect(model.weightParameters.map(\.shape) == shapes)
            #expect(model.weightParameters.map(\.parameter.name) == shapes.map(\.name))
            #expect(model.weightParameters.map(\.parameter.value.shape) == shapes.map(\.tensorShape))
        }
    }

    @Test("BasicBlock gradients, with a projection shortcut and with the identity", arguments: [(2, 3, 2), (3, 3, 1)])
    func basicBlock(inChannels: Int, outChannels: Int, stride: Int) {
        let block = BasicBlock(inChannels: inChannels, outChannels: outChannels, stride: stride, name: "b")
        var random = RandomStream(seed: 3)
        for convolution in block.convolutions { initialise(convolution, random: &random) }
        // Batch norm over few values makes the loss sharply curved in conv1's weights: central differences
        // need a small step to be within tolerance (the error shrinks with the step squared: curvature, not a bug).
        let check = checkGradients(block, input: randomTensor([3, inChannels, 5, 5], seed: 7), step: 3e-4)
        #expect(check.worstInputError < 2e-2)
        #expect(check.worstParameterError < 2e-2)
    }

    @Test("BatchNorm2d gradients in both modes", arguments: [Mode.training, .evaluation])
    func batchNorm2d(mode: Mode) {
        let layer = BatchNorm2d(features: 3)
        layer.scale.value.copy(from: randomTensor([3], seed: 1, low: 0.5, high: 1.5))
        layer.shift.value.copy(from: randomTensor([3], seed: 2))
        layer.runningVariance.copy(from: randomTensor([3], seed: 3, low: 0.5, high: 2))
        let check = checkGradients(layer, input: randomTensor([2, 3, 3, 4], seed: 4), mode: mode, step: 5e-3)
        #expect(check.worstInputError < 5e-3)
        #expect(check.worstParameterError < 5e-3)
    }

    @Test("Max pooling (3x3, stride 2, padding 1) and global average pooling gradients")
    func pooling() {
        // Distinct values, so no window has a tie that a finite difference could flip.
        let input = Tensor(shape: [2, 2, 5, 6], scalars: RandomStream(seed: 5).permutationFloats(count: 120))
        #expect(checkGradients(MaxPool2d(kernel: 3, stride: 2, padding: 1), input: input, step: 1e-3).worstInputError < 1e-3)
        #expect(checkGradients(GlobalAveragePool(), input: randomTensor([2, 3, 4, 4], seed: 6)).worstInputError < 1e-3)
        let pooled = MaxPool2d(kernel: 3, stride: 2, padding: 1).forward(Tensor(shape: [1, 1, 2, 2], scalars: [-4, -3, -2, -1]), mode: .training)
        #expect(pooled.shape == [1, 1, 1, 1] && pooled[0] == -1)  // padding never wins, even over negatives
    }

    @Test("A sparse ResNet-18 learns a synthetic image task; its masked weights stay exactly 0")
    func shortTraining() throws {
        let train = quadrantImages(count: 320, seed: 1)
        let test = quadrantImages(count: 160, seed: 2)
        let budget = resNet18WeightShapes(width: 4, inputChannels: 1, classes: 4).map(\.count).reduce(0, +)
        let (accuracy, nonZero) = try trainMasked(ResNet18(width: 8, inputChannels: 1, classes: 4), budget: budget, train: train, test: test)
        #expect(accuracy >= 0.9)
        #expect(nonZero == budget)
    }
}

/// Masks `model` to `budget` weights by the level-down rule, trains it for 6 epochs (SGD, lr 0.05,
/// momentum 0.9, weight decay 5e-4, batch 32), and returns its test accuracy and its non-zero weights.
func trainMasked(_ model: WeightedModel, budget: Int, train: ImageSet, test: ImageSet) throws -> (accuracy: Double, nonZero: Int) {
    let layers = model.weightParameters.map(\.shape)
    let removals = try RemovalRule.levelDown.removals(total: layers.map(\.count).reduce(0, +) - budget, layers: layers)
    applyMasks(to: model.weightParameters, removals: removals, pattern: .allEntries, masterSeed: 3)
    model.initialise(masterSeed: 3)
    let optimizer = SGD(parameters: model.parameters, learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
    let trainer = Trainer(
        model: model, optimizer: optimizer, schedule: .constant, baseLearningRate: 0.05, trainData: train,
        batchSize: 32, evaluationBatchSize: 80, masterSeed: 3)
    for epoch in 0..<6 { _ = try trainer.trainEpoch(epoch) }
    let nonZero = model.weightParameters.map { $0.parameter.value.scalars.filter { $0 != 0 }.count }.reduce(0, +)
    return (try trainer.evaluate(test).accuracy, nonZero)
}

/// 8x8 one-channel images whose class (0-3) is the quadrant holding a bright 3x3 patch, in noise.
func quadrantImages(count: Int, seed: UInt64) -> ImageSet {
    var random = RandomStream(seed: seed)
    let images = Tensor(shape: [count, 1, 8, 8])
    var labels: [Int32] = []
    for n in 0..<count {
        let label = random.nextIndex(below: 4)
        labels.append(Int32(label))
        let (top, left) = (label / 2 * 4 + random.nextIndex(below: 2), label % 2 * 4 + random.nextIndex(below: 2))
        for i in 0..<64 { images[n * 64 + i] = 0.3 * random.nextNormal() }
        for r in top..<(top + 3) { for k in left..<(left + 3) { images[n * 64 + r * 8 + k] += 1.5 } }
    }
    return ImageSet(images: images, labels: labels, classCount: 4)
}

extension RandomStream {
    /// 0, 1, ..., count-1 scaled to [-1, 1) in random order: distinct values.
    func permutationFloats(count: Int) -> [Float] {
        var copy = self
        return copy.permutation(of: count).map { Float($0) / Float(count) * 2 - 1 }
    }
}
