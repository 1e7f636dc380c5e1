import Choices
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore
import Testing
import Training

/// A masked dense Linear with random values, and its sparse copy.
func sparsePair(out: Int, in inputs: Int, keptFraction: Double, bias: Bool, seed: UInt64) -> (Linear, SparseLinear) {
    let dense = Linear(inFeatures: inputs, outFeatures: out, bias: bias, outputScale: 0.7, name: "fc")
    let values = randomTensor([out, inputs], seed: seed)
    dense.weight.value.copy(from: values)
    if let bias = dense.bias { bias.value.copy(from: randomTensor([out], seed: seed + 1)) }
    let removed = out * inputs - max(0, Int((Double(out * inputs) * keptFraction).rounded()))
    dense.weight.setMask(drawMask(shape: [out, inputs], removed: removed, masterSeed: seed, layerName: "fc"))
    return (dense, SparseLinear(converting: dense))
}

@Suite("Sparse execution of fully connected layers")
struct SparseExecutionTests {
    @Test("Forward, input gradient and weight gradient equal the dense-masked layer's", arguments: [
        (7, 13, 0.001, 5), (31, 17, 0.01, 3), (64, 100, 0.03, 9), (10, 640, 0.1, 100), (5, 784, 0.5, 1), (33, 29, 0.0, 4),
    ])
    func againstDenseMasked(out: Int, inputs: Int, kept: Double, batch: Int) {
        let (dense, sparse) = sparsePair(out: out, in: inputs, keptFraction: kept, bias: true, seed: UInt64(out * 7 + inputs))
        #expect(sparse.weight.value.count == dense.weight.keptCount)
        let x = randomTensor([batch, inputs], seed: 3)
        let dy = randomTensor([batch, out], seed: 4)
        let yDense = dense.forward(x, mode: .training).clone()
        let ySparse = sparse.forward(x, mode: .training).clone()
        #expect(near(ySparse.scalars, yDense.scalars, tolerance: 1e-5))
        for parameter in dense.parameters + sparse.parameters { parameter.zeroGradient() }
        let dxDense = dense.backward(dy, needsInputGradient: true)!.clone()
        let dxSparse = sparse.backward(dy, needsInputGradient: true)!.clone()
        #expect(near(dxSparse.scalars, dxDense.scalars, tolerance: 1e-5))
        // The sparse gradient is the dense (masked) gradient at the kept positions.
        #expect(near(sparse.pattern.scatter(sparse.weight.gradient.pointer).scalars, dense.weight.gradient.scalars, tolerance: 1e-5))
        // Removed weights do not exist, so they stay exactly zero.
        let mask = dense.weight.mask!
        #expect((0..<mask.count).allSatisfy { mask[$0] == 1 || sparse.denseWeight[$0] == 0 })
    }

    @Test("Empty rows and columns: outputs with no kept weight are the bias, inputs no weight reads get no gradient")
    func emptyRowsAndColumns() {
        let dense = Linear(inFeatures: 4, outFeatures: 3, bias: true, name: "fc")
        dense.weight.value.copy(from: randomTensor([3, 4], seed: 1))
        dense.bias!.value.copy(from: Tensor(shape: [3], scalars: [0.5, -1, 2]))
        dense.weight.setMask(Tensor(shape: [3, 4], scalars: [0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1]))
        let sparse = SparseLinear(converting: dense)
        let x = randomTensor([2, 4], seed: 2)
        let y = sparse.forward(x, mode: .training)
        #expect(y[1] == -1 && y[3 + 1] == -1)
        sparse.weight.zeroGradient()
        let dx = sparse.backward(randomTensor([2, 3], seed: 3), needsInputGradient: true)!
        #expect(dx[2] == 0 && dx[4 + 2] == 0)
    }

    @Test("SparseLinear against finite differences")
    func gradientCheck() {
        let (_, sparse) = sparsePair(out: 6, in: 9, keptFraction: 0.3, bias: true, seed: 11)
        let check = checkGradients(sparse, input: randomTensor([4, 9], seed: 12))
        #expect(check.worstInputError < 1e-3 && check.worstParameterError < 1e-3)
    }

