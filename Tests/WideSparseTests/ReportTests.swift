import Datasets
import Experiments
import Foundation
import Reporting
import RunRecords
import Testing
import Training
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A fixed set of run folders: an MLP family at 3970 weights (widths 5, 10, 20; last layer
/// dense or half-connected), dense models of widths 10 and 20, two seeds, made-up but fixed
/// accuracies; plus one failed run and one that never started.
func writeReportFixture(_ folder: String) throws {
    var index = 0
    func run(width: Int, removed: [Int], seed: UInt64, accuracy: Double, train: Double, labels: RunLabels?) throws {
        let directory = "\(folder)/run-\(index)"
        index += 1
        let config = mnist5kConfig(width: width, removed: removed, epochs: 2, seed: seed)
        try RecordFiles.writeJSON(config, to: directory + "/config.json")
        if let labels { try RecordFiles.writeJSON(labels, to: directory + "/labels.json") }
        let metrics = [1, 2].map { epoch in
            EpochMetrics(epoch: epoch, learningRate: 0.1, trainLoss: 1, trainAccuracy: train - Double(2 - epoch) * 0.1, testLoss: 1,
                         testAccuracy: accuracy - Double(2 - epoch) * 0.05, validationLoss: nil, validationAccuracy: nil, seconds: 1)
        }
        let layers = [
            LayerWeights(name: "fc1.weight", shape: [width, 784], dense: 784 * width, kept: 784 * width - removed[0]),
            LayerWeights(name: "fc2.weight", shape: [10, width], dense: 10 * width, kept: 10 * width - removed[1]),
        ]
        try RecordFiles.writeJSON(RunResult(metrics: metrics, layers: layers), to: directory + "/result.json")
    }
    func labels(_ rule: String?, _ width: Int, dense: Bool) -> RunLabels {
        RunLabels(experiment: "fixture", method: dense ? "dense" : "sparse", baseWidth: 5, wideningFactor: Double(width) / 5, rule: rule)
    }
    for seed: UInt64 in [0, 1] {
        let shift = Double(seed) * 0.01
        try run(width: 5, removed: [0, 0], seed: seed, accuracy: 0.86 + shift, train: 0.90, labels: labels("last-layer-connectivity=1.0", 5, dense: false))
        try run(width: 10, removed: [3970, 0], seed: seed, accuracy: 0.90 + shift, train: 0.95, labels: labels("last-layer-connectivity=1.0", 10, dense: false))
        try run(width: 10, removed: [3920, 50], seed: seed, accuracy: 0.89 + shift, train: 0.94, labels: labels("last-layer-connectivity=0.5", 10, dense: false))
        try run(width: 20, removed: [11910, 0], seed: seed, accuracy: 0.91 + shift, train: 0.97, labels: labels("last-layer-connectivity=1.0", 20, dense: false))
        try run(width: 20, removed: [11810, 100], seed: seed, accuracy: 0.905 + shift, train: 0.96, labels: labels("last-layer-connectivity=0.5", 20, dense: false))
        try run(width: 10, removed: [0, 0], seed: seed, accuracy: 0.92 + shift, train: 0.99, labels: labels(nil, 10, dense: true))
        try run(width: 20, removed: [0, 0], seed: seed, accuracy: 0.93 + shift, train: 1.0, labels: labels(nil, 20, dense: true))
    }
    let failed = "\(folder)/run-failed"
    try RecordFiles.writeJSON(mnist5kConfig(width: 40, removed: [31000, 0], epochs: 2), to: failed + "/config.json")
    try RecordFiles.writeJSON(RunFailure(message: "mnist5k: file not found", time: 0, host: "h"), to: failed + "/error.json")
    try RecordFiles.writeJSON(mnist5kConfig(width: 80, removed: [59000, 0], epochs: 2), to: "\(folder)/run-missing/config.json")
}

/// Compares `text` with the golden file `name` (WIDESPARSE_RECORD_GOLDEN=1 re-records it).
func expectGolden(_ text: String, _ name: String) throws {
    let path = repositoryRoot + "/Tests/WideSparseTests/Golden/" + name
    if ProcessInfo.processInfo.environment["WIDESPARSE_RECORD_GOLDEN"] == "1" {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return
    }
    let golden = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text == golden, "\(name) differs from its golden file (re-record on purpose with WIDESPARSE_RECORD_GOLDEN=1)")
}

/// Parses an SVG and returns its text contents and series names.
final class SVGReader: NSObject, XMLParserDelegate {
    var texts: [String] = []
    var series: [String] = []
    var root: String?
    private var current = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        if root == nil { root = name }
        if name == "g", attributes["class"] == "series", let series = attributes["data-name"] { self.series.append(series) }
        current = ""
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { current += string }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { texts.append(current) }
    }
}

func readSVG(_ path: String) throws -> SVGReader? {
    let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
    let reader = SVGReader()
    parser.delegate = reader
    return parser.parse() ? reader : nil
}

