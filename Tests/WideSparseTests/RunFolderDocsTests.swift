import Foundation
import Testing
import WideSparseCLI

/// docs/run-folder.md tells users how to read a run's checkpoint and masks from Python. This runs
/// its companion script (NumPy only) on real runs: the accuracy it recomputes from the checkpoint
/// must equal result.json's, for a dense-execution run (dense [out, in] tensors) and a
/// sparse-execution run (kept values only, scattered back into the mask).
@Suite("docs/load_run.py reads checkpoints and masks as docs/run-folder.md describes")
struct RunFolderDocsTests {
    /// Debian's python3 with python3-numpy (scripts/setup.sh installs it).
    static let python = "/usr/bin/python3"

    @Test(arguments: ["dense", "sparse"])
    func numpyRecomputesTheAccuracy(execution: String) throws {
        let out = temporaryFolder() + "/run"
        var command = try TrainMLP.parse([
            "--dataset", "mnist5k", "--width", "40", "--weights-of-width", "5", "--epochs", "2", "--train-subset", "2000",
            "--execution", execution, "--out", out,
        ])
        try command.run()
        let check = try runProgram(Self.python, [repositoryRoot + "/docs/load_run.py", out, "--check"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("NumPy test accuracy"), "\(check.output)")
    }
}
