import Choices

/// A width family as `widesparse family` asks for it: which architecture, how its wider members
/// keep the budget, and which widths. Every choice left out takes the paper's default.
public struct FamilyRecipe: Sendable {
    public var model: ModelKind
    /// ResNet-18's form.
    public var form: ResNetForm = .cifar
    /// VGG's configuration.
    public var variant: VGGVariant = .vgg11
    /// The width whose dense model sets the budget; default: the architecture's paper base width.
    public var baseWidth: Int?
    /// The members' widths; default: the paper's widths from the base width.
    public var widths: [Int]?
    /// Widening factors instead of widths: width = round(base width * factor).
    public var factors: [Double]?
    /// A widening method's name (`WideningMethods.named`).
    public var method: String = SparseWidening.name
    public var options = WideningOptions()
    /// ResNet-18: the stages (1...4) that widen; the others keep the base width's channels. Default: all.
    public var widenStages: [Int]?
    /// The budget; default: the weights of the dense model of the base width.
    public var weights: Int?
    public var classes = 10
    /// A convolutional model's input channels.
    public var inputChannels = 3
    /// The MLP's input features.
    public var inputSize = 784
    /// The MLP's hidden layers (1: MLP-1).
    public var depth = 1

    public init(model: ModelKind) { self.model = model }

    /// The architecture the family widens.
    public var architecture: Architecture {
        switch model {
        case .mlp: return .mlp(inputSize: inputSize, classes: classes, depth: depth)
        case .resnet18:
            return .resNet18(inputChannels: inputChannels, classes: classes, form: form, widenedStages: widenStages ?? [1, 2, 3, 4])
        case .vgg: return .vgg(variant: variant, inputChannels: inputChannels, classes: classes)
        }
    }

    public var base: Int { baseWidth ?? architecture.paperBaseWidth }

    /// The method with its options, checked against the architecture.
    public func wideningMethod() throws -> any WideningMethod {
        try WideningMethods.make(method, options: options, architecture: architecture, hasBudget: true)
    }

    /// The members' widths: given, from the factors, or the paper's.
    public var memberWidths: [Int] {
        if let factors { return factors.map { width(base: base, factor: $0) } }
        return widths ?? architecture.paperWidths(base: base)
    }

    /// The family: every member at the budget (infeasible ones say why).
    public func family() throws -> WideningFamily {
        try WideningFamily(architecture: architecture, method: wideningMethod(), baseWidth: base, widths: memberWidths, weights: weights)
    }
}
