//! Log hygiene: the real binary at debug level, a full flow over HTTP, and a grep of every log
//! line for the password, the tokens, personnummer, names and note text.

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use serde_json::json;

use crate::casework::{CHILD_NAME, CHILD_PNR, HEAD_NAME, HEAD_PNR};

#[test]
fn no_secret_or_personal_data_reaches_the_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let admin_pw = "canary-admin-password-7731";
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvar"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KVAR_DATA_DIR", dir.path())
        .env("KVAR_BIND", format!("127.0.0.1:{port}"))
        .env("KVAR_BOOTSTRAP_ADMIN_PASSWORD", admin_pw)
        .env("RUST_LOG", "debug")
        .env("LOG_FORMAT", "json")
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
    assert!(
        stdout
            .next()
            .expect("line")
            .expect("utf8")
            .starts_with("kvar listening")
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let post = |path: &str, token: Option<&str>, body: serde_json::Value| -> serde_json::Value {
        let mut r = agent
            .post(format!("{base}{path}"))
            .header("content-type", "application/json");
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        let mut res = r.send(body.to_string()).expect("http");
        serde_json::from_str(&res.body_mut().read_to_string().unwrap_or_default())
            .unwrap_or_default()
    };
    let login = post(
        "/auth/login",
        None,
        json!({"username": "admin", "password": admin_pw}),
    );
    let admin = login["access_token"].as_str().expect("token").to_owned();
    let refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    post(
        "/auth/login",
        None,
        json!({"username": "admin", "password": "canary-wrong-password-5512"}),
    );
    let org = post(
        "/organizations",
        Some(&admin),
        json!({"kind": "municipality", "name": "K", "municipality_code": "0180"}),
    )["id"]
        .as_str()
        .expect("org")
        .to_owned();
    let unit = post(
        &format!("/organizations/{org}/units"),
        Some(&admin),
        json!({"name": "U"}),
    )["id"]
        .as_str()
        .expect("unit")
        .to_owned();
    let worker_pw = "canary-worker-password-9921";
    post(
        "/users",
        Some(&admin),
        json!({"username": "worker", "password": worker_pw, "display_name": "W", "role": "supervisor", "organization_id": org, "unit_id": unit}),
    );
    let w = post(
        "/auth/login",
        None,
        json!({"username": "worker", "password": worker_pw}),
    )["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let h = post(
        "/households",
        Some(&w),
        json!({
        "address": {"street": "Canarygatan 3", "postal_code": "11122", "city": "Stockholm", "municipality_code": "0180"},
        "members": [{"personnummer": HEAD_PNR, "name": HEAD_NAME, "relation": "self"},
                    {"personnummer": CHILD_PNR, "name": CHILD_NAME, "relation": "child"}]}),
    );
    let case = post("/cases", Some(&w), json!({"household_id": h["id"]}));
    let cid = case["id"].as_str().expect("case").to_owned();
    let note = "canary note text about debts 4471";
    post(
        &format!("/cases/{cid}/notes"),
        Some(&w),
        json!({"body": note}),
    );
    post(
        "/persons/search",
        Some(&w),
        json!({"personnummer": "8112289874"}),
    );
    post(
        "/households",
        Some(&w),
        json!({"address": {}, "members": [{"personnummer": "19811228-9875", "name": "Canary Invalid"}]}),
    );
    let _ = agent.get(format!("{base}/me?access_token={admin}")).call();
    post("/auth/refresh", None, json!({"refresh_token": refresh}));
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .expect("read log");
    let _ = child.wait();
    assert!(
        log.contains("request finished"),
        "the log has request lines:\n{log}"
    );
    assert!(
        log.lines()
            .filter(|l| l.contains("request finished"))
            .all(|l| l.contains("request_id")),
        "every request line has its id"
    );
    let jwt_body = |t: &str| t.split('.').nth(1).unwrap_or("").to_owned();
    let canaries = [
        admin_pw.to_owned(),
        "canary-wrong-password-5512".into(),
        worker_pw.into(),
        refresh.clone(),
        jwt_body(&admin),
        jwt_body(&w),
        // Whole numbers: a 4-digit fragment matches a UUID or a hash in the log by chance.
        "8112289874".into(),
        "811228-9874".into(),
        "8112289875".into(),
        "811228-9875".into(),
        "1501022386".into(),
        "150102-2386".into(),
        HEAD_NAME.into(),
        CHILD_NAME.into(),
        "Testsson".into(),
        "Canary Invalid".into(),
        "Canarygatan".into(),
        note.into(),
        "debts 4471".into(),
    ];
    for canary in &canaries {
        assert!(
            !log.contains(canary.as_str()),
            "{canary} appears in the log"
        );
    }
}
