import Foundation

extension KernelStudy {
    /// The table `kernel` and `figure8` print: one line per width, the smallest of each
    /// measure marked with '*', and whether Monte-Carlo and the exact expression agree.
    public var table: String {
        let study = self
        func cell(_ estimate: Estimate) -> String {
            String(format: "%.4e +- %.1e", estimate.value, estimate.standardError)
        }
        var lines = ["    n         p   D Monte-Carlo            D exact (eq. 1)          eq. 4       eq. 4 / MC"]
        for row in study.rows {
            let mark = { (flag: Bool) in flag ? "*" : " " }
            var line = String(format: "%5d  %8.5f   ", row.width, row.connectivity)
            line += cell(row.monteCarlo) + mark(row.width == study.argminMonteCarlo) + "   "
            line += cell(row.exact) + mark(row.width == study.argminExact) + "   "
            line += String(format: "%.4e", row.equationFour) + mark(row.width == study.argminEquationFour)
            line += String(format: "   %8.2f", row.equationFour / row.monteCarlo.value)
            if let enumerated = row.enumerated { line += String(format: "   enumerated %.4e", enumerated) }
            lines.append(line)
        }
        lines.append("* = smallest. Smallest D: Monte-Carlo at n = \(study.argminMonteCarlo ?? 0), exact at n = \(study.argminExact ?? 0), eq. 4 at n = \(study.argminEquationFour ?? 0).")
        let disagreements = study.disagreements()
        if study.settings.reference == "analytic" {
            lines.append(disagreements.isEmpty
                ? "Monte-Carlo and the exact expression agree within 3 standard errors at every width."
                : "Monte-Carlo and the exact expression differ by more than 3 standard errors at n = \(disagreements.map(String.init).joined(separator: ", ")).")
        } else {
            lines.append("Monte-Carlo is measured against the empirical reference, the exact expression against the analytic kernel; differences include the reference's own finite width.")
        }
        return lines.joined(separator: "\n")
    }
}
