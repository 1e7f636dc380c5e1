import ArgumentParser
import Choices
import Experiments
import RunResults
import Foundation
import RunRecords
import TensorCore

/// `widesparse sweep <what>`
public struct Sweep: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Run an experiment spec: locally, as Slurm job arrays, or one run at a time.",
        discussion: """
            A spec (YAML or JSON; see experiments/ for the paper's) lists datasets, base widths, widths \
            or widening factors, methods, rules, seeds and `widesparse train` options; lists multiply. \
            Every run gets a directory runs/<name>/<run id> named by its resolved config. Runs that are \
            done are skipped, interrupted ones resume from their last checkpoint, failed ones are tried \
            again, diverged ones are left as they are; a lock per run keeps two sweeps from training \
            one run twice. Append key=value overrides after the spec, e.g. options.epochs=5 seeds=[0,1].
            """ + examples(
                ("a few minutes here", "widesparse sweep run experiments/figure5-quick.yaml --jobs 2"),
                ("with overrides (later commands need the same ones)", "widesparse sweep run experiments/figure6-quick.yaml options.epochs=1 'seeds=[0]'"),
                (nil, "widesparse sweep status experiments/figure5-quick.yaml"),
                (nil, "widesparse sweep slurm experiments/figure6-resnet-cifar.yaml --partition gpu --time 12:00:00 --throttle 50")),
        subcommands: [SweepRun.self, SweepSlurm.self, SweepWorker.self, SweepStatusCommand.self])

    public init() {}
}

/// The spec file, its overrides and the runs folder, shared by the sweep commands.
struct SpecArguments: ParsableArguments {
    @Argument(help: "The experiment spec (.yaml or .json).")
    var spec: String

    @Argument(help: "Overrides, key=value (e.g. options.epochs=5, seeds=[0,1], widths=[8,16]).")
    var overrides: [String] = []

    @Option(help: "Folder that holds the experiments' run folders.")
    var runsDir: String = SweepCommandLine.defaultRunsDir

    /// The arguments as typed, for follow-up commands that plan the same runs.
    var commandLine: SweepCommandLine { SweepCommandLine(spec: spec, overrides: overrides, runsDir: runsDir) }

    /// The spec, its tree (for freezing) and the expanded plan.
    func plan() throws -> (plan: SweepPlan, tree: SpecValue) {
        try reportingErrors {
            let (spec, tree) = try ExperimentSpec.load(path: self.spec, overrides: overrides)
            return (try SweepPlan(spec: spec, runsRoot: absolutePath(runsDir), file: self.spec), tree)
        }
    }
}

func absolutePath(_ path: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    return expanded.hasPrefix("/") ? URL(fileURLWithPath: expanded).standardizedFileURL.path
        : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(expanded).standardizedFileURL.path
}

/// This program's own path, for the workers it starts.
func executablePath() -> String {
    URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
}

/// `widesparse sweep run SPEC`
struct SweepRun: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a spec's runs on this machine, --jobs at a time; rerun the same command to finish what is missing.",
        discussion: """
            Ctrl-C (SIGINT) or SIGTERM stops the sweep: the signal is passed on to every worker (each \
            runs in its own process group), no new run starts, and the sweep exits (130 or 143) once \
            they have; every run keeps its last checkpoint and the same command continues. Failed runs \
            are retried by the next sweep run; --restart-failed clears them first. Exit codes: 0 \
            all runs ended, 1 some failed, 64 a usage error, 65 a bad spec or input file.
            """ + examples(
                (nil, "widesparse sweep run experiments/figure5-quick.yaml --jobs 2"),
                ("CIFAR data in your own folders", "widesparse sweep run experiments/figure6-resnet-cifar.yaml data_dir='{cifar10: ~/data/c10, cifar100: ~/data/c100}'"),
                ("a shorter version of a spec, in its own runs folder", "widesparse sweep run experiments/figure6-quick.yaml options.epochs=1 --runs-dir /tmp/runs")))

    @OptionGroup var arguments: SpecArguments

    @Option(help: "Runs at once (each its own process).")
    var jobs: Int = 1

    @OptionGroup var compute: ThreadsOption
    var threads: Int { compute.threads }

    @OptionGroup var executionOption: ExecutionOption
    var execution: ExecutionChoice { executionOption.execution }

    @Flag(help: "Clear the runs that failed (their error.json and what they wrote) and train them again from the start; without it they are retried from their last checkpoint.")
    var restartFailed = false

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs: expected at least 1, found \(jobs)") }
    }

    func run() throws {
        let (plan, tree) = try arguments.plan()
        print(plan.headline)
        try reportingErrors { try plan.checkData(specFile: arguments.spec) }
        let specPath = try reportingErrors { try FrozenSpec.write(tree, experimentDirectory: plan.directory) }
        let before = SweepStatus(plan: plan)
        print("before: \(before.summary)")
        let total = plan.trainable.count
        var ended = before.count(.done) + before.count(.diverged)
        let sweep = LocalSweep(
            plan: plan, specPath: specPath, runsRoot: absolutePath(arguments.runsDir), executable: executablePath(), jobs: jobs,
            threadsPerJob: threads, workerArguments: ["--execution", execution.rawValue])
        let status = try reportingErrors {
            try sweep.run(restartFailed: restartFailed) { event in
                if case .ended(_, _, let state, _) = event, state.isFinal { ended += 1 }
                print(event.line(ended: ended, of: total))
            }
        }
        print("after: \(status.summary)")
        print("results: \(arguments.commandLine.command("results"))")
        if status.count(.failed) > 0 {
            throw RunFailed(description: "\(status.count(.failed)) runs failed (their errors are above and in error.json); "
                + "the same command retries them, with --restart-failed from the start")
        }
    }
}

