import Foundation

/// error.json: why a run stopped with an error. A later attempt removes it when it starts.
public struct RunFailure: Codable, Equatable, Sendable {
    public var message: String
    /// Unix time of the failure.
    public var time: Double
    public var host: String

    public init(message: String, time: Double, host: String) {
        self.message = message
        self.time = time
        self.host = host
    }
}

/// diverged.json: the run met a loss that is not a finite number and was stopped there. The run
/// is finished (training it again repeats the same steps); its last checkpoint is the last good
/// epoch.
public struct RunDivergence: Codable, Equatable, Sendable {
    /// 0-based epoch in which it happened.
    public var epoch: Int
    /// 1-based optimisation step (over the whole run) whose loss was not finite.
    public var step: Int
    /// The loss as text ("nan", "inf").
    public var loss: String

    public init(epoch: Int, step: Int, loss: String) {
        self.epoch = epoch
        self.step = step
        self.loss = loss
    }
}

/// labels.json: how an experiment named a run (method, base width, widening factor...). Not
/// part of the config, so it never changes the run id; the first experiment to start the run
/// writes it.
public struct RunLabels: Codable, Equatable, Sendable {
    public var experiment: String
    /// The widening method's name (Widening's `WideningMethods`: dense, sparse, linear-bottleneck, nonlinear-bottleneck)
    public var method: String
    public var baseWidth: Int?
    public var wideningFactor: Double?
    /// The removal rule that produced the sparsity ("level-down", "uniform", "erk",
    /// "last-layer-connectivity=0.5"), nil for dense models.
    public var rule: String?

    public init(experiment: String, method: String, baseWidth: Int?, wideningFactor: Double?, rule: String?) {
        self.experiment = experiment
        self.method = method
        self.baseWidth = baseWidth
        self.wideningFactor = wideningFactor
        self.rule = rule
    }
}

/// One line of attempts.jsonl: a process that took the run's lock and started (or resumed) it.
public struct RunAttempt: Codable, Equatable, Sendable {
    public var host: String
    public var pid: Int32
    /// Unix time.
    public var started: Double
    /// Epochs already done when it started.
    public var fromEpoch: Int
    /// The Slurm job and array task, when run by Slurm.
    public var slurmJob: String?

    public init(host: String, pid: Int32, started: Double, fromEpoch: Int, slurmJob: String?) {
        self.host = host
        self.pid = pid
        self.started = started
        self.fromEpoch = fromEpoch
        self.slurmJob = slurmJob
    }
}
