import Choices
import Datasets
import Foundation
import RunRecords
import Training

/// What one worker did with one run.
public enum WorkerOutcome: Equatable, Sendable {
    case finished(RunResult)
    case alreadyDone
    /// Another process holds the run's lock; this worker left it alone.
    case busy(holder: String)
    case diverged(RunDivergence)
    /// The error is in the run's error.json too.
    case failed(message: String)
    /// Stopped, checkpointed, by `stopAfterEpochs`.
    case stopped
    case infeasible(reason: String)
    case duplicate(of: Int)
}

/// Runs the runs of a sweep in this process, one at a time: takes each run's lock, records the
/// attempt, trains or resumes, and records a failure or divergence instead of passing it on, so
/// that one bad run never stops the others.
public struct RunWorker {
    public let plan: SweepPlan
    public let cache: DatasetCache
    /// How masked fully connected layers are computed (recorded per run in execution.json).
    public let execution: ExecutionChoice

    public init(plan: SweepPlan, cache: DatasetCache = DatasetCache(), execution: ExecutionChoice = .dense) {
        self.plan = plan
        self.cache = cache
        self.execution = execution
    }

    /// The run at `index` of the expansion.
    public func run(index: Int, stopAfterEpochs: Int? = nil, onEvent: (TrainingEvent) -> Void = { _ in }) throws -> WorkerOutcome {
        guard plan.runs.indices.contains(index) else {
            throw SweepError("--index: expected 0...\(plan.runs.count - 1) (the experiment '\(plan.spec.name)' has \(plan.runs.count) entries), found \(index)")
        }
        let planned = plan.runs[index]
        switch planned.status {
        case .infeasible(let reason): return .infeasible(reason: reason)
        case .duplicate(let first): return .duplicate(of: first)
        case .run(let config, _):
            return try train(planned, config: config, directory: plan.directory(of: planned)!, stopAfterEpochs: stopAfterEpochs, onEvent: onEvent)
        }
    }

    func train(
        _ planned: PlannedRun, config: RunConfig, directory: String, stopAfterEpochs: Int?, onEvent: (TrainingEvent) -> Void
    ) throws -> WorkerOutcome {
        let run = TrainingRun(config: config, directory: directory, budget: planned.request.requestedBudget)
        if run.existingResult() != nil { return .alreadyDone }
        if let divergence = run.existingDivergence() { return .diverged(divergence) }
        let host = ProcessInfo.processInfo.hostName
        let pid = ProcessInfo.processInfo.processIdentifier
        let slurmJob = slurmTask()
        let holder = "\(host) pid \(pid)" + (slurmJob.map { " slurm \($0)" } ?? "") + " since \(Date())"
        guard let lock = try RunLock.acquire(directory: directory, holder: holder) else {
            return .busy(holder: RunLock.holder(directory: directory) ?? "another process")
        }
        defer { withExtendedLifetime(lock) {} }
        // Checked again under the lock: another worker may have finished it meanwhile.
        if run.existingResult() != nil { return .alreadyDone }
        if let divergence = run.existingDivergence() { return .diverged(divergence) }

        let folder = RunDirectory(directory)
        let errorPath = folder.path(.error)
        try? FileManager.default.removeItem(atPath: errorPath)
        let labelsPath = folder.path(.labels)
        if !FileManager.default.fileExists(atPath: labelsPath) { try RecordFiles.writeJSON(planned.labels, to: labelsPath) }
        linkAlias(run.alias, to: directory)
        try folder.appendAttempt(
            RunAttempt(host: host, pid: pid, started: Date().timeIntervalSince1970, fromEpoch: folder.epochsRecorded, slurmJob: slurmJob))
        do {
            guard let result = try run.run(cache: cache, stopAfterEpochs: stopAfterEpochs, execution: execution, onEvent: onEvent) else { return .stopped }
            return .finished(result)
        } catch let diverged as RunDiverged {
            return .diverged(diverged.divergence)
        } catch {
            let message = "\(error)"
            try? RecordFiles.writeJSON(RunFailure(message: message, time: Date().timeIntervalSince1970, host: host), to: errorPath)
            return .failed(message: message)
        }
    }
}

/// "JOB_TASK" of a Slurm array task (or the job id of a plain job), nil outside Slurm.
func slurmTask() -> String? {
    let environment = ProcessInfo.processInfo.environment
    if let array = environment["SLURM_ARRAY_JOB_ID"], let task = environment["SLURM_ARRAY_TASK_ID"] { return "\(array)_\(task)" }
    return environment["SLURM_JOB_ID"]
}

/// A symbolic link `<experiment folder>/<alias>` -> `<run id>`, so the folder can be browsed by
/// name (`ls runs/figure6-quick`). Folder scans do not follow links, so no run is seen twice.
/// Best effort: a link that cannot be made (a file system without links) costs nothing else.
func linkAlias(_ alias: String, to directory: String) {
    let url = URL(fileURLWithPath: directory)
    let link = url.deletingLastPathComponent().appendingPathComponent(alias).path
    if (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == url.lastPathComponent { return }
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(alias).tmp-\(ProcessInfo.processInfo.processIdentifier)").path
    unlink(temporary)
    guard symlink(url.lastPathComponent, temporary) == 0 else { return }
    if rename(temporary, link) != 0 { unlink(temporary) }
}
