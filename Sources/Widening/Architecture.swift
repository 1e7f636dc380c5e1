import Choices
import Models
import NeuralNetwork
import RunRecords

/// What a family widens: the model and everything about it but its width.
public enum Architecture: Equatable, Sendable {
    /// MLP-L, d -> width -> ... -> width -> classes with `depth` (L) hidden layers; MLP-1 is depth 1.
    case mlp(inputSize: Int, classes: Int, depth: Int)
    /// ResNet-18 (docs/method.md section 4). `widenedStages` (a subset of 1...4, sorted) are the stages
    /// whose channels follow the width; the others keep those of the base width (the seed notes'
    /// "widening different layers"). All four: the standard model of each width.
    case resNet18(inputChannels: Int, classes: Int, form: ResNetForm, widenedStages: [Int])
    /// VGG-11 or VGG-16 in the CIFAR form (docs/method.md section 4), every stage widened.
    case vgg(variant: VGGVariant, inputChannels: Int, classes: Int)

    /// ResNet-18 widened in every stage.
    public static func resNet18(inputChannels: Int, classes: Int, form: ResNetForm) -> Architecture {
        .resNet18(inputChannels: inputChannels, classes: classes, form: form, widenedStages: [1, 2, 3, 4])
    }

    /// "mlp", "resnet18-cifar" / "resnet18-imagenet" or "vgg11" / "vgg16", for tables.
    public var name: String {
        switch self {
        case .mlp(_, _, let depth): return depth == 1 ? "mlp" : "mlp, \(depth) hidden layers"
        case .resNet18(_, _, let form, let stages):
            return "resnet18-\(form.rawValue)" + (stages == [1, 2, 3, 4] ? "" : ", stages \(stages.map(String.init).joined(separator: ",")) widened")
        case .vgg(let variant, _, _): return "vgg\(variant.rawValue)"
        }
    }

    public var isMLP: Bool { if case .mlp = self { return true } else { return false } }

    /// Checks the widened stages: a non-empty set of stage numbers 1...4.
    public func validate() throws {
        guard case .resNet18(_, _, _, let stages) = self else { return }
        guard !stages.isEmpty, stages.allSatisfy({ (1...4).contains($0) }), Set(stages).count == stages.count, stages == stages.sorted() else {
            throw ConfigError(
                field: "widen-stages", expected: "distinct stage numbers in 1...4, ascending (e.g. 4, or 1,2)",
                found: stages.map(String.init).joined(separator: ","))
        }
    }

    /// The channels of the four stages at `width` in a family of `baseWidth`; nil for the
    /// standard ResNet-18 of `width` (and for the MLP). Widening chosen stages needs the base width.
    public func stageWidths(width: Int, baseWidth: Int?) throws -> [Int]? {
        guard case .resNet18(_, _, _, let stages) = self, stages != [1, 2, 3, 4] else { return nil }
        try validate()
        guard let baseWidth else {
            throw ConfigError(
                field: "widen-stages", expected: "a base width whose channels the other stages keep (--base-width or --weights-of-width)",
                found: "none")
        }
        let widths = (1...4).map { stage in (stages.contains(stage) ? width : baseWidth) << (stage - 1) }
        return widths == resNet18StageWidths(width: width) ? nil : widths
    }

    /// The weight tensors of the model at `width` (stage widths as `stageWidths`), optionally
    /// with a bottleneck.
    public func layers(width: Int, stageWidths: [Int]?, bottleneck: Bottleneck? = nil) -> [WeightShape] {
        switch self {
        case .mlp(let inputSize, let classes, let depth):
            return mlpWeightShapes(inputSize: inputSize, width: width, hiddenLayers: depth, classes: classes, bottleneck: bottleneck)
        case .resNet18(let inputChannels, let classes, let form, _):
            return resNet18WeightShapes(
                width: width, inputChannels: inputChannels, classes: classes, form: form, stageWidths: stageWidths, bottleneck: bottleneck)
        case .vgg(let variant, let inputChannels, let classes):
            return vggWeightShapes(variant: variant, width: width, inputChannels: inputChannels, classes: classes, bottleneck: bottleneck)
        }
    }

    /// The weights of the plain dense model of `width` in a family of `baseWidth`.
    public func denseWeights(width: Int, baseWidth: Int?) throws -> Int {
        layers(width: width, stageWidths: try stageWidths(width: width, baseWidth: baseWidth)).map(\.count).reduce(0, +)
    }
}

extension Architecture {
    /// The paper's base width of a family: 5 hidden units (MLP-1), 8 channels (ResNet-18, CIFAR
    /// form) or 64 (ImageNet form). VGG, which the paper does not train, takes ResNet-18's CIFAR
    /// protocol: base 8.
    public var paperBaseWidth: Int {
        switch self {
        case .mlp: return 5
        case .resNet18(_, _, let form, _): return form == .cifar ? 8 : 64
        case .vgg: return 8
        }
    }

    /// The paper's widths of a family of `base`: MLP-1 5, 10, ..., 640 (scaled to the base);
    /// ResNet-18 (and VGG) factors 1, 2, 4, 8 (CIFAR) or 1 to 4 by about sqrt(2) (ImageNet, Table 1).
    public func paperWidths(base: Int) -> [Int] {
        switch self {
        case .mlp: return [5, 10, 20, 40, 80, 160, 320, 640].map { $0 * base / 5 }.filter { $0 >= 1 }
        case .resNet18(_, _, .cifar, _), .vgg: return [1.0, 2, 4, 8].map { width(base: base, factor: $0) }
        case .resNet18(_, _, .imagenet, _): return [1.0, 1.40625, 2, 2.828125, 4].map { width(base: base, factor: $0) }
        }
    }
}

/// The width of widening factor `factor`: round(base x factor), at least 1.
public func width(base: Int, factor: Double) -> Int { max(1, Int((Double(base) * factor).rounded())) }

extension ModelConfig {
    /// The architecture this config records, and its stage widths (a ResNet-18 widened in chosen
    /// stages; nil otherwise): what `layers(width:stageWidths:)` counts the config's weights with.
    public var recordedArchitecture: (architecture: Architecture, stageWidths: [Int]?) {
        switch self {
        case .mlp(let mlp): return (.mlp(inputSize: mlp.inputSize, classes: mlp.classes, depth: mlp.hiddenLayers), nil)
        case .resnet18(let resnet):
            return (.resNet18(inputChannels: resnet.inputChannels, classes: resnet.classes, form: resnet.form), resnet.stageWidths)
        case .vgg(let vgg): return (.vgg(variant: vgg.variant, inputChannels: vgg.inputChannels, classes: vgg.classes), nil)
        }
    }
}
