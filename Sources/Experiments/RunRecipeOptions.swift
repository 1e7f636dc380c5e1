import Choices
import Foundation

/// A spec's `options`: `widesparse train` options by name (without the dashes), each setting
/// one field of a `RunRecipe` from its text. The spec's own fields (width, weights, rule, seeds,
/// dataset, ...) are not here: a spec sets them outside `options` (ExperimentSpec refuses them
/// inside). A test checks that every name is an option of `train` for the models it lists.
extension RunRecipe {
    /// One option: the models whose `train` command has it, whether it is a flag, and its setter.
    struct Option {
        let models: Set<ModelKind>
        let isFlag: Bool
        let set: (inout RunRecipe, String, Parsing) throws -> Void
    }

    /// Parses an option's text, with an error naming the spec field and the option it feeds.
    struct Parsing {
        let name: String

        func failure(_ expected: String, _ text: String) -> ConfigError {
            ConfigError(field: "options.\(name)", expected: "\(expected) (as --\(name) of widesparse train takes)", found: "'\(text)'")
        }
        func int(_ text: String) throws -> Int { guard let v = Int(text) else { throw failure("a whole number", text) }; return v }
        func double(_ text: String) throws -> Double { guard let v = Double(text) else { throw failure("a number", text) }; return v }
        func float(_ text: String) throws -> Float { guard let v = Float(text) else { throw failure("a number", text) }; return v }
        func seed(_ text: String) throws -> UInt64 { guard let v = UInt64(text) else { throw failure("a whole number of 0 or more", text) }; return v }
        func bool(_ text: String) throws -> Bool {
            guard let v = parseBoolean(text) else { throw failure("true or false (it is a flag)", text) }
            return v
        }
        func choice<T: RecordedChoice>(_ text: String, as type: T.Type) throws -> T {
            guard let v = T(rawValue: text) else { throw failure("one of \(T.names)", text) }
            return v
        }
        func ints(_ text: String) throws -> [Int] {
            guard let values = try? CommaList(text).wholeNumbers(field: name) else { throw failure("comma-separated whole numbers", text) }
            return values
        }
        func floats(_ text: String) throws -> [Float] {
            guard let values = try? CommaList(text).floats(field: name) else { throw failure("comma-separated numbers", text) }
            return values
        }
    }

    static let both = Set(ModelKind.allCases)
    /// The models that read images through convolutions.
    static let convolutional = Set(ModelKind.allCases.filter(\.isConvolutional))

