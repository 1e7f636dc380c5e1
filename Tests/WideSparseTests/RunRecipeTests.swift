import Choices
import Experiments
import Foundation
import Testing
import WideSparseCLI

/// The library's recipe is what `train` and specs resolve through; its option table and the
/// command line must name the same options.
@Suite("Run recipes: one resolution for train and specs")
struct RunRecipeTests {
    /// The options of a command, as its --help lists them.
    func commandOptions(_ help: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: "^  (?:-[a-z], )?--([a-z0-9-]+)", options: [.anchorsMatchLines])
        let range = NSRange(help.startIndex..., in: help)
        return Set(pattern.matches(in: help, range: range).map { String(help[Range($0.range(at: 1), in: help)!]) })
    }

    /// Options a spec sets with its own fields, and options that do not change the run.
    let specFields: Set<String> = ["dataset", "data-dir", "width", "weights", "weights-of-width", "method", "rule",
                                   "last-layer-connectivity", "io-only", "widen-stages", "base-width", "seed"]
    let notOfTheRun: Set<String> = ["out", "restart", "resume", "stop-after-epochs", "threads", "execution", "help"]

    @Test("Every option of train mlp, resnet18 and vgg is a recipe option, a spec field or not part of the run, and back")
    func optionTablesAgree() {
        for (model, help) in [(ModelKind.mlp, TrainMLP.helpMessage(columns: 200)), (.resnet18, TrainResNet.helpMessage(columns: 200)),
                              (.vgg, TrainVGG.helpMessage(columns: 200))] {
            let command = commandOptions(help)
            let recipe = Set(RunRecipe.optionNames(for: model))
            #expect(command.count > 20, "\(model)")
            #expect(recipe.isSubset(of: command), "\(model): \(recipe.subtracting(command).sorted())")
            let unaccounted = command.subtracting(recipe).subtracting(specFields).subtracting(notOfTheRun)
            #expect(unaccounted.isEmpty, "\(model): \(unaccounted.sorted())")
        }
    }

    @Test("A recipe resolves as the command line with the same options does")
    func sameAsCommandLine() throws {
        var recipe = RunRecipe(model: .resnet18)
        recipe.dataset = .fashionMNIST
        (recipe.width, recipe.weightsOfWidth, recipe.ioOnly) = (16, 8, true)
        try recipe.set(option: "epochs", to: "3")
        try recipe.set(option: "schedule", to: "cosine")
        try recipe.set(option: "nesterov", to: "true")
        let command = try TrainResNet.parse([
            "--dataset", "fashion-mnist", "--width", "16", "--weights-of-width", "8", "--io-only", "--epochs", "3", "--schedule", "cosine", "--nesterov",
        ])
        #expect(try recipe.resolved().config == command.resolvedConfig())
        #expect(try recipe.resolved().budget == command.resolved().budget)
    }

    @Test("Options a spec may not give, and values they refuse, name options.<name>")
    func refusals() {
        var recipe = RunRecipe(model: .mlp)
        #expect(throws: ConfigError.self) { try recipe.set(option: "threads", to: "2") }
        do {
            try recipe.set(option: "form", to: "imagenet")
            Issue.record("form is not an MLP option")
        } catch {
            #expect("\(error)".hasPrefix("options.form: expected an option of widesparse train mlp that changes the run (activation, batch-norm,"))
        }
        #expect(throws: ConfigError(field: "options.epochs", expected: "a whole number (as --epochs of widesparse train takes)", found: "'many'")) {
            try recipe.set(option: "epochs", to: "many")
        }
        #expect(throws: ConfigError(field: "options.activation", expected: "one of relu, identity (as --activation of widesparse train takes)", found: "'tanh'")) {
            try recipe.set(option: "activation", to: "tanh")
        }
    }
}
