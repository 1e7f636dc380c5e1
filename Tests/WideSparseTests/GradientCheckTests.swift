import RunRecords
import Models
import NeuralNetwork
import TensorCore
import Testing

@Suite("Finite-difference gradient checks")
struct GradientCheckTests {
    @Test("Linear with and without bias, with and without a mask, standard and NTK scale",
          arguments: [(true, false, Float(1)), (false, false, 1), (true, true, 1), (false, true, 0.4)])
    func linear(bias: Bool, masked: Bool, scale: Float) {
        let layer = Linear(inFeatures: 7, outFeatures: 5, bias: bias, outputScale: scale)
        layer.weight.value.copy(from: randomTensor([5, 7], seed: 1))
        layer.bias?.value.copy(from: randomTensor([5], seed: 2))
        if masked {
            let mask = Tensor(shape: [5, 7], repeating: 1)
            for i in stride(from: 0, to: 35, by: 3) { mask[i] = 0 }
            layer.weight.setMask(mask)
        }
        let check = checkGradients(layer, input: randomTensor([4, 7], seed: 3))
        #expect(check.worstInputError < 2e-3)
        #expect(check.worstParameterError < 2e-3)
        if masked {
            let gradient = check.analyticParameterGradients[0]
            #expect((0..<35).filter { $0 % 3 == 0 }.allSatisfy { gradient[$0] == 0 })
            #expect((0..<35).filter { $0 % 3 != 0 }.contains { gradient[$0] != 0 })
        }
    }

    @Test func relu() {
        let check = checkGradients(ReLU(), input: randomTensorAwayFromZero([3, 6], seed: 4))
        #expect(check.worstInputError < 1e-3)
    }

    @Test func identity() {
        let check = checkGradients(Identity(), input: randomTensor([3, 6], seed: 5))
        #expect(check.worstInputError < 1e-3)
    }

    @Test("BatchNorm1d in training mode (batch statistics) and evaluation mode (running statistics)",
          arguments: [Mode.training, Mode.evaluation])
    func batchNorm(mode: Mode) {
        let layer = BatchNorm1d(features: 4)
        layer.scale.value.copy(from: randomTensor([4], seed: 6, low: 0.5, high: 1.5))
        layer.shift.value.copy(from: randomTensor([4], seed: 7))
        layer.runningMean.copy(from: randomTensor([4], seed: 8))
        layer.runningVariance.copy(from: randomTensor([4], seed: 9, low: 0.5, high: 2))
        let check = checkGradients(layer, input: randomTensor([6, 4], seed: 10), mode: mode, step: 5e-3)
        #expect(check.worstInputError < 5e-3)
        #expect(check.worstParameterError < 5e-3)
    }

    @Test("Softmax cross-entropy gradient against finite differences of the loss")
    func softmaxCrossEntropy() {
        let logits = randomTensor([5, 4], seed: 11, low: -3, high: 3)
        let labels: [Int32] = [0, 3, 1, 1, 2]
        let loss = SoftmaxCrossEntropy()
        labels.withUnsafeBufferPointer { _ = loss(logits: logits, labels: $0) }
        let analytic = loss.gradient.clone()
        let step: Float = 1e-2
        for i in 0..<logits.count {
            let saved = logits[i]
            logits[i] = saved + step
            let plus = labels.withUnsafeBufferPointer { loss(logits: logits, labels: $0).loss }
            logits[i] = saved - step
            let minus = labels.withUnsafeBufferPointer { loss(logits: logits, labels: $0).loss }
            logits[i] = saved
            #expect(abs((plus - minus) / (2 * Double(step)) - Double(analytic[i])) < 1e-3)
        }
    }

    @Test("A whole sparse MLP-1 with batch norm, end to end")
    func wholeModel() {
        let model = MLP(MLPModelConfig(inputSize: 6, width: 5, classes: 3, batchNorm: true))
        let mask = Tensor(shape: [5, 6], repeating: 1)
        for i in [0, 4, 7, 13, 22, 29] { mask[i] = 0 }
        model.hidden.weight.setMask(mask)
        model.initialise(masterSeed: 3)
        // Keep pre-activations away from ReLU's kink by checking many entries with a small step.
        let check = checkGradients(model, input: randomTensor([8, 6], seed: 12), step: 1e-3)
        #expect(check.worstInputError < 2e-2)
        #expect(check.worstParameterError < 2e-2)
    }
}
