import Choices
import RunResults
import Foundation
import RunRecords

/// One figure of the report: its SVG and the CSV of the numbers drawn.
public struct Figure: Sendable {
    /// The section (a family of runs, or a Figure 8 record) it belongs to.
    public var section = ""
    /// File stem, e.g. "fig6-test-vs-width-1".
    public var name: String
    public var caption: String
    public var svg: String
    /// series,x,y,y_error (or row,column,value for heat maps)
    public var csv: String
}

/// A titled table, kept as rows so Markdown and HTML render the same cells.
public struct Table: Sendable {
    public var section = ""
    public var title: String
    public var header: [String]
    public var rows: [[String]]
    public var note: String?
}

/// The paper's figures and tables drawn from run folders alone (docs/method.md sections 6 and 9):
/// whatever the runs contain is drawn, and what is missing is said.
public struct Report: Sendable {
    public private(set) var figures: [Figure] = []
    public private(set) var tables: [Table] = []
    /// Section titles in order; figures and tables name theirs.
    public private(set) var sections: [String] = []
    private var currentSection = ""
    /// Runs that are not done, and files that could not be read.
    public private(set) var problems: [String] = []
    public let folders: [String]
    public private(set) var runCount = 0
    public private(set) var doneCount = 0

    public init(folders: [String]) throws {
        self.folders = folders
        var rows: [ResultRow] = []
        for folder in folders {
            guard FileManager.default.fileExists(atPath: folder) else {
                problems.append("\(folder): no such folder")
                continue
            }
            rows += try SweepResults(folder: folder).rows
        }
        // The same configuration in two experiments' folders is one run trained twice, not two
        // seeds: keep one (a finished one where there is one), or it would count as a repeat.
        var byID: [String: Int] = [:]
        var unique: [ResultRow] = []
        for row in rows {
            if let index = byID[row.id] {
                if unique[index].state != .done && row.state == .done { unique[index] = row }
            } else {
                byID[row.id] = unique.count
                unique.append(row)
            }
        }
        rows = unique
        runCount = rows.count
        doneCount = rows.filter { $0.state == .done }.count
        for row in rows where row.state != .done {
            problems.append("\(row.state.rawValue): \(row.directory)" + (row.note.map { ": \($0)" } ?? ""))
        }
        let results = SweepResults(rows: rows)
        let groups = results.groups().filter { $0.bestTest != nil }
        var panelOrder: [String] = []
        var panels: [String: [ResultGroup]] = [:]
        for group in groups {
            let key = "\(group.first.config.data.dataset)|\(group.first.familyKey)"
            if panels[key] == nil { panelOrder.append(key) }
            panels[key, default: []].append(group)
        }
        // Panels that share a model and dataset are told apart by the settings that differ among them.
        func title(_ key: String) -> String {
            let first = panels[key]![0].first
            return "\(modelTitle(first.config)) on \(first.config.data.dataset)"
        }
        for (index, key) in panelOrder.enumerated() {
            let namesakes = panelOrder.filter { title($0) == title(key) }.map { panels[$0]![0].first }
            let flat = flattened(panels[key]![0].first.config)
            let settings = namesakes.count < 2 ? [] : varyingFields(namesakes).map { "\($0.name) \(flat[$0.key] ?? "-")" }
            currentSection = title(key) + (settings.isEmpty ? "" : ", " + settings.joined(separator: ", "))
            sections.append(currentSection)
            addPanel(panels[key]!, number: index + 1)
        }
        for folder in folders { addFigure8Records(under: folder) }
        if rows.isEmpty && figures.isEmpty { problems.append("no run folders (with config.json) found under \(folders.joined(separator: ", "))") }
    }

