import Choices
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore
import Testing
import Training
import Widening

/// A small MLP-L run on mnist5k, sparse at `removed` when given.
func deepMLPConfig(depth: Int, width: Int, removed: [Int]? = nil, bottleneck: BottleneckConfig? = nil, epochs: Int, seed: UInt64 = 0) -> RunConfig {
    var config = mnist5kConfig(width: width, epochs: epochs, subset: 1000, seed: seed)
    config.model = .mlp(MLPModelConfig(inputSize: 784, width: width, hiddenLayers: depth, classes: 10, removedWeights: removed, bottleneck: bottleneck))
    config.training.momentum = 0.9
    return config
}

@Suite("MLP-L: fully connected networks of any depth")
struct MLPDepthTests {
    /// d n + (L - 1) n^2 + n c: the dense weights of L hidden layers of n units.
    static func closedForm(inputSize d: Int, width n: Int, depth: Int, classes c: Int) -> Int { d * n + (depth - 1) * n * n + n * c }

    @Test("Weight counts of the dense MLP-L equal the closed form; the built model holds exactly those weights; MLP-1 is unchanged",
          arguments: [1, 2, 3, 4])
    func weightCounts(depth: Int) {
        for width in [1, 5, 17, 64] {
            let config = MLPModelConfig(inputSize: 784, width: width, hiddenLayers: depth, classes: 10)
            #expect(config.weightShapes.map(\.count).reduce(0, +) == Self.closedForm(inputSize: 784, width: width, depth: depth, classes: 10))
            #expect(config.weightShapes.map(\.name) == (1...depth + 1).map { "fc\($0).weight" })
            let model = MLP(config)
            #expect(model.weightParameters.map(\.parameter.value.count) == config.weightShapes.map(\.count))
            #expect(model.weightParameters.map(\.parameter.value.shape) == config.weightShapes.map { [$0.outChannels, $0.inChannels] })
        }
        // MLP-1 keeps its record: no depth field, so its run ids are those of earlier releases.
        let mlp1 = MLPModelConfig(width: 5)
        let json = String(decoding: try! JSONEncoder().encode(mlp1), as: UTF8.self)
        #expect(!json.contains("depth") && mlp1.removedWeights == [0, 0])
        #expect(mlp1.weightShapes == [.fullyConnected("fc1.weight", out: 5, in: 784), .fullyConnected("fc2.weight", out: 10, in: 5)])
    }

