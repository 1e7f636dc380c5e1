import Choices
import Foundation
import Models
import NeuralNetwork
import Sparsity
import TensorCore
import Testing
import Widening
import WideSparseCLI

@Suite("Weight accounting, removal rules, masks and families")
struct FamilyTests {
    @Test("ResNet-18 weight counts: 2724 w^2 + 9 c w + 8 k w (CIFAR), 49 c w for the ImageNet stem")
    func resNetCounts() {
        for width in [1, 8, 12, 18, 40, 64] {
            for channels in [1, 3] {
                for classes in [10, 100, 1000] {
                    let cifar = resNet18WeightShapes(width: width, inputChannels: channels, classes: classes, form: .cifar)
                    #expect(cifar.map(\.count).reduce(0, +) == 2724 * width * width + 9 * channels * width + 8 * classes * width)
                    let imagenet = resNet18WeightShapes(width: width, inputChannels: channels, classes: classes, form: .imagenet)
                    #expect(imagenet.map(\.count).reduce(0, +) == 2724 * width * width + 49 * channels * width + 8 * classes * width)
                    #expect(cifar.count == 21)  // stem, 16 block convs, 3 shortcuts, classifier
                }
            }
        }
        // The paper's Table 1: 11.7M weights at width 64 and 180.6M at 256 (1000 classes).
        let table1 = [64: 11_678_912, 256: 180_605_696]
        for (width, total) in table1 {
            #expect(resNet18WeightShapes(width: width, inputChannels: 3, classes: 1000, form: .imagenet).map(\.count).reduce(0, +) == total)
        }
    }

    @Test("widesparse family resnet18, width 16 at the budget of width 8, checked by hand against the level-down rule")
    func familyCheckedByHand() throws {
        // Width 16 has 699056 weights, width 8 175192, so T = 523864. Sorted sizes: 147456 x3, 73728, 36864 x3,
        // 18432, 9216 ... L_3 = 3*(147456-73728) = 221184, L_4 = 221184 + 4*(73728-36864) = 368640,
        // L_7 = 368640 + 7*(36864-18432) = 497664, L_8 = 497664 + 8*(18432-9216) = 571392 >= T: k = 8.
        // Each of the 8 drops to 18432, then (T - L_7) / 8 = 26200 / 8 = 3275 more: all end at 15157.
        let command = try Family.parse(["resnet18", "--widths", "8,16"])
        let family = try command.makeFamily(base: 8, widths: [8, 16])
        #expect(family.targetWeights == 175_192)
        let member = try #require(family.members[1].model)
        let removed = Dictionary(uniqueKeysWithValues: member.layers.map { ($0.name, $0.removed) })
        #expect(removed["layer4.0.conv2.weight"] == 132_299)
        #expect(removed["layer4.1.conv1.weight"] == 132_299)
        #expect(removed["layer4.1.conv2.weight"] == 132_299)
        #expect(removed["layer4.0.conv1.weight"] == 58_571)
        #expect(removed["layer3.0.conv2.weight"] == 21_707)
        #expect(removed["layer3.1.conv1.weight"] == 21_707)
        #expect(removed["layer3.1.conv2.weight"] == 21_707)
        #expect(removed["layer3.0.conv1.weight"] == 3_275)
        #expect(member.layers.filter { $0.removed > 0 }.count == 8)
        #expect(member.weights == 175_192)
        #expect(family.members[0].model!.layers.allSatisfy { $0.removed == 0 })
    }