    @Test("A whole training run gives the same metrics on the dense-masked and the sparse path")
    func sameTraining() throws {
        let config = mnist5kConfig(width: 160, removed: [160 * 784 - 3000, 800], epochs: 3, subset: 600)
        var runs: [[EpochMetrics]] = []
        for execution in [ExecutionChoice.dense, .sparse] {
            let directory = temporaryFolder()
            try TrainingRun(config: config, directory: directory).run(execution: execution)
            let record = try RecordFiles.readJSON(ExecutionRecord.self, from: directory + "/execution.json")
            #expect(Set(record.layers.values) == [execution.rawValue])
            let result = try RecordFiles.readJSON(RunResult.self, from: directory + "/result.json")
            #expect(result.layers.map(\.execution) == [execution.rawValue, execution.rawValue])
            #expect(result.totalWeights == 3000 + 800)
            runs.append(try RecordFiles.readJSONLines(EpochMetrics.self, from: directory + "/metrics.jsonl"))
        }
        for (dense, sparse) in zip(runs[0], runs[1]) {
            #expect(abs(dense.trainLoss - sparse.trainLoss) < 1e-4 * max(1, abs(dense.trainLoss)))
            #expect(abs(dense.testAccuracy - sparse.testAccuracy) <= 0.002)
        }
    }

    // Which path is faster depends on the machine and its load, so no test asserts it (the
    // measurements are in BENCHMARKS.md); these check what the calibration must do anywhere.
    @Test("The calibration measures both forms, leaves the layer alone, and its cached choice is stable")
    func automaticChoice() {
        let (layer, _) = sparsePair(out: 64, in: 78, keptFraction: 0.05, bias: true, seed: 21)
        let weights = layer.weight.value.scalars
        let gradients = layer.parameters.map { $0.gradient.scalars }
        let probe = ExecutionProbe(.linear(layer), batch: 10)
        let timing = ExecutionCalibration.time(probe)
        #expect(timing.dense.isFinite && timing.dense > 0 && timing.sparse.isFinite && timing.sparse > 0)
        #expect(layer.weight.value.scalars == weights)
        #expect(layer.parameters.map { $0.gradient.scalars } == gradients)
        let calibration = ExecutionCalibration(file: nil)
        let first = calibration.timing(probe).sparseIsFaster
        #expect((0..<5).allSatisfy { _ in calibration.timing(probe).sparseIsFaster == first })
    }
}

func near(_ fast: [Float], _ slow: [Float], tolerance: Float) -> Bool {
    fast.count == slow.count && zip(fast, slow).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

@Suite("MLP-1 with both layers sparse (activations passed as [width, N])")
struct SparseMLPTests {
    @Test("Logits and every gradient equal the dense-masked model's")
    func sameAsDense() {
        func model() -> MLP {
            let model = MLP(MLPModelConfig(inputSize: 30, width: 40, classes: 7))
            applyMasks(to: model.weightLayers, removals: [1100, 200], masterSeed: 3)
            model.initialise(masterSeed: 4)
            return model
        }
        let (dense, sparse) = (model(), model())
        sparse.useSparseExecution([true, true])
        #expect(sparse.sparseLayers[0]!.transposedOutput && sparse.sparseLayers[1]!.transposedInput)
        let x = randomTensor([9, 30], seed: 5)
        let upstream = randomTensor([9, 7], seed: 6)
        let yDense = dense.forward(x, mode: .training).clone()
        let ySparse = sparse.forward(x, mode: .training).clone()
        #expect(near(ySparse.scalars, yDense.scalars, tolerance: 1e-5))
        for parameter in dense.parameters + sparse.parameters { parameter.zeroGradient() }
        _ = dense.backward(upstream, needsInputGradient: false)
        _ = sparse.backward(upstream, needsInputGradient: false)
        for (index, layer) in sparse.sparseLayers.enumerated() {
            let denseGradient = dense.weightLayers[index].weight.gradient.scalars
            #expect(near(layer!.pattern.scatter(layer!.weight.gradient.pointer).scalars, denseGradient, tolerance: 1e-5))
            #expect(near(layer!.bias!.gradient.scalars, dense.weightLayers[index].bias!.gradient.scalars, tolerance: 1e-5))
        }
    }
}