    /// A panel: one family of runs (same data, model and settings) over widths and budgets.
    mutating func addPanel(_ allGroups: [ResultGroup], number: Int) {
        let first = allGroups[0].first
        let name = "\(modelTitle(first.config)) on \(first.config.data.dataset)"
        // Models widened in chosen stages only have a figure of their own; the paper's figures
        // show models widened everywhere.
        addStageWidening(allGroups, name: name, number: number)
        let groups = allGroups.filter { $0.first.widenedStages == nil }
        guard !groups.isEmpty else { return }
        let multipleRules = Set(groups.filter { $0.first.isSparse }.map { ($0.first.labels?.rule ?? "").replacingOccurrences(of: ", io-only", with: "") }).count > 1
        let dense = groups.filter { $0.first.isDense }
        let sparse = groups.filter { $0.first.isSparse }
        // Sparse families: same budget, rule and mask pattern; each starts at its dense base.
        var familyOrder: [String] = []
        var families: [String: [ResultGroup]] = [:]
        for group in sparse {
            let key = familyName(group.first, multipleRules: multipleRules)
            if families[key] == nil { familyOrder.append(key) }
            families[key, default: []].append(group)
        }
        familyOrder.sort { (budget(of: families[$0]![0]), $0) < (budget(of: families[$1]![0]), $1) }
        // Each family its own colour and marker, the same in every figure of the panel.
        func colour(_ key: String) -> String { seriesColours[(familyOrder.firstIndex(of: key) ?? 0) % seriesColours.count] }
        func marker(_ key: String) -> String { Plot.markers[(familyOrder.firstIndex(of: key) ?? 0) % (Plot.markers.count - 1)] }
        /// One series per sparse family: value(group) is (mean, standard deviation or nil).
        func familySeries(_ value: (ResultGroup) -> (Double, Double?)?, x: (ResultGroup) -> Double, includeBase: Bool) -> [Plot.Series] {
            familyOrder.map { key in
                var members = families[key]!
                if includeBase, let base = dense.first(where: { $0.first.weights.kept == budget(of: members[0]) }) { members.insert(base, at: 0) }
                let points = members.compactMap { group in value(group).map { Plot.Point(x: x(group), y: $0.0, error: $0.1) } }
                let ioOnly = members.contains { pattern($0.first) == .ioOnly }
                return Plot.Series(name: key, color: colour(key), points: points, marker: ioOnly ? "cross" : marker(key))
            }
        }
        let test: (ResultGroup) -> (Double, Double?)? = { $0.bestTest.map(percentWithError) }
        let train: (ResultGroup) -> (Double, Double?)? = { $0.finalTrain.map(percentWithError) }
        let width: (ResultGroup) -> Double = { Double($0.first.width) }
        /// The dense models of every width, dashed.
        func denseSeries(_ value: (ResultGroup) -> (Double, Double?)?) -> Plot.Series {
            Plot.Series(name: "dense", color: denseColour,
                        points: dense.compactMap { g in value(g).map { Plot.Point(x: width(g), y: $0.0, error: $0.1) } }, dashed: true)
        }
        let (denseTest, denseTrain) = (denseSeries(test), denseSeries(train))

        add(Figure(name: "fig6-test-vs-width-\(number)",
                   caption: "\(name): best test accuracy against width at fixed weights (each family starts at its dense base), dense models of each width dashed; bars: standard deviation over seeds (paper Figures 1, 6, 11).",
                   plot: Plot(title: "\(name): test accuracy", xLabel: "width (stem channels / hidden units)", yLabel: "best test accuracy (%)",
                              xScale: .log2, series: familySeries(test, x: width, includeBase: true) + [denseTest])))
        if !sparse.isEmpty {
            add(Figure(name: "fig12-test-vs-connectivity-\(number)",
                       caption: "\(name): best test accuracy against connectivity (weights / weights of the dense model of the same width) (paper Figure 12).",
                       plot: Plot(title: "\(name): test accuracy by connectivity", xLabel: "connectivity", yLabel: "best test accuracy (%)",
                                  xScale: .log10, series: familySeries(test, x: { $0.first.connectivity }, includeBase: true))))
        }
        add(Figure(name: "fig14-train-vs-width-\(number)",
                   caption: "\(name): final training accuracy against width (paper Figure 14).",
                   plot: Plot(title: "\(name): training accuracy", xLabel: "width", yLabel: "final train accuracy (%)", xScale: .log2,
                              series: familySeries(train, x: width, includeBase: true) + [denseTrain])))
        let fractions = familySeries({ $0.fractionDueToWidth.map { ($0, nil) } }, x: width, includeBase: false)
        if fractions.contains(where: { !$0.points.isEmpty }) {
            add(Figure(name: "fig7-fraction-due-to-width-\(number)",
                       caption: "\(name): fraction of the test accuracy gained by the dense model of the same width that the sparse model gains at fixed weights, (sparse - base) / (dense - base) (paper Figure 7).",
                       plot: Plot(title: "\(name): improvement due to width", xLabel: "width", yLabel: "fraction of the improvement", xScale: .log2,
                                  series: fractions)))
        }
        if sparse.contains(where: { pattern($0.first) == .ioOnly }) {
            add(Figure(name: "fig9-io-only-\(number)",
                       caption: "\(name): removals over all entries of each weight tensor (circles) against whole kernels only (io-only, crosses) (paper Figure 9).",
                       plot: Plot(title: "\(name): all entries vs io-only", xLabel: "width", yLabel: "best test accuracy (%)", xScale: .log2,
                                  series: familySeries(test, x: width, includeBase: false))))
        }
        addBottleneckFigures(groups.filter { $0.first.isBottleneck }, dense: dense, name: name, number: number)
        addLayerConnectivity(familyOrder.first.map { families[$0]! } ?? [], name: name, number: number)
        addHeatMap(sparse + dense, name: name, number: number)
        addTable(dense: dense, families: familyOrder.map { ($0, families[$0]!) }, name: name, first: first)
    }

