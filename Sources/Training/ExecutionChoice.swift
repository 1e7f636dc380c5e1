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
    /// With `auto`: the timings that decided, per weight name (ns of a forward and backward pass).
    public var measured: [String: ExecutionTiming]?

    public init(layers: [String: String], chosenBy: String, measured: [String: ExecutionTiming]? = nil) {
        (self.layers, self.chosenBy, self.measured) = (layers, chosenBy, measured)
    }

    /// Whether the weight named `name` runs on its kept weights.
    public func isSparse(_ name: String) -> Bool { layers[name] == "sparse" }
}

extension ExecutionChoice {
    /// Refuses `sparse` for a bottleneck model: it has no masks, so nothing could run sparse.
    public func check(_ config: RunConfig) throws {
        if self == .sparse, let bottleneck = config.model.record.bottleneck {
            throw ConfigError(
                field: "execution", expected: "dense or auto for a \(bottleneck.kind) bottleneck model (it has no masks, so nothing runs sparse)",
                found: "sparse")
        }
    }
}

extension TrainingRun {
    var executionPath: String { folder.path(.execution) }

    /// Each weight layer's path: as execution.json says when the run resumes (a sparse layer's
    /// checkpoint holds only its kept weights), else as `choice` decides, measuring with
    /// `calibration` for `auto`; written to execution.json. `model` must not run sparse yet.
    func decideExecution(
        _ choice: ExecutionChoice, for model: WeightedModel, sampleShape: [Int], calibration: ExecutionCalibration
    ) throws -> ExecutionRecord {
        try choice.check(config)
        if FileManager.default.fileExists(atPath: executionPath) {
            return try RecordFiles.readJSON(ExecutionRecord.self, from: executionPath)
        }
        let record = decide(choice, for: model, sampleShape: sampleShape, batch: config.training.batchSize, calibration: calibration)
        try RecordFiles.writeJSON(record, to: executionPath)
        return record
    }

    /// A convolutional model whose every convolution runs on its kept taps is built batch-last (no
    /// layout changes between them); any other model as it was.
    func modelForExecution(_ record: ExecutionRecord, model: WeightedModel, sampleShape: [Int], classes: Int) throws -> WeightedModel {
        guard let convolutional = model as? ConvolutionalModel, convolutional.layout != .batchLast,
              record.runsEveryConvolutionSparse(convolutional) else { return model }
        return try buildModel(config.model, masterSeed: config.seed, sampleShape: sampleShape, classes: classes, keptTaps: true)
    }
}

extension ExecutionRecord {
    /// Whether every convolution of `model` runs on its kept taps: the model is then best built
    /// batch-last, the kept-taps layout, so that no layer converts its input.
    public func runsEveryConvolutionSparse(_ model: ConvolutionalModel) -> Bool {
        model.factorisedConvolutions.allSatisfy { isSparse($0.convolutions[0].weight.name) }
    }

    /// Switches each layer of `model` to its path here.
    public func apply(to model: WeightedModel) {
        if let convolutional = model as? ConvolutionalModel {
            if convolutional.factorisedConvolutions.contains(where: { isSparse($0.convolutions[0].weight.name) }) {
                convolutional.useKeptTaps { isSparse($0.convolutions[0].weight.name) }
            }
        } else if let mlp = model as? MLP, mlp.configuration.linearBottleneck == nil {
            mlp.useSparseExecution(mlp.weightLayers.map { isSparse($0.weight.name) })
        }
    }
}

/// The paths `choice` gives each weight layer of `model` (not yet sparse) for samples of
/// `sampleShape` ([C, H, W], or [features]) in batches of `batch`:
/// - a bottleneck model has no masks and runs dense;
/// - MLP-1: `sparse` runs masked layers sparse, and `auto` any layer, where measured faster
///   (oneDNN is slow on narrow shapes such as 640 -> 10);
/// - ResNet-18 and VGG: `sparse` runs every convolution on its kept taps (the model batch-last),
///   `auto` each masked convolution that measured faster there, layout changes included; the
///   classifier stays dense.
public func decide(
    _ choice: ExecutionChoice, for model: WeightedModel, sampleShape: [Int], batch: Int, calibration: ExecutionCalibration
) -> ExecutionRecord {
    let names = model.weightParameters.map(\.parameter.name)
    func record(sparse: Set<String>, chosenBy: String, measured: [String: ExecutionTiming]? = nil) -> ExecutionRecord {
        ExecutionRecord(layers: Dictionary(uniqueKeysWithValues: names.map { ($0, sparse.contains($0) ? "sparse" : "dense") }),
                        chosenBy: chosenBy, measured: measured)
    }
    let chosenBy = choice == .auto ? "auto (measured)" : choice.rawValue
    if let convolutional = model as? ConvolutionalModel {
        if convolutional.hasBottleneck { return record(sparse: [], chosenBy: "dense (a bottleneck model has no masks)") }
        switch choice {
        case .dense: return record(sparse: [], chosenBy: "dense")
        case .sparse:
            return record(sparse: Set(convolutional.factorisedConvolutions.map { $0.convolutions[0].weight.name }),
                          chosenBy: "sparse (convolutions on their kept taps, the classifier dense)")
        case .auto:
            var measured: [String: ExecutionTiming] = [:]
            for (offset, site) in convolutional.convolutionInputSizes(height: sampleShape[1], width: sampleShape[2]).enumerated() {
                let convolution = site.convolution.convolutions[0]
                guard convolution.weight.mask != nil else { continue }
                measured[convolution.weight.name] = calibration.timing(ExecutionProbe(
                    .convolution(convolution, height: site.height, width: site.width, needsInputGradient: offset > 0), batch: batch))
            }
            return record(sparse: Set(measured.filter(\.value.sparseIsFaster).keys), chosenBy: chosenBy, measured: measured)
        }
    }
    guard let mlp = model as? MLP, mlp.configuration.linearBottleneck == nil else {
        return record(sparse: [], chosenBy: "dense (a bottleneck model has no masks)")
    }
    if choice == .dense { return record(sparse: [], chosenBy: chosenBy) }
    var measured: [String: ExecutionTiming] = [:]
    for layer in mlp.weightLayers where choice == .auto || layer.weight.mask == nil {
        measured[layer.weight.name] = calibration.timing(ExecutionProbe(.linear(layer), batch: batch))
    }
    let masked = choice == .sparse ? mlp.weightLayers.filter { $0.weight.mask != nil }.map(\.weight.name) : []
    return record(sparse: Set(masked + measured.filter(\.value.sparseIsFaster).keys), chosenBy: chosenBy,
                  measured: measured.isEmpty ? nil : measured)
}
