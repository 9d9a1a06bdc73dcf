import Foundation
import HeraldTestSupport
import JSON
import Testing

/// Issue 6 "Done when": every operation of the contract file and of API.md §1
/// answers its documented success with a valid body; every operation naming a
/// resource answers another tenant (or platform user) 404 and changes nothing.
@Suite struct ContractWalkTests {
    @Test func everyOperationAnswersItsContract() async throws {
        try await APIHarness.with { api in
            let walker = ContractWalker(api: api)
            let world = try await ContractWalkWorld.build(walker)
            try await world.deleteAll(walker)
            MediaAPITests.cleanUp(world.tenant)

            let all = Set(api.contract.operations.map(\.operationId))
            let missing = all.subtracting(walker.contractCovered).sorted()
            let extrasMissing = Set(ContractWalkExtras.all).subtracting(walker.extrasCovered).sorted()
            print("contract operations covered: \(walker.contractCovered.count)/\(all.count); "
                  + "API.md §1 operations covered: \(walker.extrasCovered.count)/\(ContractWalkExtras.all.count)")
            #expect(all.count == 127)
            #expect(walker.contractCovered == all, "contract operations not reached with success: \(missing)")
            #expect(extrasMissing.isEmpty, "API.md §1 operations not reached with success: \(extrasMissing)")
        }
    }

    @Test func anotherTenantGets404AndChangesNothing() async throws {
        try await APIHarness.with { api in
            let walker = ContractWalker(api: api)
            let world = try await ContractWalkWorld.build(walker)
            let stranger = try await api.token(email: "walk-stranger@example.com")
            let intruder = try await api.tenant(owner: stranger, name: "Intruder Corp")
            let probes = world.isolationProbes(intruderTenantId: intruder.id)

            var reached: Set<String> = []
            var extras: Set<String> = []
            var before = try await ContractWalkSnapshot.take(api)
            for probe in probes {
                let credential = probe.caller == .tenantKeys ? intruder.keys : stranger
                let response = try await api.call(probe.method, probe.path, credential, json: probe.body)
                let operation = api.contract.operation(method: probe.method, path: probe.path)
                let name = operation?.operationId ?? ContractWalkExtras.match(method: probe.method, path: probe.path) ?? "?"
                let problems = operation == nil ? [] : api.contract.validate(method: probe.method, path: probe.path,
                                                                             status: response.status, body: response.body)
                let after = try await ContractWalkSnapshot.take(api)
                let changed = ContractWalkSnapshot.changed(before, after)
                let sent = probe.body.map { " sent \($0)" } ?? ""
                #expect(response.status == 404 && problems.isEmpty,
                        "\(name): \(probe.method) \(probe.path)\(sent) → \(response.status) \(problems): \(response.bodyString.prefix(400))")
                #expect(changed.isEmpty, "\(name): \(probe.method) \(probe.path) by another tenant changed rows of \(changed)")
                if let operation { reached.insert(operation.operationId) } else { extras.insert(name) }
                before = after
            }

            // Every contract operation that names a resource was probed.
            let naming = api.contract.resourceNamingOperationIds()
            let extrasNaming = ContractWalkExtras.all.filter { $0.contains("{") || $0.hasSuffix("preview")
                || $0.hasSuffix("prepare-verification") }
            print("isolation probes: \(probes.count); contract operations naming a resource probed: "
                  + "\(reached.intersection(naming).count)/\(naming.count); API.md §1: \(extras.count)/\(extrasNaming.count)")
            #expect(naming.subtracting(reached).isEmpty, "not probed: \(naming.subtracting(reached).sorted())")
            #expect(Set(extrasNaming).subtracting(extras).isEmpty, "not probed: \(Set(extrasNaming).subtracting(extras).sorted())")

            // The first tenant still reads everything it had.
            for probe in probes where probe.method == "GET" {
                let credential = probe.caller == .tenantKeys ? world.tenant.keys : world.owner
                let response = try await api.call("GET", probe.path, credential)
                #expect(response.status == 200, "owner: GET \(probe.path) → \(response.status) \(response.bodyString.prefix(300))")
            }
            // The snapshot does see writes: the owner's own update shows.
            let reference = try await ContractWalkSnapshot.take(api)
            _ = try await api.call("PUT", "/api/v0/auth/users/\(world.userId)", world.tenant.keys, json: #"{"name":"Changed"}"#)
            #expect(ContractWalkSnapshot.changed(reference, try await ContractWalkSnapshot.take(api)) == ["users"])
            MediaAPITests.cleanUp(world.tenant)
        }
    }
}

/// Issue 11: a deleted resource is absent everywhere: its read answers 404,
/// lists no longer show it, and deleting it again finds nothing.
@Suite struct ContractWalkDeletionTests {
    @Test func everyDeletedResourceAnswers404() async throws {
        try await APIHarness.with { api in
            let walker = ContractWalker(api: api)
            let world = try await ContractWalkWorld.build(walker)
            try await world.deleteAll(walker)
            MediaAPITests.cleanUp(world.tenant)
            for deleted in world.deletedReads {
                let read = try await api.call("GET", deleted.read, deleted.credential)
                if let id = deleted.listedId {
                    #expect(read.status == 200 && !read.bodyString.contains(id),
                            "\(deleted.read) still lists \(id) after DELETE \(deleted.delete): \(read.bodyString.prefix(300))")
                } else {
                    #expect(read.status == 404, "GET \(deleted.read) after DELETE → \(read.status): \(read.bodyString.prefix(300))")
                }
                let again = try await api.call("DELETE", deleted.delete, deleted.credential)
                #expect(again.status == 404, "DELETE \(deleted.delete) twice → \(again.status): \(again.bodyString.prefix(300))")
            }
        }
    }
}
