import Foundation
import RunRecords
import Training

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

    /// Plans the spec `tree` under `runsRoot`, freezes it beside its runs, and runs it with `jobs`
    /// workers of one thread: a study's sweep (figure8) as `sweep run` would run it.
    public static func run(
        tree: SpecValue, file: String, runsRoot: String, executable: String, jobs: Int, onEvent: (Event) -> Void
    ) throws -> (plan: SweepPlan, status: SweepStatus) {
        let plan = try SweepPlan(spec: try ExperimentSpec(tree, file: file), runsRoot: runsRoot, file: file)
        let frozen = try FrozenSpec.write(tree, experimentDirectory: plan.directory)
        let sweep = LocalSweep(plan: plan, specPath: frozen, runsRoot: runsRoot, executable: executable, jobs: jobs, threadsPerJob: 1)
        return (plan, try sweep.run(onEvent: onEvent))
    }

    /// Starts every run that is not finished (done or diverged) and waits for all of them.
    /// Returns the states at the end. `restartFailed`: runs that failed are cleared and trained
    /// again from the start. A SIGINT or SIGTERM to the sweep is forwarded to every worker (each
    /// in its own process group, so a terminal's Ctrl-C would not reach them); no new run starts,
    /// the sweep waits for the workers to exit and throws `SweepInterrupted`. Every run keeps its
    /// last checkpoint, and the same command continues.
    @discardableResult
    public func run(restartFailed: Bool = false, onEvent: (Event) -> Void) throws -> SweepStatus {
        if restartFailed {
            for run in plan.trainable where RunState.of(directory: plan.directory(of: run)!) == .failed {
                try TrainingRun.clear(directory: plan.directory(of: run)!)
            }
        }
        var waiting = plan.trainable.filter { !RunState.of(directory: plan.directory(of: $0)!).isFinal }
        var running: [(process: Process, run: PlannedRun)] = []
        var lastProgress = Date.distantPast
        let signals = SignalCatcher([SIGINT, SIGTERM])
        defer { signals.restore() }
        var forwarded = false
        while !waiting.isEmpty || !running.isEmpty {
            if let signal = signals.caught, !forwarded {
                forwarded = true
                waiting.removeAll()
                for (process, _) in running where process.isRunning { kill(process.processIdentifier, signal) }
            }
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
        if let signal = signals.caught { throw SweepInterrupted(signal: signal) }
        return SweepStatus(plan: plan)
    }

    /// Starts the worker of one run; its output is appended to the run's worker.log.
    func start(_ run: PlannedRun) throws -> Process {
        let directory = plan.directory(of: run)!
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let logPath = RunDirectory(directory).path(.workerLog)
        // Created with open(2): Foundation's createFile writes through a temporary a kill would leave.
        close(open(logPath, O_WRONLY | O_CREAT, 0o644))
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

/// A sweep stopped by a signal after its workers exited.
public struct SweepInterrupted: Error, CustomStringConvertible {
    public let signal: Int32
    public var description: String {
        "stopped by \(signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)") after every worker exited; "
            + "each run keeps its last checkpoint: run the same command again to continue"
    }
}

/// Catches signals while it lives (their default action suspended) and remembers the first.
final class SignalCatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int32?
    private var sources: [DispatchSourceSignal] = []
    private let numbers: [Int32]

    init(_ numbers: [Int32]) {
        self.numbers = numbers
        for number in numbers {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                if self.first == nil { self.first = number }
                self.lock.unlock()
            }
            source.resume()
            sources.append(source)
        }
    }

    var caught: Int32? {
        lock.lock()
        defer { lock.unlock() }
        return first
    }

    /// Back to the default actions.
    func restore() {
        for source in sources { source.cancel() }
        for number in numbers { signal(number, SIG_DFL) }
    }
}
