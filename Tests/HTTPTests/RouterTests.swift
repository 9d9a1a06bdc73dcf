import Testing
@testable import HTTP

@Suite("Router, query strings, headers")
struct RouterTests {
    func router() -> Router {
        var router = Router()
        router.get("/api/v0/tenants/:id/brand") { _, p in .text("brand \(p["id"]!)") }
        router.put("/api/v0/tenants/:id/brand") { _, p in .text("put brand \(p["id"]!)") }
        router.get("/api/v0/tenants/pkey/:publicKey") { _, p in .text("pkey \(p["publicKey"]!)") }
        router.get("/api/v0/tenants/:id") { _, p in .text("tenant \(p["id"]!)") }
        router.get("/api/v0/tenants/mine") { _, _ in .text("mine") }
        router.post("/api/v0/things/:a/sub/:b") { _, p in .text("\(p["a"]!)+\(p["b"]!)") }
        router.get("/api/v0/things/special/sub/x") { _, _ in .text("static") }
        router.get("/") { _, _ in .text("root") }
        let method = "OPTIONS"
        router.on(method, "/opts") { _, _ in .text("options") }
        router.on("PATCH", "/opts") { _, _ in .text("patch") }
        return router
    }

    func body(_ method: HTTPMethod, _ target: String) async -> (Int, String, HTTPHeaders) {
        let response = await router().respond(to: HTTPRequest(method: method, target: target))
        return (response.status.code, String(decoding: response.body, as: UTF8.self), response.headers)
    }

    @Test func parametersAndStaticPreference() async {
        #expect(await body(.get, "/api/v0/tenants/t1/brand").1 == "brand t1")
        #expect(await body(.put, "/api/v0/tenants/t1/brand").1 == "put brand t1")
        #expect(await body(.get, "/api/v0/tenants/mine").1 == "mine")
        #expect(await body(.get, "/api/v0/tenants/other").1 == "tenant other")
        #expect(await body(.get, "/api/v0/tenants/pkey/pk_1").1 == "pkey pk_1")
        #expect(await body(.get, "/").1 == "root")
        #expect(await body(.get, "/api/v0/tenants/t1/").1 == "tenant t1")
    }

    @Test func staticBranchFallsBackToParameterBranch() async {
        // "special" matches a static segment whose subtree has no POST: the parameter branch does.
        #expect(await body(.post, "/api/v0/things/special/sub/x").1 == "special+x")
        #expect(await body(.get, "/api/v0/things/special/sub/x").1 == "static")
    }

    @Test func percentDecodedParameters() async {
        #expect(await body(.get, "/api/v0/tenants/a%2Fb%20c/brand").1 == "brand a/b c")
        #expect(await body(.get, "/api/v0/tenants/%E2%9C%93/brand").1 == "brand ✓")
        #expect(await body(.get, "/api/v0/tenants/100%/brand").1 == "brand 100%")
    }

    @Test func notFoundBody() async {
        let (status, text, headers) = await body(.get, "/nope")
        #expect(status == 404)
        #expect(text == "Not found\n")
        #expect(headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(await body(.get, "/api/v0/tenants/t1/brand/extra").0 == 404)
    }

    @Test func methodNotAllowedBodyAndAllow() async {
        let (status, text, headers) = await body(.delete, "/api/v0/tenants/t1/brand")
        #expect(status == 405)
        #expect(text == "Method not supported\n")
        #expect(headers["Allow"] == "GET, HEAD, PUT")
    }

    @Test func missesGoThroughTheInjectedRenderer() async {
        var router = Router(errorRenderer: { error in
            var headers = error.headers
            headers.add(name: "X-Renderer", value: "app")
            return HTTPResponse(status: error.status, headers: headers, body: Array("app:\(error.message)".utf8))
        })
        router.get("/only-get") { _, _ in .text("ok") }
        let missing = await router.respond(to: HTTPRequest(method: .get, target: "/nope"))
        #expect(missing.status == .notFound)
        #expect(missing.headers["X-Renderer"] == "app")
        #expect(missing.body == Array("app:Not found".utf8))
        let wrongMethod = await router.respond(to: HTTPRequest(method: .post, target: "/only-get"))
        #expect(wrongMethod.status == .methodNotAllowed)
        #expect(wrongMethod.headers["Allow"] == "GET, HEAD")
        #expect(wrongMethod.headers["X-Renderer"] == "app")
    }

    @Test func methodsGivenAsStrings() async {
        #expect(await body(.options, "/opts").1 == "options")
        #expect(await body(.patch, "/opts").1 == "patch")
        #expect(await body(.get, "/opts").2["Allow"] == "OPTIONS, PATCH")
    }

    @Test func headFallsBackToGet() async {
        #expect(await body(.head, "/api/v0/tenants/mine").1 == "mine")
    }

    @Test func queryParsing() {
        let request = HTTPRequest(method: .get, target: "/x?perPage=20&name=a%20b+c&flag&perPage=99&e=%zz&u=%E2%9C%93")
        #expect(request.path == "/x")
        #expect(request.query["perPage"] == "20")
        #expect(request.query["name"] == "a b c")
        #expect(request.query["flag"] == "")
        #expect(request.query["e"] == "%zz")
        #expect(request.query["u"] == "✓")
        #expect(request.queryItems.filter { $0.name == "perPage" }.map(\.value) == ["20", "99"])
        #expect(HTTPRequest(method: .get, target: "/x").query.isEmpty)
        #expect(HTTPRequest(method: .get, target: "http://h:1/p/q?a=1").path == "/p/q")
        #expect(HTTPRequest(method: .get, target: "http://h:1?a=1").path == "/")
        #expect(HTTPRequest(method: .get, target: "http://h:1?a=1").query["a"] == "1")
    }

    @Test func headersAreCaseInsensitiveOrderedAndMultiValued() {
        var headers: HTTPHeaders = ["Content-Type": "a", "X-Multi": "1"]
        headers.add(name: "x-multi", value: "2")
        #expect(headers["content-type"] == "a")
        #expect(headers.values(for: "X-MULTI") == ["1", "2"])
        headers["X-Multi"] = "3"
        #expect(headers.values(for: "x-multi") == ["3"])
        headers["content-TYPE"] = nil
        #expect(!headers.contains("Content-Type"))
        #expect(headers.map(\.name) == ["X-Multi"])
        let connection: HTTPHeaders = ["Connection": "keep-alive, Close"]
        #expect(connection.containsToken("close", in: "connection"))
    }
}