    @Test("Every rule removes exactly the target, for thousands of random layer lists", arguments: RemovalRule.allCases)
    func rulesHitTarget(rule: RemovalRule) throws {
        var random = RandomStream(seed: 21)
        for _ in 0..<1500 {
            let layers = (0..<(1 + random.nextIndex(below: 7))).map { index -> WeightShape in
                random.nextIndex(below: 2) == 0
                    ? .fullyConnected("fc\(index)", out: 1 + random.nextIndex(below: 60), in: 1 + random.nextIndex(below: 60))
                    : .convolution("conv\(index)", out: 1 + random.nextIndex(below: 12), in: 1 + random.nextIndex(below: 12), kernel: 1 + 2 * random.nextIndex(below: 2))
            }
            let sizes = layers.map(\.count)
            let target = random.nextIndex(below: sizes.reduce(0, +) - layers.count + 1)
            do {
                let removals = try rule.removals(total: target, layers: layers)
                #expect(removals.reduce(0, +) == target)
                #expect(zip(removals, sizes).allSatisfy { $0 >= 0 && $0 < $1 })
            } catch SparsityError.remainderEmptiesLayer {
                #expect(rule == .levelDown)  // only the paper's remainder convention can do this
            }
        }
    }

    @Test("Uniform: equal connectivity up to rounding; ERK: density proportional to (sum of dims) / (product of dims)")
    func ruleShapes() throws {
        let layers = resNet18WeightShapes(width: 32, inputChannels: 3, classes: 10)
        let total = layers.map(\.count).reduce(0, +)
        let budget = resNet18WeightShapes(width: 8, inputChannels: 3, classes: 10).map(\.count).reduce(0, +)
        let uniform = try RemovalRule.uniform.removals(total: total - budget, layers: layers)
        let target = Double(budget) / Double(total)
        for (layer, removed) in zip(layers, uniform) {
            #expect(abs(Double(layer.count - removed) - target * Double(layer.count)) <= 1)
        }
        let erk = try RemovalRule.erk.removals(total: total - budget, layers: layers)
        let densities = zip(layers, erk).map { Double($0.count - $1) / Double($0.count) }
        let scores = layers.map { layer in
            Double(layer.outChannels + layer.inChannels + (layer.kind == .convolution ? layer.kernelHeight + layer.kernelWidth : 0))
                / Double(layer.count)
        }
        // Among layers that are not dense, density / score is one constant (up to one weight of rounding).
        let sparse = densities.indices.filter { densities[$0] < 1 }
        let scale = densities[sparse[0]] / scores[sparse[0]]
        for index in sparse {
            #expect(abs(densities[index] - scale * scores[index]) * Double(layers[index].count) <= 1.01)
        }
        #expect(densities.indices.filter { densities[$0] == 1 }.allSatisfy { scale * scores[$0] >= 1 - 1e-9 })
    }

    @Test("io-only: whole kernels removed, total within one kernel of the target, the miss reported")
    func ioOnly() throws {
        for width in [16, 24, 64] {
            let command = try Family.parse(["resnet18", "--io-only"])
            let member = try #require(try command.makeFamily(base: 8, widths: [width]).members[0].model)
            #expect(abs(member.residual!) < 9)
            #expect(member.weights == 175_192 + member.residual!)
            for layer in member.layers {
                let kernel = layer.shape.count == 4 ? layer.shape[2] * layer.shape[3] : 1
                #expect(layer.removed % kernel == 0)
            }
        }
        let layer = WeightShape.convolution("c", out: 6, in: 5, kernel: 3)
        let mask = drawKernelMask(layer: layer, removed: 9 * 17, masterSeed: 4)
        let kernels = (0..<30).map { pair in (0..<9).map { mask[pair * 9 + $0] } }
        #expect(kernels.allSatisfy { Set($0).count == 1 })  // each kernel all kept or all removed
        #expect(kernels.filter { $0[0] == 0 }.count == 17)
    }

