import Experiments
import RunResults
import Foundation
import RunRecords
import Testing
import Training
import WideSparseCLI

/// The release `widesparse` binary (scripts/test.sh builds it first), or WIDESPARSE_BINARY.
let widesparseBinary = ProcessInfo.processInfo.environment["WIDESPARSE_BINARY"] ?? repositoryRoot + "/.build/release/widesparse"

/// Starts `widesparse ARGUMENTS` in `directory`, output to `log`.
func startWidesparse(_ arguments: [String], in directory: String, log: String) throws -> Process {
    #expect(FileManager.default.isExecutableFile(atPath: widesparseBinary), "build it first: swift build -c release --product widesparse")
    FileManager.default.createFile(atPath: log, contents: nil)
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: widesparseBinary)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.standardOutput = output
    process.standardError = output
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}

/// Runs `widesparse ARGUMENTS` to the end (at most `timeout` seconds) and returns its exit status.
@discardableResult
func runWidesparse(_ arguments: [String], in directory: String, timeout: Double = 300) throws -> Int32 {
    let process = try startWidesparse(arguments, in: directory, log: "\(directory)/log-\(UUID().uuidString).txt")
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning {
        process.terminate()
        Issue.record("widesparse \(arguments.joined(separator: " ")) did not finish in \(timeout) s")
    }
    process.waitUntilExit()
    return process.terminationStatus
}

/// Waits (bounded) until `condition` holds.
func waitFor(_ what: String, timeout: Double = 120, _ condition: () -> Bool) {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline {
            Issue.record("timed out after \(timeout) s waiting for \(what)")
            return
        }
        Thread.sleep(forTimeInterval: 0.02)
    }
}

/// Metrics without their wall-clock seconds (the only field allowed to differ between runs).
func metricsWithoutTime(_ directory: String) throws -> [EpochMetrics] {
    try RecordFiles.readJSONLines(EpochMetrics.self, from: "\(directory)/metrics.jsonl").map {
        var metric = $0
        metric.seconds = 0
        return metric
    }
}

func attempts(_ directory: String) -> [RunAttempt] {
    (try? RecordFiles.readJSONLines(RunAttempt.self, from: "\(directory)/attempts.jsonl")) ?? []
}

/// A small MLP sweep on mnist5k: 2 widths x 2 seeds, a few epochs.
func smallSweepSpec(name: String, epochs: Int = 3, extra: String = "") -> String {
    """
    name: \(name)
    model: mlp
    dataset: mnist5k
    base_width: 5
    widths: [5, 40]
    seeds: [0, 1]
    options:
      epochs: \(epochs)
      train-subset: 1000
    \(extra)
    """
}

