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
        #expect(failure(["--removed", "10"]) == "removed: expected 2 counts (first layer, last layer), found 1")
        #expect(failure(["--width", "5", "--weights", "5000"])
            == "weights: the dense model of width 5 has only 3970 weights, fewer than the budget 5000")
        #expect(failure(["--last-layer-connectivity", "0.5"]) == "--last-layer-connectivity: needs a weight budget (--weights)")
        #expect(failure(["--parameterisation", "ntk"]) == "bias: expected no biases with the NTK parameterisation (pass --no-bias), found biases on")
        #expect(failure(["--schedule", "step"]) == "schedule: expected one of constant, multistep, cosine, found 'step'")
        #expect(failure(["--activation", "tanh"])?.contains("tanh") == true)
    }

    @Test func missingDataNamesPathAndRemedy() {
        let folder = temporaryFolder() + "/absent"
        let message = failure(["--dataset", "mnist", "--data-dir", folder, "--epochs", "1"])
        #expect(message?.hasPrefix("\(folder): file not found. Put train-images-idx3-ubyte") == true)
        #expect(message?.contains("--data-dir") == true)
    }
}
