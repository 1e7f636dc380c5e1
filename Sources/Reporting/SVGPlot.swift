import Foundation

/// A line plot with markers, error bars, axes, ticks and a legend, written as standalone SVG
/// (no plotting dependency; every figure of the report is one of these or a `HeatMap`).
public struct Plot: Sendable {
    public enum Scale: Sendable { case linear, log2, log10 }

    public struct Point: Equatable, Sendable {
        public var x: Double
        public var y: Double
        /// Half-height of the error bar (a standard deviation), nil for none.
        public var error: Double?
        public init(x: Double, y: Double, error: Double? = nil) {
            self.x = x
            self.y = y
            self.error = error
        }
    }

    public struct Series: Sendable {
        public var name: String
        public var color: String
        public var points: [Point]
        public var dashed = false
        /// One of `Plot.markers`: circle, square, triangle, diamond or cross.
        public var marker = "circle"
        public init(name: String, color: String, points: [Point], dashed: Bool = false, marker: String = "circle") {
            self.name = name
            self.color = color
            self.points = points.sorted { $0.x < $1.x }
            self.dashed = dashed
            self.marker = marker
        }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xScale: Scale
    public var yScale: Scale
    public var series: [Series]

    public init(title: String, xLabel: String, yLabel: String, xScale: Scale = .linear, yScale: Scale = .linear, series: [Series]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xScale = xScale
        self.yScale = yScale
        self.series = Plot.distinguished(series.filter { !$0.points.isEmpty })
    }

    public static let markers = ["circle", "square", "triangle", "diamond", "cross"]

    /// The series with no two drawn alike: a series whose colour, marker and dash an earlier one
    /// already has gets the next marker that is free in its colour, else the first colour of the
    /// palette that this plot does not use yet.
    static func distinguished(_ series: [Series]) -> [Series] {
        var used = Set<String>()
        func key(_ s: Series) -> String { "\(s.color)|\(s.marker)|\(s.dashed)" }
        return series.map { original in
            var line = original
            if used.contains(key(line)) {
                if let marker = markers.first(where: { !used.contains("\(line.color)|\($0)|\(line.dashed)") }) {
                    line.marker = marker
                } else if let colour = seriesColours.first(where: { c in !used.contains { $0.hasPrefix(c + "|") } }) {
                    line.color = colour
                }
            }
            used.insert(key(line))
            return line
        }
    }

    static let plotWidth = 450.0, plotHeight = 305.0
    static let left = 70.0, top = 40.0, bottom = 55.0
    /// Legend geometry: a row per series, an estimate of label width (Helvetica at 11 px averages
    /// under 6.6 px per character), and at most this wide beside the plot before it moves below.
    static let legendRow = 20.0, legendCharacter = 6.6, legendSample = 42.0, widestSideLegend = 300.0

    /// Where the legend goes and how big the canvas must be for it: beside the plot when it fits
    /// there (in width and height), else below it, in as many rows as it has series.
    var layout: (width: Double, height: Double, legendX: Double, legendY: Double, below: Bool) {
        let longest = series.map { Double($0.name.count) * Plot.legendCharacter }.max() ?? 0
        let legendWidth = Plot.legendSample + longest + 16
        let legendHeight = Double(series.count) * Plot.legendRow
        let plotRight = Plot.left + Plot.plotWidth
        if legendWidth <= Plot.widestSideLegend && legendHeight <= Plot.plotHeight {
            return (plotRight + max(120, legendWidth), Plot.top + Plot.plotHeight + Plot.bottom, plotRight + 14, Plot.top + 10, false)
        }
        let height = Plot.top + Plot.plotHeight + Plot.bottom + legendHeight + 10
        return (max(plotRight + 30, Plot.left + legendWidth + 10), height, Plot.left, Plot.top + Plot.plotHeight + Plot.bottom + 10, true)
    }

