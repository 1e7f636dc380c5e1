import Foundation
import RunRecords
import Testing

/// Runs `executable ARGUMENTS` and returns its exit code and standard output.
func runProgram(_ executable: String, _ arguments: [String], in directory: String = NSTemporaryDirectory()) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

@Suite("Installing: scripts/install.sh puts a working widesparse in PREFIX/bin; --version names the release and commit")
struct InstallTests {
    @Test func installAndVersion() throws {
        let prefix = temporaryFolder() + "/prefix"
        let install = try runProgram(repositoryRoot + "/scripts/install.sh", ["--no-build", prefix])
        #expect(install.status == 0, "\(install.output)")
        #expect(install.output.contains("installed widesparse \(WideSparseVersion.release)"))
        let version = try runProgram(prefix + "/bin/widesparse", ["--version"])
        #expect(version.status == 0)
        #expect(version.output == "widesparse \(WideSparseVersion.description)\n")
        // The commit is the checkout's (when git can read it), abbreviated to 12 digits.
        let head = try? runProgram("/usr/bin/git", ["-C", repositoryRoot, "rev-parse", "HEAD"])
        if let head, head.status == 0 {
            let commit = WideSparseVersion.commit.replacingOccurrences(of: "-dirty", with: "")
            #expect(commit.count == 12 && head.output.hasPrefix(commit), "built from \(commit), checkout at \(head.output)")
        } else {
            #expect(WideSparseVersion.commit == "unknown")
        }
        #expect(try runProgram(repositoryRoot + "/scripts/install.sh", ["--nope"]).status == 64)
    }
}
