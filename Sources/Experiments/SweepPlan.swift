import Foundation
import RunRecords
import Training

/// One point of an experiment before it is resolved: what `widesparse train <model>` is given.
public struct RunRequest: Equatable, Sendable {
    public enum Sparsity: Equatable, Sendable {
        /// At the dense weights of `baseWidth` (or `weights`), removals spread by `rule`.
        case spread(baseWidth: Int, weights: Int?, rule: String, ioOnly: Bool)
        /// MLP, paper Figure 5: the last layer keeps this connectivity, the first takes the rest.
        case lastLayer(baseWidth: Int, weights: Int?, connectivity: Double)
        /// No masks: a bottleneck ("linear-bottleneck" or "nonlinear-bottleneck") at the dense
        /// weights of `baseWidth` (or `weights`).
        case bottleneck(method: String, baseWidth: Int, weights: Int?)
    }

    /// "mlp" or "resnet18"
    public var model: String
    public var dataset: String
    public var dataDirectory: String?
    public var width: Int
    /// nil: the dense model of this width.
    public var sparsity: Sparsity?
    public var seed: UInt64
    /// Options of `widesparse train <model>`, one value each.
    public var options: [(name: String, value: String)]

    public static func == (a: RunRequest, b: RunRequest) -> Bool {
        a.model == b.model && a.dataset == b.dataset && a.dataDirectory == b.dataDirectory && a.width == b.width
            && a.sparsity == b.sparsity && a.seed == b.seed && a.options.map(\.name) == b.options.map(\.name)
            && a.options.map(\.value) == b.options.map(\.value)
    }

    /// The command-line arguments of `widesparse train <model>` for this run. Options in `flags`
    /// take no value: "true" gives the flag, "false" leaves it out.
    public func arguments(flags: Set<String>) throws -> [String] {
        var arguments = ["--dataset", dataset, "--width", "\(width)", "--seed", "\(seed)"]
        if let dataDirectory { arguments += ["--data-dir", dataDirectory] }
        switch sparsity {
        case nil: break
        case .spread(let baseWidth, let weights, let rule, let ioOnly):
            arguments += weights.map { ["--weights", "\($0)"] } ?? ["--weights-of-width", "\(baseWidth)"]
            arguments += ["--rule", rule] + (ioOnly ? ["--io-only"] : [])
        case .lastLayer(let baseWidth, let weights, let connectivity):
            arguments += weights.map { ["--weights", "\($0)"] } ?? ["--weights-of-width", "\(baseWidth)"]
            arguments += ["--last-layer-connectivity", "\(connectivity)"]
        case .bottleneck(let method, let baseWidth, let weights):
            arguments += weights.map { ["--weights", "\($0)"] } ?? ["--weights-of-width", "\(baseWidth)"]
            arguments += ["--method", method]
        }
        for (name, value) in options {
            if flags.contains(name) {
                guard let on = parseBoolean(value) else {
                    throw SpecError(file: "spec", field: "options.\(name)", expected: "true or false (it is a flag)", found: "'\(value)'")
                }
                if on { arguments.append("--\(name)") }
            } else {
                arguments += ["--\(name)", value]
            }
        }
        return arguments
    }

    /// A short description for progress lines: "fashion-mnist width 32 sparse seed 1 lr=0.05".
    public var summary: String {
        var parts = [dataset, "width \(width)"]
        switch sparsity {
        case nil: parts.append("dense")
        case .spread(let base, let weights, let rule, let ioOnly):
            parts.append("sparse at \(weights.map { "\($0) weights" } ?? "width \(base)'s weights") (\(rule)\(ioOnly ? ", io-only" : ""))")
        case .lastLayer(let base, let weights, let connectivity):
            parts.append("sparse at \(weights.map { "\($0) weights" } ?? "width \(base)'s weights") (last layer \(connectivity))")
        case .bottleneck(let method, let base, let weights):
            parts.append("\(method) at \(weights.map { "\($0) weights" } ?? "width \(base)'s weights")")
        }
        parts.append("seed \(seed)")
        parts += options.map { "\($0.name)=\($0.value)" }
        return parts.joined(separator: " ")
    }
}

/// Builds a run's resolved config from its request, as `widesparse train` would (the CLI
/// provides it, so a spec and a command line mean exactly the same thing).
public typealias RunResolver = (RunRequest) throws -> RunConfig

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

    /// Expands `spec` in a fixed order: dataset, base width, method, width, rule, mask pattern,
    /// last-layer connectivity, option values (in option-name order), seed.
    public init(spec: ExperimentSpec, runsRoot: String, file: String, resolve: RunResolver) throws {
        self.spec = spec
        self.directory = "\(runsRoot)/\(spec.name)"
        var requests: [(RunRequest, RunLabels)] = []
        let optionCombinations = spec.options.reduce([[(name: String, value: String)]]([[]])) { partial, option in
            partial.flatMap { prefix in option.values.map { prefix + [(option.name, $0)] } }
        }
        for dataset in spec.datasets {
            for baseWidth in spec.baseWidths {
                for method in spec.methods {
                    for width in spec.widths(baseWidth: baseWidth) {
                        var sparsities: [(RunRequest.Sparsity?, String?)] = [(nil, nil)]
                        if method.hasSuffix("-bottleneck") {
                            sparsities = [(.bottleneck(method: method, baseWidth: baseWidth, weights: spec.weights), nil)]
                        } else if method == "sparse" {
                            if let connectivities = spec.lastLayerConnectivities {
                                sparsities = connectivities.map {
                                    (.lastLayer(baseWidth: baseWidth, weights: spec.weights, connectivity: $0), "last-layer-connectivity=\($0)")
                                }
                            } else {
                                sparsities = spec.rules.flatMap { rule in
                                    spec.ioOnly.map { (.spread(baseWidth: baseWidth, weights: spec.weights, rule: rule, ioOnly: $0), rule + ($0 ? ", io-only" : "")) }
                                }
                            }
                        }
                        for (sparsity, rule) in sparsities {
                            for options in optionCombinations {
                                for seed in spec.seeds {
                                    let request = RunRequest(
                                        model: spec.model, dataset: dataset, dataDirectory: spec.dataDirectories[dataset], width: width,
                                        sparsity: sparsity, seed: seed, options: options)
                                    let labels = RunLabels(
                                        experiment: spec.name, method: method, baseWidth: baseWidth,
                                        wideningFactor: Double(width) / Double(baseWidth), rule: rule)
                                    requests.append((request, labels))
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
                let config = try resolve(request)
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
                var dense = request
                dense.sparsity = nil
                if request.sparsity != nil, let config = try? resolve(dense), (try? config.validate()) != nil {
                    status = .infeasible(reason: "\(error)")
                } else {
                    throw SpecError(file: file, field: nil, expected: "runs that can be built", found: "\(request.summary): \(error)")
                }
            }
            runs.append(PlannedRun(index: index, request: request, labels: labels, status: status))
        }
        guard runs.contains(where: { $0.id != nil }) else {
            throw SpecError(file: file, field: nil, expected: "at least one feasible run", found: "\(runs.count) infeasible ones")
        }
        self.runs = runs
    }
}
