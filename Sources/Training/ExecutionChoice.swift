import Choices
import Foundation
import Models
import NeuralNetwork
import RunRecords
import TensorCore

/// execution.json: the path each weight layer of a run took. Written when the run starts and
/// reused when it resumes (a sparse layer's checkpoint holds only its kept weights).
public struct ExecutionRecord: Codable, Equatable, Sendable {
    /// Weight name -> "dense" or "sparse".
    public var layers: [String: String]
    /// What decided: "auto (measured)", "dense" or "sparse" (the option given).
    public var chosenBy: String
}

/// Measured choices, per layer shape, kept weights, batch and thread count, for this process.
private nonisolated(unsafe) var measuredChoices: [String: Bool] = [:]
private let measuredChoicesLock = NSLock()

/// Median nanoseconds of one forward and backward pass of a layer in both forms.
public struct ExecutionTiming: Equatable, Sendable {
    public var dense: Double
    public var sparse: Double
}

/// Whether `layer` (in a batch of `batch`) trains faster on its kept weights: measured once by
/// `measureExecution` and cached for the process.
public func sparseIsFaster(_ layer: Linear, batch: Int) -> Bool {
    let key = "\(layer.outFeatures)x\(layer.inFeatures) kept \(layer.weight.keptCount) batch \(batch) threads \(ComputeThreads.current)"
    measuredChoicesLock.lock()
    let known = measuredChoices[key]
    measuredChoicesLock.unlock()
    if let known { return known }
    let timing = measureExecution(layer, batch: batch)
    let sparse = timing.sparse < timing.dense
    measuredChoicesLock.lock()
    measuredChoices[key] = sparse
    measuredChoicesLock.unlock()
    return sparse
}

/// A short calibration: times a forward and backward pass of copies of `layer`, dense-masked
/// and `SparseLinear`, on random inputs of `batch` rows (the median of 5 after 2 warm-ups
/// each). The layer itself (weights and gradients) is left alone.
public func measureExecution(_ layer: Linear, batch: Int) -> ExecutionTiming {
    var random = RandomStream(seed: 17)
    let input = Tensor(shape: [batch, layer.inFeatures])
    let gradient = Tensor(shape: [batch, layer.outFeatures])
    for i in 0..<input.count { input[i] = random.nextUniform(-1, 1) }
    for i in 0..<gradient.count { gradient[i] = random.nextUniform(-1, 1) }
    func median(_ candidate: Layer) -> Double {
        var times: [Double] = []
        for round in 0..<7 {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = candidate.forward(input, mode: .training)
            _ = candidate.backward(gradient, needsInputGradient: true)
            for parameter in candidate.parameters { parameter.zeroGradient() }
            if round >= 2 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start)) }
        }
        return times.sorted()[times.count / 2]
    }
    let denseCopy = Linear(inFeatures: layer.inFeatures, outFeatures: layer.outFeatures, bias: layer.bias != nil,
                           outputScale: layer.outputScale, name: layer.weight.name)
    denseCopy.weight.value.copy(from: layer.weight.value)
    if let mask = layer.weight.mask { denseCopy.weight.setMask(mask) }
    let sparse = median(SparseLinear(converting: denseCopy))
    return ExecutionTiming(dense: median(denseCopy), sparse: sparse)
}

extension ExecutionChoice {
    /// Refuses `sparse` for a bottleneck model: it has no masks, so nothing could run sparse.
    public func check(_ config: RunConfig) throws {
        let bottleneck: BottleneckConfig?
        switch config.model {
        case .mlp(let mlp): bottleneck = mlp.bottleneck
        case .resnet18(let resnet): bottleneck = resnet.bottleneck
        }
        if self == .sparse, let bottleneck {
            throw ConfigError(
                field: "execution", expected: "dense or auto for a \(bottleneck.kind) bottleneck model (it has no masks, so nothing runs sparse)",
                found: "sparse")
        }
    }
}

