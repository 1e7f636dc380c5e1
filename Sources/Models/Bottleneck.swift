import Foundation
import NeuralNetwork

/// The four ways a family widens a model (SPEC.md section 1): the dense model of each width, or
/// the same weights as the base model by static sparsity or by one of the two bottlenecks.
public enum WideningMethod: String, Codable, CaseIterable, Sendable {
    case dense, sparse
    case linearBottleneck = "linear-bottleneck"
    case nonlinearBottleneck = "nonlinear-bottleneck"

    /// The bottleneck this method builds, if it builds one.
    public var bottleneckKind: BottleneckKind? {
        switch self {
        case .dense, .sparse: return nil
        case .linearBottleneck: return .linear
        case .nonlinearBottleneck: return .nonlinear
        }
    }
}

/// The two mask-free ways of widening at a constant number of weights (SPEC.md section 1).
public enum BottleneckKind: String, Codable, CaseIterable, Sendable {
    /// Every weight W (d_in x d_out) becomes the product of two factors with an inner size
    /// d_b <= min(d_in, d_out): a k x k conv d_in -> d_b then a 1 x 1 conv d_b -> d_out (a fully
    /// connected layer: d_in -> d_b -> d_out), nothing between them.
    case linear
    /// Layers change in pairs: in each ResNet BasicBlock the outer width grows and the inner width
    /// (conv1's output, conv2's input) shrinks; the ReLU between them stays.
    case nonlinear

    /// The method of this kind.
    public var method: WideningMethod { self == .linear ? .linearBottleneck : .nonlinearBottleneck }
}

/// A bottleneck model's sizes, as a model is built from them.
public enum Bottleneck: Equatable, Sendable {
    /// The inner size of each weight tensor of the plain model, in model order.
    case linear(innerSizes: [Int])
    /// The inner width of each BasicBlock, in model order.
    case nonlinear(innerWidths: [Int])

    public init(kind: BottleneckKind, innerSizes: [Int]) {
        self = kind == .linear ? .linear(innerSizes: innerSizes) : .nonlinear(innerWidths: innerSizes)
    }
}

/// A bottleneck that cannot meet its target (or is asked of a model it does not apply to).
public struct BottleneckError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// One size the global fraction shrinks: inner = max(1, round(alpha * full)), and every inner
/// unit costs `weightsPerUnit` weights.
public struct BottleneckSlot: Equatable, Sendable {
    public var full: Int
    public var weightsPerUnit: Int

    public init(full: Int, weightsPerUnit: Int) {
        self.full = full
        self.weightsPerUnit = weightsPerUnit
    }
}

/// SPEC.md section 1's rule: one global fraction alpha in (0, 1] for every slot, solved so that
/// fixed + sum of weightsPerUnit * max(1, round(alpha * full)) comes as close as possible to the
/// target (on a tie, the total below the target wins).
public struct GlobalFraction: Equatable, Sendable {
    /// An alpha inside the interval of fractions that all give `innerSizes` (its midpoint; 1 when
    /// every slot is at full size), so that `innerSizes(fraction:slots:)` reproduces them.
    public var fraction: Double
    public var innerSizes: [Int]
    public var weights: Int

    /// The rule itself: the inner sizes at `fraction`.
    public static func innerSizes(fraction: Double, slots: [BottleneckSlot]) -> [Int] {
        slots.map { max(1, Int((fraction * Double($0.full)).rounded(.toNearestOrAwayFromZero))) }
    }

