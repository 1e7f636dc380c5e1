/// Bottleneck models of growing width at the weights of the plain base model (SPEC.md section 1).
public struct BottleneckFamily: Codable, Equatable, Sendable {
    public struct Member: Codable, Equatable, Sendable {
        public var width: Int
        /// width / base width.
        public var wideningFactor: Double
        /// nil when the width cannot meet the target (`infeasible` says why).
        public var plan: BottleneckPlan?
        public var infeasible: String?
        /// weights - target (nil when infeasible).
        public var residual: Int?
    }

    public var model: String
    public var kind: BottleneckKind
    public var baseWidth: Int
    /// Weights of the plain dense model of the base width.
    public var targetWeights: Int
    public var members: [Member]

    /// `plan(width, atBaseWidth)` builds one member's plan or throws why it cannot.
    public init(
        model: String, kind: BottleneckKind, baseWidth: Int, targetWeights: Int, widths: [Int],
        plan: (Int, Bool) throws -> BottleneckPlan
    ) {
        self.model = model
        self.kind = kind
        self.baseWidth = baseWidth
        self.targetWeights = targetWeights
        members = widths.map { width in
            let factor = Double(width) / Double(baseWidth)
            guard width >= baseWidth else {
                return Member(width: width, wideningFactor: factor, plan: nil,
                              infeasible: "narrower than the base width \(baseWidth): a bottleneck only widens", residual: nil)
            }
            do {
                let plan = try plan(width, width == baseWidth)
                return Member(width: width, wideningFactor: factor, plan: plan, infeasible: nil, residual: plan.residual)
            } catch {
                return Member(width: width, wideningFactor: factor, plan: nil, infeasible: "\(error)", residual: nil)
            }
        }
    }
}
