import Choices
import Datasets
import RunRecords
import Widening

/// Everything a user chooses for one training run, before the paper's defaults, the data and the
/// widening method resolve it to a `RunConfig`: what `widesparse train mlp|resnet18|vgg` is given on
/// its command line and what a spec's entry gives (its fields and `options`). The field names
/// follow the options of `train` (`weightsOfWidth` is --weights-of-width); nil means "the
/// default for this model and dataset" (docs/method.md section 5).
public struct RunRecipe: Equatable, Sendable {
    public var model: ModelKind

    // The data.
    public var dataset: DatasetName = .mnist5k
    public var dataDir: String?
    public var trainSubset: Int?
    public var validationSize = 0
    /// Default: fixed; per-channel for ResNet-18 on 3-channel data.
    public var normalise: NormalisationKind?
    public var mean: Float = 0.1307
    public var std: Float = 0.3081
    /// ResNet-18: per-channel statistics, augmentation and image-folder input sizes.
    public var channelMeans: [Float] = [0.485, 0.456, 0.406]
    public var channelStds: [Float] = [0.229, 0.224, 0.225]
    /// Default: 4 on 3-channel data other than image folders, else 0.
    public var cropPadding: Int?
    /// Default: on for 3-channel data.
    public var flip: Bool?
    public var imageSize = 224
    public var resizeSize = 256
    public var minCropScale = 0.2

    // Training (nil: the paper's setting for the model, `PaperDefaults`).
    public var epochs: Int?
    public var batchSize: Int?
    public var evalBatchSize = 1000
    public var lr: Double?
    public var momentum: Double?
    public var nesterov = false
    public var weightDecay: Double?
    public var schedule: ScheduleKind?
    /// Used by the multistep schedule only.
    public var milestones = [50, 120, 200]
    public var gamma = 0.1
    public var seed: UInt64 = 0

    // The width and the budget, for the widening method (Widening's `WideningMethods`).
    /// Default: 5 hidden units (MLP-1), 8 stem channels (ResNet-18, VGG).
    public var width: Int?
    public var weights: Int?
    public var weightsOfWidth: Int?
    /// A method name of `WideningMethods`; default sparse with a budget, dense without.
    public var method: String?
    public var rule: RemovalRule?
    /// MLP-1 only: the last layer's connectivity (Figure 5), or the removals given directly.
    public var lastLayerConnectivity: Double?
    public var removed: [Int]?
    /// Convolutional models: whole k x k kernels removed. ResNet-18 only: the stages that widen and the width the others keep.
    public var ioOnly = false
    public var widenStages: [Int]?
    public var baseWidth: Int?

    // The MLP architecture.
    /// Hidden layers (1: MLP-1).
    public var depth = 1
    public var activation: ActivationKind = .relu
    public var bias = true
    public var batchNorm = false
    public var parameterisation: Parameterisation = .standard
    /// Default: uniform for the standard parameterisation, normal for NTK.
    public var initDistribution: InitDistribution?
    public var inputSize = 784

    // The convolutional architectures.
    /// ResNet-18's form.
    public var form: ResNetForm = .cifar
    /// VGG's configuration.
    public var variant: VGGVariant = .vgg11
    public var convolution: ConvolutionAlgorithm = .winograd

    public init(model: ModelKind) { self.model = model }

    /// The resolved config and the budget as asked for (run-info.json records both). Throws a
    /// `ConfigError` naming the option when the widening method cannot meet the request.
    public func resolved() throws -> (config: RunConfig, budget: RequestedBudget) {
        let classes = try dataset.classCount(location: dataDir)
        switch model {
        case .mlp: return try resolvedMLP(classes: classes)
        case .resnet18: return try resolvedResNet(classes: classes)
        case .vgg: return try resolvedVGG(classes: classes)
        }
    }

    private func resolvedMLP(classes: Int) throws -> (config: RunConfig, budget: RequestedBudget) {
        let width = self.width ?? 5
        let widened = try WideningMethods.widen(
            method, options: WideningOptions(rule: rule, lastLayerConnectivity: lastLayerConnectivity, removed: removed),
            architecture: .mlp(inputSize: inputSize, classes: classes, depth: depth), width: width, weights: weights, weightsOfWidth: weightsOfWidth)
        var model = MLPModelConfig(
            inputSize: inputSize, width: width, hiddenLayers: depth, classes: classes, bias: bias, activation: activation, batchNorm: batchNorm,
            parameterisation: parameterisation, initDistribution: initDistribution ?? (parameterisation == .ntk ? .normal : .uniform))
        model.take(widened)
        let budget = RequestedBudget(
            method: widened.method, weights: weights, weightsOfWidth: weightsOfWidth, rule: rule?.rawValue,
            lastLayerConnectivity: lastLayerConnectivity, removed: removed)
        let config = RunConfig(model: .mlp(model), data: dataConfig(), training: trainingConfig(PaperDefaults.mlp), seed: seed)
        return (config, budget)
    }

