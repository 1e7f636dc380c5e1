import ArgumentParser
import Choices
import Foundation
import Models
import NeuralNetwork
import Sparsity
import Widening

/// `widesparse family`: inspect a constant-weight width family before training anything.
public struct Family: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Print a width family at a constant number of weights: per-layer shapes, weights, removals and the total against the budget.",
        discussion: """
            The budget is the number of weights of the dense model of --base-width (or --weights). \
            --method says how each wider member keeps it (docs/method.md section 1): sparse (the default) \
            removes the difference by --rule (docs/method.md section 2); linear-bottleneck and \
            nonlinear-bottleneck have no masks: one global fraction shrinks every inner size, and each \
            width shows its fraction, the shapes of every factor and the residual from the budget; \
            dense shows the dense model of every width. --widen-stages (ResNet-18) widens only the \
            stages named; the others keep the base width's channels. Only convolution and fully \
            connected weights count. The per-layer table is the data of the paper's Figure 10.
            """ + examples(
                (nil, "widesparse family mlp"),
                ("the Figure 5 grid", "widesparse family mlp --grid"),
                (nil, "widesparse family resnet18 --base-width 8 --factors 1,2,4,8 --io-only"),
                (nil, "widesparse family resnet18 --form imagenet --json"),
                (nil, "widesparse family resnet18 --method linear-bottleneck --factors 1,2,4"),
                ("only stage 4 widens", "widesparse family resnet18 --widen-stages 4 --factors 1,2,4")))

    @Argument(help: "mlp or resnet18.")
    var model: ModelKind

    @Option(help: "ResNet-18 form: cifar (3x3 stem) or imagenet (7x7 stem and max-pool).")
    var form: ResNetForm = .cifar

    @Option(help: "The base width whose dense model sets the budget (default: mlp 5, resnet18 cifar 8, imagenet 64).")
    var baseWidth: Int?

    @Option(help: "Widths, comma-separated (default: mlp 5,10,...,640; resnet18 cifar 8,16,32,64; imagenet 64,90,128,181,256).")
    var widths: String?

    @Option(help: "Widening factors instead of widths, comma-separated; width = round(base width * factor).")
    var factors: String?

    @Option(help: ArgumentHelp("How wider members keep the budget: \(WideningMethods.helpText).", valueName: "method"))
    var method: String = SparseWidening.name

    @Option(help: "ResNet-18: widen only these stages (e.g. 4, or 1,2); the others keep the channels of the base width. Default: all four.")
    var widenStages: String?

    @Option(help: "The budget (default: the weights of the dense model of --base-width).")
    var weights: Int?

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
        if method != SparseWidening.name && (grid || disconnected) {
            throw ValidationError("--grid and --disconnected: masks only; --method \(method) has none")
        }
        if widenStages != nil && model == .mlp { throw ValidationError("--widen-stages: ResNet-18 only (MLP-1 has one hidden layer)") }
        _ = try reportingErrors { try wideningMethod(architecture()) }
    }

    public mutating func run() throws {
        let base = try baseWidth ?? architecture().paperBaseWidth
        let widthList = try resolvedWidths(base: base)
        if grid {
            try printGrid(base: base, widths: widthList)
            return
        }
        var family = try reportingErrors { try makeFamily(base: base, widths: widthList) }
        if disconnected {
            let architecture = try self.architecture()
            for index in family.members.indices {
                family.members[index].model?.countDisconnectedUnits(architecture: architecture, masterSeed: seed)
            }
        }
        print(json ? try jsonText(family) : describe(family))
    }

    /// The architecture the family widens.
    func architecture() throws -> Architecture {
        switch model {
        case .mlp: return .mlp1(inputSize: inputSize, classes: classes)
        case .resnet18:
            let stages = try widenStages.map { try parseCounts($0, option: "--widen-stages") } ?? [1, 2, 3, 4]
            return .resNet18(inputChannels: inputChannels, classes: classes, form: form, widenedStages: stages)
        }
    }

    /// The family this command prints (public so that tests check exactly what users see).
    public func makeFamily(base: Int, widths: [Int]) throws -> WideningFamily {
        let architecture = try self.architecture()
        return try WideningFamily(architecture: architecture, method: wideningMethod(architecture), baseWidth: base, widths: widths, weights: weights)
    }

    /// --method with its options, checked against the architecture.
    func wideningMethod(_ architecture: Architecture) throws -> any WideningMethod {
        let options = WideningOptions(rule: rule, ioOnly: ioOnly, lastLayerConnectivity: lastLayerConnectivity)
        return try WideningMethods.make(method, options: options, architecture: architecture, hasBudget: true)
    }

    func resolvedWidths(base: Int) throws -> [Int] {
        if let factors {
            return try factors.split(separator: ",").map { part in
                guard let factor = Double(part.trimmingCharacters(in: .whitespaces)), factor > 0 else {
                    throw ValidationError("--factors: expected comma-separated positive numbers, found '\(factors)'")
                }
                return width(base: base, factor: factor)
            }
        }
        if let widths { return try parseWidths(widths) }
        return try architecture().paperWidths(base: base)
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
