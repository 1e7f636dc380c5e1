import CDNNL

extension ImageLayout {
    /// oneDNN's format tag for an image batch in this layout (its dims are always NCHW).
    var oneDNNTag: dnnl_format_tag_t {
        switch self {
        case .channelsFirst: return dnnl_abcd
        case .channelsLast: return dnnl_acdb
        case .blocked16: return dnnl_aBcd16b
        case .batchLast: return dnnl_bcda
        }
    }
}

/// oneDNN's batch normalisation (forward and backward) for one tensor shape, layout and mode,
/// created once and reused every step. The tensor is [N, C] or an image batch in `layout`;
/// statistics are per channel over everything else. Scale, shift, mean and variance are [C].
///
/// Training mode normalises with the batch mean and biased variance and writes them out;
/// evaluation mode reads them (the running statistics) instead.
public final class BatchNormKernels {
    public let shape: [Int]
    public let channels: Int
    public let isTraining: Bool
    private let forwardPrimitive: Primitive
    private let backwardPrimitive: Primitive
    private let data: dnnl_memory_desc_t
    private let vector: dnnl_memory_desc_t

    public init(shape: [Int], layout: ImageLayout, epsilon: Float, training: Bool) {
        precondition(shape.count == 2 || layout.isImageBatch(shape), "batch norm needs [N, C] or an image batch, got \(shape)")
        self.shape = shape
        self.channels = layout.channels(of: shape)
        self.isTraining = training
        if layout.isImageBatch(shape) {
            let (n, c, h, w) = layout.dimensions(of: shape)
            data = OneDNN.descriptor([n, c, h, w], tag: layout.oneDNNTag)
        } else {
            data = OneDNN.plainDescriptor(shape)
        }
        vector = OneDNN.plainDescriptor([channels])
        var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        if !training { flags |= dnnl_use_global_stats.rawValue }

        var dataDescriptor = data
        var forwardDescriptor = dnnl_batch_normalization_desc_t()
        OneDNN.check(dnnl_batch_normalization_forward_desc_init(
            &forwardDescriptor, dnnl_forward_training, &dataDescriptor, epsilon, flags), "batch norm forward descriptor")
        let forward = OneDNN.primitiveDescriptor(&forwardDescriptor, hint: nil, "batch norm forward")
        var backwardDescriptor = dnnl_batch_normalization_desc_t()
        var gradientDescriptor = data
        OneDNN.check(dnnl_batch_normalization_backward_desc_init(
            &backwardDescriptor, dnnl_backward, &gradientDescriptor, &dataDescriptor, epsilon, flags), "batch norm backward descriptor")
        let backward = OneDNN.primitiveDescriptor(&backwardDescriptor, hint: forward, "batch norm backward")
        forwardPrimitive = Primitive(forward, "batch norm forward primitive")
        backwardPrimitive = Primitive(backward, "batch norm backward primitive")
        dnnl_primitive_desc_destroy(forward)
        dnnl_primitive_desc_destroy(backward)
    }

    /// y = scale * (x - mean) / sqrt(variance + eps) + shift. Training mode writes the batch mean
    /// and biased variance into `mean` and `variance`; evaluation mode reads them.
    public func forward(
        input: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>, shift: UnsafeMutablePointer<Float>,
        mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>, output: UnsafeMutablePointer<Float>
    ) {
        forwardPrimitive.execute([
            (DNNL_ARG_SRC, data, UnsafeMutableRawPointer(input)),
            (DNNL_ARG_DST, data, UnsafeMutableRawPointer(output)),
            (DNNL_ARG_SCALE, vector, UnsafeMutableRawPointer(scale)),
            (DNNL_ARG_SHIFT, vector, UnsafeMutableRawPointer(shift)),
            (DNNL_ARG_MEAN, vector, UnsafeMutableRawPointer(mean)),
            (DNNL_ARG_VARIANCE, vector, UnsafeMutableRawPointer(variance)),
        ])
    }