    /// The figure as an SVG document.
    public func svg() -> String {
        let layout = self.layout
        let (w, h) = (layout.width, layout.height)
        let plotWidth = Plot.plotWidth, plotHeight = Plot.plotHeight
        let points = series.flatMap(\.points)
        let xs = points.map { transform($0.x, xScale) }.filter(\.isFinite)
        let ys = points.flatMap { p in [p.y - (p.error ?? 0), p.y + (p.error ?? 0)] }.map { transform($0, yScale) }.filter(\.isFinite)
        let (xRange, yRange) = (paddedRange(xs), paddedRange(ys))
        func px(_ x: Double) -> Double { Plot.left + (transform(x, xScale) - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func py(_ y: Double) -> Double { Plot.top + plotHeight - (transform(y, yScale) - yRange.0) / (yRange.1 - yRange.0) * plotHeight }

        var out = svgHeader(width: w, height: h, title: title)
        out += "<rect x=\"\(f(Plot.left))\" y=\"\(f(Plot.top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"none\" stroke=\"#444\"/>\n"
        // Widths (log2 axes) are labelled where the data are, when there are few enough of them.
        let dataXs = Array(Set(points.map(\.x).filter { transform($0, xScale).isFinite })).sorted()
        let xTicks = xScale == .log2 && (2...12).contains(dataXs.count)
            ? dataXs.map { (transform($0, xScale), number($0)) } : ticks(xRange, xScale)
        for (value, label) in xTicks {
            let x = Plot.left + (value - xRange.0) / (xRange.1 - xRange.0) * plotWidth
            out += "<line x1=\"\(f(x))\" y1=\"\(f(Plot.top))\" x2=\"\(f(x))\" y2=\"\(f(Plot.top + plotHeight))\" stroke=\"#e4e4e4\"/>\n"
            out += text(label, x: x, y: Plot.top + plotHeight + 16, anchor: "middle", size: 11)
        }
        for (value, label) in ticks(yRange, yScale) {
            let y = Plot.top + plotHeight - (value - yRange.0) / (yRange.1 - yRange.0) * plotHeight
            out += "<line x1=\"\(f(Plot.left))\" y1=\"\(f(y))\" x2=\"\(f(Plot.left + plotWidth))\" y2=\"\(f(y))\" stroke=\"#e4e4e4\"/>\n"
            out += text(label, x: Plot.left - 6, y: y + 4, anchor: "end", size: 11)
        }
        out += text(title, x: Plot.left + plotWidth / 2, y: 22, anchor: "middle", size: 15, weight: "bold")
        out += text(xLabel, x: Plot.left + plotWidth / 2, y: Plot.top + plotHeight + Plot.bottom - 14, anchor: "middle", size: 13)
        out += "<text x=\"16\" y=\"\(f(Plot.top + plotHeight / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 16 \(f(Plot.top + plotHeight / 2)))\">\(escape(yLabel))</text>\n"
        for (index, line) in series.enumerated() {
            out += "<g class=\"series\" data-name=\"\(escape(line.name))\">\n"
            let path = line.points.filter { transform($0.x, xScale).isFinite && transform($0.y, yScale).isFinite }
                .map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            for point in line.points where transform(point.x, xScale).isFinite && transform(point.y, yScale).isFinite {
                let (x, y) = (px(point.x), py(point.y))
                if let error = point.error, error > 0 {
                    let (low, high) = (py(point.y - error), py(point.y + error))
                    out += "<line x1=\"\(f(x))\" y1=\"\(f(low))\" x2=\"\(f(x))\" y2=\"\(f(high))\" stroke=\"\(line.color)\"/>\n"
                }
                out += marker(line.marker, x: x, y: y, color: line.color)
            }
            // Legend entry.
            let ly = layout.legendY + Double(index) * Plot.legendRow
            let lx = layout.legendX
            out += "<line x1=\"\(f(lx))\" y1=\"\(f(ly))\" x2=\"\(f(lx + 22))\" y2=\"\(f(ly))\" stroke=\"\(line.color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            out += marker(line.marker, x: lx + 11, y: ly, color: line.color)
            out += text(line.name, x: lx + 28, y: ly + 4, anchor: "start", size: 11)
            out += "</g>\n"
        }
        if series.isEmpty { out += text("no data", x: Plot.left + plotWidth / 2, y: Plot.top + plotHeight / 2, anchor: "middle", size: 14) }
        return out + "</svg>\n"
    }

    private func transform(_ value: Double, _ scale: Scale) -> Double {
        switch scale {
        case .linear: return value
        case .log2: return value > 0 ? log2(value) : .nan
        case .log10: return value > 0 ? log10(value) : .nan
        }
    }

    private func paddedRange(_ values: [Double]) -> (Double, Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        let span = high - low
        let pad = span > 0 ? span * 0.06 : max(abs(low) * 0.1, 0.5)
        return (low - pad, high + pad)
    }

    /// Tick positions (in transformed units) and labels: powers on log axes, round steps otherwise.
    private func ticks(_ range: (Double, Double), _ scale: Scale) -> [(Double, String)] {
        switch scale {
        case .log2, .log10:
            let base = scale == .log2 ? 2.0 : 10.0
            let (first, last) = (Int(range.0.rounded(.up)), Int(range.1.rounded(.down)))
            let stride = max(1, (last - first + 1) / 8 + ((last - first + 1) % 8 > 0 ? 1 : 0))
            let majors = first <= last ? Swift.stride(from: first, through: last, by: stride).map { (Double($0), number(pow(base, Double($0)))) } : []
            guard majors.count < 3 else { return majors }
            // Less than about two powers in view: label the 2x and 5x (log10) or 1.5x (log2) steps too.
            let steps = scale == .log10 ? [1.0, 2, 5] : [1.0, 1.5]
            return (Int(range.0.rounded(.down))...Int(range.1.rounded(.up))).flatMap { power in
                steps.map { step in (logb(step, base) + Double(power), number(step * pow(base, Double(power)))) }
            }.filter { $0.0 >= range.0 && $0.0 <= range.1 }
        case .linear:
            let span = range.1 - range.0
            let raw = span / 6
            let magnitude = pow(10, floor(log10(raw)))
            let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
            var value = (range.0 / step).rounded(.up) * step
            var result: [(Double, String)] = []
            while value <= range.1 + step * 1e-9 {
                result.append((value, number(abs(value) < step * 1e-9 ? 0 : value)))
                value += step
            }
            return result
        }
    }
}

/// A grid of values as coloured cells (paper Figure 5), the best cell outlined.
public struct HeatMap: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var columns: [String]
    public var rows: [String]
    /// values[row][column], nil where nothing was trained (or infeasible).
    public var values: [[Double?]]
    public var valueLabel: String

    public init(title: String, xLabel: String, yLabel: String, columns: [String], rows: [String], values: [[Double?]], valueLabel: String) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.columns = columns
        self.rows = rows
        self.values = values
        self.valueLabel = valueLabel
    }

