import Experiments
import Foundation
import Reporting
import RunRecords
import Testing
import WideSparseCLI

/// What the `widesparse` binary prints and exits with, run as a user runs it (through a shell).
@Suite("Follow-up commands, missing runs, mistyped subcommands and exit codes")
struct CommandLineDetailsTests {
    /// Runs a shell command line in `directory` with `widesparse` on the PATH.
    func shell(_ line: String, in directory: String) throws -> (status: Int32, output: String) {
        let bin = URL(fileURLWithPath: widesparseBinary).deletingLastPathComponent().path
        return try runProgram("/bin/sh", ["-c", "PATH=\(shellQuoted(bin)):$PATH; \(line)"], in: directory)
    }

    let tinySpec = """
        name: tiny
        model: mlp
        dataset: mnist5k
        base_width: 5
        widths: [5, 10]
        seeds: [0]
        options: {epochs: 1, train-subset: 500}
        """

    @Test("The follow-up that `sweep run` prints, pasted into a shell, tabulates every run of the sweep")
    func pastedFollowUp() throws {
        let folder = temporaryFolder()
        FileManager.default.createFile(atPath: folder + "/tiny.yaml", contents: Data(tinySpec.utf8))
        let sweep = try shell("widesparse sweep run tiny.yaml options.epochs=2 'seeds=[0,1]' --runs-dir 'my runs'", in: folder)
        #expect(sweep.status == 0, "\(sweep.output)")
        let followUp = try #require(sweep.output.split(separator: "\n").first { $0.hasPrefix("results: ") }).dropFirst("results: ".count)
        #expect(followUp == "widesparse results tiny.yaml options.epochs=2 'seeds=[0,1]' --runs-dir 'my runs'")
        let results = try shell(String(followUp), in: folder)
        #expect(results.status == 0, "\(results.output)")
        #expect(results.output.contains("4 runs; CSV: \(folder)/my runs/tiny/results.csv"), "\(results.output)")
        let table = try parseCSV(String(contentsOfFile: "\(folder)/my runs/tiny/results.csv", encoding: .utf8))
        #expect(table.count == 4 && table.allSatisfy { $0["state"] == "done" && $0["epochs"] == "2" })

        // Without the overrides: nothing of this spec exists; a hint names them, the CSV stays.
        let bare = try shell("widesparse results tiny.yaml --runs-dir 'my runs'", in: folder)
        #expect(bare.status == 65)
        #expect(bare.output.contains("none of the 2 runs of tiny.yaml exists in \(folder)/my runs/tiny (it holds 4 other runs)"), "\(bare.output)")
        #expect(bare.output.contains("  widesparse results tiny.yaml 'seeds=[0,1]' options.epochs=2 --runs-dir 'my runs'"), "\(bare.output)")
        let kept = try parseCSV(String(contentsOfFile: "\(folder)/my runs/tiny/results.csv", encoding: .utf8))
        #expect(kept.count == 4)
        // Groups of one run show no spread ("(0.00)" would claim a measured one).
        let single = try shell("widesparse results tiny.yaml options.epochs=2 --runs-dir 'my runs' --csv single.csv", in: folder)
        #expect(single.status == 0 && !single.output.contains("(0.00)") && single.output.contains("2 runs; CSV"), "\(single.output)")
        // The same runs in two folders are one run each, not two seeds.
        try FileManager.default.copyItem(atPath: "\(folder)/my runs/tiny", toPath: "\(folder)/copy")
        let report = try Report(folders: ["\(folder)/my runs/tiny", "\(folder)/copy"])
        #expect(report.runCount == 4)
        let status = try shell("widesparse sweep status tiny.yaml --runs-dir 'my runs'", in: folder)
        #expect(status.status == 0)
        #expect(status.output.contains("  widesparse sweep status tiny.yaml 'seeds=[0,1]' options.epochs=2 --runs-dir 'my runs'"), "\(status.output)")
    }

    @Test("results of a folder without runs refuses instead of writing an empty table")
    func emptyFolder() throws {
        let folder = temporaryFolder()
        let results = try shell("widesparse results .", in: folder)
        #expect(results.status == 65)
        #expect(results.output.contains("expected run folders (with a config.json) in it or below it, found none (no table written)"))
        #expect(!FileManager.default.fileExists(atPath: folder + "/results.csv"))
    }

    @Test("A mistyped subcommand gets the nearest one; errors after parsing show the subcommand's usage")
    func mistypedSubcommands() throws {
        let folder = temporaryFolder()
        let sweep = try shell("widesparse sweep rnu x.yaml", in: folder)
        #expect(sweep.status == 64)
        #expect(sweep.output.hasPrefix("Error: 'rnu' is not a subcommand of 'widesparse sweep'; did you mean 'run'?\n"), "\(sweep.output)")
        let root = try shell("widesparse reslts x", in: folder)
        #expect(root.output.contains("did you mean 'results'?"))
        let far = try shell("widesparse bench zzz", in: folder)
        #expect(far.status == 64 && !far.output.contains("did you mean") && far.output.contains("subcommands: mlp, resnet"))
        // A value the parser accepts but run() refuses: the usage is train mlp's.
        let late = try shell("widesparse train mlp --epochs 0", in: folder)
        #expect(late.status == 64)
        #expect(late.output == "Error: epochs: expected at least 1, found 0\nUsage: widesparse train mlp <options>\n  See 'widesparse train mlp --help' for more information.\n")
        // ArgumentParser's own `help` subcommand is not a typo.
        let help = try shell("widesparse help sweep", in: folder)
        #expect(help.status == 0 && help.output.contains("SUBCOMMANDS"), "\(help.output)")
    }

