import Foundation
import RunRecords

extension Report {
    /// The Markdown summary: what was read, what is missing, the tables, and each figure with its CSV.
    public func markdown() -> String {
        var lines = ["# widesparse report", "", "Runs read: \(runCount) (\(doneCount) done) from \(folders.joined(separator: ", ")).", ""]
        if !problems.isEmpty {
            lines += ["## Not in the figures", ""] + problems.map { "- \($0)" } + [""]
        }
        for section in sections {
            lines += ["## \(section)", ""]
            for table in tables where table.section == section {
                lines += ["\(table.title)", "", "| " + table.header.joined(separator: " | ") + " |",
                          "|" + table.header.map { _ in "---" }.joined(separator: "|") + "|"]
                lines += table.rows.map { "| " + $0.joined(separator: " | ") + " |" }
                if let note = table.note { lines += ["", note] }
                lines.append("")
            }
            for figure in figures where figure.section == section {
                lines += ["![\(figure.name)](\(figure.name).svg)", "", "\(figure.caption) Data: [\(figure.name).csv](\(figure.name).csv)", ""]
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One self-contained page: inline CSS and SVG, no scripts, no network.
    public func html() -> String {
        var body = ["<h1>widesparse report</h1>",
                    "<p>Runs read: \(runCount) (\(doneCount) done) from \(escape(folders.joined(separator: ", "))).</p>"]
        if !problems.isEmpty {
            body.append("<h2>Not in the figures</h2><ul>" + problems.map { "<li>\(escape($0))</li>" }.joined() + "</ul>")
        }
 for section in sections {
        body.append("<h2>\(escape(section))</h2>")
        for table in tables where table.section == section {
            body.append("<h3>\(escape(table.title))</h3><table><tr>" + table.header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
                + table.rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</table>"
                + (table.note.map { "<p class=\"note\">\(escape($0))</p>" } ?? ""))
        }
        for figure in figures where figure.section == section {
            // The SVG document (no XML prolog) goes in as is.
            body.append("<figure id=\"\(figure.name)\">\(figure.svg)<figcaption>\(escape(figure.caption)) "
                + "<a href=\"\(figure.name).svg\">SVG</a> · <a href=\"\(figure.name).csv\">CSV</a></figcaption></figure>")
        }
        }
        let style = """
            body { font-family: Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
            table { border-collapse: collapse; margin: 0.5em 0; } th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
            th { background: #f2f2f2; } figure { margin: 1.5em 0; } figcaption { max-width: 640px; font-size: 0.9em; color: #444; }
            .note { font-size: 0.9em; color: #555; }
            """
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>widesparse report</title><style>\(style)</style></head>\n<body>\n"
            + body.joined(separator: "\n") + "\n</body></html>\n"
    }

    /// Writes report.html, report.md, and every figure's .svg and .csv into `directory`
    /// (atomically, file by file); returns the page's path.
    @discardableResult
    public func write(to directory: String) throws -> String {
        for figure in figures {
            try RecordFiles.writeAtomically(Data(figure.svg.utf8), to: "\(directory)/\(figure.name).svg")
            try RecordFiles.writeAtomically(Data(figure.csv.utf8), to: "\(directory)/\(figure.name).csv")
        }
        try RecordFiles.writeAtomically(Data(markdown().utf8), to: "\(directory)/report.md")
        try RecordFiles.writeAtomically(Data(html().utf8), to: "\(directory)/report.html")
        return "\(directory)/report.html"
    }
}
