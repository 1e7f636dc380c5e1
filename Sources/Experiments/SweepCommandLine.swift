import Foundation
import RunRecords

/// A spec as the command line named it: the file, its `key=value` overrides and the runs folder.
/// Commands print their follow-ups from it (`sweep run` -> `results`, `sweep slurm` -> `sweep
/// status`), so a pasted follow-up plans exactly the same runs.
public struct SweepCommandLine: Equatable, Sendable {
    public var spec: String
    public var overrides: [String]
    /// As given (relative paths stay relative, so the command works where it was typed).
    public var runsDir: String
    public static let defaultRunsDir = "runs"

    public init(spec: String, overrides: [String], runsDir: String) {
        self.spec = spec
        self.overrides = overrides
        self.runsDir = runsDir
    }

    /// `widesparse <subcommand> SPEC OVERRIDES... [--runs-dir DIR]`, quoted for a POSIX shell
    /// (`subcommand` may be two words: "sweep status").
    public func command(_ subcommand: String) -> String {
        var words = ["widesparse"] + subcommand.split(separator: " ").map(String.init) + [spec] + overrides
        if runsDir != Self.defaultRunsDir { words += ["--runs-dir", runsDir] }
        return words.map(shellQuoted).joined(separator: " ")
    }
}

/// `word` as a POSIX shell reads it back: unchanged when it has only characters the shell takes
/// literally, else in single quotes (`seeds=[0,1]` would otherwise be a glob pattern).
public func shellQuoted(_ word: String) -> String {
    let literal = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%")
    if !word.isEmpty && word.unicodeScalars.allSatisfy(literal.contains) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// What `results` and `sweep status` say when none of a spec's runs exists in its experiment
/// folder: usually the runs were made with overrides (or another --runs-dir) that this call
/// lacks. Every sweep froze the spec it ran (runs/<experiment>/specs/), so the hint names the
/// overrides that turn this spec into each frozen one, newest first.
public enum MissingRunsHint {
    /// nil when some run of `plan` has files (or there is nothing to train).
    public static func message(plan: SweepPlan, tree: SpecValue, commandLine: SweepCommandLine, subcommand: String) -> String? {
        let trainable = plan.trainable
        guard !trainable.isEmpty, trainable.allSatisfy({ RunState.of(directory: plan.directory(of: $0)!) == .missing }) else { return nil }
        let others = otherRunCount(in: plan.directory, excluding: Set(trainable.compactMap(\.id)))
        var lines = ["none of the \(trainable.count) runs of \(commandLine.spec)"
            + (commandLine.overrides.isEmpty ? "" : " with \(commandLine.overrides.joined(separator: " "))")
            + " exists in \(plan.directory)" + (others > 0 ? " (it holds \(others) other runs)" : "")]
        let current = FrozenSpec.absoluteDataDirectories(tree)
        var suggestions: [String] = []
        for frozen in frozenSpecs(in: plan.directory) {
            guard let frozenTree = try? SpecValue.parse(yaml: frozen.text, file: frozen.path) else { continue }
            let differences = overrides(from: current, to: frozenTree)
            guard !differences.isEmpty else { continue }
            var line = commandLine
            line.overrides = differences
            let text = "  " + line.command(subcommand)
            if !suggestions.contains(text) { suggestions.append(text) }
            if suggestions.count == 3 { break }
        }
        if suggestions.isEmpty {
            lines.append(others > 0
                ? "were they made with overrides or another --runs-dir? Give the same ones as to `sweep run`."
                : "nothing has run yet: \(commandLine.command("sweep run"))")
        } else {
            lines.append("earlier sweeps of this experiment ran it with other settings; to see their runs:")
            lines += suggestions
        }
        return lines.joined(separator: "\n")
    }

    /// `key=value` overrides that turn `from` into `to` (keys only `to` has are set; keys only
    /// `from` has cannot be removed by an override and are left out).
    static func overrides(from: SpecValue, to: SpecValue, prefix: String = "") -> [String] {
        guard case .map(let target) = to, case .map = from else {
            return from == to ? [] : ["\(prefix)=\(overrideText(to))"]
        }
        var result: [String] = []
        for entry in target {
            let path = prefix.isEmpty ? entry.key : "\(prefix).\(entry.key)"
            if let old = from[entry.key] {
                result += overrides(from: old, to: entry.value, prefix: path)
            } else {
                result.append("\(path)=\(overrideText(entry.value))")
            }
        }
        return result
    }

    /// A value as an override writes it: a plain scalar as it is when YAML reads it back the
    /// same, anything else as JSON (which YAML reads).
    static func overrideText(_ value: SpecValue) -> String {
        func readsBack(_ text: String) -> Bool { (try? SpecValue.parse(yaml: text, file: "")) == value }
        switch value {
        case .scalar(let text) where readsBack(text): return text
        case .list(let items):
            // [0,1] rather than ["0", "1"] when YAML reads the short form back the same.
            let short = "[" + items.map(overrideText).joined(separator: ",") + "]"
            return readsBack(short) ? short : value.canonicalJSON()
        default: return value.canonicalJSON()
        }
    }

    /// The frozen specs of an experiment folder, newest first.
    static func frozenSpecs(in directory: String) -> [(path: String, text: String)] {
        let folder = ExperimentDirectory(directory).path(.specs)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0.hasSuffix(".json") }
        let dated = names.map { name -> (path: String, date: Date) in
            let path = "\(folder)/\(name)"
            let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date ?? .distantPast
            return (path, date)
        }
        return dated.sorted { $0.date > $1.date }.compactMap { entry in
            (try? String(contentsOfFile: entry.path, encoding: .utf8)).map { (entry.path, $0) }
        }
    }

    static func otherRunCount(in directory: String, excluding ids: Set<String>) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        // Aliases are links to run folders, not runs of their own.
        return names.filter { !ids.contains($0) && RunDirectory.isRun("\(directory)/\($0)") }.count
    }
}
