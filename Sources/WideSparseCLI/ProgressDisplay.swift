import Foundation
import Training

/// Shows training progress: on a terminal a bar redrawn in place with the images per second and
/// the time left; otherwise (files, pipes, Slurm output) plain log lines, one per
/// `epochLineEvery` epochs and always the last, with no control characters.
public final class ProgressDisplay {
    private let isTerminal: Bool
    private let write: (String) -> Void
    private let label: String
    private let epochLineEvery: Int
    private let batchSize: Int?
    private let clock: () -> Date
    private var lastDraw = Date.distantPast
    private var lastEpochSummary = ""
    private var epochStart: Date?
    /// Wall seconds of the epochs finished in this process (for the time left).
    private var epochSeconds: [Double] = []
    /// The run's epochs, given or reported by the first finished epoch.
    private var totalEpochs: Int?

    /// - Parameters:
    ///   - label: shown before each line, e.g. "width 80: " in a family.
    ///   - epochLineEvery: log-line spacing when output is not a terminal.
    ///   - batchSize: training batch size, for images per second (nil: batches per second).
    ///   - epochs: epochs of the run, for the time left (nil: until the first epoch reports them).
    ///   - isTerminal, write, clock: where the display goes and what time it is (tests pass their own).
    public init(
        label: String = "", epochLineEvery: Int = 1, batchSize: Int? = nil, epochs: Int? = nil, isTerminal: Bool = isatty(STDOUT_FILENO) != 0,
        write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }, clock: @escaping () -> Date = Date.init
    ) {
        self.label = label
        self.epochLineEvery = max(1, epochLineEvery)
        self.batchSize = batchSize
        self.totalEpochs = epochs
        self.isTerminal = isTerminal
        self.write = write
        self.clock = clock
    }

    public func handle(_ event: TrainingEvent) {
        switch event {
        case .batchFinished(let epoch, let batch, let batches):
            let now = clock()
            if batch == 0 || epochStart == nil { epochStart = now }
            guard isTerminal, now.timeIntervalSince(lastDraw) > 0.1 || batch + 1 == batches else { return }
            lastDraw = now
            let fraction = Double(batch + 1) / Double(batches)
            let filled = Int(fraction * 20)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
            var line = "\(label)epoch \(epoch + 1) [\(bar)] \(Int(fraction * 100))%"
            let elapsed = now.timeIntervalSince(epochStart!)
            // After the first batch: that batch's time may include the epoch's set-up.
            if batch > 0 && elapsed > 0 {
                let perBatch = elapsed / Double(batch + 1)
                line += batchSize.map { String(format: "  %.0f img/s", Double($0) / perBatch) } ?? String(format: "  %.1f batches/s", 1 / perBatch)
                line += "  " + timeLeft(epoch: epoch, batch: batch, batches: batches, perBatch: perBatch)
            }
            if !lastEpochSummary.isEmpty { line += "  | " + lastEpochSummary }
            write("\r" + line + "\u{1B}[K")
        case .epochFinished(let metrics, let total):
            if let epochStart { epochSeconds.append(clock().timeIntervalSince(epochStart)) }
            epochStart = nil
            totalEpochs = total
            lastEpochSummary = String(
                format: "epoch %d/%d: train loss %.4f acc %.2f%%, test acc %.2f%%",
                metrics.epoch, total, metrics.trainLoss, 100 * metrics.trainAccuracy, 100 * metrics.testAccuracy)
            if isTerminal {
                write("\r\(label)\(lastEpochSummary)\u{1B}[K")
                return
            }
            guard metrics.epoch % epochLineEvery == 0 || metrics.epoch == total else { return }
            var line = String(
                format: "%@epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%",
                label, metrics.epoch, total, metrics.learningRate, metrics.trainLoss, 100 * metrics.trainAccuracy,
                metrics.testLoss, 100 * metrics.testAccuracy)
            if let validation = metrics.validationAccuracy { line += String(format: "  val acc %.2f%%", 100 * validation) }
            line += String(format: "  %.2f s", metrics.seconds)
            write(line + "\n")
        }
    }

    /// "ETA 1m05s": the rest of this epoch at its batch rate, then the remaining epochs at the
    /// mean of those finished here (evaluation included), or at this epoch's rate before any has.
    private func timeLeft(epoch: Int, batch: Int, batches: Int, perBatch: Double) -> String {
        let thisEpoch = Double(batches - batch - 1) * perBatch
        let laterEpochs = Double(max(0, (totalEpochs ?? epoch + 1) - epoch - 1))
        let perEpoch = epochSeconds.isEmpty ? Double(batches) * perBatch : epochSeconds.reduce(0, +) / Double(epochSeconds.count)
        let left = thisEpoch + laterEpochs * perEpoch
        return (totalEpochs == nil ? "epoch ETA " : "ETA ") + formatDuration(left)
    }

    /// Ends the bar's line.
    public func finish() {
        if isTerminal { write("\n") }
    }
}

/// "42s", "3m07s", "2h05m".
func formatDuration(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    if whole < 60 { return "\(whole)s" }
    if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
    return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
}
