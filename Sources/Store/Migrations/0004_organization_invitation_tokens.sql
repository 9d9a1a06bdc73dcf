-- Organization invitations carry a secret accept token in their link; only
-- its keyed digest is kept, so acceptance can be checked without storing the
-- token in clear. A resend replaces it (older links stop working).
ALTER TABLE organization_invitations ADD COLUMN token_digest text;
ALTER TABLE organization_invitations ADD COLUMN sent_at timestamptz;
