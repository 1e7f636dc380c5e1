import Choices
import Models
import NeuralNetwork
import RunRecords

/// The linear bottleneck (docs/method.md section 1, paper Figure 3): every weight layer W (d_in x d_out)
/// becomes two with nothing between them, W1 (d_in x d_b) then W2 (d_b x d_out); a k x k
/// convolution becomes a k x k convolution d_in -> d_b (with W's stride and padding) then a 1 x 1
/// convolution d_b -> d_out. The stem, the 1 x 1 shortcuts and the classifier are factorised too.
/// At the base width d_b = min(d_in, d_out); wider, one global fraction shrinks every d_b so the
/// total comes closest to the budget (`GlobalFraction`). No masks.
public struct LinearBottleneckWidening: WideningMethod {
    public static let name = "linear-bottleneck"
    public static let summary = "every weight a product of two factors, inner sizes shrunk to the budget (Figure 3)"
    public static let keepsBudget = true
    public static func inapplicable(to architecture: Architecture) -> String? { nil }

    public init(options: WideningOptions) throws { try options.refuseAll(method: Self.name) }

    public func widen(_ request: WideningRequest) throws -> WidenedModel {
        let target = try request.requireTarget(method: Self.name)
        let stages = try request.stageWidths()
        let plain = try request.plainLayers()
        try refuseNarrowerThanBase(request, method: Self.name)
        // Each inner unit of a factorised k x k layer costs k*k*d_in weights in W1 and d_out in W2.
        let slots = plain.map { BottleneckSlot(full: min($0.inChannels, $0.outChannels), weightsPerUnit: $0.kernelSize * $0.inChannels + $0.outChannels) }
        let solved: GlobalFraction
        if request.width == request.baseWidth {
            // Before widening d_b = min(d_in, d_out): the plain model's function class, with more weights.
            let sizes = slots.map(\.full)
            solved = GlobalFraction(fraction: 1, innerSizes: sizes, weights: zip(slots, sizes).map { $0.weightsPerUnit * $1 }.reduce(0, +))
        } else {
            try checkReachable(slots: slots, fixed: 0, target: target, method: Self.name, width: request.width)
            solved = GlobalFraction.solve(fixedWeights: 0, slots: slots, target: target)
        }
        let sizes = BottleneckSizes(kind: .linear, fraction: solved.fraction, innerSizes: solved.innerSizes, fullSizes: slots.map(\.full))
        return WidenedModel(
            method: Self.name, width: request.width, stageWidths: stages, denseWeights: plain.map(\.count).reduce(0, +),
            layers: request.architecture.layers(width: request.width, stageWidths: stages, bottleneck: sizes.bottleneck),
            bottleneck: sizes, targetWeights: target)
    }
}

/// A bottleneck only widens: a width below the base is refused.
func refuseNarrowerThanBase(_ request: WideningRequest, method: String) throws {
    if let base = request.baseWidth, request.width < base {
        throw ConfigError(field: "width", expected: "at least the base width \(base) (--method \(method) only widens)", found: "\(request.width)")
    }
}

/// Refuses a width whose smallest bottleneck (every inner size 1) already has more weights than
/// the target.
func checkReachable(slots: [BottleneckSlot], fixed: Int, target: Int, method: String, width: Int) throws {
    let smallest = fixed + slots.map(\.weightsPerUnit).reduce(0, +)
    if smallest > target {
        throw ConfigError(
            field: "weights", expected: "a budget the \(method) of width \(width) can reach (at least \(smallest) weights, every inner size 1)",
            found: "\(target)")
    }
}
