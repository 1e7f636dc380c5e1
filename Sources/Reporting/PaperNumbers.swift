import RunResults
import RunRecords

/// The paper's own numbers (docs/method.md section 9) for an experiment that matches one of its own,
/// by width, to print beside ours.
struct PaperNumbers {
    var dense: [Int: String]
    var sparse: [Int: String]
    var note: String
}

/// The paper's numbers for a table of `row`'s model and data whose sparse families have the
/// weight `budgets`, or nil unless the setting is the paper's: the same model, data, input and
/// class counts, activation and budget. Training settings that differ (a quick spec's few
/// epochs) are named in the note rather than hidden.
func paperNumbers(_ row: ResultRow, budgets: [Int]) -> PaperNumbers? {
    let epochs = row.config.training.epochs
    switch row.config.model {
    case .resnet18(let resnet) where resnet.form == .imagenet && row.config.data.dataset == .imageFolder && resnet.classes == 1000:
        // The sparse column is at the 11.7M weights of width 64 (11,678,912 counted weights).
        guard budgets.contains(where: { $0 == 11_678_912 }) || budgets.isEmpty else { return nil }
        return PaperNumbers(
            dense: [64: "68.03 (11.7M)", 90: "69.11 (22.8M)", 128: "70.22 (45.7M)", 181: "70.91 (90.7M)", 256: "71.89 (180.6M)"],
            sparse: [64: "68.03 (11.7M)", 90: "69.56 (11.7M)", 128: "70.02 (11.7M)", 181: "70.66 (11.7M)", 256: "70.53 (11.7M)"],
            note: "Paper: Table 1, ImageNet top-1 %, sparse models at the 11.7M weights of width 64, 150 epochs"
                + (epochs == 150 ? "." : " (these runs: \(epochs))."))
    case .mlp(let mlp) where [.mnist, .mnist5k].contains(row.config.data.dataset) && mlp.parameterisation == .standard
        && mlp.inputSize == 784 && mlp.classes == 10 && mlp.hiddenLayers == 1 && (budgets.isEmpty || budgets.contains(3970)):
        let relu = mlp.activation == .relu
        return PaperNumbers(
            dense: [5: "about 90"], sparse: relu ? [80: "96.3", 160: "96.3"] : [40: "92.7"],
            note: "Paper: Figure 5, MNIST at 3970 weights, 300 epochs" + (epochs == 300 ? "" : " (these runs: \(epochs))") + ": dense width 5 about 90 %; "
                + (relu ? "ReLU best 96.3 % at connectivity 0.06 (width 80) or 0.03 (width 160), last layer above 0.8."
                        : "linear (identity) best 92.7 % at connectivity 0.13 (width 40).")
                + (row.config.data.dataset == .mnist5k ? " (mnist5k has 4000 training digits, not 60000.)" : ""))
    default:
        return nil
    }
}
