import Choices

/// Everything that determines a training run, resolved (no defaults left to fill in), as
/// written to a run's config.json. Choices are the real enums (Choices), written as their
/// command-line names; a hand-edited file with a name outside a set fails to decode with a
/// `ConfigError` naming the field.
public struct RunConfig: Codable, Equatable, Sendable {
    public var model: ModelConfig
    public var data: DataConfig
    public var training: TrainingConfig
    /// The master seed every random stream of the run derives from.
    public var seed: UInt64

    public init(model: ModelConfig, data: DataConfig, training: TrainingConfig, seed: UInt64) {
        self.model = model
        self.data = data
        self.training = training
        self.seed = seed
    }
}

/// The model of a run, written as {"kind": "mlp", "mlp": {...}}, {"kind": "resnet18", "resnet18": {...}}
/// or {"kind": "vgg", "vgg": {...}}. What readers need of any model is its `record` (ModelRecord.swift).
public enum ModelConfig: Codable, Equatable, Sendable {
    case mlp(MLPModelConfig)
    case resnet18(ResNetModelConfig)
    case vgg(VGGModelConfig)

    private enum CodingKeys: String, CodingKey { case kind, mlp, resnet18, vgg }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(ModelKind.self, forKey: .kind) {
        case .mlp: self = .mlp(try container.decode(MLPModelConfig.self, forKey: .mlp))
        case .resnet18: self = .resnet18(try container.decode(ResNetModelConfig.self, forKey: .resnet18))
        case .vgg: self = .vgg(try container.decode(VGGModelConfig.self, forKey: .vgg))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .mlp(let config):
            try container.encode(ModelKind.mlp, forKey: .kind)
            try container.encode(config, forKey: .mlp)
        case .resnet18(let config):
            try container.encode(ModelKind.resnet18, forKey: .kind)
            try container.encode(config, forKey: .resnet18)
        case .vgg(let config):
            try container.encode(ModelKind.vgg, forKey: .kind)
            try container.encode(config, forKey: .vgg)
        }
    }

    /// The MLP config, if this is an MLP.
    public var mlp: MLPModelConfig? {
        get { if case .mlp(let config) = self { return config } else { return nil } }
        set { if let newValue { self = .mlp(newValue) } }
    }
}

/// A ResNet-18 and its sparsity.
public struct ResNetModelConfig: Codable, Equatable, Sendable {
    public var width: Int
    public var inputChannels: Int
    public var classes: Int
    public var form: ResNetForm
    /// Weights removed from each weight tensor, model order (21 tensors); all 0 for the dense model.
    public var removedWeights: [Int]
    public var maskPattern: MaskPattern
    /// Absent: winograd (oneDNN's Winograd kernels where it has them).
    public var convolution: ConvolutionAlgorithm?
    /// A bottleneck model instead of the plain one (then nothing is removed).
    public var bottleneck: BottleneckConfig?
    /// Widened in chosen stages only: the channels of the four stages (absent: width, 2, 4 and
    /// 8 x width). Part of the run id.
    public var stageWidths: [Int]?

    public init(
        width: Int, inputChannels: Int, classes: Int, form: ResNetForm, removedWeights: [Int], maskPattern: MaskPattern,
        convolution: ConvolutionAlgorithm? = nil, bottleneck: BottleneckConfig? = nil, stageWidths: [Int]? = nil
    ) {
        self.bottleneck = bottleneck
        self.stageWidths = stageWidths
        self.width = width
        self.inputChannels = inputChannels
        self.classes = classes
        self.form = form
        self.removedWeights = removedWeights
        self.maskPattern = maskPattern
        self.convolution = convolution
    }
}

/// A VGG in its CIFAR form (docs/method.md section 4) and its sparsity.
public struct VGGModelConfig: Codable, Equatable, Sendable {
    public var variant: VGGVariant
    /// The channels of the first stage (64 in the original VGG); the others have 2, 4, 8 and 8 x width.
    public var width: Int
    public var inputChannels: Int
    public var classes: Int
    /// Weights removed from each weight tensor, model order (every convolution, then the classifier).
    public var removedWeights: [Int]
    public var maskPattern: MaskPattern
    /// Absent: winograd (oneDNN's Winograd kernels where it has them).
    public var convolution: ConvolutionAlgorithm?
    /// A bottleneck model instead of the plain one (then nothing is removed).
    public var bottleneck: BottleneckConfig?

    public init(
        variant: VGGVariant, width: Int, inputChannels: Int, classes: Int, removedWeights: [Int], maskPattern: MaskPattern,
        convolution: ConvolutionAlgorithm? = nil, bottleneck: BottleneckConfig? = nil
    ) {
        self.variant = variant
        self.width = width
        self.inputChannels = inputChannels
        self.classes = classes
        self.removedWeights = removedWeights
        self.maskPattern = maskPattern
        self.convolution = convolution
        self.bottleneck = bottleneck
    }
}

/// A bottleneck model (docs/method.md section 1), resolved to its sizes. Bottleneck models have no masks.
public struct BottleneckConfig: Codable, Equatable, Sendable {
    public var kind: BottleneckKind
    /// Linear: the inner size of each weight tensor of the plain model (model order); non-linear:
    /// the inner width of each ResNet BasicBlock, VGG pair of convolutions or MLP pair of hidden layers.
    public var innerSizes: [Int]
    /// The weights the sizes were solved for (the plain base model's); the model's own total
    /// differs by the residual that `widesparse family` reports.
    public var targetWeights: Int

