import ArgumentParser
import Choices
import Experiments

/// The options of a convolutional model's images (train resnet18, train vgg): per-channel
/// statistics, augmentation, the convolution algorithm and image-folder input sizes.
public struct ImageOptions: ParsableArguments {
    @Option(help: "Per-channel means for --normalise per-channel, comma-separated.")
    var channelMeans: CommaList = "0.485,0.456,0.406"

    @Option(help: "Per-channel standard deviations for --normalise per-channel, comma-separated.")
    var channelStds: CommaList = "0.229,0.224,0.225"

    @Option(help: "Zero padding before a random crop back to size (default: 4 on 3-channel data, else 0).")
    var cropPadding: Int?

    @Option(help: "Random horizontal flips: on or off (default: on for 3-channel data, else off).")
    var flip: FlipChoice?

    @Option(help: "Convolutions: winograd (oneDNN's Winograd kernels for 3x3 stride-1 layers where it has them: widths divisible by 16; 2-2.8x faster, float32 rounding about 10x that of direct sums) or direct.")
    var convolution: ConvolutionAlgorithm = .winograd

    @Option(help: "Image folders: side of the square input, for training and test crops.")
    var imageSize: Int = 224

    @Option(help: "Image folders: shorter side of test images before the centre crop.")
    var resizeSize: Int = 256

    @Option(help: "Image folders: smallest area fraction of a training RandomResizedCrop.")
    var minCropScale: Double = 0.2

    public enum FlipChoice: String, ExpressibleByArgument, Sendable { case on, off }

    public init() {}

    /// Sets the recipe's image fields.
    func apply(to recipe: inout RunRecipe) throws {
        recipe.channelMeans = try channelMeans.floats(field: "--channel-means")
        recipe.channelStds = try channelStds.floats(field: "--channel-stds")
        (recipe.cropPadding, recipe.flip, recipe.convolution) = (cropPadding, flip.map { $0 == .on }, convolution)
        (recipe.imageSize, recipe.resizeSize, recipe.minCropScale) = (imageSize, resizeSize, minCropScale)
    }
}
