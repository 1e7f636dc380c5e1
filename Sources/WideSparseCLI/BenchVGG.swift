import ArgumentParser
import Benchmarks
import Choices

/// `widesparse bench vgg`: images per second of CIFAR VGG training steps, measured as
/// benchmarks/torch_vgg.py measures PyTorch's torchvision-style VGG.
public struct BenchVGG: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vgg",
        abstract: "Time CIFAR VGG-11 or VGG-16 training steps (batch 128) or inference (batch 256) on 32x32x3 images, 10 classes.",
        discussion: """
            The model of train vgg (docs/method.md section 4). Configurations and measurement as \
            bench resnet: a width followed by 'm' is masked to the weight count of --mask-base-width \
            by the level-down rule; the median clean step time is reported as images per second.
            """)

    @Option(help: "Configuration: 11 or 16.")
    var variant: VGGVariant = .vgg11

    @OptionGroup var options: ConvolutionalBenchOptions

    public init() {}

    public mutating func run() throws { try options.run(.vgg(variant)) }
}
