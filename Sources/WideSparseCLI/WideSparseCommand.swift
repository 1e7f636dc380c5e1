import ArgumentParser
import Experiments
import Foundation
import RunRecords

/// `widesparse`: controlled experiments on neural-network width at a fixed number of weights.
public struct WideSparseCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "widesparse",
        abstract: "Train and compare networks of growing width at a fixed number of weights.",
        version: "widesparse \(WideSparseVersion.description)",
        subcommands: [Demo.self, Train.self, Family.self, Sweep.self, Results.self, KernelCommand.self, Figure8Command.self, Advise.self, ReportCommand.self, Bench.self])

    public init() {}
}

/// `widesparse train <model>`
public struct Train: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Train one model and write a run directory.", subcommands: [TrainMLP.self, TrainResNet.self, TrainVGG.self])

    public init() {}
}

/// `widesparse bench <what>`
public struct Bench: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Time training steps (a benchmark; compare with benchmarks/torch_bench.py).",
        subcommands: [BenchMLP.self, BenchResNet.self, BenchVGG.self, BenchConvolution.self])

    public init() {}
}

/// A data file, spec, run folder or other input that is not what it should be: exit 65
/// (EX_DATAERR), printed without the usage text.
public struct InputError: Error, CustomStringConvertible {
    public let description: String
}

/// A run that was tried and failed (it diverged, or training threw): exit 1.
public struct RunFailed: Error, CustomStringConvertible {
    public let description: String
}

extension WideSparseCommand {
    /// Runs the command and exits with a code that says what went wrong: 0 done; 1 a run failed
    /// (or a sweep has failed runs); 64 the command line (EX_USAGE, with the usage text); 65 an
    /// input file, spec or run folder (EX_DATAERR, the message alone); 128 + n stopped by signal n.
    public static func mainWithExitCodes() -> Never {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let message = CommandTree.unknownSubcommandMessage(arguments) {
            FileHandle.standardError.write(Data((message + "\n").utf8))
            Foundation.exit(64)
        }
        var parsed: ParsableCommand.Type = WideSparseCommand.self
        do {
            var command = try parseAsRoot(arguments)
            parsed = type(of: command)
            try command.run()
            Foundation.exit(0)
        } catch let error as ValidationError where parsed != WideSparseCommand.self {
            // Thrown by the subcommand's run(): show its usage, not the root's.
            let path = CommandTree.path(to: parsed)
            FileHandle.standardError.write(Data((
                "Error: \(error.message)\nUsage: \(usageString(for: parsed))\n  See '\(CommandTree.name(path)) --help' for more information.\n").utf8))
            Foundation.exit(64)
        } catch let error as InputError {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            Foundation.exit(65)
        } catch let error as RunFailed {
            FileHandle.standardError.write(Data("Error: \(error.description)\n".utf8))
            Foundation.exit(1)
        } catch let error as SweepInterrupted {
            FileHandle.standardError.write(Data("\(error.description)\n".utf8))
            Foundation.exit(128 + error.signal)
        } catch {
            exit(withError: error)
        }
    }
}
