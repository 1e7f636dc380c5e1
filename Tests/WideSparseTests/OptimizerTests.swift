import NeuralNetwork
import TensorCore
import Testing
import Training

@Suite("SGD and learning-rate schedules against closed-form values")
struct OptimizerTests {
    /// One scalar parameter w with a fixed gradient sequence.
    func run(momentum: Float, nesterov: Bool, weightDecay: Float, gradients: [Float]) -> [Float] {
        let parameter = Parameter(name: "w", role: .weight, shape: [1])
        parameter.value[0] = 1
        let optimizer = SGD(parameters: [parameter], learningRate: 0.1, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        var values: [Float] = []
        for g in gradients {
            optimizer.zeroGradients()
            parameter.currentGradient()[0] = g
            optimizer.step()
            values.append(parameter.value[0])
        }
        return values
    }

    @Test func plainSGD() {
        // w1 = 1 - 0.1*0.5 = 0.95; w2 = 0.95 - 0.1*(-1) = 1.05
        #expect(run(momentum: 0, nesterov: false, weightDecay: 0, gradients: [0.5, -1]) == [0.95, 1.05])
    }

    @Test func weightDecay() {
        // d = g + 0.01 w: w1 = 1 - 0.1*(0.5 + 0.01) = 0.949
        let values = run(momentum: 0, nesterov: false, weightDecay: 0.01, gradients: [0.5])
        #expect(abs(values[0] - 0.949) < 1e-6)
    }

    @Test func momentum() {
        // buf1 = 0.5 -> w1 = 0.95; buf2 = 0.9*0.5 + 1 = 1.45 -> w2 = 0.95 - 0.145 = 0.805
        let values = run(momentum: 0.9, nesterov: false, weightDecay: 0, gradients: [0.5, 1])
        #expect(abs(values[0] - 0.95) < 1e-6)
        #expect(abs(values[1] - 0.805) < 1e-6)
    }

    @Test func nesterovWithWeightDecay() {
        // d1 = 0.5 + 0.1*1 = 0.6, buf1 = 0.6, step = 0.6 + 0.9*0.6 = 1.14 -> w1 = 1 - 0.114 = 0.886
        // d2 = 1 + 0.1*0.886 = 1.0886, buf2 = 0.54 + 1.0886 = 1.6286, step = 1.0886 + 0.9*1.6286 = 2.55434
        // w2 = 0.886 - 0.255434 = 0.630566
        let values = run(momentum: 0.9, nesterov: true, weightDecay: 0.1, gradients: [0.5, 1])
        #expect(abs(values[0] - 0.886) < 1e-6)
        #expect(abs(values[1] - 0.630566) < 1e-5)
    }

    @Test("Momentum and weight decay over many entries and steps, with and without a mask, equal a plain twin bit for bit",
          arguments: [false, true])
    func vectorMatchesTwin(masked: Bool) {
        let count = 37
        let parameter = Parameter(name: "w", role: .weight, shape: [count])
        for i in 0..<count { parameter.value[i] = Float(i % 7) * 0.25 - 0.7 }
        let mask = Tensor(shape: [count], scalars: (0..<count).map { $0 % 3 == 0 ? 0 : 1 })
        if masked { parameter.setMask(mask) }
        let optimizer = SGD(parameters: [parameter], learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4)
        var w = parameter.value.scalars
        var buffer = [Float](repeating: 0, count: count)
        for step in 0..<5 {
            let g = (0..<count).map { Float(($0 * 5 + step * 3) % 11) * 0.1 - 0.5 }
            optimizer.zeroGradients()
            let gradient = parameter.currentGradient()
            for i in 0..<count { gradient[i] = g[i] }
            optimizer.step()
            for i in 0..<count {
                let d = g[i] + 5e-4 * w[i]
                buffer[i] = step == 0 ? d : 0.9 * buffer[i] + d
                w[i] = (w[i] - 0.1 * buffer[i]) * (masked ? mask[i] : 1)
            }
            #expect(parameter.value.scalars == w, "step \(step)")
        }
    }

    @Test func schedules() {
        let multiStep = LearningRateSchedule.multiStep(milestones: [50, 120, 200], gamma: 0.1)
        let rates = [0, 49, 50, 119, 120, 199, 200, 299].map { multiStep.learningRate(base: 0.1, epoch: $0) }
        let expected = [0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001]
        for (rate, value) in zip(rates, expected) { #expect(abs(rate - value) < 1e-12) }
        #expect(LearningRateSchedule.constant.learningRate(base: 0.1, epoch: 299) == 0.1)
        let cosine = LearningRateSchedule.cosine(epochs: 150)
        #expect(cosine.learningRate(base: 0.1, epoch: 0) == 0.1)
        #expect(abs(cosine.learningRate(base: 0.1, epoch: 75) - 0.05) < 1e-12)
        #expect(abs(cosine.learningRate(base: 0.1, epoch: 50) - 0.1 * 0.75) < 1e-12)
    }
}
