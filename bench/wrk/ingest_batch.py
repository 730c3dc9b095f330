import json, os, subprocess, sys, time, urllib.request, random, tempfile, datetime
BIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "target", "release", "kvar")
def luhn(d):
    s = 0
    for i, c in enumerate(d):
        v = int(c) * (2 if i % 2 == 0 else 1)
        s += v - 9 if v > 9 else v
    return (10 - s % 10) % 10
def pnr(i):
    d = datetime.date(1950, 1, 1) + datetime.timedelta(days=i % 20000)
    serial = 100 + (i // 20000) % 900
    ten = d.strftime("%y%m%d") + f"{serial:03d}"
    return d.strftime("%Y") + ten[2:] + str(luhn(ten))
def call(base, method, path, body=None, token=None, headers={}):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token: req.add_header("authorization", "Bearer " + token)
    for k, v in headers.items(): req.add_header(k, v)
    with urllib.request.urlopen(req) as r:
        return r.status, json.loads(r.read() or b"null")
def run(db_url, label, batches=10):
    data = tempfile.mkdtemp()
    env = dict(os.environ, KVAR_DATA_DIR=data, KVAR_BIND="127.0.0.1:18555", KVAR_BOOTSTRAP_ADMIN_PASSWORD="ingest-password-1", RUST_LOG="warn", KVAR_AUTH_RATE_PER_MINUTE="100000")
    if db_url: env["DATABASE_URL"] = db_url
    p = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:18555/api/v1"
    for _ in range(100):
        try:
            urllib.request.urlopen("http://127.0.0.1:18555/health/ready"); break
        except Exception: time.sleep(0.1)
    try:
        _, t = call(base, "POST", "/auth/login", {"username": "admin", "password": "ingest-password-1"})
        admin = t["access_token"]
        _, org = call(base, "POST", "/organizations", {"kind": "municipality", "name": "K", "municipality_code": "0180"}, admin)
        call(base, "POST", f"/organizations/{org['id']}/units", {"name": "U"}, admin)
        _, kfm = call(base, "POST", "/organizations", {"kind": "enforcement_authority", "name": "KFM"}, admin)
        _, cl = call(base, "POST", "/integration-clients", {"organization_id": kfm["id"], "name": "c", "scopes": ["enforcement:submit"]}, admin)
        _, tok = call(base, "POST", "/auth/token", {"grant_type": "client_credentials", "client_id": cl["client_id"], "client_secret": cl["client_secret"]})
        token = tok["access_token"]
        n = 0; t0 = time.time(); ok = 0
        for b in range(batches):
            events = []
            for i in range(500):
                k = b * 500 + i
                events.append({"idempotency_key": f"ev-{k}", "event_type": "kfm_eviction_scheduled", "occurred_at": "2026-11-20T09:00:00Z",
                    "kfm_case_number": f"12-{k}-26", "municipality_code": "0180", "tenant": {"personnummer": pnr(k), "name": "Test Person"},
                    "address": {"street": "Gatan 1", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
                    "eviction_at": "2026-12-20T08:00:00Z"})
            _, r = call(base, "POST", "/enforcement/events:batch", {"events": events}, token)
            ok += sum(1 for it in r["items"] if it["status"] == 202)
            n += 500
        dt = time.time() - t0
        rss = int([l for l in open(f"/proc/{p.pid}/status") if l.startswith("VmRSS")][0].split()[1]) // 1024
        print(f"{label}: {n} events in {dt:.1f}s = {n/dt:.0f} events/s (new person, new case, notice, deadlines, receipt each); accepted {ok}; RSS {rss} MB")
    finally:
        p.terminate(); p.wait()
if __name__ == "__main__":
    run(None, "sqlite")
    name = "kvar_ingest_%d" % os.getpid()
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    try:
        run(f"postgres://postgres@127.0.0.1:5432/{name}", "postgres")
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", name])
