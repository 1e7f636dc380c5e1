import Choices
import Datasets
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore
import Testing
import Training
import WideSparseCLI
import Widening

@Suite("VGG: shapes, weights, gradients, training")
struct VGGTests {
    /// The closed forms, written out by hand: 3x3 convolutions c->w, then the stages' pairs of channel
    /// counts, then the classifier 8w -> k.
    static func closedForm(_ variant: VGGVariant, width w: Int, inputChannels c: Int, classes k: Int) -> Int {
        let convolutions = variant == .vgg11
            ? c * w + w * 2 * w + 2 * w * 4 * w + 4 * w * 4 * w + 4 * w * 8 * w + 3 * (8 * w * 8 * w)
            : c * w + w * w + w * 2 * w + 2 * w * 2 * w + 2 * w * 4 * w + 2 * (4 * w * 4 * w) + 4 * w * 8 * w + 5 * (8 * w * 8 * w)
        return 9 * convolutions + 8 * w * k
    }

    @Test("Weight counts equal the closed forms (9cw + 2250w^2 + 8kw, 9cw + 3591w^2 + 8kw) and the model's own tensors",
          arguments: [VGGVariant.vgg11, .vgg16])
    func weightCounts(variant: VGGVariant) {
        for (width, channels, classes) in [(1, 1, 10), (4, 3, 10), (8, 3, 100), (13, 1, 4), (64, 3, 10)] {
            let shapes = vggWeightShapes(variant: variant, width: width, inputChannels: channels, classes: classes)
            let total = shapes.map(\.count).reduce(0, +)
            #expect(total == Self.closedForm(variant, width: width, inputChannels: channels, classes: classes))
            let quadratic = variant == .vgg11 ? 2250 : 3591
            #expect(total == 9 * channels * width + quadratic * width * width + 8 * classes * width)
            #expect(shapes.count == (variant == .vgg11 ? 9 : 14))
            if width <= 8 {
                let model = VGG(variant: variant, width: width, inputChannels: channels, classes: classes)
                #expect(model.weightParameters.map(\.shape) == shapes)
                #expect(model.weightParameters.map { $0.parameter.value.shape } == shapes.map(\.tensorShape))
            }
        }
        // The original VGG-16 of width 64 on CIFAR-10: 14.7M convolution weights and a 512 -> 10 classifier.
        #expect(vggWeightShapes(variant: .vgg16, width: 64).map(\.count).reduce(0, +) == 14_710_464 + 5120)
    }

    @Test("Finite differences through a masked VGG block (max-pool, then convolution, batch norm, ReLU twice), in the layout it trains in",
          arguments: [ImageLayout.channelsLast, .channelsFirst])
    func gradients(layout: ImageLayout) {
        let model = VGG(variant: .vgg16, width: 2, inputChannels: 1, classes: 3, layout: layout)
        applyMasks(to: model.weightParameters, removals: model.weightParameters.map { $0.shape.count / 3 }, pattern: .allEntries, masterSeed: 5)
        model.initialise(masterSeed: 5)
        let stage = model.stages[1]  // 2 -> 4 channels, two convolutions
        #expect(stage.pool != nil && stage.convolutions.map(\.convolutions[0].weight.name) == ["conv3", "conv4"].map { $0 + ".weight" })
        // Distinct input values, so no max-pool window holds a tie a finite difference could flip.
        let count = 3 * 2 * 8 * 8
        let input = Tensor(shape: layout.shape(batch: 3, channels: 2, height: 8, width: 8),
                           scalars: RandomStream(seed: 8).permutationFloats(count: count))
        let check = checkGradients(stage, input: input, step: 3e-4)
        #expect(check.worstInputError < 1e-2)
        #expect(check.worstParameterError < 1e-2, "worst at \(check.worstParameterName)")
        // Removed weights get no gradient.
        for (parameter, gradient) in zip(stage.parameters, check.analyticParameterGradients) {
            guard let mask = parameter.mask else { continue }
            #expect((0..<mask.count).allSatisfy { mask[$0] != 0 || gradient[$0] == 0 }, "\(parameter.name)")
        }
    }

