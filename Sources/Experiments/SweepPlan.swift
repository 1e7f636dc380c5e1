import Choices
import Foundation
import RunRecords
import Training
import Widening

/// One point of an experiment before it is resolved: what `widesparse train <model>` is given.
public struct RunRequest: Equatable, Sendable {
    /// "mlp", "resnet18" or "vgg"
    public var model: String
    public var dataset: String
    public var dataDirectory: String?
    public var width: Int
    /// The widening method's name (Widening's `WideningMethods`) and its options.
    public var method: String
    public var baseWidth: Int
    /// The budget of methods that keep one (nil: the weights of the plain dense base model).
    public var weights: Int?
    /// Sparse: the removal rule, io-only masks, or the MLP's last-layer connectivity.
    public var rule: String?
    public var ioOnly: Bool = false
    public var lastLayerConnectivity: Double?
    /// ResNet-18: the stages that widen (nil: all four).
    public var widenedStages: [Int]?
    public var seed: UInt64
    /// Options of `widesparse train <model>`, one value each.
    public var options: [(name: String, value: String)]

    public static func == (a: RunRequest, b: RunRequest) -> Bool {
        a.model == b.model && a.dataset == b.dataset && a.dataDirectory == b.dataDirectory && a.width == b.width
            && a.method == b.method && a.baseWidth == b.baseWidth && a.weights == b.weights && a.rule == b.rule
            && a.ioOnly == b.ioOnly && a.lastLayerConnectivity == b.lastLayerConnectivity && a.widenedStages == b.widenedStages
            && a.seed == b.seed && a.options.map(\.name) == b.options.map(\.name) && a.options.map(\.value) == b.options.map(\.value)
    }

    /// The same point as the dense model of its width (and stages).
    public var denseTwin: RunRequest {
        var dense = self
        dense.method = DenseWidening.name
        (dense.weights, dense.rule, dense.ioOnly, dense.lastLayerConnectivity) = (nil, nil, false, nil)
        return dense
    }

    /// A `train` message as a spec's reader needs it: a leading option name ("epochs: ...",
    /// "--lr: ...") becomes the spec field that set it ("options.epochs: ..."), and --data-dir,
    /// which a spec sets with data_dir, is named so.
    public func inSpecTerms(_ message: String) -> String {
        var message = message.replacingOccurrences(of: "--data-dir", with: "data_dir")
        for (name, _) in options {
            for prefix in ["\(name): ", "--\(name): "] where message.hasPrefix(prefix) {
                message = "options.\(name): " + message.dropFirst(prefix.count)
            }
        }
        return message
    }

    /// The budget as this request asks for it (run-info.json), as `arguments` passes it on.
    public var requestedBudget: RequestedBudget {
        let keepsBudget = (try? WideningMethods.named(method).keepsBudget) ?? true
        return RequestedBudget(
            method: method, weights: keepsBudget ? weights : nil, weightsOfWidth: keepsBudget && weights == nil ? baseWidth : nil,
            rule: rule, ioOnly: ioOnly, lastLayerConnectivity: lastLayerConnectivity, widenedStages: widenedStages)
    }

    /// The recipe of this run: the spec's fields, then its options (docs: `RunRecipe.set(option:to:)`).
    public func recipe() throws -> RunRecipe {
        var recipe = RunRecipe(model: try ModelKind.named(model))
        recipe.dataset = try DatasetName.named(dataset)
        recipe.dataDir = dataDirectory
        (recipe.width, recipe.seed, recipe.method) = (width, seed, method)
        if (try? WideningMethods.named(method).keepsBudget) ?? true {
            if let weights { recipe.weights = weights } else { recipe.weightsOfWidth = baseWidth }
        }
        (recipe.rule, recipe.ioOnly, recipe.lastLayerConnectivity) = (try rule.map { try RemovalRule.named($0) }, ioOnly, lastLayerConnectivity)
        if let widenedStages { (recipe.widenStages, recipe.baseWidth) = (widenedStages, baseWidth) }
        for (name, value) in options { try recipe.set(option: name, to: value) }
        return recipe
    }

    /// The resolved config of this run.
    public func resolved() throws -> RunConfig { try recipe().resolved().config }

    /// A short description for progress lines: "fashion-mnist width 32 sparse at width 8's weights (level-down) seed 1 lr=0.05".
    public var summary: String {
        var parts = [dataset, "width \(width)"]
        if method == DenseWidening.name {
            parts.append("dense")
        } else {
            let details = [rule, ioOnly ? "io-only" : nil, lastLayerConnectivity.map { "last layer \($0)" }].compactMap { $0 }
            parts.append("\(method) at \(weights.map { "\($0) weights" } ?? "width \(baseWidth)'s weights")"
                + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"))
        }
        if let widenedStages { parts.append("stages \(widenedStages.map(String.init).joined(separator: ",")) widened") }
        parts.append("seed \(seed)")
        parts += options.map { "\($0.name)=\($0.value)" }
        return parts.joined(separator: " ")
    }
}

/// One entry of an expanded experiment.
public struct PlannedRun: Sendable {
    public enum Status: Sendable {
        case run(config: RunConfig, id: String)
        /// The sparsity cannot be had at this width (e.g. a dense last layer wider than the budget).
        case infeasible(reason: String)
        /// Resolves to exactly the same run as an earlier entry (sparse at the base width is dense).
        case duplicate(of: Int)
    }

