# Seed N cases through the batch API (release kvar on SQLite or PostgreSQL), then measure a
# filtered case list and a case update (PATCH with If-Match, ETag chained per connection) with wrk.
import json, os, subprocess, sys, time, tempfile
sys.path.insert(0, os.path.dirname(__file__))
from ingest_batch import call, pnr, BIN
import urllib.request
N = int(os.environ.get("CASES", "100000"))
def main(db_url, label):
    data = tempfile.mkdtemp()
    env = dict(os.environ, KVAR_DATA_DIR=data, KVAR_BIND="127.0.0.1:18556", KVAR_BOOTSTRAP_ADMIN_PASSWORD="ingest-password-1", RUST_LOG="warn", KVAR_AUTH_RATE_PER_MINUTE="100000")
    if db_url: env["DATABASE_URL"] = db_url
    p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:18556/api/v1"
    for _ in range(100):
        try: urllib.request.urlopen("http://127.0.0.1:18556/health/ready"); break
        except Exception: time.sleep(0.1)
    try:
        _, t = call(base, "POST", "/auth/login", {"username": "admin", "password": "ingest-password-1"}); admin = t["access_token"]
        _, org = call(base, "POST", "/organizations", {"kind": "municipality", "name": "K", "municipality_code": "0180"}, admin)
        _, unit = call(base, "POST", f"/organizations/{org['id']}/units", {"name": "U"}, admin)
        call(base, "POST", "/users", {"username": "sup", "password": "supervisor-password", "display_name": "S", "role": "supervisor", "organization_id": org["id"], "unit_id": unit["id"]}, admin)
        _, kfm = call(base, "POST", "/organizations", {"kind": "enforcement_authority", "name": "KFM"}, admin)
        _, cl = call(base, "POST", "/integration-clients", {"organization_id": kfm["id"], "name": "c", "scopes": ["enforcement:submit"]}, admin)
        _, tok = call(base, "POST", "/auth/token", {"grant_type": "client_credentials", "client_id": cl["client_id"], "client_secret": cl["client_secret"]})
        t0 = time.time()
        for b in range(N // 500):
            evs = [{"idempotency_key": f"ev-{b*500+i}", "event_type": "kfm_application_received", "occurred_at": "2026-11-20T09:00:00Z",
                    "kfm_case_number": f"12-{b*500+i}-26", "municipality_code": "0180", "tenant": {"personnummer": pnr(b*500+i), "name": "Test Person"},
                    "address": {"street": "Gatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"}} for i in range(500)]
            call(base, "POST", "/enforcement/events:batch", {"events": evs}, tok["access_token"])
        print(f"{label}: seeded {N} cases in {time.time()-t0:.0f}s")
        _, s = call(base, "POST", "/auth/login", {"username": "sup", "password": "supervisor-password"}); sup = s["access_token"]
        _, page = call(base, "GET", "/cases?limit=16", None, sup)
        ids = [c["id"] for c in page["items"]]
        lua = "ids = {%s}\ncounter = 0\nsetup = function(thread) counter = counter + 1; thread:set('id', ids[counter]) end\n" % ",".join(f'"{i}"' for i in ids)
        lua += open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "update.lua")).read()
        open("/tmp/kvar_run_update.lua", "w").write(lua)
        for name, args in [("list status=new limit=50", ["-s", os.path.join(os.path.dirname(os.path.abspath(__file__)), "list.lua"), "http://127.0.0.1:18556/api/v1/cases?status=new&limit=50"]),
                           ("update (PATCH If-Match)", ["-s", "/tmp/kvar_run_update.lua", "http://127.0.0.1:18556/"])]:
            os.environ["TOKEN"] = sup
            out = subprocess.run(["wrk", "-t16", "-c16", "-d10s", "--latency", "-H", f"Authorization: Bearer {sup}"] + args, capture_output=True, text=True).stdout
            rps = [l for l in out.splitlines() if "Requests/sec" in l][0].split()[-1]
            p99 = [l for l in out.splitlines() if l.strip().startswith("99%")][0].split()[-1]
            non2xx = [l for l in out.splitlines() if "Non-2xx" in l]
            print(f"{label} {N} cases, {name}: {rps} req/s, p99 {p99} {non2xx}"); print(out[:600]) if os.environ.get("DEBUG") else None
        rss = int([l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1]) // 1024
        print(f"{label}: RSS after load {rss} MB")
    finally:
        p.terminate(); p.wait()
if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    if which == "sqlite":
        main(None, "sqlite")
    else:
        name = "kvar_measure_%d" % os.getpid()
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        try: main(f"postgres://postgres@127.0.0.1:5432/{name}", "postgres")
        finally: subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", name])
