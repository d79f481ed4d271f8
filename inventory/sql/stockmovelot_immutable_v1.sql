CREATE TRIGGER inventory_stockmovelot_immutable
    BEFORE UPDATE OR DELETE ON inventory_stockmovelot
    FOR EACH ROW EXECUTE FUNCTION inventory_stockmove_immutable();
CREATE TRIGGER inventory_stockmovelot_no_truncate
    BEFORE TRUNCATE ON inventory_stockmovelot
    FOR EACH STATEMENT EXECUTE FUNCTION inventory_stockmove_immutable();