    @Test("Kept taps equal the dense-masked model: logits and the input gradient")
    func keptTapsEqualDense() throws {
        let config = VGGModelConfig(
            variant: .vgg16, width: 3, inputChannels: 1, classes: 4, removedWeights: [], maskPattern: .allEntries, convolution: .direct)
        let shapes = vggWeightShapes(variant: .vgg16, width: 3, inputChannels: 1, classes: 4)
        var masked = config
        // Densities from 50 % down to a handful of taps, the classifier whole.
        masked.removedWeights = shapes.enumerated().map { index, shape in
            shape.kind == .fullyConnected ? 0 : shape.count - max(1, shape.count >> (1 + index % 7))
        }
        let dense = try buildVGG(masked, masterSeed: 2, sampleShape: [1, 16, 16], classes: 4)
        let sparse = try buildVGG(masked, masterSeed: 2, sampleShape: [1, 16, 16], classes: 4, layout: .batchLast)
        sparse.useKeptTaps()
        #expect(sparse.runsOnKeptTaps)
        let x = randomTensor([5, 1, 16, 16], seed: 3)
        let (a, b) = (dense.forward(x, mode: .training).scalars, sparse.forward(x, mode: .training).scalars)
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, abs($0)) })
        let dy = randomTensor([5, 4], seed: 4)
        let dxDense = try #require(dense.backward(dy, needsInputGradient: true)).scalars
        let dxSparse = try #require(sparse.backward(dy, needsInputGradient: true)).scalars
        #expect(zip(dxDense, dxSparse).allSatisfy { abs($0 - $1) <= 1e-3 * max(1e-2, abs($0)) })
    }

    @Test("A sparse VGG-11 learns a synthetic image task; its masked weights stay exactly 0")
    func shortTraining() throws {
        let (train, test) = (quadrantImages16(count: 320, seed: 1), quadrantImages16(count: 160, seed: 2))
        let budget = vggWeightShapes(variant: .vgg11, width: 4, inputChannels: 1, classes: 4).map(\.count).reduce(0, +)
        let (accuracy, nonZero) = try trainMasked(VGG(variant: .vgg11, width: 8, inputChannels: 1, classes: 4), budget: budget, train: train, test: test)
        #expect(accuracy >= 0.9)
        #expect(nonZero == budget)
    }
}

@Suite("VGG runs: train vgg, families, resume", .serialized)
struct VGGRunTests {
    static let arguments = ["--width", "4", "--weights-of-width", "2", "--train-subset", "400", "--epochs", "2",
                            "--batch-size", "20", "--lr", "0.05"]

