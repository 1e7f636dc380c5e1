import Foundation
import RunRecords

/// A sweep as Slurm job arrays: one array task per unfinished run, each running
/// `widesparse sweep worker SPEC --index I`. Runs are idempotent (locked, resumed, skipped when
/// done), so a requeued or repeated task does no harm.
public struct SlurmSubmission {
    public struct Settings: Sendable {
        public var partition: String?
        /// --time, e.g. "4:00:00"
        public var time: String?
        public var cpusPerTask = 1
        /// --mem, e.g. "8G"
        public var memory: String?
        /// At most this many tasks of an array at once (%K).
        public var throttle: Int?
        /// Extra lines, each written as "#SBATCH <line>".
        public var extraLines: [String] = []
        /// Task ids must stay below this (the cluster's MaxArraySize); larger sweeps get several arrays.
        public var maxArraySize = 1001
        /// More `sweep worker` arguments (e.g. --execution sparse).
        public var workerArguments: [String] = []

        public init() {}
    }

    /// One sbatch script and the runs (expansion indexes) its array covers.
    public struct ArrayScript: Codable, Equatable, Sendable {
        public var path: String
        public var indexes: [Int]
        public var jobID: String?
    }

    /// manifest.json of a submission.
    public struct Manifest: Codable, Equatable, Sendable {
        public var experiment: String
        public var spec: String
        public var created: String
        public var arrays: [ArrayScript]
    }

    public let plan: SweepPlan
    public let specPath: String
    public let runsRoot: String
    public let executable: String
    public let settings: Settings
    /// <experiment>/slurm/<time stamp>
    public let directory: String

    /// The submission's manifest.json.
    public var manifestPath: String { experiment.submission(stamp, .slurmManifest) }

    /// The job ids of every array submitted from the experiment in `experimentDirectory`.
    public static func submittedJobIDs(experimentDirectory: String) -> [String] {
        ExperimentDirectory(experimentDirectory).submissionManifests
            .compactMap { try? RecordFiles.readJSON(Manifest.self, from: $0) }
            .flatMap(\.arrays).compactMap(\.jobID)
    }

    public init(plan: SweepPlan, specPath: String, runsRoot: String, executable: String, settings: Settings, stamp: String) {
        self.plan = plan
        self.specPath = specPath
        self.runsRoot = runsRoot
        self.executable = executable
        self.settings = settings
        self.directory = ExperimentDirectory(plan.directory).submission(stamp)
        self.stamp = stamp
    }

    /// The submission's time stamp (its folder's name).
    public let stamp: String
    private var experiment: ExperimentDirectory { ExperimentDirectory(plan.directory) }

    /// The unfinished runs that nobody is running now, split into arrays of at most maxArraySize tasks.
    public func arrays() -> [[Int]] {
        let pending = plan.trainable.filter {
            let state = RunState.of(directory: plan.directory(of: $0)!)
            return !state.isFinal && state != .running
        }.map(\.index)
        let size = max(1, settings.maxArraySize)
        return stride(from: 0, to: pending.count, by: size).map { Array(pending[$0..<min($0 + size, pending.count)]) }
    }

    /// The sbatch script of one array.
    public func script(indexes: [Int], part: Int, of parts: Int) -> String {
        let throttle = settings.throttle.map { "%\($0)" } ?? ""
        var lines = [
            "#!/bin/bash",
            "# widesparse sweep '\(plan.spec.name)', array \(part + 1) of \(parts): \(indexes.count) runs.",
            "# Each task trains (or resumes, or skips when done) one run; repeating a task is harmless.",
            "#SBATCH --job-name=widesparse-\(plan.spec.name)",
            "#SBATCH --array=0-\(indexes.count - 1)\(throttle)",
            "#SBATCH --cpus-per-task=\(settings.cpusPerTask)",
            "#SBATCH --output=\(experiment.submission(stamp, .slurmLogs))/%A_%a.out",
            "#SBATCH --chdir=\(FileManager.default.currentDirectoryPath)",
        ]
        if let partition = settings.partition { lines.append("#SBATCH --partition=\(partition)") }
        if let time = settings.time { lines.append("#SBATCH --time=\(time)") }
        if let memory = settings.memory { lines.append("#SBATCH --mem=\(memory)") }
        lines += settings.extraLines.map { "#SBATCH \($0)" }
        lines += [
            "set -euo pipefail",
            "runs=(\(indexes.map(String.init).joined(separator: " ")))",
            "exec \(shellQuoted(executable)) sweep worker \(shellQuoted(specPath)) --index \"${runs[$SLURM_ARRAY_TASK_ID]}\" "
                + "--runs-dir \(shellQuoted(runsRoot)) --threads \(settings.cpusPerTask)"
                + settings.workerArguments.map { " " + shellQuoted($0) }.joined(),
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the scripts and manifest.json; with `submit`, hands each script to sbatch and
    /// records the job ids. Returns the manifest (no arrays when nothing is left to run).
    public func write(submit: Bool) throws -> Manifest {
        let arrays = self.arrays()
        var manifest = Manifest(experiment: plan.spec.name, spec: specPath, created: ISO8601DateFormatter().string(from: Date()), arrays: [])
        guard !arrays.isEmpty else { return manifest }
        try FileManager.default.createDirectory(atPath: experiment.submission(stamp, .slurmLogs), withIntermediateDirectories: true)
        for (part, indexes) in arrays.enumerated() {
            let path = experiment.submissionScript(stamp, part: part)
            try RecordFiles.writeAtomically(Data(script(indexes: indexes, part: part, of: arrays.count).utf8), to: path)
            var entry = ArrayScript(path: path, indexes: indexes, jobID: nil)
            if submit { entry.jobID = try Slurm.submit(path) }
            manifest.arrays.append(entry)
            try RecordFiles.writeJSON(manifest, to: manifestPath)
        }
        return manifest
    }
}

/// The Slurm commands widesparse uses.
public enum Slurm {
    /// Whether sbatch is on the PATH.
    public static var isAvailable: Bool { (try? run("/usr/bin/env", ["which", "sbatch"]))?.status == 0 }

    /// Whether the cluster's controller answers (`scontrol ping`); sbatch would otherwise retry
    /// for minutes.
    public static var controllerAnswers: Bool {
        guard let output = try? run("/usr/bin/env", ["scontrol", "ping"]) else { return false }
        return output.status == 0 && output.text.contains("is UP")
    }

    /// The cluster's MaxArraySize, if scontrol answers.
    public static func maxArraySize() -> Int? {
        guard let output = try? run("/usr/bin/env", ["scontrol", "show", "config"]), output.status == 0 else { return nil }
        for line in output.text.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
            return line.split(separator: "=").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        return nil
    }

    /// Submits a script and returns its job id.
    static func submit(_ script: String) throws -> String {
        let output = try run("/usr/bin/env", ["sbatch", "--parsable", script])
        guard output.status == 0 else { throw SweepError("sbatch \(script) failed: \(output.text.trimmingCharacters(in: .whitespacesAndNewlines))") }
        return String(output.text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first ?? "")
    }

    /// Array tasks of `jobs` still in the queue, by state (PENDING, RUNNING, ...).
    public static func queuedTasks(jobs: [String]) -> [String: Int]? {
        guard !jobs.isEmpty, let output = try? run("/usr/bin/env", ["squeue", "-h", "-r", "-o", "%T", "-j", jobs.joined(separator: ",")]),
              output.status == 0 else { return nil }
        var counts: [String: Int] = [:]
        for line in output.text.split(separator: "\n") { counts[String(line), default: 0] += 1 }
        return counts
    }

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, text: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
