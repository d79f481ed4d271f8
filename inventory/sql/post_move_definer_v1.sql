DO $$ BEGIN
    EXECUTE format('ALTER FUNCTION inventory_post_move(bigint, numeric, varchar, bigint, bigint, varchar, integer, bigint, bigint, integer, timestamptz, boolean, boolean) SECURITY DEFINER SET search_path = %I, pg_temp', current_schema());
END $$;