/// `widesparse sweep worker SPEC --index I`
struct SweepWorker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Train the run at --index of a spec's expansion (what each local job and Slurm array task runs).",
        discussion: "Done, diverged, infeasible and locked runs are left alone, so running a task twice is harmless.")

    @OptionGroup var arguments: SpecArguments

    @Option(help: "The run's position in the spec's expansion (0-based).")
    var index: Int

    @OptionGroup var compute: ThreadsOption
    var threads: Int { compute.threads }

    @Option(help: "Stop (checkpointed) once this many epochs are done in total; a later worker continues.")
    var stopAfterEpochs: Int?

    @OptionGroup var executionOption: ExecutionOption
    var execution: ExecutionChoice { executionOption.execution }

    func run() throws {
        ComputeThreads.set(threads)
        let (plan, _) = try arguments.plan()
        let worker = RunWorker(plan: plan, execution: execution)
        let config = plan.runs.indices.contains(index) ? plan.runs[index].config : nil
        let display = ProgressDisplay(label: "run #\(index): ", batchSize: config?.training.batchSize, epochs: config?.training.epochs)
        if plan.runs.indices.contains(index) {
            print("run #\(index): \(plan.runs[index].request.summary)" + (plan.directory(of: plan.runs[index]).map { " in \($0)" } ?? ""))
        }
        let outcome = try reportingErrors { try worker.run(index: index, stopAfterEpochs: stopAfterEpochs, onEvent: display.handle) }
        display.finish()
        switch outcome {
        case .finished(let result): print(String(format: "run #\(index): done, best test accuracy %.2f %%", 100 * result.bestTestAccuracy))
        case .alreadyDone: print("run #\(index): already done")
        case .busy(let holder): print("run #\(index): left alone, another process runs it (\(holder))")
        case .diverged(let divergence): print("run #\(index): diverged: loss \(divergence.loss) at step \(divergence.step)")
        case .stopped: print("run #\(index): stopped after \(stopAfterEpochs ?? 0) epochs (checkpointed)")
        case .infeasible(let reason): print("run #\(index): infeasible, nothing to train: \(reason)")
        case .duplicate(let first): print("run #\(index): the same run as #\(first), nothing to train")
        case .failed(let message):
            FileHandle.standardError.write(Data("run #\(index): failed: \(message)\n".utf8))
            throw ExitCode(1)
        }
    }
}