    public init(kind: BottleneckKind, innerSizes: [Int], targetWeights: Int) {
        self.kind = kind
        self.innerSizes = innerSizes
        self.targetWeights = targetWeights
    }
}

/// A fully connected network (MLP-L: L hidden layers of one width; MLP-1 by default) and its sparsity.
public struct MLPModelConfig: Codable, Equatable, Sendable {
    public var inputSize: Int
    public var width: Int
    /// The number of hidden layers L; absent for MLP-1, so that MLP-1's config.json and run ids
    /// are those of earlier releases (`hiddenLayers` reads it).
    public var depth: Int?
    public var classes: Int
    public var bias: Bool
    public var activation: ActivationKind
    public var batchNorm: Bool
    public var parameterisation: Parameterisation
    public var initDistribution: InitDistribution
    /// Weights removed from each weight layer, fc1 to fc(L+1); all 0 for the dense model.
    public var removedWeights: [Int]
    /// A bottleneck model instead of the plain one (then nothing is removed).
    public var bottleneck: BottleneckConfig?

    public init(
        inputSize: Int = 784, width: Int, hiddenLayers: Int = 1, classes: Int = 10, bias: Bool = true, activation: ActivationKind = .relu,
        batchNorm: Bool = false, parameterisation: Parameterisation = .standard, initDistribution: InitDistribution = .uniform,
        removedWeights: [Int]? = nil, bottleneck: BottleneckConfig? = nil
    ) {
        self.bottleneck = bottleneck
        depth = hiddenLayers == 1 ? nil : hiddenLayers
        self.inputSize = inputSize
        self.width = width
        self.classes = classes
        self.bias = bias
        self.activation = activation
        self.batchNorm = batchNorm
        self.parameterisation = parameterisation
        self.initDistribution = initDistribution
        self.removedWeights = removedWeights ?? Array(repeating: 0, count: hiddenLayers + 1)
    }

    /// L, the number of hidden layers (1 when `depth` is absent).
    public var hiddenLayers: Int { depth ?? 1 }
}

/// Which data, which part of it, and how it is normalised.
public struct DataConfig: Codable, Equatable, Sendable {
    public var dataset: DatasetName
    /// Folder or file to read; nil for the dataset's default place.
    public var location: String?
    /// Train on a random subset of this many training samples (nil: all).
    public var trainSubset: Int?
    /// Hold out this many training samples (after subsetting) as a validation part.
    public var validationSize: Int
    public var normalisation: NormalisationKind
    /// For "fixed": (x - mean) / std on pixels scaled to [0, 1].
    public var mean: Float
    public var std: Float
    /// For "per-channel": one mean and standard deviation per channel.
    public var channelMeans: [Float]?
    public var channelStds: [Float]?
    /// Training augmentation: zero padding before a random crop back to size (0: none).
    public var cropPadding: Int?
    /// Training augmentation: random horizontal flips.
    public var horizontalFlip: Bool?
    /// Image folders: the side of the square model input (training crops and test crops).
    public var imageSize: Int?
    /// Image folders: the shorter side test images are resized to before the centre crop.
    public var resizeSize: Int?
    /// Image folders: the smallest area fraction of a training RandomResizedCrop (largest: 1).
    public var minimumCropScale: Double?

    public init(
        dataset: DatasetName, location: String?, trainSubset: Int?, validationSize: Int, normalisation: NormalisationKind,
        mean: Float, std: Float
    ) {
        self.dataset = dataset
        self.location = location
        self.trainSubset = trainSubset
        self.validationSize = validationSize
        self.normalisation = normalisation
        self.mean = mean
        self.std = std
    }

    /// The image-folder input sizes on top of the above.
    public func with(imageSize: Int, resizeSize: Int, minimumCropScale: Double) -> DataConfig {
        var copy = self
        copy.imageSize = imageSize
        copy.resizeSize = resizeSize
        copy.minimumCropScale = minimumCropScale
        return copy
    }

    /// Per-channel normalisation and augmentation on top of the above.
    public func with(channelMeans: [Float]?, channelStds: [Float]?, cropPadding: Int, horizontalFlip: Bool) -> DataConfig {
        var copy = self
        copy.channelMeans = channelMeans
        copy.channelStds = channelStds
        copy.cropPadding = cropPadding
        copy.horizontalFlip = horizontalFlip
        return copy
    }
}

/// The optimiser, schedule and length of training.
public struct TrainingConfig: Codable, Equatable, Sendable {
    public var epochs: Int
    public var batchSize: Int
    public var evalBatchSize: Int
    public var learningRate: Double
    public var momentum: Double
    public var nesterov: Bool
    public var weightDecay: Double
    public var schedule: ScheduleKind
    /// For "multistep": the epochs at which the rate is multiplied by `gamma`.
    public var milestones: [Int]
    public var gamma: Double

    public init(
        epochs: Int, batchSize: Int, evalBatchSize: Int, learningRate: Double, momentum: Double, nesterov: Bool,
        weightDecay: Double, schedule: ScheduleKind, milestones: [Int], gamma: Double
    ) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.evalBatchSize = evalBatchSize
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.schedule = schedule
        self.milestones = milestones
        self.gamma = gamma
    }
}
