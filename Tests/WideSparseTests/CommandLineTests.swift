import Foundation
import ArgumentParser
import Testing
import WideSparseCLI

@Suite("The command line refuses bad input with a message that names the field")
struct CommandLineTests {
    /// The message `widesparse train mlp ARGS` fails with, or nil if it succeeds.
    func failure(_ arguments: [String]) -> String? {
        do {
            var command = try TrainMLP.parse(arguments + ["--out", temporaryFolder() + "/run"])
            try command.run()
            return nil
        } catch let error as ValidationError {
            return error.message
        } catch {
            return TrainMLP.message(for: error)
        }
    }

    @Test func infeasibleLastLayerConnectivity() {
        let message = failure(["--width", "640", "--weights", "3970", "--last-layer-connectivity", "1"])
        #expect(message?.hasPrefix("last-layer-connectivity: at width 640 with 3970 weights") == true)
        #expect(message?.hasSuffix("feasible last-layer connectivities here: 0.0001563...0.6202") == true)
    }

    @Test func badValues() {
        #expect(failure(["--epochs", "0"]) == "epochs: expected at least 1, found 0")
        #expect(failure(["--removed", "10"]) == "--removed: expected 2 counts (fc1.weight, fc2.weight), found 1")
        #expect(failure(["--removed", "10,a"]) == "--removed: expected comma-separated whole numbers, found '10,a'")
        #expect(failure(["--width", "5", "--weights", "5000"])
            == "weights: expected a budget the dense model of width 5 can hold (at most 3970 weights), found 5000")
        #expect(failure(["--last-layer-connectivity", "0.5"])
            == "weights: expected a weight budget for --method sparse (--weights or --weights-of-width), found none")
        #expect(failure(["--parameterisation", "ntk"]) == "bias: expected no biases with the NTK parameterisation (pass --no-bias), found biases on")
        #expect(failure(["--schedule", "step"]) == "schedule: expected one of constant, multistep, cosine, found 'step'")
        #expect(failure(["--activation", "tanh"])?.contains("tanh") == true)
        #expect(failure(["--rule", "erk"]) == "weights: expected a weight budget for --method sparse (--weights or --weights-of-width), found none")
        #expect(failure(["--width", "80", "--weights", "3970", "--rule", "erk", "--last-layer-connectivity", "1"])
            == "--rule, --last-layer-connectivity: expected one of them (the latter is the Figure 5 rule), found both")
        #expect(failure(["--width", "80", "--weights", "3970", "--method", "dense"])
            == "--weights, --weights-of-width: expected no budget with --method dense (it keeps none), found 3970")
    }

    @Test("--rule chooses how train mlp spreads the budget; every rule keeps exactly the budget")
    func rules() throws {
        for rule in ["level-down", "uniform", "proportional", "erk"] {
            let config = try TrainMLP.parse(["--width", "160", "--weights", "3970", "--rule", rule]).resolvedConfig().model.mlp!
            let kept = zip(config.removedWeights, [784 * 160, 1600]).map { $1 - $0 }
            #expect(kept.reduce(0, +) == 3970)
        }
        let levelDown = try TrainMLP.parse(["--width", "160", "--weights", "3970"]).resolvedConfig().model.mlp!
        // Level-down at width 160: L_1 = 125440 - 1600 = 123840 >= 123070, so only the first layer loses weights.
        #expect(levelDown.removedWeights == [123_070, 0])
    }

    @Test("--stop-after-epochs stops checkpointed; the same command finishes the run")
    func stopAndContinue() throws {
        let out = temporaryFolder() + "/run"
        let arguments = ["--width", "8", "--epochs", "2", "--train-subset", "200", "--out", out]
        var first = try TrainMLP.parse(arguments + ["--stop-after-epochs", "1"])
        try first.run()
        #expect(!FileManager.default.fileExists(atPath: "\(out)/result.json"))
        var second = try TrainMLP.parse(arguments)
        try second.run()
        #expect(FileManager.default.fileExists(atPath: "\(out)/result.json"))
        let lines = try String(contentsOfFile: "\(out)/metrics.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
    }

    @Test func missingDataNamesPathAndRemedy() {
        let folder = temporaryFolder() + "/absent"
        let message = failure(["--dataset", "mnist", "--data-dir", folder, "--epochs", "1"])
        #expect(message?.hasPrefix("\(folder): file not found. Put train-images-idx3-ubyte") == true)
        #expect(message?.contains("--data-dir") == true)
    }
}