    @Test("A sparse MLP-3 family keeps exactly the budget at every width, spread over all four layers by each rule")
    func sparseFamily() throws {
        for rule in [RemovalRule.levelDown, .uniform, .erk] {
            var recipe = FamilyRecipe(model: .mlp)
            (recipe.depth, recipe.baseWidth, recipe.widths) = (3, 16, [16, 32, 64, 128])
            recipe.options = WideningOptions(rule: rule)
            let family = try recipe.family()
            let budget = Self.closedForm(inputSize: 784, width: 16, depth: 3, classes: 10)
            for member in family.members {
                let model = try #require(member.model)
                #expect(model.layers.count == 4)
                #expect(model.weights == budget && model.layers.map(\.kept).reduce(0, +) == budget)
                #expect(model.layers.allSatisfy { $0.removed >= 0 && $0.kept >= 1 })
                // Wider, the removals reach more than one layer (level-down levels the largest
                // layers to one size; uniform takes from every layer alike).
                if model.width >= 128 { #expect(model.removals.filter { $0 > 0 }.count >= (rule == .uniform ? 4 : 2), "\(rule) \(model.removals)") }
            }
        }
    }

    @Test("The non-linear bottleneck of MLP-L pairs hidden layers (h1, h2), (h3, h4): the second shrinks, the rest widen, the total comes to the budget")
    func nonlinearBottleneck() throws {
        #expect(NonlinearBottleneckWidening.inapplicable(to: .mlp(inputSize: 784, classes: 10, depth: 1)) != nil)
        // fc1 (d x n) lies outside every pair and grows with the width, so a small input lets the
        // family widen (with 784 inputs it could barely: fc1 alone outgrows the budget).
        let (inputSize, base, width) = (4, 16, 20)
        for depth in [2, 3, 4] {
            let architecture = Architecture.mlp(inputSize: inputSize, classes: 10, depth: depth)
            #expect(NonlinearBottleneckWidening.inapplicable(to: architecture) == nil)
            let budget = Self.closedForm(inputSize: inputSize, width: base, depth: depth, classes: 10)
            let widened = try WideningMethods.widen(
                NonlinearBottleneckWidening.name, options: WideningOptions(), architecture: architecture,
                width: width, weights: nil, weightsOfWidth: base)
            var config = MLPModelConfig(inputSize: inputSize, width: width, hiddenLayers: depth)
            config.take(widened)
            let inner = try #require(config.bottleneck?.innerSizes)
            #expect(inner.count == depth / 2 && inner.allSatisfy { $0 >= 1 && $0 < width })
            // Hidden widths: the width outside the pairs' inner layers, the solved inner widths inside.
            var expectedWidths = Array(repeating: width, count: depth)
            for (pair, size) in inner.enumerated() { expectedWidths[2 * pair + 1] = size }
            #expect(config.hiddenWidths == expectedWidths)
            // The weights by hand: d h1 + h1 h2 + ... + hL c.
            let sizes = [inputSize] + expectedWidths + [10]
            let total = (1..<sizes.count).map { sizes[$0] * sizes[$0 - 1] }.reduce(0, +)
            #expect(config.weightShapes.map(\.count).reduce(0, +) == total)
            #expect(widened.weights == total && widened.residual == total - budget)
            // One global fraction: the miss from the budget is under one unit of every pair.
            #expect(abs(total - budget) <= inner.count * 2 * width)
            try config.validate()
            let model = MLP(config)
            #expect(model.weightParameters.map(\.parameter.value.count) == config.weightShapes.map(\.count))
        }
        // Where fc1 alone outgrows the budget the error says what the smallest model needs.
        #expect(throws: ConfigError.self) {
            try WideningMethods.widen(
                NonlinearBottleneckWidening.name, options: WideningOptions(), architecture: .mlp(inputSize: 784, classes: 10, depth: 2),
                width: 48, weights: nil, weightsOfWidth: 16)
        }
    }

    @Test("Finite differences through a sparse 3-hidden-layer MLP with batch norm")
    func gradientCheck() {
        let model = MLP(MLPModelConfig(inputSize: 6, width: 5, hiddenLayers: 3, classes: 3, batchNorm: true))
        applyMasks(to: model.weightLayers, removals: [7, 5, 4, 3], masterSeed: 4)
        model.initialise(masterSeed: 3)
        let check = checkGradients(model, input: randomTensor([8, 6], seed: 12), step: 1e-3)
        #expect(check.worstInputError < 2e-2)
        #expect(check.worstParameterError < 2e-2)
    }

    @Test("A sparse MLP-3 on its kept weights computes what the dense-masked one does, forward and backward")
    func sparseExecution() {
        func build() -> MLP {
            let model = MLP(MLPModelConfig(inputSize: 30, width: 40, hiddenLayers: 3, classes: 7))
            applyMasks(to: model.weightLayers, removals: [1100, 1500, 200, 100], masterSeed: 3)
            model.initialise(masterSeed: 2)
            return model
        }
        let (dense, sparse) = (build(), build())
        sparse.useSparseExecution([true, true, false, true])
        // Sparse neighbours pass [features, N] activations; the dense third layer needs [N, features].
        #expect(sparse.sparseLayers[0]!.transposedOutput && sparse.sparseLayers[1]!.transposedInput)
        #expect(!sparse.sparseLayers[1]!.transposedOutput && !sparse.sparseLayers[3]!.transposedInput)
        let input = randomTensor([9, 30], seed: 5)
        let upstream = randomTensor([9, 7], seed: 6)
        let (denseOutput, sparseOutput) = (dense.forward(input, mode: .training), sparse.forward(input, mode: .training))
        #expect(near(denseOutput.scalars, sparseOutput.scalars, tolerance: 1e-5))
        for parameter in dense.parameters + sparse.parameters { parameter.zeroGradient() }
        let denseGradient = dense.backward(upstream, needsInputGradient: true)!
        let sparseGradient = sparse.backward(upstream, needsInputGradient: true)!
        #expect(near(denseGradient.scalars, sparseGradient.scalars, tolerance: 1e-5))
        // The dense third layer's gradient is the same; the sparse layers' at their kept entries.
        #expect(near(dense.weightLayers[2].weight.gradient.scalars, sparse.weightLayers[2].weight.gradient.scalars, tolerance: 1e-5))
        for index in [0, 1, 3] {
            let layer = sparse.sparseLayers[index]!
            #expect(near(layer.pattern.scatter(layer.weight.gradient.pointer).scalars, dense.weightLayers[index].weight.gradient.scalars, tolerance: 1e-5))
        }
    }

