import ArgumentParser
import Choices
import Experiments
import Foundation
import KernelAnalysis
import RunRecords
import TensorCore

/// Where the input pairs of a kernel study come from.
struct KernelInputOptions: ParsableArguments {
    @Option(help: "Inputs: gaussian (i.i.d. N(0, 1) vectors of --dimension values, eq. 4's assumption) or the test images of mnist5k, mnist or fashion-mnist, pixel-wise normalised with the training part's statistics (the paper's Figure 8).")
    var input: KernelInputSource = .mnist5k

    @Option(help: "Input dimension d for --input gaussian.")
    var dimension: Int = 784

    @OptionGroup var location: DataDirOption
    var dataDir: String? { location.dataDir }

    @Option(help: "Input pairs (the paper: 10^4 pairs of test samples).")
    var pairs: Int = 10_000

    func validate() throws {
        guard pairs >= 2 else { throw ValidationError("--pairs: expected at least 2, found \(pairs)") }
        guard dimension >= 1 else { throw ValidationError("--dimension: expected at least 1, found \(dimension)") }
    }

    /// The library's description of the pairs.
    var inputs: KernelInputs { KernelInputs(source: input, dimension: dimension, dataDirectory: dataDir, pairs: pairs) }

    func make(seed: UInt64) throws -> InputPairs { try inputs.make(seed: seed) }

    var description: String { inputs.description }
}

/// The family and estimator settings shared by `kernel` and `advise`.
struct KernelFamilyOptions: ParsableArguments {
    @Option(help: "Weight budget of the two-layer net d -> n -> --classes with both layers at one connectivity: n p = weights / (d + classes) (the paper's Figure 8: 6352 = the dense width 8).")
    var weights: Int?

    @Option(help: "n p directly (instead of --weights).")
    var np: Double?

    @Option(help: "Outputs of the net, for --weights.")
    var classes: Int = 10

    @Option(help: "Widths n, comma-separated (default: from n p upwards, doubling, to 2048).")
    var widths: CommaList?

    @Option(help: "Random networks per width for the Monte-Carlo distance (the paper: 10).")
    var initialisations: Int = 10

    @Option(help: "Random input masks for the exact expression (eq. 1); at least 16.")
    var masks: Int = 1024

    @Option(help: "Reference kernel of the Monte-Carlo distance: analytic (K1/d) or empirical (a dense net of --reference-width units at initialisation, as the paper).")
    var reference: String = "analytic"

    @Option(help: "Width of the empirical reference net.")
    var referenceWidth: Int = 10_000

    @OptionGroup var master: SeedOption
    var seed: UInt64 { master.seed }

    @OptionGroup var compute: ThreadsOption
    var threads: Int { compute.threads }

    func validate() throws {
        if weights != nil && np != nil { throw ValidationError("--weights and --np: give one of them") }
        if let np, !(np > 0) { throw ValidationError("--np: expected a positive number, found \(np)") }
        if let weights, weights < 1 { throw ValidationError("--weights: expected a positive count, found \(weights)") }
        guard initialisations >= 2 else { throw ValidationError("--initialisations: expected at least 2 (for an error), found \(initialisations)") }
        guard masks >= 16 else { throw ValidationError("--masks: expected at least 16, found \(masks)") }
        guard ["analytic", "empirical"].contains(reference) else {
            throw ValidationError("--reference: expected analytic or empirical, found '\(reference)'")
        }
        guard referenceWidth >= 1 else { throw ValidationError("--reference-width: expected at least 1, found \(referenceWidth)") }
    }

    func settings(dimension d: Int) throws -> KernelStudy.Settings {
        let np = self.np ?? kernelNP(weights: weights ?? 6352, dimension: d, classes: classes)
        let widthList = try reportingErrors { try widths?.widths(field: "--widths") } ?? defaultKernelWidths(np: np)
        try checkKernelWidths(widthList, np: np)
        return KernelStudy.Settings(
            np: np, widths: widthList, initialisations: initialisations, masks: masks, seed: seed, reference: reference,
            referenceWidth: referenceWidth)
    }
}

/// `widesparse kernel`
public struct KernelCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "The GP kernel distance of sparse two-layer ReLU nets at initialisation: Monte-Carlo, exact (eq. 1) and eq. 4 side by side.",
        discussion: """
            For f(x) = (n d)^(-1/2) v.relu(u x) with every weight N(0, 1/p) with probability p and 0 \
            otherwise (docs/method.md section 7), at fixed n p over growing n: D = the mean over input \
            pairs of (Theta(x, y) - Theta_inf(x, y))^2 by Monte-Carlo over --initialisations random \
            nets (+- its standard error), the exact expectation of the paper's eq. 1 (over --masks \
            random input masks, +- error; by enumeration too when d <= 12), and the closed form \
            eq. 4, which assumes i.i.d. Gaussian inputs and p d >> 1. The smallest value of each is \
            marked. They disagree, on Gaussian inputs too: eq. 4's bias term does not match eq. 1 \
            (docs/method.md section 7), so do not read eq. 4 as the distance. Defaults are the paper's \
            Figure 8 setting on the mnist5k test digits: 6352 weights, 10^4 pairs, 10 nets.
            """ + examples(
                ("the paper's setting on real digits", "widesparse kernel"),
                ("Gaussian inputs at n p = 64, four widths, quickly", "widesparse kernel --input gaussian --np 64 --widths 64,256,1024,4096 --pairs 1000 --initialisations 4")))

    @OptionGroup var inputs: KernelInputOptions
    @OptionGroup var family: KernelFamilyOptions

    @Option(help: "Folder for kernel.csv and kernel.json (default: runs/kernel/<settings hash>).")
    var out: String?

    public init() {}

    public func run() throws {
        ComputeThreads.set(family.threads)
        let pairs = try reportingErrors { try inputs.make(seed: family.seed) }
        let settings = try family.settings(dimension: pairs.dimension)
        print("kernel distance: \(inputs.description), \(pairs.count) pairs, n p = \(format(settings.np, digits: 3)), "
            + "\(settings.initialisations) nets per width, \(settings.masks) input masks, reference \(settings.reference)"
            + (settings.reference == "empirical" ? " (dense width \(settings.referenceWidth))" : ""))
        print("p* (eq. 4's optimum) = \(format(KernelDistance.optimalConnectivity(np: settings.np, dimension: pairs.dimension), digits: 4))"
            + " at n = \(Int((settings.np / KernelDistance.optimalConnectivity(np: settings.np, dimension: pairs.dimension)).rounded()))")
        let start = Date()
        let study = KernelStudy(pairs: pairs, settings: settings) { row in
            print("  width \(row.width) done (\(format(Date().timeIntervalSince(start), digits: 1)) s)")
        }
        print(study.table)
        let directory = out ?? "runs/kernel/\(String(fnv1a64(inputs.description + "\(settings)" + "\(pairs.count)"), radix: 16).prefix(12))"
        try reportingErrors { try writeKernelStudy(study, inputs: inputs.description, pairs: pairs.count, to: directory) }
        print("written: \(ExperimentDirectory(directory).path(.kernelCSV)), \(ExperimentDirectory(directory).path(.kernelJSON))")
    }
}

/// Widths below n p would need a connectivity above 1.
func checkKernelWidths(_ widths: [Int], np: Double) throws {
    if let narrow = widths.first(where: { Double($0) < np }) {
        throw ValidationError("--widths: width \(narrow) is below n p = \(np) (connectivity above 1); the family starts at n = \(Int(np.rounded(.up)))")
    }
}
