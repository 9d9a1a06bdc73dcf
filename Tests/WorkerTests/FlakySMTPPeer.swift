import Foundation
import Glibc

/// An SMTP server on loopback for the failures aiosmtpd will not play: it
/// answers 421 to every greeting (an overloaded relay), or takes a whole
/// message and hangs up before answering the final "." (the hand-over is
/// ambiguous). Counts connections, so a test sees which sends reached it.
final class FlakySMTPPeer: @unchecked Sendable {
    enum Behaviour: Sendable {
        /// "421 busy" to the greeting, then hang up.
        case busy
        /// The first `drops` messages are read in full and the connection
        /// dropped without a reply; later ones are accepted with 250.
        case dropAfterData(drops: Int)
    }

    let port: Int
    private let listener: Int32
    private let behaviour: Behaviour
    private let lock = NSLock()
    private var connections = 0
    private var messagesRead = 0
    private var accepted = 0

    init(_ behaviour: Behaviour) throws {
        self.behaviour = behaviour
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let listener = listener
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 16) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        guard ok else { throw TimedOut(description: "cannot listen on loopback") }
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    var connectionCount: Int { lock.withLock { connections } }
    /// Messages read to their final ".", answered or not.
    var messagesReceived: Int { lock.withLock { messagesRead } }
    var messagesAccepted: Int { lock.withLock { accepted } }

    private func acceptLoop() {
        while true {
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            lock.withLock { connections += 1 }
            Thread { [self] in serve(fd) }.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        func say(_ text: String) { _ = Array(text.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
        func readLine() -> String? {
            var line: [UInt8] = []
            var byte: UInt8 = 0
            while recv(fd, &byte, 1, 0) == 1 {
                if byte == 10 { return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
                line.append(byte)
            }
            return nil
        }
        guard case .dropAfterData(let drops) = behaviour else {
            say("421 4.3.2 service busy, try later\r\n")
            return
        }
        say("220 flaky.test ESMTP\r\n")
        while let line = readLine() {
            let verb = line.prefix(4).uppercased()
            switch verb {
            case "EHLO", "HELO": say("250 flaky.test\r\n")
            case "MAIL", "RCPT", "RSET", "NOOP": say("250 ok\r\n")
            case "QUIT": say("221 bye\r\n"); return
            case "DATA":
                say("354 go ahead\r\n")
                while let body = readLine(), body != "." {}
                let number = lock.withLock { () -> Int in messagesRead += 1; return messagesRead }
                if number <= drops { return }  // hang up: the client cannot know we have it
                lock.withLock { accepted += 1 }
                say("250 2.0.0 queued\r\n")
            default: say("502 unknown\r\n")
            }
        }
    }
}