    /// Position in the expansion: stable for a given spec, used by `sweep worker --index`.
    public let index: Int
    public let request: RunRequest
    public let labels: RunLabels
    public let status: Status

    public var id: String? { if case .run(_, let id) = status { return id } else { return nil } }
    public var config: RunConfig? { if case .run(let config, _) = status { return config } else { return nil } }
}

/// An experiment expanded into its runs, each with a directory under runs/<name>/.
public struct SweepPlan: Sendable {
    public let spec: ExperimentSpec
    public let runs: [PlannedRun]
    /// The experiment's folder: <runs root>/<name>.
    public let directory: String

    public func directory(of run: PlannedRun) -> String? { run.id.map { "\(directory)/\($0)" } }

    /// The runs that train (no infeasible or duplicate entries).
    public var trainable: [PlannedRun] { runs.filter { $0.id != nil } }

    /// Expands `spec` in a fixed order: dataset, base width, method, widened stages, width, rule, mask pattern,
    /// last-layer connectivity, option values (in option-name order), seed.
    /// Each request is resolved by its `RunRecipe`, as `widesparse train` resolves its command
    /// line, so a spec and a command line mean exactly the same run.
    public init(spec: ExperimentSpec, runsRoot: String, file: String) throws {
        self.spec = spec
        self.directory = "\(runsRoot)/\(spec.name)"
        var requests: [(RunRequest, RunLabels)] = []
        let optionCombinations = spec.options.reduce([[(name: String, value: String)]]([[]])) { partial, option in
            partial.flatMap { prefix in option.values.map { prefix + [(option.name, $0)] } }
        }
        for dataset in spec.datasets {
            for baseWidth in spec.baseWidths {
                for method in spec.methods {
                    for stages in spec.widenedStages {
                        for width in spec.widths(baseWidth: baseWidth) {
                            // The sparse method's own choices (rule x mask pattern, or Figure 5's split); one entry otherwise.
                            var variants: [(rule: String?, ioOnly: Bool, lastLayer: Double?, label: String?)] = [(nil, false, nil, nil)]
                            if method == SparseWidening.name {
                                if let connectivities = spec.lastLayerConnectivities {
                                    variants = connectivities.map { (nil, false, $0, "last-layer-connectivity=\($0)") }
                                } else {
                                    variants = spec.rules.flatMap { rule in spec.ioOnly.map { (rule, $0, nil, rule + ($0 ? ", io-only" : "")) } }
                                }
                            }
                            for variant in variants {
                                for options in optionCombinations {
                                    for seed in spec.seeds {
                                        let request = RunRequest(
                                            model: spec.model, dataset: dataset, dataDirectory: spec.dataDirectories[dataset], width: width,
                                            method: method, baseWidth: baseWidth, weights: spec.weights, rule: variant.rule,
                                            ioOnly: variant.ioOnly, lastLayerConnectivity: variant.lastLayer,
                                            widenedStages: stages == [1, 2, 3, 4] ? nil : stages, seed: seed, options: options)
                                        let labels = RunLabels(
                                            experiment: spec.name, method: method, baseWidth: baseWidth,
                                            wideningFactor: Double(width) / Double(baseWidth), rule: variant.label)
                                        requests.append((request, labels))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        var runs: [PlannedRun] = []
        var firstIndexOfID: [String: Int] = [:]
        for (index, (request, labels)) in requests.enumerated() {
            let status: PlannedRun.Status
            do {
                let config = try request.resolved()
                try config.validate()
                let id = TrainingRun.identifier(of: config)
                if let first = firstIndexOfID[id] {
                    status = .duplicate(of: first)
                } else {
                    firstIndexOfID[id] = index
                    status = .run(config: config, id: id)
                }
            } catch {
                // Infeasible only if the same run without sparsity can be built; otherwise the
                // spec itself is wrong and nothing starts.
                if request.method != DenseWidening.name, let config = try? request.denseTwin.resolved(), (try? config.validate()) != nil {
                    status = .infeasible(reason: request.inSpecTerms("\(error)"))
                } else {
                    throw SpecError(file: file, field: nil, expected: "runs that can be built", found: "\(request.summary): \(request.inSpecTerms("\(error)"))")
                }
            }
            runs.append(PlannedRun(index: index, request: request, labels: labels, status: status))
        }
        guard runs.contains(where: { $0.id != nil }) else {
            let first = runs.compactMap { run -> String? in if case .infeasible(let reason) = run.status { return "#\(run.index) \(run.request.summary): \(reason)" } else { return nil } }.first
            throw SpecError(
                file: file, field: nil, expected: "at least one feasible run",
                found: "\(runs.count) infeasible ones" + (first.map { ", e.g. \($0)" } ?? ""))
        }
        self.runs = runs
    }
}
