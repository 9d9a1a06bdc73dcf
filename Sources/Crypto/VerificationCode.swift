/// Short codes sent by email/SMS for verification and password reset.
public enum VerificationCode {
    /// Uniformly random `000000`...`999999`, zero-padded so every code has
    /// the same length and leading zeros are not lost.
    public static func sixDigits() -> String {
        let value = SecureRandom.uniform(below: 1_000_000)
        let digits = String(value)
        return String(repeating: "0", count: 6 - digits.count) + digits
    }
}
