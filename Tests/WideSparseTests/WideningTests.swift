import Choices
import Experiments
import RunResults
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Testing
import Training
import WideSparseCLI
import Widening

/// The slow twin of `Architecture.stageWidths`: stage s (1...4) has (widened ? width : base) << (s - 1).
func stageWidthsByHand(width: Int, base: Int, widened: Set<Int>) -> [Int] {
    var widths: [Int] = []
    for stage in 1...4 {
        var channels = widened.contains(stage) ? width : base
        for _ in 1..<stage { channels *= 2 }
        widths.append(channels)
    }
    return widths
}

@Suite("Widening methods: one seam for every method, and widening chosen stages only")
struct WideningTests {
    static let stageChoices: [[Int]] = [[4], [1, 2], [3, 4], [1, 2, 3, 4]]

    @Test("Stage widening: every method's total is the target plus its residual at many widths, both forms; unwidened stages keep the base",
          arguments: [ResNetForm.cifar, .imagenet], WideningTests.stageChoices)
    func stageTotals(form: ResNetForm, stages: [Int]) throws {
        let base = 8
        let architecture = Architecture.resNet18(inputChannels: 3, classes: 10, form: form, widenedStages: stages)
        let target = resNet18WeightShapes(width: base, inputChannels: 3, classes: 10, form: form).map(\.count).reduce(0, +)
        for name in WideningMethods.names where try WideningMethods.named(name).keepsBudget {
            let method = try WideningMethods.make(name, options: WideningOptions(), architecture: architecture, hasBudget: true)
            for width in [8, 10, 12, 16, 24] {
                let request = WideningRequest(architecture: architecture, width: width, baseWidth: base, targetWeights: target)
                let model: WidenedModel
                do { model = try method.widen(request) } catch {
                    // Only a bottleneck that cannot shrink far enough may refuse, and it says so.
                    #expect(name.hasSuffix("bottleneck") && "\(error)".contains("weights: expected a budget"), "\(name) width \(width): \(error)")
                    continue
                }
                let expectedStages = stageWidthsByHand(width: width, base: base, widened: Set(stages))
                #expect((model.stageWidths ?? resNet18StageWidths(width: width)) == expectedStages, "\(name) width \(width)")
                let built = ResNet18(
                    width: width, inputChannels: 3, classes: 10, form: form, stageWidths: model.stageWidths,
                    bottleneck: model.bottleneck?.bottleneck)
                let counts = built.weightParameters.map(\.parameter.value.count)
                #expect(counts == model.layers.map(\.dense), "\(name) width \(width): the model built has the table's tensors")
                #expect(model.layers.map(\.kept).reduce(0, +) == model.weights)
                #expect(model.weights == target + model.residual!, "\(name) width \(width)")
                if name == SparseWidening.name { #expect(model.residual == 0) }
                if name.hasSuffix("bottleneck") { #expect(abs(model.residual!) <= target / 20, "\(name) width \(width): \(model.residual!)") }
            }
        }
    }

    @Test("A stage-widened model's config records its stage widths (so the run id differs), and it trains")
    func stageRun() throws {
        let arguments = ["--width", "8", "--weights-of-width", "4", "--widen-stages", "4", "--train-subset", "200", "--epochs", "1",
                         "--batch-size", "50"]
        let config = try TrainResNet.parse(arguments).resolvedConfig()
        guard case .resnet18(let resnet) = config.model else { Issue.record("expected a ResNet config"); return }
        #expect(resnet.stageWidths == [4, 8, 16, 64])
        let standard = try TrainResNet.parse(["--width", "8", "--weights-of-width", "4", "--train-subset", "200", "--epochs", "1",
                                              "--batch-size", "50"]).resolvedConfig()
        #expect(TrainingRun.identifier(of: config) != TrainingRun.identifier(of: standard))
        // All four stages named is the standard model, recorded without stage widths: the same run.
        var allStages = arguments
        allStages[allStages.firstIndex(of: "--widen-stages")! + 1] = "1,2,3,4"
        let all = try TrainResNet.parse(allStages).resolvedConfig()
        #expect(TrainingRun.identifier(of: all) == TrainingRun.identifier(of: standard))
        let directory = temporaryFolder()
        let result = try #require(try TrainingRun(config: config, directory: directory).run())
        #expect(result.totalWeights == 2724 * 16 + 9 * 4 + 8 * 10 * 4)  // the budget of width 4 (1 channel, 10 classes)
        #expect(FileManager.default.fileExists(atPath: directory + "/masks.safetensors"))
        #expect(result.layers.map(\.dense) == resNet18WeightShapes(width: 8, inputChannels: 1, stageWidths: [4, 8, 16, 64]).map(\.count))
    }

    @Test("Bad combinations are refused before work, naming the option, what was expected and what was found")
    func refusals() throws {
        func message(_ arguments: [String]) -> String {
            do { _ = try TrainResNet.parse(arguments).resolvedConfig(); return "" } catch { return TrainResNet.message(for: error) }
        }
        #expect(message(["--width", "8", "--weights-of-width", "4", "--widen-stages", "0,5"])
            == "widen-stages: expected distinct stage numbers in 1...4, ascending (e.g. 4, or 1,2), found 0,5")
        #expect(message(["--width", "8", "--weights-of-width", "4", "--widen-stages", "1,2,3,4,4"]).hasPrefix("widen-stages: expected distinct"))
        #expect(message(["--width", "8", "--weights", "50000", "--widen-stages", "4"]).hasPrefix("widen-stages: expected a base width"))
        #expect(message(["--width", "8", "--weights-of-width", "4", "--method", "wide"])
            == "method: expected one of dense, sparse, linear-bottleneck, nonlinear-bottleneck, found 'wide'")
        #expect(message(["--width", "8", "--weights-of-width", "4", "--method", "linear-bottleneck", "--rule", "erk"])
            .hasPrefix("--rule: expected no mask options with --method linear-bottleneck"))
        // A width at which even inner sizes of 1 exceed the budget (d_b would have to fall below 1).
        #expect(message(["--width", "64", "--weights-of-width", "8", "--method", "nonlinear-bottleneck"])
            .hasPrefix("weights: expected a budget the nonlinear-bottleneck of width 64 can reach"))
        #expect(message(["--width", "4", "--weights-of-width", "8", "--method", "linear-bottleneck"])
            == "width: expected at least the base width 8 (--method linear-bottleneck only widens), found 4")
        #expect(message(["--width", "8", "--weights-of-width", "4", "--method", "dense"]).hasPrefix("--weights, --weights-of-width: expected no budget"))

        let bottleneck = try TrainResNet.parse(["--width", "8", "--weights-of-width", "4", "--method", "linear-bottleneck"]).resolvedConfig()
        #expect(throws: ConfigError(field: "execution", expected: "dense or auto for a linear bottleneck model (it has no masks, so nothing runs sparse)",
                                    found: "sparse")) { try ExecutionChoice.sparse.check(bottleneck) }
        try ExecutionChoice.auto.check(bottleneck)

        #expect(specFailure("""
            name: s
            model: resnet18
            dataset: fashion-mnist
            base_width: 4
            factors: [1, 2]
            widen_stages: ["4", "5"]
            """)?.contains("field 'widen_stages': expected entries of distinct stage numbers 1...4") == true)
        #expect(specFailure("""
            name: s
            model: mlp
            dataset: mnist5k
            base_width: 5
            factors: [1, 2]
            methods: [sparse, nonlinear-bottleneck]
            """)?.contains("field 'methods': expected methods that apply to model mlp, found nonlinear-bottleneck: MLP-1's one pair of layers") == true)
    }

    @Test("A spec's widened stages multiply like other lists and reach the runs' configs; results tabulate them")
    func specStages() throws {
        let plan = try expand(specFile("""
            name: stages
            model: resnet18
            dataset: fashion-mnist
            base_width: 4
            factors: [1, 2]
            methods: [sparse, dense, linear-bottleneck]
            widen_stages: ["1,2,3,4", "4"]
            """))
        let runs = plan.trainable
        let stageWidths = runs.compactMap { run -> [Int]? in
            guard case .resnet18(let resnet)? = run.config?.model else { return nil }
            return resnet.stageWidths
        }
        // Width 8 with stage 4 only, for each of the three methods; factor 1 and the all-stages runs have none.
        #expect(stageWidths == [[4, 8, 16, 64], [4, 8, 16, 64], [4, 8, 16, 64]])
        #expect(runs.contains { $0.request.summary.contains("stages 4 widened") })
        let results = SweepResults(plan: plan)
        #expect(results.rows.filter { $0.widenedStages == [4] }.count == 3)
        #expect(results.csv().split(separator: "\n")[0].contains("widened_stages,stage_widths,inner_sizes"))
    }

    @Test("A sweep over widened stages completes, and the report draws the stage-widening figure")
    func stageSweepAndReport() throws {
        let folder = temporaryFolder()
        let spec = specFile("""
            name: stages
            model: resnet18
            dataset: fashion-mnist
            base_width: 2
            factors: [1, 2]
            methods: [sparse]
            widen_stages: ["1,2,3,4", "4"]
            options:
              epochs: 1
              train-subset: 200
              batch-size: 50
            """)
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder) == 0)
        let results = try SweepResults(folder: folder + "/runs/stages")
        #expect(results.rows.count == 3 && results.rows.allSatisfy { $0.state == .done })
        #expect(try runWidesparse(["report", folder + "/runs", "--out", folder + "/report"], in: folder) == 0)
        let csv = try String(contentsOfFile: folder + "/report/stages-test-vs-width-1.csv", encoding: .utf8)
        #expect(csv.contains("\"sparse, stages 4 at") && csv.contains("\"sparse, stages 1,2,3,4 at") && csv.contains("dense base (width 2)"), "\(csv)")
        // The standard figures keep only the models widened everywhere.
        let figure6 = try String(contentsOfFile: folder + "/report/fig6-test-vs-width-1.csv", encoding: .utf8)
        #expect(figure6.split(separator: "\n").count == 1 + 3, "\(figure6)")  // header, the family's 2 points, the dense base
    }
}
