import Choices

/// What every model configuration tells the readers of runs (results, the report, the end of
/// `train`, TensorBoard's labels) without their knowing which model it is. A new model's
/// configuration conforms here once; nothing that reads records switches over the models.
public protocol ModelRecord: Codable, Equatable, Sendable {
    /// The `kind` config.json names it by (and `results`' model column).
    static var kind: ModelKind { get }
    /// The width its family grows (hidden units, or stem channels).
    var width: Int { get }
    /// Weights removed from each weight tensor of the plain model, model order.
    var removedWeights: [Int] { get }
    /// How its masks remove weights (a model without convolutions: always all entries).
    var maskPattern: MaskPattern { get }
    /// A bottleneck model instead of the plain one (then nothing is removed).
    var bottleneck: BottleneckConfig? { get }
    /// Whether it normalises batches (then no training batch may hold one sample).
    var normalisesBatches: Bool { get }
    /// The model in a figure title or table heading: "MLP-1 (relu)", "ResNet-18 (cifar)".
    var title: String { get }
    /// The model in TensorBoard's labels and run aliases: "mlp", "resnet18-cifar".
    var label: String { get }
    /// The first line of the end-of-run summary: the architecture and its sizes.
    var summaryLine: String { get }
}

extension ModelConfig {
    /// The configuration, as every model's record reads.
    public var record: any ModelRecord {
        switch self {
        case .mlp(let config): return config
        case .resnet18(let config): return config
        case .vgg(let config): return config
        }
    }

    public var kind: ModelKind { type(of: record).kind }
}

extension MLPModelConfig: ModelRecord {
    public static var kind: ModelKind { .mlp }
    public var maskPattern: MaskPattern { .allEntries }
    public var normalisesBatches: Bool { batchNorm }
    public var title: String { "MLP-\(hiddenLayers) (\(activation)\(parameterisation == .ntk ? ", NTK" : ""))" }
    public var label: String { "mlp" }
    public var summaryLine: String {
        let hidden = Array(repeating: "\(width)", count: hiddenLayers).joined(separator: " -> ")
        return "MLP-\(hiddenLayers) \(inputSize) -> \(hidden) -> \(classes), \(activation), \(parameterisation) parameterisation, "
            + "\(bias ? "biases" : "no biases")\(batchNorm ? ", batch norm" : "")"
    }
}

extension ResNetModelConfig: ModelRecord {
    public static var kind: ModelKind { .resnet18 }
    public var normalisesBatches: Bool { true }
    public var title: String { "ResNet-18 (\(form))" }
    public var label: String { "resnet18-\(form)" }
    public var summaryLine: String {
        "ResNet-18 (\(form) form), width \(width), \(inputChannels) input channels, \(classes) classes, "
            + (bottleneck == nil ? "\(maskPattern) masks" : "no masks")
            + (stageWidths.map { ", stage widths \($0.map(String.init).joined(separator: ","))" } ?? "")
    }
}

extension VGGModelConfig: ModelRecord {
    public static var kind: ModelKind { .vgg }
    public var normalisesBatches: Bool { true }
    public var title: String { variant.title }
    public var label: String { "vgg\(variant.rawValue)" }
    public var summaryLine: String {
        "\(variant.title) (CIFAR form), width \(width), \(inputChannels) input channels, \(classes) classes, "
            + (bottleneck == nil ? "\(maskPattern) masks" : "no masks")
    }
}