    @Test("train vgg resolves the Figure 6 settings, the budget of width 2 and the data's channels and classes")
    func resolves() throws {
        let config = try TrainVGG.parse(["--dataset", "cifar100", "--variant", "16", "--width", "16", "--weights-of-width", "8"]).resolvedConfig()
        guard case .vgg(let model) = config.model else { Issue.record("not a VGG config"); return }
        #expect(model.variant == .vgg16 && model.inputChannels == 3 && model.classes == 100 && model.maskPattern == .allEntries)
        #expect(VGGTests.closedForm(.vgg16, width: 16, inputChannels: 3, classes: 100) - model.removedWeights.reduce(0, +)
            == VGGTests.closedForm(.vgg16, width: 8, inputChannels: 3, classes: 100))
        #expect(config.training.momentum == 0.9 && config.training.weightDecay == 5e-4 && config.training.milestones == [50, 120, 200])
        #expect(config.data.normalisation == .perChannel && config.data.cropPadding == 4 && config.data.horizontalFlip == true)
        let nonlinear = try TrainVGG.parse(["--width", "16", "--weights-of-width", "8", "--method", "nonlinear-bottleneck"]).resolvedConfig()
        guard case .vgg(let narrow) = nonlinear.model, let bottleneck = narrow.bottleneck else { Issue.record("no bottleneck"); return }
        // VGG-11: one pair in each of stages 3-5, whose first convolutions have 64, 128 and 128 outputs at width 16.
        #expect(bottleneck.kind == .nonlinear && bottleneck.innerSizes.count == 3)
        #expect(zip(bottleneck.innerSizes, [64, 128, 128]).allSatisfy { $0 >= 1 && $0 < $1 })
        #expect(narrow.removedWeights.allSatisfy { $0 == 0 })
    }

    @Test("A sparse VGG-11 run on real digits keeps its budget, learns, and resumes bit for bit, on both paths",
          arguments: [ExecutionChoice.dense, .sparse])
    func resumes(execution: ExecutionChoice) throws {
        let config = try TrainVGG.parse(Self.arguments).resolvedConfig()
        let straight = temporaryFolder()
        let result = try #require(try TrainingRun(config: config, directory: straight).run(execution: execution))
        #expect(result.totalWeights == VGGTests.closedForm(.vgg11, width: 2, inputChannels: 1, classes: 10))
        #expect(result.bestTrainAccuracy > 0.2)  // chance is 10 %
        if execution == .sparse {
            #expect(result.layers.dropLast().allSatisfy { $0.execution == "sparse" } && result.layers.last?.execution == "dense")
        }
        let interrupted = TrainingRun(config: config, directory: temporaryFolder())
        #expect(try interrupted.run(stopAfterEpochs: 1, execution: execution) == nil)
        try interrupted.run(execution: execution)
        let a = try RecordFiles.readJSONLines(EpochMetrics.self, from: "\(straight)/metrics.jsonl")
        let b = try RecordFiles.readJSONLines(EpochMetrics.self, from: interrupted.metricsPath)
        #expect(numbers(a) == numbers(b))
    }

    @Test("Families at the budget: every rule exactly, io-only in whole kernels, both bottlenecks within their residual (or infeasible, saying why)",
          arguments: [VGGVariant.vgg11, .vgg16])
    func families(variant: VGGVariant) throws {
        let architecture = Architecture.vgg(variant: variant, inputChannels: 3, classes: 10)
        let budget = VGGTests.closedForm(variant, width: 8, inputChannels: 3, classes: 10)
        for rule in RemovalRule.allCases {
            let family = try WideningFamily(
                architecture: architecture, method: SparseWidening(options: WideningOptions(rule: rule)), baseWidth: 8, widths: [8, 16, 32, 64])
            for member in family.members { #expect(member.model?.weights == budget, "\(rule) width \(member.width)") }
        }
        let ioOnly = try WideningFamily(
            architecture: architecture, method: SparseWidening(options: WideningOptions(ioOnly: true)), baseWidth: 8, widths: [16, 32])
        for member in ioOnly.members {
            let model = try #require(member.model)
            for layer in model.layers where layer.shape.count == 4 { #expect(layer.removed % 9 == 0, "\(layer.name)") }
            #expect(abs(model.weights - budget) < 9 * model.layers.count)
        }
        let linear = try WideningFamily(
            architecture: architecture, method: LinearBottleneckWidening(options: WideningOptions()), baseWidth: 8, widths: [16, 32])
        for member in linear.members {
            let model = try #require(member.model)
            let residual = try #require(model.residual)
            #expect(model.weights == budget + residual)
            #expect(abs(residual) < budget / 25)  // the solver's rounding: 2.3 % at VGG-11 width 16
        }
        #expect(NonlinearBottleneckWidening.inapplicable(to: architecture) == nil)
        // VGG-16's unpaired third convolutions of stages 3-5 alone outgrow width 8's weights at
        // width 16, so its family cannot widen: the member says so.
        let widths = variant == .vgg11 ? [8, 16, 32, 64] : [8, 16]
        let nonlinear = try WideningFamily(
            architecture: architecture, method: NonlinearBottleneckWidening(options: WideningOptions()), baseWidth: 8, widths: widths)
        let pairs = vggBottleneckPairs(variant)
        #expect(pairs.count == (variant == .vgg11 ? 3 : 5))
        if variant == .vgg16 { #expect(nonlinear.members.last?.infeasible?.contains("every inner size 1") == true) }
        for member in nonlinear.members where variant == .vgg11 || member.width == 8 {
            let model = try #require(member.model, "width \(member.width): \(member.infeasible ?? "")")
            let residual = try #require(model.residual)
            #expect(model.weights == budget + residual && abs(residual) < budget / 20)  // +4.9 % at VGG-11 width 64
            // The shapes as built: each pair's inner width links its two convolutions.
            let sizes = try #require(model.bottleneck).innerSizes
            let shapes = vggWeightShapes(variant: variant, width: member.width, bottleneck: .nonlinear(innerWidths: sizes))
            #expect(shapes.map(\.count).reduce(0, +) == model.weights)
            for (pair, inner) in zip(pairs, sizes) {
                #expect(shapes[pair.first].outChannels == inner && shapes[pair.second].inChannels == inner)
            }
            #expect(VGG(variant: variant, width: member.width, bottleneck: .nonlinear(innerWidths: sizes)).weightParameters.map(\.shape) == shapes)
        }
    }
}

@Suite("The shipped VGG spec", .serialized)
struct VGGSpecTests {
    @Test("vgg-cifar-quick sweeps VGG-11 and VGG-16 families to the end (one epoch here), and report draws both")
    func quickSweep() throws {
        let folder = temporaryFolder()
        let spec = repositoryRoot + "/experiments/vgg-cifar-quick.yaml"
        let plan = try expand(spec, runsRoot: folder + "/runs")
        #expect(plan.trainable.count == 10)  // 2 variants x (3 sparse widths + 2 dense ones)
        #expect(try runWidesparse(["sweep", "run", spec, "options.epochs=1", "--runs-dir", folder + "/runs"], in: folder) == 0)
        #expect(try runWidesparse(["report", folder + "/runs/vgg-cifar-quick", "--out", folder + "/report"], in: folder) == 0)
        let page = try String(contentsOfFile: folder + "/report/report.html", encoding: .utf8)
        #expect(page.contains("VGG-11 on fashion-mnist") && page.contains("VGG-16 on fashion-mnist"))
    }
}

/// quadrantImages at 16x16 (each pixel doubled), large enough for VGG's four max-pools.
func quadrantImages16(count: Int, seed: UInt64) -> ImageSet {
    let small = quadrantImages(count: count, seed: seed)
    let images = Tensor(shape: [count, 1, 16, 16])
    for n in 0..<count {
        for row in 0..<16 { for column in 0..<16 { images[n * 256 + row * 16 + column] = small.images[n * 64 + row / 2 * 8 + column / 2] } }
    }
    return ImageSet(images: images, labels: small.labels, classCount: 4)
}

@Suite("Max pooling against its slow twin")
struct MaxPoolTwinTests {
    /// Max pooling of an NCHW batch written out plainly: for each output, the first maximum of its
    /// window in row-major order; its input gradient sends each output's gradient there.
    static func twin(_ x: Tensor, kernel: Int, stride: Int, padding: Int, outputGradient: [Float]) -> (output: [Float], inputGradient: [Float]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (outH, outW) = ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
        var output: [Float] = []
        var gradient = [Float](repeating: 0, count: x.count)
        for image in 0..<n {
            for channel in 0..<c {
                for oy in 0..<outH {
                    for ox in 0..<outW {
                        var best: (value: Float, index: Int)? = nil
                        for ky in 0..<kernel {
                            for kx in 0..<kernel {
                                let (row, column) = (oy * stride - padding + ky, ox * stride - padding + kx)
                                guard (0..<h).contains(row) && (0..<w).contains(column) else { continue }
                                let index = ((image * c + channel) * h + row) * w + column
                                if best == nil || x[index] > best!.value { best = (x[index], index) }
                            }
                        }
                        gradient[best!.index] += outputGradient[output.count]
                        output.append(best!.value)
                    }
                }
            }
        }
        return (output, gradient)
    }

    @Test("Output and input gradient equal the twin in every layout, ties included",
          arguments: [(2, 2, 0), (3, 2, 1), (3, 1, 1)], ImageLayout.allCases)
    func equalsTwin(sizes: (Int, Int, Int), layout: ImageLayout) {
        let (kernel, stride, padding) = sizes
        let (n, c, h, w) = (3, 32, 7, 6)
        // Values rounded to a few levels, so that many windows hold ties.
        let x = randomTensor([n, c, h, w], seed: 11)
        for i in 0..<x.count { x[i] = (x[i] * 3).rounded() }
        let pool = MaxPool2d(kernel: kernel, stride: stride, padding: padding, layout: layout)
        let y = pool.forward(layout == .channelsFirst ? x : { let t = Tensor(shape: [0]); convertLayout(x, from: .channelsFirst, to: layout, into: t); return t }(), mode: .training)
        let yFirst = Tensor(shape: [0])
        convertLayout(y, from: layout, to: .channelsFirst, into: yFirst)
        let dyFirst = randomTensor(yFirst.shape, seed: 12)
        let expected = Self.twin(x, kernel: kernel, stride: stride, padding: padding, outputGradient: dyFirst.scalars)
        #expect(yFirst.scalars == expected.output)
        let dy = Tensor(shape: [0])
        convertLayout(dyFirst, from: .channelsFirst, to: layout, into: dy)
        let dx = pool.backward(dy, needsInputGradient: true)!
        let dxFirst = Tensor(shape: [0])
        convertLayout(dx, from: layout, to: .channelsFirst, into: dxFirst)
        // Overlapping windows sum in the layout's order: equal to rounding.
        #expect(zip(dxFirst.scalars, expected.inputGradient).allSatisfy { abs($0 - $1) <= 1e-6 * max(1, abs($1)) })
    }
}