    /// Every option a spec may give, by its `train` name.
    static let options: [String: Option] = [
        // Data.
        "train-subset": Option(models: both, isFlag: false) { r, t, p in r.trainSubset = try p.int(t) },
        "validation-size": Option(models: both, isFlag: false) { r, t, p in r.validationSize = try p.int(t) },
        "normalise": Option(models: both, isFlag: false) { r, t, p in r.normalise = try p.choice(t, as: NormalisationKind.self) },
        "mean": Option(models: both, isFlag: false) { r, t, p in r.mean = try p.float(t) },
        "std": Option(models: both, isFlag: false) { r, t, p in r.std = try p.float(t) },
        "channel-means": Option(models: convolutional, isFlag: false) { r, t, p in r.channelMeans = try p.floats(t) },
        "channel-stds": Option(models: convolutional, isFlag: false) { r, t, p in r.channelStds = try p.floats(t) },
        "crop-padding": Option(models: convolutional, isFlag: false) { r, t, p in r.cropPadding = try p.int(t) },
        "flip": Option(models: convolutional, isFlag: false) { r, t, p in
            guard t == "on" || t == "off" else { throw p.failure("on or off", t) }
            r.flip = t == "on"
        },
        "image-size": Option(models: convolutional, isFlag: false) { r, t, p in r.imageSize = try p.int(t) },
        "resize-size": Option(models: convolutional, isFlag: false) { r, t, p in r.resizeSize = try p.int(t) },
        "min-crop-scale": Option(models: convolutional, isFlag: false) { r, t, p in r.minCropScale = try p.double(t) },
        // Training.
        "epochs": Option(models: both, isFlag: false) { r, t, p in r.epochs = try p.int(t) },
        "batch-size": Option(models: both, isFlag: false) { r, t, p in r.batchSize = try p.int(t) },
        "eval-batch-size": Option(models: both, isFlag: false) { r, t, p in r.evalBatchSize = try p.int(t) },
        "lr": Option(models: both, isFlag: false) { r, t, p in r.lr = try p.double(t) },
        "momentum": Option(models: both, isFlag: false) { r, t, p in r.momentum = try p.double(t) },
        "nesterov": Option(models: both, isFlag: true) { r, t, p in r.nesterov = try p.bool(t) },
        "weight-decay": Option(models: both, isFlag: false) { r, t, p in r.weightDecay = try p.double(t) },
        // The schedule's message is the config's own ("schedule: expected one of ..."), as on the command line.
        "schedule": Option(models: both, isFlag: false) { r, t, _ in r.schedule = try ScheduleKind.named(t) },
        "milestones": Option(models: both, isFlag: false) { r, t, p in r.milestones = try p.ints(t) },
        "gamma": Option(models: both, isFlag: false) { r, t, p in r.gamma = try p.double(t) },
        // The MLP architecture.
        "depth": Option(models: [.mlp], isFlag: false) { r, t, p in r.depth = try p.int(t) },
        "activation": Option(models: [.mlp], isFlag: false) { r, t, p in r.activation = try p.choice(t, as: ActivationKind.self) },
        "no-bias": Option(models: [.mlp], isFlag: true) { r, t, p in r.bias = !(try p.bool(t)) },
        "batch-norm": Option(models: [.mlp], isFlag: true) { r, t, p in r.batchNorm = try p.bool(t) },
        "parameterisation": Option(models: [.mlp], isFlag: false) { r, t, p in r.parameterisation = try p.choice(t, as: Parameterisation.self) },
        "init-distribution": Option(models: [.mlp], isFlag: false) { r, t, p in r.initDistribution = try p.choice(t, as: InitDistribution.self) },
        "input-size": Option(models: [.mlp], isFlag: false) { r, t, p in r.inputSize = try p.int(t) },
        "removed": Option(models: [.mlp], isFlag: false) { r, t, p in r.removed = try p.ints(t) },
        // The convolutional architectures.
        "form": Option(models: [.resnet18], isFlag: false) { r, t, p in r.form = try p.choice(t, as: ResNetForm.self) },
        "variant": Option(models: [.vgg], isFlag: false) { r, t, p in r.variant = try p.choice(t, as: VGGVariant.self) },
        "convolution": Option(models: convolutional, isFlag: false) { r, t, p in r.convolution = try p.choice(t, as: ConvolutionAlgorithm.self) },
    ]

    /// The option names a spec may give for `model`, sorted.
    public static func optionNames(for model: ModelKind) -> [String] {
        options.filter { $0.value.models.contains(model) }.map(\.key).sorted()
    }

    /// The names of the flags (options without a value on the command line).
    public static var flagNames: [String] { options.filter(\.value.isFlag).map(\.key).sorted() }

    /// Sets the option `name` from `value` ("true"/"false" for flags); a name this model's
    /// `train` does not take, or a value it would refuse, throws a `ConfigError` naming options.<name>.
    public mutating func set(option name: String, to value: String) throws {
        guard let option = Self.options[name], option.models.contains(model) else {
            throw ConfigError(
                field: "options.\(name)",
                expected: "an option of widesparse train \(model.rawValue) that changes the run (\(Self.optionNames(for: model).joined(separator: ", ")))",
                found: "'\(name)'")
        }
        try option.set(&self, value, Parsing(name: name))
    }
}