    /// Figure 3: for each bottleneck method, best test accuracy against width, one series per
    /// target (the weights of the plain base model), with that base model's accuracy as a dashed
    /// line. At its base width the non-linear bottleneck is the plain model, so its series starts there.
    mutating func addBottleneckFigures(_ bottlenecks: [ResultGroup], dense: [ResultGroup], name: String, number: Int) {
        guard !bottlenecks.isEmpty else { return }
        let targets = Array(Set(bottlenecks.compactMap { $0.first.bottleneck?.targetWeights })).sorted()
        // Every mask-free method the runs contain, in order of name (the paper's two: linear, non-linear).
        for method in Array(Set(bottlenecks.map(\.first.method))).sorted() {
            let members = bottlenecks.filter { $0.first.method == method }
            guard !members.isEmpty else { continue }
            var series: [Plot.Series] = []
            for (index, target) in targets.enumerated() {
                var family = members.filter { $0.first.bottleneck?.targetWeights == target }
                guard !family.isEmpty else { continue }
                let base = dense.first { $0.first.weights.kept == target }
                // A method whose base-width model is the plain model (non-linear) starts at the base run.
                if let base, !family.contains(where: { $0.first.width == base.first.width }) {
                    family.insert(base, at: 0)
                }
                let colour = seriesColours[index % seriesColours.count]
                let points = family.compactMap { group in group.bestTest.map { Plot.Point(x: Double(group.first.width), y: percentWithError($0).0, error: percentWithError($0).1) } }
                series.append(Plot.Series(name: "\(formatCount(target)) weights", color: colour, points: points))
                if let accuracy = base?.bestTest.map({ 100 * $0.mean }), let low = points.map(\.x).min(), let high = points.map(\.x).max() {
                    series.append(Plot.Series(
                        name: "\(formatCount(target)) weights, baseline (width \(base!.first.width))", color: colour,
                        points: [Plot.Point(x: low, y: accuracy), Plot.Point(x: high, y: accuracy)], dashed: true))
                }
            }
            let kind = method == "nonlinear-bottleneck" ? "non-linear bottleneck" : method.replacingOccurrences(of: "-", with: " ")
            add(Figure(name: "fig3-\(method)-\(number)",
                       caption: "\(name): best test accuracy against width with the \(kind) at the weights of the plain base model; the base model's accuracy dashed (paper Figure 3).",
                       plot: Plot(title: "\(name): \(kind)", xLabel: "width", yLabel: "best test accuracy (%)", xScale: .log2, series: series)))
        }
    }

