import Foundation

/// TensorBoard event files: TFRecord framing around `tensorflow.Event` protocol buffers that
/// carry scalar summaries. Written by hand (a few fields of two messages), so no protobuf
/// dependency is needed.
///
/// A record is: UInt64 length (little-endian), masked CRC-32C of those 8 bytes, the payload,
/// masked CRC-32C of the payload. The first event holds only `file_version = "brain.Event:2"`.
public enum TensorBoardEvents {
    /// One scalar at one step.
    public struct Scalar: Equatable, Sendable {
        public var tag: String
        public var step: Int64
        public var wallTime: Double
        public var value: Float

        public init(tag: String, step: Int64, wallTime: Double, value: Float) {
            self.tag = tag
            self.step = step
            self.wallTime = wallTime
            self.value = value
        }
    }

    /// A hyperparameter value as the HParams plugin stores it (google.protobuf.Value).
    public enum HParamValue: Equatable, Sendable {
        case number(Double)
        case text(String)
    }

    /// The tag of the HParams plugin's per-run summary.
    static let sessionStartTag = "_hparams_/session_start_info"

    /// The whole event file for `scalars` (grouped into one event per (step, wall time)), led by
    /// the run's `hparams` as the HParams plugin's session-start summary when there are any, so
    /// TensorBoard's HPARAMS tab tells a sweep's runs apart.
    public static func encode(_ scalars: [Scalar], fileStartTime: Double, hparams: [(name: String, value: HParamValue)] = []) -> Data {
        var file = Data()
        var version = ProtoWriter()
        version.double(field: 1, fileStartTime)
        version.bytes(field: 3, Data("brain.Event:2".utf8))
        appendRecord(version.data, to: &file)
        if !hparams.isEmpty {
            var event = ProtoWriter()
            event.double(field: 1, fileStartTime)
            event.bytes(field: 5, sessionStartSummary(hparams, startTime: fileStartTime))
            appendRecord(event.data, to: &file)
        }
        var index = 0
        while index < scalars.count {
            let step = scalars[index].step
            let wallTime = scalars[index].wallTime
            var summary = ProtoWriter()
            while index < scalars.count && scalars[index].step == step && scalars[index].wallTime == wallTime {
                var value = ProtoWriter()
                value.bytes(field: 1, Data(scalars[index].tag.utf8))
                value.float(field: 2, scalars[index].value)
                summary.bytes(field: 1, value.data)
                index += 1
            }
            var event = ProtoWriter()
            event.double(field: 1, wallTime)
            event.varint(field: 2, UInt64(bitPattern: step))
            event.bytes(field: 5, summary.data)
            appendRecord(event.data, to: &file)
        }
        return file
    }

    /// The scalars of an event file, with both checksums of every record verified.
    public static func decode(_ data: Data, path: String) throws -> [Scalar] {
        var scalars: [Scalar] = []
        for (record, event) in try records(data, path: path).enumerated() {
            func fail(_ reason: String) -> RecordError { .invalid(path: path, reason: "record \(record): \(reason)") }
            scalars += try scalarsOfEvent(event, fail: fail)
        }
        return scalars
    }

