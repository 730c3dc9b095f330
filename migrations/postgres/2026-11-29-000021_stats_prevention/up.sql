-- Prevention KPIs (issue 15): the day a municipal second-hand contract became first-hand, so the
-- statistics can count conversions at 18 and 24 months in the month they happened. Set by
-- PATCH /tenancies/{id} when the contract type goes from municipal_second_hand to first_hand.
ALTER TABLE tenancies ADD COLUMN converted_on DATE;

-- The facts of the existing cases are recomputed right after this migration (new figures:
-- arrears cycles reinstated and lapsed, conversions, the rent commitments' amounts histogram),
-- by stats::facts::backfill from kvar migrate and start-up.
