import Choices
import Datasets
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore

extension RunConfig {
    /// Checks every field that can be checked without reading data; throws the first problem.
    public func validate() throws {
        switch model {
        case .mlp(let mlp): try mlp.validate()
        case .resnet18(let resnet): try resnet.validate()
        case .vgg(let vgg): try vgg.validate()
        }
        try data.validate()
        try training.validate()
        // Batch norm cannot normalise a batch of one sample.
        if model.record.normalisesBatches, let subset = data.trainSubset, (subset - data.validationSize) % training.batchSize == 1 {
            throw ConfigError(
                field: "batch-size", expected: "no training batch of a single sample with --batch-norm",
                found: "\(subset - data.validationSize) training samples in batches of \(training.batchSize)")
        }
    }
}

extension MLPModelConfig {
    public func validate() throws {
        func positive(_ value: Int, _ field: String) throws {
            if value < 1 { throw ConfigError(field: field, expected: "a positive number", found: "\(value)") }
        }
        try positive(inputSize, "input-size")
        try positive(width, "width")
        try positive(classes, "classes")
        if parameterisation == .ntk && bias {
            throw ConfigError(field: "bias", expected: "no biases with the NTK parameterisation (pass --no-bias)", found: "biases on")
        }
        if let depth, depth < 1 || depth > Self.maximumDepth {
            throw ConfigError(field: "depth", expected: "a number of hidden layers in 1...\(Self.maximumDepth)", found: "\(depth)")
        }
        let plain = plainWeightShapes
        guard removedWeights.count == plain.count else {
            throw ConfigError(field: "removed", expected: "\(plain.count) counts (\(plain.map(\.name).joined(separator: ", ")))", found: "\(removedWeights.count)")
        }
        for (index, (removed, size)) in zip(removedWeights, plain.map(\.count)).enumerated() where removed < 0 || removed >= size {
            throw ConfigError(
                field: "removed", expected: "a count in 0...\(size - 1) for layer \(index + 1) (\(size) weights)",
                found: "\(removed)")
        }
        if let bottleneck {
            switch bottleneck.kind {
            case .linear:
                try bottleneck.validate(limits: plain.map { ($0.name, min($0.inChannels, $0.outChannels)) }, removedWeights: removedWeights)
            case .nonlinear:
                guard hiddenLayers >= 2 else {
                    throw ConfigError(field: "bottleneck.kind", expected: "linear (the non-linear bottleneck needs two or more hidden layers)", found: "'\(bottleneck.kind)'")
                }
                // The inner widths: the second hidden layer of each pair (h2, h4, ...).
                let inner = stride(from: 2, through: hiddenLayers, by: 2).map { ("h\($0)", width) }
                try bottleneck.validate(limits: inner, removedWeights: removedWeights)
            }
        }
    }

    /// The deepest MLP a config may ask for.
    public static let maximumDepth = 64
}

extension BottleneckConfig {
    /// One inner size per (name, largest size), each within 1...largest; nothing removed.
    func validate(limits: [(name: String, largest: Int)], removedWeights: [Int]) throws {
        guard innerSizes.count == limits.count else {
            throw ConfigError(field: "bottleneck.innerSizes", expected: "\(limits.count) sizes (\(limits.map(\.name).joined(separator: ", ")))",
                              found: "\(innerSizes.count)")
        }
        for ((name, largest), size) in zip(limits, innerSizes) where size < 1 || size > largest {
            throw ConfigError(field: "bottleneck.innerSizes", expected: "a size in 1...\(largest) for \(name)", found: "\(size)")
        }
        if removedWeights.contains(where: { $0 != 0 }) {
            throw ConfigError(field: "removed", expected: "no removed weights in a bottleneck model (it has no masks)",
                              found: removedWeights.map(String.init).joined(separator: ","))
        }
        if targetWeights < 1 { throw ConfigError(field: "bottleneck.targetWeights", expected: "a positive count", found: "\(targetWeights)") }
    }
}

