/// Why a request could not be parsed. Every case ends the connection after its error
/// response: once framing is in doubt the next byte cannot be trusted to start a request.
public enum HTTPParserError: Error, Equatable, Sendable {
    /// Malformed syntax or ambiguous framing; the string says which rule (for logs and tests).
    case badRequest(String)
    /// Request line or target longer than `maxTargetLength` allows.
    case uriTooLong
    /// Header section larger than `maxHeaderBytes`, or trailers larger than that.
    case headerFieldsTooLarge
    /// More header fields than `maxHeaderCount`.
    case tooManyHeaders
    /// Declared or (chunked) accumulated body larger than `maxBodySize`.
    case payloadTooLarge
    /// An `Expect` other than `100-continue`.
    case expectationFailed
    /// A well-formed version other than HTTP/1.0 or HTTP/1.1.
    case versionNotSupported

    public var status: HTTPStatus {
        switch self {
        case .badRequest: .badRequest
        case .uriTooLong: .uriTooLong
        case .headerFieldsTooLarge, .tooManyHeaders: .requestHeaderFieldsTooLarge
        case .payloadTooLarge: .payloadTooLarge
        case .expectationFailed: .expectationFailed
        case .versionNotSupported: .httpVersionNotSupported
        }
    }

    /// The message for the error body (no request details echoed back).
    public var message: String {
        switch self {
        case .badRequest: "Bad request"
        case .uriTooLong: "Request target too long"
        case .headerFieldsTooLarge: "Request header fields too large"
        case .tooManyHeaders: "Too many request header fields"
        case .payloadTooLarge: "Request body too large"
        case .expectationFailed: "Unsupported expectation"
        case .versionNotSupported: "HTTP version not supported"
        }
    }
}

/// Size limits the parser enforces while bytes arrive (never after buffering everything).
public struct HTTPParserLimits: Sendable, Equatable {
    public var maxTargetLength: Int
    public var maxHeaderBytes: Int
    public var maxHeaderCount: Int
    public var maxBodySize: Int

    public init(maxTargetLength: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100,
                maxBodySize: Int = 1_114_112) {
        self.maxTargetLength = maxTargetLength
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodySize = maxBodySize
    }

    /// The request line may hold a method, two spaces and "HTTP/1.1" besides the target.
    var maxRequestLineLength: Int { maxTargetLength + 64 }
    /// A chunk-size line: hex digits plus (ignored) extensions.
    static let maxChunkLineLength = 4096
}
