import HeraldTestSupport
import JSON
import Testing

/// The errors the HTTP server answers by itself (before any route runs) reach API clients in
/// the contract's `{"message","code"}` shape: the API passes its renderer to the server.
@Suite("API: errors the server makes itself")
struct ServerErrorShapeTests {
    @Test func parseErrorsAndLimitsAnswerInTheContractShape() async throws {
        try await APIHarness.with { api in
            let cases: [(raw: String, status: Int, code: String)] = [
                ("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "BAD_REQUEST"),
                ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, "URI_TOO_LONG"),
                ("POST /api/v0/tenants HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", 413, "PAYLOAD_TOO_LARGE"),
            ]
            for (raw, status, code) in cases {
                let response = try await TestHTTPClient.offload { [port = api.port] in
                    let client = try TestHTTPClient(port: port)
                    try client.send(raw)
                    return try client.readResponse()
                }
                #expect(response.status == status, "\(code)")
                #expect(response.headers["Content-Type"] == "application/json", "\(code)")
                let body = try JSONParser.parse(response.body)
                #expect(body["code"] == .string(code))
                #expect(body["message"]?.stringValue?.isEmpty == false, "\(code)")
            }
        }
    }
}