@Suite("Report: the paper's figures and tables from run folders", .serialized)
struct ReportTests {
    @Test("Markdown and CSV of a fixed set of runs match their golden files; missing and failed runs are listed")
    func golden() throws {
        let folder = temporaryFolder()
        try writeReportFixture(folder + "/runs")
        let report = try Report(folders: [folder + "/runs"])
        let out = folder + "/report"
        try report.write(to: out)
        func read(_ name: String) throws -> String {
            try String(contentsOfFile: "\(out)/\(name)", encoding: .utf8).replacingOccurrences(of: folder, with: "FIXTURE")
        }
        try expectGolden(try read("report.md"), "report.md")
        for name in ["fig6-test-vs-width-1.csv", "fig7-fraction-due-to-width-1.csv", "fig5-heat-map-1.csv", "fig10-layer-connectivity-1.csv"] {
            #expect(FileManager.default.fileExists(atPath: "\(out)/\(name)") == (name != "fig10-layer-connectivity-1.csv"))
        }
        try expectGolden(try read("fig6-test-vs-width-1.csv"), "fig6-test-vs-width-1.csv")
        try expectGolden(try read("fig7-fraction-due-to-width-1.csv"), "fig7-fraction-due-to-width-1.csv")
        try expectGolden(try read("fig5-heat-map-1.csv"), "fig5-heat-map-1.csv")
        #expect(report.problems.count == 2)
        #expect(report.problems.contains { $0.hasPrefix("failed:") && $0.hasSuffix("mnist5k: file not found") })
        #expect(report.problems.contains { $0.hasPrefix("missing:") })
    }

    @Test("SVGs are well-formed XML with their series, titles and axis labels; the page needs no script")
    func svgs() throws {
        let folder = temporaryFolder()
        try writeReportFixture(folder + "/runs")
        let out = folder + "/report"
        try Report(folders: [folder + "/runs"]).write(to: out)
        let figure = try #require(try readSVG(out + "/fig6-test-vs-width-1.svg"))
        #expect(figure.root == "svg")
        #expect(figure.series == ["3970 weights (last-layer-connectivity=0.5)", "3970 weights (last-layer-connectivity=1.0)", "dense"])
        #expect(figure.texts.contains("width (stem channels / hidden units)"))
        #expect(figure.texts.contains("best test accuracy (%)"))
        #expect(figure.texts.contains("MLP-1 (relu) on mnist5k: test accuracy"))
        let heat = try #require(try readSVG(out + "/fig5-heat-map-1.svg"))
        #expect(heat.texts.contains("last-layer connectivity") && heat.texts.contains("91.5"))
        let page = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        // Self-contained: no scripts, no style sheets or images fetched from anywhere.
        #expect(!page.contains("<script") && !page.contains("<link") && !page.contains("src="))
        #expect(page.components(separatedBy: "<svg").count - 1 == (try FileManager.default.contentsOfDirectory(atPath: out)).filter { $0.hasSuffix(".svg") }.count)
    }

    @Test("A report of folders without finished runs says what is missing instead of failing")
    func nothingDone() throws {
        let folder = temporaryFolder()
        try RecordFiles.writeJSON(mnist5kConfig(width: 8, epochs: 1), to: folder + "/runs/a/config.json")
        let report = try Report(folders: [folder + "/runs", folder + "/nowhere"])
        #expect(report.figures.isEmpty)
        #expect(report.problems.contains("\(folder)/nowhere: no such folder"))
        #expect(report.problems.contains { $0.hasPrefix("missing: \(folder)/runs/a") })
        try report.write(to: folder + "/report")
        #expect(try String(contentsOfFile: folder + "/report/report.md", encoding: .utf8).contains("## Not in the figures"))
    }

    @Test(
        "The page renders in headless Chromium to a PNG that is not blank",
        .enabled(if: chromium != nil || ProcessInfo.processInfo.environment["WIDESPARSE_REQUIRE_CHROMIUM"] == "1",
                 "Chromium is not installed here: skipped (apt-get install chromium; CI runs this test)"))
    func rendersInChromium() throws {
        let browser = try #require(chromium, "WIDESPARSE_REQUIRE_CHROMIUM=1 but no chromium on the PATH")
        let folder = temporaryFolder()
        try writeReportFixture(folder + "/runs")
        let page = try Report(folders: [folder + "/runs"]).write(to: folder + "/report")
        let png = folder + "/page.png"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars", "--window-size=1000,1400",
                             "--screenshot=\(png)", "file://\(page)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(90)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        let image = try decodeImage(Array(try Data(contentsOf: URL(fileURLWithPath: png))), path: png, channels: 3)
        #expect(image.width == 1000 && image.height == 1400)
        // Not blank: many pixels are not white, and there are more than a few colours.
        let pixels = stride(from: 0, to: image.pixels.count, by: 3).map { (image.pixels[$0], image.pixels[$0 + 1], image.pixels[$0 + 2]) }
        let inked = pixels.filter { $0.0 < 200 || $0.1 < 200 || $0.2 < 200 }.count
        #expect(inked > pixels.count / 100, "only \(inked) of \(pixels.count) pixels are not near white")
        #expect(Set(pixels.map { "\($0.0),\($0.1),\($0.2)" }).count > 20)
    }
}

/// Debian's chromium, if installed.
let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
