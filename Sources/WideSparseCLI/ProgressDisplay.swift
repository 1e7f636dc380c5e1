import Foundation
import Training

/// Shows training progress: a redrawn bar on a terminal, log lines otherwise (files, Slurm
/// output), one per `epochLineEvery` epochs and always the last.
final class ProgressDisplay {
    private let isTerminal = isatty(STDOUT_FILENO) != 0
    private let label: String
    private let epochLineEvery: Int
    private var lastDraw = Date.distantPast
    private var lastEpochSummary = ""

    /// - Parameters:
    ///   - label: shown before each line, e.g. "width 80: " in a family.
    ///   - epochLineEvery: log-line spacing when output is not a terminal.
    init(label: String = "", epochLineEvery: Int = 1) {
        self.label = label
        self.epochLineEvery = max(1, epochLineEvery)
    }

    func handle(_ event: TrainingEvent) {
        switch event {
        case .batchFinished(let epoch, let batch, let batches):
            guard isTerminal, Date().timeIntervalSince(lastDraw) > 0.1 || batch + 1 == batches else { return }
            lastDraw = Date()
            let fraction = Double(batch + 1) / Double(batches)
            let filled = Int(fraction * 20)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled)
            let line = "\(label)epoch \(epoch + 1) [\(bar)] \(Int(fraction * 100))%  \(lastEpochSummary)"
            FileHandle.standardOutput.write(Data(("\r" + line + "\u{1B}[K").utf8))
        case .epochFinished(let metrics, let total):
            lastEpochSummary = String(
                format: "epoch %d/%d: train loss %.4f acc %.2f%%, test acc %.2f%%",
                metrics.epoch, total, metrics.trainLoss, 100 * metrics.trainAccuracy, 100 * metrics.testAccuracy)
            if isTerminal {
                let line = "\(label)epoch \(metrics.epoch) [\(String(repeating: "#", count: 20))] 100%  \(lastEpochSummary)"
                FileHandle.standardOutput.write(Data(("\r" + line + "\u{1B}[K").utf8))
                return
            }
            guard metrics.epoch % epochLineEvery == 0 || metrics.epoch == total else { return }
            var line = String(
                format: "%@epoch %d/%d  lr %.4g  train loss %.4f acc %.2f%%  test loss %.4f acc %.2f%%",
                label, metrics.epoch, total, metrics.learningRate, metrics.trainLoss, 100 * metrics.trainAccuracy,
                metrics.testLoss, 100 * metrics.testAccuracy)
            if let validation = metrics.validationAccuracy { line += String(format: "  val acc %.2f%%", 100 * validation) }
            line += String(format: "  %.2f s", metrics.seconds)
            print(line)
            fflush(stdout)
        }
    }

    /// Ends the bar's line.
    func finish() {
        if isTerminal { print("") }
    }
}
