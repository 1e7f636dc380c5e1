/// Everything that determines a training run, resolved (no defaults left to fill in), as
/// written to a run's config.json. Enumerated choices are stored as their command-line names
/// and checked when the run is built, so a hand-edited file gets an error naming the field.
public struct RunConfig: Codable, Equatable, Sendable {
    public var model: MLPModelConfig
    public var data: DataConfig
    public var training: TrainingConfig
    /// The master seed every random stream of the run derives from.
    public var seed: UInt64

    public init(model: MLPModelConfig, data: DataConfig, training: TrainingConfig, seed: UInt64) {
        self.model = model
        self.data = data
        self.training = training
        self.seed = seed
    }
}

/// A one-hidden-layer perceptron and its sparsity.
public struct MLPModelConfig: Codable, Equatable, Sendable {
    public var inputSize: Int
    public var width: Int
    public var classes: Int
    public var bias: Bool
    /// "relu" or "identity"
    public var activation: String
    public var batchNorm: Bool
    /// "standard" or "ntk"
    public var parameterisation: String
    /// "uniform" or "normal"
    public var initDistribution: String
    /// Weights removed from [first layer, last layer]; [0, 0] is the dense model.
    public var removedWeights: [Int]

    public init(
        inputSize: Int, width: Int, classes: Int, bias: Bool, activation: String, batchNorm: Bool,
        parameterisation: String, initDistribution: String, removedWeights: [Int]
    ) {
        self.inputSize = inputSize
        self.width = width
        self.classes = classes
        self.bias = bias
        self.activation = activation
        self.batchNorm = batchNorm
        self.parameterisation = parameterisation
        self.initDistribution = initDistribution
        self.removedWeights = removedWeights
    }
}

/// Which data, which part of it, and how it is normalised.
public struct DataConfig: Codable, Equatable, Sendable {
    /// "mnist5k", "mnist" or "fashion-mnist"
    public var dataset: String
    /// Folder or file to read; nil for the dataset's default place.
    public var location: String?
    /// Train on a random subset of this many training samples (nil: all).
    public var trainSubset: Int?
    /// Hold out this many training samples (after subsetting) as a validation part.
    public var validationSize: Int
    /// "fixed", "pixelwise" or "none"
    public var normalisation: String
    /// For "fixed": (x - mean) / std on pixels scaled to [0, 1].
    public var mean: Float
    public var std: Float

    public init(
        dataset: String, location: String?, trainSubset: Int?, validationSize: Int, normalisation: String,
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
    /// "constant", "multistep" or "cosine"
    public var schedule: String
    /// For "multistep": the epochs at which the rate is multiplied by `gamma`.
    public var milestones: [Int]
    public var gamma: Double

    public init(
        epochs: Int, batchSize: Int, evalBatchSize: Int, learningRate: Double, momentum: Double, nesterov: Bool,
        weightDecay: Double, schedule: String, milestones: [Int], gamma: Double
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
