import Foundation
import TestSupport
import Testing

/// `mockllm serve --data-parallel-size N`, checked before anything listens.
extension CLITests {
    @Test func aDataParallelSizeOutOfRangeIsAUsageError() throws {
        for size in ["0", "9"] {
            let result = try run(["serve", "--port", "0", "--data-parallel-size", size])
            #expect(result.status == 2, "\(size)")
            #expect(result.stderr.contains("--data-parallel-size must be from 1 to 8, not \(size)"), "\(result.stderr)")
        }
    }
}
