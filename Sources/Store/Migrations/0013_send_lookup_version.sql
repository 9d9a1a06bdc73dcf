-- Issue 15: each API process caches what a send looks up (a tenant's channels,
-- templates with their partials, the tenant's send context). Any change to those
-- bumps the tenant's lookup_version, and a send's insert checks the version its
-- lookups were read under, so no process queues a message built from a stale
-- cache, whichever process made the edit.
ALTER TABLE tenants ADD COLUMN lookup_version bigint NOT NULL DEFAULT 0;

-- Statement-level, so a clone of 1,000 templates bumps each tenant once.
CREATE FUNCTION herald_bump_lookup_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE tenants SET lookup_version = lookup_version + 1 WHERE id IN (SELECT DISTINCT tenant_id FROM changed_new);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE tenants SET lookup_version = lookup_version + 1 WHERE id IN (SELECT DISTINCT tenant_id FROM changed_old);
  ELSE
    UPDATE tenants SET lookup_version = lookup_version + 1
    WHERE id IN (SELECT tenant_id FROM changed_new UNION SELECT tenant_id FROM changed_old);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER channels_lookup_insert AFTER INSERT ON channels REFERENCING NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();
CREATE TRIGGER channels_lookup_update AFTER UPDATE ON channels REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();
CREATE TRIGGER channels_lookup_delete AFTER DELETE ON channels REFERENCING OLD TABLE AS changed_old
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();

CREATE TRIGGER templates_lookup_insert AFTER INSERT ON notification_templates REFERENCING NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();
CREATE TRIGGER templates_lookup_update AFTER UPDATE ON notification_templates REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();
CREATE TRIGGER templates_lookup_delete AFTER DELETE ON notification_templates REFERENCING OLD TABLE AS changed_old
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();

CREATE TRIGGER auth_settings_lookup_insert AFTER INSERT ON tenant_auth_settings REFERENCING NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();
CREATE TRIGGER auth_settings_lookup_update AFTER UPDATE ON tenant_auth_settings REFERENCING OLD TABLE AS changed_old NEW TABLE AS changed_new
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();
CREATE TRIGGER auth_settings_lookup_delete AFTER DELETE ON tenant_auth_settings REFERENCING OLD TABLE AS changed_old
  FOR EACH STATEMENT EXECUTE FUNCTION herald_bump_lookup_version();

-- The tenant's own fields that go into the send context (Store.sendContextQuery).
CREATE FUNCTION herald_bump_own_lookup_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.lookup_version := OLD.lookup_version + 1;
  RETURN NEW;
END $$;

CREATE TRIGGER tenants_lookup_update BEFORE UPDATE ON tenants FOR EACH ROW
  WHEN (NEW.lookup_version = OLD.lookup_version
        AND (OLD.name, OLD.logo_uri, OLD.brand) IS DISTINCT FROM (NEW.name, NEW.logo_uri, NEW.brand))
  EXECUTE FUNCTION herald_bump_own_lookup_version();
