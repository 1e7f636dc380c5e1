import ArgumentParser
import Foundation
import Reporting

/// `widesparse report RUNS... --out DIR`
public struct ReportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw the paper's figures and tables from run folders: an HTML page, a Markdown summary, an SVG and a CSV per figure.",
        discussion: """
            Reads every run under the folders (config.json, result.json, labels.json) and any \
            figure8.json, and draws what they contain: accuracy against width per family with the \
            dense models beside it (Figures 1, 6, 11), against connectivity (12), training accuracy \
            (14), the fraction of the improvement due to width (7), the MLP heat map over last-layer \
            connectivity (5), per-layer connectivity (10), all-entries against io-only masks (9), \
            kernel distance and test error (8), and a dense-against-sparse table by width (Table 1) \
            with the paper's numbers beside ours where the experiment is the paper's. Runs that are \
            not done are listed, not drawn. The page needs no network and no JavaScript.
            """ + examples(
                ("then open report/report.html", "widesparse report runs/figure5-quick --out report"),
                ("several experiments in one report", "widesparse report runs/figure6-quick runs/figure3-quick runs/figure8-quick --out report")))

    @Argument(help: "Folders of runs (e.g. runs/figure6-quick).")
    var runs: [String]

    @Option(help: "Folder for report.html, report.md and the figures.")
    var out: String = "report"

    public init() {}

    public func run() throws {
        let report = try reportingErrors { try Report(folders: runs) }
        let page = try reportingErrors { try report.write(to: out) }
        print("\(report.figures.count) figures, \(report.tables.count) tables from \(report.runCount) runs (\(report.doneCount) done)")
        for problem in report.problems.prefix(10) { print("  not drawn: \(problem)") }
        if report.problems.count > 10 { print("  ... and \(report.problems.count - 10) more (report.md lists them)") }
        print("report: \(page)")
    }
}
