import Choices
import RunRecords

/// Models of growing width built by one method at one budget: by default the weights of the
/// plain dense model of the base width (what `widesparse family` prints).
public struct WideningFamily: Codable, Equatable, Sendable {
    public struct Member: Codable, Equatable, Sendable {
        public var width: Int
        /// width / base width.
        public var wideningFactor: Double
        /// nil when the width cannot be built (`infeasible` says why).
        public var model: WidenedModel?
        public var infeasible: String?
    }

    /// The architecture's name (e.g. "resnet18-cifar").
    public var architecture: String
    public var method: String
    public var baseWidth: Int
    /// The budget every member keeps (nil for the dense method).
    public var targetWeights: Int?
    public var members: [Member]

    /// Builds each width with `method`; a width that cannot be built is kept with the reason.
    /// `weights` replaces the default budget (the plain dense base model's).
    public init(architecture: Architecture, method: any WideningMethod, baseWidth: Int, widths: [Int], weights: Int? = nil) throws {
        if !type(of: method).keepsBudget, let weights {
            throw ConfigError(field: "weights", expected: "no budget with --method \(type(of: method).name) (it keeps none)", found: "\(weights)")
        }
        let target = type(of: method).keepsBudget
            ? try weights ?? architecture.denseWeights(width: baseWidth, baseWidth: baseWidth)
            : nil
        self.architecture = architecture.name
        self.method = type(of: method).name
        self.baseWidth = baseWidth
        targetWeights = target
        members = widths.map { width in
            let factor = Double(width) / Double(baseWidth)
            do {
                let model = try method.widen(WideningRequest(architecture: architecture, width: width, baseWidth: baseWidth, targetWeights: target))
                return Member(width: width, wideningFactor: factor, model: model, infeasible: nil)
            } catch {
                return Member(width: width, wideningFactor: factor, model: nil, infeasible: "\(error)")
            }
        }
    }
}
