import NeuralNetwork
import TensorCore

/// One optimisation step on a batch: zero the gradients, forward in training mode, softmax
/// cross-entropy, backward, SGD update. The trainer and the benchmarks (`bench mlp`,
/// `bench resnet`) take exactly this step, so what is timed is what trains.
public final class TrainingStep {
    public let model: Layer
    public let optimizer: SGD
    private let loss = SoftmaxCrossEntropy()

    public init(model: Layer, optimizer: SGD) {
        self.model = model
        self.optimizer = optimizer
    }

    /// - Parameters:
    ///   - images: the batch, [N, ...] as the model takes it.
    ///   - labels: N class indices.
    /// - Returns: the batch's mean loss and how many it classified correctly. When the loss is
    ///   not finite nothing is updated (the step would turn every weight into NaN); the caller
    ///   decides what that means.
    @discardableResult
    public func callAsFunction(_ images: Tensor, labels: UnsafeBufferPointer<Int32>) -> (loss: Double, correct: Int) {
        optimizer.zeroGradients()
        let logits = model.forward(images, mode: .training)
        let result = loss(logits: logits, labels: labels)
        guard result.loss.isFinite else { return result }
        _ = model.backward(loss.gradient, needsInputGradient: false)
        optimizer.step()
        return result
    }
}
