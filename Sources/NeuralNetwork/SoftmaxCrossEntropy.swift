import Foundation
import TensorCore

/// Softmax followed by cross-entropy against integer labels, averaged over the batch, fused so
/// that the gradient is the stable (softmax - onehot) / N.
///
/// Shapes: logits [N, classes], labels N values in 0..<classes, gradient [N, classes].
public final class SoftmaxCrossEntropy {
    /// dLoss/dLogits of the last call.
    public let gradient = Tensor(shape: [0])

    public init() {}

    /// The mean loss and the number of rows whose largest logit is the label (ties go to the
    /// first index, as argmax in PyTorch). Also fills `gradient`.
    @discardableResult
    public func callAsFunction(logits: Tensor, labels: UnsafeBufferPointer<Int32>) -> (loss: Double, correct: Int) {
        let batch = logits.shape[0]
        let classes = logits.shape[1]
        precondition(labels.count == batch, "\(labels.count) labels for a batch of \(batch)")
        gradient.reshape(to: logits.shape)
        let z = logits.pointer
        let g = gradient.pointer
        var totalLoss = 0.0
        var correct = 0
        let inverseBatch = 1 / Float(batch)
        for i in 0..<batch {
            let row = z + i * classes
            let gradientRow = g + i * classes
            var largest = row[0]
            var best = 0
            for j in 1..<classes where row[j] > largest {
                largest = row[j]
                best = j
            }
            var sum: Float = 0
            for j in 0..<classes {
                let e = expf(row[j] - largest)
                gradientRow[j] = e
                sum += e
            }
            let label = Int(labels[i])
            // loss_i = log(sum_j exp(z_j - max)) - (z_label - max)
            totalLoss += Double(logf(sum)) - Double(row[label] - largest)
            let scale = inverseBatch / sum
            for j in 0..<classes { gradientRow[j] *= scale }
            gradientRow[label] -= inverseBatch
            if best == label { correct += 1 }
        }
        return (totalLoss / Double(batch), correct)
    }
}

/// The number of rows of [N, classes] whose argmax equals the label.
public func countCorrect(logits: Tensor, labels: UnsafeBufferPointer<Int32>) -> Int {
    let batch = logits.shape[0]
    let classes = logits.shape[1]
    let z = logits.pointer
    var correct = 0
    for i in 0..<batch {
        let row = z + i * classes
        var best = 0
        for j in 1..<classes where row[j] > row[best] { best = j }
        if best == Int(labels[i]) { correct += 1 }
    }
    return correct
}