    /// The payloads of a TFRecord file, with both checksums of every record verified.
    static func records(_ data: Data, path: String) throws -> [[UInt8]] {
        let bytes = [UInt8](data)
        var offset = 0
        var payloads: [[UInt8]] = []
        var record = 0
        func fail(_ reason: String) -> RecordError { .invalid(path: path, reason: "record \(record): \(reason)") }
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else { throw fail("truncated header (\(bytes.count - offset) bytes left)") }
            let lengthBytes = bytes[offset..<offset + 8]
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard readUInt32(bytes, offset + 8) == CRC32C.masked(lengthBytes) else { throw fail("length checksum does not match") }
            let start = offset + 12
            // start + 4 <= bytes.count is not yet known: compare without subtracting past zero.
            guard bytes.count - start >= 4, length <= UInt64(bytes.count - start - 4) else {
                throw fail("payload of \(length) bytes runs past the end")
            }
            let end = start + Int(length)
            guard readUInt32(bytes, end) == CRC32C.masked(bytes[start..<end]) else { throw fail("payload checksum does not match") }
            payloads.append(Array(bytes[start..<end]))
            offset = end + 4
            record += 1
        }
        return payloads
    }

    /// Summary { value { tag: "_hparams_/session_start_info", metadata { plugin_data {
    /// plugin_name: "hparams", content: HParamsPluginData { version: 0, session_start_info {
    /// hparams: map<string, Value>, start_time_secs } } } } } }, field numbers from TensorBoard's
    /// summary.proto and plugins/hparams/plugin_data.proto.
    private static func sessionStartSummary(_ hparams: [(name: String, value: HParamValue)], startTime: Double) -> Data {
        var sessionStart = ProtoWriter()
        for (name, value) in hparams {
            var protoValue = ProtoWriter()
            switch value {
            case .number(let number): protoValue.double(field: 2, number)
            case .text(let text): protoValue.bytes(field: 3, Data(text.utf8))
            }
            var entry = ProtoWriter()
            entry.bytes(field: 1, Data(name.utf8))
            entry.bytes(field: 2, protoValue.data)
            sessionStart.bytes(field: 1, entry.data)
        }
        sessionStart.double(field: 5, startTime)
        var pluginContent = ProtoWriter()
        pluginContent.varint(field: 1, 0)
        pluginContent.bytes(field: 3, sessionStart.data)
        var pluginData = ProtoWriter()
        pluginData.bytes(field: 1, Data("hparams".utf8))
        pluginData.bytes(field: 2, pluginContent.data)
        var metadata = ProtoWriter()
        metadata.bytes(field: 1, pluginData.data)
        var value = ProtoWriter()
        value.bytes(field: 1, Data(sessionStartTag.utf8))
        value.bytes(field: 9, metadata.data)
        var summary = ProtoWriter()
        summary.bytes(field: 1, value.data)
        return summary.data
    }

    /// The hparams of an event file's session-start summary (empty when it has none), read back
    /// field by field as TensorBoard reads them.
    public static func decodeHParams(_ data: Data, path: String) throws -> [String: HParamValue] {
        var hparams: [String: HParamValue] = [:]
        let fail = { (reason: String) in RecordError.invalid(path: path, reason: reason) }
        for event in try records(data, path: path) {
            try ProtoReader(bytes: event, fail: fail).forEachField { field, reader in
                guard field == 5 else { return try reader.skip() }
                try ProtoReader(bytes: try reader.lengthDelimited(), fail: fail).forEachField { field, summary in
                    guard field == 1 else { return try summary.skip() }
                    var tag = ""
                    var metadata: [UInt8] = []
                    try ProtoReader(bytes: try summary.lengthDelimited(), fail: fail).forEachField { field, value in
                        switch field {
                        case 1: tag = String(decoding: try value.lengthDelimited(), as: UTF8.self)
                        case 9: metadata = try value.lengthDelimited()
                        default: try value.skip()
                        }
                    }
                    guard tag == sessionStartTag else { return }
                    func submessage(_ bytes: [UInt8], _ wanted: Int) throws -> [[UInt8]] {
                        var found: [[UInt8]] = []
                        try ProtoReader(bytes: bytes, fail: fail).forEachField { field, r in
                            if field == wanted { found.append(try r.lengthDelimited()) } else { try r.skip() }
                        }
                        return found
                    }
                    guard let pluginData = try submessage(metadata, 1).first,
                          let content = try submessage(pluginData, 2).first,
                          let sessionStart = try submessage(content, 3).first else { throw fail("a session-start summary without its content") }
                    for entry in try submessage(sessionStart, 1) {
                        var name = ""
                        var parsed: HParamValue?
                        try ProtoReader(bytes: entry, fail: fail).forEachField { field, r in
                            switch field {
                            case 1: name = String(decoding: try r.lengthDelimited(), as: UTF8.self)
                            case 2:
                                try ProtoReader(bytes: try r.lengthDelimited(), fail: fail).forEachField { field, v in
                                    switch field {
                                    case 2: parsed = .number(try v.double())
                                    case 3: parsed = .text(String(decoding: try v.lengthDelimited(), as: UTF8.self))
                                    default: try v.skip()
                                    }
                                }
                            default: try r.skip()
                            }
                        }
                        if let parsed { hparams[name] = parsed }
                    }
                }
            }
        }
        return hparams
    }

    private static func appendRecord(_ payload: Data, to file: inout Data) {
        var length = UInt64(payload.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
        file.append(lengthBytes)
        appendUInt32(CRC32C.masked(lengthBytes), to: &file)
        file.append(payload)
        appendUInt32(CRC32C.masked(payload), to: &file)
    }

    private static func scalarsOfEvent(_ event: [UInt8], fail: @escaping (String) -> RecordError) throws -> [Scalar] {
        var wallTime = 0.0
        var step: Int64 = 0
        var values: [(String, Float)] = []
        try ProtoReader(bytes: event, fail: fail).forEachField { field, reader in
            switch field {
            case 1: wallTime = try reader.double()
            case 2: step = Int64(bitPattern: try reader.varint())
            case 5:
                try ProtoReader(bytes: try reader.lengthDelimited(), fail: fail).forEachField { field, summary in
                    guard field == 1 else { return try summary.skip() }
                    var tag = ""
                    var value: Float?
                    try ProtoReader(bytes: try summary.lengthDelimited(), fail: fail).forEachField { field, entry in
                        switch field {
                        case 1: tag = String(decoding: try entry.lengthDelimited(), as: UTF8.self)
                        case 2: value = try entry.float()
                        default: try entry.skip()
                        }
                    }
                    if let value { values.append((tag, value)) }
                }
            default: try reader.skip()
            }
        }
        return values.map { Scalar(tag: $0.0, step: step, wallTime: wallTime, value: $0.1) }
    }
}

