CREATE FUNCTION inventory_stocklevel_starts_empty() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_has_role((SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        NEW.on_hand := 0;
        NEW.reserved := 0;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER inventory_stocklevel_starts_empty
    BEFORE INSERT ON inventory_stocklevel
    FOR EACH ROW EXECUTE FUNCTION inventory_stocklevel_starts_empty();
