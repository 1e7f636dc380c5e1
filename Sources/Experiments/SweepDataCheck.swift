import Choices
import Datasets
import Foundation

extension SweepPlan {
    /// Checks, before anything starts or is submitted, that every dataset the plan's runs read
    /// is where they will look: each file (or image folder) present and readable. `specFile`
    /// names the spec in the message, which names the spec's field (`data_dir`), not an option.
    public func checkData(specFile: String) throws {
        var seen = Set<String>()
        for run in trainable {
            guard let data = run.config?.data else { continue }
            let dataset = data.dataset
            guard seen.insert("\(data.dataset)|\(data.location ?? "")").inserted else { continue }
            for path in dataset.files(location: data.location) where !FileManager.default.isReadableFile(atPath: path) {
                let found = FileManager.default.fileExists(atPath: path) ? "\(path), which cannot be read" : "no \(path)"
                if let location = data.location {
                    throw SpecError(file: specFile, field: "data_dir", expected: "\(data.dataset)'s data at \(location)", found: found)
                }
                throw SpecError(
                    file: specFile, field: "dataset",
                    expected: "\(data.dataset) in its default place \(dataset.defaultLocation) (or data_dir naming where it is; \(dataset.installHint.replacingOccurrences(of: "--data-dir", with: "data_dir")))",
                    found: found)
            }
        }
    }
}
