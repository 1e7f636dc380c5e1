/// Where a run stands, read from its directory alone (no process is asked).
public enum RunState: String, Codable, CaseIterable, Sendable {
    /// result.json exists.
    case done
    /// diverged.json exists: the loss became NaN or infinite; training it again repeats that.
    case diverged
    /// A live process holds the run's lock.
    case running
    /// error.json exists and nobody is running it; the next sweep run tries it again.
    case failed
    /// A checkpoint exists but nobody is running it (killed, timed out, or stopped early).
    case interrupted
    /// Nothing has been written yet.
    case missing

    /// The state of the run in `directory` (`RunDirectory.state`).
    public static func of(directory: String) -> RunState { RunDirectory(directory).state }

    /// Finished for good: a sweep does not start it again.
    public var isFinal: Bool { self == .done || self == .diverged }
}
