import Studio

/// The template studio (`/studio`): an app shell and its assets, no credentials (the page
/// signs in with a key pair and then calls the public API like any client).
enum StudioRoutes {
    static func add(to routes: inout RouteBuilder, _ assets: StudioAssets = .bundled) {
        routes.open("GET", "/studio") { _ in
            APIResponse(headers: StudioHeaders.shell, body: assets.shell, contentType: "text/html; charset=utf-8")
        }
        routes.open("GET", StudioAssets.assetsPath + "/:hash/:name") { request in
            guard let file = assets.asset(hash: request.parameters["hash"] ?? "", name: request.parameters["name"] ?? "") else {
                throw APIError.notFound
            }
            return APIResponse(headers: StudioHeaders.asset, body: file.body, contentType: file.contentType)
        }
    }
}
