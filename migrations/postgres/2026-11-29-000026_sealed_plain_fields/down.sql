-- Not reversible: the clear columns are gone once the data step ran (restore from a backup).
SELECT 1;
