import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Reporting
import RunRecords
import Testing

/// Reads the drawing of a plot: the canvas size, each series' colour and marker, and where its
/// legend label sits.
final class PlotDrawing: NSObject, XMLParserDelegate {
    var width = 0.0, height = 0.0
    /// Per series (in order): stroke colour of its line, marker kinds, legend text and position.
    var series: [(name: String, colour: String, markers: Set<String>, legend: (x: Double, y: Double)?)] = []
    private var inSeries = false

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        switch name {
        case "svg":
            width = Double(attributes["width"] ?? "") ?? 0
            height = Double(attributes["height"] ?? "") ?? 0
        case "g" where attributes["class"] == "series":
            inSeries = true
            series.append((attributes["data-name"] ?? "", "", [], nil))
        case "polyline" where inSeries:
            series[series.count - 1].colour = attributes["stroke"] ?? ""
        case "text" where inSeries:
            series[series.count - 1].legend = (Double(attributes["x"] ?? "") ?? 0, Double(attributes["y"] ?? "") ?? 0)
        default:
            if inSeries, let kind = attributes["class"]?.split(separator: " ").last, attributes["class"]?.hasPrefix("marker") == true {
                series[series.count - 1].markers.insert(String(kind))
            }
        }
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "g" { inSeries = false }
    }

    static func of(_ svg: String) throws -> PlotDrawing {
        let parser = XMLParser(data: Data(svg.utf8))
        let drawing = PlotDrawing()
        parser.delegate = drawing
        #expect(parser.parse(), "not well-formed SVG")
        return drawing
    }
}

@Suite("Figures that can be read: distinct series, legends inside the canvas")
struct FigureTests {
    func series(_ name: String, colour: String = seriesColours[0], marker: String = "circle", dashed: Bool = false) -> Plot.Series {
        Plot.Series(name: name, color: colour, points: [.init(x: 8, y: 90), .init(x: 16, y: 92), .init(x: 32, y: 93)], dashed: dashed, marker: marker)
    }

    /// Every legend label ends inside the canvas (at the widest Helvetica average of 6.6 px per
    /// character at 11 px) and below its top.
    func expectLegendsInside(_ drawing: PlotDrawing) {
        for line in drawing.series {
            guard let legend = line.legend else {
                Issue.record("\(line.name): no legend label")
                continue
            }
            #expect(legend.x + 6.6 * Double(line.name.count) <= drawing.width, "\(line.name) runs past the right edge \(drawing.width)")
            #expect(legend.y <= drawing.height - 2 && legend.y > 0, "\(line.name) is outside the canvas height \(drawing.height)")
        }
    }

    @Test("Two series drawn with the same colour and marker are told apart by their markers")
    func distinctSeries() throws {
        let plot = Plot(title: "t", xLabel: "x", yLabel: "y", xScale: .log2, series: [series("a"), series("b"), series("c", colour: "#222222", dashed: true)])
        let drawing = try PlotDrawing.of(plot.svg())
        #expect(drawing.series.map(\.name) == ["a", "b", "c"])
        let styles = drawing.series.map { "\($0.colour)|\($0.markers.sorted())" }
        #expect(Set(styles).count == 3, "\(styles)")
        #expect(drawing.series[0].markers == ["circle"] && drawing.series[1].markers != ["circle"])
        // Six series of one colour: the five markers, then another colour.
        let many = Plot(title: "t", xLabel: "x", yLabel: "y", series: (0..<6).map { series("s\($0)") })
        let styles6 = try PlotDrawing.of(many.svg()).series.map { "\($0.colour)|\($0.markers.sorted())" }
        #expect(Set(styles6).count == 6, "\(styles6)")
    }

    @Test("Legends never clip: long labels widen the canvas or move below the plot, as do many series")
    func legendsInside() throws {
        let short = try PlotDrawing.of(Plot(title: "t", xLabel: "x", yLabel: "y", series: [series("3970 weights"), series("dense", colour: "#222222")]).svg())
        expectLegendsInside(short)
        let long = "11.7M weights (last-layer-connectivity=0.5, level-down), io-only, stages 1,2,3,4 widened"
        let wide = try PlotDrawing.of(Plot(title: "t", xLabel: "x", yLabel: "y", series: [series(long), series("dense", colour: "#222222")]).svg())
        expectLegendsInside(wide)
        let crowded = try PlotDrawing.of(Plot(title: "t", xLabel: "x", yLabel: "y", series: (0..<25).map { series("family \($0)", colour: seriesColours[$0 % 9]) }).svg())
        expectLegendsInside(crowded)
        #expect(crowded.height > wide.height && crowded.series.count == 25)
    }

    @Test("The paper's columns sit only beside the paper's setting: Figure 5's numbers need its 3970 weights")
    func paperColumnsMatchSettings() throws {
        let folder = temporaryFolder()
        for (index, (width, removed)) in [(5, [0, 0]), (10, [0, 0]), (10, [3000, 0])].enumerated() {
            // A family at 7940 weights (the dense width 10): not Figure 5's budget.
            let directory = "\(folder)/run-\(index)"
            try RecordFiles.writeJSON(mnist5kConfig(width: width, removed: removed, epochs: 1, seed: 0), to: directory + "/config.json")
            let metrics = [EpochMetrics(epoch: 1, learningRate: 0.1, trainLoss: 1, trainAccuracy: 0.5, testLoss: 1, testAccuracy: 0.5,
                                        validationLoss: nil, validationAccuracy: nil, seconds: 1)]
            let layers = [LayerWeights(name: "fc1.weight", shape: [width, 784], dense: 784 * width, kept: 784 * width - removed[0]),
                          LayerWeights(name: "fc2.weight", shape: [10, width], dense: 10 * width, kept: 10 * width)]
            try RecordFiles.writeJSON(RunResult(metrics: metrics, layers: layers), to: directory + "/result.json")
        }
        let other = try Report(folders: [folder])
        #expect(other.tables.count == 1 && !other.tables[0].header.contains("paper sparse"), "\(other.tables.map(\.header))")
        let paper = temporaryFolder()
        try writeReportFixture(paper)
        #expect(try Report(folders: [paper]).tables.first?.header.contains("paper sparse") == true)
    }
}