    /// Widening chosen stages only (the seed notes' "widening different layers"): best test
    /// accuracy against width, one series per method and choice of widened stages (all four
    /// included), at the weights of the dense base model, whose accuracy is dashed.
    mutating func addStageWidening(_ groups: [ResultGroup], name: String, number: Int) {
        guard groups.contains(where: { $0.first.widenedStages != nil }) else { return }
        let dense = groups.filter { $0.first.isDense && $0.first.widenedStages == nil }
        let widened = groups.filter { !$0.first.isDense || $0.first.widenedStages != nil }
        func stages(_ group: ResultGroup) -> [Int] { group.first.widenedStages ?? [1, 2, 3, 4] }
        var keys: [String] = []
        var members: [String: [ResultGroup]] = [:]
        for group in widened.sorted(by: { $0.first.width < $1.first.width }) {
            let key = "\(group.first.method), stages \(stages(group).map(String.init).joined(separator: ","))"
                + (group.first.isDense ? "" : " at \(formatCount(group.first.bottleneck?.targetWeights ?? budget(of: group))) weights")
            if members[key] == nil { keys.append(key) }
            members[key, default: []].append(group)
        }
        keys.sort()
        var series = keys.enumerated().map { index, key in
            Plot.Series(name: key, color: seriesColours[index % seriesColours.count],
                        points: members[key]!.compactMap { group in
                            group.bestTest.map { Plot.Point(x: Double(group.first.width), y: percentWithError($0).0, error: percentWithError($0).1) }
                        })
        }
        let widths = widened.map { Double($0.first.width) }
        let targets = Set(widened.filter { !$0.first.isDense }.map { $0.first.bottleneck?.targetWeights ?? budget(of: $0) })
        for base in dense where targets.contains(budget(of: base)) {
            guard let accuracy = base.bestTest.map({ 100 * $0.mean }), let low = widths.min(), let high = widths.max() else { continue }
            series.append(Plot.Series(name: "dense base (width \(base.first.width))", color: denseColour,
                                      points: [Plot.Point(x: low, y: accuracy), Plot.Point(x: high, y: accuracy)], dashed: true))
        }
        add(Figure(name: "stages-test-vs-width-\(number)",
                   caption: "\(name): best test accuracy against width when only some stages widen (the others keep the base width's channels), per method at the weights of the dense base model (dashed).",
                   plot: Plot(title: "\(name): widening chosen stages", xLabel: "width", yLabel: "best test accuracy (%)", xScale: .log2, series: series)))
    }

    /// Figure 10: per-layer connectivity of each width of one family.
    mutating func addLayerConnectivity(_ family: [ResultGroup], name: String, number: Int) {
        let series = family.enumerated().compactMap { index, group -> Plot.Series? in
            guard let layers = group.rows.compactMap(\.result).first?.layers, layers.count > 2 else { return nil }
            return Plot.Series(
                name: "width \(group.first.width)", color: seriesColours[index % seriesColours.count],
                points: layers.enumerated().map { Plot.Point(x: Double($0.offset + 1), y: $0.element.connectivity) })
        }
        guard !series.isEmpty else { return }
        add(Figure(name: "fig10-layer-connectivity-\(number)",
                   caption: "\(name): connectivity of every weight tensor (model order) for each width of the family at \(formatCount(budget(of: family[0]))) weights (paper Figure 10).",
                   plot: Plot(title: "\(name): connectivity per layer", xLabel: "weight tensor (model order)", yLabel: "layer connectivity",
                              yScale: .log10, series: series)))
    }

