/// Sizes read from files are multiplied and added with overflow checks, so that a header with
/// huge dimensions is refused with the reader's error rather than trapping.

/// The product of `values`, or nil when one is negative or the product overflows.
public func checkedProduct(_ values: [Int]) -> Int? {
    var product = 1
    for value in values {
        guard value >= 0 else { return nil }
        let (result, overflow) = product.multipliedReportingOverflow(by: value)
        if overflow { return nil }
        product = result
    }
    return product
}

/// a + b, or nil when it overflows.
public func checkedSum(_ a: Int, _ b: Int) -> Int? {
    let (result, overflow) = a.addingReportingOverflow(b)
    return overflow ? nil : result
}
