import Choices
import Foundation
import RunRecords

/// A folder that cannot be read as runs.
public struct ResultsError: Error, CustomStringConvertible {
    public let description: String
}

/// The results of a sweep (or of every run under a folder): one row per run, grouped over seeds.
public struct SweepResults: Sendable {
    public var rows: [ResultRow]
    /// Expansion entries that have no run: infeasible sparsity.
    public var infeasible: [InfeasibleEntry]

    /// A spec entry that has no run because its budget cannot be met.
    public struct InfeasibleEntry: Sendable {
        /// The entry as `results` names it, without its seed ("resnet18 cifar10 width 64 ...").
        public var summary: String
        /// Entries with equal keys (dataset, width, reason) are listed once.
        public var key: String
        public var reason: String

        public init(summary: String, key: String, reason: String) {
            (self.summary, self.key, self.reason) = (summary, key, reason)
        }
    }

    /// Rows read elsewhere (a sweep's plan, several folders).
    public init(rows: [ResultRow], infeasible: [InfeasibleEntry] = []) {
        self.rows = rows
        self.infeasible = infeasible
    }

    /// Every run directory (a folder holding config.json) under `folder`, at any depth.
    public init(folder: String) throws {
        guard let walker = FileManager.default.enumerator(atPath: folder) else {
            throw ResultsError(description: "\(folder): not a folder of runs")
        }
        var rows: [ResultRow] = []
        let configName = RunDirectory.File.config.rawValue
        for case let path as String in walker where path == configName || path.hasSuffix("/" + configName) {
            let directory = path == configName ? folder : "\(folder)/\(path.dropLast(configName.count + 1))"
            guard let config = try? RunDirectory(directory).config() else { continue }
            rows.append(ResultRow(id: URL(fileURLWithPath: directory).lastPathComponent, directory: directory, config: config, labels: nil))
        }
        self.rows = rows.sorted { $0.directory < $1.directory }
        infeasible = []
    }

    /// Groups over seeds, in order of dataset, family, weights, width, method.
    public func groups() -> [ResultGroup] {
        var order: [String] = []
        var byKey: [String: [ResultRow]] = [:]
        for row in rows {
            if byKey[row.groupKey] == nil { order.append(row.groupKey) }
            byKey[row.groupKey, default: []].append(row)
        }
        var groups = order.map { key -> ResultGroup in
            let rows = byKey[key]!
            let done = rows.compactMap(\.result)
            return ResultGroup(
                rows: rows, bestTest: Spread(done.map(\.bestTestAccuracy)), finalTrain: Spread(done.map(\.finalTrainAccuracy)),
                fractionDueToWidth: nil)
        }
        for index in groups.indices where groups[index].first.isSparse {
            let sparse = groups[index].first
            let family = groups.filter { $0.first.familyKey == sparse.familyKey && $0.first.isDense }
            guard let base = family.first(where: { $0.first.weights.kept == sparse.weights.kept })?.bestTest?.mean,
                  let dense = family.first(where: { $0.first.width == sparse.width && $0.first.widenedStages == sparse.widenedStages })?.bestTest?.mean,
                  let accuracy = groups[index].bestTest?.mean, abs(dense - base) > 1e-12 else { continue }
            groups[index].fractionDueToWidth = (accuracy - base) / (dense - base)
        }
        return groups.sorted { a, b in
            let x = a.first, y = b.first
            if x.config.data.dataset != y.config.data.dataset { return x.config.data.dataset.rawValue < y.config.data.dataset.rawValue }
            if x.familyKey != y.familyKey { return x.familyKey < y.familyKey }
            if x.method != y.method { return x.method > y.method }  // sparse first, then dense
            if x.width != y.width { return x.width < y.width }
            return x.groupKey < y.groupKey
        }
    }