    /// Walks up through every fraction at which some inner size grows by one (slot s grows from
    /// k to k + 1 at alpha = (k + 1/2) / full_s), keeping the total closest to `target`. The
    /// breakpoints are compared as exact fractions, so slots that grow at the same alpha grow together.
    public static func solve(fixedWeights: Int, slots: [BottleneckSlot], target: Int) -> GlobalFraction {
        precondition(slots.allSatisfy { $0.full >= 1 && $0.weightsPerUnit >= 0 }, "bottleneck slots need positive sizes")
        // (numerator, denominator, slot): size of `slot` becomes k + 1 at (2k + 1) / (2 full).
        var breakpoints: [(numerator: Int, denominator: Int, slot: Int)] = []
        for (index, slot) in slots.enumerated() where slot.full > 1 {
            for k in 1..<slot.full { breakpoints.append((2 * k + 1, 2 * slot.full, index)) }
        }
        breakpoints.sort { $0.numerator * $1.denominator < $1.numerator * $0.denominator }
        func value(_ b: (numerator: Int, denominator: Int, slot: Int)) -> Double { Double(b.numerator) / Double(b.denominator) }

        var sizes = [Int](repeating: 1, count: slots.count)
        var total = fixedWeights + slots.map(\.weightsPerUnit).reduce(0, +)
        func score(_ total: Int) -> (Int, Int) { (abs(total - target), total > target ? 1 : 0) }
        var best = (score: score(total), sizes: sizes, total: total,
                    fraction: breakpoints.first.map { value($0) / 2 } ?? 1)
        var start = 0
        while start < breakpoints.count {
            // Every breakpoint equal to this one applies at once.
            var end = start
            while end < breakpoints.count
                && breakpoints[end].numerator * breakpoints[start].denominator == breakpoints[start].numerator * breakpoints[end].denominator {
                sizes[breakpoints[end].slot] += 1
                total += slots[breakpoints[end].slot].weightsPerUnit
                end += 1
            }
            let here = score(total)
            if here < best.score {
                let upper = end < breakpoints.count ? value(breakpoints[end]) : nil
                best = (here, sizes, total, upper.map { (value(breakpoints[start]) + $0) / 2 } ?? 1)
            }
            // Totals only grow from here on: once above the target, nothing later is closer.
            if total > target { break }
            start = end
        }
        return GlobalFraction(fraction: best.fraction, innerSizes: best.sizes, weights: best.total)
    }
}

/// A bottleneck model of one width: the solved sizes, its weight tensors and how far its total
/// is from the target.
public struct BottleneckPlan: Codable, Equatable, Sendable {
    public var kind: BottleneckKind
    public var width: Int
    /// The global fraction alpha (1: no shrinking).
    public var fraction: Double
    /// Linear: one inner size per weight tensor of the plain model; non-linear: one inner width
    /// per BasicBlock. Model order.
    public var innerSizes: [Int]
    /// The sizes the inner ones shrank from, in the same order.
    public var fullSizes: [Int]
    /// The weight tensors of the bottleneck model, in model order.
    public var layers: [WeightShape]
    public var weights: Int
    public var targetWeights: Int

    /// weights - target.
    public var residual: Int { weights - targetWeights }

    /// Whether nothing shrank: the non-linear bottleneck at its base width is the plain model.
    public var isPlainModel: Bool { kind == .nonlinear && innerSizes == fullSizes }

    public var bottleneck: Bottleneck { Bottleneck(kind: kind, innerSizes: innerSizes) }
}

extension BottleneckPlan {
    /// The ResNet-18 of `width` with a bottleneck that brings its weights to `targetWeights`.
    /// `atBaseWidth`: the model before widening, where the linear bottleneck keeps every inner size
    /// at min(d_in, d_out) (the same function class as the plain model, with more weights).
    public static func resNet18(
        kind: BottleneckKind, width: Int, targetWeights: Int, atBaseWidth: Bool, inputChannels: Int, classes: Int,
        form: ResNetForm
    ) throws -> BottleneckPlan {
        let plain = resNet18WeightShapes(width: width, inputChannels: inputChannels, classes: classes, form: form)
        switch kind {
        case .linear:
            return try linear(plain: plain, width: width, targetWeights: targetWeights, atBaseWidth: atBaseWidth) { sizes in
                resNet18WeightShapes(width: width, inputChannels: inputChannels, classes: classes, form: form, bottleneck: .linear(innerSizes: sizes))
            }
        case .nonlinear:
            // Each block's pair: conv1 (in -> inner, 3x3) and conv2 (inner -> out, 3x3); the rest is fixed.
            let pairs = plain.filter { $0.name.hasSuffix(".conv1.weight") }.map { conv1 in
                (inChannels: conv1.inChannels, outChannels: conv1.outChannels)
            }
            let paired = plain.filter { $0.name.hasSuffix(".conv1.weight") || $0.name.hasSuffix(".conv2.weight") }.map(\.count).reduce(0, +)
            let fixed = plain.map(\.count).reduce(0, +) - paired
            let slots = pairs.map { BottleneckSlot(full: $0.outChannels, weightsPerUnit: 9 * ($0.inChannels + $0.outChannels)) }
            let solved = GlobalFraction.solve(fixedWeights: fixed, slots: slots, target: targetWeights)
            try checkReachable(slots: slots, fixed: fixed, target: targetWeights, kind: kind, width: width)
            let layers = resNet18WeightShapes(
                width: width, inputChannels: inputChannels, classes: classes, form: form, bottleneck: .nonlinear(innerWidths: solved.innerSizes))
            return BottleneckPlan(
                kind: kind, width: width, fraction: solved.fraction, innerSizes: solved.innerSizes, fullSizes: slots.map(\.full),
                layers: layers, weights: layers.map(\.count).reduce(0, +), targetWeights: targetWeights)
        }
    }

