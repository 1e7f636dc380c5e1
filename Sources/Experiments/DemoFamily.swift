import Choices
import Foundation
import RunRecords
import Training
import Widening

/// `widesparse demo`'s family: MLP-1 at a fixed weight budget (the dense width 5's 3970) over
/// widths (`member(width:)`) on the mnist5k digits, in the paper's MLP settings (SGD at lr 0.1, batch 100,
/// no momentum) for `epochs`. Every member is a run folder under `folder`.
public struct DemoFamily: Sendable {
    /// The paper's 300.
    public var epochs = 300
    public var weights = 3970
    /// Of the last layer (1 = dense); the first layer takes the rest of the budget.
    public var lastLayerConnectivity = 1.0
    public var seed: UInt64 = 0
    /// The mnist_5k.csv.gz file (nil: the set-up script's cache).
    public var dataDirectory: String?
    public var folder = "runs/demo"

    public init() {}

    /// The member of `width`: its sparse model and its run; throws the widening's reason when
    /// the width cannot keep the budget at this last-layer connectivity.
    public func member(width: Int) throws -> (plan: WidenedModel, run: TrainingRun) {
        let plan = try WideningMethods.widen(
            SparseWidening.name, options: WideningOptions(lastLayerConnectivity: lastLayerConnectivity),
            architecture: .mlp(inputSize: 784, classes: 10, depth: 1), width: width, weights: weights, weightsOfWidth: nil)
        var model = MLPModelConfig(inputSize: 784, width: width, classes: 10)
        model.take(plan)
        let config = RunConfig(
            model: .mlp(model),
            data: DataConfig(
                dataset: .mnist5k, location: dataDirectory, trainSubset: nil, validationSize: 0, normalisation: .fixed,
                mean: 0.1307, std: 0.3081),
            training: TrainingConfig(
                epochs: epochs, batchSize: 100, evalBatchSize: 1000, learningRate: 0.1, momentum: 0, nesterov: false,
                weightDecay: 0, schedule: .constant, milestones: [], gamma: 0.1),
            seed: seed)
        let directory = "\(folder)/width-\(width)-\(TrainingRun.identifier(of: config))"
        let budget = RequestedBudget(
            method: plan.method, weights: weights, weightsOfWidth: nil, rule: nil, lastLayerConnectivity: lastLayerConnectivity)
        return (plan, TrainingRun(config: config, directory: directory, budget: budget))
    }

    /// One width of the family and how it did.
    public struct Row: Sendable {
        public var width: Int
        public var plan: WidenedModel?
        public var result: RunResult?
        public var note: String

        public init(width: Int, plan: WidenedModel?, result: RunResult?, note: String) {
            (self.width, self.plan, self.result, self.note) = (width, plan, result, note)
        }

        public static func table(_ rows: [Row]) -> String {
            var lines = ["width  connectivity  last-layer conn.  weights  best test acc.  final train acc."]
            for row in rows {
                guard let plan = row.plan, let result = row.result else {
                    lines.append(String(format: "%5d  ", row.width) + "infeasible at this last-layer connectivity (see above)")
                    continue
                }
                lines.append(String(
                    format: "%5d  %12.4f  %16.3f  %7d  %13.2f%%  %15.2f%%", row.width, plan.connectivity,
                    plan.layers[1].connectivity, plan.weights, 100 * result.bestTestAccuracy, 100 * result.finalTrainAccuracy))
            }
            return lines.joined(separator: "\n")
        }

        public static func csv(_ rows: [Row]) -> String {
            var lines = ["width,connectivity,first_layer_connectivity,last_layer_connectivity,weights,best_test_accuracy,best_test_epoch,final_train_accuracy,status"]
            for row in rows {
                guard let plan = row.plan, let result = row.result else {
                    lines.append("\(row.width),,,,,,,,\"\(row.note.replacingOccurrences(of: "\"", with: "'"))\"")
                    continue
                }
                lines.append([
                    "\(row.width)", "\(plan.connectivity)", "\(plan.layers[0].connectivity)", "\(plan.layers[1].connectivity)",
                    "\(plan.weights)", "\(result.bestTestAccuracy)", "\(result.bestTestEpoch)", "\(result.finalTrainAccuracy)", "trained",
                ].joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }
}
