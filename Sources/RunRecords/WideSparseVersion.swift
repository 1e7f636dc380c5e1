/// What built this widesparse: the release and, from the BuildCommit plugin, the git commit
/// (with "-dirty" when the tracked files differed from it, "unknown" outside a git checkout).
/// Printed by `widesparse --version` (run records do not carry it yet: issue 19, item 5).
public enum WideSparseVersion {
    /// The release, bumped by hand when one is tagged.
    public static let release = "0.9.0"
    public static let commit = buildCommit

    /// "0.9.0 (commit 1a2b3c4d5e6f)".
    public static var description: String { "\(release) (commit \(commit))" }
}
