-- Billing kept locally (Store+Billing.swift): no payment provider, so the
-- customer a subscription belongs to is Herald's own row. One per tenant.
CREATE TABLE tenant_customers (
    id                    text PRIMARY KEY,
    tenant_id             text NOT NULL UNIQUE REFERENCES tenants (id) ON DELETE CASCADE,
    email                 text NOT NULL,
    payment_method_id     text,
    payment_method_last4  text,
    payment_method_brand  text,
    created_at            timestamptz NOT NULL DEFAULT herald_now(),
    updated_at            timestamptz NOT NULL DEFAULT herald_now()
);

ALTER TABLE tenant_subscriptions
    ADD COLUMN customer_id text REFERENCES tenant_customers (id) ON DELETE SET NULL;
CREATE INDEX tenant_subscriptions_customer ON tenant_subscriptions (customer_id);

-- One open invitation per address and tenant (Store+Members.swift): a second
-- invite while one is pending is a conflict, not a second email.
CREATE UNIQUE INDEX tenant_invitations_pending ON tenant_invitations (tenant_id, lower(email))
    WHERE accepted_at IS NULL AND declined_at IS NULL;
