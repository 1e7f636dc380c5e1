import Foundation
import Widening

/// Pretty-printed JSON with sorted keys, as `--json` prints it.
public func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

extension Family {
    /// Per width: the totals against the budget, then every weight tensor (bottleneck factors
    /// included) with its shape, weights, removals and connectivity; then a summary.
    func describe(_ family: WideningFamily) -> String {
        let budget = family.targetWeights.map { "\($0) weights" } ?? "no budget"
        var lines = ["\(family.architecture) family by \(family.method): base width \(family.baseWidth), \(budget)", ""]
        for member in family.members {
            let header = String(format: "width %d (x%.3g): ", member.width, member.wideningFactor)
            guard let model = member.model else {
                lines += [header + "infeasible: \(member.infeasible ?? "")", ""]
                continue
            }
            lines.append(header + memberSummary(model))
            if let stages = model.stageWidths { lines.append("  stage widths " + stages.map(String.init).joined(separator: ", ")) }
            let unitColumns = disconnected ? tableLeftPad("outputs w/o in", 16) + tableLeftPad("inputs w/o out", 16) : ""
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
                let slotName = bottleneck.kind == .linear ? "inner sizes d_b (per plain weight)" : "inner widths (per block)"
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

    /// "175192 weights, residual +0 (of 699056 dense; connectivity 0.25061), masks all-entries".
    func memberSummary(_ model: WidenedModel) -> String {
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
