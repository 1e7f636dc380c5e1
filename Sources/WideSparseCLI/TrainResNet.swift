import ArgumentParser
import Choices
import Datasets
import Experiments
import Foundation
import Models
import NeuralNetwork
import RunRecords
import Sparsity
import TensorCore
import Training
import Widening

/// `widesparse train resnet18`: one ResNet-18, dense or statically sparse.
public struct TrainResNet: TrainModelCommand {
    public static let configuration = CommandConfiguration(
        commandName: "resnet18",
        abstract: "Train a ResNet-18 (CIFAR or ImageNet form), dense or sparse at a weight budget.",
        discussion: """
            Defaults are the paper's CIFAR settings (docs/method.md section 5): SGD with momentum 0.9, weight \
            decay 5e-4, lr 0.1 divided by 10 at epochs 50, 120 and 200, batch 128, 300 epochs; on \
            3-channel data (cifar10, cifar100, svhn) per-channel normalisation with means \
            0.485,0.456,0.406 and standard deviations 0.229,0.224,0.225, a 4-pixel padded random crop \
            and horizontal flips. On the 1-channel MNIST family: fixed normalisation, no augmentation. \
            On image-folder data (ImageNet's layout, use --form imagenet), the paper's ImageNet inputs: \
            RandomResizedCrop(224, scale 0.2..1) and flips for training, resize 256 and centre crop 224 \
            for testing, decoded for every batch on a background thread (pass --lr, --weight-decay \
            1e-4, --schedule cosine and --epochs 150 for the paper's ImageNet schedule).
            --method chooses how the wider model keeps the budget: sparse (static random masks, \
            the default with a budget), linear-bottleneck (every weight a product of two factors) or \
            nonlinear-bottleneck (each block's inner width shrinks), docs/method.md section 1.
            """ + examples(
                ("width 32 at the weights of width 8", "widesparse train resnet18 --dataset fashion-mnist --width 32 --weights-of-width 8"),
                ("the same budget as a linear bottleneck", "widesparse train resnet18 --dataset fashion-mnist --width 32 --weights-of-width 8 --method linear-bottleneck"),
                ("CIFAR-10 for 300 epochs (the paper's Figure 6 settings are the defaults)", "widesparse train resnet18 --dataset cifar10 --data-dir ~/data/cifar-10-batches-bin --width 64 --weights-of-width 8")))

    @OptionGroup public var data: DataOptions
    @OptionGroup public var training: TrainingOptions

    @Option(help: "Width: channels of the stem convolution.")
    var width: Int = 8

    @Option(help: "Form: cifar (3x3 stem) or imagenet (7x7 stem and max-pool).")
    var form: ResNetForm = .cifar

    @OptionGroup var budget: BudgetOptions

    @Option(help: "Widen only these stages (e.g. 4, or 1,2): the others keep the channels of the base width (--base-width, or --weights-of-width's width). Default: all four.")
    var widenStages: CommaList?

    @Option(help: "The width whose channels the stages not in --widen-stages keep, and where a bottleneck is unshrunk (default: --weights-of-width).")
    var baseWidth: Int?

    @Flag(help: "Remove whole k x k kernels (paper Appendix C).")
    var ioOnly = false

    @OptionGroup var images: ImageOptions

    @OptionGroup public var runDirectory: RunDirectoryOptions

    public init() {}

    public mutating func run() throws { try train() }

    public func recipe() throws -> RunRecipe {
        var recipe = try commonRecipe(.resnet18)
        recipe.widenStages = try widenStages?.wholeNumbers(field: "--widen-stages")
        (recipe.width, recipe.form, recipe.baseWidth, recipe.ioOnly) = (width, form, baseWidth, ioOnly)
        budget.apply(to: &recipe)
        try images.apply(to: &recipe)
        return recipe
    }
}
