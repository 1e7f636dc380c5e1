import Choices
import Experiments
import RunResults
import Foundation
import Models
import NeuralNetwork
import RunRecords
import TensorCore
import Testing
import Training
import WideSparseCLI
import Widening

/// The slow twin of `GlobalFraction.solve`: every fraction between two breakpoints (computed
/// naively, as doubles), its sizes by the rule and its total from `total`, the closest kept.
func closestTotalByTrying(fulls: [Int], target: Int, total: ([Int]) -> Int) -> Int {
    var breakpoints: [Double] = []
    for full in fulls where full > 1 { for k in 1..<full { breakpoints.append((Double(k) + 0.5) / Double(full)) } }
    let sorted = Array(Set(breakpoints)).sorted()
    var candidates: [Double] = [sorted.first.map { $0 / 2 } ?? 0.5, 1]
    for (a, b) in zip(sorted, sorted.dropFirst()) { candidates.append((a + b) / 2) }
    var best: (miss: Int, over: Int, total: Int)?
    for alpha in candidates {
        let sizes = fulls.map { max(1, Int((alpha * Double($0)).rounded())) }
        let value = total(sizes)
        let score = (abs(value - target), value > target ? 1 : 0, value)
        if best == nil || (score.0, score.1) < (best!.miss, best!.over) { best = score }
    }
    return best!.total
}

/// A bottleneck member built through the widening seam, with what the tests read of it.
struct BottleneckMember {
    let model: WidenedModel
    let layers: [WeightShape]
    var bottleneck: Bottleneck { model.bottleneck!.bottleneck }
    var residual: Int { model.residual! }
    var weights: Int { model.weights }
    var fraction: Double { model.bottleneck!.fraction }
    var innerSizes: [Int] { model.bottleneck!.innerSizes }
    var fullSizes: [Int] { model.bottleneck!.fullSizes }
    /// The non-linear bottleneck that shrinks nothing: the plain model (recorded without a bottleneck).
    var isPlainModel: Bool { model.bottleneckConfig == nil }

    /// `atBaseWidth`: the width is the family's base width (a linear bottleneck keeps full inner sizes there).
    init(_ kind: BottleneckKind, _ architecture: Architecture, width: Int, targetWeights: Int, atBaseWidth: Bool) throws {
        let method: any WideningMethod = kind == .linear
            ? try LinearBottleneckWidening(options: WideningOptions()) : try NonlinearBottleneckWidening(options: WideningOptions())
        model = try method.widen(WideningRequest(
            architecture: architecture, width: width, baseWidth: atBaseWidth ? width : nil, targetWeights: targetWeights))
        layers = architecture.layers(width: width, stageWidths: model.stageWidths, bottleneck: model.bottleneck!.bottleneck)
    }
}

@Suite("Bottleneck families: sizes, weight totals, layers and runs")
struct BottleneckTests {
    @Test("The global fraction reaches the closest total its rule allows (against trying every fraction)", arguments: [1, 2, 3, 4, 5])
    func solverMatchesTwin(seed: UInt64) {
        var random = RandomStream(seed: seed)
        let slots = (0..<(2 + random.nextIndex(below: 6))).map { _ in
            BottleneckSlot(full: 1 + random.nextIndex(below: 40), weightsPerUnit: 1 + random.nextIndex(below: 300))
        }
        let fixed = random.nextIndex(below: 500)
        let most = fixed + slots.map { $0.full * $0.weightsPerUnit }.reduce(0, +)
        for target in [fixed, most / 7, most / 3, most / 2, most - 1, most + 10] {
            let solved = GlobalFraction.solve(fixedWeights: fixed, slots: slots, target: target)
            let twin = closestTotalByTrying(fulls: slots.map(\.full), target: target) { sizes in
                fixed + zip(slots, sizes).map { $0.weightsPerUnit * $1 }.reduce(0, +)
            }
            #expect(solved.weights == twin, "slots \(slots), fixed \(fixed), target \(target)")
            #expect(GlobalFraction.innerSizes(fraction: solved.fraction, slots: slots) == solved.innerSizes)
            #expect(solved.fraction > 0 && solved.fraction <= 1)
        }
    }