    /// Figure 5: MLP test accuracy over width (overall connectivity) x last-layer connectivity.
    mutating func addHeatMap(_ groups: [ResultGroup], name: String, number: Int) {
        let prefix = "last-layer-connectivity="
        let cells = groups.compactMap { group -> (width: Int, overall: Double, last: Double, value: Double)? in
            guard let rule = group.first.labels?.rule, rule.hasPrefix(prefix), let last = Double(rule.dropFirst(prefix.count)),
                  let value = group.bestTest?.mean else { return nil }
            return (group.first.width, group.first.connectivity, last, value)
        }
        guard Set(cells.map(\.last)).count > 1 || Set(cells.map(\.width)).count > 1, !cells.isEmpty else { return }
        let widths = Array(Set(cells.map(\.width))).sorted()
        let lasts = Array(Set(cells.map(\.last))).sorted(by: >)
        let values = widths.map { w in lasts.map { l in cells.first { $0.width == w && $0.last == l }?.value } }
        let map = HeatMap(
            title: "\(name): test accuracy (%)", xLabel: "last-layer connectivity",
            yLabel: "overall connectivity (width)", columns: lasts.map { String(format: "%g", $0) },
            rows: widths.map { w in String(format: "%.3g (%d)", cells.first { $0.width == w }!.overall, w) }, values: values,
            valueLabel: "best test accuracy")
        var csv = "overall_connectivity,width,last_layer_connectivity,best_test_accuracy\n"
        for cell in cells.sorted(by: { ($0.width, -$0.last) < ($1.width, -$1.last) }) {
            csv += "\(cell.overall),\(cell.width),\(cell.last),\(cell.value)\n"
        }
        figures.append(Figure(
            section: currentSection, name: "fig5-heat-map-\(number)",
            caption: "\(name): best test accuracy over overall connectivity (rows) and last-layer connectivity (columns); the best cell is outlined; '-' not trained or infeasible (paper Figure 5).",
            svg: map.svg(), csv: csv))
    }

    /// Table 1's layout: dense and sparse accuracy by width with weight counts, and the paper's
    /// numbers where the experiment is one of the paper's.
    mutating func addTable(dense: [ResultGroup], families: [(String, [ResultGroup])], name: String, first: ResultRow) {
        let widths = Array(Set(dense.map(\.first.width) + families.flatMap { $0.1.map(\.first.width) })).sorted()
        func cell(_ group: ResultGroup?) -> String {
            guard let group, let spread = group.bestTest else { return "-" }
            let seeds = spread.count > 1 ? String(format: " ± %.2f", 100 * spread.standardDeviation) : ""
            return String(format: "%.2f", 100 * spread.mean) + seeds + " (\(formatCount(group.first.weights.kept)))"
        }
        let paper = paperNumbers(first, budgets: families.map { budget(of: $0.1[0]) })
        var header = ["width", "dense"] + families.map { "sparse, \($0.0)" }
        if paper != nil { header += ["paper dense", "paper sparse"] }
        let rows = widths.map { width -> [String] in
            var row = ["\(width)", cell(dense.first { $0.first.width == width })]
            row += families.map { family in cell(family.1.first { $0.first.width == width }) }
            if let paper { row += [paper.dense[width] ?? "-", paper.sparse[width] ?? "-"] }
            return row
        }
        tables.append(Table(
            section: currentSection, title: "\(name): best test accuracy % by width (weights)", header: header, rows: rows,
            note: paper?.note ?? "Mean ± standard deviation over seeds where there are several."))
    }

