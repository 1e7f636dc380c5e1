import Choices
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore
import Testing
import Training
import WideSparseCLI

@Suite("Kept-taps convolutions inside a network of another layout")
struct BatchLastBridgeTests {
    @Test("Conversions to and from batch-last equal the element-by-element twin", arguments: [
        (ImageLayout.channelsFirst, 3), (.channelsLast, 7), (.blocked16, 32),
    ])
    func conversions(layout: ImageLayout, channels: Int) {
        let shape = layout.shape(batch: 5, channels: channels, height: 3, width: 4)
        let x = randomTensor(shape, seed: 1)
        let (fast, slow, scratch) = (Tensor(shape: [0]), Tensor(shape: [0]), Tensor(shape: [0]))
        BatchLastConversion.toBatchLast(x, from: layout, into: fast, scratch: scratch)
        convertLayout(x, from: layout, to: .batchLast, into: slow)
        #expect(fast.shape == slow.shape && fast.scalars == slow.scalars)
        let back = Tensor(shape: [0])
        BatchLastConversion.fromBatchLast(fast, to: layout, into: back, scratch: scratch)
        #expect(back.shape == shape && back.scalars == x.scalars)
    }

    /// A masked dense convolution in `layout` (reading `inputLayout`) and the same on its kept taps, bridged.
    static func pair(inChannels: Int, outChannels: Int, stride step: Int, layout: ImageLayout, inputLayout: ImageLayout)
        -> (Conv2d, BatchLastBridge, SparseConv2d) {
        let dense = Conv2d(inChannels: inChannels, outChannels: outChannels, kernel: 3, stride: step, padding: 1,
                           layout: layout, inputLayout: inputLayout)
        dense.weight.value.copy(from: randomTensor(dense.weight.value.shape, seed: 2))
        let mask = Tensor(shape: dense.weight.value.shape, repeating: 1)
        for i in stride(from: 0, to: mask.count, by: 3) { mask[i] = 0 }
        dense.weight.setMask(mask)
        let sparse = SparseConv2d(converting: dense)
        return (dense, BatchLastBridge(sparse, inputLayout: inputLayout, outputLayout: layout), sparse)
    }

