import Foundation
import NeuralNetwork
import TensorCore
import Testing

@Suite("Fast kernels against their slow twins")
struct KernelTwinTests {
    @Test("oneDNN sgemm equals the triple loop on odd shapes, every transpose, alpha and beta",
          arguments: [(1, 1, 1), (3, 5, 7), (17, 1, 33), (100, 10, 5), (13, 64, 129)])
    func matrixMultiplyMatchesReference(rows: Int, columns: Int, inner: Int) {
        for transposeA in [Transpose.no, .yes] {
            for transposeB in [Transpose.no, .yes] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (-2, 0.25)] {
                    let a = randomTensor([rows * inner], seed: 1)
                    let b = randomTensor([inner * columns], seed: 2)
                    let fast = randomTensor([rows * columns], seed: 3)
                    let slow = fast.clone()
                    matrixMultiply(a.pointer, transposeA: transposeA, b.pointer, transposeB: transposeB, into: fast.pointer,
                                   rows: rows, columns: columns, inner: inner, alpha: alpha, beta: beta)
                    referenceMatrixMultiply(a.pointer, transposeA: transposeA, b.pointer, transposeB: transposeB, into: slow.pointer,
                                            rows: rows, columns: columns, inner: inner, alpha: alpha, beta: beta)
                    for i in 0..<fast.count {
                        #expect(abs(fast[i] - slow[i]) <= 1e-4 * Float(inner).squareRoot() * max(1, abs(slow[i])))
                    }
                }
            }
        }
    }

    @Test("An empty inner dimension gives beta * C")
    func emptyInnerDimension() {
        let c = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        let nothing = Tensor(shape: [0])
        matrixMultiply(nothing.pointer, nothing.pointer, into: c.pointer, rows: 2, columns: 2, inner: 0, beta: 0.5)
        #expect(c.scalars == [0.5, 1, 1.5, 2])
    }

    @Test("Fused softmax cross-entropy equals log-softmax written out in Double")
    func softmaxCrossEntropyMatchesReference() {
        let logits = randomTensor([7, 10], seed: 4, low: -20, high: 20)
        let labels: [Int32] = [0, 9, 3, 3, 5, 1, 8]
        let loss = SoftmaxCrossEntropy()
        let fast = labels.withUnsafeBufferPointer { loss(logits: logits, labels: $0) }
        var total = 0.0
        var correct = 0
        for i in 0..<7 {
            let row = (0..<10).map { Double(logits[i * 10 + $0]) }
            let logSum = log(row.map { exp($0) }.reduce(0, +))
            total += logSum - row[Int(labels[i])]
            if row.firstIndex(of: row.max()!)! == Int(labels[i]) { correct += 1 }
            for j in 0..<10 {
                let probability = exp(row[j] - logSum)
                let expected = (probability - (j == Int(labels[i]) ? 1 : 0)) / 7
                #expect(abs(Double(loss.gradient[i * 10 + j]) - expected) < 1e-6)
            }
        }
        #expect(abs(fast.loss - total / 7) < 1e-5 * max(1, total / 7))
        #expect(fast.correct == correct)
        #expect(labels.withUnsafeBufferPointer { countCorrect(logits: logits, labels: $0) } == correct)
    }

    @Test("Linear forward equals x W^T * scale + b computed by hand")
    func linearForwardMatchesReference() {
        let layer = Linear(inFeatures: 9, outFeatures: 4, outputScale: 0.3)
        layer.weight.value.copy(from: randomTensor([4, 9], seed: 5))
        layer.bias!.value.copy(from: randomTensor([4], seed: 6))
        let x = randomTensor([3, 9], seed: 7)
        let y = layer.forward(x, mode: .training)
        for n in 0..<3 {
            for o in 0..<4 {
                var sum = 0.0
                for i in 0..<9 { sum += Double(x[n * 9 + i]) * Double(layer.weight.value[o * 9 + i]) }
                #expect(abs(Double(y[n * 4 + o]) - (0.3 * sum + Double(layer.bias!.value[o]))) < 1e-5)
            }
        }
    }
}
