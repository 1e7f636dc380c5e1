import Foundation
import RunRecords
import Testing
import Training
import WideSparseCLI

@Suite("train resnet18", .serialized)
struct ResNetRunTests {
    @Test("Defaults and sparsity resolve: budget of width 8, channels and classes from the data, paper settings")
    func resolvesConfig() throws {
        let command = try TrainResNet.parse(["--dataset", "cifar100", "--width", "16", "--weights-of-width", "8"])
        let config = try command.resolvedConfig()
        guard case .resnet18(let model) = config.model else { Issue.record("not a ResNet config"); return }
        #expect(model.inputChannels == 3 && model.classes == 100)
        let kept = 2724 * 16 * 16 + 9 * 3 * 16 + 8 * 100 * 16 - model.removedWeights.reduce(0, +)
        #expect(kept == 2724 * 64 + 9 * 3 * 8 + 8 * 100 * 8)
        #expect(config.training.momentum == 0.9 && config.training.weightDecay == 5e-4 && config.training.batchSize == 128)
        #expect(config.training.schedule == .multistep && config.training.milestones == [50, 120, 200])
        #expect(config.data.normalisation == .perChannel && config.data.cropPadding == 4 && config.data.horizontalFlip == true)
        let gray = try TrainResNet.parse(["--dataset", "fashion-mnist"]).resolvedConfig()
        #expect(gray.data.normalisation == .fixed && gray.data.cropPadding == 0 && gray.data.horizontalFlip == false)
        #expect(throws: Error.self) { try TrainResNet.parse(["--width", "4", "--weights-of-width", "8"]).resolvedConfig() }
    }

    @Test("A sparse ResNet-18 run on real digits resumes bit for bit and keeps exactly its budget")
    func resumes() throws {
        let arguments = ["--width", "4", "--weights-of-width", "2", "--train-subset", "400", "--epochs", "2",
                         "--batch-size", "20", "--crop-padding", "2", "--lr", "0.05"]
        let config = try TrainResNet.parse(arguments).resolvedConfig()
        let straight = temporaryFolder()
        let result = try #require(try TrainingRun(config: config, directory: straight).run())
        #expect(result.totalWeights == 2724 * 4 + 9 * 2 + 8 * 10 * 2)
        #expect(result.bestTrainAccuracy > 0.2)  // it learns: chance is 10 %, this tiny model gets about 28 % in 40 steps
        let info = try RecordFiles.readJSON(RunInfo.self, from: "\(straight)/run-info.json")
        #expect(info.layout == "channelsLast" && info.processor == MachineKind.current)  // width 4 is not a multiple of 16
        let interrupted = TrainingRun(config: config, directory: temporaryFolder())
        #expect(try interrupted.run(stopAfterEpochs: 1) == nil)
        try interrupted.run()
        let a = try RecordFiles.readJSONLines(EpochMetrics.self, from: "\(straight)/metrics.jsonl")
        let b = try RecordFiles.readJSONLines(EpochMetrics.self, from: interrupted.metricsPath)
        #expect(numbers(a) == numbers(b))
    }

    @Test("On kept taps (--execution sparse): execution.json and result.json say sparse per convolution, the budget is kept, it learns, and a resumed run continues bit for bit")
    func keptTapsResumes() throws {
        let arguments = ["--width", "4", "--weights-of-width", "2", "--train-subset", "400", "--epochs", "2",
                         "--batch-size", "20", "--crop-padding", "2", "--lr", "0.05"]
        let config = try TrainResNet.parse(arguments).resolvedConfig()
        let straight = temporaryFolder()
        let result = try #require(try TrainingRun(config: config, directory: straight).run(execution: .sparse))
        #expect(result.totalWeights == 2724 * 4 + 9 * 2 + 8 * 10 * 2)
        #expect(result.bestTrainAccuracy > 0.2)
        #expect(result.layers.dropLast().allSatisfy { $0.execution == "sparse" } && result.layers.last?.execution == "dense")
        let record = try RecordFiles.readJSON(ExecutionRecord.self, from: "\(straight)/execution.json")
        #expect(record.layers["layer4.1.conv2.weight"] == "sparse" && record.layers["linear.weight"] == "dense")
        #expect(try RecordFiles.readJSON(RunInfo.self, from: "\(straight)/run-info.json").layout == "batchLast")
        // Resumed without saying --execution sparse: execution.json decides, the checkpoint holds kept values only.
        let interrupted = TrainingRun(config: config, directory: temporaryFolder())
        #expect(try interrupted.run(stopAfterEpochs: 1, execution: .sparse) == nil)
        try interrupted.run()
        let a = try RecordFiles.readJSONLines(EpochMetrics.self, from: "\(straight)/metrics.jsonl")
        let b = try RecordFiles.readJSONLines(EpochMetrics.self, from: interrupted.metricsPath)
        #expect(numbers(a) == numbers(b))
    }
}