    /// (row, column) of the largest value.
    public var best: (Int, Int)? {
        var best: (Int, Int, Double)?
        for (r, row) in values.enumerated() {
            for (c, value) in row.enumerated() {
                if let value, value > (best?.2 ?? -.infinity) { best = (r, c, value) }
            }
        }
        return best.map { ($0.0, $0.1) }
    }

    public func svg() -> String {
        let cell = 46.0, left = 90.0, top = 40.0
        let w = max(560, left + cell * Double(columns.count) + 40), h = top + cell * Double(rows.count) + 60
        let known = values.flatMap { $0.compactMap { $0 } }
        let (low, high) = (known.min() ?? 0, known.max() ?? 1)
        var out = svgHeader(width: w, height: h, title: title)
        out += text(title, x: w / 2, y: 22, anchor: "middle", size: 15, weight: "bold")
        for (r, row) in values.enumerated() {
            for (c, value) in row.enumerated() {
                let (x, y) = (left + Double(c) * cell, top + Double(r) * cell)
                let colour = value.map { viridis(high > low ? ($0 - low) / (high - low) : 1) } ?? "#f4f4f4"
                out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"\(colour)\" stroke=\"#fff\"/>\n"
                out += text(value.map { String(format: "%.1f", 100 * $0) } ?? "-", x: x + cell / 2, y: y + cell / 2 + 4, anchor: "middle", size: 11,
                            colour: value.map { high > low && ($0 - low) / (high - low) > 0.6 ? "#000" : "#fff" } ?? "#999")
            }
            out += text(rows[r], x: left - 6, y: top + Double(r) * cell + cell / 2 + 4, anchor: "end", size: 11)
        }
        if let (r, c) = best {
            out += "<rect class=\"best\" x=\"\(f(left + Double(c) * cell + 1.5))\" y=\"\(f(top + Double(r) * cell + 1.5))\" width=\"\(f(cell - 3))\" height=\"\(f(cell - 3))\" fill=\"none\" stroke=\"#d62728\" stroke-width=\"3\"/>\n"
        }
        for (c, label) in columns.enumerated() {
            out += text(label, x: left + Double(c) * cell + cell / 2, y: top + Double(rows.count) * cell + 16, anchor: "middle", size: 11)
        }
        out += text(xLabel, x: left + cell * Double(columns.count) / 2, y: h - 12, anchor: "middle", size: 13)
        out += "<text x=\"14\" y=\"\(f(top + cell * Double(rows.count) / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 14 \(f(top + cell * Double(rows.count) / 2)))\">\(escape(yLabel))</text>\n"
        return out + "</svg>\n"
    }
}

/// Colours by family, in order; the same family gets the same colour in every figure.
public let seriesColours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"]
/// Dense models and baselines.
public let denseColour = "#222222"

func svgHeader(width: Double, height: Double, title: String) -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" "
        + "font-family=\"Helvetica, Arial, sans-serif\">\n<title>\(escape(title))</title>\n"
        + "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
}

