import Experiments
import Foundation
import RunRecords
import Testing
import WideSparseCLI

/// CI sets WIDESPARSE_REQUIRE_SLURM=1 (after scripts/slurm-cluster.sh start): there the Slurm
/// test must run, and a missing Slurm is a failure rather than a skip.
let slurmRequired = ProcessInfo.processInfo.environment["WIDESPARSE_REQUIRE_SLURM"] == "1"
let slurmPresent = Slurm.isAvailable && Slurm.controllerAnswers

@Suite("Slurm job arrays")
struct SlurmTests {
    @Test("Array scripts: one task per unfinished run, throttled, split at the cluster's MaxArraySize")
    func scripts() throws {
        let folder = temporaryFolder()
        let spec = specFile(smallSweepSpec(name: "arrays"), name: "arrays.yaml")
        let plan = try expand(spec, runsRoot: folder + "/runs")
        var settings = SlurmSubmission.Settings()
        settings.throttle = 2
        settings.maxArraySize = 3
        settings.partition = "short"
        settings.time = "1:00:00"
        settings.memory = "2G"
        settings.extraLines = ["--account=lab"]
        let submission = SlurmSubmission(
            plan: plan, specPath: "/frozen/spec.json", runsRoot: folder + "/runs", executable: "/opt/widesparse", settings: settings, stamp: "t")
        #expect(submission.arrays() == [[0, 1, 2], [3]])
        let script = submission.script(indexes: [0, 1, 2], part: 0, of: 2)
        for line in [
            "#SBATCH --array=0-2%2", "#SBATCH --partition=short", "#SBATCH --time=1:00:00", "#SBATCH --mem=2G",
            "#SBATCH --account=lab", "#SBATCH --cpus-per-task=1", "runs=(0 1 2)",
            "exec /opt/widesparse sweep worker /frozen/spec.json --index \"${runs[$SLURM_ARRAY_TASK_ID]}\" --runs-dir \(folder)/runs --threads 1",
        ] {
            #expect(script.contains(line + "\n"), "missing: \(line)")
        }
        // A finished run is not submitted again.
        let first = plan.directory(of: plan.runs[0])!
        try FileManager.default.createDirectory(atPath: first, withIntermediateDirectories: true)
        try RecordFiles.writeJSON(RunFailure(message: "x", time: 0, host: "h"), to: first + "/result.json")
        #expect(submission.arrays() == [[1, 2, 3]])
    }

    @Test(
        "A quick sweep runs as a job array on a real Slurm cluster and every result lands",
        .enabled(if: slurmPresent || slurmRequired, "no Slurm cluster answers here: skipped (scripts/slurm-cluster.sh start brings a single-node cluster; CI runs this test)"))
    func jobArray() throws {
        #expect(slurmPresent, "WIDESPARSE_REQUIRE_SLURM=1 but no Slurm cluster answers (sbatch on the PATH, scontrol ping)")
        guard slurmPresent else { return }
        let folder = temporaryFolder()
        let spec = specFile(smallSweepSpec(name: "slurm", epochs: 2), name: "slurm.yaml")
        #expect(try runWidesparse(["sweep", "slurm", spec, "--runs-dir", folder + "/runs", "--throttle", "2"], in: folder) == 0)
        let plan = try expand(spec, runsRoot: folder + "/runs")
        let directories = plan.trainable.map { plan.directory(of: $0)! }
        waitFor("every array task's result", timeout: 240) { directories.allSatisfy { RunState.of(directory: $0) == .done } }
        for directory in directories {
            #expect(RunState.of(directory: directory) == .done)
            let attempt = attempts(directory).first
            #expect(attempt?.slurmJob?.contains("_") == true, "run in \(directory) was not started by an array task")
        }
        // Submitting again finds nothing left to do.
        #expect(try runWidesparse(["sweep", "slurm", spec, "--runs-dir", folder + "/runs"], in: folder) == 0)
        let manifests = try FileManager.default.contentsOfDirectory(atPath: plan.directory + "/slurm")
        #expect(manifests.count == 1)
    }
}