    private func resolvedResNet(classes: Int) throws -> (config: RunConfig, budget: RequestedBudget) {
        let width = self.width ?? 8
        let stages = widenStages ?? [1, 2, 3, 4]
        let widened = try WideningMethods.widen(
            method, options: WideningOptions(rule: rule, ioOnly: ioOnly),
            architecture: .resNet18(inputChannels: dataset.channels, classes: classes, form: form, widenedStages: stages),
            width: width, weights: weights, weightsOfWidth: weightsOfWidth, baseWidth: baseWidth)
        var model = ResNetModelConfig(
            width: width, inputChannels: dataset.channels, classes: classes, form: form, removedWeights: [],
            maskPattern: .allEntries, convolution: convolution)
        model.take(widened)
        let budget = RequestedBudget(
            method: widened.method, weights: weights, weightsOfWidth: weightsOfWidth, rule: rule?.rawValue, ioOnly: ioOnly,
            widenedStages: widenStages)
        let config = RunConfig(model: .resnet18(model), data: dataConfig(), training: trainingConfig(PaperDefaults.resNet18), seed: seed)
        return (config, budget)
    }

    private func resolvedVGG(classes: Int) throws -> (config: RunConfig, budget: RequestedBudget) {
        let width = self.width ?? 8
        let widened = try WideningMethods.widen(
            method, options: WideningOptions(rule: rule, ioOnly: ioOnly),
            architecture: .vgg(variant: variant, inputChannels: dataset.channels, classes: classes),
            width: width, weights: weights, weightsOfWidth: weightsOfWidth, baseWidth: baseWidth)
        var model = VGGModelConfig(
            variant: variant, width: width, inputChannels: dataset.channels, classes: classes, removedWeights: [],
            maskPattern: .allEntries, convolution: convolution)
        model.take(widened)
        let budget = RequestedBudget(
            method: widened.method, weights: weights, weightsOfWidth: weightsOfWidth, rule: rule?.rawValue, ioOnly: ioOnly)
        let config = RunConfig(model: .vgg(model), data: dataConfig(), training: trainingConfig(PaperDefaults.vgg), seed: seed)
        return (config, budget)
    }

    /// The data config with the model's defaults: a convolutional model on colour data normalises per channel
    /// and augments with padded crops (not image folders, which use RandomResizedCrop) and flips.
    func dataConfig() -> DataConfig {
        let colour = dataset.channels == 3
        let convolutional = model.isConvolutional
        var data = DataConfig(
            dataset: dataset, location: dataDir, trainSubset: trainSubset, validationSize: validationSize,
            normalisation: normalise ?? (convolutional && colour ? .perChannel : .fixed), mean: mean, std: std)
        guard convolutional else { return data }
        let perChannel = data.normalisation == .perChannel
        let folder = dataset == .imageFolder
        data = data.with(
            channelMeans: perChannel ? channelMeans : nil, channelStds: perChannel ? channelStds : nil,
            cropPadding: cropPadding ?? (colour && !folder ? 4 : 0), horizontalFlip: flip ?? colour)
        if folder { data = data.with(imageSize: imageSize, resizeSize: resizeSize, minimumCropScale: minCropScale) }
        return data
    }

    /// The training config: what is given, the model's paper settings for the rest.
    func trainingConfig(_ defaults: TrainingConfig) -> TrainingConfig {
        let schedule = self.schedule ?? defaults.schedule
        return TrainingConfig(
            epochs: epochs ?? defaults.epochs, batchSize: batchSize ?? defaults.batchSize, evalBatchSize: evalBatchSize,
            learningRate: lr ?? defaults.learningRate, momentum: momentum ?? defaults.momentum, nesterov: nesterov,
            weightDecay: weightDecay ?? defaults.weightDecay, schedule: schedule,
            milestones: schedule == .multistep ? milestones : [], gamma: gamma)
    }
}

/// The paper's training settings per model (docs/method.md section 5).
public enum PaperDefaults {
    /// MLP-1: plain SGD at lr 0.1, batch 100, 300 epochs.
    public static let mlp = TrainingConfig(
        epochs: 300, batchSize: 100, evalBatchSize: 1000, learningRate: 0.1, momentum: 0, nesterov: false,
        weightDecay: 0, schedule: .constant, milestones: [], gamma: 0.1)
    /// ResNet-18 on CIFAR: momentum 0.9, weight decay 5e-4, lr 0.1 divided by 10 at epochs 50, 120, 200.
    public static let resNet18 = TrainingConfig(
        epochs: 300, batchSize: 128, evalBatchSize: 1000, learningRate: 0.1, momentum: 0.9, nesterov: false,
        weightDecay: 5e-4, schedule: .multistep, milestones: [50, 120, 200], gamma: 0.1)
    /// VGG, which the paper does not train: ResNet-18's CIFAR settings (the Figure 6 protocol).
    public static let vgg = resNet18
}
