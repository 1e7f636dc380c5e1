import ArgumentParser
import Choices
import Foundation
import Widening

/// `widesparse family`: inspect a constant-weight width family before training anything.
public struct Family: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Print a width family at a constant number of weights: per-layer shapes, weights, removals and the total against the budget.",
        discussion: """
            The budget is the number of weights of the dense model of --base-width (or --weights). \
            --method says how each wider member keeps it (docs/method.md section 1): sparse (the default) \
            removes the difference by --rule (docs/method.md section 2); linear-bottleneck and \
            nonlinear-bottleneck have no masks: one global fraction shrinks every inner size, and each \
            width shows its fraction, the shapes of every factor and the residual from the budget; \
            dense shows the dense model of every width. --widen-stages (ResNet-18) widens only the \
            stages named; the others keep the base width's channels. Only convolution and fully \
            connected weights count. The per-layer table is the data of the paper's Figure 10.
            """ + examples(
                (nil, "widesparse family mlp"),
                ("the Figure 5 grid", "widesparse family mlp --grid"),
                (nil, "widesparse family resnet18 --base-width 8 --factors 1,2,4,8 --io-only"),
                (nil, "widesparse family resnet18 --form imagenet --json"),
                (nil, "widesparse family resnet18 --method linear-bottleneck --factors 1,2,4"),
                ("only stage 4 widens", "widesparse family resnet18 --widen-stages 4 --factors 1,2,4")))

    @Argument(help: "mlp, resnet18 or vgg.")
    var model: ModelKind

    @Option(help: "ResNet-18 form: cifar (3x3 stem) or imagenet (7x7 stem and max-pool).")
    var form: ResNetForm = .cifar

    @Option(help: "VGG configuration: 11 or 16.")
    var variant: VGGVariant = .vgg11

    @Option(help: "The base width whose dense model sets the budget (default: mlp 5, resnet18 cifar 8, imagenet 64, vgg 8).")
    var baseWidth: Int?

    @Option(help: "Widths, comma-separated (default: mlp 5,10,...,640; resnet18 cifar and vgg 8,16,32,64; imagenet 64,90,128,181,256).")
    var widths: CommaList?

    @Option(help: "Widening factors instead of widths, comma-separated; width = round(base width * factor).")
    var factors: CommaList?

    @Option(help: ArgumentHelp("How wider members keep the budget: \(WideningMethods.helpText).", valueName: "method"))
    var method: String = SparseWidening.name

    @Option(help: "ResNet-18: widen only these stages (e.g. 4, or 1,2); the others keep the channels of the base width. Default: all four.")
    var widenStages: CommaList?

    @Option(help: "The budget (default: the weights of the dense model of --base-width).")
    var weights: Int?

    @Option(help: "How removals are spread: level-down (the paper's, the default), uniform ('proportional' is the same rule) or erk.")
    var rule: RemovalRule?

    @Option(help: "MLP only: the last layer's connectivity (the paper's Figure 5 rule) instead of --rule.")
    var lastLayerConnectivity: Double?

    @Flag(help: "Remove whole k x k kernels (paper Appendix C); the miss from the budget is reported.")
    var ioOnly = false

    @Option(help: "Classes (outputs of the last layer).")
    var classes: Int = 10

    @Option(help: "ResNet-18 and VGG: input channels.")
    var inputChannels: Int = 3

    @Option(help: "MLP: input features.")
    var inputSize: Int = 784

    @Option(help: "MLP: hidden layers (1: MLP-1).")
    var depth: Int = 1

    @Flag(help: "MLP: print the Figure 5 grid of widths x last-layer connectivities instead.")
    var grid = false

    @Option(help: "With --grid: last-layer connectivities, comma-separated.")
    var lastLayerConnectivities: CommaList = "1,0.9,0.8,0.7,0.6,0.5,0.4,0.3,0.2,0.1"

    @Flag(help: "Draw the masks (with --seed) and count units left without incoming or outgoing weights.")
    var disconnected = false

    @OptionGroup var master: SeedOption
    var seed: UInt64 { master.seed }

    @Flag(help: "Machine-readable JSON instead of tables.")
    var json = false

    public init() {}

    public func validate() throws {
        for (value, name) in [(classes, "--classes"), (inputChannels, "--input-channels"), (inputSize, "--input-size")] where value < 1 {
            throw ValidationError("\(name): expected a positive number, found \(value)")
        }
        if model != .mlp && (lastLayerConnectivity != nil || grid) {
            throw ValidationError("--last-layer-connectivity and --grid: MLP only (the paper's Figure 5)")
        }
        if widths != nil && factors != nil { throw ValidationError("--widths and --factors: give one of them") }
        if rule != nil && lastLayerConnectivity != nil {
            throw ValidationError("--rule and --last-layer-connectivity: give one of them (the latter is the Figure 5 rule)")
        }
        if let baseWidth, baseWidth < 1 { throw ValidationError("--base-width: expected a positive width, found \(baseWidth)") }
        if method != SparseWidening.name && (grid || disconnected) {
            throw ValidationError("--grid and --disconnected: masks only; --method \(method) has none")
        }
        if widenStages != nil && model != .resnet18 { throw ValidationError("--widen-stages: ResNet-18 only (every layer of an MLP or VGG follows the width)") }
        if depth < 1 || model != .mlp && depth != 1 { throw ValidationError("--depth: expected a positive number of hidden layers for the MLP, found \(depth)") }
        if grid && depth != 1 { throw ValidationError("--grid: the Figure 5 grid is MLP-1's (--depth 1), found --depth \(depth)") }
        _ = try reportingErrors { try recipe().wideningMethod() }
    }

    public mutating func run() throws {
        let recipe = try reportingErrors { try self.recipe() }
        if grid {
            let table = Figure5GridTable(
                inputSize: inputSize, classes: classes, baseWidth: recipe.base, widths: recipe.memberWidths,
                lastLayerConnectivities: try reportingErrors { try lastLayerConnectivities.numbers(field: "--last-layer-connectivities") })
            print(json ? try table.json() : table.text())
            return
        }
        var family = try reportingErrors { try recipe.family() }
        if disconnected {
            for index in family.members.indices {
                family.members[index].model?.countDisconnectedUnits(architecture: recipe.architecture, masterSeed: seed)
            }
        }
        print(json ? try jsonText(family) : family.table(unitColumns: disconnected))
    }

    /// The family the options describe.
    func recipe() throws -> FamilyRecipe {
        var recipe = FamilyRecipe(model: model)
        (recipe.form, recipe.variant, recipe.baseWidth, recipe.method, recipe.weights) = (form, variant, baseWidth, method, weights)
        recipe.options = WideningOptions(rule: rule, ioOnly: ioOnly, lastLayerConnectivity: lastLayerConnectivity)
        recipe.widths = try widths?.widths(field: "--widths")
        recipe.factors = try factors?.values(field: "--factors", expected: "comma-separated positive numbers") { Double($0).flatMap { $0 > 0 ? $0 : nil } }
        recipe.widenStages = try widenStages?.wholeNumbers(field: "--widen-stages")
        (recipe.classes, recipe.inputChannels, recipe.inputSize, recipe.depth) = (classes, inputChannels, inputSize, depth)
        return recipe
    }

    /// The family of `widths` at the budget of `base`, from these options (tests check families through it).
    public func makeFamily(base: Int, widths: [Int]) throws -> WideningFamily {
        var recipe = try self.recipe()
        (recipe.baseWidth, recipe.widths, recipe.factors) = (base, widths, nil)
        return try recipe.family()
    }
}