    @Test("ResNet-18: every width's weight total is the target plus the reported residual, and no fraction comes closer",
          arguments: BottleneckKind.allCases, [ResNetForm.cifar, .imagenet])
    func resNetTotals(kind: BottleneckKind, form: ResNetForm) throws {
        let base = 8
        let target = resNet18WeightShapes(width: base, inputChannels: 3, classes: 10, form: form).map(\.count).reduce(0, +)
        for width in [9, 12, 16, 24, 32] {
            let plan = try BottleneckMember(
                kind, .resNet18(inputChannels: 3, classes: 10, form: form), width: width, targetWeights: target, atBaseWidth: false)
            let model = ResNet18(width: width, inputChannels: 3, classes: 10, form: form, bottleneck: plan.bottleneck)
            let built = model.weightParameters.map(\.parameter.value.count).reduce(0, +)
            #expect(built == target + plan.residual)
            #expect(model.weightParameters.map(\.shape) == plan.layers)
            #expect(model.parameters.allSatisfy { $0.mask == nil })
            let twin = closestTotalByTrying(fulls: plan.fullSizes, target: target) { sizes in
                resNet18WeightShapes(width: width, inputChannels: 3, classes: 10, form: form, bottleneck: Bottleneck(kind: kind, innerSizes: sizes))
                    .map(\.count).reduce(0, +)
            }
            #expect(plan.weights == twin, "width \(width)")
            #expect(abs(plan.residual) < target / 50, "width \(width): residual \(plan.residual)")
        }
    }

