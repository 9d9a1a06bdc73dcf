import HeraldTestSupport

/// What the walk's `deleteAll` removed, as reads that must now answer 404:
/// a deleted (or soft-deleted) row is absent from every read, and a second
/// delete finds nothing either.
extension ContractWalkWorld {
    struct DeletedRead {
        /// A GET that must answer 404, or a list that must not show `listedId`.
        let read: String
        let delete: String
        let credential: Credential
        var listedId: String? = nil
    }

    var deletedReads: [DeletedRead] {
        let keys = tenant.keys
        var reads: [DeletedRead] = []
        for path in ["sessions/\(sessionId)", "sign-ins/\(signInId)", "sign-ups/\(signUpId)",
                     "organization-members/\(membershipId)", "organization-invitations/\(orgInvitationId)",
                     "organizations/\(organizationId)", "roles/\(roleId)", "tenant-social-providers/\(providerId)",
                     "users/\(userId)"] {
            reads.append(DeletedRead(read: "/api/v0/auth/\(path)", delete: "/api/v0/auth/\(path)", credential: keys))
        }
        reads.append(DeletedRead(read: "/api/v0/domains/\(domainId)", delete: "/api/v0/domains/\(domainId)", credential: keys))
        reads.append(DeletedRead(read: "/api/v0/media/files/\(fileId)", delete: "/api/v0/files/\(fileId)", credential: keys))
        reads.append(DeletedRead(read: "/api/v0/media/uploads/\(spareUploadId)",
                                 delete: "/api/v0/media/uploads/\(spareUploadId)", credential: keys))
        reads.append(DeletedRead(read: "/api/v0/media/transformations/\(transformationId)",
                                 delete: "/api/v0/media/transformations/\(transformationId)", credential: keys))
        reads.append(DeletedRead(read: "/api/v0/notifications/channels/\(spareChannelId)",
                                 delete: "/api/v0/notifications/channels/\(spareChannelId)", credential: keys))
        reads.append(DeletedRead(read: "/api/v0/notifications/templates/\(spareTemplateId)",
                                 delete: "/api/v0/notifications/templates/\(spareTemplateId)", credential: keys))
        reads.append(DeletedRead(read: "/api/v0/tenants/\(spareTenantId)", delete: "/api/v0/tenants/\(spareTenantId)",
                                 credential: owner))
        reads.append(DeletedRead(read: "/api/v0/auth/email-addresses/\(firstEmailId)",
                                 delete: "/api/v0/auth/email-addresses?id=\(firstEmailId)", credential: keys))
        reads.append(DeletedRead(read: "/api/v0/auth/phone-numbers/\(firstPhoneId)",
                                 delete: "/api/v0/auth/phone-numbers?id=\(firstPhoneId)", credential: keys))
        reads.append(DeletedRead(read: "/api/v0/tenants/\(tenant.id)/invitations",
                                 delete: "/api/v0/tenants/invitations/\(pendingInvitationId)", credential: owner,
                                 listedId: pendingInvitationId))
        reads.append(DeletedRead(read: "/api/v0/tenants/\(tenant.id)/members",
                                 delete: "/api/v0/tenants/members/\(helperMemberId)", credential: owner,
                                 listedId: helperMemberId))
        return reads
    }
}
