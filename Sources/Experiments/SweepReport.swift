import Foundation
import RunRecords

/// The lines the sweep commands print about a plan and its runs.
extension SweepPlan {
    /// "experiment figure5-quick: 40 runs in runs/figure5-quick, 2 infeasible entries (...)".
    public var headline: String {
        let infeasible = runs.filter { if case .infeasible = $0.status { return true } else { return false } }
        return "experiment \(spec.name): \(trainable.count) runs in \(directory)"
            + (infeasible.isEmpty ? "" : ", \(infeasible.count) infeasible entries (listed by `widesparse results`)")
    }

    /// One line per run that needs a look: failed (its error), diverged (where), running (by whom).
    public var problemLines: [String] {
        trainable.compactMap { run in
            let folder = RunDirectory(directory(of: run)!)
            switch RunState.of(directory: folder.path) {
            case .failed:
                return "failed  #\(run.index) \(run.request.summary): \(folder.failure()?.message ?? "?")"
            case .diverged:
                let divergence = folder.divergence()
                return "diverged #\(run.index) \(run.request.summary): loss \(divergence?.loss ?? "?") at step \(divergence?.step ?? 0)"
            case .running:
                return "running #\(run.index) \(run.request.summary): \(RunLock.holder(directory: folder.path) ?? "?")"
            default:
                return nil
            }
        }
    }
}

extension LocalSweep.Event {
    /// The event as `sweep run` prints it; `ended` counts the runs that have ended so far.
    public func line(ended: Int, of total: Int) -> String {
        switch self {
        case .started(let run, _):
            return "[\(ended)/\(total)] start  #\(run.index) \(run.request.summary)"
        case .ended(let run, let directory, let state, _):
            let folder = RunDirectory(directory)
            var detail = ""
            if state == .done, let result = folder.result() {
                detail = String(format: ": best test %.2f %%, %.0f s", 100 * result.bestTestAccuracy, result.trainingSeconds)
            } else if state == .failed, let failure = folder.failure() {
                detail = ": \(failure.message)"
            } else if state == .running {
                detail = " (by another process: \(RunLock.holder(directory: directory) ?? "?"))"
            } else if state != .done {
                detail = " (see \(folder.path(.workerLog)))"
            }
            return "[\(ended)/\(total)] \(state.rawValue.padding(toLength: 6, withPad: " ", startingAt: 0)) #\(run.index) \(run.request.summary)\(detail)"
        case .progress(let done, let planned, let running, let waiting):
            return String(format: "progress: %d of %d epochs (%.0f %%), %d running, %d waiting", done, planned,
                          100 * Double(done) / Double(max(1, planned)), running, waiting)
        }
    }
}