    /// The MLP-1 of `width` with a linear bottleneck at `targetWeights`. The non-linear bottleneck
    /// does not apply to MLP-1: its only pair of layers (d -> n -> classes) has the hidden layer as
    /// its inner width and both outer sizes fixed by the data, so nothing could widen.
    public static func mlp1(
        kind: BottleneckKind, width: Int, targetWeights: Int, atBaseWidth: Bool, inputSize: Int, classes: Int
    ) throws -> BottleneckPlan {
        guard kind == .linear else {
            throw BottleneckError(
                "the non-linear bottleneck does not apply to MLP-1: its one pair of layers (\(inputSize) -> hidden -> \(classes)) "
                    + "has the hidden units as its inner width and both outer sizes fixed by the data, so it cannot widen; "
                    + "use linear-bottleneck or sparse")
        }
        let plain = MLP1Configuration(inputSize: inputSize, width: width, classes: classes).weightShapes
        return try linear(plain: plain, width: width, targetWeights: targetWeights, atBaseWidth: atBaseWidth) { sizes in
            MLP1Configuration(inputSize: inputSize, width: width, classes: classes, linearBottleneck: sizes).weightShapes
        }
    }

    /// The linear bottleneck of the plain layers `plain`: slot = min(d_in, d_out), costing
    /// k*k*d_in + d_out weights per inner unit.
    static func linear(
        plain: [WeightShape], width: Int, targetWeights: Int, atBaseWidth: Bool, layersFor: ([Int]) -> [WeightShape]
    ) throws -> BottleneckPlan {
        let slots = plain.map { BottleneckSlot(full: min($0.inChannels, $0.outChannels), weightsPerUnit: $0.kernelSize * $0.inChannels + $0.outChannels) }
        let solved: GlobalFraction
        if atBaseWidth {
            let sizes = slots.map(\.full)
            solved = GlobalFraction(fraction: 1, innerSizes: sizes, weights: zip(slots, sizes).map { $0.weightsPerUnit * $1 }.reduce(0, +))
        } else {
            solved = GlobalFraction.solve(fixedWeights: 0, slots: slots, target: targetWeights)
            try checkReachable(slots: slots, fixed: 0, target: targetWeights, kind: .linear, width: width)
        }
        let layers = layersFor(solved.innerSizes)
        return BottleneckPlan(
            kind: .linear, width: width, fraction: solved.fraction, innerSizes: solved.innerSizes, fullSizes: slots.map(\.full),
            layers: layers, weights: layers.map(\.count).reduce(0, +), targetWeights: targetWeights)
    }

    /// Refuses a width whose smallest bottleneck (every inner size 1) already has more weights
    /// than the target.
    static func checkReachable(slots: [BottleneckSlot], fixed: Int, target: Int, kind: BottleneckKind, width: Int) throws {
        let smallest = fixed + slots.map(\.weightsPerUnit).reduce(0, +)
        if smallest > target {
            throw BottleneckError(
                "the \(kind.rawValue) bottleneck of width \(width) has at least \(smallest) weights (every inner size 1), "
                    + "more than the target \(target)")
        }
    }
}

/// The weight tensors of a linear bottleneck: each plain weight "x.weight" [out, in, k, k]
/// becomes "x.0.weight" [inner, in, k, k] and "x.1.weight" [out, inner, 1, 1] (fully connected:
/// [inner, in] and [out, inner]), the names PyTorch gives an nn.Sequential of the two.
public func linearBottleneckShapes(_ plain: [WeightShape], innerSizes: [Int]) -> [WeightShape] {
    precondition(plain.count == innerSizes.count, "one inner size per weight tensor")
    return zip(plain, innerSizes).flatMap { shape, inner -> [WeightShape] in
        let stem = String(shape.name.dropLast(".weight".count))
        switch shape.kind {
        case .fullyConnected:
            return [.fullyConnected("\(stem).0.weight", out: inner, in: shape.inChannels),
                    .fullyConnected("\(stem).1.weight", out: shape.outChannels, in: inner)]
        case .convolution:
            return [WeightShape(name: "\(stem).0.weight", kind: .convolution, outChannels: inner, inChannels: shape.inChannels,
                                kernelHeight: shape.kernelHeight, kernelWidth: shape.kernelWidth),
                    .convolution("\(stem).1.weight", out: shape.outChannels, in: inner, kernel: 1)]
        }
    }
}
