/// What the connection knows about the request a response answers.
struct HTTPResponseContext: Sendable, Equatable {
    var method: String
    var path: String
    var requestID: String
    var version: HTTPVersion
    var isHead: Bool
    /// Close the connection after this response (also written as `Connection: close`).
    var close: Bool
    /// Monotonic nanoseconds when the request head was complete (for the access log).
    var startedAt: UInt64
}

/// Writes a response head and body into a byte buffer.
///
/// Header safety: a response header whose name is not a token, or whose value contains a
/// control character (CR, LF, NUL, ...) or DEL, is dropped — never written, never "repaired" —
/// so handler data can never split the response. An invalid reason phrase is replaced by the
/// standard one, a 1xx or out-of-range status by 500.
///
/// Managed headers: `Content-Length` is computed from the body (for HEAD a valid handler-set
/// value is kept, since there is no body to measure); `Transfer-Encoding` is dropped (bodies are
/// always sent with a length); `Connection` and `X-Request-Id` are written by the server;
/// `Server` and `Date` are added unless the handler set them.
enum HTTPResponseSerializer {
    static func write(
        _ response: HTTPResponse, context: HTTPResponseContext, serverName: String?, date: [UInt8]?,
        into out: inout [UInt8]
    ) {
        var status = response.status
        // A final response cannot be 1xx (an interim 101 would tell the client the protocol
        // switched); out-of-range codes are handler bugs too.
        if status.code < 200 || status.code > 999 { status = .internalServerError }
        let forbidsBody = status.forbidsBody
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendDecimal(status.code, to: &out)
        out.append(ASCII.space)
        if ASCII.isFieldValue(status.reasonPhrase) {
            out.append(contentsOf: status.reasonPhrase.utf8)
        } else {
            out.append(contentsOf: HTTPStatus.standardReason(for: status.code).utf8)
        }
        out.append(contentsOf: crlf)

        var hasServer = false
        var hasDate = false
        var headContentLength: String?
        for field in response.headers.fields {
            let name = field.name
            guard ASCII.isToken(name), ASCII.isFieldValue(field.value) else { continue }
            switch name.utf8.count {
            case 4 where ASCII.equalsIgnoringCase(name, "Date"): hasDate = true
            case 6 where ASCII.equalsIgnoringCase(name, "Server"): hasServer = true
            case 10 where ASCII.equalsIgnoringCase(name, "Connection"): continue
            case 12 where ASCII.equalsIgnoringCase(name, "X-Request-Id"): continue
            case 14 where ASCII.equalsIgnoringCase(name, "Content-Length"):
                if HTTPRequestParser.parseContentLength(field.value) != nil { headContentLength = field.value }
                continue
            case 17 where ASCII.equalsIgnoringCase(name, "Transfer-Encoding"): continue
            default: break
            }
            appendField(name, field.value, to: &out)
        }
        if !hasServer, let serverName, ASCII.isFieldValue(serverName) {
            appendField("Server", serverName, to: &out)
        }
        if !hasDate, let date {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: date)
            out.append(contentsOf: crlf)
        }
        if !context.requestID.isEmpty && ASCII.isFieldValue(context.requestID) {
            appendField("X-Request-Id", context.requestID, to: &out)
        }
        if !forbidsBody {
            out.append(contentsOf: "Content-Length: ".utf8)
            if context.isHead, let headContentLength {
                out.append(contentsOf: headContentLength.utf8)
            } else {
                appendDecimal(response.body.count, to: &out)
            }
            out.append(contentsOf: crlf)
        }
        if context.close {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if context.version == .http1_0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: crlf)
        if !forbidsBody && !context.isHead {
            out.append(contentsOf: response.body)
        }
    }

    static let crlf: [UInt8] = [ASCII.cr, ASCII.lf]
    static let continueResponse: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    @inline(__always)
    static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        out.append(contentsOf: name.utf8)
        out.append(ASCII.colon)
        out.append(ASCII.space)
        out.append(contentsOf: value.utf8)
        out.append(contentsOf: crlf)
    }

    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(truncatingIfNeeded: value) + 0x30)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                      UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var v = value
        var n = 0
        withUnsafeMutableBytes(of: &digits) { d in
            while v > 0 {
                d[19 - n] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                v /= 10
                n += 1
            }
            out.append(contentsOf: d[(20 - n)...])
        }
    }
}
