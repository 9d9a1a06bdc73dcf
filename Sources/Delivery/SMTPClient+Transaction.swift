/// The outcome of one accepted transaction.
public struct SMTPSendResult: Sendable, Equatable {
    /// Envelope recipients the server accepted; the message went to these.
    public let accepted: [String]
    /// Recipients refused while others were accepted. The message was still
    /// delivered to `accepted`; each refusal's reply says whether trying that
    /// recipient again can help (4xx) or not (5xx).
    public let rejected: [Rejection]
    /// The reply to the final ".", usually naming the server's queue id.
    public let reply: SMTPReply

    public struct Rejection: Sendable, Equatable {
        public let recipient: String
        public let reply: SMTPReply
    }
}

extension SMTPConnection {
    /// Renders `message` and sends it to all of its envelope recipients
    /// (to, cc and bcc), from `from.address`.
    public func send(_ message: EmailMessage) throws -> SMTPSendResult {
        let data = try message.render()
        return try send(from: message.from.address, to: message.envelopeRecipients, data: data)
    }

    /// One mail transaction: MAIL FROM, RCPT TO for each recipient, DATA.
    /// With PIPELINING all of these go out in one write and the replies are
    /// read in order (RFC 2920). `data` is a complete message; line breaks
    /// are normalised to CRLF and lines starting with "." are dot-stuffed.
    ///
    /// Throws when the server refuses the sender, every recipient, or the
    /// message: 5xx as `.permanent`, 4xx as `.transient`. A timeout waiting
    /// for the reply to the final "." is ambiguous (the server may have
    /// queued the message): it throws `.timeout`, and the stable Message-ID
    /// lets receivers recognise a duplicate from the retry.
    public func send(from sender: String, to recipients: [String], data: [UInt8]) throws -> SMTPSendResult {
        // Everything is checked before a byte is written.
        if !sender.isEmpty { try EmailAddress(sender).validate() }
        guard !recipients.isEmpty else { throw DeliveryError(.invalidMessage, "no recipients") }
        for recipient in recipients { try EmailAddress(recipient).validate() }
        let payload = Self.dataPayload(data)
        var parameters = ""
        if let limit = capabilities.sizeLimit, payload.count > limit {
            throw DeliveryError(.permanent, "message of \(payload.count) bytes exceeds the server's limit of \(limit)")
        }
        if capabilities.supports("SIZE") { parameters += " SIZE=\(payload.count)" }
        if !([sender] + recipients).allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) {
            guard capabilities.smtpUTF8 else {
                throw DeliveryError(.permanent, "internationalised address, but \(configuration.host) does not offer SMTPUTF8")
            }
            parameters += " SMTPUTF8"
        }
        if capabilities.eightBitMIME && payload.contains(where: { $0 >= 0x80 }) { parameters += " BODY=8BITMIME" }

        try beginTransaction()

        let mail = "MAIL FROM:<\(sender)>" + parameters
        let rcpts = recipients.map { "RCPT TO:<\($0)>" }
        var mailReply: SMTPReply
        var rcptReplies: [SMTPReply] = []
        var dataReply: SMTPReply?
        if capabilities.pipelining {
            try write(lines: [mail] + rcpts + ["DATA"], timeout: configuration.commandTimeout)
            mailReply = try readReply()
            for _ in rcpts { rcptReplies.append(try readReply()) }
            dataReply = try readReply()
        } else {
            mailReply = try command(mail)
            if mailReply.code == 250 {
                for rcpt in rcpts { rcptReplies.append(try command(rcpt)) }
                if rcptReplies.contains(where: { $0.code == 250 || $0.code == 251 }) { dataReply = try command("DATA") }
            }
        }

        let accepted = zip(recipients, rcptReplies).filter { $0.1.code == 250 || $0.1.code == 251 }.map(\.0)
        let rejected = zip(recipients, rcptReplies).filter { !($0.1.code == 250 || $0.1.code == 251) }
            .map { SMTPSendResult.Rejection(recipient: $0.0, reply: $0.1) }
        let proceed = mailReply.code == 250 && !accepted.isEmpty
        if dataReply?.code == 354 && !proceed {
            // A server that opened DATA although nothing was accepted: the
            // only way out of DATA is to send a message, so drop the session.
            throw abandon(DeliveryError(.protocol, "server accepted DATA without a valid envelope"))
        }
        guard mailReply.code == 250 else { throw DeliveryError.reply(mailReply, during: "MAIL FROM") }
        guard proceed else {
            // Retrying helps if any refusal was temporary.
            let worst = rejected.first { $0.reply.isTransientFailure } ?? rejected[0]
            throw DeliveryError.reply(worst.reply, during: "RCPT TO <\(worst.recipient)>")
        }
        guard let dataReply, dataReply.code == 354 else {
            throw DeliveryError.reply(dataReply ?? mailReply, during: "DATA")
        }
        try guarded { try connection.write(payload, deadline: .after(configuration.dataTimeout)) }
        // The final "." is out: from here on, a lost connection or a
        // timeout leaves it open whether the server queued the message.
        let final: SMTPReply
        do {
            final = try readReply(timeout: configuration.dataTimeout)
        } catch let error as DeliveryError {
            throw error.handedOver()
        }
        guard final.code == 250 else { throw DeliveryError.reply(final, during: "end of DATA") }
        return SMTPSendResult(accepted: accepted, rejected: rejected, reply: final)
    }

    /// The DATA section on the wire (RFC 5321 §4.5.2): every line break as
    /// CRLF, a "." doubled at the start of any line, a final CRLF, and the
    /// terminating ".".
    static func dataPayload(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 50 + 8)
        var atLineStart = true
        var index = 0
        while index < data.count {
            let byte = data[index]
            if byte == 13 || byte == 10 {
                out += [13, 10]
                index += (byte == 13 && index + 1 < data.count && data[index + 1] == 10) ? 2 : 1
                atLineStart = true
                continue
            }
            if atLineStart && byte == UInt8(ascii: ".") { out.append(byte) }
            out.append(byte)
            atLineStart = false
            index += 1
        }
        if !atLineStart { out += [13, 10] }
        out += Array(".\r\n".utf8)
        return out
    }
}
