import Experiments
import Foundation
import RunRecords
import TensorCore
import Testing
import Training
import WideSparseCLI

/// The pid of a process that has exited (so no live process has it, for a while).
func pidOfAnExitedProcess() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}

/// Starts /bin/true without waiting for it, so it stays a zombie until `reap` (as a killed
/// worker does whose parent died in a container whose init does not reap).
func startZombie() throws -> Int32 {
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { free(argv[0]) }
    guard posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0 else { throw CocoaError(.executableLoad) }
    waitFor("the child to become a zombie", timeout: 10) {
        let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
        return stat.range(of: ") Z ") != nil
    }
    return pid
}

/// Sends `signal` to every process whose command line contains `text` (the workers of a sweep).
func signalProcesses(matching text: String, _ signal: Int32) {
    let killer = Process()
    killer.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
    killer.arguments = ["-\(signal)", "-f", text]
    try? killer.run()
    killer.waitUntilExit()
}

@Suite("Interrupted runs and sweeps: temporaries, signals, failed runs, exit codes, kills at random points", .serialized)
struct InterruptionTests {
    @Test("Temporaries of killed writes (writer gone, a zombie, or its id reused) are removed when a run resumes; a live writer's are kept")
    func staleTemporaries() throws {
        let config = try shortMLPConfig()
        let directory = temporaryFolder()
        let run = TrainingRun(config: config, directory: directory)
        #expect(try run.run(stopAfterEpochs: 1) == nil)
        let dead = try pidOfAnExitedProcess()
        let zombie = try startZombie()
        defer { waitpid(zombie, nil, 0) }
        let live = ProcessInfo.processInfo.processIdentifier
        for name in [".checkpoint.safetensors.tmp-\(dead)", ".dat.nosyncA1b2C3", ".notes.txt.tmp-\(live)",
                     ".metrics.jsonl.tmp-\(zombie)", ".result.json.tmp-1"] {
            FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data([1, 2, 3]))
        }
        // Process 1 is alive but started long before this "write": its id was reused.
        let written = Date().addingTimeInterval(-3600 * 24 * 365 * 30)
        try FileManager.default.setAttributes([.modificationDate: written], ofItemAtPath: "\(directory)/.result.json.tmp-1")
        #expect(try run.run() != nil)
        let hidden = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".") }
        #expect(hidden == [".notes.txt.tmp-\(live)"])
    }

    @Test("Exit codes: 64 for the command line, 65 for a bad input file or spec, 1 for failed runs")
    func exitCodes() throws {
        let folder = temporaryFolder()
        #expect(try runWidesparse(["train", "mlp", "--widht", "5"], in: folder) == 64)
        #expect(try runWidesparse(["train", "mlp", "--dataset", "mnist", "--data-dir", folder + "/none", "--epochs", "1"], in: folder) == 65)
        write([0, 0, 8, 3, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF], folder + "/train-images-idx3-ubyte")
        #expect(try runWidesparse(["train", "mlp", "--dataset", "mnist", "--data-dir", folder, "--epochs", "1"], in: folder) == 65)
        let spec = specFile("name: x\nmodel: vgg\n", name: "bad.yaml")
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder) == 65)
    }

    @Test("A run that failed on a damaged checkpoint fails again on retry; sweep run --restart-failed trains it from the start")
    func restartFailed() throws {
        let folder = temporaryFolder()
        let spec = specFile("""
            name: damaged
            model: mlp
            dataset: mnist5k
            base_width: 5
            widths: [20]
            options: {epochs: 3, train-subset: 500}
            """, name: "damaged.yaml")
        let plan = try expand(spec, runsRoot: folder + "/runs")
        let run = plan.trainable[0]
        let directory = plan.directory(of: run)!
        #expect(try runWidesparse(["sweep", "worker", spec, "--index", "\(run.index)", "--runs-dir", folder + "/runs", "--stop-after-epochs", "1"],
                                  in: folder) == 0)
        // One byte of the last tensor's data changed.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/checkpoint.safetensors"))
        bytes[bytes.count - 3] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: directory + "/checkpoint.safetensors"))
        for _ in 0..<2 {
            #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs"], in: folder) == 1)
            #expect(RunState.of(directory: directory) == .failed)
            let failure = try RecordFiles.readJSON(RunFailure.self, from: directory + "/error.json")
            #expect(failure.message.contains("expected the checksum"), "\(failure.message)")
        }
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs", "--restart-failed"], in: folder) == 0)
        #expect(RunState.of(directory: directory) == .done)
        let uninterrupted = folder + "/uninterrupted"
        try TrainingRun(config: run.config!, directory: uninterrupted).run()
        #expect(try metricsWithoutTime(directory) == metricsWithoutTime(uninterrupted))
    }

    @Test("SIGINT to a sweep reaches its workers; the sweep waits for them, exits 130, and the same command finishes bit for bit")
    func sweepForwardsSignals() throws {
        let folder = temporaryFolder()
        let spec = specFile(smallSweepSpec(name: "signals", epochs: 30, extra: "  batch-size: 10"), name: "signals.yaml")
        let plan = try expand(spec, runsRoot: folder + "/runs")
        let sweep = try startWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs", "--jobs", "2"], in: folder, log: folder + "/sweep.log")
        let first = plan.directory(of: plan.trainable[0])!
        waitFor("a first epoch") { epochsRecorded(in: first) >= 1 || !sweep.isRunning }
        kill(sweep.processIdentifier, SIGINT)
        waitFor("the sweep to stop", timeout: 60) { !sweep.isRunning }
        sweep.waitUntilExit()
        #expect(sweep.terminationStatus == 130, "\((try? String(contentsOfFile: folder + "/sweep.log", encoding: .utf8)) ?? "")")
        // No worker is left training: no run holds its lock, and none finished in the meantime.
        for run in plan.trainable {
            #expect(RunState.of(directory: plan.directory(of: run)!) != .running)
        }
        #expect(plan.trainable.filter { RunState.of(directory: plan.directory(of: $0)!) == .done }.count < plan.trainable.count)
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs", "--jobs", "2"], in: folder) == 0)
        let uninterrupted = folder + "/uninterrupted"
        try TrainingRun(config: plan.trainable[0].config!, directory: uninterrupted).run()
        #expect(try metricsWithoutTime(first) == metricsWithoutTime(uninterrupted))
    }

    @Test("Fault injection: a run and a sweep killed with SIGKILL at a seeded list of moments resume to exactly the uninterrupted metrics")
    func killsAtRandomPoints() throws {
        let folder = temporaryFolder()
        // Two runs of a few seconds each: hundreds of short epochs, so kills land in epochs and in writes.
        let spec = specFile("""
            name: faults
            model: mlp
            dataset: mnist5k
            base_width: 5
            widths: [40]
            seeds: [0, 1]
            options: {epochs: 600, train-subset: 2000, batch-size: 10}
            """, name: "faults.yaml")
        let plan = try expand(spec, runsRoot: folder + "/runs")
        var random = RandomStream(seed: 2026)
        var kills = 0
        let deadline = Date().addingTimeInterval(150)

        // One run, its worker killed again and again (delays 0.05-1.2 s after start).
        let run = plan.trainable.last!
        let directory = plan.directory(of: run)!
        while RunState.of(directory: directory) != .done && kills < 24 && Date() < deadline {
            let worker = try startWidesparse(["sweep", "worker", spec, "--index", "\(run.index)", "--runs-dir", folder + "/runs"],
                                             in: folder, log: folder + "/worker-\(kills).log")
            Thread.sleep(forTimeInterval: 0.05 + 1.15 * Double(random.nextIndex(below: 1000)) / 1000)
            kill(worker.processIdentifier, SIGKILL)
            worker.waitUntilExit()
            kills += 1
        }
        // The whole sweep (the sweep and its workers) killed at other moments.
        var sweepKills = 0
        while SweepStatus(plan: plan).count(.done) < plan.trainable.count && sweepKills < 12 && Date() < deadline {
            let sweep = try startWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs", "--jobs", "2"],
                                            in: folder, log: folder + "/sweep-\(sweepKills).log")
            Thread.sleep(forTimeInterval: 0.2 + 1.5 * Double(random.nextIndex(below: 1000)) / 1000)
            kill(sweep.processIdentifier, SIGKILL)
            signalProcesses(matching: "\(folder)/runs", SIGKILL)  // its workers (their --runs-dir)
            sweep.waitUntilExit()
            sweepKills += 1
            waitFor("the killed workers' locks to go", timeout: 10) { plan.trainable.allSatisfy { !RunLock.isHeld(directory: plan.directory(of: $0)!) } }
        }
        #expect(kills + sweepKills >= 12, "only \(kills + sweepKills) kills in the time allowed")
        #expect(try runWidesparse(["sweep", "run", spec, "--runs-dir", folder + "/runs", "--jobs", "2"], in: folder) == 0)
        for planned in plan.trainable {
            let uninterrupted = folder + "/uninterrupted-\(planned.index)"
            try TrainingRun(config: planned.config!, directory: uninterrupted).run()
            #expect(try metricsWithoutTime(plan.directory(of: planned)!) == metricsWithoutTime(uninterrupted), "run #\(planned.index)")
            let hidden = try FileManager.default.contentsOfDirectory(atPath: plan.directory(of: planned)!).filter { $0.hasPrefix(".") }
            #expect(hidden.isEmpty, "temporaries left: \(hidden)")
        }
    }
}
