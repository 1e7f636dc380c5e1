import Foundation

/// An experiment's folder (runs/<name>/, or a kernel study's --out): the files the experiment
/// itself writes beside its run folders. The one place that names them; a run's own files are
/// `RunDirectory`'s.
public struct ExperimentDirectory: Sendable {
    public enum File: String, CaseIterable, Sendable {
        /// The frozen specs, one `<hash>.json` per distinct spec that planned runs here.
        case specs
        /// Slurm submissions, one folder per submission stamp.
        case slurm
        /// In a submission's folder: the arrays submitted and their job ids.
        case slurmManifest = "manifest.json"
        /// In a submission's folder: the tasks' output, one file per task.
        case slurmLogs = "logs"
        case results = "results.csv"
        case figure8 = "figure8.json"
        case kernelJSON = "kernel.json"
        case kernelCSV = "kernel.csv"
        /// `widesparse demo`'s table and report.
        case familyCSV = "family.csv"
        case report
    }

    public let path: String

    public init(_ path: String) { self.path = path }

    /// The path of `file` in this folder.
    public func path(_ file: File) -> String { "\(path)/\(file.rawValue)" }

    /// The folder of the Slurm submission made at `stamp`.
    public func submission(_ stamp: String) -> String { "\(path(.slurm))/\(stamp)" }

    /// `file` in the folder of the Slurm submission made at `stamp`.
    public func submission(_ stamp: String, _ file: File) -> String { "\(submission(stamp))/\(file.rawValue)" }

    /// A submission's sbatch script of array `part`.
    public func submissionScript(_ stamp: String, part: Int) -> String { "\(submission(stamp))/array-\(part).sbatch" }

    /// The manifest of every Slurm submission made from this experiment.
    public var submissionManifests: [String] {
        let stamps = (try? FileManager.default.contentsOfDirectory(atPath: path(.slurm))) ?? []
        return stamps.sorted().map { submission($0, .slurmManifest) }
    }
}
