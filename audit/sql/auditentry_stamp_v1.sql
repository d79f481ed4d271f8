CREATE FUNCTION audit_auditentry_stamp() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_username text;
BEGIN
    IF pg_has_role((SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        RETURN NEW;
    END IF;
    NEW.tenant := TG_TABLE_SCHEMA;
    NEW.created_at := now();
    IF NEW.user_id IS NOT NULL THEN
        EXECUTE format('SELECT username FROM %I.auth_user WHERE id = $1', TG_TABLE_SCHEMA)
            INTO v_username USING NEW.user_id;
        NEW.username := coalesce(v_username, NEW.username);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_auditentry_stamp
    BEFORE INSERT ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_auditentry_stamp();
