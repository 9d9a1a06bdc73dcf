import Foundation
import Glibc
@testable import Delivery

/// A one-connection TCP server on loopback that plays a fixed script, for
/// servers aiosmtpd will not imitate: silent, garbage, oversized or
/// injecting replies. Runs on its own thread; gives up after a few seconds.
final class ScriptedServer: @unchecked Sendable {
    enum Step: Sendable {
        case send(String)
        /// Wait for one line from the client.
        case readLine
        /// Read until the client has sent this text (an SMTP message's final
        /// ".", an HTTP request's blank line).
        case readUntil(String)
        /// Read whatever arrives until nothing has for 200 ms.
        case drain
        /// Hang up.
        case close
    }

    let port: Int
    private let listener: Int32

    init(_ steps: [Step]) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listener = listener
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard ok else { throw HarnessError("cannot listen on loopback") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { Self.serve(listener: listener, steps: steps) }.start()
    }

    deinit { shutdown(listener, Int32(SHUT_RDWR)); close(listener) }

    private static func serve(listener: Int32, steps: [Step]) {
        var pfd = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 5000) > 0 else { return }
        let fd = accept(listener, nil, nil)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        for step in steps {
            switch step {
            case .send(let text):
                _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            case .readLine:
                var byte: UInt8 = 0
                while recv(fd, &byte, 1, 0) == 1 && byte != 10 {}
            case .readUntil(let text):
                let wanted = Array(text.utf8)
                var seen: [UInt8] = []
                var byte: UInt8 = 0
                while recv(fd, &byte, 1, 0) == 1 {
                    seen.append(byte)
                    if seen.count >= wanted.count && Array(seen.suffix(wanted.count)) == wanted { break }
                }
            case .drain:
                var buffer = [UInt8](repeating: 0, count: 4096)
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                while poll(&ready, 1, 200) > 0 && recv(fd, &buffer, buffer.count, 0) > 0 {}
            case .close:
                return
            }
        }
        // Then stay silent until the client hangs up (or the read times out).
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {}
    }

    func configuration(_ security: SMTPConfiguration.Security = .none, timeout: Duration = .seconds(3)) -> SMTPConfiguration {
        SMTPConfiguration(host: "127.0.0.1", port: port, security: security, clientName: "client.herald.test",
                          connectTimeout: timeout, commandTimeout: timeout, dataTimeout: timeout)
    }
}