    @Test("Masks saved and reloaded bit for bit; a changed or foreign file is refused")
    func maskFile() throws {
        let first = drawMask(shape: [30, 20], removed: 450, masterSeed: 1, layerName: "fc1.weight")
        let second = drawMask(shape: [10, 30], removed: 100, masterSeed: 1, layerName: "fc2.weight")
        let data = try MaskFile.encode([("fc1.weight", first), ("fc2.weight", second)])
        let expected = [(name: "fc1.weight", shape: [30, 20], kept: 150), (name: "fc2.weight", shape: [10, 30], kept: 200)]
        let loaded = try MaskFile.decode(data, path: "masks.safetensors", expected: expected)
        #expect(loaded[0].scalars == first.scalars && loaded[1].scalars == second.scalars)

        // Swap a kept and a removed entry: same count, different mask.
        var tampered = data
        let headerLength = Int(data.prefix(8).withUnsafeBytes { $0.load(as: UInt64.self) })
        let start = 8 + headerLength
        let kept = first.scalars.firstIndex(of: 1)!
        let removed = first.scalars.firstIndex(of: 0)!
        for (index, value) in [(kept, Float(0)), (removed, Float(1))] {
            withUnsafeBytes(of: value) { tampered.replaceSubrange((start + 4 * index)..<(start + 4 * index + 4), with: $0) }
        }
        #expect(throws: SafeTensorsError.self) { try MaskFile.decode(tampered, path: "m", expected: expected) }
        do {
            _ = try MaskFile.decode(tampered, path: "m", expected: expected)
        } catch {
            #expect("\(error)".contains("the file was changed"))
        }
        #expect(throws: SafeTensorsError(path: "m", expected: "160 kept weights in mask 'fc1.weight'", found: "150")) {
            try MaskFile.decode(data, path: "m", expected: [(name: "fc1.weight", shape: [30, 20], kept: 160)])
        }
        #expect(throws: SafeTensorsError(path: "m", expected: "mask 'fc1.weight' of shape [20, 30]", found: "shape [30, 20]")) {
            try MaskFile.decode(data, path: "m", expected: [(name: "fc1.weight", shape: [20, 30], kept: 150)])
        }
    }

    @Test("Disconnected units are counted")
    func disconnected() {
        // 3 outputs x 4 inputs: output 1 has no inputs; inputs 2 and 3 feed nothing.
        let mask = Tensor(shape: [3, 4], scalars: [1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0])
        let units = DisconnectedUnits(mask: mask, layer: .fullyConnected("fc", out: 3, in: 4))
        #expect(units.outputsWithoutInputs == 1)
        #expect(units.inputsWithoutOutputs == 2)
    }

    @Test("A family's masks can be drawn to count disconnected units; dense layers have none")
    func familyDisconnectedUnits() throws {
        let command = try Family.parse(["mlp"])
        let family = try command.makeFamily(base: 5, widths: [5, 640])
        var members = family.members.map { $0.model! }
        for index in members.indices { members[index].countDisconnectedUnits(architecture: .mlp(inputSize: 784, classes: 10, depth: 1), masterSeed: 0) }
        #expect(members[0].layers.allSatisfy { $0.outputsWithoutInputs == 0 && $0.inputsWithoutOutputs == 0 })
        let wide = members[1].layers
        let mask = drawMask(shape: [640, 784], removed: wide[0].removed, masterSeed: 0, layerName: "fc1.weight")
        let direct = DisconnectedUnits(mask: mask, layer: .fullyConnected("fc1.weight", out: 640, in: 784))
        #expect(wide[0].outputsWithoutInputs == direct.outputsWithoutInputs)
        #expect(wide[0].inputsWithoutOutputs == direct.inputsWithoutOutputs)
        #expect(direct.outputsWithoutInputs > 0)  // 1985 weights over 640 units leave some unit empty
    }

    @Test("The Figure 5 grid names its infeasible cells")
    func figure5() {
        let grid = figure5Grid(inputSize: 784, classes: 10, weightBudget: 3970, widths: [5, 320, 640], lastLayerConnectivities: [1, 0.5, 0.1])
        #expect(grid[0][0].plan?.isDense == true)
        #expect(grid[0][1].plan == nil)  // width 5, last layer half: the first layer would need more than it has
        #expect(grid[1][0].plan?.keptCounts == [770, 3200])
        #expect(grid[2][0].infeasibleBecause?.contains("feasible last-layer connectivities here: 0.0001563...0.6202") == true)
        #expect(grid[2][1].plan?.keptCounts == [770, 3200])
        #expect(grid.flatMap { $0 }.compactMap(\.plan).allSatisfy { $0.totalWeights == 3970 })
    }
}