    @Test("A sparse MLP-3 trains on mnist5k at its budget, its masked weights stay 0, and an interrupted run resumes bit for bit")
    func trainsAndResumes() throws {
        let width = 32
        let dense = Self.closedForm(inputSize: 784, width: width, depth: 3, classes: 10)
        let budget = Self.closedForm(inputSize: 784, width: 16, depth: 3, classes: 10)
        let removals = try RemovalRule.levelDown.removals(
            total: dense - budget, layers: MLPModelConfig(width: width, hiddenLayers: 3).plainWeightShapes)
        let config = deepMLPConfig(depth: 3, width: width, removed: removals, epochs: 4, seed: 1)
        let directory = temporaryFolder()
        let straight = try #require(try TrainingRun(config: config, directory: directory).run())
        #expect(straight.totalWeights == budget)
        #expect(straight.bestTestAccuracy > 0.7, "test accuracy \(straight.bestTestAccuracy)")
        let data = try #require(FileManager.default.contents(atPath: "\(directory)/checkpoint.safetensors"))
        let (tensors, _) = try SafeTensors.decode(data, path: "checkpoint")
        let nonZero = (1...4).map { tensors["fc\($0).weight"]!.scalars.filter { $0 != 0 }.count }
        #expect(nonZero == zip(MLPModelConfig(width: width, hiddenLayers: 3).plainWeightShapes, removals).map { $0.count - $1 })

        let interrupted = TrainingRun(config: config, directory: temporaryFolder())
        #expect(try interrupted.run(stopAfterEpochs: 2) == nil)
        try interrupted.run()
        let metrics = try RecordFiles.readJSONLines(EpochMetrics.self, from: "\(directory)/metrics.jsonl")
        #expect(numbers(try RecordFiles.readJSONLines(EpochMetrics.self, from: interrupted.metricsPath)) == numbers(metrics))
    }
}

@Suite("The shipped MLP depth spec", .serialized)
struct MLPDepthSpecTests {
    @Test("mlp-depth-quick sweeps depths 1-4 at one budget to the end, and report draws a curve per depth")
    func quickSweep() throws {
        let folder = temporaryFolder()
        let spec = repositoryRoot + "/experiments/mlp-depth-quick.yaml"
        let plan = try expand(spec, runsRoot: folder + "/runs")
        // Width 32 at depths 2-4 holds more than the budget, so every member exists: 4 depths x 3 widths.
        #expect(plan.trainable.count == 12)
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder) == 0)
        for run in plan.trainable {
            let directory = try #require(plan.directory(of: run))
            let result = try RecordFiles.readJSON(RunResult.self, from: directory + "/result.json")
            #expect(result.totalWeights == 25408)
            #expect(result.bestTestAccuracy > 0.3, "\(directory): \(result.bestTestAccuracy)")
        }
        #expect(try runWidesparse(["report", folder + "/runs/mlp-depth-quick", "--out", folder + "/report"], in: folder) == 0)
        let page = try String(contentsOfFile: folder + "/report/report.html", encoding: .utf8)
        for depth in 1...4 { #expect(page.contains("MLP-\(depth)"), "no MLP-\(depth) in the report") }
    }
}
