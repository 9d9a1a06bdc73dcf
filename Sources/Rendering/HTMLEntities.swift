/// Character references: numeric ones, and the named ones email HTML uses.
enum HTMLEntities {
    /// The reference at `start` (`&`) and the index after it; a lone `&` stays itself.
    static func decode(_ source: ArraySlice<UInt8>, at start: Int) -> (String, Int) {
        var i = start + 1
        let end = source.endIndex
        guard i < end else { return ("&", i) }
        if source[i] == UInt8(ascii: "#") {
            i += 1
            let hex = i < end && ASCII.lower(source[i]) == UInt8(ascii: "x")
            if hex { i += 1 }
            var code: UInt32 = 0
            let digitsStart = i
            while i < end, i - digitsStart < 8, let digit = digitValue(source[i], hex: hex) {
                code = code * (hex ? 16 : 10) + digit
                i += 1
            }
            guard i > digitsStart else { return ("&", start + 1) }
            if i < end, source[i] == UInt8(ascii: ";") { i += 1 }
            // NUL, surrogates and values past Unicode become the replacement character.
            let scalar = code == 0 ? nil : Unicode.Scalar(code)
            return (String(scalar ?? "\u{FFFD}"), i)
        }
        let nameStart = i
        while i < end, i - nameStart < 32, ASCII.isLetter(source[i]) || ASCII.isDigit(source[i]) { i += 1 }
        guard i < end, source[i] == UInt8(ascii: ";"), i > nameStart,
              let value = named[String(decoding: source[nameStart..<i], as: UTF8.self)] else { return ("&", start + 1) }
        return (value, i + 1)
    }

    static func decode(_ source: [UInt8], at start: Int) -> (String, Int) {
        decode(source[...], at: start)
    }

    private static func digitValue(_ byte: UInt8, hex: Bool) -> UInt32? {
        if ASCII.isDigit(byte) { return UInt32(byte - 0x30) }
        let lower = ASCII.lower(byte)
        if hex && lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f") { return UInt32(lower - 0x61 + 10) }
        return nil
    }

    /// Every reference in an attribute value.
    static func decodeAll(_ source: ArraySlice<UInt8>) -> String {
        guard source.contains(UInt8(ascii: "&")) else { return String(decoding: source, as: UTF8.self) }
        var result = ""
        var i = source.startIndex
        var run = i
        while i < source.endIndex {
            if source[i] == UInt8(ascii: "&") {
                result += String(decoding: source[run..<i], as: UTF8.self)
                let (decoded, end) = decode(source, at: i)
                result += decoded
                i = end
                run = i
            } else {
                i += 1
            }
        }
        return result + String(decoding: source[run..<i], as: UTF8.self)
    }

    static let named: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "zwnj": "\u{200C}", "zwj": "\u{200D}", "shy": "\u{AD}", "ensp": " ", "emsp": " ", "thinsp": " ",
        "copy": "©", "reg": "®", "trade": "™", "deg": "°", "plusmn": "±", "times": "×", "divide": "÷",
        "micro": "µ", "para": "¶", "sect": "§", "middot": "·", "bull": "•", "hellip": "…",
        "ndash": "–", "mdash": "—", "minus": "−", "lsquo": "‘", "rsquo": "’", "sbquo": "‚",
        "ldquo": "“", "rdquo": "”", "bdquo": "„", "laquo": "«", "raquo": "»", "lsaquo": "‹", "rsaquo": "›",
        "prime": "′", "Prime": "″", "dagger": "†", "Dagger": "‡", "permil": "‰",
        "euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "curren": "¤",
        "larr": "←", "rarr": "→", "uarr": "↑", "darr": "↓", "harr": "↔", "check": "✓",
        "iexcl": "¡", "iquest": "¿", "ordf": "ª", "ordm": "º", "sup1": "¹", "sup2": "²", "sup3": "³",
        "frac14": "¼", "frac12": "½", "frac34": "¾",
        "Agrave": "À", "Aacute": "Á", "Acirc": "Â", "Atilde": "Ã", "Auml": "Ä", "Aring": "Å", "AElig": "Æ",
        "Ccedil": "Ç", "Egrave": "È", "Eacute": "É", "Ecirc": "Ê", "Euml": "Ë", "Igrave": "Ì", "Iacute": "Í",
        "Icirc": "Î", "Iuml": "Ï", "Ntilde": "Ñ", "Ograve": "Ò", "Oacute": "Ó", "Ocirc": "Ô", "Otilde": "Õ",
        "Ouml": "Ö", "Oslash": "Ø", "Ugrave": "Ù", "Uacute": "Ú", "Ucirc": "Û", "Uuml": "Ü", "Yacute": "Ý",
        "szlig": "ß", "agrave": "à", "aacute": "á", "acirc": "â", "atilde": "ã", "auml": "ä", "aring": "å",
        "aelig": "æ", "ccedil": "ç", "egrave": "è", "eacute": "é", "ecirc": "ê", "euml": "ë", "igrave": "ì",
        "iacute": "í", "icirc": "î", "iuml": "ï", "ntilde": "ñ", "ograve": "ò", "oacute": "ó", "ocirc": "ô",
        "otilde": "õ", "ouml": "ö", "oslash": "ø", "ugrave": "ù", "uacute": "ú", "ucirc": "û", "uuml": "ü",
        "yacute": "ý", "yuml": "ÿ", "OElig": "Œ", "oelig": "œ", "Scaron": "Š", "scaron": "š",
    ]
}
