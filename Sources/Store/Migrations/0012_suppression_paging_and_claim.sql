-- The suppression list (0009) as an API lists it and as a claim reads it.

-- Listable like every other table: `seq` breaks ties between rows created in
-- the same millisecond, so cursor paging on (created_at, seq) never skips or
-- repeats one. The page index replaces 0009's, which ended in `id`.
ALTER TABLE notification_suppressions ADD COLUMN seq bigint GENERATED ALWAYS AS IDENTITY;
DROP INDEX notification_suppressions_page;
CREATE INDEX notification_suppressions_page ON notification_suppressions (tenant_id, created_at DESC, seq DESC);

-- A notification's recipients (`to`, `cc` and `bcc` of `{to, cc?, bcc?}`, each
-- a string or a list, or a bare list or string) in the form suppressions are
-- stored in: Store.suppressionKey (trimmed of spaces and tabs; e-mail
-- addresses lower-cased, ASCII only, so PostgreSQL and Swift agree whatever
-- the database's locale). A set-returning SQL function, so a claim that
-- reads it in FROM has it inlined into its plan: no function call per row.
CREATE FUNCTION herald_recipient_keys(recipients jsonb) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT CASE WHEN strpos(x.a, '@') > 0 THEN translate(x.a, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
                ELSE x.a END
    FROM (SELECT btrim(e.value #>> '{}', E' \t') AS a
          FROM unnest(CASE WHEN jsonb_typeof(recipients) = 'object'
                           THEN ARRAY[recipients -> 'to', recipients -> 'cc', recipients -> 'bcc']
                           ELSE ARRAY[recipients] END) AS l(list)
          CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(l.list) WHEN 'array' THEN l.list
                                                  WHEN 'string' THEN jsonb_build_array(l.list)
                                                  ELSE '[]'::jsonb END) AS e(value)
          WHERE jsonb_typeof(e.value) = 'string') x
    $$;
