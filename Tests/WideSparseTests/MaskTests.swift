import RunRecords
import Models
import NeuralNetwork
import Sparsity
import TensorCore
import Testing
import Training

@Suite("Masks stay exactly zero")
struct MaskTests {
    @Test("Masked weights, their gradients and momentum stay exactly 0 over 100 steps of SGD with momentum and weight decay",
          arguments: [false, true])
    func masksSurviveTraining(nesterov: Bool) {
        let model = MLP(MLPModelConfig(inputSize: 20, width: 16, classes: 4, batchNorm: true))
        applyMasks(to: model.weightLayers, removals: [250, 30], masterSeed: 5)
        model.initialise(masterSeed: 5)
        let optimizer = SGD(parameters: model.parameters, learningRate: 0.05, momentum: 0.9, nesterov: nesterov, weightDecay: 5e-4)
        let loss = SoftmaxCrossEntropy()
        var random = RandomStream(seed: 8)
        for step in 0..<100 {
            let x = randomTensor([10, 20], seed: UInt64(step))
            let labels = (0..<10).map { _ in Int32(random.nextIndex(below: 4)) }
            optimizer.zeroGradients()
            let logits = model.forward(x, mode: .training)
            labels.withUnsafeBufferPointer { _ = loss(logits: logits, labels: $0) }
            _ = model.backward(loss.gradient, needsInputGradient: false)
            for layer in model.weightLayers {
                let mask = layer.weight.mask!
                let gradient = layer.weight.gradient
                #expect((0..<mask.count).allSatisfy { mask[$0] == 1 || gradient[$0] == 0 })
            }
            optimizer.step()
        }
        for (index, layer) in model.weightLayers.enumerated() {
            let mask = layer.weight.mask!
            let value = layer.weight.value
            let removed = (0..<mask.count).filter { mask[$0] == 0 }
            #expect(removed.count == [250, 30][index])
            #expect(removed.allSatisfy { value[$0] == 0 })
            let parameterIndex = model.parameters.firstIndex { $0 === layer.weight }!
            let momentum = optimizer.momentumBuffers[parameterIndex]!
            #expect(removed.allSatisfy { momentum[$0] == 0 })
            // The kept weights did train.
            #expect((0..<mask.count).contains { mask[$0] == 1 && value[$0] != 0 })
        }
    }

    @Test("A mask has exactly the requested zeros, depends only on (seed, name, shape, count), and differs for another seed")
    func maskIsPureFunction() {
        for removed in [0, 1, 37, 500, 999, 1000 - 1] {
            let mask = drawMask(shape: [40, 25], removed: removed, masterSeed: 3, layerName: "fc1.weight")
            #expect(mask.scalars.filter { $0 == 0 }.count == removed)
            #expect(mask.scalars.allSatisfy { $0 == 0 || $0 == 1 })
        }
        let a = drawMask(shape: [40, 25], removed: 600, masterSeed: 3, layerName: "fc1.weight")
        let b = drawMask(shape: [40, 25], removed: 600, masterSeed: 3, layerName: "fc1.weight")
        let otherSeed = drawMask(shape: [40, 25], removed: 600, masterSeed: 4, layerName: "fc1.weight")
        let otherLayer = drawMask(shape: [40, 25], removed: 600, masterSeed: 3, layerName: "fc2.weight")
        #expect(a.scalars == b.scalars)
        #expect(a.scalars != otherSeed.scalars)
        #expect(a.scalars != otherLayer.scalars)
    }

    @Test("Mask-aware initialisation: bound 1/sqrt(fan_in * connectivity) for weights and biases")
    func maskAwareInitialisation() {
        let layer = Linear(inFeatures: 400, outFeatures: 50)
        layer.weight.setMask(drawMask(shape: [50, 400], removed: 19_000, masterSeed: 1, layerName: "w"))
        var random = RandomStream(seed: 4)
        initialise(layer, parameterisation: .standard, distribution: .uniform, random: &random)
        let bound = Float(1 / (400 * 0.05).squareRoot())
        let weights = layer.weight.value.scalars
        let kept = zip(weights, layer.weight.mask!.scalars).filter { $0.1 == 1 }.map(\.0)
        #expect(kept.allSatisfy { abs($0) <= bound })
        #expect(kept.map { abs($0) }.max()! > 0.95 * bound)  // the bound is reached, not a narrower one
        #expect(layer.bias!.value.scalars.allSatisfy { abs($0) <= bound })
        // NTK, normal: variance 1/connectivity at kept entries.
        let ntk = Linear(inFeatures: 400, outFeatures: 50, bias: false, outputScale: 1 / 20)
        ntk.weight.setMask(drawMask(shape: [50, 400], removed: 16_000, masterSeed: 1, layerName: "w"))
        initialise(ntk, parameterisation: .ntk, distribution: .normal, random: &random)
        let keptNTK = zip(ntk.weight.value.scalars, ntk.weight.mask!.scalars).filter { $0.1 == 1 }.map { Double($0.0) }
        let variance = keptNTK.map { $0 * $0 }.reduce(0, +) / Double(keptNTK.count)
        #expect(abs(variance - 5) < 0.3)  // 1/0.2 with 4000 samples: standard error about 0.11
    }
}
