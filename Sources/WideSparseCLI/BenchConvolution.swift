import ArgumentParser
import Benchmarks
import Choices
import Foundation
import TensorCore

/// `widesparse bench conv`: one masked convolution layer, dense-masked against kept taps only.
extension ImageLayout: ExpressibleByArgument {}

public struct BenchConvolution: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "conv",
        abstract: "Time one masked convolution's forward, input gradient and weight gradient: oneDNN dense-masked against the kept-taps kernels.",
        discussion: """
            Each layer is given as CHANNELSxSIZE[/STRIDE][:KERNEL] (input and output channels equal, \
            square images; e.g. 64x32 is ResNet-18's first stage at width 64, 512x4 its last, \
            128x32/2:1 a shortcut). Dense runs in --layout as the ResNet does; the sparse kernels \
            hold activations as [C, H, W, N]. Medians of --repetitions after two warm-ups, in ms.
            """)

    @Option(help: "Layers, comma-separated, as CHANNELSxSIZE[/STRIDE][:KERNEL].")
    var layers: CommaList = "64x32,128x16,256x8,512x4"

    @Option(help: "Kept fraction of the taps (the weights of width 8 at width 64: about 0.016).")
    var density: Double = 0.016

    @Option(help: "Batch size.")
    var batchSize: Int = 128

    @Option(help: "Dense layout: channelsLast or blocked16.")
    var layout: ImageLayout = .channelsLast

    @Option(help: "Dense algorithm: direct or winograd (blocked16 only).")
    var convolution: ConvolutionAlgorithm = .direct

    @Option(help: "Timed repetitions per part.")
    var repetitions: Int = 5

    @OptionGroup var compute: ThreadsOption

    public init() {}

    public func validate() throws {
        // oneDNN has only reference kernels for the other layouts: minutes per call.
        guard layout == .channelsLast || layout == .blocked16 else {
            throw ValidationError("--layout: expected channelsLast or blocked16 (the layouts ResNet-18 runs dense convolutions in), found \(layout)")
        }
        guard layout != .blocked16 || ConvolutionKernels.blockedLayoutIsCompiled else {
            throw ValidationError("--layout blocked16: this CPU has no AVX-512, and oneDNN has only reference kernels for that layout without it; use channelsLast")
        }
    }

    public func run() throws {
        ComputeThreads.set(compute.threads)
        print("batch \(batchSize), density \(density), dense \(layout) \(convolution), threads \(compute.threads); ms per call")
        print("layer          dense fwd   dx      dw    total | sparse fwd  dx      dw    total | dense/sparse")
        for item in layers.items {
            let parts = item.split(whereSeparator: { "x/:".contains($0) }).compactMap { Int($0) }
            guard parts.count >= 2, item.contains("x") else {
                throw ValidationError("--layers: expected CHANNELSxSIZE[/STRIDE][:KERNEL] like 64x32 or 128x32/2:1, found '\(item)'")
            }
            let stride = item.contains("/") ? parts[2] : 1
            let kernel = item.contains(":") ? parts.last! : 3
            let geometry = ConvolutionGeometry(
                batch: batchSize, inChannels: parts[0], outChannels: parts[0], inputHeight: parts[1], inputWidth: parts[1], kernel: kernel,
                stride: stride, padding: kernel / 2)
            let (dense, sparse) = ConvolutionLayerBenchmark(
                geometry: geometry, density: density, layout: layout, algorithm: convolution, repetitions: repetitions
            ).measure()
            func ms(_ t: ConvolutionLayerBenchmark.Timing) -> String {
                String(format: "%8.2f%8.2f%8.2f%8.2f", 1e3 * t.forward, 1e3 * t.inputGradient, 1e3 * t.weightGradient, 1e3 * t.total)
            }
            print(item.padding(toLength: 13, withPad: " ", startingAt: 0) + ms(dense) + "  |" + ms(sparse) + String(format: "  |  %6.2fx", dense.total / sparse.total))
        }
    }
}
