import Choices
import Models
import Sparsity
import NeuralNetwork
import TensorCore
import Testing

@Suite("Sparse convolutions: kept taps only, batch innermost, against the loop twin of the masked dense convolution")
struct SparseConvolutionTests {
    /// (geometry, density): odd channel counts (3, 8, 18, 36), strides 1 and 2, 1x1 and 3x3 with
    /// and without padding, the 3x3 stem, batches that exercise every lane block (64, 16, 1).
    static let cases: [(ConvolutionGeometry, Double)] = [
        (ConvolutionGeometry(batch: 2, inChannels: 3, outChannels: 8, inputHeight: 7, inputWidth: 6, kernel: 3, stride: 1, padding: 1), 0.5),
        (ConvolutionGeometry(batch: 17, inChannels: 8, outChannels: 18, inputHeight: 6, inputWidth: 6, kernel: 3, stride: 2, padding: 1), 0.1),
        (ConvolutionGeometry(batch: 81, inChannels: 18, outChannels: 36, inputHeight: 4, inputWidth: 5, kernel: 1, stride: 2, padding: 0), 0.2),
        (ConvolutionGeometry(batch: 64, inChannels: 36, outChannels: 18, inputHeight: 4, inputWidth: 4, kernel: 3, stride: 1, padding: 1), 0.01),
        (ConvolutionGeometry(batch: 3, inChannels: 36, outChannels: 36, inputHeight: 5, inputWidth: 5, kernel: 3, stride: 1, padding: 0), 0.001),
        (ConvolutionGeometry(batch: 130, inChannels: 3, outChannels: 8, inputHeight: 9, inputWidth: 8, kernel: 7, stride: 2, padding: 3), 0.3),
    ]

    /// A mask keeping about `density` of the taps (at least one), with output channel 0 and
    /// input channel 1 (when there are two) left empty.
    static func mask(_ g: ConvolutionGeometry, density: Double, seed: UInt64) -> Tensor {
        var random = RandomStream(seed: seed)
        let mask = Tensor(shape: g.weightShape)
        let perOutput = g.inChannels * g.kernel * g.kernel
        for i in 0..<mask.count where random.nextUnitFloat() < Float(density) {
            let (o, c) = (i / perOutput, (i % perOutput) / (g.kernel * g.kernel))
            if o != 0 && !(c == 1 && g.inChannels > 1) { mask[i] = 1 }
        }
        if mask.scalars.allSatisfy({ $0 == 0 }) { mask[mask.count - 1] = 1 }
        return mask
    }

    /// [N, F] <-> [F, N].
    static func transposed(_ values: [Float], rows: Int, columns: Int) -> Tensor {
        let result = Tensor(shape: [columns, rows])
        for r in 0..<rows { for c in 0..<columns { result[c * rows + r] = values[r * columns + c] } }
        return result
    }

    @Test("Forward, input gradient and weight gradient equal the masked dense loops", arguments: 0..<cases.count)
    func matchesTwin(index: Int) {
        let (g, density) = Self.cases[index]
        let mask = Self.mask(g, density: density, seed: UInt64(index))
        let dense = randomTensor(g.weightShape, seed: 2)
        for i in 0..<dense.count { dense[i] *= mask[i] }
        let taps = ConvolutionTaps(mask: mask)
        #expect(taps.count == mask.scalars.filter { $0 != 0 }.count)
        let values = taps.gather(dense)
        #expect(taps.scatter(values).scalars == dense.scalars)

        let x = randomTensor(g.inputShape, seed: 3)
        let dy = randomTensor(g.outputShape, seed: 4)
        let inputFeatures = g.inChannels * g.inputHeight * g.inputWidth
        let outputFeatures = g.outChannels * g.outputHeight * g.outputWidth
        let xT = Self.transposed(x.scalars, rows: g.batch, columns: inputFeatures)
        let dyT = Self.transposed(dy.scalars, rows: g.batch, columns: outputFeatures)
        let yT = Tensor(shape: [outputFeatures, g.batch], repeating: .nan)
        let dxT = Tensor(shape: [inputFeatures, g.batch], repeating: .nan)
        var gradient = [Float](repeating: 0.5, count: taps.count)
        values.withUnsafeBufferPointer { v in
            SparseConvolution.forward(taps, values: v.baseAddress!, x: xT.pointer, y: yT.pointer, geometry: g)
            SparseConvolution.inputGradient(taps, values: v.baseAddress!, dy: dyT.pointer, dx: dxT.pointer, geometry: g)
        }
        SparseConvolution.weightGradient(taps, x: xT.pointer, dy: dyT.pointer, gradient: &gradient, geometry: g, accumulate: true)

        func close(_ fast: [Float], _ slow: [Float]) -> Bool {
            fast.count == slow.count && zip(fast, slow).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) }
        }
        let y = ReferenceConvolution.forward(g, input: x.scalars, weights: dense.scalars)
        let dx = ReferenceConvolution.backwardData(g, outputGradient: dy.scalars, weights: dense.scalars)
        let dw = Tensor(shape: g.weightShape)
        for (i, value) in ReferenceConvolution.backwardWeights(g, input: x.scalars, outputGradient: dy.scalars).enumerated() { dw[i] = value }
        #expect(close(Self.transposed(yT.scalars, rows: outputFeatures, columns: g.batch).scalars, y))
        #expect(close(Self.transposed(dxT.scalars, rows: inputFeatures, columns: g.batch).scalars, dx))
        #expect(close(gradient, taps.gather(dw).map { $0 + 0.5 }))
        // An empty output channel gives exact zeros; an empty input channel gets an exact zero gradient.
        #expect((0..<(g.outputHeight * g.outputWidth * g.batch)).allSatisfy { yT[$0] == 0 })
        if g.inChannels > 1 {
            let plane = g.inputHeight * g.inputWidth * g.batch
            #expect((plane..<(2 * plane)).allSatisfy { dxT[$0] == 0 })
        }
    }
}

