import Choices
import Models
import NeuralNetwork
import TensorCore
import Testing

/// x [N, C, H, W] as an [N, H, W, C] tensor.
private func channelsLast(_ x: Tensor) -> Tensor {
    let result = Tensor(shape: [0])
    convertToChannelsLast(x, into: result)
    return result
}

/// x [N, H, W, C] as an [N, C, H, W] tensor.
private func channelsFirst(_ x: Tensor) -> Tensor {
    let result = Tensor(shape: [0])
    convertToChannelsFirst(x, into: result)
    return result
}

/// x in layout `from` as a tensor in layout `to`.
private func converted(_ x: Tensor, from: ImageLayout, to: ImageLayout) -> Tensor {
    let result = Tensor(shape: [0])
    convertLayout(x, from: from, to: to, into: result)
    return result
}

private func close(_ fast: [Float], _ slow: [Float], tolerance: Float = 1e-4) -> Bool {
    fast.count == slow.count && zip(fast, slow).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

@Suite("Channels-last and blocked execution: convolution, batch norm and pooling against the loop twins")
struct ChannelsLastTests {
    @Test("Layout conversions are inverse permutations")
    func conversions() {
        let x = randomTensor([2, 3, 4, 5], seed: 1)
        let last = channelsLast(x)
        #expect(last.shape == [2, 4, 5, 3])
        #expect(last[((1 * 4 + 2) * 5 + 3) * 3 + 1] == x[((1 * 3 + 1) * 4 + 2) * 5 + 3])
        #expect(channelsFirst(last).scalars == x.scalars)
        let wide = randomTensor([2, 32, 3, 2], seed: 2)
        let blocked = converted(wide, from: .channelsFirst, to: .blocked16)
        #expect(blocked.shape == [2, 2, 3, 2, 16])
        #expect(blocked[(((1 * 2 + 1) * 3 + 2) * 2 + 1) * 16 + 3] == wide[((1 * 32 + 19) * 3 + 2) * 2 + 1])
        #expect(converted(converted(blocked, from: .blocked16, to: .channelsLast), from: .channelsLast, to: .channelsFirst).scalars == wide.scalars)
    }

    static let blockedGeometries = [
        ConvolutionGeometry(batch: 2, inChannels: 16, outChannels: 32, inputHeight: 7, inputWidth: 6, kernel: 3, stride: 1, padding: 1),
        ConvolutionGeometry(batch: 3, inChannels: 32, outChannels: 16, inputHeight: 9, inputWidth: 8, kernel: 3, stride: 2, padding: 1),
        ConvolutionGeometry(batch: 2, inChannels: 16, outChannels: 32, inputHeight: 6, inputWidth: 7, kernel: 1, stride: 2, padding: 0),
        ConvolutionGeometry(batch: 2, inChannels: 32, outChannels: 32, inputHeight: 12, inputWidth: 10, kernel: 3, stride: 1, padding: 1),
    ]

    @Test("Blocked oneDNN convolution, direct and Winograd, equals the loops", arguments: blockedGeometries, ConvolutionAlgorithm.allCases)
    func blockedConvolution(geometry: ConvolutionGeometry, algorithm: ConvolutionAlgorithm) {
        let kernels = ConvolutionKernels(geometry, layout: .blocked16, algorithm: algorithm)
        // oneDNN's f32 Winograd convolution exists for AVX-512 CPUs only; elsewhere direct is taken.
        let winograd = algorithm == .winograd && geometry.kernel == 3 && geometry.stride == 1 && cpuHasAVX512
        #expect(kernels.algorithm == (winograd ? .winograd : .direct))
        let x = randomTensor(geometry.inputShape, seed: 1)
        let w = randomTensor(geometry.weightShape, seed: 2)
        let dy = randomTensor(geometry.outputShape, seed: 3)
        let (xBlocked, dyBlocked) = (converted(x, from: .channelsFirst, to: .blocked16), converted(dy, from: .channelsFirst, to: .blocked16))
        let y = Tensor(shape: geometry.outputShape(in: .blocked16))
        let dx = Tensor(shape: geometry.inputShape(in: .blocked16))
        let dw = Tensor(shape: geometry.weightShape)
        // Raw pointers do not keep their tensors alive: hold them until the kernels are done.
        withExtendedLifetime((xBlocked, dyBlocked, w, y, dx, dw)) {
            kernels.forward(input: xBlocked.pointer, weights: w.pointer, output: y.pointer)
            kernels.backward(
                input: xBlocked.pointer, inputIsForwardInput: true, outputGradient: dyBlocked.pointer, weights: w.pointer,
                weightGradient: dw.pointer, inputGradient: dx.pointer)
        }
        // Winograd's transforms round more than direct sums: a looser, still tight, tolerance.
        let tolerance: Float = winograd ? 2e-3 : 1e-4
        #expect(close(converted(y, from: .blocked16, to: .channelsFirst).scalars,
                      ReferenceConvolution.forward(geometry, input: x.scalars, weights: w.scalars), tolerance: tolerance))
        #expect(close(converted(dx, from: .blocked16, to: .channelsFirst).scalars,
                      ReferenceConvolution.backwardData(geometry, outputGradient: dy.scalars, weights: w.scalars), tolerance: tolerance))
        #expect(close(dw.scalars, ReferenceConvolution.backwardWeights(geometry, input: x.scalars, outputGradient: dy.scalars), tolerance: tolerance))
    }

    @Test("A stem reads NCHW and writes the blocked layout, equal to the loops")
    func stemIntoBlocked() {
        let geometry = ConvolutionGeometry(batch: 2, inChannels: 3, outChannels: 16, inputHeight: 9, inputWidth: 9, kernel: 7, stride: 2, padding: 3)
        let kernels = ConvolutionKernels(geometry, inputLayout: .channelsFirst, outputLayout: .blocked16, algorithm: .direct)
        let x = randomTensor(geometry.inputShape, seed: 4)
        let w = randomTensor(geometry.weightShape, seed: 5)
        let dy = randomTensor(geometry.outputShape, seed: 6)
        let y = Tensor(shape: geometry.outputShape(in: .blocked16))
        let dw = Tensor(shape: geometry.weightShape)
        let dyBlocked = converted(dy, from: .channelsFirst, to: .blocked16)
        // Raw pointers do not keep their tensors alive: hold them until the kernels are done.
        withExtendedLifetime((x, w, y, dw, dyBlocked)) {
            kernels.forward(input: x.pointer, weights: w.pointer, output: y.pointer)
            kernels.backward(
                input: x.pointer, inputIsForwardInput: true, outputGradient: dyBlocked.pointer,
                weights: w.pointer, weightGradient: dw.pointer, inputGradient: nil)
        }
        #expect(close(converted(y, from: .blocked16, to: .channelsFirst).scalars,
                      ReferenceConvolution.forward(geometry, input: x.scalars, weights: w.scalars)))
        #expect(close(dw.scalars, ReferenceConvolution.backwardWeights(geometry, input: x.scalars, outputGradient: dy.scalars)))
    }

    @Test("Channels-last oneDNN convolution equals the loops", arguments: ConvolutionTests.geometries)
    func convolution(geometry: ConvolutionGeometry) {
        let kernels = ConvolutionKernels(geometry, layout: .channelsLast)
        let x = randomTensor(geometry.inputShape, seed: 1)
        let w = randomTensor(geometry.weightShape, seed: 2)
        let dy = randomTensor(geometry.outputShape, seed: 3)
        let (xLast, dyLast) = (channelsLast(x), channelsLast(dy))
        let y = Tensor(shape: geometry.outputShape(in: .channelsLast))
        let dx = Tensor(shape: geometry.inputShape(in: .channelsLast))
        let dw = Tensor(shape: geometry.weightShape)
        withExtendedLifetime((xLast, dyLast, w, y, dx, dw)) {
            kernels.forward(input: xLast.pointer, weights: w.pointer, output: y.pointer)
            kernels.backward(
                input: xLast.pointer, inputIsForwardInput: true, outputGradient: dyLast.pointer, weights: w.pointer,
                weightGradient: dw.pointer, inputGradient: dx.pointer)
        }
        #expect(close(channelsFirst(y).scalars, ReferenceConvolution.forward(geometry, input: x.scalars, weights: w.scalars)))
        #expect(close(channelsFirst(dx).scalars, ReferenceConvolution.backwardData(geometry, outputGradient: dy.scalars, weights: w.scalars)))
        #expect(close(dw.scalars, ReferenceConvolution.backwardWeights(geometry, input: x.scalars, outputGradient: dy.scalars)))
    }

    /// Shape [N, C, H, W] of the test batch; [N, C] when `spatial` is false.
    static let batchNormCases: [(ImageLayout, Bool, Mode)] = [
        (.channelsFirst, true, .training), (.channelsFirst, true, .evaluation),  // oneDNN
        (.channelsLast, true, .training), (.channelsLast, true, .evaluation),  // RowBatchNorm
        (.channelsFirst, false, .training), (.channelsFirst, false, .evaluation),  // [N, C]: RowBatchNorm
        (.blocked16, true, .training), (.blocked16, true, .evaluation),  // oneDNN
        (.batchLast, true, .training), (.batchLast, true, .evaluation),  // RowBatchNorm on each channel's plane
    ]

    @Test("BatchNorm forward, backward and running statistics equal the Double twin", arguments: batchNormCases)
    func batchNorm(layout: ImageLayout, spatial: Bool, mode: Mode) {
        let (n, c, h, w) = (3, layout == .blocked16 ? 32 : 5, 4, 3)
        let plainShape = spatial ? [n, c, h, w] : [n, c]
        let layer = BatchNorm(features: c, momentum: 0.25, layout: layout)
        let scale = randomTensor([c], seed: 1, low: 0.5, high: 1.5)
        let shift = randomTensor([c], seed: 2)
        layer.scale.value.copy(from: scale)
        layer.shift.value.copy(from: shift)
        layer.runningMean.copy(from: randomTensor([c], seed: 3))
        layer.runningVariance.copy(from: randomTensor([c], seed: 4, low: 0.5, high: 2))
        let (oldMean, oldVariance) = (layer.runningMean.scalars, layer.runningVariance.scalars)
        // An offset far larger than the spread: the variance must not cancel away.
        let x = randomTensor(plainShape, seed: 5, low: 100, high: 102)
        let dy = randomTensor(plainShape, seed: 6)
        let toLayer = { (t: Tensor) in spatial ? converted(t, from: .channelsFirst, to: layout) : t }
        let fromLayer = { (t: Tensor) in spatial ? converted(t, from: layout, to: .channelsFirst) : t }

        let y = fromLayer(layer.forward(toLayer(x), mode: mode).clone())
        layer.scale.zeroGradient()
        layer.shift.zeroGradient()
        let dx = fromLayer(layer.backward(toLayer(dy)).clone())

        let spatialCount = spatial ? h * w : 1
        let statistics = mode == .evaluation ? (oldMean, oldVariance) : nil
        let reference = ReferenceBatchNorm.forward(
            input: x.scalars, batch: n, channels: c, spatial: spatialCount, scale: scale.scalars, shift: shift.scalars,
            epsilon: layer.epsilon, statistics: statistics)
        let gradients = ReferenceBatchNorm.backward(
            input: x.scalars, outputGradient: dy.scalars, batch: n, channels: c, spatial: spatialCount, scale: scale.scalars,
            mean: reference.mean, variance: reference.variance, epsilon: layer.epsilon, training: mode == .training)
        #expect(close(y.scalars, reference.output, tolerance: 2e-4))
        #expect(close(dx.scalars, gradients.inputGradient, tolerance: 2e-3))
        #expect(close(layer.scale.gradient.scalars, gradients.scaleGradient, tolerance: 2e-4))
        #expect(close(layer.shift.gradient.scalars, gradients.shiftGradient, tolerance: 2e-4))
        if mode == .training {
            let values = Float(n * spatialCount)
            let expectedMean = (0..<c).map { 0.75 * oldMean[$0] + 0.25 * reference.mean[$0] }
            let expectedVariance = (0..<c).map { 0.75 * oldVariance[$0] + 0.25 * reference.variance[$0] * values / (values - 1) }
            #expect(close(layer.runningMean.scalars, expectedMean, tolerance: 1e-5))
            #expect(close(layer.runningVariance.scalars, expectedVariance, tolerance: 1e-3))
        } else {
            #expect(layer.runningMean.scalars == oldMean && layer.runningVariance.scalars == oldVariance)
        }
    }

    @Test("Channels-last layers against finite differences: Conv2d (masked, bias), BatchNorm2d, pooling, BasicBlock")
    func gradients() {
        let convolution = Conv2d(inChannels: 2, outChannels: 3, kernel: 3, stride: 2, padding: 1, bias: true, layout: .channelsLast)
        convolution.weight.value.copy(from: randomTensor(convolution.weight.value.shape, seed: 4))
        convolution.bias?.value.copy(from: randomTensor([3], seed: 5))
        let mask = Tensor(shape: convolution.weight.value.shape, repeating: 1)
        for i in stride(from: 1, to: mask.count, by: 3) { mask[i] = 0 }
        convolution.weight.setMask(mask)
        let convolutionCheck = checkGradients(convolution, input: randomTensor([2, 7, 6, 2], seed: 6))
        #expect(convolutionCheck.worstInputError < 2e-3 && convolutionCheck.worstParameterError < 2e-3)
        #expect(stride(from: 1, to: mask.count, by: 3).allSatisfy { convolutionCheck.analyticParameterGradients[0][$0] == 0 })

        for mode in [Mode.training, .evaluation] {
            let norm = BatchNorm2d(features: 3, layout: .channelsLast)
            norm.scale.value.copy(from: randomTensor([3], seed: 1, low: 0.5, high: 1.5))
            norm.runningVariance.copy(from: randomTensor([3], seed: 3, low: 0.5, high: 2))
            let check = checkGradients(norm, input: randomTensor([2, 3, 4, 3], seed: 4), mode: mode, step: 5e-3)
            #expect(check.worstInputError < 5e-3 && check.worstParameterError < 5e-3)
        }

        let distinct = Tensor(shape: [2, 5, 6, 2], scalars: RandomStream(seed: 5).permutationFloats(count: 120))
        #expect(checkGradients(MaxPool2d(kernel: 3, stride: 2, padding: 1, layout: .channelsLast), input: distinct, step: 1e-3).worstInputError < 1e-3)
        #expect(checkGradients(GlobalAveragePool(layout: .channelsLast), input: randomTensor([2, 4, 4, 3], seed: 6)).worstInputError < 1e-3)

        let block = BasicBlock(inChannels: 2, outChannels: 3, stride: 2, layout: .channelsLast, name: "b")
        var random = RandomStream(seed: 3)
        for convolution in block.convolutions { initialise(convolution, random: &random) }
        let blockCheck = checkGradients(block, input: randomTensor([3, 5, 5, 2], seed: 7), step: 3e-4)
        #expect(blockCheck.worstInputError < 2e-2 && blockCheck.worstParameterError < 2e-2)
    }

    @Test("Pooling channels-last equals pooling channels-first")
    func poolingAgrees() {
        let x = randomTensor([2, 3, 7, 6], seed: 8)
        let maxFirst = MaxPool2d(kernel: 3, stride: 2, padding: 1).forward(x, mode: .training).scalars
        let maxLast = channelsFirst(MaxPool2d(kernel: 3, stride: 2, padding: 1, layout: .channelsLast).forward(channelsLast(x), mode: .training))
        #expect(maxLast.scalars == maxFirst)
        let meanFirst = GlobalAveragePool().forward(x, mode: .training).scalars
        let meanLast = GlobalAveragePool(layout: .channelsLast).forward(channelsLast(x), mode: .training).scalars
        #expect(close(meanLast, meanFirst, tolerance: 1e-6))
        let wide = randomTensor([2, 16, 5, 6], seed: 9)
        let maxBlocked = MaxPool2d(kernel: 3, stride: 2, padding: 1, layout: .blocked16)
            .forward(converted(wide, from: .channelsFirst, to: .blocked16), mode: .training)
        #expect(converted(maxBlocked, from: .blocked16, to: .channelsFirst).scalars
            == MaxPool2d(kernel: 3, stride: 2, padding: 1).forward(wide, mode: .training).scalars)
        let meanBlocked = GlobalAveragePool(layout: .blocked16).forward(converted(wide, from: .channelsFirst, to: .blocked16), mode: .training)
        #expect(close(meanBlocked.scalars, GlobalAveragePool().forward(wide, mode: .training).scalars, tolerance: 1e-6))
    }

    static let resNetCases: [(ResNetForm, ImageLayout, ConvolutionAlgorithm)] = [
        (.cifar, .channelsLast, .direct), (.imagenet, .channelsLast, .direct),
        (.cifar, .blocked16, .direct), (.imagenet, .blocked16, .direct), (.cifar, .blocked16, .winograd),
        (.cifar, .batchLast, .direct), (.imagenet, .batchLast, .direct),
    ]

    @Test("ResNet-18 computes the same logits and gradients channels-last, blocked and batch-last as channels-first", arguments: resNetCases)
    func resNetAgrees(form: ResNetForm, layout: ImageLayout, convolution: ConvolutionAlgorithm) {
        let width = layout == .blocked16 ? 16 : 4
        let first = ResNet18(width: width, inputChannels: 2, classes: 5, form: form, layout: .channelsFirst)
        let last = ResNet18(width: width, inputChannels: 2, classes: 5, form: form, layout: layout, convolution: convolution)
        first.initialise(masterSeed: 11)
        last.initialise(masterSeed: 11)
        // Large enough that the last stage still normalises over several values per channel
        // (batch norm over 3 values amplifies rounding differences without bound).
        let side = form == .cifar ? 12 : 40
        let x = randomTensor([3, 2, side, side], seed: 9)
        let dy = randomTensor([3, 5], seed: 10)
        for model in [first, last] as [ResNet18] {
            for parameter in model.parameters { parameter.zeroGradient() }
        }
        let tolerance: Float = convolution == .winograd ? 1e-2 : 1e-3
        let logits = last.forward(x, mode: .training).scalars
        #expect(close(logits, first.forward(x, mode: .training).scalars, tolerance: tolerance / 10))
        _ = first.backward(dy, needsInputGradient: false)
        _ = last.backward(dy, needsInputGradient: false)
        /// The largest difference relative to the largest entry: rounding differs between layouts.
        func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
            let scale = max(b.map(abs).max() ?? 0, 1e-6)
            return zip(a, b).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
        }
        for (a, b) in zip(last.parameters, first.parameters) {
            let difference = relativeDifference(a.currentGradient().scalars, b.currentGradient().scalars)
            #expect(difference < tolerance, "\(a.name): relative difference \(difference)")
        }
        for (a, b) in zip(last.buffers, first.buffers) {
            let difference = relativeDifference(a.tensor.scalars, b.tensor.scalars)
            #expect(difference < tolerance / 10, "\(a.name): relative difference \(difference)")
        }
    }
}

