import Foundation
import Sparsity

extension WideningFamily {
    /// Per width: the totals against the budget, then every weight tensor (bottleneck factors
    /// included) with its shape, weights, removals and connectivity (and, with `unitColumns`,
    /// the units left without inputs or outputs); then a summary. `widesparse family` prints it.
    public func table(unitColumns showUnits: Bool = false) -> String {
        let family = self
        let budget = family.targetWeights.map { "\($0) weights" } ?? "no budget"
        var lines = ["\(family.architecture) family by \(family.method): base width \(family.baseWidth), \(budget)", ""]
        for member in family.members {
            let header = String(format: "width %d (x%.3g): ", member.width, member.wideningFactor)
            guard let model = member.model else {
                lines += [header + "infeasible: \(member.infeasible ?? "")", ""]
                continue
            }
            lines.append(header + Self.memberSummary(model))
            if let stages = model.stageWidths { lines.append("  stage widths " + stages.map(String.init).joined(separator: ", ")) }
            let unitColumns = showUnits ? tableLeftPad("outputs w/o in", 16) + tableLeftPad("inputs w/o out", 16) : ""
            lines.append("  " + tablePad("layer", 30) + tablePad("shape", 16) + tableLeftPad("weights", 10) + tableLeftPad("removed", 10)
                + tableLeftPad("connectivity", 14) + unitColumns)
            for layer in model.layers {
                var line = "  " + tablePad(layer.name, 30) + tablePad(layer.shape.map(String.init).joined(separator: "x"), 16)
                    + tableLeftPad("\(layer.kept)", 10) + tableLeftPad("\(layer.removed)", 10) + tableLeftPad(String(format: "%.5f", layer.connectivity), 14)
                if let outputs = layer.outputsWithoutInputs, let inputs = layer.inputsWithoutOutputs {
                    line += tableLeftPad("\(outputs)/\(layer.shape[0])", 16) + tableLeftPad("\(inputs)/\(layer.shape[1])", 16)
                }
                lines.append(line)
            }
            if let bottleneck = model.bottleneck {
                let slotName = bottleneck.kind == .linear ? "inner sizes d_b (per plain weight)" : (family.architecture.hasPrefix("mlp") ? "inner widths (per pair of hidden layers)" : "inner widths (per block)")
                lines.append("  \(slotName): " + zip(bottleneck.innerSizes, bottleneck.fullSizes).map { "\($0)/\($1)" }.joined(separator: " "))
            }
            lines.append("")
        }
        lines.append(tablePad("width", 8) + tableLeftPad("factor", 8) + tableLeftPad("dense weights", 15) + tableLeftPad("weights", 10)
            + tableLeftPad("residual", 10) + tableLeftPad("connectivity", 14))
        for member in family.members {
            let cells = member.model.map { model in
                ["\(model.denseWeights)", "\(model.weights)", model.residual.map(signed) ?? "-", String(format: "%.5f", model.connectivity)]
            } ?? ["-", "infeasible", "-", "-"]
            lines.append(tablePad("\(member.width)", 8) + tableLeftPad(String(format: "%.3g", member.wideningFactor), 8)
                + tableLeftPad(cells[0], 15) + tableLeftPad(cells[1], 10) + tableLeftPad(cells[2], 10) + tableLeftPad(cells[3], 14))
        }
        return lines.joined(separator: "\n")
    }

    /// "175190 weights, residual -2 (-0.001% of 175192); 699056 dense, connectivity 0.25061, all-entries masks".
    public static func memberSummary(_ model: WidenedModel) -> String {
        var text = "\(model.weights) weights"
        if let residual = model.residual, let target = model.targetWeights {
            text += ", residual \(signed(residual))" + String(format: " (%+.3f%% of %d)", 100 * Double(residual) / Double(target), target)
        }
        text += String(format: "; %d dense, connectivity %.5f", model.denseWeights, model.connectivity)
        if let pattern = model.maskPattern { text += ", \(pattern == .ioOnly ? "io-only (whole kernels)" : "all-entries") masks" }
        if let bottleneck = model.bottleneck { text += String(format: ", fraction %.6g", bottleneck.fraction) }
        return text
    }
}

func signed(_ value: Int) -> String { value >= 0 ? "+\(value)" : "\(value)" }

func tablePad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func tableLeftPad(_ text: String, _ width: Int) -> String {
    text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
}

/// The paper's Figure 5 grid: MLP-1 widths x last-layer connectivities at the weights of the
/// dense base width, each cell the first layer's kept weights (or infeasible).
public struct Figure5GridTable: Sendable {
    public let inputSize: Int
    public let classes: Int
    public let baseWidth: Int
    public let budget: Int
    public let lastLayerConnectivities: [Double]
    public let cells: [[Figure5Cell]]

    public init(inputSize: Int, classes: Int, baseWidth: Int, widths: [Int], lastLayerConnectivities: [Double]) {
        (self.inputSize, self.classes, self.baseWidth, self.lastLayerConnectivities) = (inputSize, classes, baseWidth, lastLayerConnectivities)
        budget = inputSize * baseWidth + baseWidth * classes
        cells = figure5Grid(inputSize: inputSize, classes: classes, weightBudget: budget, widths: widths, lastLayerConnectivities: lastLayerConnectivities)
    }

    /// One line per width: the overall connectivity, then the kept first-layer weights per last-layer connectivity.
    public func text() -> String {
        var lines = ["MLP-1 Figure 5 grid at \(budget) weights (base width \(baseWidth)): first-layer weights kept per cell; '-' = infeasible"]
        lines.append(tablePad("width", 7) + tableLeftPad("overall", 9) + lastLayerConnectivities.map { tableLeftPad(String(format: "%.2g", $0), 8) }.joined())
        for row in cells {
            let width = row[0].width
            let overall = Double(budget) / Double(inputSize * width + width * classes)
            lines.append(tablePad("\(width)", 7) + tableLeftPad(overall <= 1 ? String(format: "%.4f", overall) : "-", 9)
                + row.map { tableLeftPad($0.plan.map { "\($0.keptCounts[0])" } ?? "-", 8) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// {"weight_budget", "cells": [{width, last_layer_connectivity, removed, kept, connectivity | infeasible}]}.
    public func json() throws -> String {
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
        return String(decoding: data, as: UTF8.self)
    }
}
