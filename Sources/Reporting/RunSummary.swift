import Foundation
import RunRecords

/// What `widesparse train` prints when a run ends: the model, its bottleneck, the data and
/// schedule, every weight layer (kept weights, connectivity, the path it ran on), units left
/// disconnected, and the accuracies.
public enum RunSummary {
    public static func text(config: RunConfig, result: RunResult, directory: String) -> String {
        var lines: [String] = []
        lines.append(config.model.record.summaryLine)
        if let bottleneck = config.model.record.bottleneck {
            lines.append("\(bottleneck.kind) bottleneck, inner sizes \(bottleneck.innerSizes.map(String.init).joined(separator: ",")); "
                + "\(result.totalWeights) weights against the target \(bottleneck.targetWeights) (residual \(signed(result.totalWeights - bottleneck.targetWeights)))")
        }
        lines.append("data: \(config.data.dataset), \(config.training.epochs) epochs, batch \(config.training.batchSize), "
            + "lr \(config.training.learningRate) (\(config.training.schedule)), seed \(config.seed)")
        for layer in result.layers {
            lines.append("  \(layer.name.padding(toLength: max(12, layer.name.count + 1), withPad: " ", startingAt: 0)) \(layer.shape.map(String.init).joined(separator: "x"))"
                + "  weights \(layer.kept) of \(layer.dense)  connectivity \(format(layer.connectivity, digits: 4))"
                + (layer.execution.map { "  (\($0))" } ?? ""))
        }
        lines.append("  total weights \(result.totalWeights), connectivity \(format(result.connectivity, digits: 4))")
        let layers = result.layers
        if let m = config.model.mlp, layers.count == 2 {
            if layers[0].outputsWithoutInputs > 0 || layers[1].inputsWithoutOutputs > 0 {
                lines.append("  disconnected hidden units: \(layers[0].outputsWithoutInputs) of \(m.width) have no incoming weight "
                    + "(they output only their bias), \(layers[1].inputsWithoutOutputs) have no outgoing weight")
            }
            if layers[0].inputsWithoutOutputs > 0 {
                lines.append("  input features no weight reads: \(layers[0].inputsWithoutOutputs) of \(m.inputSize)")
            }
        } else {
            for layer in layers where layer.outputsWithoutInputs > 0 || layer.inputsWithoutOutputs > 0 {
                lines.append("  \(layer.name): \(layer.outputsWithoutInputs) output channels without input, "
                    + "\(layer.inputsWithoutOutputs) input channels without output")
            }
        }
        lines.append("best test accuracy  \(percent(result.bestTestAccuracy)) (epoch \(result.bestTestEpoch))")
        lines.append("final test accuracy \(percent(result.finalTestAccuracy))")
        lines.append("train accuracy      final \(percent(result.finalTrainAccuracy)), best \(percent(result.bestTrainAccuracy))")
        if let validation = result.bestValidationAccuracy, let test = result.testAccuracyAtBestValidation {
            lines.append("best validation     \(percent(validation)) (test accuracy there \(percent(test)))")
        }
        lines.append("time \(format(result.trainingSeconds, digits: 1)) s; results in \(RunDirectory(directory).path(.result))")
        return lines.joined(separator: "\n")
    }

    private static func percent(_ value: Double) -> String { String(format: "%.2f %%", 100 * value) }
    private static func format(_ value: Double, digits: Int) -> String { String(format: "%.\(digits)f", value) }
    private static func signed(_ value: Int) -> String { value >= 0 ? "+\(value)" : "\(value)" }
}
