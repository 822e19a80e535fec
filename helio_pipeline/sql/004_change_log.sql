-- Change log (outbox) for sensor-triggered reindex. Triggers record every insert, update
-- and delete on the catalog tables, so deletes are seen too (an updated_at watermark cannot
-- see them). row_key is what the KB keys documents by: the SKU for products and prices,
-- "business_rules:<id>" for rules. The triggers belong to the domains that read those tables
-- (each Domain's change_tracking_sql): `helio db migrate` installs them after these files,
-- once the tables exist.
CREATE TABLE IF NOT EXISTS kb_change_log (
    change_id   BIGSERIAL PRIMARY KEY,
    table_name  TEXT NOT NULL,
    row_key     TEXT,
    operation   TEXT NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS kb_change_log_changed_at_idx ON kb_change_log (changed_at);