    @Test("Exit codes: 0 done, 64 usage, 65 input, 1 a failed run")
    func exitCodes() throws {
        let folder = temporaryFolder()
        #expect(try shell("widesparse --version", in: folder).status == 0)
        #expect(try shell("widesparse train mlp --width x", in: folder).status == 64)
        #expect(try shell("widesparse sweep status missing.yaml", in: folder).status == 65)
        #expect(try shell("widesparse train mlp --dataset fashion-mnist --data-dir ./nowhere --epochs 1", in: folder).status == 65)
        // A run whose loss becomes infinite fails: exit 1.
        let diverged = try shell("widesparse train mlp --dataset mnist5k --epochs 1 --train-subset 500 --lr 1e30 --out run", in: folder)
        #expect(diverged.status == 1, "\(diverged.output)")
    }

    @Test("sweep slurm refuses a spec whose dataset is missing before it calls sbatch; the message names data_dir")
    func slurmChecksDataFirst() throws {
        let folder = temporaryFolder()
        FileManager.default.createFile(atPath: folder + "/tiny.yaml", contents: Data(tinySpec.utf8))
        // A stand-in cluster: scontrol answers, sbatch only records that it was called.
        try FileManager.default.createDirectory(atPath: folder + "/bin", withIntermediateDirectories: true)
        let scripts = [
            "scontrol": "#!/bin/sh\necho 'Slurmctld(primary) at here is UP'\n",
            "sbatch": "#!/bin/sh\ntouch \"\(folder)/sbatch-called\"\necho 'Submitted batch job 7'\n",
        ]
        for (name, text) in scripts {
            FileManager.default.createFile(atPath: "\(folder)/bin/\(name)", contents: Data(text.utf8), attributes: [.posixPermissions: 0o755])
        }
        let refused = try shell("PATH=\(folder)/bin:$PATH widesparse sweep slurm tiny.yaml data_dir=./no-such-data", in: folder)
        #expect(refused.status == 65)
        #expect(refused.output.contains("tiny.yaml: field 'data_dir': expected mnist5k's data at ./no-such-data, found no ./no-such-data"), "\(refused.output)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/sbatch-called"))
        // With the data where the spec says, the same command submits.
        let submitted = try shell("PATH=\(folder)/bin:$PATH widesparse sweep slurm tiny.yaml --runs-dir r", in: folder)
        #expect(submitted.status == 0, "\(submitted.output)")
        #expect(FileManager.default.fileExists(atPath: folder + "/sbatch-called"))
        #expect(submitted.output.contains("progress: widesparse sweep status tiny.yaml --runs-dir r"), "\(submitted.output)")
    }

    @Test("Spec errors name the spec's field, and option values such as -1 reach the option")
    func specFieldsInMessages() throws {
        let spec = specFile(tinySpec, name: "fields.yaml")
        func message(_ overrides: [String]) -> String {
            do {
                _ = try expand(spec, overrides: overrides, runsRoot: temporaryFolder())
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(["options.epochs=0"]).hasSuffix(": options.epochs: expected at least 1, found 0"))
        #expect(message(["options.lr=-1"]).hasSuffix(": options.lr: expected a positive learning rate, found -1.0"))
        #expect(message(["weights=99999999"]).contains(
            "found 2 infeasible ones, e.g. #0 mnist5k width 5 sparse at 99999999 weights (level-down) seed 0 epochs=1 train-subset=500: weights: "))
    }

    @Test("Progress: rate and time left on a terminal; plain lines without control characters when piped")
    func progressDisplay() {
        var now = Date(timeIntervalSince1970: 0)
        var terminal = ""
        let bar = ProgressDisplay(batchSize: 100, epochs: 3, isTerminal: true, write: { terminal += $0 }, clock: { now })
        for batch in 0..<10 {
            bar.handle(.batchFinished(epoch: 0, batch: batch, batchesPerEpoch: 10))
            now += 0.5
        }
        // 10 batches of 100 in 4.5 s after the first: 222 img/s; 0 batches left now, 2 epochs of 10 x 0.45 s left.
        #expect(terminal.contains("epoch 1 [####################] 100%  222 img/s  ETA 9s"), "\(terminal)")
        var piped = ""
        let lines = ProgressDisplay(batchSize: 100, epochs: 1, isTerminal: false, write: { piped += $0 }, clock: { now })
        lines.handle(.batchFinished(epoch: 0, batch: 0, batchesPerEpoch: 2))
        lines.handle(.epochFinished(
            EpochMetrics(epoch: 1, learningRate: 0.1, trainLoss: 1, trainAccuracy: 0.5, testLoss: 1, testAccuracy: 0.5, validationLoss: nil, validationAccuracy: nil, seconds: 2), totalEpochs: 1))
        lines.finish()
        #expect(piped == "epoch 1/1  lr 0.1  train loss 1.0000 acc 50.00%  test loss 1.0000 acc 50.00%  2.00 s\n")
    }
}
