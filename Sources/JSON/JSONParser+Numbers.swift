extension JSONParser {
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = offset
        let negative = current == UInt8(ascii: "-")
        if negative { offset += 1 }
        guard let first = current, isDigit(first) else { throw error("expected a digit") }
        // Accumulate the integer part as we scan; most numbers are small integers.
        var magnitude: UInt64 = 0
        var overflow = false
        if first == UInt8(ascii: "0") {
            offset += 1
            if let next = current, isDigit(next) { throw error("leading zero in number", at: start) }
        } else {
            while let byte = current, isDigit(byte) {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                overflow = overflow || o1 || o2
                magnitude = sum
                offset += 1
            }
        }
        var integral = true
        if current == UInt8(ascii: ".") {
            integral = false
            offset += 1
            try skipDigits("expected a digit after the decimal point")
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            integral = false
            offset += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
            try skipDigits("expected a digit in the exponent")
        }
        if integral && !overflow {
            if negative && magnitude <= UInt64(Int64.max) + 1 {
                return .int(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
            if !negative && magnitude <= UInt64(Int64.max) { return .int(Int64(magnitude)) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let double = Double(text), double.isFinite else { throw error("number out of range", at: start) }
        return .double(double)
    }

    private mutating func skipDigits(_ message: String) throws(JSONError) {
        guard let byte = current, isDigit(byte) else { throw error(message) }
        while let byte = current, isDigit(byte) { offset += 1 }
    }

    @inline(__always) func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