/// `widesparse sweep status SPEC`
struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Count a spec's runs that are done, running, failed, diverged, interrupted or missing.",
        discussion: """
            Read from the run folders alone (and, on a cluster, the queue's tasks of the spec's \
            submissions when squeue answers). Give the same overrides and --runs-dir as to `sweep run`.
            """ + examples((nil, "widesparse sweep status experiments/figure5-quick.yaml"),
                           (nil, "widesparse sweep status experiments/figure6-quick.yaml options.epochs=1 --runs-dir /tmp/runs")))

    @OptionGroup var arguments: SpecArguments

    func run() throws {
        let (plan, tree) = try arguments.plan()
        print(plan.headline)
        let status = SweepStatus(plan: plan)
        print(status.summary)
        print(String(format: "epochs: %d of %d (%.0f %%)", status.epochsDone, status.epochsPlanned,
                     100 * Double(status.epochsDone) / Double(max(1, status.epochsPlanned))))
        if let hint = MissingRunsHint.message(plan: plan, tree: tree, commandLine: arguments.commandLine, subcommand: "sweep status") {
            print(hint)
        }
        for line in plan.problemLines { print(line) }
        // On a cluster: what the queue still holds of this experiment's submissions.
        let jobs = SlurmSubmission.submittedJobIDs(experimentDirectory: plan.directory)
        if !jobs.isEmpty, let queued = Slurm.queuedTasks(jobs: jobs) {
            print("slurm queue: " + (queued.isEmpty ? "no tasks of this experiment" : queued.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key.lowercased())" }.joined(separator: ", ")))
        }
    }
}

/// `widesparse sweep slurm SPEC`
struct SweepSlurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "slurm",
        abstract: "Write sbatch job-array scripts for a spec's unfinished runs and submit them (or print them with --dry-run).",
        discussion: """
            The scripts and manifest.json go to runs/<name>/slurm/<time>/; each array task runs \
            `widesparse sweep worker SPEC --index I` with the spec frozen as submitted. Arrays larger \
            than the cluster's MaxArraySize (asked of scontrol, or --max-array-size) are split. The \
            runs folder must be on a file system the nodes share. Datasets are checked before \
            anything is submitted.
            """ + examples(
                ("look at the scripts first", "widesparse sweep slurm experiments/figure6-resnet-cifar.yaml --dry-run"),
                (nil, "widesparse sweep slurm experiments/figure6-resnet-cifar.yaml --partition gpu --time 12:00:00 --mem 8G --throttle 50 --sbatch-line --account=lab")))

    @OptionGroup var arguments: SpecArguments

    @Option(help: "Partition (sbatch --partition).")
    var partition: String?

    @Option(help: "Time limit per task (sbatch --time), e.g. 4:00:00. A task stopped by it resumes when submitted again.")
    var time: String?

    @Option(help: "CPUs per task; also the run's threads.")
    var cpusPerTask: Int = 1

    @Option(help: "Memory per task (sbatch --mem), e.g. 8G.")
    var mem: String?

    @Option(help: "At most this many tasks of an array at once (the %K of --array).")
    var throttle: Int?

    // Unconditional: the value itself starts with dashes.
    @Option(parsing: .unconditionalSingleValue, help: "An extra #SBATCH line, e.g. --account=lab (repeatable).")
    var sbatchLine: [String] = []

    @Option(help: "Largest array the cluster takes (default: its MaxArraySize from scontrol, else 1001).")
    var maxArraySize: Int?

    @Flag(help: "Write and print the scripts without submitting them.")
    var dryRun = false

    @OptionGroup var executionOption: ExecutionOption
    var execution: ExecutionChoice { executionOption.execution }

    func validate() throws {
        guard cpusPerTask >= 1 else { throw ValidationError("--cpus-per-task: expected at least 1, found \(cpusPerTask)") }
        if let throttle, throttle < 1 { throw ValidationError("--throttle: expected at least 1, found \(throttle)") }
        if let maxArraySize, maxArraySize < 1 { throw ValidationError("--max-array-size: expected at least 1, found \(maxArraySize)") }
    }

    func run() throws {
        if !dryRun && !Slurm.isAvailable {
            throw ValidationError("sbatch: not found on the PATH (run on a Slurm login node, or use --dry-run to only write the scripts)")
        }
        if !dryRun && !Slurm.controllerAnswers {
            throw ValidationError("slurm: the controller does not answer `scontrol ping` (is slurmctld up? --dry-run only writes the scripts)")
        }
        let (plan, tree) = try arguments.plan()
        print(plan.headline)
        // Checked on the login node, before sbatch: a task that cannot find its data fails in the queue hours later.
        do {
            try plan.checkData(specFile: arguments.spec)
        } catch let error as SpecError where dryRun {
            print("warning: \(error) (the scripts are written anyway; without --dry-run nothing is submitted)")
        } catch {
            try reportingErrors { throw error }
        }
        let specPath = try reportingErrors { try FrozenSpec.write(tree, experimentDirectory: plan.directory) }
        var settings = SlurmSubmission.Settings()
        settings.partition = partition
        settings.time = time
        settings.cpusPerTask = cpusPerTask
        settings.memory = mem
        settings.throttle = throttle
        settings.extraLines = sbatchLine
        settings.maxArraySize = maxArraySize ?? (dryRun ? nil : Slurm.maxArraySize()) ?? 1001
        settings.workerArguments = ["--execution", execution.rawValue]
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let stamp = formatter.string(from: Date()) + "-\(ProcessInfo.processInfo.processIdentifier)"
        let submission = SlurmSubmission(
            plan: plan, specPath: specPath, runsRoot: absolutePath(arguments.runsDir), executable: executablePath(),
            settings: settings, stamp: stamp)
        let manifest = try reportingErrors { try submission.write(submit: !dryRun) }
        guard !manifest.arrays.isEmpty else {
            print("nothing to submit: \(SweepStatus(plan: plan).summary)")
            return
        }
        for array in manifest.arrays {
            if dryRun {
                print("# \(array.path)")
                print((try? String(contentsOfFile: array.path, encoding: .utf8)) ?? "")
            } else {
                print("submitted job \(array.jobID ?? "?"): \(array.indexes.count) runs (\(array.path))")
            }
        }
        print("manifest: \(submission.manifestPath)")
        print("progress: \(arguments.commandLine.command("sweep status"))")
    }
}

