/// Character references: numeric ones, and the named ones email HTML uses.
enum HTMLEntities {
    /// The reference at `start` (`&`) and the index after it; a lone `&` stays itself.
    static func decode(_ source: [Unicode.Scalar], at start: Int) -> (String, Int) {
        var i = start + 1
        guard i < source.count else { return ("&", i) }
        if source[i] == "#" {
            i += 1
            let hex = i < source.count && (source[i] == "x" || source[i] == "X")
            if hex { i += 1 }
            let digitsStart = i
            while i < source.count, i - digitsStart < 8, source[i].properties.isASCIIHexDigit,
                  hex || (0x30...0x39).contains(source[i].value) { i += 1 }
            guard i > digitsStart else { return ("&", start + 1) }
            let digits = String(String.UnicodeScalarView(source[digitsStart..<i]))
            if i < source.count, source[i] == ";" { i += 1 }
            let code = UInt32(digits, radix: hex ? 16 : 10) ?? 0xFFFD
            // NUL, surrogates and values past Unicode become the replacement character.
            let scalar = code == 0 ? nil : Unicode.Scalar(code)
            return (String(scalar ?? "\u{FFFD}"), i)
        }
        let nameStart = i
        while i < source.count, i - nameStart < 32, source[i].properties.isAlphabetic || (0x30...0x39).contains(source[i].value) {
            i += 1
        }
        guard i < source.count, source[i] == ";", i > nameStart else { return ("&", start + 1) }
        let name = String(String.UnicodeScalarView(source[nameStart..<i]))
        guard let value = named[name] else { return ("&", start + 1) }
        return (value, i + 1)
    }

    /// Every reference in an attribute value.
    static func decodeAll(_ source: [Unicode.Scalar]) -> String {
        guard source.contains("&") else { return String(String.UnicodeScalarView(source)) }
        var result = ""
        var i = 0
        while i < source.count {
            if source[i] == "&" {
                let (decoded, end) = decode(source, at: i)
                result += decoded
                i = end
            } else {
                result.unicodeScalars.append(source[i])
                i += 1
            }
        }
        return result
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
