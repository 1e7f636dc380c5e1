/// An "Examples:" block for a command's help. ArgumentParser wraps help text at the terminal's
/// width (80 columns when not a terminal) wherever a space falls, which would cut a command in
/// two; so each command is broken here, at words, into shell continuation lines that fit.
///
///     examples(("A sweep on this machine", "widesparse sweep run experiments/figure5-quick.yaml --jobs 2"))
func examples(_ items: (comment: String?, command: String)...) -> String {
    var lines = ["", "Examples:"]
    for item in items {
        if let comment = item.comment { lines.append("  # \(comment)") }
        lines += continuationLines(item.command, width: 78)
    }
    return lines.joined(separator: "\n")
}

/// `command` as lines of at most `width` columns: the first indented by 2, the rest by 6, each
/// but the last ending in " \".
func continuationLines(_ command: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = "  "
    for word in breakableWords(command) {
        let indent = lines.isEmpty ? 2 : 6
        if current.count > indent && current.count + 1 + word.count + 2 > width {
            lines.append(current + " \\")
            current = String(repeating: " ", count: 6)
        }
        current += (current.count > (lines.isEmpty ? 2 : 6) ? " " : "") + word
    }
    return lines + [current]
}

/// The words of `command` that a line break may come between: a quoted stretch stays whole,
/// and an option stays with its value ("--width 32").
func breakableWords(_ command: String) -> [String] {
    var words: [String] = []
    var quoted: String?
    for word in command.split(separator: " ").map(String.init) {
        if var open = quoted {
            open += " " + word
            quoted = word.hasSuffix("'") ? nil : open
            if quoted == nil { words.append(open) }
            continue
        }
        if word.filter({ $0 == "'" }).count == 1 {
            quoted = word
            continue
        }
        words.append(word)
    }
    if let quoted { words.append(quoted) }
    var grouped: [String] = []
    for word in words {
        if let last = grouped.last, last.hasPrefix("--"), !last.contains(" "), !last.contains("="), !word.hasPrefix("-") {
            grouped[grouped.count - 1] = last + " " + word
        } else {
            grouped.append(word)
        }
    }
    return grouped
}
