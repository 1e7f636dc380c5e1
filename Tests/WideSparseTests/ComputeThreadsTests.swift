import Foundation
import TensorCore
import Testing

@Suite("One thread on every thread")
struct ComputeThreadsTests {
    /// Runs `body` on a new thread, one that never set its OpenMP pool size (libgomp's default
    /// there is one thread per core), and waits for it.
    static func onFreshThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: T?
        let thread = Thread {
            result = body()
            done.signal()
        }
        thread.start()
        done.wait()
        return result!
    }

    /// A 3x3 convolution's forward output and weight gradient, kernels made and run on the calling thread.
    static func convolve() -> [Float] {
        let geometry = ConvolutionGeometry(batch: 20, inChannels: 4, outChannels: 8, inputHeight: 32, inputWidth: 32, kernel: 3, stride: 1, padding: 1)
        let kernels = ConvolutionKernels(geometry, layout: .channelsLast)
        let x = randomTensor(geometry.inputShape(in: .channelsLast), seed: 1)
        let w = randomTensor(geometry.weightShape, seed: 2)
        let dy = randomTensor(geometry.outputShape(in: .channelsLast), seed: 3)
        let y = Tensor(shape: geometry.outputShape(in: .channelsLast))
        let dw = Tensor(shape: geometry.weightShape)
        withExtendedLifetime((x, w, dy, y, dw)) {
            kernels.forward(input: x.pointer, weights: w.pointer, output: y.pointer)
            kernels.backwardWeights(input: x.pointer, outputGradient: dy.pointer, weightGradient: dw.pointer)
        }
        return y.scalars + dw.scalars
    }

    @Test("Convolution kernels made on a thread that never chose a thread count sum as those made after choosing one, bit for bit")
    func freshThreadMatches() {
        let chosen = Self.onFreshThread {
            ComputeThreads.set(1)
            return Self.convolve()
        }
        let fresh = Self.onFreshThread { Self.convolve() }
        let differing = zip(fresh, chosen).filter { $0 != $1 }.count
        #expect(fresh.count == chosen.count && differing == 0, "\(differing) of \(chosen.count) values differ")
    }
}
