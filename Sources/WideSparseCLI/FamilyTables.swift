import Foundation
import Models
import NeuralNetwork

/// The dense model of one width, as `widesparse family --method dense` shows it.
struct DenseMember: Codable {
    var width: Int
    var weights: Int
    var layers: [WeightShape]

    init(width: Int, layers: [WeightShape]) {
        self.width = width
        self.layers = layers
        weights = layers.map(\.count).reduce(0, +)
    }
}

func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

extension Family {
    /// Per width: the fraction, each weight tensor with the inner size it shrank to, and the
    /// total against the target; then a summary.
    func describe(_ family: BottleneckFamily) -> String {
        let name = family.kind == .linear ? "linear bottleneck" : "non-linear bottleneck"
        var lines = ["\(family.model) \(name) family: base width \(family.baseWidth), target \(family.targetWeights) weights "
            + "(the plain dense model of the base width); inner size = max(1, round(fraction x full size))", ""]
        for member in family.members {
            let header = String(format: "width %d (x%.3g): ", member.width, member.wideningFactor)
            guard let plan = member.plan else {
                lines += [header + "infeasible: \(member.infeasible ?? "")", ""]
                continue
            }
            lines.append(header + String(format: "fraction %.6g, ", plan.fraction) + "\(plan.weights) weights, residual \(signed(plan.residual))"
                + String(format: " (%+.3f%%)", 100 * Double(plan.residual) / Double(plan.targetWeights)))
            lines.append("  " + tablePad("layer", 30) + tablePad("shape", 16) + tableLeftPad("weights", 10))
            for layer in plan.layers {
                lines.append("  " + tablePad(layer.name, 30) + tablePad(layer.tensorShape.map(String.init).joined(separator: "x"), 16)
                    + tableLeftPad("\(layer.count)", 10))
            }
            let slotName = family.kind == .linear ? "inner sizes (per plain weight)" : "inner widths (per block)"
            lines.append("  \(slotName): " + zip(plan.innerSizes, plan.fullSizes).map { "\($0)/\($1)" }.joined(separator: " "))
            lines.append("")
        }
        lines.append(tablePad("width", 8) + tableLeftPad("factor", 8) + tableLeftPad("fraction", 12) + tableLeftPad("weights", 12) + tableLeftPad("residual", 10))
        for member in family.members {
            let cells = member.plan.map { [String(format: "%.6g", $0.fraction), "\($0.weights)", signed($0.residual)] } ?? ["-", "infeasible", "-"]
            lines.append(tablePad("\(member.width)", 8) + tableLeftPad(String(format: "%.3g", member.wideningFactor), 8)
                + tableLeftPad(cells[0], 12) + tableLeftPad(cells[1], 12) + tableLeftPad(cells[2], 10))
        }
        return lines.joined(separator: "\n")
    }

    /// The dense model of each width.
    func describe(_ members: [DenseMember]) -> String {
        var lines: [String] = []
        for member in members {
            lines.append("width \(member.width): \(member.weights) weights (dense)")
            for layer in member.layers {
                lines.append("  " + tablePad(layer.name, 30) + tablePad(layer.tensorShape.map(String.init).joined(separator: "x"), 16)
                    + tableLeftPad("\(layer.count)", 10))
            }
            lines.append("")
        }
        return lines.joined(separator: "\n")
    }
}

func signed(_ value: Int) -> String { value >= 0 ? "+\(value)" : "\(value)" }

func tablePad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func tableLeftPad(_ text: String, _ width: Int) -> String {
    text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
}