extension ResNetModelConfig {
    /// The convolution algorithm (Winograd unless the config says otherwise).
    public var convolutionAlgorithm: ConvolutionAlgorithm { convolution ?? .winograd }

    public func validate() throws {
        for (value, field) in [(width, "width"), (inputChannels, "input-channels"), (classes, "classes")] where value < 1 {
            throw ConfigError(field: field, expected: "a positive number", found: "\(value)")
        }
        if let stageWidths, stageWidths.count != 4 || stageWidths.contains(where: { $0 < 1 }) {
            throw ConfigError(field: "stageWidths", expected: "4 positive channel counts (one per stage)", found: stageWidths.map(String.init).joined(separator: ","))
        }
        let shapes = resNet18WeightShapes(width: width, inputChannels: inputChannels, classes: classes, form: form, stageWidths: stageWidths)
        guard removedWeights.count == shapes.count else {
            throw ConfigError(field: "removed", expected: "\(shapes.count) counts (one per weight tensor)", found: "\(removedWeights.count)")
        }
        for (shape, removed) in zip(shapes, removedWeights) where removed < 0 || removed >= shape.count {
            throw ConfigError(field: "removed", expected: "a count in 0...\(shape.count - 1) for \(shape.name)", found: "\(removed)")
        }
        if let bottleneck {
            switch bottleneck.kind {
            case .linear:
                try bottleneck.validate(limits: shapes.map { ($0.name, min($0.inChannels, $0.outChannels)) }, removedWeights: removedWeights)
            case .nonlinear:
                let blocks = shapes.filter { $0.name.hasSuffix(".conv1.weight") }
                try bottleneck.validate(limits: blocks.map { (String($0.name.dropLast(".conv1.weight".count)), $0.outChannels) }, removedWeights: removedWeights)
            }
        }
    }

    /// The bottleneck of the model, if it has one.
    public var bottleneckValue: Bottleneck? { bottleneck?.sizes }
}

extension VGGModelConfig {
    public func validate() throws {
        for (value, field) in [(width, "width"), (inputChannels, "input-channels"), (classes, "classes")] where value < 1 {
            throw ConfigError(field: field, expected: "a positive number", found: "\(value)")
        }
        let shapes = vggWeightShapes(variant: variant, width: width, inputChannels: inputChannels, classes: classes)
        guard removedWeights.count == shapes.count else {
            throw ConfigError(field: "removed", expected: "\(shapes.count) counts (one per weight tensor)", found: "\(removedWeights.count)")
        }
        for (shape, removed) in zip(shapes, removedWeights) where removed < 0 || removed >= shape.count {
            throw ConfigError(field: "removed", expected: "a count in 0...\(shape.count - 1) for \(shape.name)", found: "\(removed)")
        }
        switch bottleneck?.kind {
        case .linear:
            try bottleneck!.validate(limits: shapes.map { ($0.name, min($0.inChannels, $0.outChannels)) }, removedWeights: removedWeights)
        case .nonlinear:
            // The inner widths: the outputs of the first convolution of each pair.
            let firsts = vggBottleneckPairs(variant).map { shapes[$0.first] }
            try bottleneck!.validate(limits: firsts.map { ($0.name, $0.outChannels) }, removedWeights: removedWeights)
        case nil: break
        }
    }
}

