// Throwaway keys made with the openssl CLI for these tests only. Expected JWK
// values were computed independently from `openssl pkey -pubout` / `openssl rsa -modulus`.
enum KeyFixtures {
    static let p256 = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1PDvnysudZrNlaK4
        d5QD5/5L8KHBFdLrWO29BJL2uOWhRANCAATsRwKtgEdvVH3JKVZlpzI+Lp/DLbFR
        wxXtFA+bWGzvaTsmcAclpVoqwwoTDBbBWAUsUQMrEJJEEClnq8txuQwu
        -----END PRIVATE KEY-----
        """
    static let rsa = """
        -----BEGIN RSA PRIVATE KEY-----
        MIIEpAIBAAKCAQEAqEjrIRH7C8e5jUfN5EdnsWHhCo4sie8PI9LiOSxFi4qc+H3/
        9UQW+MumbM2xDkWUYkyROXI5R89GQWmc1/+KyWVsy/MyQDKQAv1+96XdS5PWvhzX
        mK4HEpLt8TwYYST3dhAxSyMDC6siYum6k6gme5xikmc5XPuUhUbGGr3YJ06OVIQr
        Ldmiua92r2m+hmHrqmkwMXn4tHEgx9WOAU6jNASkVMN8TDxLmGfy0wK2VMrQ9bHo
        yd9Cm3TCEnUAXl/Qn2I8NnNWbt0B5JETQw+/JUfmcB/NmT81vFSdx82FYgCN+Aob
        VWsaVkZ7ynHbYtkW2WgwehsAvzD1wT6yPLzufQIDAQABAoIBAAfAtj5jiOyJwsFg
        v7pG1N7d6sN0+dXP8uNcXYozQS/0zpb/HQnkXWeQYEYucrv81iFyNBWQrtVhVfQB
        BNYJoo/1MX4y4cuF2M8edRk9JbUL5k6DXyZcTBydssMUmO3uyUzB4bd7sTH6LB8g
        8/TGACHdOkhS45hmSbkbIdjNCraCy4fpRJtGeOR+vsnrXJcGpo0/a+eMBda5/ONn
        KlYXNCp/XD1z3/ElDHmygt5mcFCGgAlv3kqCEzSceNLriShb1REKqXjax76M3Mh4
        l6/LpMgSdd114NYMXUsHjCpQ9j0N0QcBEyUXC3YQD2uUWALq6FyIrGmUFC8ALSCg
        /Dl35PECgYEA4eMmB0qdatlD6n06XDVmPsS+Zq2aX7D9Q9rgn9H0HlxtQLekcE0E
        yj4PhGksfQAe6HSIKecSqy0QjrN86xegKpINnyzaNcfVjhVvExUUrnF97ASfcd3j
        9RoTsJaOEs7eyiMROJRYa5+O2oSg/s3f4ITsQ7XoBybPuZbkSJe8wBECgYEAvrf4
        y1fADSVHTB+wMwje4gFKHU+QiplwNRLEqj8/iL8gnyFnbGaTYq5EScq+/qNvbU+i
        CtNAcB2X6At8F+ntKmXJ6xA7k01KtFOgaHrbSK/z9EeHtbh/vxsiXVvi1PM8YcRj
        IqEBrYns8VK5TcDhRypniaBa7k+/naWw2Ljv860CgYAxVTOT+hbBJCwyBSF+y+bF
        pKBUumtxpKzbae0O2oKvMs5liPXv1NJL/RvUdkfSEPmvGOw4ApBQNCpekBKjIWjI
        g1dYQSpy/m7EdifpCfyXUJAIwMW1z5keiZBtS6RBtU5w5RG4wqVA8/r1/GtQ2tOf
        LEiRTSQck7xgMvUuaX0+kQKBgQCa53ZOQrGce8DTFZHZgcT2MDHwaKVvzXyTvvC5
        jrGd8g8e8NS9+PqQ1hZlESXcUQa59EobHMZjycWOFXXvPnMBUreUExUwaUDaAmpx
        MghVm4Q7zrVtZbNsly9sQKuWZxGOHyKeB8QDHdmzkIstmhHf6ZM692Gj2mY6N0/S
        VzOd6QKBgQCUKdRNMZlJOQm3DV5DF0gLnnQqdlHUBEuyOl8lFdJrFNuIEw/CTQuU
        VQ8XEDe+VIPL7Bs09PDF3HUP2u7qTNHs8kV7wyd5IeEexz8A95N96syEX9/m7JY6
        rGyMxcuf4aODhQUWSoqgQZgde6NrUbdNOukQAR6N60nqYHCwyYIV/Q==
        -----END RSA PRIVATE KEY-----
        """
    static let encryptedP256 = """
        -----BEGIN ENCRYPTED PRIVATE KEY-----
        MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgcKT5JPu0fegICCAAw
        DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEPHs6STgQTNz30LBOeDqCz8EgZBc
        04E+nD8rV6BC/z0DHXMV/22z/iph//mfIlfr1XQWorExibIFt5LE6r7AVnjtSxwG
        xNl8UWlX+MfkU55FbH7YG7QS32uikWLhQR7ikl6KEXOx8WbqdIVXImd+jDDEZAyv
        sHn9389jaHFvuPZEm7MLe/+iuaqDdJvqRzHIu9exXqMJG5LBsbBkYR7gxxCsK3Y=
        -----END ENCRYPTED PRIVATE KEY-----
        """
    static let p384 = """
        -----BEGIN PRIVATE KEY-----
        MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCG/IApyyTjahYDuhcQ
        2SwJEODmwpImfxDJRRbngSxnEjiC30hJz5ZqUWs3szDoeKehZANiAASBGbQc+jwX
        D0mzfMmPsUAJZoanPieud8ql3GKkcQJZL2VXFFqVHLD04otiEDIf8hhyaVs9fVrt
        xpHqHA4IbPvBmhu0sC13QRSACW6qMAKQ41rq1Glbi8+2yvaGmJ+Rp3k=
        -----END PRIVATE KEY-----
        """
    static let rsa1024 = """
        -----BEGIN PRIVATE KEY-----
        MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBALwjyXUk8LmMCp9u
        UAyHXJoOnaawm/Dfhas/lUGu/rOEqYxwLHLt4MbeDiSSovde+2I+XpgbQFmSZPkb
        IzekRx1Nc0Cf1Olf5mP/5nqOejJeqiv2RxSVuq3qJskJrzxg50TzeLI+yhxg1u9D
        Q0rzFgELDAsX/bqEM6MyJTkdunVHAgMBAAECgYEAuvfxl+obFLn4QJKXGKxYuXz2
        7RWsE0d/Bj1M7hajZfHbsQY1Fg4SiG9arLvRGnaY6fxDc3P5kkpq8Cgo6n3mcKLp
        c/CSOmnqDCLClx1xWLZeJNs5eN+v7HFOz63J19zqA6vmI5wwYTGaZo2JnUYfQ8wq
        AUzz4fRUovmI319J6SkCQQDj7m68TdqXlsEi2T3bQuxthyUMxlce6EYKwgDCk1U6
        LCVKmvuKR2U4PS1gW4N12H9iXW4Ykvtxkyl/9X5XlSpFAkEA007rV/kE+pUZP3T1
        ulkmpaswKbeAbZ/8lZcxb7Hn+0swHRy3XDldKIgNlVBAxlQqxBtpgZiG8y/madvk
        lHMAGwJBAI6o/oA3jliQz+N66z9gHNDU5Hihb4f1w1kaYhVm19IoLVMLu+Kpmw3f
        JJaJ0LciwWAUsEMLQ/urKy9evSwePa0CQQCgM1btjVee+ub3Wx7pNqm8NDsBhaOS
        eRav+r56JfDwbaJ+j8Tb4ImmLu/NYdiaBDmgEAA/RnoZaRlQ7GsxuLY9AkAZTcm3
        Ir8NyPfg27SyaLVHgjW63zVWGqNGYrkighjdDSS1H2PpDhwH0ss4VGZNKS4THsG7
        n3+5MPPsFhYs/W7e
        -----END PRIVATE KEY-----
        """
    static let ed25519 = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIPi68NG8Gk86exM+KlQIPAGbrb19x8tQ+WvPZb4nG5UP
        -----END PRIVATE KEY-----
        """
    static let p256X = "7EcCrYBHb1R9ySlWZacyPi6fwy2xUcMV7RQPm1hs72k"
    static let p256Y = "OyZwByWlWirDChMMFsFYBSxRAysQkkQQKWery3G5DC4"
    static let p256Kid = "-za-cDj12Lzn2fxbN-LtVB5PjSa-CCtcLBHC8m13PiA"
    static let rsaN = "qEjrIRH7C8e5jUfN5EdnsWHhCo4sie8PI9LiOSxFi4qc-H3_9UQW-MumbM2xDkWUYkyROXI5R89GQWmc1_-KyWVsy_MyQDKQAv1-96XdS5PWvhzXmK4HEpLt8TwYYST3dhAxSyMDC6siYum6k6gme5xikmc5XPuUhUbGGr3YJ06OVIQrLdmiua92r2m-hmHrqmkwMXn4tHEgx9WOAU6jNASkVMN8TDxLmGfy0wK2VMrQ9bHoyd9Cm3TCEnUAXl_Qn2I8NnNWbt0B5JETQw-_JUfmcB_NmT81vFSdx82FYgCN-AobVWsaVkZ7ynHbYtkW2WgwehsAvzD1wT6yPLzufQ"
    static let rsaKid = "F_mxsdGvcbRhVpJwGMb4tV3QsnJIwukwGtkr25yZRIk"
}