@Suite("Sweeps: interruption, resumption, locks, failures", .serialized)
struct SweepTests {
    @Test("A run killed with SIGKILL mid-epoch and resumed ends with exactly the metrics of an uninterrupted run")
    func killedRunResumes() throws {
        let folder = temporaryFolder()
        let spec = specFile(smallSweepSpec(name: "kill", epochs: 12, extra: "  batch-size: 10\n  lr: 0.02"), name: "kill.yaml")
        let plan = try expand(spec, runsRoot: folder + "/runs")
        let index = plan.trainable.last!.index  // width 40, seed 1
        let directory = plan.directory(of: plan.runs[index])!

        let worker = try startWidesparse(
            ["sweep", "worker", spec, "--index", "\(index)", "--runs-dir", folder + "/runs"], in: folder, log: folder + "/worker.log")
        waitFor("two finished epochs") { epochsRecorded(in: directory) >= 2 || !worker.isRunning }
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
        #expect(worker.terminationReason == .uncaughtSignal)
        #expect(!FileManager.default.fileExists(atPath: directory + "/result.json"))
        #expect(RunState.of(directory: directory) == .interrupted)

        #expect(try runWidesparse(["sweep", "worker", spec, "--index", "\(index)", "--runs-dir", folder + "/runs"], in: folder) == 0)
        #expect(RunState.of(directory: directory) == .done)
        #expect(attempts(directory).count == 2)
        #expect(attempts(directory)[1].fromEpoch >= 2)

        let uninterrupted = folder + "/uninterrupted"
        try TrainingRun(config: plan.runs[index].config!, directory: uninterrupted).run()
        #expect(try metricsWithoutTime(directory) == metricsWithoutTime(uninterrupted))
        #expect(try RecordFiles.readJSON(RunResult.self, from: directory + "/result.json").bestTestAccuracy
            == RecordFiles.readJSON(RunResult.self, from: uninterrupted + "/result.json").bestTestAccuracy)
    }

    @Test("A sweep interrupted and started again runs only what is missing")
    func restartedSweepRunsOnlyMissing() throws {
        let folder = temporaryFolder()
        let spec = specFile(smallSweepSpec(name: "restart", epochs: 4), name: "restart.yaml")
        let plan = try expand(spec, runsRoot: folder + "/runs")
        #expect(plan.trainable.count == 4)
        let directories = plan.trainable.map { plan.directory(of: $0)! }

        let sweep = try startWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder, log: folder + "/sweep1.log")
        waitFor("the first run to finish") { RunState.of(directory: directories[0]) == .done || !sweep.isRunning }
        // Kill the sweep and the worker it started (as a crash or a lost node would).
        kill(sweep.processIdentifier, SIGKILL)
        sweep.waitUntilExit()
        for directory in directories where RunLock.isHeld(directory: directory) {
            let holder = RunLock.holder(directory: directory) ?? ""
            if let pid = holder.split(separator: " ").dropFirst(2).first.flatMap({ Int32($0) }) { kill(pid, SIGKILL) }
        }
        waitFor("the killed worker's lock to go", timeout: 30) { !directories.contains { RunLock.isHeld(directory: $0) } }
        let doneBefore = directories.filter { RunState.of(directory: $0) == .done }
        #expect(doneBefore.count < 4)
        let restartTime = Date().timeIntervalSince1970

        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder) == 0)
        for directory in directories { #expect(RunState.of(directory: directory) == .done) }
        // Runs finished before the interruption were not started again; the others were started
        // (again) by the second sweep, an interrupted one from its last checkpoint.
        for directory in doneBefore { #expect(attempts(directory).count == 1) }
        for directory in directories where !doneBefore.contains(directory) {
            #expect(attempts(directory).last!.started >= restartTime)
        }
        let status = SweepStatus(plan: plan)
        #expect(status.count(.done) == 4)
        #expect(status.epochsDone == 16)
    }

    @Test("Two sweeps on the same spec at once train every run exactly once")
    func concurrentSweepsShareWork() throws {
        let folder = temporaryFolder()
        let spec = specFile(smallSweepSpec(name: "shared", epochs: 3), name: "shared.yaml")
        let first = try startWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder, log: folder + "/a.log")
        let second = try startWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder, log: folder + "/b.log")
        waitFor("both sweeps", timeout: 300) { !first.isRunning && !second.isRunning }
        #expect(first.terminationStatus == 0 && second.terminationStatus == 0)
        let plan = try expand(spec, runsRoot: folder + "/runs")
        for run in plan.trainable {
            let directory = plan.directory(of: run)!
            #expect(RunState.of(directory: directory) == .done)
            #expect(attempts(directory).count == 1, "\(directory) was started \(attempts(directory).count) times")
        }
    }

    @Test("A failing run is recorded as failed and the others complete; a diverging run is stopped and marked")
    func failuresAndDivergence() throws {
        let folder = temporaryFolder()
        // MNIST files that are there (the sweep's data check passes) but hold no IDX data: the run fails when it reads them.
        let empty = temporaryFolder()
        for name in ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"] {
            FileManager.default.createFile(atPath: "\(empty)/\(name)", contents: Data("not IDX".utf8))
        }
        let spec = specFile("""
            name: mixed
            model: mlp
            datasets: [mnist5k, mnist]
            data_dir: {mnist: \(empty)}
            base_width: 5
            widths: [5]
            options: {epochs: 2, train-subset: 500}
            """, name: "mixed.yaml")
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder) == 1)
        let plan = try expand(spec, runsRoot: folder + "/runs")
        let states = plan.trainable.map { RunState.of(directory: plan.directory(of: $0)!) }
        #expect(states == [.done, .failed])
        let failure = try RecordFiles.readJSON(RunFailure.self, from: plan.directory(of: plan.trainable[1])! + "/error.json")
        #expect(failure.message.contains(empty))

        let diverging = specFile(smallSweepSpec(name: "diverging", epochs: 3, extra: "  lr: 1e30"), name: "diverging.yaml")
        #expect(try runWidesparse(["sweep", "run", diverging, "--runs-dir", folder + "/runs", "--jobs", "2"], in: folder) == 0)
        let divergingPlan = try expand(diverging, runsRoot: folder + "/runs")
        for run in divergingPlan.trainable {
            let directory = divergingPlan.directory(of: run)!
            #expect(RunState.of(directory: directory) == .diverged)
            let record = try RecordFiles.readJSON(RunDivergence.self, from: directory + "/diverged.json")
            #expect(record.step >= 1 && record.step <= 3 * 10)
            #expect(["nan", "inf", "-inf"].contains(record.loss))
        }
        // Diverged runs are final: a second sweep does not train them again.
        #expect(try runWidesparse(["sweep", "run", diverging, "--runs-dir", folder + "/runs"], in: folder) == 0)
        for run in divergingPlan.trainable { #expect(attempts(divergingPlan.directory(of: run)!).count == 1) }

        let results = SweepResults(plan: divergingPlan)
        #expect(results.rows.allSatisfy { $0.state == .diverged && $0.note?.contains("at step") == true })
    }

    @Test("Results: one CSV row per run, means over seeds, and the fraction of the improvement due to width")
    func results() throws {
        let folder = temporaryFolder()
        let spec = specFile("""
            name: fraction
            model: mlp
            dataset: mnist5k
            base_width: 5
            widths: [5, 20]
            methods: [sparse, dense]
            seeds: [0, 1]
            options: {epochs: 2, train-subset: 800}
            """, name: "fraction.yaml")
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs", "--jobs", "2"], in: folder) == 0)
        let plan = try expand(spec, runsRoot: folder + "/runs")
        let results = SweepResults(plan: plan)
        #expect(results.rows.count == 6)
        let csv = results.csv().split(separator: "\n")
        #expect(csv.count == 7)
        #expect(csv[0].hasPrefix("run_id,state,experiment,model,dataset,method,base_width"))
        let table = try parseCSV(results.csv())
        #expect(table.allSatisfy { $0["execution"] == "dense" && Double($0["seconds"]!)! > 0 })
        for row in table where row["method"] == "dense" { #expect(row["last_layer_connectivity"] == "1.0") }
        #expect(table.allSatisfy { $0["data.trainSubset"] == "800" && $0["training.momentum"] == "0" })
        let groups = results.groups()
        #expect(groups.count == 3)
        func accuracy(width: Int, dense: Bool) -> Double {
            groups.first { $0.first.width == width && $0.first.isDense == dense }!.bestTest!.mean
        }
        let sparse = groups.first { !$0.first.isDense }!
        #expect(sparse.bestTest!.count == 2)
        let expected = (accuracy(width: 20, dense: false) - accuracy(width: 5, dense: true))
            / (accuracy(width: 20, dense: true) - accuracy(width: 5, dense: true))
        #expect(abs(sparse.fractionDueToWidth! - expected) < 1e-12)
        // The same table from the folder alone.
        let fromFolder = try SweepResults(folder: folder + "/runs")
        #expect(fromFolder.rows.count == 6)
        #expect(fromFolder.groups().first { !$0.first.isDense }!.fractionDueToWidth == sparse.fractionDueToWidth)
    }

    @Test("results.csv has a column for every option: a momentum sweep differs in training.momentum")
    func optionColumns() throws {
        let spec = specFile("""
            name: momentum
            model: mlp
            dataset: mnist5k
            base_width: 5
            widths: [10]
            options: {epochs: 1, momentum: [0, 0.9], activation: identity}
            """, name: "momentum.yaml")
        let table = try parseCSV(SweepResults(plan: try expand(spec, runsRoot: temporaryFolder())).csv())
        #expect(table.count == 2)
        #expect(Set(table.map { $0["training.momentum"] ?? "missing" }) == ["0", "0.9"])
        #expect(table.allSatisfy { $0["model.activation"] == "identity" && $0["training.batchSize"] == "100" })
        #expect(table.allSatisfy { Double($0["last_layer_connectivity"] ?? "") != nil })
        #expect(table.allSatisfy { $0["state"] == "missing" && $0["execution"] == "" })
    }
}

/// results.csv as one dictionary per row (no quoted commas in these tests' fields).
func parseCSV(_ text: String) throws -> [[String: String]] {
    let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    let header = try #require(lines.first)
    return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}
