import ArgumentParser
import Foundation
import Models
import NeuralNetwork
import Sparsity

/// The architectures a family can be built from.
public enum FamilyModel: String, ExpressibleByArgument, CaseIterable, Sendable {
    case mlp, resnet18
}

/// `widesparse family`: inspect a constant-weight width family before training anything.
public struct Family: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Print a width family at a constant number of weights: per-layer weights, removals and connectivity.",
        discussion: """
            The budget is the number of weights of the dense model of --base-width. Each wider \
            member removes the difference by --rule (SPEC.md section 2); only convolution and fully \
            connected weights count. The per-layer table is the data of the paper's Figure 10.
            --method linear-bottleneck or nonlinear-bottleneck keeps the budget without masks \
            (SPEC.md section 1): one global fraction shrinks every inner size, and each width shows \
            its fraction, the inner sizes per layer, its weights and the residual from the budget. \
            --method dense shows the dense model of every width.
            Examples:
              widesparse family mlp
              widesparse family mlp --grid                      # the Figure 5 grid
              widesparse family resnet18 --base-width 8 --factors 1,2,4,8 --io-only
              widesparse family resnet18 --form imagenet --json
              widesparse family resnet18 --method linear-bottleneck --factors 1,2,4
              widesparse family mlp --method linear-bottleneck
            """)

    @Argument(help: "mlp or resnet18.")
    var model: FamilyModel

    @Option(help: "ResNet-18 form: cifar (3x3 stem) or imagenet (7x7 stem and max-pool).")
    var form: ResNetForm = .cifar

    @Option(help: "The base width whose dense model sets the budget (default: mlp 5, resnet18 cifar 8, imagenet 64).")
    var baseWidth: Int?

    @Option(help: "Widths, comma-separated (default: mlp 5,10,...,640; resnet18 cifar 8,16,32,64; imagenet 64,90,128,181,256).")
    var widths: String?

    @Option(help: "Widening factors instead of widths, comma-separated; width = round(base width * factor).")
    var factors: String?

    @Option(help: "How wider members keep the budget: sparse (the default), linear-bottleneck or nonlinear-bottleneck (ResNet-18 only); dense shows the dense model of each width.")
    var method: WideningMethod = .sparse

    @Option(help: "How removals are spread: level-down (the paper's, the default), uniform ('proportional' is the same rule) or erk.")
    var rule: RemovalRule?

    @Option(help: "MLP only: the last layer's connectivity (the paper's Figure 5 rule) instead of --rule.")
    var lastLayerConnectivity: Double?

    @Flag(help: "Remove whole k x k kernels (paper Appendix C); the miss from the budget is reported.")
    var ioOnly = false

    @Option(help: "Classes (outputs of the last layer).")
    var classes: Int = 10

    @Option(help: "ResNet-18: input channels.")
    var inputChannels: Int = 3

    @Option(help: "MLP: input features.")
    var inputSize: Int = 784

    @Flag(help: "MLP: print the Figure 5 grid of widths x last-layer connectivities instead.")
    var grid = false

    @Option(help: "With --grid: last-layer connectivities, comma-separated.")
    var lastLayerConnectivities: String = "1,0.9,0.8,0.7,0.6,0.5,0.4,0.3,0.2,0.1"

    @Flag(help: "Draw the masks (with --seed) and count units left without incoming or outgoing weights.")
    var disconnected = false

    @Option(help: "Master seed for --disconnected (masks are a pure function of it, the layer and the count).")
    var seed: UInt64 = 0

    @Flag(help: "Machine-readable JSON instead of tables.")
    var json = false

    public init() {}

    public func validate() throws {
        for (value, name) in [(classes, "--classes"), (inputChannels, "--input-channels"), (inputSize, "--input-size")] where value < 1 {
            throw ValidationError("\(name): expected a positive number, found \(value)")
        }
        if model == .resnet18 && (lastLayerConnectivity != nil || grid) {
            throw ValidationError("--last-layer-connectivity and --grid: MLP only (the paper's Figure 5)")
        }
        if widths != nil && factors != nil { throw ValidationError("--widths and --factors: give one of them") }
        if rule != nil && lastLayerConnectivity != nil {
            throw ValidationError("--rule and --last-layer-connectivity: give one of them (the latter is the Figure 5 rule)")
        }
        if let baseWidth, baseWidth < 1 { throw ValidationError("--base-width: expected a positive width, found \(baseWidth)") }
        if method != .sparse && (rule != nil || lastLayerConnectivity != nil || ioOnly || grid || disconnected) {
            throw ValidationError("--rule, --last-layer-connectivity, --io-only, --grid and --disconnected: masks only; --method \(method.rawValue) has none")
        }
        if model == .mlp && method == .nonlinearBottleneck {
            throw ValidationError("--method nonlinear-bottleneck: does not apply to MLP-1 (its one pair of layers has the hidden units as its inner width and both outer sizes fixed by the data); use linear-bottleneck")
        }
    }

    public mutating func run() throws {
        let base = baseWidth ?? (model == .mlp ? 5 : form == .cifar ? 8 : 64)
        let widthList = try resolvedWidths(base: base)
        if grid {
            try printGrid(base: base, widths: widthList)
            return
        }
        if let kind = method.bottleneckKind {
            let family = makeBottleneckFamily(kind: kind, base: base, widths: widthList)
            print(json ? try jsonText(family) : describe(family))
            return
        }
        if method == .dense {
            let members = widthList.map { DenseMember(width: $0, layers: layersAtWidth($0)) }
            print(json ? try jsonText(members) : describe(members))
            return
        }
        var family = makeFamily(base: base, widths: widthList)
        if disconnected { family.countDisconnectedUnits(layersAtWidth: layersAtWidth, masterSeed: seed) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(family), as: UTF8.self))
        } else {
            print(describe(family))
        }
    }

    /// The weight tensors of the model at a width.
    func layersAtWidth(_ width: Int) -> [WeightShape] {
        switch model {
        case .mlp: return MLP1Configuration(inputSize: inputSize, width: width, classes: classes).weightShapes
        case .resnet18: return resNet18WeightShapes(width: width, inputChannels: inputChannels, classes: classes, form: form)
        }
    }

    /// The bottleneck family this command prints (public so that tests check what users see).
    public func makeBottleneckFamily(kind: BottleneckKind, base: Int, widths: [Int]) -> BottleneckFamily {
        let target = layersAtWidth(base).map(\.count).reduce(0, +)
        let (inputChannels, inputSize, classes, form, model) = (self.inputChannels, self.inputSize, self.classes, self.form, self.model)
        return BottleneckFamily(
            model: model == .mlp ? "mlp" : "resnet18-\(form.rawValue)", kind: kind, baseWidth: base, targetWeights: target, widths: widths
        ) { width, atBase in
            switch model {
            case .mlp:
                return try BottleneckPlan.mlp1(kind: kind, width: width, targetWeights: target, atBaseWidth: atBase, inputSize: inputSize, classes: classes)
            case .resnet18:
                return try BottleneckPlan.resNet18(
                    kind: kind, width: width, targetWeights: target, atBaseWidth: atBase, inputChannels: inputChannels, classes: classes, form: form)
            }
        }
    }

    /// The family this command prints (public so that tests check exactly what users see).
    public func makeFamily(base: Int, widths: [Int]) -> WidthFamily {
        let pattern: MaskPattern = ioOnly ? .ioOnly : .allEntries
        switch model {
        case .mlp:
            let (inputSize, classes) = (self.inputSize, self.classes)
            let mlpRule: MLPRemovalRule = lastLayerConnectivity.map { .lastLayerConnectivity($0) } ?? .spread(rule ?? .levelDown)
            let ruleName = lastLayerConnectivity.map { "last-layer-connectivity \($0)" } ?? (rule ?? .levelDown).rawValue
            return WidthFamily(
                model: "mlp", baseWidth: base, widths: widths, rule: ruleName, pattern: pattern,
                layersAtWidth: layersAtWidth,
                removals: { layers, total in
                    let width = layers[0].outChannels
                    let budget = layers.map(\.count).reduce(0, +) - total
                    return try MLPSparsityPlan.atBudget(
                        inputSize: inputSize, width: width, classes: classes, weightBudget: budget, rule: mlpRule).removals
                })
        case .resnet18:
            let rule = self.rule ?? .levelDown
            return WidthFamily(
                model: "resnet18-\(form.rawValue)", baseWidth: base, widths: widths, rule: rule.rawValue, pattern: pattern,
                layersAtWidth: layersAtWidth,
                removals: { layers, total in try rule.removals(total: total, layers: layers) })
        }
    }

    func resolvedWidths(base: Int) throws -> [Int] {
        if let factors {
            return try factors.split(separator: ",").map { part in
                guard let factor = Double(part.trimmingCharacters(in: .whitespaces)), factor > 0 else {
                    throw ValidationError("--factors: expected comma-separated positive numbers, found '\(factors)'")
                }
                return max(1, Int((Double(base) * factor).rounded()))
            }
        }
        if let widths { return try parseWidths(widths) }
        switch (model, form) {
        case (.mlp, _): return [5, 10, 20, 40, 80, 160, 320, 640].map { $0 * base / 5 }.filter { $0 >= 1 }
        case (.resnet18, .cifar): return [1, 2, 4, 8].map { $0 * base }
        case (.resnet18, .imagenet): return [1.0, 1.40625, 2, 2.828125, 4].map { Int((Double(base) * $0).rounded()) }
        }
    }

    /// The per-layer tables and a summary.
    func describe(_ family: WidthFamily) -> String {
        var lines = ["\(family.model) family: base width \(family.baseWidth), \(family.weightBudget) weights, "
            + "rule \(family.rule), \(family.pattern == .ioOnly ? "io-only (whole kernels)" : "all entries") masks", ""]
        for member in family.members {
            let header = String(format: "width %d (x%.3g): ", member.width, member.wideningFactor)
            if let reason = member.infeasible {
                lines.append(header + "infeasible: \(reason)")
                lines.append("")
                continue
            }
            var line = header + "\(member.weights) of \(member.denseWeights) weights, connectivity "
                + String(format: "%.5f", member.connectivity)
            if family.pattern == .ioOnly { line += ", io-only miss \(member.ioOnlyMiss >= 0 ? "+" : "")\(member.ioOnlyMiss)" }
            lines.append(line)
            let unitColumns = disconnected ? tableLeftPad("outputs w/o in", 16) + tableLeftPad("inputs w/o out", 16) : ""
            lines.append("  " + tablePad("layer", 30) + tablePad("shape", 16) + tableLeftPad("weights", 10) + tableLeftPad("removed", 10) + tableLeftPad("connectivity", 14) + unitColumns)
            for layer in member.layers {
                var line = "  " + tablePad(layer.name, 30) + tablePad(layer.shape.map(String.init).joined(separator: "x"), 16)
                    + tableLeftPad("\(layer.kept)", 10) + tableLeftPad("\(layer.removed)", 10) + tableLeftPad(String(format: "%.5f", layer.connectivity), 14)
                if let outputs = layer.outputsWithoutInputs, let inputs = layer.inputsWithoutOutputs {
                    line += tableLeftPad("\(outputs)/\(layer.shape[0])", 16) + tableLeftPad("\(inputs)/\(layer.shape[1])", 16)
                }
                lines.append(line)
            }
            lines.append("")
        }
        lines.append(tablePad("width", 8) + tableLeftPad("factor", 8) + tableLeftPad("dense weights", 15) + tableLeftPad("weights", 10) + tableLeftPad("connectivity", 14))
        for member in family.members {
            let weights = member.infeasible == nil ? "\(member.weights)" : "infeasible"
            let connectivity = member.infeasible == nil ? String(format: "%.5f", member.connectivity) : "-"
            lines.append(tablePad("\(member.width)", 8) + tableLeftPad(String(format: "%.3g", member.wideningFactor), 8)
                + tableLeftPad("\(member.denseWeights)", 15) + tableLeftPad(weights, 10) + tableLeftPad(connectivity, 14))
        }
        return lines.joined(separator: "\n")
    }

    func printGrid(base: Int, widths: [Int]) throws {
        let connectivities = try lastLayerConnectivities.split(separator: ",").map { part -> Double in
            guard let value = Double(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--last-layer-connectivities: expected comma-separated numbers, found '\(lastLayerConnectivities)'")
            }
            return value
        }
        let budget = inputSize * base + base * classes
        let cells = figure5Grid(inputSize: inputSize, classes: classes, weightBudget: budget, widths: widths, lastLayerConnectivities: connectivities)
        if json {
            let rows = cells.flatMap { $0 }.map { cell -> [String: Any] in
                var row: [String: Any] = ["width": cell.width, "last_layer_connectivity": cell.lastLayerConnectivity]
                if let plan = cell.plan {
                    row["removed"] = plan.removals
                    row["kept"] = plan.keptCounts
                    row["connectivity"] = plan.connectivity
                } else {
                    row["infeasible"] = cell.infeasibleBecause ?? ""
                }
                return row
            }
            let data = try JSONSerialization.data(withJSONObject: ["weight_budget": budget, "cells": rows], options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("MLP-1 Figure 5 grid at \(budget) weights (base width \(base)): first-layer weights kept per cell; '-' = infeasible")
        print(tablePad("width", 7) + tableLeftPad("overall", 9) + connectivities.map { tableLeftPad(String(format: "%.2g", $0), 8) }.joined())
        for row in cells {
            let width = row[0].width
            let overall = Double(budget) / Double(inputSize * width + width * classes)
            print(tablePad("\(width)", 7) + tableLeftPad(overall <= 1 ? String(format: "%.4f", overall) : "-", 9)
                + row.map { tableLeftPad($0.plan.map { "\($0.keptCounts[0])" } ?? "-", 8) }.joined())
        }
    }
}