    /// Overwrites dx, dScale and dShift for the forward pass that used `mean` and `variance`.
    /// Training mode differentiates through the batch statistics; evaluation mode treats them as
    /// constants (dx = scale * dy / sqrt(variance + eps)).
    public func backward(
        input: UnsafeMutablePointer<Float>, outputGradient: UnsafeMutablePointer<Float>, scale: UnsafeMutablePointer<Float>,
        shift: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, variance: UnsafeMutablePointer<Float>, inputGradient: UnsafeMutablePointer<Float>,
        scaleGradient: UnsafeMutablePointer<Float>, shiftGradient: UnsafeMutablePointer<Float>
    ) {
        backwardPrimitive.execute([
            (DNNL_ARG_SRC, data, UnsafeMutableRawPointer(input)),
            (DNNL_ARG_DIFF_DST, data, UnsafeMutableRawPointer(outputGradient)),
            (DNNL_ARG_SCALE, vector, UnsafeMutableRawPointer(scale)),
            // Not read by the maths, but oneDNN 2.6 requires it whenever the shift is in use.
            (DNNL_ARG_SHIFT, vector, UnsafeMutableRawPointer(shift)),
            (DNNL_ARG_MEAN, vector, UnsafeMutableRawPointer(mean)),
            (DNNL_ARG_VARIANCE, vector, UnsafeMutableRawPointer(variance)),
            (DNNL_ARG_DIFF_SRC, data, UnsafeMutableRawPointer(inputGradient)),
            (DNNL_ARG_DIFF_SCALE, vector, UnsafeMutableRawPointer(scaleGradient)),
            (DNNL_ARG_DIFF_SHIFT, vector, UnsafeMutableRawPointer(shiftGradient)),
        ])
    }
}

/// The slow, obvious twin of batch normalisation on [N, C, spatial...] arrays (channels-first),
/// accumulating in Double. Used by the tests as the reference.
public enum ReferenceBatchNorm {
    /// (output, mean, biased variance); in evaluation mode `statistics` supplies mean and variance.
    public static func forward(
        input x: [Float], batch: Int, channels: Int, spatial: Int, scale: [Float], shift: [Float], epsilon: Float,
        statistics: (mean: [Float], variance: [Float])? = nil
    ) -> (output: [Float], mean: [Float], variance: [Float]) {
        var output = [Float](repeating: 0, count: x.count)
        var means = [Float](repeating: 0, count: channels)
        var variances = [Float](repeating: 0, count: channels)
        let count = Double(batch * spatial)
        for c in 0..<channels {
            let indices = channelIndices(c, batch: batch, channels: channels, spatial: spatial)
            if let statistics {
                means[c] = statistics.mean[c]
                variances[c] = statistics.variance[c]
            } else {
                var sum = 0.0
                for i in indices { sum += Double(x[i]) }
                let mean = sum / count
                var squares = 0.0
                for i in indices { squares += (Double(x[i]) - mean) * (Double(x[i]) - mean) }
                means[c] = Float(mean)
                variances[c] = Float(squares / count)
            }
            let inverseStd = 1 / (Double(variances[c]) + Double(epsilon)).squareRoot()
            for i in indices {
                let normalised = (Double(x[i]) - Double(means[c])) * inverseStd
                output[i] = Float(Double(scale[c]) * normalised + Double(shift[c]))
            }
        }
        return (output, means, variances)
    }

    /// (dx, dScale, dShift) given the forward's input, mean and variance; `training` says
    /// whether the statistics were the batch's own (and so depend on x).
    public static func backward(
        input x: [Float], outputGradient dy: [Float], batch: Int, channels: Int, spatial: Int, scale: [Float],
        mean: [Float], variance: [Float], epsilon: Float, training: Bool
    ) -> (inputGradient: [Float], scaleGradient: [Float], shiftGradient: [Float]) {
        var dx = [Float](repeating: 0, count: x.count)
        var dScale = [Float](repeating: 0, count: channels)
        var dShift = [Float](repeating: 0, count: channels)
        let count = Double(batch * spatial)
        for c in 0..<channels {
            let indices = channelIndices(c, batch: batch, channels: channels, spatial: spatial)
            let inverseStd = 1 / (Double(variance[c]) + Double(epsilon)).squareRoot()
            let xHat = { (i: Int) -> Double in (Double(x[i]) - Double(mean[c])) * inverseStd }
            var sumDy = 0.0
            var sumDyXHat = 0.0
            for i in indices {
                sumDy += Double(dy[i])
                sumDyXHat += Double(dy[i]) * xHat(i)
            }
            dScale[c] = Float(sumDyXHat)
            dShift[c] = Float(sumDy)
            let factor = Double(scale[c]) * inverseStd
            for i in indices {
                // Training: dx = scale/sigma * (dy - mean(dy) - xHat * mean(dy * xHat)).
                let centred: Double = training ? Double(dy[i]) - sumDy / count - xHat(i) * sumDyXHat / count : Double(dy[i])
                dx[i] = Float(factor * centred)
            }
        }
        return (dx, dScale, dShift)
    }

    /// The flat indices of channel c in a [batch, channels, spatial] array.
    private static func channelIndices(_ c: Int, batch: Int, channels: Int, spatial: Int) -> [Int] {
        var indices: [Int] = []
        for n in 0..<batch {
            let start = (n * channels + c) * spatial
            indices += start..<(start + spatial)
        }
        return indices
    }
}
