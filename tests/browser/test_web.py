#!/usr/bin/env python3
"""The web client in headless Chromium (Selenium), against `kvar serve` seeded by `kvar demo`.

Flows (issue 17):
  1. a caseworker signs in, the most urgent case is first in the worklist, registers a
     formulär 3 on a case and sees the (provisional) deadline appear; a half-written note
     survives an expired session;
  2. the caseworker proposes a rent commitment; a supervisor approves it, records its delivery,
     and the deadline shows as met;
  3. a landlord user submits a notice, sees the receipt, and cannot open any case URL;
  4. the case page's other forms: the transitions the API allows, a household member, an
     intervention, the placeholder tenancy completed, protected identity set and cleared;
  5. the supervisor's decisions screen: a closure request and the rent commitment decided there,
     a case assigned to a caseworker of the unit, and a 412 on the assignment offering a reload;
  6. the landlord confirms a payment and reports a withdrawn Kronofogden application;
  7. axe-core (vendored) reports no violations on each screen; a screenshot of each screen is
     saved under target/browser-artifacts/<database>/.

Usage: tests/browser/run.sh [--database sqlite|postgres] (it makes the virtualenv).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
AXE = HERE / "vendor" / "axe-core-4.14.1" / "axe.min.js"
ARTIFACTS = ROOT / "target" / "browser-artifacts"
ADMIN_PASSWORD = "browser-admin-" + uuid.uuid4().hex[:12]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`kvar demo` then `kvar serve` on a fresh database in a temporary directory."""

    def __init__(self, kvar: str, database: str, workdir: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.pg_admin = None
        self.pg_name = None
        env = {k: v for k, v in os.environ.items() if not k.startswith("KVAR_") and k not in ("DATABASE_URL", "RUST_LOG")}
        env.update({
            "KVAR_BIND": f"127.0.0.1:{self.port}",
            "KVAR_DATA_DIR": str(workdir / "data"),
            "KVAR_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "KVAR_AUTH_RATE_PER_MINUTE": "1000000",
            "KVAR_SEARCH_RATE_PER_MINUTE": "1000000",
            "RUST_LOG": "warn",
        })
        if database == "postgres":
            self.pg_admin = os.environ.get("KVAR_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
            self.pg_name = "kvar_browser_" + uuid.uuid4().hex[:12]
            subprocess.run(["psql", self.pg_admin, "-qc", f"CREATE DATABASE {self.pg_name}"], check=True)
            env["DATABASE_URL"] = self.pg_admin.rsplit("/", 1)[0] + "/" + self.pg_name
        demo = subprocess.run([kvar, "demo", "--households", "24", "--seed", "20261129"], env=env,
                              capture_output=True, text=True, timeout=300)
        if demo.returncode != 0:
            raise SystemExit(f"browser: kvar demo failed:\n{demo.stdout}\n{demo.stderr}")
        m = re.search(r"password \(shown once\): (\S+)", demo.stdout)
        if not m:
            raise SystemExit(f"browser: no demo password in:\n{demo.stdout}")
        self.password = m.group(1)
        self.log_path = workdir / "server.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([kvar, "serve"], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"browser: kvar exited at start:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.base + "/health/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise SystemExit("browser: kvar did not become ready in 60 s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if self.pg_name:
            subprocess.run(["psql", self.pg_admin, "-qc", f"DROP DATABASE IF EXISTS {self.pg_name} WITH (FORCE)"], check=False)

    def api(self, method: str, path: str, token: str | None = None, body=None, headers=None):
        req = urllib.request.Request(self.base + "/api/v1" + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        req.add_header("Accept", "application/json")
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None), dict(r.headers)
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, (json.loads(raw) if raw else None), dict(e.headers)

    def token(self, username: str) -> str:
        status, body, _ = self.api("POST", "/auth/login", body={"username": username, "password": self.password})
        assert status == 200, (status, body)
        return body["access_token"]


SWEDEN = ZoneInfo("Europe/Stockholm")


def sweden_today() -> dt.date:
    """The date of the legal clock: Sweden's, whatever this machine's time zone."""
    return dt.datetime.now(SWEDEN).date()


def far_zone() -> str:
    """A time zone whose date differs from Sweden's right now. The browser runs in it, so a client
    that takes "today" from the device instead of the Swedish calendar fails the flows at any
    hour (a delivery dated the day before the letter, or in the future)."""
    now = dt.datetime.now(dt.timezone.utc)
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
        if now.astimezone(ZoneInfo(zone)).date() != now.astimezone(SWEDEN).date():
            return zone
    raise AssertionError("no time zone with another date than Sweden's")


def browser() -> webdriver.Chrome:
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in [
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1366,900", "--lang=sv", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--dns-prefetch-disable",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        # No host but loopback resolves: a request elsewhere fails instead of leaving the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ]:
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Swedish for the browser's own widgets (date inputs show ÅÅÅÅ-MM-DD).
    env = {**os.environ, "LANG": "sv_SE.UTF-8", "LANGUAGE": "sv", "TZ": far_zone()}
    print(f"browser: the browser's time zone is {env['TZ']} (another date than Sweden's)")
    service = Service(executable_path="/usr/bin/chromedriver", env=env)
    return webdriver.Chrome(service=service, options=opts)


class Run:
    def __init__(self, server: Server, driver: webdriver.Chrome):
        self.s = server
        self.d = driver
        self.wait = WebDriverWait(driver, 15)
        self.axe_source = AXE.read_text()
        self.axe_results: list[tuple[str, int, int]] = []
        self.shots: list[str] = []

    # --- helpers -------------------------------------------------------------------------------
    def go(self, fragment: str) -> None:
        self.d.get(f"{self.s.base}/#{fragment}")

    def find(self, css: str):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))

    def visible(self, css: str):
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def text_in(self, css: str, text: str) -> None:
        self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))

    def heading(self, text: str) -> None:
        self.text_in("main h1", text)

    def sign_in(self, username: str) -> None:
        self.find("#signin input[name=username]").send_keys(username)
        self.d.find_element(By.CSS_SELECTOR, "#signin input[name=password]").send_keys(self.s.password)
        self.d.find_element(By.CSS_SELECTOR, "#signin button[type=submit]").click()
        self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "header .who button.secondary")))

    def sign_out(self) -> None:
        self.d.find_element(By.CSS_SELECTOR, "header .who button.secondary").click()
        self.find("#signin")

    def fill(self, form: str, values: dict[str, str]) -> None:
        for name, value in values.items():
            el = self.d.find_element(By.CSS_SELECTOR, f"{form} [name={name}]")
            if el.tag_name == "select":
                Select(el).select_by_value(value)
            elif el.get_attribute("type") == "date":
                # Chromium's date input takes the digits in the locale's order; set it directly.
                self.d.execute_script(
                    "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}))",
                    el, value)
            else:
                el.clear()
                el.send_keys(value)

    def screen(self, name: str) -> None:
        """axe-core on the screen as it is (must find no violation), then a full-page screenshot."""
        time.sleep(0.2)
        if not self.d.execute_script("return typeof window.axe === 'object'"):
            self.d.execute_script(self.axe_source)
        result = self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify("
            "{violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})), passes: r.passes.length})))"
            ".catch(e => done(JSON.stringify({error: String(e)})));")
        r = json.loads(result)
        assert "error" not in r, r
        self.axe_results.append((name, len(r["violations"]), r["passes"]))
        self.screenshot(name)
        assert not r["violations"], f"axe on {name}: {json.dumps(r['violations'], indent=1, ensure_ascii=False)}"

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        height = self.d.execute_script("window.scrollTo(0, 0); return Math.max(document.body.scrollHeight, 900)")
        self.d.set_window_size(1366, min(int(height) + 40, 6000))
        self.d.execute_script("window.scrollTo(0, 0)")
        path = ARTIFACTS / f"{len(self.shots) + 1:02d}-{name}.png"
        self.d.save_screenshot(str(path))
        self.d.set_window_size(1366, 900)
        self.shots.append(path.name)

    # --- flows ---------------------------------------------------------------------------------
    def caseworker(self) -> str:
        d = self.d
        self.seed_deadlines()
        self.go("/")
        self.find("#signin")
        self.screen("sign-in")
        self.sign_in("demo.caseworker1")
        self.heading("Arbetslista")
        rows = d.find_elements(By.CSS_SELECTOR, "table.worklist tbody tr")
        assert rows, "the worklist is empty"
        # The most urgent case is first: its bucket is the most urgent of the list, and no row of
        # the same bucket has an earlier deadline.
        buckets = [r.find_element(By.CSS_SELECTOR, ".urgency").text for r in rows]
        order = ["Försenad", "Kan ha löpt ut", "Förfaller snart"]
        ranked = [order.index(b) if b in order else len(order) for b in buckets]
        assert ranked[0] == min(ranked), f"the first row is not the most urgent: {buckets}"
        first = rows[0]
        assert first.find_elements(By.CSS_SELECTOR, ".days"), "the first row shows no days left"
        print(f"browser: worklist rows={len(rows)}, first: {buckets[0]} / {first.find_element(By.CSS_SELECTOR, '.days').text}")
        self.screen("caseworker-worklist")

        # A case without a termination yet, for formulär 3.
        target = self.pick_case_for_formular3()
        self.go(f"/cases/{target}")
        self.find("#notice-form")
        self.screen("case-page")
        before = len(d.find_elements(By.CSS_SELECTOR, "li.deadline[data-kind=reinstatement_end]"))
        received = (sweden_today() - dt.timedelta(days=2)).isoformat()
        self.fill("#notice-form", {"kind": "social_notice_received", "received_on": received, "amount_to_reinstate": "18400"})
        d.find_element(By.CSS_SELECTOR, "#notice-form button[type=submit]").click()
        self.wait.until(lambda _: len(d.find_elements(By.CSS_SELECTOR, "li.deadline[data-kind=reinstatement_end]")) > before)
        dl = d.find_element(By.CSS_SELECTOR, "li.deadline[data-kind=reinstatement_end]")
        assert "preliminär" in dl.text, dl.text
        assert "formulär 3" in d.find_element(By.CSS_SELECTOR, "ol.timeline").text
        print(f"browser: formulär 3 registered; deadline: {dl.text.splitlines()[:3]}")
        self.screen("case-after-formular3")

        # A field error from problem+json appears at its field.
        self.fill("#notice-form", {"kind": "social_notice_received", "received_on": ""})
        d.execute_script("document.querySelector('#notice-form [name=received_on]').value = ''")
        d.find_element(By.CSS_SELECTOR, "#notice-form button[type=submit]").click()
        err = self.visible("#notice-form [data-field=received_on] .field-error")
        assert "required" in err.text, err.text
        self.screen("case-field-error")

        # A half-written note survives an expired session (the tokens are revoked server-side by
        # signing out elsewhere: the next request is a 401 and the refresh fails).
        note = "Ringde hyresgästen, " + uuid.uuid4().hex[:6]
        d.find_element(By.CSS_SELECTOR, "#note-form textarea").send_keys(note)
        self.expire_session()
        d.find_element(By.CSS_SELECTOR, "#more-intervention summary").click()
        d.find_element(By.CSS_SELECTOR, "#intervention-form button[type=submit]").click()
        self.find("#signin")
        self.text_in("main", "Din session har gått ut")
        self.screen("session-expired")
        self.sign_in("demo.caseworker1")
        area = self.find("#note-form textarea")
        assert area.get_attribute("value") == note, area.get_attribute("value")
        d.find_element(By.CSS_SELECTOR, "#note-form button[type=submit]").click()
        self.text_in("ul.notes", note)
        print("browser: the half-written note survived the expired session and was saved")

        # The tenant's consent to tell the landlord, then a rent commitment for the supervisor.
        d.find_element(By.CSS_SELECTOR, "#more-consent summary").click()
        self.fill("#consent-form", {"scope": "share_with_landlord", "method": "written"})
        d.find_element(By.CSS_SELECTOR, "#consent-form button[type=submit]").click()
        self.text_in("section[aria-labelledby=sec-consents] ul.notes", "Uppgifter till hyresvärden")
        # The caseworker proposes a rent commitment for the supervisor.
        d.find_element(By.CSS_SELECTOR, "#more-rc summary").click()
        self.fill("#rc-draft-form", {"amount": "18400", "months_covered": "2", "reason": "Hyresskuld för oktober och november."})
        d.find_element(By.CSS_SELECTOR, "#rc-draft-form button[type=submit]").click()
        self.find("ul.commitments li[data-status=pending]")

        # Someone else changes the case meanwhile: the status change answers 412 and the page
        # offers to reload the case.
        self.change_elsewhere(target, self.s.token("demo.supervisor1"))
        self.fill("#transition-form", {"reason": "Hushållet har fått stöd och följs upp."})
        d.find_element(By.CSS_SELECTOR, "#transition-form button[type=submit]").click()
        self.reload_offered("case-conflict-412")
        print("browser: a 412 offered to reload the case, and the reload worked")
        self.case_forms(target)
        self.sign_out()
        self.screen("signed-out")
        return target

    def case_forms(self, target: str) -> None:
        """The case page's other forms, each followed by what the user then sees (and the API)."""
        d = self.d
        token = self.s.token("demo.caseworker1")
        # The transitions offered are the API's allowed_transitions, not a copy in the client.
        _, kase, _ = self.s.api("GET", f"/cases/{target}", token)
        offered = [o.get_attribute("value") for o in d.find_elements(By.CSS_SELECTOR, "#transition-form select[name=to] option")]
        assert offered == kase["allowed_transitions"] and offered, (offered, kase["allowed_transitions"])
        # A child joins the household.
        d.find_element(By.CSS_SELECTOR, "#more-member summary").click()
        self.fill("#member-form", {"name": "Nils Nyfall", "personnummer": "20160512-1233", "relation": "child"})
        d.find_element(By.CSS_SELECTOR, "#member-form button[type=submit]").click()
        self.wait.until(lambda _: any("Nils Nyfall" in li.text for li in d.find_elements(By.CSS_SELECTOR, "ul.members li.child")))
        child = next(li for li in d.find_elements(By.CSS_SELECTOR, "ul.members li") if "Nils Nyfall" in li.text)
        assert "Barn" in child.text, child.text
        self.text_in(".case-head dl.facts", "Barn i hushållet")  # children involved, in words
        # An intervention.
        d.find_element(By.CSS_SELECTOR, "#more-intervention summary").click()
        self.fill("#intervention-form", {"kind": "home_visit", "status": "completed", "outcome": "Budget genomgången."})
        d.find_element(By.CSS_SELECTOR, "#intervention-form button[type=submit]").click()
        self.text_in("section[aria-labelledby=sec-interventions] table", "Hembesök")
        _, ivs, _ = self.s.api("GET", f"/cases/{target}/interventions", token)
        assert any(i["kind"] == "home_visit" for i in ivs["items"]), ivs
        # The tenancy intake left incomplete: its start, rooms and size.
        self.visible("#tenancy-incomplete")
        self.screen("case-tenancy-incomplete")
        self.fill("#tenancy-form", {"start_on": "2019-04-01", "rooms": "3", "size_m2": "71"})
        d.find_element(By.CSS_SELECTOR, "#tenancy-form button[type=submit]").click()
        self.wait.until(lambda _: not d.find_elements(By.CSS_SELECTOR, "#tenancy-incomplete"))
        self.text_in("section[aria-labelledby=sec-tenancy]", "71 m²")
        _, kase, _ = self.s.api("GET", f"/cases/{target}", token)
        assert kase["tenancy"]["incomplete"] == [], kase["tenancy"]
        # Protected identity on the child, shown in words, then cleared again.
        d.find_element(By.CSS_SELECTOR, "ul.members li.child button.link").click()
        self.wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, "ul.members li.child .tag.protected"))
        assert "Skyddad identitet" in d.find_element(By.CSS_SELECTOR, "ul.members li.child .tag.protected").text
        self.screen("case-forms-done")
        child_id = next(m["person_id"] for m in kase["members"] if m["name"] == "Nils Nyfall")
        _, person, _ = self.s.api("GET", f"/persons/{child_id}", token)
        assert person["protected_identity"] is True, person
        d.find_element(By.CSS_SELECTOR, "ul.members li.child button.link").click()
        self.wait.until(lambda _: not d.find_elements(By.CSS_SELECTOR, "ul.members li.child .tag.protected"))
        print("browser: member, intervention, tenancy completion and protected identity driven on the case page")

    def change_elsewhere(self, case_id: str, token: str) -> None:
        """Someone else changes the case (its risk level) behind the page's back."""
        _, kase, headers = self.s.api("GET", f"/cases/{case_id}", token)
        etag = {k.lower(): v for k, v in headers.items()}["etag"]
        risk = "critical" if kase["risk_level"] != "critical" else "high"
        status, body, _ = self.s.api("PATCH", f"/cases/{case_id}", token, {"risk_level": risk}, {"If-Match": etag})
        assert status == 200, (status, body)

    def reload_offered(self, shot: str) -> None:
        """The page answered a 412 by offering to reload the case; the reload works."""
        reload = self.visible("#conflict button")
        assert "ändrats av någon annan" in self.d.find_element(By.CSS_SELECTOR, "#conflict").text
        self.screen(shot)
        reload.click()
        self.wait.until(lambda _: not self.d.find_elements(By.CSS_SELECTOR, "#conflict button"))

    def seed_deadlines(self) -> None:
        """`kvar demo` registers no notices: post what came in for three of caseworker1's cases
        (termination served, formulär 3 received) so that the worklist has deadlines, one past,
        one in a few days, one in a fortnight. The fourth case with a tenancy stays without
        notices for the formulär 3 flow."""
        token = self.s.token("demo.caseworker1")
        _, page, _ = self.s.api("GET", "/worklist?limit=100", token)
        today = sweden_today()
        cases = []
        for item in sorted(page["items"], key=lambda i: not i["children_involved"]):
            _, kase, _ = self.s.api("GET", f"/cases/{item['case_id']}", token)
            if kase.get("tenancy_id") and kase["status"] != "closed":
                cases.append(kase["id"])
        assert len(cases) >= 4, f"caseworker1 reaches {len(cases)} open cases with a tenancy"
        for case_id, served_days_ago in zip(cases[1:4], (19, 26, 6)):
            served = (today - dt.timedelta(days=served_days_ago)).isoformat()
            received = (today - dt.timedelta(days=served_days_ago - 1)).isoformat()
            for body in (
                {"kind": "termination_served", "served_on": served, "sent_on": served, "service_method": "personal"},
                {"kind": "social_notice_received", "received_on": received, "sent_on": served, "amount_to_reinstate": 14250},
            ):
                status, problem, _ = self.s.api("POST", f"/cases/{case_id}/notices", token, body)
                assert status == 201, (status, problem)
        self.formular3_case = self.fresh_case(token, cases)
        # A family's case the caseworker asks to close: a closure request for the supervisor.
        self.closure_case = self.fresh_case(token, cases, members=[
            {"personnummer": "19850315-1238", "name": "Stina Stängd", "relation": "self"},
            {"personnummer": "20181212-1216", "name": "Sam Stängd", "relation": "child"}], street="Stängdvägen 5")
        _, _, headers = self.s.api("GET", f"/cases/{self.closure_case}", token)
        etag = {k.lower(): v for k, v in headers.items()}["etag"]
        status, body, _ = self.s.api("POST", f"/cases/{self.closure_case}/transitions", token,
                                     {"to": "closed", "reason": "Skulden är betald.", "outcome": "retained_paid"}, {"If-Match": etag})
        assert status == 202, (status, body)

    def fresh_case(self, token: str, like: list[str], members=None, street="Nyfallsvägen 3") -> str:
        """A new household with a tenancy and a case and no notices yet (the demo gives its
        cases legal tracks), for the formulär 3 flow; landlord and municipality as those of the
        first case in `like` whose address the caseworker sees."""
        for case_id in like:
            _, kase, _ = self.s.api("GET", f"/cases/{case_id}", token)
            _, tenancy, _ = self.s.api("GET", f"/tenancies/{kase['tenancy_id']}", token)
            if tenancy.get("address"):
                break
        landlord = {"id": tenancy["landlord_organization_id"]}
        code = tenancy["address"]["municipality_code"]
        address = {"street": street, "postal_code": "99910", "city": "Kvarby",
                   "municipality_code": code}
        status, h, _ = self.s.api("POST", "/households", token, {
            "address": address,
            "members": members or [{"personnummer": "19121212-1212", "name": "Nora Nyfall", "relation": "self"}]})
        assert status == 201, (status, h)
        # Intake knew the rent but not the start, rooms or size (a placeholder to complete).
        status, t, _ = self.s.api("POST", "/tenancies", token, {
            "household_id": h["id"], "landlord_organization_id": landlord["id"],
            "apartment_number": "1201", "address": address, "monthly_rent": 7900,
            "contract_type": "first_hand"})
        assert status == 201, (status, t)
        status, c, _ = self.s.api("POST", "/cases", token, {"household_id": h["id"], "tenancy_id": t["id"]})
        assert status == 201, (status, c)
        return c["id"]

    def pick_case_for_formular3(self) -> str:
        return self.formular3_case

    def expire_session(self) -> None:
        """End the browser's session on the server, as an administrator does by resetting the
        user's password (to the same one): every access token issued before is refused and every
        refresh token revoked, so the client's next request is a 401 and its refresh fails."""
        admin = self.s.token("demo.admin")
        _, users, _ = self.s.api("GET", "/users?limit=100", admin)
        user = next(u for u in users["items"] if u["username"] == "demo.caseworker1")
        _, _, headers = self.s.api("GET", f"/users/{user['id']}", admin)
        etag = {k.lower(): v for k, v in headers.items()}["etag"]
        status, body, _ = self.s.api("PATCH", f"/users/{user['id']}", admin, {"password": self.s.password}, {"If-Match": etag})
        assert status == 200, (status, body)

    def supervisor(self, case_id: str) -> None:
        d = self.d
        self.sign_in("demo.supervisor1")
        self.heading("Enhetens arbetslista")
        self.screen("supervisor-worklist")
        self.go("/escalations")
        self.heading("Eskalerade")
        self.screen("supervisor-escalations")
        # What waits in the unit: the closure request and the rent commitment, from the API's
        # unit-scoped lists.
        self.go("/decisions")
        self.heading("Att besluta")
        closure = self.find(f"li[data-case='{self.closure_case}'] form.closure-decide")
        self.find(f"li[data-case='{case_id}'] form.rc-decide")
        # By keyboard to the reason: the focus is visible in the screenshot.
        closure.find_element(By.CSS_SELECTOR, "select[name=decision]").send_keys(Keys.TAB)
        self.screen("supervisor-decisions")
        # A missing reason is shown at its field.
        closure.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        err = self.visible(f"li[data-case='{self.closure_case}'] [data-field=reason] .field-error")
        assert err.text, "no error at the reason field"
        self.fill(f"li[data-case='{self.closure_case}'] form.closure-decide",
                  {"decision": "approve", "reason": "Skulden är betald och barnen bor kvar."})
        d.find_element(By.CSS_SELECTOR, f"li[data-case='{self.closure_case}'] form.closure-decide button[type=submit]").click()
        self.text_in("#decided", "Avslutet är godkänt")
        assert not d.find_elements(By.CSS_SELECTOR, f"li[data-case='{self.closure_case}']")
        token = self.s.token("demo.supervisor1")
        _, closed, _ = self.s.api("GET", f"/cases/{self.closure_case}", token)
        assert closed["status"] == "closed" and closed["outcome"] == "retained_paid", closed
        # The rent commitment, approved from the same screen.
        self.fill(f"li[data-case='{case_id}'] form.rc-decide",
                  {"decision": "approve", "reason": "Förbindelsen förhindrar en vräkning av en barnfamilj."})
        d.find_element(By.CSS_SELECTOR, f"li[data-case='{case_id}'] form.rc-decide button[type=submit]").click()
        self.text_in("#decided", "hyresförbindelsen är registrerat")
        assert not d.find_elements(By.CSS_SELECTOR, f"li[data-case='{case_id}']")
        self.screen("supervisor-decided")
        _, rcs, _ = self.s.api("GET", f"/cases/{case_id}/rent-commitments", token)
        assert [rc["status"] for rc in rcs["items"]] == ["approved"], rcs
        print("browser: the supervisor approved a closure request and a rent commitment on the decisions screen")

        # Assign the case to a caseworker of the unit.
        self.go(f"/cases/{case_id}")
        self.find("ul.commitments li[data-status=approved]")
        form = self.find("#assign-form")
        _, me, _ = self.s.api("GET", "/me", token)
        _, members, _ = self.s.api("GET", f"/units/{me['unit_id']}/members?limit=100", token)
        worker = next(m for m in members["items"] if m["role"] == "caseworker")
        self.fill("#assign-form", {"assigned_to": worker["id"]})
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        self.text_in(".case-head dl.facts", worker["display_name"])
        _, kase, _ = self.s.api("GET", f"/cases/{case_id}", token)
        assert kase["assigned_to"] == worker["id"], kase
        self.screen("supervisor-assigned")
        # Someone else changes the case: assigning now answers 412 and offers a reload.
        self.change_elsewhere(case_id, token)
        self.fill("#assign-form", {"assigned_to": ""})
        d.find_element(By.CSS_SELECTOR, "#assign-form button[type=submit]").click()
        self.reload_offered("supervisor-assign-412")
        _, kase, _ = self.s.api("GET", f"/cases/{case_id}", token)
        assert kase["assigned_to"] == worker["id"], "the refused assignment changed the case"
        print(f"browser: assigned to {worker['display_name']}; a 412 on the assignment offered a reload")

        self.find("form.rc-deliver")
        self.screen("supervisor-approved")
        d.find_element(By.CSS_SELECTOR, "form.rc-deliver button[type=submit]").click()
        self.wait.until(lambda _: d.find_elements(By.CSS_SELECTOR, "li.deadline[data-kind=reinstatement_end][data-status=met]"))
        dl = d.find_element(By.CSS_SELECTOR, "li.deadline[data-kind=reinstatement_end][data-status=met]")
        assert "Uppfylld" in dl.text, dl.text
        print(f"browser: delivered; deadline: {dl.text.splitlines()[:2]}")
        self.screen("case-deadline-met")
        self.sign_out()

    def landlord(self, case_id: str) -> None:
        d = self.d
        self.sign_in("demo.landlord")
        self.heading("Skicka underrättelse")
        self.screen("landlord-notice-form")
        self.fill("#landlord-notice", {
            "kind": "termination_served", "tenant_name": "Test Testsson", "tenant_pnr": "19800101-0001",
            "street": "Storgatan 1", "postal_code": "999 99", "city": "Kvarby", "municipality_code": "9999",
            "apartment_number": "1001", "sent_on": sweden_today().isoformat(), "amount_to_reinstate": "12000",
        })
        d.find_element(By.CSS_SELECTOR, "#landlord-notice button[type=submit]").click()
        receipt = self.visible("#receipt")
        assert "Kvittonummer" in receipt.text, receipt.text
        self.screen("landlord-receipt")
        # The tenant paid, and the landlord withdrew its application to Kronofogden: a receipt each.
        landlord = self.s.token("demo.landlord")
        _, receipts, _ = self.s.api("GET", "/landlord/receipts", landlord)
        before_ids = {r["receipt_id"] for r in receipts["items"]}
        tenant = {"tenant_name": "Test Testsson", "tenant_pnr": "19800101-0001", "street": "Storgatan 1",
                  "postal_code": "999 99", "city": "Kvarby", "municipality_code": "9999", "apartment_number": "1001"}
        shown = []
        for kind, extra in (("payment_confirmed", {"amount_paid": "12000"}),
                            ("kfm_withdrawn", {"kfm_case_number": "12-345678-26"})):
            before = receipt.text
            self.fill("#landlord-notice", {"kind": kind, **tenant, **extra})
            d.find_element(By.CSS_SELECTOR, "#landlord-notice button[type=submit]").click()
            self.wait.until(lambda _: before not in d.find_element(By.CSS_SELECTOR, "main").text
                            and d.find_elements(By.CSS_SELECTOR, "#receipt"))
            receipt = d.find_element(By.CSS_SELECTOR, "#receipt")
            shown.append(re.search(r"Kvittonummer (\S+)\.", receipt.text).group(1))
        _, receipts, _ = self.s.api("GET", "/landlord/receipts", landlord)
        new_ids = {r["receipt_id"] for r in receipts["items"]} - before_ids
        assert new_ids == set(shown), (new_ids, shown)
        print(f"browser: landlord confirmed a payment and reported a withdrawn application: receipts {shown}")
        self.go("/landlord/receipts")
        self.heading("Kvitton")
        self.find("main table tbody tr")
        self.text_in("main table", "Underrättelse")
        assert len(d.find_elements(By.CSS_SELECTOR, "main table tbody tr")) >= 3
        self.screen("landlord-receipts")
        self.go("/landlord/commitments")
        self.heading("Hyresförbindelser")
        self.screen("landlord-commitments")
        self.go("/landlord/arrears")
        self.heading("Rapportera hyresskuld")
        self.screen("landlord-arrears-form")
        # No case URL opens: the page says so and shows nothing of the case; the API answers 404.
        self.go(f"/cases/{case_id}")
        self.heading("Sidan finns inte")
        assert not d.find_elements(By.CSS_SELECTOR, "#sec-household, #notice-form")
        status = d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"import('/app/js/api.js').then(m => m.get('/cases/{case_id}')).then(() => done(200), e => done(e.status));")
        assert status in (403, 404), status
        print(f"browser: landlord's case URL: page refused, API {status}")
        self.screen("landlord-case-refused")
        self.sign_out()

    def other_roles(self) -> None:
        """The analyst's, auditor's and administrator's screens open, pass axe, and work."""
        d = self.d
        self.sign_in("demo.analyst")
        self.heading("Statistik")
        self.find("figure.chart svg")
        self.screen("analyst-statistics")
        self.sign_out()
        self.sign_in("demo.auditor")
        self.heading("Granskning")
        d.find_element(By.CSS_SELECTOR, "#sec-verify + button, section[aria-labelledby=sec-verify] button").click()
        self.text_in("section[aria-labelledby=sec-verify]", "Kedjan är obruten")
        self.screen("auditor")
        self.sign_out()
        self.sign_in("demo.admin")
        self.heading("Administration")
        self.text_in("main", "demo.caseworker1")
        self.screen("admin")
        self.sign_out()

    def english(self) -> None:
        d = self.d
        d.find_element(By.CSS_SELECTOR, "button.lang").click()
        self.text_in("main h1", "Sign in")
        self.screen("sign-in-english")
        d.find_element(By.CSS_SELECTOR, "button.lang").click()
        self.text_in("main h1", "Logga in")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--kvar", default=str(ROOT / "target" / "debug" / "kvar"))
    ap.add_argument("--database", default="sqlite", choices=["sqlite", "postgres"])
    args = ap.parse_args()
    started = time.time()
    global ARTIFACTS
    ARTIFACTS = ARTIFACTS / args.database
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="kvar-browser-") as tmp:
        server = Server(args.kvar, args.database, Path(tmp))
        driver = None
        run = None
        try:
            driver = browser()
            run = Run(server, driver)
            case_id = run.caseworker()
            run.supervisor(case_id)
            run.landlord(case_id)
            run.english()
            extra = getattr(run, "other_roles", None)
            if extra:
                extra()
        except Exception:
            if driver is not None:
                ARTIFACTS.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(ARTIFACTS / "failure.png"))
                (ARTIFACTS / "failure-console.json").write_text(json.dumps(driver.get_log("browser"), indent=1))
            (ARTIFACTS / "server.log").write_bytes(server.log_path.read_bytes()) if server.log_path.exists() else None
            raise
        finally:
            if driver is not None:
                driver.quit()
            server.stop()
    print(f"browser: axe-core {AXE.parent.name.split('-')[-1]} on {len(run.axe_results)} screens:")
    for name, violations, passes in run.axe_results:
        print(f"  {name:<28} violations {violations}  passed rules {passes}")
    print(f"browser: {len(run.shots)} screenshots in {ARTIFACTS.relative_to(ROOT)}; {args.database}; {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
