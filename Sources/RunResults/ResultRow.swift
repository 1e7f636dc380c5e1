import Choices
import Foundation
import Models
import Widening
import RunRecords

/// One run as the results table shows it, read from its directory.
public struct ResultRow: Sendable {
    public var id: String
    public var directory: String
    public var state: RunState
    public var config: RunConfig
    public var labels: RunLabels?
    public var result: RunResult?
    /// The error or divergence, for failed and diverged runs.
    public var note: String?

    public init(id: String, directory: String, config: RunConfig, labels: RunLabels?) {
        self.id = id
        self.directory = directory
        self.config = config
        let folder = RunDirectory(directory)
        self.labels = labels ?? folder.labels()
        self.state = folder.state
        self.result = folder.result()
        if state == .failed { note = folder.failure()?.message }
        if state == .diverged, let divergence = folder.divergence() {
            note = "loss \(divergence.loss) at step \(divergence.step) (epoch \(divergence.epoch &+ 1))"
        }
    }

    public var width: Int { config.model.record.width }

    /// The bottleneck of a bottleneck model.
    public var bottleneck: BottleneckConfig? { config.model.record.bottleneck }

    /// The architecture, width, stage widths and per-layer removals the config records.
    private var recordedArchitecture: (architecture: Architecture, width: Int, stageWidths: [Int]?, removed: [Int]) {
        let (architecture, stageWidths) = config.model.recordedArchitecture
        return (architecture, width, stageWidths, config.model.record.removedWeights)
    }

    /// (weights of the model, weights of the plain dense model of this width and stage widths), from the config alone,
    /// counted as Widening counts them.
    public var weights: (kept: Int, dense: Int) {
        let (architecture, width, stageWidths, removed) = recordedArchitecture
        func total(_ bottleneck: Bottleneck?) -> Int {
            architecture.layers(width: width, stageWidths: stageWidths, bottleneck: bottleneck).map(\.count).reduce(0, +)
        }
        let dense = total(nil)
        if let bottleneck = self.bottleneck {
            let kind = bottleneck.kind
            return (total(Bottleneck(kind: kind, innerSizes: bottleneck.innerSizes)), dense)
        }
        return (dense - removed.reduce(0, +), dense)
    }

    /// ResNet-18 widened in chosen stages: the stages (1...4) whose channels follow the width; nil
    /// for the standard model (every stage).
    public var widenedStages: [Int]? {
        guard case .resnet18(let resnet) = config.model, let stages = resnet.stageWidths else { return nil }
        return (1...4).filter { stages[$0 - 1] == resnet.width << ($0 - 1) }
    }

    /// The connectivity of the classifier (the last weight layer) of a masked or dense model;
    /// nil for bottleneck models, whose classifier is two factors.
    public var lastLayerConnectivity: Double? {
        guard !isBottleneck else { return nil }
        let (architecture, width, stageWidths, removed) = recordedArchitecture
        guard let last = architecture.layers(width: width, stageWidths: stageWidths, bottleneck: nil).last, last.count > 0 else { return nil }
        return Double(last.count - (removed.last ?? 0)) / Double(last.count)
    }

    public var isBottleneck: Bool { bottleneck != nil }
    /// The plain dense model of its width (no masks, no bottleneck).
    public var isDense: Bool { !isBottleneck && weights.kept == weights.dense }
    /// Statically sparse (masked).
    public var isSparse: Bool { !isBottleneck && !isDense }
    /// Weights / weights of the dense model of the same width.
    public var connectivity: Double { Double(weights.kept) / Double(weights.dense) }
    public var method: String {
        if let method = labels?.method { return method }
        return WideningMethods.name(bottleneck: bottleneck?.kind,
                                    removedWeights: recordedArchitecture.removed)
    }

    /// Everything but the seed: runs with equal keys are repeats over seeds.
    public var groupKey: String { configKey(removing: ["seed"]) }

    /// Everything but seed, width, sparsity, bottleneck and stage widths: the runs of one family
    /// (every method, every choice of widened stages) and its dense references.
    public var familyKey: String { configKey(removing: ["seed", "width", "removedWeights", "maskPattern", "bottleneck", "stageWidths"]) }

    private func configKey(removing keys: Set<String>) -> String {
        guard let data = try? JSONEncoder().encode(config),
              let object = try? JSONSerialization.jsonObject(with: data) else { return id }
        func strip(_ value: Any) -> Any {
            guard let dictionary = value as? [String: Any] else { return value }
            return dictionary.filter { !keys.contains($0.key) }.mapValues(strip)
        }
        let stripped = try? JSONSerialization.data(withJSONObject: strip(object), options: [.sortedKeys])
        return stripped.map { String(decoding: $0, as: UTF8.self) } ?? id
    }
}

