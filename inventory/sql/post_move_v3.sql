CREATE OR REPLACE FUNCTION inventory_post_move(
    p_item bigint,
    p_quantity numeric,
    p_reason varchar,
    p_from bigint,
    p_to bigint,
    p_reference varchar,
    p_source_type integer,
    p_source_id bigint,
    p_reverses bigint,
    p_created_by integer,
    p_created_at timestamptz,
    p_from_reservation boolean,
    p_check_active boolean
) RETURNS TABLE (outcome text, outcome_field text, move_id bigint, outcome_amount numeric, outcome_code text)
LANGUAGE plpgsql AS $$
DECLARE
    v_created bigint;
    v_level record;
    v_from_id bigint;
    v_from_on_hand numeric;
    v_from_reserved numeric;
    v_from_active boolean;
    v_from_code text;
    v_to_id bigint;
    v_to_on_hand numeric;
    v_to_active boolean;
    v_to_code text;
    v_item_active boolean;
    v_decimals smallint;
    v_tracking varchar;
    v_move bigint;
BEGIN
    -- The item first, FOR KEY SHARE: a change of its stock unit (FOR UPDATE, inventory.services.master_data) waits
    -- until this move commits and then sees it; a move that waited for such a change counts in the new unit, so the
    -- quantity must still be countable in it. KEY SHARE does not wait for other movers or for plain item edits.
    -- The unit is read by a subquery, not a join: after waiting for a change, the row is re-checked in its new
    -- version, which a join would still pair with the old unit's row (and drop).
    -- Likewise its tracking: the caller applies lots (inventory.services.lots) exactly when it set
    -- inventory.lots_for_item to this item for its transaction; a move that waited for a change of the tracking
    -- and would now post without lots, or with them, is refused.
    SELECT i.is_active, (SELECT u.decimals FROM inventory_unitofmeasure u WHERE u.id = i.uom_id), i.tracking
    INTO v_item_active, v_decimals, v_tracking
    FROM inventory_item i
    WHERE i.id = p_item
    FOR KEY SHARE;
    IF v_item_active IS NULL THEN
        outcome := 'unknown_item'; outcome_field := 'item';
        RETURN NEXT;
        RETURN;
    ELSIF p_check_active AND NOT v_item_active THEN
        outcome := 'inactive_item'; outcome_field := 'item';
        RETURN NEXT;
        RETURN;
    ELSIF p_quantity <> round(p_quantity, v_decimals) THEN
        outcome := 'unit_precision'; outcome_field := 'quantity'; outcome_amount := v_decimals;
        RETURN NEXT;
        RETURN;
    ELSIF (v_tracking <> 'none') <> (coalesce(current_setting('inventory.lots_for_item', true), '') = p_item::text) THEN
        outcome := 'tracking_changed'; outcome_field := 'lots'; outcome_code := v_tracking;
        RETURN NEXT;
        RETURN;
    END IF;

    IF p_to IS NOT NULL
       AND NOT EXISTS (SELECT FROM inventory_stocklevel WHERE item_id = p_item AND location_id = p_to) THEN
        INSERT INTO inventory_stocklevel (item_id, location_id, on_hand, reserved)
        SELECT p_item, p_to, 0, 0
        WHERE EXISTS (SELECT FROM inventory_location WHERE id = p_to)
        ON CONFLICT DO NOTHING
        RETURNING id INTO v_created;
    END IF;

    -- One statement locks every level row of the move, in primary-key order, with its location's flags.
    FOR v_level IN
        SELECT l.id, l.location_id, l.on_hand, l.reserved,
               loc.is_active AS location_active, loc.code AS location_code
        FROM inventory_stocklevel l
        JOIN inventory_location loc ON loc.id = l.location_id
        WHERE l.item_id = p_item AND l.location_id IN (p_from, p_to)
        ORDER BY l.id
        FOR UPDATE OF l
    LOOP
        IF v_level.location_id = p_from THEN
            v_from_id := v_level.id; v_from_on_hand := v_level.on_hand; v_from_reserved := v_level.reserved;
            v_from_active := v_level.location_active; v_from_code := v_level.location_code;
        ELSE
            v_to_id := v_level.id; v_to_on_hand := v_level.on_hand; v_to_active := v_level.location_active; v_to_code := v_level.location_code;
        END IF;
    END LOOP;

    IF p_from IS NOT NULL THEN
        IF v_from_id IS NULL THEN
            SELECT is_active, code INTO v_from_active, v_from_code FROM inventory_location WHERE id = p_from;
        END IF;
        IF v_from_active IS NULL THEN
            outcome := 'unknown_location'; outcome_field := 'from_location';
        ELSIF NOT v_from_active THEN
            outcome := 'inactive_location'; outcome_field := 'from_location'; outcome_code := v_from_code;
        ELSIF v_from_id IS NULL THEN
            outcome := 'insufficient'; outcome_field := 'quantity'; outcome_amount := 0;
        ELSIF p_from_reservation AND v_from_reserved < p_quantity THEN
            outcome := 'reserved_short'; outcome_field := 'quantity'; outcome_amount := v_from_reserved;
        ELSIF NOT p_from_reservation AND v_from_on_hand - v_from_reserved < p_quantity THEN
            outcome := 'insufficient'; outcome_field := 'quantity';
            outcome_amount := v_from_on_hand - v_from_reserved;
        END IF;
    END IF;

    IF outcome IS NULL AND p_to IS NOT NULL THEN
        IF v_to_id IS NULL THEN  -- the location does not exist (a level row was created above otherwise)
            PERFORM FROM inventory_location WHERE id = p_to;
            IF FOUND THEN
                RAISE EXCEPTION 'stock level of item % at location % disappeared while posting a move', p_item, p_to;
            END IF;
            outcome := 'unknown_location'; outcome_field := 'to_location';
        ELSIF NOT v_to_active THEN
            outcome := 'inactive_location'; outcome_field := 'to_location'; outcome_code := v_to_code;
        ELSIF v_to_on_hand + p_quantity > 99999999999999.9999 THEN
            outcome := 'level_too_large'; outcome_field := 'quantity'; outcome_amount := v_to_on_hand;
            outcome_code := v_to_code;
        END IF;
    END IF;

    IF outcome IS NOT NULL THEN
        IF v_created IS NOT NULL THEN
            DELETE FROM inventory_stocklevel WHERE id = v_created;
        END IF;
        RETURN NEXT;
        RETURN;
    END IF;

    INSERT INTO inventory_stockmove (
        item_id, quantity, from_location_id, to_location_id, reason, reference,
        source_type_id, source_id, reverses_id, created_by_id, created_at
    ) VALUES (
        p_item, p_quantity, p_from, p_to, p_reason, p_reference,
        p_source_type, p_source_id, p_reverses, p_created_by, p_created_at
    ) RETURNING id INTO v_move;
    IF p_from IS NOT NULL THEN
        UPDATE inventory_stocklevel
        SET on_hand = on_hand - p_quantity,
            reserved = CASE WHEN p_from_reservation THEN reserved - p_quantity ELSE reserved END
        WHERE id = v_from_id;
    END IF;
    IF p_to IS NOT NULL THEN
        UPDATE inventory_stocklevel SET on_hand = on_hand + p_quantity WHERE id = v_to_id;
    END IF;
    outcome := 'ok'; move_id := v_move;
    RETURN NEXT;
END
$$;
