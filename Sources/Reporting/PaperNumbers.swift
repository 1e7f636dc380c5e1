import Experiments
import RunRecords

/// The paper's own numbers (docs/method.md section 9) for an experiment that matches one of its own,
/// by width, to print beside ours.
struct PaperNumbers {
    var dense: [Int: String]
    var sparse: [Int: String]
    var note: String
}

func paperNumbers(_ row: ResultRow) -> PaperNumbers? {
    switch row.config.model {
    case .resnet18(let resnet) where resnet.form == "imagenet" && row.config.data.dataset == "image-folder" && resnet.classes == 1000:
        return PaperNumbers(
            dense: [64: "68.03 (11.7M)", 90: "69.11 (22.8M)", 128: "70.22 (45.7M)", 181: "70.91 (90.7M)", 256: "71.89 (180.6M)"],
            sparse: [64: "68.03 (11.7M)", 90: "69.56 (11.7M)", 128: "70.02 (11.7M)", 181: "70.66 (11.7M)", 256: "70.53 (11.7M)"],
            note: "Paper: Table 1, ImageNet top-1 %, sparse models at the 11.7M weights of width 64.")
    case .mlp(let mlp) where ["mnist", "mnist5k"].contains(row.config.data.dataset) && mlp.parameterisation == "standard":
        return PaperNumbers(
            dense: [5: "about 90"], sparse: [80: "96.3 (ReLU)", 160: "96.3 (ReLU)", 40: "92.7 (linear)"],
            note: "Paper: Figure 5, MNIST at 3970 weights: dense width 5 about 90 %; ReLU best 96.3 % at connectivity 0.06 (width 80) or 0.03 (width 160) with the last layer above 0.8; linear best 92.7 % at width 40. (mnist5k has 4000 training digits, not 60000.)")
    default:
        return nil
    }
}
