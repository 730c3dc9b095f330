#!/bin/bash
# Retention run over ~100,000 subjects: seed, close every case (SQL, bench only), run.
set -e
K=${KVAR_BIN:-target/release/kvar}
N=${1:-30000}
D=${RETBENCH_DIR:-/tmp/retbench}; rm -rf $D; mkdir -p $D
export KVAR_DATA_DIR=$D DATABASE_URL=sqlite://$D/kvar.db RUST_LOG=warn
$K migrate >/dev/null
$K demo --households 1 --seed 1 >/dev/null
UNIT=$(sqlite3 $D/kvar.db "select u.id from units u join organizations o on o.id=u.organization_id where o.municipality_code='9999' limit 1")
/usr/bin/time -f "seed %e s" $K seed --households $N --unit $UNIT | tail -1
sqlite3 $D/kvar.db "update cases set status='closed', closed_at=created_at, outcome='retained_paid';"
sqlite3 $D/kvar.db "select 'persons', count(*) from persons union all select 'households', count(*) from households union all select 'cases', count(*) from cases;"
AS_OF=$(date -d '+6 years' +%F)
/usr/bin/time -f "dry run %e s, max RSS %M KB" $K retention run --dry-run --as-of $AS_OF --json
/usr/bin/time -f "run %e s, max RSS %M KB" $K retention run --as-of $AS_OF --json
/usr/bin/time -f "audit verify %e s" $K audit verify
