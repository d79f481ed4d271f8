CREATE FUNCTION inventory_stockmove_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'stock moves are immutable: % refused; post a reversing move instead', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER inventory_stockmove_immutable
    BEFORE UPDATE OR DELETE ON inventory_stockmove
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_immutable();
CREATE TRIGGER inventory_stockmove_no_truncate
    BEFORE TRUNCATE ON inventory_stockmove
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_stockmove_immutable();
