/// The models widesparse builds (docs/method.md section 4).
public enum ModelKind: String, RecordedChoice {
    case mlp, resnet18, vgg
    public static let field = "model"

    /// Whether it reads images through convolutions (and so takes per-channel statistics,
    /// crops and flips on colour data).
    public var isConvolutional: Bool { self != .mlp }
}

/// The two VGG configurations (Simonyan and Zisserman's A and D), by their weight layers.
public enum VGGVariant: String, RecordedChoice {
    /// 8 convolutions: stages of 1, 1, 2, 2, 2.
    case vgg11 = "11"
    /// 13 convolutions: stages of 2, 2, 3, 3, 3.
    case vgg16 = "16"
    public static let field = "variant"

    /// The convolutions of each of the five stages.
    public var convolutionsPerStage: [Int] { self == .vgg11 ? [1, 1, 2, 2, 2] : [2, 2, 3, 3, 3] }

    /// "VGG-11", "VGG-16".
    public var title: String { "VGG-\(rawValue)" }
}

/// The nonlinearity between weight layers.
public enum ActivationKind: String, RecordedChoice {
    case relu, identity
    public static let field = "activation"
}

/// How a fully connected layer is parameterised (docs/method.md section 3).
public enum Parameterisation: String, RecordedChoice {
    /// PyTorch's: y = W x + b with W ~ scale 1/sqrt(effective fan-in).
    case standard
    /// y = (1/sqrt(fan_in)) W x with W ~ N(0, 1/connectivity) at kept entries; no biases.
    case ntk
    public static let field = "parameterisation"
}

/// The distribution initial weights are drawn from.
public enum InitDistribution: String, RecordedChoice {
    case uniform, normal
    public static let field = "init"
}

/// The two forms of ResNet-18.
public enum ResNetForm: String, RecordedChoice {
    /// 3x3 stride-1 stem, no max-pool (CIFAR, SVHN).
    case cifar
    /// 7x7 stride-2 stem and a 3x3 stride-2 max-pool (ImageNet).
    case imagenet
    public static let field = "form"
}

/// The two bottleneck widening methods (docs/method.md section 1).
public enum BottleneckKind: String, RecordedChoice {
    /// Every weight W (d_in x d_out) becomes the product of two factors with an inner size
    /// d_b <= min(d_in, d_out): a k x k conv d_in -> d_b then a 1 x 1 conv d_b -> d_out (a fully
    /// connected layer: d_in -> d_b -> d_out), nothing between them.
    case linear
    /// Layers change in pairs: in each ResNet BasicBlock the outer width grows and the inner width
    /// (conv1's output, conv2's input) shrinks; the ReLU between them stays.
    case nonlinear
    public static let field = "bottleneck.kind"
}

/// How the convolutions are computed.
public enum ConvolutionAlgorithm: String, RecordedChoice {
    /// Direct convolution: exact sums of products.
    case direct
    /// oneDNN's Winograd F(4x4, 3x3) where it has it (3x3, stride 1, blocked layout), direct
    /// elsewhere: 2.3-2.8x faster here, with rounding errors about 10x those of direct sums
    /// (relative ~1e-5 instead of ~1e-6 in float32).
    case winograd
    public static let field = "convolution"
}