@Suite("SparseConv2d: the kept-taps layer against the masked dense Conv2d and finite differences")
struct SparseConv2dTests {
    /// A masked dense Conv2d in the batch-last layout, and the same layer on its kept taps.
    static func pair(kernel: Int, stride step: Int, padding: Int, bias: Bool) -> (Conv2d, SparseConv2d) {
        let dense = Conv2d(inChannels: 3, outChannels: 5, kernel: kernel, stride: step, padding: padding, bias: bias, layout: .batchLast)
        dense.weight.value.copy(from: randomTensor(dense.weight.value.shape, seed: 4))
        dense.bias?.value.copy(from: randomTensor([5], seed: 5))
        let mask = Tensor(shape: dense.weight.value.shape, repeating: 1)
        for i in stride(from: 1, to: mask.count, by: 3) { mask[i] = 0 }
        dense.weight.setMask(mask)
        return (dense, SparseConv2d(converting: dense))
    }

    @Test("Forward, both gradients and the stored weights equal the masked dense layer (3x3 s1, 3x3 s2, 1x1 s2, 7x7 s2)",
          arguments: [(3, 1, 1, true), (3, 2, 1, false), (1, 2, 0, false), (7, 2, 3, true)])
    func equalsDense(kernel: Int, stride: Int, padding: Int, bias: Bool) {
        let (dense, sparse) = Self.pair(kernel: kernel, stride: stride, padding: padding, bias: bias)
        // Only kept weights are stored: there are no masked entries to keep at zero.
        #expect(sparse.weight.value.count == dense.weight.mask!.scalars.filter { $0 != 0 }.count)
        #expect(sparse.denseWeight.scalars == dense.weight.value.scalars)
        let x = randomTensor([3, 9, 8, 6], seed: 6)
        let y = dense.forward(x, mode: .training).scalars
        let ySparse = sparse.forward(x, mode: .training).scalars
        #expect(zip(ySparse, y).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        let dy = randomTensor(dense.forward(x, mode: .training).shape, seed: 7)
        for parameter in dense.parameters + sparse.parameters { parameter.zeroGradient() }
        let dx = dense.backward(dy, needsInputGradient: true)!.scalars
        let dxSparse = sparse.backward(dy, needsInputGradient: true)!.scalars
        #expect(zip(dxSparse, dx).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        let dw = sparse.taps.gather(dense.weight.gradient)
        #expect(zip(sparse.weight.gradient.scalars, dw).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        if bias { #expect(zip(sparse.bias!.gradient.scalars, dense.bias!.gradient.scalars).allSatisfy { abs($0 - $1) <= 1e-3 }) }
    }

    @Test("Gradients against finite differences, with and without bias", arguments: [(3, 1, 1, true), (3, 2, 1, false), (1, 2, 0, true)])
    func finiteDifferences(kernel: Int, stride: Int, padding: Int, bias: Bool) {
        let (_, sparse) = Self.pair(kernel: kernel, stride: stride, padding: padding, bias: bias)
        let check = checkGradients(sparse, input: randomTensor([3, 7, 6, 2], seed: 8))
        #expect(check.worstInputError < 2e-3)
        #expect(check.worstParameterError < 2e-3)
    }
}

@Suite("ResNet-18 on kept taps: the same step as the masked dense model")
struct KeptTapsResNetTests {
    @Test("Logits, input-side gradients and every kept weight's gradient match the masked dense batch-last model; no masked weight is stored")
    func sameStep() throws {
        func model() -> ResNet18 {
            let model = ResNet18(width: 4, inputChannels: 2, classes: 5, layout: .batchLast)
            let shapes = model.weightParameters.map(\.shape)
            let removals = try! RemovalRule.levelDown.removals(total: shapes.map(\.count).reduce(0, +) / 2, layers: shapes)
            applyMasks(to: model.weightParameters, removals: removals, pattern: .allEntries, masterSeed: 3)
            model.initialise(masterSeed: 4)
            return model
        }
        let (dense, kept) = (model(), model())
        // Kept weights per convolution (one without removals has no mask: all kept).
        let keptCounts = dense.convolutions.map { $0.weight.mask?.scalars.filter { $0 != 0 }.count ?? $0.weight.value.count }
        kept.useKeptTaps()
        #expect(kept.runsOnKeptTaps)
        let x = randomTensor([6, 2, 12, 12], seed: 5)
        let dy = randomTensor([6, 5], seed: 6)
        for parameter in dense.parameters + kept.parameters { parameter.zeroGradient() }
        let logits = dense.forward(x, mode: .training).scalars
        let keptLogits = kept.forward(x, mode: .training).scalars
        #expect(zip(keptLogits, logits).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        _ = dense.backward(dy, needsInputGradient: false)
        _ = kept.backward(dy, needsInputGradient: false)
        // The kept-taps layers hold exactly the kept weights: nothing masked is stored.
        let keptLayers = ([kept.stem] + kept.blocks.flatMap(\.factorisedConvolutions)).map { $0.keptTaps! }
        #expect(keptLayers.map(\.weight.value.count) == keptCounts)
        for (layer, convolution) in zip(keptLayers, dense.convolutions) {
            let expected = layer.taps.gather(convolution.weight.gradient)
            let scale = max(expected.map(abs).max() ?? 0, 1e-6)
            #expect(zip(layer.weight.gradient.scalars, expected).allSatisfy { abs($0 - $1) <= 1e-3 * scale })
        }
    }
}
