-- The distributor's source tables that the demo creates and seeds (`helio seed`, `helio demo`,
-- `helio db migrate --demo`). Helio KB only reads these tables: in production they are the
-- distributor's own, and the pipeline's migrations (../0*.sql) never create or alter them.

CREATE TABLE IF NOT EXISTS products (
    id           BIGSERIAL PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    manufacturer TEXT,
    category     TEXT NOT NULL,               -- module | inverter | ...
    description  TEXT,
    specs        JSONB NOT NULL DEFAULT '{}'::jsonb,
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    stock        INTEGER NOT NULL DEFAULT 0,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS prices (
    id           BIGSERIAL PRIMARY KEY,
    product_id   BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    distributor  TEXT NOT NULL,
    tier         TEXT NOT NULL CHECK (tier IN ('B1', 'B3')),
    price        NUMERIC(14, 2) NOT NULL,
    currency     TEXT NOT NULL DEFAULT 'BRL',
    valid_from   DATE NOT NULL,
    valid_to     DATE,
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (product_id, distributor, tier, valid_from)
);

CREATE TABLE IF NOT EXISTS business_rules (
    id           BIGSERIAL PRIMARY KEY,
    slug         TEXT UNIQUE,
    title        TEXT NOT NULL,
    body         TEXT,
    kind         TEXT NOT NULL,               -- pricing | warranty | logistics | regulatory | ...
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per message, as in the assistant's memory design.
CREATE TABLE IF NOT EXISTS conversation_history (
    id             BIGSERIAL PRIMARY KEY,
    correlation_id TEXT NOT NULL,             -- one conversation
    owner_id       TEXT NOT NULL,             -- the customer (tenant) who owns it
    role           TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content        TEXT,
    metadata       JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS conversation_history_conv_idx
    ON conversation_history (owner_id, correlation_id, created_at);