    /// Figure 8 from every figure8.json under `folder`.
    mutating func addFigure8Records(under folder: String) {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return }
        let name = ExperimentDirectory.File.figure8.rawValue
        for case let path as String in walker where path == name || path.hasSuffix("/" + name) {
            let file = "\(folder)/\(path)"
            guard let record = try? RecordFiles.readJSON(Figure8Record.self, from: file) else {
                problems.append("\(file): not a figure8.json widesparse can read")
                continue
            }
            let number = figures.filter { $0.name.hasPrefix("fig8-") }.count / 2 + 1
            currentSection = "Figure 8: kernel distance and test error (\(file))"
            sections.append(currentSection)
            let rows = record.kernel.sorted { $0.width < $1.width }
            let distance = Plot(
                title: "Kernel distance at initialisation", xLabel: "width n", yLabel: "D (mean squared kernel distance)", xScale: .log2, yScale: .log10,
                series: [
                    Plot.Series(name: "Monte-Carlo", color: seriesColours[0], points: rows.map { .init(x: Double($0.width), y: $0.monteCarlo.value, error: $0.monteCarlo.standardError) }),
                    Plot.Series(name: "exact (eq. 1)", color: seriesColours[2], points: rows.map { .init(x: Double($0.width), y: $0.exact.value, error: $0.exact.standardError) }, marker: "cross"),
                    Plot.Series(name: "eq. 4", color: "#999999", points: rows.map { .init(x: Double($0.width), y: $0.equationFour) }, dashed: true),
                ])
            add(Figure(name: "fig8-kernel-distance-\(number)",
                       caption: "Kernel distance of the sparse two-layer net's GP kernel from the infinite-width kernel at initialisation, three ways (paper Figure 8b; \(file)).",
                       plot: distance))
            let errors = rows.compactMap { row in
                record.testErrorMean["\(row.width)"].map { Plot.Point(x: Double(row.width), y: 100 * $0, error: record.testErrorStandardDeviation["\(row.width)"].map { 100 * $0 }) }
            }
            add(Figure(name: "fig8-test-error-\(number)",
                       caption: String(format: "Test error of the trained models against width (paper Figure 8). Spearman rank correlation of test error with D: Monte-Carlo %.2f, exact %.2f, eq. 4 %.2f; best width %d, smallest Monte-Carlo D at %d.",
                                       record.spearman["monteCarlo"] ?? .nan, record.spearman["exact"] ?? .nan, record.spearman["equationFour"] ?? .nan,
                                       record.bestWidth, record.argminMonteCarlo),
                       plot: Plot(title: "Test error after training", xLabel: "width n", yLabel: "test error (%)", xScale: .log2,
                                  series: [Plot.Series(name: "sparse, tuned lr", color: seriesColours[1], points: errors)])))
        }
    }

    mutating func add(_ figure: Figure) {
        var figure = figure
        figure.section = currentSection
        figures.append(figure)
    }
}

extension Figure {
    init(name: String, caption: String, plot: Plot) {
        var csv = "series,x,y,y_error\n"
        for series in plot.series {
            for point in series.points {
                csv += "\(csvText(series.name)),\(point.x),\(point.y),\(point.error.map { "\($0)" } ?? "")\n"
            }
        }
        self.init(section: "", name: name, caption: caption, svg: plot.svg(), csv: csv)
    }
}

/// The parts of figure8.json the report draws.
struct Figure8Record: Decodable {
    struct Estimate: Decodable {
        var value: Double
        var standardError: Double
    }
    struct Row: Decodable {
        var width: Int
        var monteCarlo: Estimate
        var exact: Estimate
        var equationFour: Double
    }
    var kernel: [Row]
    var testErrorMean: [String: Double]
    var testErrorStandardDeviation: [String: Double]
    var spearman: [String: Double]
    var bestWidth: Int
    var argminMonteCarlo: Int
}

func budget(of group: ResultGroup) -> Int { group.first.weights.kept }

func pattern(_ row: ResultRow) -> MaskPattern { row.config.model.record.maskPattern }

func familyName(_ row: ResultRow, multipleRules: Bool) -> String {
    var name = "\(formatCount(row.weights.kept)) weights"
    if multipleRules, let rule = row.labels?.rule { name += " (\(rule.replacingOccurrences(of: ", io-only", with: "")))" }
    if pattern(row) == .ioOnly { name += ", io-only" }
    return name
}

/// A spread in percent, with its standard deviation only when there are several seeds.
func percentWithError(_ spread: Spread) -> (Double, Double?) {
    (100 * spread.mean, spread.count > 1 ? 100 * spread.standardDeviation : nil)
}

func modelTitle(_ config: RunConfig) -> String { config.model.record.title }

/// 3970, 175k, 11.2M
func formatCount(_ count: Int) -> String {
    if count >= 1_000_000 { return String(format: "%.1fM", Double(count) / 1e6) }
    if count >= 10_000 { return String(format: "%.0fk", Double(count) / 1e3) }
    return "\(count)"
}

func csvText(_ text: String) -> String {
    text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
}
