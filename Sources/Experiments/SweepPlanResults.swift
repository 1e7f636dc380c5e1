import RunResults

extension SweepResults {
    /// A sweep's runs, missing ones too, and the spec entries whose budget cannot be met.
    public init(plan: SweepPlan) {
        let rows = plan.trainable.map { ResultRow(id: $0.id!, directory: plan.directory(of: $0)!, config: $0.config!, labels: $0.labels) }
        let infeasible = plan.runs.compactMap { run -> InfeasibleEntry? in
            guard case .infeasible(let reason) = run.status else { return nil }
            let request = run.request
            return InfeasibleEntry(
                summary: request.summary.replacingOccurrences(of: " seed \(request.seed)", with: ""),
                key: "\(request.dataset) \(request.width) \(reason)", reason: reason)
        }
        self.init(rows: rows, infeasible: infeasible)
    }
}