extension DataConfig {
    public func validate() throws {
        if normalisation == .fixed && !(std > 0 && std.isFinite) {
            throw ConfigError(field: "std", expected: "a positive number", found: "\(std)")
        }
        if !mean.isFinite { throw ConfigError(field: "mean", expected: "a finite number", found: "\(mean)") }
        if normalisation == .perChannel {
            guard let means = channelMeans, let stds = channelStds, means.count == stds.count, !means.isEmpty,
                  stds.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw ConfigError(
                    field: "channel-means", expected: "as many channel means as positive channel standard deviations",
                    found: "\(channelMeans?.count ?? 0) means and \(channelStds?.count ?? 0) standard deviations")
            }
        }
        if let cropPadding, cropPadding < 0 || cropPadding > 4096 {
            throw ConfigError(field: "crop-padding", expected: "0 to 4096 pixels", found: "\(cropPadding)")
        }
        if let trainSubset, trainSubset < 1 {
            throw ConfigError(field: "train-subset", expected: "a positive number of samples", found: "\(trainSubset)")
        }
        if validationSize < 0 {
            throw ConfigError(field: "validation-size", expected: "0 or more samples", found: "\(validationSize)")
        }
        if let trainSubset, validationSize >= trainSubset {
            throw ConfigError(
                field: "validation-size", expected: "fewer samples than the training subset (\(trainSubset))",
                found: "\(validationSize)")
        }
        if dataset == .imageFolder {
            if normalisation == .pixelwise {
                throw ConfigError(field: "normalise", expected: "fixed, per-channel or none for image folders", found: "pixelwise")
            }
            if cropPadding ?? 0 > 0 {
                throw ConfigError(field: "crop-padding", expected: "0 for image folders (they use RandomResizedCrop)", found: "\(cropPadding ?? 0)")
            }
            let size = imageSize ?? 224
            let resize = resizeSize ?? 256
            guard size >= 1 && size <= 16384 else { throw ConfigError(field: "image-size", expected: "1 to 16384 pixels", found: "\(size)") }
            guard resize >= size && resize <= 16384 else {
                throw ConfigError(field: "resize-size", expected: "from the image size \(size) to 16384", found: "\(resize)")
            }
            let scale = minimumCropScale ?? 0.2
            guard scale > 0 && scale <= 1 else {
                throw ConfigError(field: "min-crop-scale", expected: "an area fraction in (0, 1]", found: "\(scale)")
            }
        }
    }

    var normalisationValue: Normalisation {
        switch normalisation {
        case .pixelwise: return .pixelwise
        case .perChannel: return .perChannel(means: channelMeans ?? [], stds: channelStds ?? [])
        case .scaledOnly: return .none
        case .fixed: return .fixed(mean: mean, std: std)
        }
    }
}

extension TrainingConfig {
    public func validate() throws {
        if epochs < 1 { throw ConfigError(field: "epochs", expected: "at least 1", found: "\(epochs)") }
        if batchSize < 1 { throw ConfigError(field: "batch-size", expected: "at least 1", found: "\(batchSize)") }
        if evalBatchSize < 1 { throw ConfigError(field: "eval-batch-size", expected: "at least 1", found: "\(evalBatchSize)") }
        if !(learningRate > 0 && learningRate.isFinite) {
            throw ConfigError(field: "lr", expected: "a positive learning rate", found: "\(learningRate)")
        }
        if !(momentum >= 0 && momentum < 1) { throw ConfigError(field: "momentum", expected: "a value in [0, 1)", found: "\(momentum)") }
        if nesterov && momentum == 0 {
            throw ConfigError(field: "nesterov", expected: "a positive --momentum with Nesterov momentum", found: "momentum 0")
        }
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            throw ConfigError(field: "weight-decay", expected: "0 or a positive number", found: "\(weightDecay)")
        }
        _ = try scheduleValue()
    }

    /// The schedule named by `schedule`, checked.
    public func scheduleValue() throws -> LearningRateSchedule {
        switch schedule {
        case .constant:
            return .constant
        case .multistep:
            guard !milestones.isEmpty, zip(milestones, milestones.dropFirst()).allSatisfy({ $0 < $1 }),
                  milestones.first! > 0 else {
                throw ConfigError(
                    field: "milestones", expected: "increasing positive epochs for the multistep schedule",
                    found: milestones.isEmpty ? "none" : milestones.map(String.init).joined(separator: ","))
            }
            guard gamma > 0 && gamma.isFinite else { throw ConfigError(field: "gamma", expected: "a positive factor", found: "\(gamma)") }
            return .multiStep(milestones: milestones, gamma: gamma)
        case .cosine:
            return .cosine(epochs: epochs)
        }
    }
}
