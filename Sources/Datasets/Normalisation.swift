import TensorCore

/// How pixel values (already in [0, 1]) are normalised before training.
public enum Normalisation: Equatable, Codable, Sendable {
    /// (x - mean) / std with the same numbers for every pixel (MNIST: 0.1307, 0.3081).
    case fixed(mean: Float, std: Float)
    /// (x - mean_p) / std_p with the per-pixel mean and (population) standard deviation of the
    /// training part, applied to training and test alike (paper Figure 8). Pixels that are
    /// constant in the training part (std 0) are only centred, to avoid dividing by zero.
    case pixelwise
    /// (x - mean_c) / std_c per channel (CIFAR and SVHN: means 0.485, 0.456, 0.406 and standard
    /// deviations 0.229, 0.224, 0.225, docs/method.md section 5).
    case perChannel(means: [Float], stds: [Float])
    case none
}

extension DatasetSplit {
    /// Normalises both parts in place (training statistics for `.pixelwise`).
    public mutating func normalise(_ normalisation: Normalisation) {
        switch normalisation {
        case .none:
            return
        case .fixed(let mean, let std):
            let size = train.sampleSize
            let means = [Float](repeating: mean, count: size)
            let stds = [Float](repeating: std, count: size)
            apply(means: means, stds: stds, to: train.images)
            apply(means: means, stds: stds, to: test.images)
        case .perChannel(let channelMeans, let channelStds):
            let shape = train.sampleShape
            precondition(channelMeans.count == shape[0] && channelStds.count == shape[0], "one mean and std per channel")
            let plane = shape[1] * shape[2]
            let means = channelMeans.flatMap { [Float](repeating: $0, count: plane) }
            let stds = channelStds.flatMap { [Float](repeating: $0, count: plane) }
            apply(means: means, stds: stds, to: train.images)
            apply(means: means, stds: stds, to: test.images)
        case .pixelwise:
            let (means, stds) = pixelStatistics(train.images)
            apply(means: means, stds: stds.map { $0 == 0 ? 1 : $0 }, to: train.images)
            apply(means: means, stds: stds.map { $0 == 0 ? 1 : $0 }, to: test.images)
        }
    }
}

/// Per-pixel mean and population standard deviation over the N samples of [N, ...] (in Double).
public func pixelStatistics(_ images: Tensor) -> (means: [Float], stds: [Float]) {
    let count = images.shape[0]
    let size = images.count / max(count, 1)
    var sums = [Double](repeating: 0, count: size)
    var squares = [Double](repeating: 0, count: size)
    let x = images.pointer
    for n in 0..<count {
        for p in 0..<size {
            let value = Double(x[n * size + p])
            sums[p] += value
            squares[p] += value * value
        }
    }
    var means = [Float](repeating: 0, count: size)
    var stds = [Float](repeating: 0, count: size)
    for p in 0..<size {
        let mean = sums[p] / Double(count)
        means[p] = Float(mean)
        stds[p] = Float(max(squares[p] / Double(count) - mean * mean, 0).squareRoot())
    }
    return (means, stds)
}

private func apply(means: [Float], stds: [Float], to images: Tensor) {
    let size = means.count
    let x = images.pointer
    for n in 0..<(images.count / size) {
        for p in 0..<size {
            x[n * size + p] = (x[n * size + p] - means[p]) / stds[p]
        }
    }
}
