import ArgumentParser

/// Where a command line goes in the command tree, for messages ArgumentParser does not give: a
/// mistyped subcommand gets the nearest real one ("did you mean 'run'?"), and an error thrown
/// after parsing is shown with the usage of the subcommand that threw it.
enum CommandTree {
    /// The subcommand path `arguments` (without the program name) names, as far as it matches,
    /// and the first word that should have been a subcommand but is none.
    static func walk(_ arguments: [String], from root: ParsableCommand.Type = WideSparseCommand.self)
        -> (path: [ParsableCommand.Type], unknown: String?)
    {
        var path: [ParsableCommand.Type] = [root]
        for word in arguments {
            let subcommands = path.last!.configuration.subcommands
            // "help" is ArgumentParser's own subcommand (`widesparse help sweep`).
            if subcommands.isEmpty || word.hasPrefix("-") || word == "help" { break }
            guard let next = subcommands.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) else {
                return (path, word)
            }
            path.append(next)
        }
        return (path, nil)
    }

    /// "widesparse sweep run" for the path.
    static func name(_ path: [ParsableCommand.Type]) -> String {
        path.map { $0._commandName }.joined(separator: " ")
    }

    /// The subcommand path that leads to `command` (searched from the root), or just the root.
    static func path(to command: ParsableCommand.Type, from root: ParsableCommand.Type = WideSparseCommand.self) -> [ParsableCommand.Type] {
        func search(_ path: [ParsableCommand.Type]) -> [ParsableCommand.Type]? {
            if path.last! == command { return path }
            for sub in path.last!.configuration.subcommands {
                if let found = search(path + [sub]) { return found }
            }
            return nil
        }
        return search([root]) ?? [root]
    }

    /// The message for a word that is not a subcommand of `path`'s last command, or nil when the
    /// arguments name no unknown subcommand.
    static func unknownSubcommandMessage(_ arguments: [String]) -> String? {
        let (path, unknown) = walk(arguments)
        guard let unknown else { return nil }
        let names = path.last!.configuration.subcommands.map { $0._commandName }
        let nearest = names.map { (name: $0, distance: editDistance(unknown, $0)) }.min { $0.distance < $1.distance }
        var message = "Error: '\(unknown)' is not a subcommand of '\(name(path))'"
        // Suggest only what is plausibly a typo: within a third of the word's length (at least 2 edits).
        if let nearest, nearest.distance <= max(2, nearest.name.count / 3) || nearest.name.hasPrefix(unknown) {
            message += "; did you mean '\(nearest.name)'?"
        }
        message += "\n  subcommands: \(names.joined(separator: ", "))"
        message += "\nUsage: \(WideSparseCommand.usageString(for: path.last!))\n  See '\(name(path)) --help' for more information."
        return message
    }

    /// Levenshtein distance (insertions, deletions, substitutions, each 1).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
