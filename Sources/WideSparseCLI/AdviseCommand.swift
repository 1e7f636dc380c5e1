import ArgumentParser
import Foundation
import KernelAnalysis
import TensorCore

/// `widesparse advise`: the paper's hypothesis as a tool — rank the widths of a family by
/// kernel distance at initialisation, without training.
public struct Advise: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Rank the widths of an MLP-1 family at a weight budget by GP kernel distance at initialisation (no training).",
        discussion: """
            A heuristic, not a result: the paper conjectures that the width whose kernel at \
            initialisation is closest to the infinite-width kernel trains best; `widesparse figure8` \
            measures how well that holds (rank correlation, argmin match) on your data. The theory \
            covers one-hidden-layer ReLU nets with both layers at one connectivity, so only that \
            family (`--model mlp`) is ranked; convolutional families are refused rather than guessed.
            """)

    @Option(help: "Model family: mlp (the theory's two-layer net). ResNet-18 is refused: no kernel theory covers it here.")
    var model: String = "mlp"

    @OptionGroup var inputs: KernelInputOptions
    @OptionGroup var family: KernelFamilyOptions

    public init() {}

    public func validate() throws {
        guard model == "mlp" else {
            throw ValidationError("--model: expected mlp (the kernel theory is for one-hidden-layer ReLU nets), found '\(model)'")
        }
    }

    public func run() throws {
        ComputeThreads.set(family.threads)
        let pairs = try reportingErrors { try inputs.make(seed: family.seed) }
        let settings = try family.settings(dimension: pairs.dimension)
        let study = KernelStudy(pairs: pairs, settings: settings)
        print("Widths of the MLP-1 family at n p = \(format(settings.np, digits: 3)) (\(inputs.description)), "
            + "ranked by Monte-Carlo kernel distance D at initialisation (smallest first):")
        for (rank, row) in study.rows.sorted(by: { $0.monteCarlo.value < $1.monteCarlo.value }).enumerated() {
            print(String(format: "  %2d. width %5d  connectivity %.5f  D %.4e +- %.1e  (exact eq. 1: %.4e)", rank + 1, row.width,
                         row.connectivity, row.monteCarlo.value, row.monteCarlo.standardError, row.exact.value))
        }
        print("Suggested width: \(study.argminMonteCarlo ?? 0). This is a heuristic (the paper's conjecture), not a measurement: "
            + "`widesparse figure8` trains the family and reports how well the ranking matches test accuracy.")
    }
}
