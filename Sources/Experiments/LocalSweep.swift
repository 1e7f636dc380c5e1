import Foundation

/// Runs a sweep on this machine: N worker processes at a time (`widesparse sweep worker`), each
/// training one run with its own threads. Processes, not threads, so that one run that crashes
/// takes nothing else with it, and so that the run locks (held per process) keep two sweeps on
/// the same spec from training one run twice.
public struct LocalSweep {
    public enum Event {
        case started(PlannedRun, directory: String)
        /// The run's state after its worker exited (and the worker's exit status).
        case ended(PlannedRun, directory: String, state: RunState, exitStatus: Int32)
        /// Every 30 seconds: epochs done over the whole sweep.
        case progress(epochsDone: Int, epochsPlanned: Int, running: Int, waiting: Int)
    }

    public let plan: SweepPlan
    /// The frozen spec the workers read.
    public let specPath: String
    public let runsRoot: String
    /// The `widesparse` executable.
    public let executable: String
    public let jobs: Int
    public let threadsPerJob: Int
    /// More `sweep worker` arguments (e.g. --execution sparse).
    public let workerArguments: [String]

    public init(
        plan: SweepPlan, specPath: String, runsRoot: String, executable: String, jobs: Int, threadsPerJob: Int,
        workerArguments: [String] = []
    ) {
        self.workerArguments = workerArguments
        self.plan = plan
        self.specPath = specPath
        self.runsRoot = runsRoot
        self.executable = executable
        self.jobs = jobs
        self.threadsPerJob = threadsPerJob
    }

    /// Starts every run that is not finished (done or diverged) and waits for all of them.
    /// Returns the states at the end.
    @discardableResult
    public func run(onEvent: (Event) -> Void) throws -> SweepStatus {
        var waiting = plan.trainable.filter { !RunState.of(directory: plan.directory(of: $0)!).isFinal }
        var running: [(process: Process, run: PlannedRun)] = []
        var lastProgress = Date.distantPast
        while !waiting.isEmpty || !running.isEmpty {
            while running.count < jobs, !waiting.isEmpty {
                let next = waiting.removeFirst()
                running.append((try start(next), next))
                onEvent(.started(next, directory: plan.directory(of: next)!))
            }
            Thread.sleep(forTimeInterval: 0.1)
            for (process, run) in running where !process.isRunning {
                let directory = plan.directory(of: run)!
                onEvent(.ended(run, directory: directory, state: RunState.of(directory: directory), exitStatus: process.terminationStatus))
            }
            running.removeAll { !$0.process.isRunning }
            if Date().timeIntervalSince(lastProgress) > 30 {
                lastProgress = Date()
                let status = SweepStatus(plan: plan)
                onEvent(.progress(epochsDone: status.epochsDone, epochsPlanned: status.epochsPlanned, running: running.count, waiting: waiting.count))
            }
        }
        return SweepStatus(plan: plan)
    }

    /// Starts the worker of one run; its output is appended to the run's worker.log.
    func start(_ run: PlannedRun) throws -> Process {
        let directory = plan.directory(of: run)!
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logPath = "\(directory)/worker.log"
        if !FileManager.default.fileExists(atPath: logPath) { FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        try log.seekToEnd()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "sweep", "worker", specPath, "--index", "\(run.index)", "--runs-dir", runsRoot, "--threads", "\(threadsPerJob)",
        ] + workerArguments
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SweepError("cannot start \(executable) for run \(run.index): \(error)")
        }
        try log.close()
        return process
    }
}
