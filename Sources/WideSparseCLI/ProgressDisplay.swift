import Foundation
import Training

/// Shows training progress: a redrawn bar on a terminal, one line per epoch otherwise (logs,
/// Slurm output files).
final class ProgressDisplay {
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private var lastDraw = Date.distantPast
    private var lastEpochLine = ""

    func handle(_ event: TrainingEvent) {
        switch event {
        case .batchFinished(let epoch, let batch, let batches):
            guard isTerminal, Date().timeIntervalSince(lastDraw) > 0.1 || batch + 1 == batches else { return }
            lastDraw = Date()
            let fraction = Double(batch + 1) / Double(batches)
            let filled = Int(fraction * 20)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
            let line = "epoch \(epoch + 1) [\(bar)] \(Int(fraction * 100))%  \(lastEpochLine)"
            FileHandle.standardOutput.write(Data(("\r" + line + "\u{1B}[K").utf8))
        case .epochFinished(let metrics, let total):
            lastEpochLine = String(
                format: "last: train loss %.4f acc %.2f%%, test acc %.2f%%",
                metrics.trainLoss, 100 * metrics.trainAccuracy, 100 * metrics.testAccuracy)
            if !isTerminal {
                var line = String(
                    format: "epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%",
                    metrics.epoch, total, metrics.learningRate, metrics.trainLoss, 100 * metrics.trainAccuracy,
                    metrics.testLoss, 100 * metrics.testAccuracy)
                if let validation = metrics.validationAccuracy { line += String(format: "  val acc %.2f%%", 100 * validation) }
                line += String(format: "  %.2f s", metrics.seconds)
                print(line)
                fflush(stdout)
            }
        }
    }

    /// Ends the bar's line.
    func finish() {
        if isTerminal { print("") }
    }
}
