import TensorCore

/// Batch normalisation per channel over the batch and any spatial positions: PyTorch's
/// BatchNorm1d on [N, C] and BatchNorm2d on image batches ([N, C, H, W] or, with `layout`
/// `.channelsLast`, [N, H, W, C], `.blocked16`, or `.batchLast`, [C, H, W, N]). With the
/// channels innermost ([N, C] and channels-last) it runs RowBatchNorm's loops; batch-last
/// batches are one contiguous plane per channel, each a [H W N, 1] matrix for the same loops
/// (oneDNN has only its reference kernel for that layout); channels-first and blocked batches
/// go to oneDNN (primitives cached per shape and mode).
///
/// Training mode normalises with the batch mean and biased variance and updates the running
/// statistics with `momentum` (running variance from the unbiased batch variance, as PyTorch);
/// evaluation mode uses the running statistics. Scale starts at 1, shift at 0 (docs/method.md section 3).
/// Neither is masked nor counted as a weight.
public final class BatchNorm: Layer {
    public let name: String
    public let features: Int
    public let epsilon: Float
    public let momentum: Float
    public let layout: ImageLayout
    public let scale: Parameter
    public let shift: Parameter
    /// [features]
    public let runningMean: Tensor
    /// [features]
    public let runningVariance: Tensor

    private struct KernelKey: Hashable {
        var shape: [Int]
        var training: Bool
    }
    private var kernels: [KernelKey: BatchNormKernels] = [:]
    private let output = Tensor(shape: [0])
    private let inputGradient = Tensor(shape: [0])
    /// The statistics the last forward pass normalised with: [features] each.
    private let usedMean: Tensor
    private let usedVariance: Tensor
    /// dScale and dShift of one backward pass, before they are added to the gradients.
    private let scaleGradientScratch: Tensor
    private let shiftGradientScratch: Tensor
    private var input: Tensor?
    private var lastMode: Mode = .training

    public init(features: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, layout: ImageLayout = .channelsFirst, name: String = "bn") {
        self.name = name
        self.features = features
        self.epsilon = epsilon
        self.momentum = momentum
        self.layout = layout
        scale = Parameter(name: "\(name).weight", role: .batchNormScale, shape: [features])
        shift = Parameter(name: "\(name).bias", role: .batchNormShift, shape: [features])
        scale.value.fill(1)
        runningMean = Tensor(shape: [features], repeating: 0)
        runningVariance = Tensor(shape: [features], repeating: 1)
        usedMean = Tensor(shape: [features])
        usedVariance = Tensor(shape: [features])
        scaleGradientScratch = Tensor(shape: [features])
        shiftGradientScratch = Tensor(shape: [features])
    }

    public var parameters: [Parameter] { [scale, shift] }