/// `widesparse results SPEC|FOLDER`
public struct Results: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Tabulate runs: one CSV row per run, and a table grouped over seeds in the terminal.",
        discussion: """
            Give a spec (its runs are listed, missing ones too) or a folder (every run under it). The \
            table shows the mean and standard deviation over seeds of the best test accuracy and the \
            final train accuracy, and, for sparse models whose dense model of the same width and dense \
            base model (same weights) were trained too, the fraction of the improvement due to width: \
            (sparse - base) / (dense - base), paper Figure 7. results.csv has one column per run \
            option; with a spec, give the same overrides and --runs-dir as to `sweep run`.
            """ + examples(
                ("table, and runs/figure5-quick/results.csv", "widesparse results experiments/figure5-quick.yaml"),
                ("every run under a folder", "widesparse results runs/figure6-quick --csv figure6.csv"),
                (nil, "widesparse results experiments/figure6-quick.yaml options.epochs=1 --runs-dir /tmp/runs")))

    @Argument(help: "An experiment spec, or a folder of run directories.")
    var source: String

    @Argument(help: "Overrides for a spec, key=value.")
    var overrides: [String] = []

    @Option(help: "Folder that holds the experiments' run folders (with a spec).")
    var runsDir: String = SweepCommandLine.defaultRunsDir

    @Option(help: "Where to write the CSV (default: results.csv in the experiment's or the given folder).")
    var csv: String?

    public init() {}

    public func run() throws {
        var isFolder: ObjCBool = false
        let results: SweepResults
        let defaultCSV: String
        if FileManager.default.fileExists(atPath: source, isDirectory: &isFolder), isFolder.boolValue {
            results = try reportingErrors { try SweepResults(folder: source) }
            if results.rows.isEmpty {
                throw InputError(description: "\(source): expected run folders (with a config.json) in it or below it, found none (no table written)")
            }
            defaultCSV = ExperimentDirectory(source).path(.results)
        } else {
            let arguments = try SpecArguments.parse([source] + overrides + ["--runs-dir", runsDir])
            let (plan, tree) = try arguments.plan()
            // An empty table must not replace a good results.csv: say where the runs may be instead.
            if let hint = MissingRunsHint.message(plan: plan, tree: tree, commandLine: arguments.commandLine, subcommand: "results") {
                throw InputError(description: hint + "\n(no table written)")
            }
            results = SweepResults(plan: plan)
            defaultCSV = ExperimentDirectory(plan.directory).path(.results)
        }
        print(results.table())
        let path = csv ?? defaultCSV
        try reportingErrors { try RecordFiles.writeAtomically(Data(results.csv().utf8), to: path) }
        print("\(results.rows.count) runs; CSV: \(path)")
    }
}
