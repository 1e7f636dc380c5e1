import NeuralNetwork
import TensorCore
import Testing

@Suite("Convolution: oneDNN against the loop twin, and gradient checks")
struct ConvolutionTests {
    static let geometries = [
        ConvolutionGeometry(batch: 2, inChannels: 3, outChannels: 5, inputHeight: 7, inputWidth: 6, kernel: 3, stride: 1, padding: 1),
        ConvolutionGeometry(batch: 3, inChannels: 4, outChannels: 2, inputHeight: 9, inputWidth: 8, kernel: 3, stride: 2, padding: 1),
        ConvolutionGeometry(batch: 2, inChannels: 5, outChannels: 3, inputHeight: 6, inputWidth: 7, kernel: 1, stride: 2, padding: 0),
        ConvolutionGeometry(batch: 1, inChannels: 2, outChannels: 4, inputHeight: 11, inputWidth: 9, kernel: 7, stride: 2, padding: 3),
    ]

    @Test("Forward, backward data and backward weights equal the loops", arguments: geometries)
    func matchesTwin(geometry: ConvolutionGeometry) {
        let kernels = ConvolutionKernels(geometry)
        let x = randomTensor(geometry.inputShape, seed: 1)
        let w = randomTensor(geometry.weightShape, seed: 2)
        let dy = randomTensor(geometry.outputShape, seed: 3)
        let y = Tensor(shape: geometry.outputShape)
        let dx = Tensor(shape: geometry.inputShape)
        let dw = Tensor(shape: geometry.weightShape)
        kernels.forward(input: x.pointer, weights: w.pointer, output: y.pointer)
        kernels.backwardData(outputGradient: dy.pointer, weights: w.pointer, inputGradient: dx.pointer)
        kernels.backwardWeights(input: x.pointer, outputGradient: dy.pointer, weightGradient: dw.pointer)
        func close(_ fast: Tensor, _ slow: [Float]) -> Bool {
            zip(fast.scalars, slow).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }
        }
        #expect(close(y, ReferenceConvolution.forward(geometry, input: x.scalars, weights: w.scalars)))
        #expect(close(dx, ReferenceConvolution.backwardData(geometry, outputGradient: dy.scalars, weights: w.scalars)))
        #expect(close(dw, ReferenceConvolution.backwardWeights(geometry, input: x.scalars, outputGradient: dy.scalars)))

        // The combined step: dy converted once, x's conversion reused from the forward call.
        dx.fill(0)
        dw.fill(0)
        kernels.forward(input: x.pointer, weights: w.pointer, output: y.pointer)
        kernels.backward(
            input: x.pointer, inputIsForwardInput: true, outputGradient: dy.pointer, weights: w.pointer,
            weightGradient: dw.pointer, inputGradient: dx.pointer)
        #expect(close(dx, ReferenceConvolution.backwardData(geometry, outputGradient: dy.scalars, weights: w.scalars)))
        #expect(close(dw, ReferenceConvolution.backwardWeights(geometry, input: x.scalars, outputGradient: dy.scalars)))
    }

    @Test("Conv2d gradients against finite differences (3x3 s1, 3x3 s2, 1x1, 7x7 s2; with and without mask and bias)",
          arguments: [(3, 1, 1, false, false), (3, 2, 1, true, false), (1, 2, 0, false, true), (7, 2, 3, true, true)])
    func gradients(kernel: Int, step: Int, padding: Int, masked: Bool, bias: Bool) {
        let layer = Conv2d(inChannels: 2, outChannels: 3, kernel: kernel, stride: step, padding: padding, bias: bias)
        layer.weight.value.copy(from: randomTensor(layer.weight.value.shape, seed: 4))
        layer.bias?.value.copy(from: randomTensor([3], seed: 5))
        if masked {
            let mask = Tensor(shape: layer.weight.value.shape, repeating: 1)
            for i in stride(from: 1, to: mask.count, by: 4) { mask[i] = 0 }
            layer.weight.setMask(mask)
        }
        let check = checkGradients(layer, input: randomTensor([2, 2, 7, 6], seed: 6))
        #expect(check.worstInputError < 2e-3)
        #expect(check.worstParameterError < 2e-3)
        if masked {
            let gradient = check.analyticParameterGradients[0]
            #expect(stride(from: 1, to: gradient.count, by: 4).allSatisfy { gradient[$0] == 0 })
        }
    }
}

extension ConvolutionGeometry: CustomTestStringConvertible {
    public var testDescription: String {
        "\(batch)x\(inChannels)x\(inputHeight)x\(inputWidth) -> \(outChannels), k\(kernel) s\(stride) p\(padding)"
    }
}