    @Test("A bridged kept-taps convolution equals the masked dense one: output, input gradient, kept weights' gradient",
          arguments: [(ImageLayout.channelsLast, ImageLayout.channelsLast, 3, 5, 1), (.blocked16, .blocked16, 16, 32, 2),
                      (.blocked16, .channelsFirst, 3, 16, 1)])
    func equalsDense(layout: ImageLayout, inputLayout: ImageLayout, inChannels: Int, outChannels: Int, stride: Int) {
        let (dense, bridge, sparse) = Self.pair(
            inChannels: inChannels, outChannels: outChannels, stride: stride, layout: layout, inputLayout: inputLayout)
        let x = randomTensor(inputLayout.shape(batch: 3, channels: inChannels, height: 7, width: 6), seed: 3)
        let y = dense.forward(x, mode: .training).scalars
        let yBridged = bridge.forward(x, mode: .training)
        #expect(yBridged.shape == dense.forward(x, mode: .training).shape)
        #expect(zip(yBridged.scalars, y).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        let dy = randomTensor(yBridged.shape, seed: 4)
        for parameter in dense.parameters + bridge.parameters { parameter.zeroGradient() }
        let dx = dense.backward(dy, needsInputGradient: true)!.scalars
        let dxBridged = bridge.backward(dy, needsInputGradient: true)!.scalars
        #expect(zip(dxBridged, dx).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        let dw = sparse.taps.gather(dense.weight.gradient)
        #expect(zip(sparse.weight.gradient.scalars, dw).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }

    @Test("A bridged kept-taps convolution against finite differences")
    func finiteDifferences() {
        let (_, bridge, _) = Self.pair(inChannels: 3, outChannels: 4, stride: 2, layout: .channelsLast, inputLayout: .channelsLast)
        let check = checkGradients(bridge, input: randomTensor([2, 6, 5, 3], seed: 5))
        #expect(check.worstInputError < 2e-3 && check.worstParameterError < 2e-3)
    }

    /// A ResNet-18 with `keep` of its weights, blocked at width 16 and channels-last otherwise.
    static func maskedResNet(width: Int, keep: Double, seed: UInt64 = 3) -> ResNet18 {
        let model = ResNet18(width: width, inputChannels: 2, classes: 5, layout: width % ImageLayout.block == 0 ? .blocked16 : .channelsLast)
        let shapes = model.weightParameters.map(\.shape)
        let total = shapes.map(\.count).reduce(0, +)
        let removals = try! RemovalRule.uniform.removals(total: total - Int(keep * Double(total)), layers: shapes)
        applyMasks(to: model.weightParameters, removals: removals, pattern: .allEntries, masterSeed: seed)
        model.initialise(masterSeed: 4)
        return model
    }

    @Test("A ResNet-18 with some convolutions on kept taps (blocked and channels-last) takes the masked dense model's step",
          arguments: [16, 4])
    func mixedResNet(width: Int) {
        let (dense, mixed) = (Self.maskedResNet(width: width, keep: 0.5), Self.maskedResNet(width: width, keep: 0.5))
        #expect(mixed.layout == (width == 16 ? .blocked16 : .channelsLast))
        var picked = 0
        mixed.useKeptTaps { _ in picked += 1; return picked % 2 == 1 }
        #expect(mixed.factorisedConvolutions.filter { $0.keptTaps != nil }.count == 10 && !mixed.runsOnKeptTaps)
        let x = randomTensor([4, 2, 8, 8], seed: 5)
        let dy = randomTensor([4, 5], seed: 6)
        for parameter in dense.parameters + mixed.parameters { parameter.zeroGradient() }
        let logits = dense.forward(x, mode: .training).scalars
        #expect(zip(mixed.forward(x, mode: .training).scalars, logits).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        _ = dense.backward(dy, needsInputGradient: false)
        _ = mixed.backward(dy, needsInputGradient: false)
        for (layer, convolution) in zip(mixed.factorisedConvolutions, dense.convolutions) {
            let expected = layer.keptTaps.map { $0.taps.gather(convolution.weight.gradient) } ?? convolution.weight.gradient.scalars
            let actual = layer.keptTaps?.weight.gradient.scalars ?? layer.convolutions[0].weight.gradient.scalars
            let scale = max(expected.map(abs).max() ?? 0, 1e-6)
            #expect(zip(actual, expected).allSatisfy { abs($0 - $1) <= 1e-3 * scale })
        }
        // Evaluation runs the same kernels.
        let evaluation = dense.forward(x, mode: .evaluation).scalars
        #expect(zip(mixed.forward(x, mode: .evaluation).scalars, evaluation).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }

    @Test("Image sizes each convolution reads, CIFAR and ImageNet forms")
    func inputSizes() {
        let cifar = ResNet18(width: 4).convolutionInputSizes(height: 32, width: 30).map { [$0.height, $0.width] }
        let (a, b, c, d) = ([32, 30], [16, 15], [8, 8], [4, 4])
        // The stem, then each block's conv1, conv2 (and shortcut, which reads the block's input).
        #expect(cifar == [a, a, a, a, a, a, b, a, b, b, b, c, b, c, c, c, d, c, d, d])
        let imagenet = ResNet18(width: 4, form: .imagenet).convolutionInputSizes(height: 224, width: 224).map(\.height)
        #expect(imagenet == [224, 56, 56, 56, 56, 56, 28, 56, 28, 28, 28, 14, 28, 14, 14, 14, 7, 14, 7, 7])
    }
}

@Suite("--execution auto: the per-layer decision and its cache on disk", .serialized)
struct ExecutionDecisionTests {
    /// Injected timings: dense costs its taps, sparse five times its kept taps (the crossover at 20 %).
    final class CostModel: @unchecked Sendable {
        var calls = 0
        func timing(_ probe: ExecutionProbe) -> ExecutionTiming {
            calls += 1
            switch probe.layer {
            case .convolution(let conv, _, _, _): return ExecutionTiming(dense: Double(conv.weight.value.count), sparse: 5 * Double(conv.weight.keptCount))
            case .linear(let linear): return ExecutionTiming(dense: Double(linear.weight.value.count), sparse: 5 * Double(linear.weight.keptCount))
            }
        }
    }

    @Test("auto puts masked convolutions on kept taps at 1 % and keeps them dense at 90 %; the classifier stays dense")
    func picks() {
        let costs = CostModel()
        let calibration = ExecutionCalibration(file: nil, measure: costs.timing)
        let convolutions = Set(Self.convolutionNames)
        for (keep, expected) in [(0.01, "sparse"), (0.9, "dense")] {
            let model = BatchLastBridgeTests.maskedResNet(width: 16, keep: keep)
            let record = decide(.auto, for: model, sampleShape: [2, 8, 8], batch: 4, calibration: calibration)
            #expect(record.chosenBy == "auto (measured)")
            #expect(record.layers.filter { convolutions.contains($0.key) }.values.allSatisfy { $0 == expected })
            #expect(record.layers["linear.weight"] == "dense")
            #expect(Set(record.measured?.keys.map { $0 } ?? []) == convolutions)
        }
        // Layers of one shape, image size and kept count are measured once.
        #expect(costs.calls == Self.distinctProbes(keep: 0.01) + Self.distinctProbes(keep: 0.9))
        // `sparse` forces every convolution; `dense` none.
        let model = BatchLastBridgeTests.maskedResNet(width: 16, keep: 0.9)
        let sparse = decide(.sparse, for: model, sampleShape: [2, 8, 8], batch: 4, calibration: calibration)
        #expect(sparse.runsEveryConvolutionSparse(model) && sparse.layers["linear.weight"] == "dense")
        #expect(decide(.dense, for: model, sampleShape: [2, 8, 8], batch: 4, calibration: calibration).layers.values.allSatisfy { $0 == "dense" })
    }

    static func distinctProbes(keep: Double) -> Int {
        let model = BatchLastBridgeTests.maskedResNet(width: 16, keep: keep)
        return Set(model.convolutionInputSizes(height: 8, width: 8).enumerated().map { offset, site in
            ExecutionProbe(.convolution(site.convolution.convolutions[0], height: site.height, width: site.width, needsInputGradient: offset > 0),
                           batch: 4).key
        }).count
    }

    static var convolutionNames: [String] {
        ResNet18(width: 4).factorisedConvolutions.map { $0.convolutions[0].weight.name }
    }

    @Test("Timings are kept on disk: a second calibration (another run of a sweep) measures nothing; a broken cache file is measured anew and rewritten")
    func cache() throws {
        let file = temporaryFolder() + "/cache/execution-timings.json"
        let first = CostModel()
        let model = BatchLastBridgeTests.maskedResNet(width: 16, keep: 0.01)
        let record = decide(.auto, for: model, sampleShape: [2, 8, 8], batch: 4,
                            calibration: ExecutionCalibration(file: file, measure: first.timing))
        let distinct = Self.distinctProbes(keep: 0.01)
        #expect(first.calls == distinct && FileManager.default.fileExists(atPath: file))
        let second = CostModel()
        let again = decide(.auto, for: model, sampleShape: [2, 8, 8], batch: 4, calibration: ExecutionCalibration(file: file, measure: second.timing))
        #expect(second.calls == 0 && again == record)
        // Another batch size is another measurement.
        _ = decide(.auto, for: model, sampleShape: [2, 8, 8], batch: 8, calibration: ExecutionCalibration(file: file, measure: second.timing))
        #expect(second.calls == distinct)
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: file))
        let third = CostModel()
        #expect(decide(.auto, for: model, sampleShape: [2, 8, 8], batch: 4, calibration: ExecutionCalibration(file: file, measure: third.timing)) == record)
        #expect(third.calls == distinct)
        let fourth = CostModel()
        _ = decide(.auto, for: model, sampleShape: [2, 8, 8], batch: 4, calibration: ExecutionCalibration(file: file, measure: fourth.timing))
        #expect(fourth.calls == 0)
    }

