import Foundation
import Experiments
import RunResults
import KernelAnalysis
import RunRecords
import Testing
import WideSparseCLI

@Suite("widesparse kernel, advise and figure8", .serialized)
struct KernelCommandTests {
    @Test("kernel writes its table as CSV and JSON, with the argmin of each measure; bad families are refused")
    func kernelCommand() throws {
        let folder = temporaryFolder()
        #expect(try runWidesparse([
            "kernel", "--input", "gaussian", "--dimension", "50", "--np", "8", "--widths", "8,32,128", "--pairs", "300",
            "--initialisations", "4", "--masks", "64", "--out", folder + "/k",
        ], in: folder) == 0)
        let csv = try String(contentsOfFile: folder + "/k/kernel.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 4)
        #expect(csv[0] == "width,connectivity,d_monte_carlo,d_monte_carlo_error,d_exact,d_exact_error,d_enumerated,d_equation_4,argmin")
        #expect(csv[1].hasPrefix("8,1.0,"))
        #expect(csv.filter { $0.contains("monte-carlo") }.count == 1)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/k/kernel.json"))) as! [String: Any]
        #expect((json["rows"] as! [Any]).count == 3)

        func failure(_ arguments: [String]) -> String? {
            do {
                var command = try KernelCommand.parse(arguments)
                try command.run()
                return nil
            } catch {
                return KernelCommand.message(for: error)
            }
        }
        #expect(failure(["--input", "gaussian", "--np", "64", "--widths", "32,64"])
            == "--widths: width 32 is below n p = 64.0 (connectivity above 1); the family starts at n = 64")
        #expect(failure(["--reference", "dense"]) == "--reference: expected analytic or empirical, found 'dense'")
        #expect(failure(["--weights", "10", "--np", "2"]) == "--weights and --np: give one of them")
        #expect(try runWidesparse(["advise", "--model", "resnet18"], in: folder) != 0)
    }

    @Test("figure8 searches a rate per width, trains, and sets test error beside the kernel distance")
    func figure8() throws {
        let folder = temporaryFolder()
        #expect(try runWidesparse([
            "figure8", "--widths", "8,16,32", "--lrs", "3,10", "--search-epochs", "2", "--epochs", "2", "--seeds", "0,1",
            "--pairs", "200", "--initialisations", "3", "--runs-dir", folder + "/runs", "--jobs", "2",
        ], in: folder) == 0)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/runs/figure8/figure8.json"))) as! [String: Any]
        let rates = json["learningRates"] as! [String: Double]
        #expect(Set(rates.keys) == ["8", "16", "32"])
        #expect(rates.values.allSatisfy { [3, 10].contains($0) })
        let search = json["searchValidationAccuracy"] as! [String: [String: Double]]
        for (width, accuracies) in search {
            // The chosen rate is the one with the best validation accuracy.
            #expect(accuracies["\(rates[width]!)"] == accuracies.values.max())
        }
        #expect((json["spearman"] as! [String: Double]).keys.sorted() == ["equationFour", "exact", "monteCarlo"])
        #expect((json["testErrorMean"] as! [String: Double]).count == 3)
        // The final runs are two seeds per width, done.
        let final = try SweepResults(folder: folder + "/runs/figure8-final")
        #expect(final.rows.count == 6 && final.rows.allSatisfy { $0.state.rawValue == "done" })
    }
}
