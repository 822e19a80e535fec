-- Change log (outbox) for sensor-triggered reindex. Triggers record every insert, update
-- and delete on the catalog tables, so deletes are seen too (an updated_at watermark cannot
-- see them). row_key is what the KB keys documents by: the SKU for products and prices,
-- "business_rules:<id>" for rules.
CREATE TABLE IF NOT EXISTS kb_change_log (
    change_id   BIGSERIAL PRIMARY KEY,
    table_name  TEXT NOT NULL,
    row_key     TEXT,
    operation   TEXT NOT NULL CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE')),
    changed_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS kb_change_log_changed_at_idx ON kb_change_log (changed_at);

CREATE OR REPLACE FUNCTION kb_log_products() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO kb_change_log (table_name, row_key, operation) VALUES ('products', OLD.sku, TG_OP);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.sku IS DISTINCT FROM OLD.sku) THEN
        INSERT INTO kb_change_log (table_name, row_key, operation) VALUES ('products', NEW.sku, TG_OP);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION kb_log_prices() RETURNS trigger AS $$
DECLARE
    pid BIGINT := CASE WHEN TG_OP = 'DELETE' THEN OLD.product_id ELSE NEW.product_id END;
BEGIN
    -- NULL when the product itself was deleted (cascade): its own log row covers it
    INSERT INTO kb_change_log (table_name, row_key, operation)
    VALUES ('prices', (SELECT sku FROM products WHERE id = pid), TG_OP);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION kb_log_business_rules() RETURNS trigger AS $$
BEGIN
    INSERT INTO kb_change_log (table_name, row_key, operation)
    VALUES ('business_rules', 'business_rules:' || (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END), TG_OP);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS kb_products_changes ON products;
CREATE TRIGGER kb_products_changes AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION kb_log_products();
DROP TRIGGER IF EXISTS kb_prices_changes ON prices;
CREATE TRIGGER kb_prices_changes AFTER INSERT OR UPDATE OR DELETE ON prices
    FOR EACH ROW EXECUTE FUNCTION kb_log_prices();
DROP TRIGGER IF EXISTS kb_business_rules_changes ON business_rules;
CREATE TRIGGER kb_business_rules_changes AFTER INSERT OR UPDATE OR DELETE ON business_rules
    FOR EACH ROW EXECUTE FUNCTION kb_log_business_rules();
