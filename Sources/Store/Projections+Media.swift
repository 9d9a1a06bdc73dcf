/// Wire shapes of uploads, files, transformations, social providers and JWK
/// certificates, in the contract's key order.
extension Projection {
    static let upload = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'path', t.path, 'originalFilename', t.original_filename,
          'mime', t.mime, 'size', t.size, 'meta', t.meta, 'finishedAt', herald_ts(t.finished_at),
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at), 'deletedAt', herald_ts(t.deleted_at))
        """

    static let file = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'originalFilename', t.original_filename, 'path', t.path,
          'description', t.description, 'mime', t.mime, 'size', t.size, 'width', t.width, 'height', t.height,
          'duration', t.duration, 'transformationId', t.transformation_id, 'meta', t.meta,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at), 'deletedAt', herald_ts(t.deleted_at))
        """

    static let transformation = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'name', t.name, 'description', t.description,
          'outputFormat', t.output_format, 'outputQuality', t.output_quality, 'outputCompression', t.output_compression,
          'outputWidth', t.output_width, 'outputHeight', t.output_height, 'outputResizeMode', t.output_resize_mode,
          'steps', t.steps, 'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    /// The client secret is write-only: it never appears here.
    static let socialProvider = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'providerKey', t.provider_key, 'enabled', t.enabled,
          'useCustomCredentials', t.use_custom_credentials, 'clientId', t.client_id, 'redirectUri', t.redirect_uri,
          'additionalScopes', t.additional_scopes, 'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """

    /// Only the public JWK; the sealed private key stays in the table.
    static let jwkCertificate = """
        json_build_object('id', t.id, 'tenantId', t.tenant_id, 'public', t.public_jwk,
          'createdAt', herald_ts(t.created_at), 'updatedAt', herald_ts(t.updated_at))
        """
}
