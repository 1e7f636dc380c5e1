/// A comma-separated list as typed ("1000,20", "8, 16, 32"): the one parser of every list a
/// command-line option or a spec option gives. A list is kept as text until it is read, so a
/// bad item fails with the library's message, which names the option and quotes the whole list
/// ("--removed: expected comma-separated whole numbers, found '10,a'").
public struct CommaList: Sendable, Equatable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let text: String

    public init(_ text: String) { self.text = text }
    public init(stringLiteral text: String) { self.text = text }

    public var description: String { text }

    /// The items, trimmed of spaces.
    public var items: [String] {
        text.split(separator: ",").map { $0.trimmingSpaces() }
    }

    /// Every item read by `read`; one it refuses (nil) fails the list with
    /// "<field>: expected <expected>, found '<text>'".
    public func values<T>(field: String, expected: String, _ read: (String) -> T?) throws -> [T] {
        try items.map { item in
            guard let value = read(item) else { throw ConfigError(field: field, expected: expected, found: "'\(text)'") }
            return value
        }
    }

    /// Whole numbers ("1000,20").
    public func wholeNumbers(field: String, expected: String = "comma-separated whole numbers") throws -> [Int] {
        try values(field: field, expected: expected) { Int($0) }
    }

    /// Widths: whole numbers of at least 1.
    public func widths(field: String) throws -> [Int] {
        try values(field: field, expected: "comma-separated positive widths") { Int($0).flatMap { $0 >= 1 ? $0 : nil } }
    }

    /// Numbers ("0.485,0.456,0.406").
    public func numbers(field: String, expected: String = "comma-separated numbers") throws -> [Double] {
        try values(field: field, expected: expected) { Double($0) }
    }

    /// Numbers as Float32, for per-channel statistics.
    public func floats(field: String) throws -> [Float] {
        try values(field: field, expected: "comma-separated numbers") { Float($0) }
    }
}

private extension Substring {
    /// Without leading and trailing spaces of any kind (as Foundation's `.whitespaces`: no newlines).
    func trimmingSpaces() -> String {
        func isSpace(_ c: Character) -> Bool { c.isWhitespace && !c.isNewline }
        var slice = self[...]
        while let first = slice.first, isSpace(first) { slice = slice.dropFirst() }
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
