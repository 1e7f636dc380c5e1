import Choices
import Datasets
import Foundation
import Models
import RunRecords
import TensorCore

extension TrainingRun {
    /// A readable name for the run: model, dataset, width, method (and rule), seed and the start
    /// of the id, e.g. "mlp-mnist5k-w40-sparse-level-down-s0-3f2a9c" (the id keeps it unique when
    /// only other options differ).
    public var alias: String {
        let (model, width) = (config.model.kind.rawValue, config.model.record.width)
        let method = [budget?.method, budget?.rule, budget?.ioOnly == true ? "io-only" : nil].compactMap { $0 }.joined(separator: "-")
        let parts = [model, config.data.dataset.rawValue, "w\(width)", method.isEmpty ? nil : method, "s\(config.seed)",
                     String(TrainingRun.identifier(of: config).prefix(6))]
        return parts.compactMap { $0 }.joined(separator: "-")
    }

    /// The labels TensorBoard's HParams tab shows for the run: what tells a sweep's runs apart.
    func hparams(layers: [LayerWeights]) -> [(name: String, value: TensorBoardEvents.HParamValue)] {
        let kept = layers.map(\.kept).reduce(0, +)
        let dense = layers.map(\.dense).reduce(0, +)
        var values: [(name: String, value: TensorBoardEvents.HParamValue)] = []
        values += [("model", .text(config.model.record.label)), ("width", .number(Double(config.model.record.width)))]
        values += [("dataset", .text(config.data.dataset.rawValue))]
        if let budget {
            values.append(("method", .text(budget.method)))
            if let rule = budget.rule { values.append(("rule", .text(rule))) }
            if let weightsOfWidth = budget.weightsOfWidth { values.append(("weights_of_width", .number(Double(weightsOfWidth)))) }
        }
        values += [
            ("weights", .number(Double(kept))), ("connectivity", .number(dense == 0 ? 1 : Double(kept) / Double(dense))),
            ("seed", .number(Double(config.seed))), ("lr", .number(config.training.learningRate)),
            ("batch_size", .number(Double(config.training.batchSize))), ("epochs", .number(Double(config.training.epochs))),
            ("alias", .text(alias)),
        ]
        return values
    }

    /// What makes this attempt: program, threads, execution, budget, data files.
    func runInfo(execution: ExecutionChoice, record: ExecutionRecord, model: WeightedModel, firstEpoch: Int) throws -> RunInfo {
        let files = try config.data.dataset.fileDigests(location: config.data.location).map {
            DataFileRecord(path: $0.path, bytes: $0.bytes, fnv1a64: $0.fnv1a64, ofListing: $0.ofListing ? true : nil)
        }
        return RunInfo(
            threads: ComputeThreads.current, executionRequested: execution.rawValue, executionChosen: record.chosenBy,
            request: budget, dataFiles: files, host: ProcessInfo.processInfo.hostName, processor: MachineKind.current,
            layout: (model as? ConvolutionalModel)?.layout.rawValue, started: Date().timeIntervalSince1970,
            firstEpoch: firstEpoch, alias: alias)
    }
}