    public var buffers: [(name: String, tensor: Tensor)] {
        [("\(name).running_mean", runningMean), ("\(name).running_var", runningVariance)]
    }

    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        precondition(input.shape.count == 2 || layout.isImageBatch(input.shape), "BatchNorm expects [N, C] or an image batch (\(layout)), got \(input.shape)")
        precondition(layout.channels(of: input.shape) == features, "BatchNorm expects \(features) channels (\(layout)), got shape \(input.shape)")
        let values = input.count / features
        precondition(mode == .evaluation || values > 1, "BatchNorm in training mode needs more than 1 value per channel")
        self.input = input
        lastMode = mode
        output.reshape(to: input.shape)
        if mode == .evaluation {
            usedMean.copy(from: runningMean)
            usedVariance.copy(from: runningVariance)
        }
        if isPlanes(input.shape) {
            let plane = values
            for c in 0..<features {
                if mode == .training {
                    RowBatchNorm.statistics(input.pointer + c * plane, rows: plane, channels: 1, mean: usedMean.pointer + c, variance: usedVariance.pointer + c)
                }
                RowBatchNorm.normalise(
                    input.pointer + c * plane, rows: plane, channels: 1, scale: scale.value.pointer + c, shift: shift.value.pointer + c,
                    mean: usedMean.pointer + c, variance: usedVariance.pointer + c, epsilon: epsilon, output: output.pointer + c * plane)
            }
        } else if channelsInnermost(input.shape) {
            if mode == .training {
                RowBatchNorm.statistics(input.pointer, rows: values, channels: features, mean: usedMean.pointer, variance: usedVariance.pointer)
            }
            RowBatchNorm.normalise(
                input.pointer, rows: values, channels: features, scale: scale.value.pointer, shift: shift.value.pointer,
                mean: usedMean.pointer, variance: usedVariance.pointer, epsilon: epsilon, output: output.pointer)
        } else {
            kernelsFor(input.shape, mode).forward(
                input: input.pointer, scale: scale.value.pointer, shift: shift.value.pointer,
                mean: usedMean.pointer, variance: usedVariance.pointer, output: output.pointer)
        }
        if mode == .training {
            // PyTorch keeps the unbiased variance in its running statistics.
            let unbiasing = Float(values) / Float(values - 1)
            for c in 0..<features {
                runningMean[c] = (1 - momentum) * runningMean[c] + momentum * usedMean[c]
                runningVariance[c] = (1 - momentum) * runningVariance[c] + momentum * usedVariance[c] * unbiasing
            }
        }
        return output
    }

    public func backward(_ outputGradient: Tensor, needsInputGradient: Bool) -> Tensor? {
        guard let input else { preconditionFailure("BatchNorm.backward before forward") }
        precondition(outputGradient.shape == input.shape, "gradient shape \(outputGradient.shape) != \(input.shape)")
        // dx is always computed; without a caller for it, it lands in this layer's buffer unused.
        inputGradient.reshape(to: input.shape)
        if isPlanes(input.shape) {
            let plane = input.count / features
            for c in 0..<features {
                RowBatchNorm.backward(
                    input.pointer + c * plane, outputGradient: outputGradient.pointer + c * plane, rows: plane, channels: 1,
                    scale: scale.value.pointer + c, mean: usedMean.pointer + c, variance: usedVariance.pointer + c, epsilon: epsilon,
                    training: lastMode == .training, inputGradient: inputGradient.pointer + c * plane,
                    scaleGradient: scaleGradientScratch.pointer + c, shiftGradient: shiftGradientScratch.pointer + c)
            }
        } else if channelsInnermost(input.shape) {
            RowBatchNorm.backward(
                input.pointer, outputGradient: outputGradient.pointer, rows: input.count / features, channels: features,
                scale: scale.value.pointer, mean: usedMean.pointer, variance: usedVariance.pointer, epsilon: epsilon,
                training: lastMode == .training, inputGradient: inputGradient.pointer,
                scaleGradient: scaleGradientScratch.pointer, shiftGradient: shiftGradientScratch.pointer)
        } else {
            kernelsFor(input.shape, lastMode).backward(
                input: input.pointer, outputGradient: outputGradient.pointer, scale: scale.value.pointer,
                shift: shift.value.pointer, mean: usedMean.pointer, variance: usedVariance.pointer, inputGradient: inputGradient.pointer,
                scaleGradient: scaleGradientScratch.pointer, shiftGradient: shiftGradientScratch.pointer)
        }
        add(scaleGradientScratch, into: scale)
        add(shiftGradientScratch, into: shift)
        return needsInputGradient ? inputGradient : nil
    }

    /// Batch-last images: one contiguous plane of values per channel.
    private func isPlanes(_ shape: [Int]) -> Bool { layout == .batchLast && layout.isImageBatch(shape) }

    /// [N, C] or channels-last: the tensor is a [values, C] matrix.
    private func channelsInnermost(_ shape: [Int]) -> Bool { shape.count == 2 || layout == .channelsLast }

    private func add(_ gradient: Tensor, into parameter: Parameter) {
        let total = parameter.currentGradient().pointer
        let part = gradient.pointer
        for c in 0..<features { total[c] += part[c] }
    }

    private func kernelsFor(_ shape: [Int], _ mode: Mode) -> BatchNormKernels {
        let key = KernelKey(shape: shape, training: mode == .training)
        if let cached = kernels[key] { return cached }
        let created = BatchNormKernels(shape: shape, layout: layout, epsilon: epsilon, training: key.training)
        kernels[key] = created
        return created
    }
}

/// PyTorch's names for the two uses.
public typealias BatchNorm1d = BatchNorm
public typealias BatchNorm2d = BatchNorm