private func appendUInt32(_ value: UInt32, to data: inout Data) {
    var little = value.littleEndian
    withUnsafeBytes(of: &little) { data.append(contentsOf: $0) }
}

private func readUInt32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
}

/// The protocol-buffer wire format, as far as event files need it.
private struct ProtoWriter {
    var data = Data()

    mutating func rawVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            data.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        data.append(UInt8(value))
    }

    mutating func varint(field: Int, _ value: UInt64) {
        rawVarint(UInt64(field << 3 | 0))
        rawVarint(value)
    }

    mutating func double(field: Int, _ value: Double) {
        rawVarint(UInt64(field << 3 | 1))
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
    }

    mutating func bytes(field: Int, _ value: Data) {
        rawVarint(UInt64(field << 3 | 2))
        rawVarint(UInt64(value.count))
        data.append(value)
    }

    mutating func float(field: Int, _ value: Float) {
        rawVarint(UInt64(field << 3 | 5))
        appendUInt32(value.bitPattern, to: &data)
    }
}

private struct ProtoReader {
    let buffer: [UInt8]
    let fail: (String) -> RecordError
    var offset = 0
    var wireType = 0

    init(bytes: [UInt8], fail: @escaping (String) -> RecordError) {
        self.buffer = bytes
        self.fail = fail
    }

    /// Calls `body` with each field number; `body` reads the value with the reader it is given.
    func forEachField(_ body: (Int, inout ProtoReader) throws -> Void) throws {
        var reader = self
        while reader.offset < buffer.count {
            let key = try reader.varint()
            reader.wireType = Int(key & 7)
            try body(Int(key >> 3), &reader)
        }
    }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < buffer.count, shift < 64 else { throw fail("malformed varint in an event") }
            let byte = buffer[offset]
            offset += 1
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    mutating func fixed(_ count: Int) throws -> UInt64 {
        guard count <= buffer.count - offset else { throw fail("truncated field in an event") }
        defer { offset += count }
        return (0..<count).reduce(UInt64(0)) { $0 | UInt64(buffer[offset + $1]) << (8 * UInt64($1)) }
    }

    mutating func double() throws -> Double { Double(bitPattern: try fixed(8)) }
    mutating func float() throws -> Float { Float(bitPattern: UInt32(try fixed(4))) }

    mutating func lengthDelimited() throws -> [UInt8] {
        let length = try varint()
        guard length <= UInt64(buffer.count - offset) else { throw fail("field of \(length) bytes runs past its message") }
        let count = Int(length)
        defer { offset += count }
        return Array(buffer[offset..<offset + count])
    }

    mutating func skip() throws {
        switch wireType {
        case 0: _ = try varint()
        case 1: _ = try fixed(8)
        case 2: _ = try lengthDelimited()
        case 5: _ = try fixed(4)
        default: throw fail("unknown wire type \(wireType)")
        }
    }
}

extension EpochMetrics {
    /// This epoch's numbers as TensorBoard scalars at step `epoch`.
    public func scalars(wallTime: Double) -> [TensorBoardEvents.Scalar] {
        var values: [(String, Double)] = [
            ("train/loss", trainLoss), ("train/accuracy", trainAccuracy), ("test/loss", testLoss),
            ("test/accuracy", testAccuracy), ("learning_rate", learningRate), ("epoch_seconds", seconds),
        ]
        if let validationLoss, let validationAccuracy {
            values += [("validation/loss", validationLoss), ("validation/accuracy", validationAccuracy)]
        }
        return values.map { .init(tag: $0.0, step: Int64(epoch), wallTime: wallTime, value: Float($0.1)) }
    }
}
