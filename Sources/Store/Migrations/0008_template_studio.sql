-- The template studio (Store+TemplateStudio.swift).
--
-- Sample data: the variables an author previews and tests a template with,
-- one JSON object per template (at most 64 KiB, checked by the API). A column
-- of the template, so it is copied and deleted with it.
ALTER TABLE notification_templates ADD COLUMN sample_data jsonb NOT NULL DEFAULT '{}';

-- Drafts: at most one per template, never read by sends. Publishing copies
-- it onto the template as a new version and deletes it. `base_version` is the
-- template's version when the draft was started, so an editor can tell that
-- the template moved on under it. The parts are kept as written, even when
-- they do not compile: an editor saves while typing.
CREATE TABLE notification_template_drafts (
    template_id   text PRIMARY KEY REFERENCES notification_templates (id) ON DELETE CASCADE,
    tenant_id     text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    subject       text,
    body          jsonb NOT NULL,
    content       jsonb,
    base_version  int NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT herald_now(),
    updated_at    timestamptz NOT NULL DEFAULT herald_now()
);
CREATE INDEX notification_template_drafts_tenant ON notification_template_drafts (tenant_id);
