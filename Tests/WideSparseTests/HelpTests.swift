import ArgumentParser
import Foundation
import Testing
import WideSparseCLI

/// Every command in the tree, with its path of names ("sweep run").
func allCommands(_ command: ParsableCommand.Type = WideSparseCommand.self, path: [String] = []) -> [(path: [String], type: ParsableCommand.Type)] {
    [(path, command)] + command.configuration.subcommands.flatMap { allCommands($0, path: path + [$0._commandName]) }
}

@Suite("--help texts: golden, examples unbroken and valid")
struct HelpTests {
    static let commands = allCommands()

    func help(_ type: ParsableCommand.Type) -> String {
        WideSparseCommand.helpMessage(for: type, columns: 80)
    }

    @Test("Every command's --help at 80 columns matches its golden file (WIDESPARSE_RECORD_GOLDEN=1 re-records)")
    func golden() throws {
        #expect(Self.commands.count >= 15)
        for (path, type) in Self.commands {
            try expectGolden(help(type) + "\n", "help/" + (path.isEmpty ? "widesparse" : path.joined(separator: "-")) + ".txt")
        }
    }

    /// The commands of a help text's Examples block, continuation lines joined.
    func exampleCommands(_ text: String) -> [String] {
        guard let start = text.range(of: "\nExamples:\n") else { return [] }
        var commands: [String] = []
        var pending = ""
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            pending += (pending.isEmpty ? "" : " ") + (trimmed.hasSuffix(" \\") ? String(trimmed.dropLast(2)) : trimmed)
            if !trimmed.hasSuffix(" \\") {
                commands.append(pending)
                pending = ""
            }
        }
        return commands
    }

    /// Words as a POSIX shell splits them, for these examples' quoting (single quotes only).
    func shellWords(_ line: String) -> [String] {
        var words: [String] = []
        var word = ""
        var quoted = false
        var started = false
        for character in line {
            if character == "'" {
                quoted.toggle()
                started = true
            } else if character == " " && !quoted {
                if started { words.append(word) }
                word = ""
                started = false
            } else {
                word.append(character)
                started = true
            }
        }
        if started { words.append(word) }
        return words
    }

    @Test("Examples never wrap mid-command, and each one parses as a widesparse command line")
    func examples() throws {
        var examplesSeen = 0
        for (path, type) in Self.commands {
            let text = help(type)
            let block = text.range(of: "\nExamples:\n").map { text[$0.upperBound...].prefix { _ in true } } ?? ""
            for line in block.split(separator: "\n", omittingEmptySubsequences: false).prefix(while: { !$0.isEmpty }) {
                #expect(line.hasPrefix("  "), "\(path.joined(separator: " ")): an example line was wrapped: '\(line)'")
                #expect(line.count <= 80, "\(path.joined(separator: " ")): '\(line)' is longer than 80 columns")
            }
            for command in exampleCommands(text) {
                examplesSeen += 1
                var words = shellWords(command)
                #expect(words.first == "widesparse", "\(command)")
                words.removeFirst()
                #expect(throws: Never.self, "\(path.joined(separator: " ")): \(command)") { _ = try WideSparseCommand.parseAsRoot(words) }
            }
        }
        // The commands the issue names show examples, and more.
        for name in [["sweep"], ["sweep", "run"], ["results"], ["report"], ["kernel"], ["train", "mlp"]] {
            let type = try #require(Self.commands.first { $0.path == name }?.type)
            #expect(!exampleCommands(help(type)).isEmpty, "\(name.joined(separator: " ")) --help has no examples")
        }
        #expect(examplesSeen >= 20)
    }
}
