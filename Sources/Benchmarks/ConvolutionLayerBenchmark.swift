import Choices
import Foundation
import TensorCore

/// One convolution layer's training work (forward, input gradient, weight gradient) timed on
/// both paths: oneDNN's dense convolution with the mask multiplied in (channels-last or blocked,
/// as the ResNet runs it) and the kept-taps kernels (`SparseConvolution`, batch innermost).
/// The decision data of issue 21: which path, at which density, for which shapes.
public struct ConvolutionLayerBenchmark: Sendable {
    public var geometry: ConvolutionGeometry
    /// Kept fraction of the weight's taps.
    public var density: Double
    public var layout: ImageLayout
    public var algorithm: ConvolutionAlgorithm
    /// Timed repetitions after two warm-ups; the median counts.
    public var repetitions: Int

    public init(geometry: ConvolutionGeometry, density: Double, layout: ImageLayout, algorithm: ConvolutionAlgorithm, repetitions: Int) {
        (self.geometry, self.density, self.layout, self.algorithm, self.repetitions) = (geometry, density, layout, algorithm, repetitions)
    }

    /// Median seconds per call of each part.
    public struct Timing: Sendable {
        public var forward: Double
        public var inputGradient: Double
        public var weightGradient: Double
        public var total: Double { forward + inputGradient + weightGradient }
    }

    /// (dense-masked, sparse) timings.
    public func measure() -> (dense: Timing, sparse: Timing) {
        let g = geometry
        var random = RandomStream(seed: 5)
        let mask = Tensor(shape: g.weightShape)
        for i in 0..<mask.count where random.nextUnitFloat() < Float(density) { mask[i] = 1 }
        let weights = Tensor(shape: g.weightShape)
        for i in 0..<weights.count { weights[i] = mask[i] * random.nextUniform(-1, 1) }
        func filled(_ count: Int) -> Tensor {
            let t = Tensor(shape: [count])
            for i in 0..<count { t[i] = random.nextUniform(-1, 1) }
            return t
        }
        let inputCount = g.inputShape.reduce(1, *), outputCount = g.outputShape.reduce(1, *)
        let (x, dy, y, dx, dw) = (filled(inputCount), filled(outputCount), filled(outputCount), filled(inputCount), filled(weights.count))

        let kernels = ConvolutionKernels(g, inputLayout: layout, outputLayout: layout, algorithm: algorithm)
        let dense = Timing(
            forward: median { kernels.forward(input: x.pointer, weights: weights.pointer, output: y.pointer) },
            inputGradient: median { kernels.backwardData(outputGradient: dy.pointer, weights: weights.pointer, inputGradient: dx.pointer) },
            // The dense path also masks the weight gradient.
            weightGradient: median {
                kernels.backwardWeights(input: x.pointer, outputGradient: dy.pointer, weightGradient: dw.pointer)
                for i in 0..<dw.count { dw.pointer[i] *= mask.pointer[i] }
            })

        let taps = ConvolutionTaps(mask: mask)
        let values = taps.gather(weights)
        let gradient = Tensor(shape: [max(1, taps.count)])
        let sparse = values.withUnsafeBufferPointer { v in
            Timing(
                forward: median { SparseConvolution.forward(taps, values: v.baseAddress!, x: x.pointer, y: y.pointer, geometry: g) },
                inputGradient: median { SparseConvolution.inputGradient(taps, values: v.baseAddress!, dy: dy.pointer, dx: dx.pointer, geometry: g) },
                weightGradient: median {
                    SparseConvolution.weightGradient(taps, x: x.pointer, dy: dy.pointer, gradient: gradient.pointer, geometry: g, accumulate: false)
                })
        }
        return (dense, sparse)
    }

    private func median(_ body: () -> Void) -> Double {
        body()
        body()
        var times: [Double] = []
        for _ in 0..<max(1, repetitions) {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
        }
        return Benchmarks.median(times)
    }
}
