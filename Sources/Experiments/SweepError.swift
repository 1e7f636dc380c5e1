/// A problem running a sweep (not a spec problem, which is a SpecError).
public struct SweepError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