extension ImageLayout: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}

extension ConvolutionAlgorithm: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}

@Suite("Row batch norm at small and odd channel counts (rows taken lcm(C, 16) values at a time)")
struct RowBatchNormTests {
    @Test("Statistics, normalisation and both gradients equal the Double twin", arguments: [(8, 37), (12, 29), (18, 41), (16, 7), (5, 3), (36, 100)])
    func againstTwin(channels: Int, rows: Int) {
        let x = randomTensor([rows, channels], seed: 21, low: 50, high: 52)
        let dy = randomTensor([rows, channels], seed: 22)
        let scale = randomTensor([channels], seed: 23, low: 0.5, high: 1.5)
        let shift = randomTensor([channels], seed: 24)
        let (mean, variance) = (Tensor(shape: [channels]), Tensor(shape: [channels]))
        RowBatchNorm.statistics(x.pointer, rows: rows, channels: channels, mean: mean.pointer, variance: variance.pointer)
        let y = Tensor(shape: [rows, channels])
        RowBatchNorm.normalise(
            x.pointer, rows: rows, channels: channels, scale: scale.pointer, shift: shift.pointer, mean: mean.pointer,
            variance: variance.pointer, epsilon: 1e-5, output: y.pointer)
        let (dx, dScale, dShift) = (Tensor(shape: [rows, channels]), Tensor(shape: [channels]), Tensor(shape: [channels]))
        RowBatchNorm.backward(
            x.pointer, outputGradient: dy.pointer, rows: rows, channels: channels, scale: scale.pointer, mean: mean.pointer,
            variance: variance.pointer, epsilon: 1e-5, training: true, inputGradient: dx.pointer, scaleGradient: dScale.pointer,
            shiftGradient: dShift.pointer)
        // [rows, C] is [N, C] with one spatial position.
        let reference = ReferenceBatchNorm.forward(
            input: x.scalars, batch: rows, channels: channels, spatial: 1, scale: scale.scalars, shift: shift.scalars, epsilon: 1e-5,
            statistics: nil)
        let gradients = ReferenceBatchNorm.backward(
            input: x.scalars, outputGradient: dy.scalars, batch: rows, channels: channels, spatial: 1, scale: scale.scalars,
            mean: reference.mean, variance: reference.variance, epsilon: 1e-5, training: true)
        #expect(close(mean.scalars, reference.mean, tolerance: 1e-5))
        #expect(close(variance.scalars, reference.variance, tolerance: 1e-4))
        #expect(close(y.scalars, reference.output, tolerance: 2e-4))
        #expect(close(dx.scalars, gradients.inputGradient, tolerance: 2e-3))
        #expect(close(dScale.scalars, gradients.scaleGradient, tolerance: 2e-4))
        #expect(close(dShift.scalars, gradients.shiftGradient, tolerance: 2e-4))
    }
}