extension TrainingRun {
    var executionPath: String { folder.path(.execution) }

    /// Picks (or, resuming, reads back) each weight layer's path and switches the model to it.
    func applyExecution(_ choice: ExecutionChoice, to model: WeightedModel) throws -> ExecutionRecord {
        try choice.check(config)
        if let resnet = model as? ResNet18 { return try applyExecution(to: resnet) }
        guard let mlp = model as? MLP1, mlp.configuration.linearBottleneck == nil else {
            // Bottleneck models have no masks: everything runs dense.
            let record = ExecutionRecord(layers: Dictionary(uniqueKeysWithValues: model.weightParameters.map { ($0.parameter.name, "dense") }),
                                         chosenBy: "dense (a bottleneck model has no masks)")
            if !FileManager.default.fileExists(atPath: executionPath) { try RecordFiles.writeJSON(record, to: executionPath) }
            return record
        }
        let record: ExecutionRecord
        if let saved = try? RecordFiles.readJSON(ExecutionRecord.self, from: executionPath) {
            record = saved
        } else {
            let sparse = mlp.weightLayers.map { layer -> Bool in
                switch choice {
                case .dense: return false
                // Masked layers as asked; dense ones too where the CSR kernels measure faster
                // (oneDNN is slow on narrow shapes such as 640 -> 10).
                case .sparse: return layer.weight.mask != nil || sparseIsFaster(layer, batch: config.training.batchSize)
                case .auto: return sparseIsFaster(layer, batch: config.training.batchSize)
                }
            }
            record = ExecutionRecord(
                layers: Dictionary(uniqueKeysWithValues: zip(mlp.weightLayers, sparse).map { ($0.weight.name, $1 ? "sparse" : "dense") }),
                chosenBy: choice == .auto ? "auto (measured)" : choice.rawValue)
            try RecordFiles.writeJSON(record, to: executionPath)
        }
        mlp.useSparseExecution(mlp.weightLayers.map { record.layers[$0.weight.name] == "sparse" })
        return record
    }
}

extension TrainingRun {
    /// Whether this run's convolutions run on their kept taps: as execution.json says when the
    /// run resumes, else with `--execution sparse` on a masked (not bottleneck) ResNet-18. The
    /// model must then be built batch-last (`buildModel(..., keptTaps: true)`).
    func convolutionsOnKeptTaps(_ choice: ExecutionChoice) -> Bool {
        guard case .resnet18(let resnet) = config.model, resnet.bottleneck == nil else { return false }
        if let saved = try? RecordFiles.readJSON(ExecutionRecord.self, from: executionPath) {
            return saved.layers["conv1.weight"] == "sparse"
        }
        return choice == .sparse
    }

    /// A ResNet-18's paths: every convolution on its kept taps when the model was built for
    /// them (`convolutionsOnKeptTaps`), else all dense; the classifier stays dense. `auto` does
    /// not measure convolutions yet and keeps them dense.
    private func applyExecution(to model: ResNet18) throws -> ExecutionRecord {
        let keptTaps = model.layout == .batchLast && model.bottleneck == nil
        if keptTaps { model.useKeptTaps() }
        let classifier = Set(model.classifier.linears.map(\.weight.name))
        let layers = model.weightParameters.map { weight, _ in (weight.name, keptTaps && !classifier.contains(weight.name) ? "sparse" : "dense") }
        let chosenBy = model.bottleneck != nil ? "dense (a bottleneck model has no masks)"
            : keptTaps ? "sparse (convolutions on their kept taps, the classifier dense)" : "dense (convolutions: sparse only with --execution sparse)"
        let record = (try? RecordFiles.readJSON(ExecutionRecord.self, from: executionPath))
            ?? ExecutionRecord(layers: Dictionary(uniqueKeysWithValues: layers), chosenBy: chosenBy)
        if !FileManager.default.fileExists(atPath: executionPath) { try RecordFiles.writeJSON(record, to: executionPath) }
        return record
    }
}
