import ArgumentParser

/// `widesparse`: controlled experiments on neural-network width at a fixed number of weights.
public struct WideSparseCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "widesparse",
        abstract: "Train and compare networks of growing width at a fixed number of weights.",
        subcommands: [Demo.self, Train.self, Family.self, Sweep.self, Results.self, KernelCommand.self, Figure8Command.self, Advise.self, ReportCommand.self, Bench.self])

    public init() {}
}

/// `widesparse train <model>`
public struct Train: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Train one model and write a run directory.", subcommands: [TrainMLP.self, TrainResNet.self])

    public init() {}
}

/// `widesparse bench <what>`
public struct Bench: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Time training steps (a benchmark; compare with ../shared/peers/torch_bench.py).",
        subcommands: [BenchMLP.self, BenchResNet.self])

    public init() {}
}