func text(_ content: String, x: Double, y: Double, anchor: String, size: Int, weight: String = "normal", colour: String = "#222") -> String {
    "<text x=\"\(f(x))\" y=\"\(f(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" font-weight=\"\(weight)\" fill=\"\(colour)\">\(escape(content))</text>\n"
}

func marker(_ kind: String, x: Double, y: Double, color: String) -> String {
    let shape: String
    switch kind {
    case "cross":
        return "<path class=\"marker cross\" d=\"M\(f(x - 4)),\(f(y - 4)) L\(f(x + 4)),\(f(y + 4)) M\(f(x - 4)),\(f(y + 4)) L\(f(x + 4)),\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
    case "square": shape = "<rect class=\"marker square\" x=\"\(f(x - 3.5))\" y=\"\(f(y - 3.5))\" width=\"7\" height=\"7\""
    case "triangle": shape = "<path class=\"marker triangle\" d=\"M\(f(x)),\(f(y - 4.5)) L\(f(x + 4.5)),\(f(y + 3.5)) L\(f(x - 4.5)),\(f(y + 3.5)) Z\""
    case "diamond": shape = "<path class=\"marker diamond\" d=\"M\(f(x)),\(f(y - 5)) L\(f(x + 5)),\(f(y)) L\(f(x)),\(f(y + 5)) L\(f(x - 5)),\(f(y)) Z\""
    default: shape = "<circle class=\"marker circle\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3.5\""
    }
    return shape + " fill=\"\(color)\"/>\n"
}

/// XML text with &, < , > and quotes escaped.
func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
}

func f(_ value: Double) -> String { String(format: "%.1f", value) }

/// A tick label: integers plainly, small and large numbers in exponent form.
func number(_ value: Double) -> String {
    if value == 0 { return "0" }
    if abs(value) >= 1e5 || abs(value) < 1e-3 { return String(format: "%.0e", value) }
    if value == value.rounded() { return String(Int(value)) }
    return String(format: "%g", (value * 1e4).rounded() / 1e4)
}

/// A perceptual colour scale from dark purple (0) to yellow (1).
func viridis(_ t: Double) -> String {
    let stops: [(Double, Double, Double)] = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
    let position = min(max(t, 0), 1) * Double(stops.count - 1)
    let i = min(Int(position), stops.count - 2)
    let u = position - Double(i)
    let (a, b) = (stops[i], stops[i + 1])
    return String(format: "#%02x%02x%02x", Int(a.0 + (b.0 - a.0) * u), Int(a.1 + (b.1 - a.1) * u), Int(a.2 + (b.2 - a.2) * u))
}

/// The logarithm of `value` to `base`.
func logb(_ value: Double, _ base: Double) -> Double { log(value) / log(base) }