    /// One line per run: the family's columns, then every option of the run configs as its own
    /// column (`training.momentum`, `data.augmentation`, `model.activation`, ...), so runs that
    /// differ in any swept or overridden option differ in a named column, not only in run_id.
    public func csv() -> String {
        let options = optionColumns()
        let header = [
            "run_id", "state", "experiment", "model", "dataset", "method", "base_width", "widening_factor", "width", "rule",
            "mask_pattern", "widened_stages", "stage_widths", "inner_sizes", "seed", "lr", "epochs", "weights", "dense_weights",
            "connectivity", "last_layer_connectivity", "execution", "best_test_accuracy", "best_test_epoch", "final_test_accuracy",
            "final_train_accuracy", "best_train_accuracy", "seconds", "note",
        ] + options
        var lines = [header.joined(separator: ",")]
        for row in rows {
            let (kept, dense) = row.weights
            let result = row.result
            let pattern = row.isSparse ? row.config.model.record.maskPattern.rawValue : ""
            let stageWidths = row.config.model.recordedArchitecture.stageWidths.map { $0.map(String.init).joined(separator: " ") } ?? ""
            let widened = row.widenedStages.map { $0.map(String.init).joined(separator: " ") } ?? ""
            let inner = row.bottleneck.map { $0.innerSizes.map(String.init).joined(separator: " ") } ?? ""
            let flat = optionValues(row.config)
            var fields: [String] = [
                row.id, row.state.rawValue, row.labels?.experiment ?? "", modelName(row.config.model), row.config.data.dataset.rawValue, row.method,
                row.labels?.baseWidth.map(String.init) ?? "", row.labels?.wideningFactor.map { "\($0)" } ?? "", "\(row.width)",
                row.labels?.rule ?? "", pattern, widened, stageWidths, inner,
            ]
            fields += ["\(row.config.seed)", "\(row.config.training.learningRate)", "\(row.config.training.epochs)"]
            fields += ["\(kept)", "\(dense)", "\(Double(kept) / Double(dense))", row.lastLayerConnectivity.map { "\($0)" } ?? ""]
            if let result {
                fields += [executionSummary(result), "\(result.bestTestAccuracy)", "\(result.bestTestEpoch)", "\(result.finalTestAccuracy)"]
                fields += ["\(result.finalTrainAccuracy)", "\(result.bestTrainAccuracy)", "\(result.trainingSeconds)"]
            } else {
                fields += Array(repeating: "", count: 7)
            }
            fields.append(row.note ?? "")
            fields += options.map { flat[$0] ?? "" }
            lines.append(fields.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The option columns: every config field any row has, except those the fixed columns
    /// already give (dataset, width, seed, lr, epochs, the sparsity and architecture fields).
    func optionColumns() -> [String] {
        Set(rows.flatMap { optionValues($0.config).keys }).sorted()
    }

    /// The grouped table for a terminal. Besides the family's columns it shows every config
    /// field that differs between the groups (a swept option such as lr), so no two lines look alike.
    public func table() -> String {
        let groups = self.groups()
        let varying = varyingFields(groups.map(\.first))
        let anyStages = groups.contains { $0.first.widenedStages != nil }
        var header = ["dataset", "model", "method", "rule"] + (anyStages ? ["stages"] : []) + ["width", "weights", "conn."] + varying.map(\.name)
        header += ["runs", "best test % (sd)", "final train % (sd)", "by width"]
        var lines = [header]
        func spread(_ value: Spread?) -> String {
            // A spread only where there are several runs: one run has none to show.
            value.map { $0.count > 1 ? String(format: "%.2f (%.2f)", 100 * $0.mean, 100 * $0.standardDeviation) : String(format: "%.2f", 100 * $0.mean) } ?? "-"
        }
        for group in groups {
            let row = group.first
            let (kept, dense) = row.weights
            let done = group.rows.filter { $0.state == .done }.count
            let flat = flattened(row.config)
            var line = [row.config.data.dataset.rawValue, modelName(row.config.model), row.method, row.labels?.rule ?? ""]
            if anyStages { line.append((row.widenedStages ?? [1, 2, 3, 4]).map(String.init).joined(separator: ",")) }
            line += ["\(row.width)", "\(kept)", String(format: "%.4f", Double(kept) / Double(dense))]
            line += varying.map { flat[$0.key] ?? "" }
            line += [
                "\(done)/\(group.rows.count)", spread(group.bestTest), spread(group.finalTrain),
                group.fractionDueToWidth.map { String(format: "%.2f", $0) } ?? "-",
            ]
            lines.append(line)
        }
        let widths = header.indices.map { column in lines.map { $0[column].count }.max()! }
        var text = lines.map { line in
            line.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column < 4 ? cell + padding : padding + cell  // names left, numbers right
            }.joined(separator: "  ")
        }
        var seen = Set<String>()
        for entry in infeasible where seen.insert(entry.key).inserted {
            text.append("infeasible (all seeds): \(entry.summary): \(entry.reason)")
        }
        return text.joined(separator: "\n")
    }
}

/// Config fields (dotted) that take more than one value over `rows`, other than those the
/// table shows anyway (width, sparsity, seed, data location).
public func varyingFields(_ rows: [ResultRow]) -> [(key: String, name: String)] {
    let shown: Set<String> = ["seed", "width", "removedWeights", "maskPattern", "location", "kind", "innerSizes", "targetWeights", "stageWidths"]
    var values: [String: Set<String>] = [:]
    for row in rows { for (key, value) in flattened(row.config) { values[key, default: []].insert(value) } }
    let keys = values.filter { $0.value.count > 1 && !shown.contains(String($0.key.split(separator: ".").last!)) }.keys.sorted()
    return keys.map { ($0, String($0.split(separator: ".").last!)) }
}

/// A config's options as dotted keys without the model kind (`model.activation`, not
/// `model.mlp.activation`), leaving out what results.csv's fixed columns say.
func optionValues(_ config: RunConfig) -> [String: String] {
    let covered: Set<String> = [
        "seed", "data.dataset", "training.learningRate", "training.epochs", "model.kind", "model.width", "model.removedWeights",
        "model.maskPattern", "model.stageWidths",
    ]
    var options: [String: String] = [:]
    for (key, value) in flattened(config) {
        var parts = key.split(separator: ".").map(String.init)
        if parts.count > 2, parts[0] == "model" { parts.remove(at: 1) }
        let name = parts.joined(separator: ".")
        if covered.contains(name) || name.hasPrefix("model.bottleneck.") { continue }
        options[name] = value
    }
    return options
}

/// "dense" or "sparse" when every weight layer took that path, else "name=path" per layer.
func executionSummary(_ result: RunResult) -> String {
    let paths = result.layers.map { $0.execution ?? "dense" }
    if let first = paths.first, paths.allSatisfy({ $0 == first }) { return first }
    return zip(result.layers, paths).map { "\($0.name)=\($1)" }.joined(separator: " ")
}

/// A config as dotted keys and their values: strings plainly, numbers, flags and lists as JSON.
public func flattened(_ config: RunConfig) -> [String: String] {
    guard let data = try? JSONEncoder().encode(config), let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
    var result: [String: String] = [:]
    func walk(_ value: Any, _ path: String) {
        if let dictionary = value as? [String: Any] {
            for (key, inner) in dictionary { walk(inner, path.isEmpty ? key : "\(path).\(key)") }
        } else if let number = value as? NSNumber, !(value is Bool) {
            result[path] = number.stringValue
        } else if let string = value as? String {
            result[path] = string
        } else if let data = try? JSONSerialization.data(withJSONObject: [value]), let text = String(data: data, encoding: .utf8) {
            result[path] = String(text.dropFirst().dropLast())
        }
    }
    walk(object, "")
    // MLP-1's config leaves its depth out (so its run ids are those of earlier releases); tables
    // and results.csv show it as what it is, 1 hidden layer.
    if case .mlp(let mlp) = config.model, mlp.depth == nil { result["model.mlp.depth"] = "1" }
    return result
}

func modelName(_ model: ModelConfig) -> String { model.kind.rawValue }

func csvField(_ text: String) -> String {
    text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
}