    @Test("MLP-1 linear bottleneck: totals are the target plus the residual at every width; non-linear is refused with the reason")
    func mlpTotals() throws {
        let target = 784 * 5 + 5 * 10
        for width in [6, 10, 20, 40, 80, 160, 320, 640] {
            let plan = try BottleneckMember(.linear, .mlp(inputSize: 784, classes: 10, depth: 1), width: width, targetWeights: target, atBaseWidth: false)
            let model = MLP(MLPModelConfig(width: width, bottleneck: BottleneckConfig(kind: .linear, innerSizes: plan.innerSizes, targetWeights: target)))
            #expect(model.weightParameters.map(\.parameter.value.count).reduce(0, +) == target + plan.residual)
            let twin = closestTotalByTrying(fulls: plan.fullSizes, target: target) { sizes in
                MLPModelConfig(width: width, bottleneck: BottleneckConfig(kind: .linear, innerSizes: sizes, targetWeights: target)).weightShapes.map(\.count).reduce(0, +)
            }
            #expect(plan.weights == twin, "width \(width)")
        }
        #expect(throws: ConfigError.self) {
            try BottleneckMember(.nonlinear, .mlp(inputSize: 784, classes: 10, depth: 1), width: 10, targetWeights: target, atBaseWidth: false)
        }
        #expect(NonlinearBottleneckWidening.inapplicable(to: .mlp(inputSize: 784, classes: 10, depth: 1))?.contains("hidden units as its inner width") == true)
    }

    @Test("Non-linear bottleneck: only the inner widths of the blocks shrink; at the base width it is the plain model")
    func nonlinearShapes() throws {
        let target = resNet18WeightShapes(width: 8).map(\.count).reduce(0, +)
        let cifar = Architecture.resNet18(inputChannels: 3, classes: 10, form: .cifar)
        let base = try BottleneckMember(.nonlinear, cifar, width: 8, targetWeights: target, atBaseWidth: true)
        #expect(base.isPlainModel && base.residual == 0 && base.layers == resNet18WeightShapes(width: 8))
        let wide = try BottleneckMember(.nonlinear, cifar, width: 16, targetWeights: target, atBaseWidth: false)
        let plain = resNet18WeightShapes(width: 16)
        for (shape, original) in zip(wide.layers, plain) {
            if shape.name.hasSuffix("conv1.weight") && shape.name.hasPrefix("layer") {
                #expect(shape.inChannels == original.inChannels && shape.outChannels < original.outChannels)
            } else if shape.name.hasSuffix("conv2.weight") {
                #expect(shape.outChannels == original.outChannels && shape.inChannels < original.inChannels)
            } else {
                #expect(shape == original)
            }
        }
        // Too wide: even inner widths of 1 leave more weights than the target.
        #expect(throws: ConfigError.self) {
            try BottleneckMember(.nonlinear, cifar, width: 64, targetWeights: target, atBaseWidth: false)
        }
    }

    @Test("At f = 1 the linear bottleneck keeps inner sizes min(d_in, d_out), and the product of its trained factors is a dense layer computing the same")
    func linearAtBaseWidthIsTheSameFunctionClass() throws {
        let plan = try BottleneckMember(.linear, .mlp(inputSize: 12, classes: 10, depth: 1), width: 5, targetWeights: 12 * 5 + 5 * 10, atBaseWidth: true)
        #expect(plan.innerSizes == [5, 5] && plan.fraction == 1)
        let factored = MLP(MLPModelConfig(inputSize: 12, width: 5, bottleneck: BottleneckConfig(kind: .linear, innerSizes: plan.innerSizes, targetWeights: 12 * 5 + 5 * 10)))
        factored.initialise(masterSeed: 3)
        // A few steps of SGD, so the factors are trained rather than drawn.
        let optimizer = SGD(parameters: factored.parameters, learningRate: 0.1, momentum: 0.9)
        let loss = SoftmaxCrossEntropy()
        let labels: [Int32] = (0..<16).map { Int32($0 % 10) }
        for step in 0..<20 {
            optimizer.zeroGradients()
            let logits = factored.forward(randomTensor([16, 12], seed: UInt64(step)), mode: .training)
            _ = labels.withUnsafeBufferPointer { loss(logits: logits, labels: $0) }
            _ = factored.backward(loss.gradient, needsInputGradient: false)
            optimizer.step()
        }
        let dense = MLP(MLPModelConfig(inputSize: 12, width: 5))
        for (plainLayer, factors) in zip(dense.fullyConnected.map { $0.linears[0] }, factored.fullyConnected.map(\.linears)) {
            let (first, second) = (factors[0], factors[1])
            for o in 0..<plainLayer.outFeatures {
                for i in 0..<plainLayer.inFeatures {
                    var sum: Float = 0
                    for j in 0..<first.outFeatures { sum += second.weight.value[o * first.outFeatures + j] * first.weight.value[j * first.inFeatures + i] }
                    plainLayer.weight.value[o * plainLayer.inFeatures + i] = sum
                }
            }
            plainLayer.bias!.value.copy(from: second.bias!.value)
            #expect(first.bias == nil)
        }
        let input = randomTensor([7, 12], seed: 50)
        let expected = dense.forward(input, mode: .evaluation).scalars
        let found = factored.forward(input, mode: .evaluation).scalars
        #expect(zip(expected, found).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("A 3x3 conv then a 1x1 conv equals the conv with the product kernel (stride 2, padding 1)")
    func factorisedConvolutionIsTheProduct() {
        let factored = FactorisedConv2d(inChannels: 3, outChannels: 5, kernel: 3, stride: 2, padding: 1, innerChannels: 2, name: "c")
        var random = RandomStream(seed: 4)
        for convolution in factored.convolutions { initialise(convolution, random: &random) }
        let (first, second) = (factored.convolutions[0], factored.convolutions[1])
        #expect(first.weight.name == "c.0.weight" && second.weight.name == "c.1.weight" && second.kernel == 1)
        let plain = Conv2d(inChannels: 3, outChannels: 5, kernel: 3, stride: 2, padding: 1)
        for o in 0..<5 {
            for rest in 0..<(3 * 9) {
                var sum: Float = 0
                for j in 0..<2 { sum += second.weight.value[o * 2 + j] * first.weight.value[j * 27 + rest] }
                plain.weight.value[o * 27 + rest] = sum
            }
        }
        let input = randomTensor([2, 3, 7, 6], seed: 5)
        let expected = plain.forward(input, mode: .training).scalars
        let found = factored.forward(input, mode: .training).scalars
        #expect(zip(expected, found).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("Gradient checks through the factor pairs: 3x3 then 1x1 (stride 1 and 2), fully connected factors, blocks of both bottlenecks",
          arguments: [1, 2])
    func gradients(stride: Int) {
        let convolution = FactorisedConv2d(inChannels: 3, outChannels: 4, kernel: 3, stride: stride, padding: 1, bias: true, innerChannels: 2, name: "c")
        var random = RandomStream(seed: 8)
        for factor in convolution.convolutions { initialise(factor, random: &random) }
        let convolutionCheck = checkGradients(convolution, input: randomTensor([2, 3, 5, 5], seed: 9), step: 3e-3)
        #expect(convolutionCheck.worstInputError < 3e-3 && convolutionCheck.worstParameterError < 3e-3)

        let linear = FactorisedLinear(inFeatures: 6, outFeatures: 4, innerFeatures: 3, name: "l")
        for factor in linear.linears { initialise(factor, parameterisation: .standard, distribution: .uniform, random: &random) }
        let linearCheck = checkGradients(linear, input: randomTensor([5, 6], seed: 10))
        #expect(linearCheck.worstInputError < 2e-3 && linearCheck.worstParameterError < 2e-3)

        let inner: [String: Int] = ["b.conv1.weight": 2, "b.conv2.weight": 3, "b.shortcut.0.weight": 2]
        for block in [BasicBlock(inChannels: 3, outChannels: 4, stride: stride, innerChannels: 2, name: "b"),
                      BasicBlock(inChannels: 3, outChannels: 4, stride: stride, linearInner: { inner[$0] }, name: "b")] {
            for factor in block.convolutions { initialise(factor, random: &random) }
            // Two steps: with batch norm over few values a ReLU kink can lie within 3e-4 of the point
            // (the difference then straddles it), and at 1e-4 Float rounding grows. A wrong gradient is
            // wrong at both steps; either artefact spoils only one.
            let checks = [3e-4, 1e-4].map { checkGradients(block, input: randomTensor([3, 3, 5, 5], seed: 11), step: $0) }
            let inputError = checks.map(\.worstInputError).min()!, parameterError = checks.map(\.worstParameterError).min()!
            #expect(inputError < 1e-2 && parameterError < 1e-2,
                    "input error \(inputError), parameter error \(parameterError) (\(checks.map(\.worstParameterName)))")
        }
    }

    @Test("Bottleneck models are deterministic by seed, refuse bad sizes by field, and train and resume bit for bit")
    func runs() throws {
        let arguments = ["--width", "4", "--weights-of-width", "2", "--train-subset", "200", "--epochs", "2",
                         "--batch-size", "25", "--lr", "0.05", "--method", "linear-bottleneck"]
        let config = try TrainResNet.parse(arguments).resolvedConfig()
        guard case .resnet18(let resnet) = config.model, let bottleneck = resnet.bottleneck else {
            Issue.record("expected a bottleneck ResNet config")
            return
        }
        #expect(bottleneck.kind == .linear && bottleneck.targetWeights == 2724 * 4 + 9 * 2 + 8 * 10 * 2)
        func values(_ seed: UInt64) throws -> [[Float]] {
            try buildResNet(resnet, masterSeed: seed, sampleShape: [1, 28, 28], classes: 10).parameters.map(\.value.scalars)
        }
        #expect(try values(3) == values(3))
        #expect(try values(3) != values(4))

        var broken = resnet
        broken.bottleneck!.innerSizes[4] = 999
        #expect(throws: ConfigError(field: "bottleneck.innerSizes", expected: "a size in 1...4 for layer1.1.conv2.weight", found: "999")) {
            try broken.validate()
        }
        broken = resnet
        broken.bottleneck!.innerSizes.removeLast()
        #expect(throws: ConfigError.self) { try broken.validate() }
        #expect(throws: Error.self) { try TrainResNet.parse(["--width", "4", "--weights-of-width", "8", "--method", "linear-bottleneck"]).resolvedConfig() }
        #expect(throws: Error.self) { try TrainResNet.parse(["--width", "4", "--method", "nonlinear-bottleneck"]).resolvedConfig() }
        #expect(throws: Error.self) {
            try TrainResNet.parse(["--width", "4", "--weights-of-width", "2", "--method", "linear-bottleneck", "--rule", "uniform"]).resolvedConfig()
        }
        #expect(throws: Error.self) { try TrainMLP.parse(["--width", "10", "--weights-of-width", "5", "--method", "nonlinear-bottleneck"]).resolvedConfig() }

        let straight = temporaryFolder()
        let result = try #require(try TrainingRun(config: config, directory: straight).run())
        #expect(result.layers.count == 2 * resNet18WeightShapes(width: 4).count)
        #expect(!FileManager.default.fileExists(atPath: "\(straight)/masks.safetensors"))
        let interrupted = TrainingRun(config: config, directory: temporaryFolder())
        #expect(try interrupted.run(stopAfterEpochs: 1) == nil)
        try interrupted.run()
        #expect(try metricsWithoutTime(straight) == metricsWithoutTime(interrupted.directory))

        // An MLP-1 with a linear bottleneck trains too, and learns.
        let mlp = try TrainMLP.parse(["--width", "20", "--weights-of-width", "5", "--method", "linear-bottleneck", "--epochs", "3", "--train-subset", "1000"])
            .resolvedConfig()
        let mlpResult = try #require(try TrainingRun(config: mlp, directory: temporaryFolder()).run())
        #expect(mlpResult.layers.map(\.name) == ["fc1.0.weight", "fc1.1.weight", "fc2.0.weight", "fc2.1.weight"])
        #expect(mlpResult.bestTestAccuracy > 0.3)  // chance is 10 %
    }

    @Test("A quick sweep with all four methods completes, and the report draws Figure 3")
    func sweepWithAllMethods() throws {
        let folder = temporaryFolder()
        let spec = folder + "/all-methods.yaml"
        try """
        name: all-methods
        model: resnet18
        dataset: mnist5k
        base_width: 2
        factors: [1, 2]
        methods: [dense, sparse, linear-bottleneck, nonlinear-bottleneck]
        options:
          epochs: 1
          train-subset: 200
          batch-size: 50
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder) == 0)
        let results = try SweepResults(folder: folder + "/runs/all-methods")
        #expect(results.rows.count == 6)  // sparse and non-linear at factor 1 are the dense base
        #expect(results.rows.allSatisfy { $0.state == .done })
        #expect(Set(results.rows.map(\.method)) == ["dense", "sparse", "linear-bottleneck", "nonlinear-bottleneck"])
        #expect(try runWidesparse(["report", folder + "/runs", "--out", folder + "/report"], in: folder) == 0)
        for figure in ["fig3-linear-bottleneck-1", "fig3-nonlinear-bottleneck-1"] {
            let csv = try String(contentsOfFile: "\(folder)/report/\(figure).csv", encoding: .utf8)
            #expect(csv.contains("baseline (width 2)"), "\(figure): \(csv)")
        }
    }

    @Test("widesparse family --method shows bottleneck sizes and totals; JSON carries the residual")
    func familyCommand() throws {
        let command = try Family.parse(["resnet18", "--method", "linear-bottleneck", "--factors", "1,2,4"])
        let family = try command.makeFamily(base: 8, widths: [8, 16, 32])
        let target = resNet18WeightShapes(width: 8).map(\.count).reduce(0, +)
        #expect(family.targetWeights == target && family.method == "linear-bottleneck")
        #expect(family.members[0].model?.bottleneck?.fraction == 1)
        for member in family.members {
            let model = try #require(member.model)
            #expect(model.residual == model.weights - target)
            #expect(model.layers.map(\.kept).reduce(0, +) == model.weights)
            #expect(model.layers.count == 2 * resNet18WeightShapes(width: 8).count)  // two factors per weight
        }
        #expect(throws: Error.self) { try Family.parse(["mlp", "--method", "nonlinear-bottleneck"]) }
        #expect(throws: Error.self) { try Family.parse(["resnet18", "--method", "linear-bottleneck", "--io-only"]) }
        #expect(throws: Error.self) { try Family.parse(["resnet18", "--method", "wide"]) }
    }

    @Test("family --json of one family of each method matches its golden file, and its totals add up")
    func familyJSONGolden() throws {
        for method in WideningMethods.names {
            let arguments = ["resnet18", "--method", method, "--base-width", "4", "--factors", "1,2", "--json"]
            let command = try Family.parse(arguments)
            let family = try command.makeFamily(base: 4, widths: [4, 8])
            for member in family.members {
                let model = try #require(member.model, "\(method) width \(member.width): \(member.infeasible ?? "")")
                #expect(model.weights == model.layers.map(\.kept).reduce(0, +))
                if let target = family.targetWeights { #expect(model.weights == target + model.residual!) }
            }
            try expectGolden(try jsonText(family) + "\n", "family-resnet18-\(method).json")
        }
    }
}