    @Test("The real calibration times both forms of a convolution and leaves the layer alone")
    func measuresConvolution() {
        let model = BatchLastBridgeTests.maskedResNet(width: 16, keep: 0.1)
        let convolution = model.blocks[2].conv1.convolutions[0]
        let (weights, gradient) = (convolution.weight.value.scalars, convolution.weight.gradient.scalars)
        let timing = ExecutionCalibration.time(ExecutionProbe(.convolution(convolution, height: 4, width: 4, needsInputGradient: true), batch: 4), rounds: 1)
        #expect(timing.dense.isFinite && timing.dense > 0 && timing.sparse.isFinite && timing.sparse > 0)
        #expect(convolution.weight.value.scalars == weights && convolution.weight.gradient.scalars == gradient)
    }
}

@Suite("A short ResNet-18 run on each path", .serialized)
struct ResNetExecutionRunTests {
    @Test("Dense-masked, all on kept taps, and mixed (auto) runs give the same metrics; the mixed run records each layer's path and resumes bit for bit")
    func sameMetrics() throws {
        let arguments = ["--width", "4", "--weights-of-width", "2", "--train-subset", "400", "--epochs", "2",
                         "--batch-size", "20", "--crop-padding", "2", "--lr", "0.05"]
        let config = try TrainResNet.parse(arguments).resolvedConfig()
        // Injected timings: stages 3 and 4 measure faster on kept taps, stages 1 and 2 dense.
        let calibration = ExecutionCalibration(file: nil) { probe in
            guard case .convolution(let conv, _, _, _) = probe.layer else { return ExecutionTiming(dense: 1, sparse: 2) }
            let late = conv.weight.name.hasPrefix("layer3") || conv.weight.name.hasPrefix("layer4")
            return ExecutionTiming(dense: 1, sparse: late ? 0.5 : 2)
        }
        var metrics: [[EpochMetrics]] = []
        for execution in [ExecutionChoice.dense, .sparse, .auto] {
            let directory = temporaryFolder()
            try TrainingRun(config: config, directory: directory).run(execution: execution, calibration: calibration)
            metrics.append(try RecordFiles.readJSONLines(EpochMetrics.self, from: directory + "/metrics.jsonl"))
            if execution == .auto {
                let result = try RecordFiles.readJSON(RunResult.self, from: directory + "/result.json")
                // Stages 3 and 4 on kept taps where masked; an unmasked convolution is not measured and stays dense.
                let expected = result.layers.map { ($0.name.hasPrefix("layer3") || $0.name.hasPrefix("layer4")) && $0.kept < $0.dense ? "sparse" : "dense" }
                #expect(result.layers.map(\.execution) == expected)
                // Interrupted after one epoch and resumed (without --execution: execution.json decides).
                let interrupted = TrainingRun(config: config, directory: temporaryFolder())
                #expect(try interrupted.run(stopAfterEpochs: 1, execution: .auto, calibration: calibration) == nil)
                try interrupted.run()
                let resumed = try RecordFiles.readJSONLines(EpochMetrics.self, from: interrupted.metricsPath)
                #expect(numbers(resumed) == numbers(metrics.last!))
            }
        }
        // Rounding differs between the paths (summation orders), and a tiny ResNet with batch norm
        // amplifies it step by step: two dense runs in the channels-first and channels-last layouts
        // drift apart as much (about 0.2 % of the loss after 20 steps, 2 % after 40). So: close after
        // the first epoch, near after the second, and every path learns (a path whose updates did
        // not reach its weights would not). Test losses are no measure here: two epochs leave the
        // batch-norm running statistics far from the batches' (losses 2-8 on every path).
        for run in metrics {
            #expect(run[0].trainLoss - run[1].trainLoss > 0.2)
            #expect(abs(run[0].trainLoss - metrics[0][0].trainLoss) < 0.01 * metrics[0][0].trainLoss)
            #expect(abs(run[1].trainLoss - metrics[0][1].trainLoss) < 0.05 * metrics[0][1].trainLoss)
        }
    }
}
