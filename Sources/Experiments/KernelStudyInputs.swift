import Choices
import Foundation
import Datasets
import KernelAnalysis
import RunRecords
import TensorCore
import Training

/// Where the input pairs of a kernel study come from (docs/method.md section 7).
public enum KernelInputSource: String, RecordedChoice {
    /// i.i.d. N(0, 1) vectors: eq. 4's assumption.
    case gaussian
    /// Test images, pixel-wise normalised with the training part's statistics (the paper's Figure 8).
    case mnist5k, mnist
    case fashionMNIST = "fashion-mnist"
    public static let field = "input"
}

/// The input pairs of a kernel study: `kernel`, `advise` and `figure8` draw them the same way.
public struct KernelInputs: Sendable {
    public var source: KernelInputSource = .mnist5k
    /// d, for Gaussian inputs.
    public var dimension = 784
    /// The dataset's folder or file (nil: its standard place).
    public var dataDirectory: String?
    /// The paper: 10^4 pairs of test samples.
    public var pairs = 10_000

    public init(source: KernelInputSource = .mnist5k, dimension: Int = 784, dataDirectory: String? = nil, pairs: Int = 10_000) {
        (self.source, self.dimension, self.dataDirectory, self.pairs) = (source, dimension, dataDirectory, pairs)
    }

    /// The pairs: Gaussian vectors from stream "kernel-inputs", or pairs of distinct test images
    /// from stream "kernel-pairs".
    public func make(seed: UInt64) throws -> InputPairs {
        // Every source but gaussian is a dataset of the same name.
        guard let dataset = DatasetName(rawValue: source.rawValue) else {
            var random = RandomStream(masterSeed: seed, purpose: "kernel-inputs", indices: [UInt64(dimension)])
            let x = (0..<(pairs * dimension)).map { _ in random.nextNormal() }
            let y = (0..<(pairs * dimension)).map { _ in random.nextNormal() }
            return InputPairs(x: x, y: y, dimension: dimension)
        }
        let data = try DataConfig(
            dataset: dataset, location: dataDirectory, trainSubset: nil, validationSize: 0, normalisation: .pixelwise, mean: 0, std: 1
        ).prepare(masterSeed: seed)
        let test = data.test
        let size = test.sampleShape.reduce(1, *)
        let images = Tensor(shape: [test.count] + test.sampleShape)
        try test.load(Array(0..<test.count)[...], into: images, epoch: 0, batch: 0, masterSeed: seed)
        var random = RandomStream(masterSeed: seed, purpose: "kernel-pairs")
        var x = [Float](repeating: 0, count: pairs * size)
        var y = x
        for k in 0..<pairs {
            let first = random.nextIndex(below: test.count)
            var second = random.nextIndex(below: test.count - 1)
            if second >= first { second += 1 }
            for i in 0..<size {
                x[k * size + i] = images.pointer[first * size + i]
                y[k * size + i] = images.pointer[second * size + i]
            }
        }
        return InputPairs(x: x, y: y, dimension: size)
    }

    /// For headers and records: "mnist5k test images, pixel-wise normalised".
    public var description: String {
        source == .gaussian ? "i.i.d. N(0, 1) inputs, d = \(dimension)" : "\(source.rawValue) test images, pixel-wise normalised"
    }
}

/// n p of a family at a weight budget: the two-layer net d -> n -> classes with both layers at
/// one connectivity keeps n p (d + classes) weights.
public func kernelNP(weights: Int, dimension: Int, classes: Int) -> Double { Double(weights) / Double(dimension + classes) }

/// The default widths of a kernel study: from n p upwards, doubling, to 2048.
public func defaultKernelWidths(np: Double) -> [Int] {
    var list: [Int] = []
    var width = max(1, Int(np.rounded(.up)))
    while width <= 2048 { list.append(width); width *= 2 }
    return list
}

/// kernel.json (settings and rows) and kernel.csv in `directory`, written atomically.
public func writeKernelStudy(_ study: KernelStudy, inputs: String, pairs: Int, to directory: String) throws {
    struct Record: Codable {
        var inputs: String
        var pairs: Int
        var settings: KernelStudy.Settings
        var rows: [KernelStudy.Row]
        var argminMonteCarlo: Int?
        var argminExact: Int?
        var argminEquationFour: Int?
    }
    let record = Record(
        inputs: inputs, pairs: pairs, settings: study.settings, rows: study.rows, argminMonteCarlo: study.argminMonteCarlo,
        argminExact: study.argminExact, argminEquationFour: study.argminEquationFour)
    try RecordFiles.writeJSON(record, to: ExperimentDirectory(directory).path(.kernelJSON))
    var csv = ["width,connectivity,d_monte_carlo,d_monte_carlo_error,d_exact,d_exact_error,d_enumerated,d_equation_4,argmin"]
    for row in study.rows {
        var argmin: [String] = []
        if row.width == study.argminMonteCarlo { argmin.append("monte-carlo") }
        if row.width == study.argminExact { argmin.append("exact") }
        if row.width == study.argminEquationFour { argmin.append("eq4") }
        csv.append([
            "\(row.width)", "\(row.connectivity)", "\(row.monteCarlo.value)", "\(row.monteCarlo.standardError)", "\(row.exact.value)",
            "\(row.exact.standardError)", row.enumerated.map { "\($0)" } ?? "", "\(row.equationFour)", argmin.joined(separator: " "),
        ].joined(separator: ","))
    }
    try RecordFiles.writeAtomically(Data((csv.joined(separator: "\n") + "\n").utf8), to: ExperimentDirectory(directory).path(.kernelCSV))
}
