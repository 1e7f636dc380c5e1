import ArgumentParser
import Choices
import Experiments
import RunRecords
import TensorCore
import Training

/// `widesparse train vgg`: one VGG-11 or VGG-16 (CIFAR form), dense or statically sparse.
public struct TrainVGG: TrainModelCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vgg",
        abstract: "Train a VGG-11 or VGG-16 (CIFAR form), dense or sparse at a weight budget.",
        discussion: """
            The CIFAR form (docs/method.md section 4): five stages of 3x3 convolutions with width, 2, 4, 8 \
            and 8 x width channels, each followed by batch norm and ReLU, a 2x2 max-pool between \
            stages, global average pooling and one fully connected classifier. Defaults are \
            ResNet-18's CIFAR settings (the paper's Figure 6 protocol, see train resnet18), with \
            the same per-dataset normalisation and augmentation. --method: sparse (static random \
            masks, the default with a budget), linear-bottleneck (every weight a product of two \
            factors) or nonlinear-bottleneck (in each stage the convolutions pair up; each pair's \
            inner width shrinks).
            """ + examples(
                ("VGG-11 of width 32 at the weights of width 8", "widesparse train vgg --dataset fashion-mnist --width 32 --weights-of-width 8"),
                ("VGG-16 on CIFAR-10", "widesparse train vgg --variant 16 --dataset cifar10 --data-dir ~/data/cifar-10-batches-bin --width 64 --weights-of-width 8")))

    @OptionGroup public var data: DataOptions
    @OptionGroup public var training: TrainingOptions

    @Option(help: "Width: channels of the first stage (64 in the original VGG).")
    var width: Int = 8

    @Option(help: "Configuration: 11 (8 convolutions) or 16 (13 convolutions).")
    var variant: VGGVariant = .vgg11

    @OptionGroup var budget: BudgetOptions

    @Option(help: "The width where a bottleneck is unshrunk (default: --weights-of-width).")
    var baseWidth: Int?

    @Flag(help: "Remove whole k x k kernels (paper Appendix C).")
    var ioOnly = false

    @OptionGroup var images: ImageOptions
    @OptionGroup public var runDirectory: RunDirectoryOptions

    public init() {}

    public mutating func run() throws { try train() }

    public func recipe() throws -> RunRecipe {
        var recipe = try commonRecipe(.vgg)
        (recipe.width, recipe.variant, recipe.baseWidth, recipe.ioOnly) = (width, variant, baseWidth, ioOnly)
        budget.apply(to: &recipe)
        try images.apply(to: &recipe)
        return recipe
    }
}
