CREATE FUNCTION audit_auditentry_stamp() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF pg_has_role((SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        RETURN NEW;
    END IF;
    NEW.tenant := TG_TABLE_SCHEMA;
    NEW.created_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_auditentry_stamp
    BEFORE INSERT ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_stamp();
