use crate::support::{Backend, TestApp};

#[test]
fn the_committed_document_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .unwrap_or_default();
    let current = kvar::openapi::spec_json();
    assert!(
        committed == current,
        "openapi/openapi.json is out of date: run `cargo run -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_operation_has_an_id_a_policy_row_and_problem_responses() {
    let api = serde_json::to_value(kvar::openapi::spec()).expect("json");
    let mut seen = Vec::new();
    for (path, item) in api["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            let operation = kvar::auth::policy::Operation::from_operation_id(id)
                .unwrap_or_else(|| panic!("{id} ({method} {path}) has no row in the policy table"));
            assert!(kvar::auth::policy::has_row(operation), "{id}");
            seen.push(operation);
        }
    }
    for &op in kvar::auth::policy::Operation::ALL {
        assert!(
            seen.contains(&op),
            "{op:?} is in the policy table but not in the API document"
        );
    }
}

#[test]
fn every_documented_operation_is_served_and_the_route_table_documents_every_route() {
    let app = TestApp::spawn(Backend::Sqlite);
    let ops = kvar::openapi::operations(&kvar::openapi::spec());
    for (method, template) in &ops {
        let path = template
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "00000000-0000-7000-8000-000000000000"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let r = app.req(method, &path).send();
        // Anything but "no such route": 401 for protected operations, 200/4xx for public ones.
        assert!(
            r.status != 404 && r.status != 405,
            "{method} {template} is documented but not served: {}",
            r.status
        );
    }
    // Routes are registered only with `.service(handler)` in utoipa scopes (a `.route(...)` would
    // be served but silently left out of the document).
    let table: String =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes.rs"))
            .expect("routes.rs")
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
    assert!(
        !table.contains(".route("),
        "routes.rs must register handlers with .service()"
    );
    let handlers =
        table.matches(".service(").count() - table.matches("utoipa_actix_web::scope(").count();
    assert_eq!(
        handlers,
        ops.len(),
        "every handler in routes.rs is one documented operation"
    );
}

#[test]
fn the_docs_page_and_its_assets_are_served_offline() {
    let app = TestApp::spawn(Backend::Sqlite);
    let r = app.req("GET", "/docs/").send();
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("swagger-ui"),
        "{}",
        &r.body[..r.body.len().min(300)]
    );
    let js = app.req("GET", "/docs/swagger-ui-bundle.js").send();
    assert_eq!(js.status, 200);
    assert!(
        js.body.len() > 100_000,
        "the Swagger UI bundle is vendored in the binary"
    );
    let doc = app.req("GET", "/openapi.json").send();
    assert_eq!(doc.status, 200);
    assert_eq!(doc.json["info"]["title"], "kvar");
}

/// Every `$ref` of the document names a component it defines (a client generator or a fuzzer
/// stops at the first that does not).
#[test]
fn every_schema_reference_resolves() {
    let api = serde_json::to_value(kvar::openapi::spec()).expect("json");
    let defined = api["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .clone();
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                    out.push(r.to_owned());
                }
                m.values().for_each(|x| refs(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    refs(&api, &mut found);
    assert!(!found.is_empty());
    let missing: Vec<&String> = found
        .iter()
        .filter(|r| {
            r.strip_prefix("#/components/schemas/")
                .is_none_or(|name| !defined.contains_key(name))
        })
        .collect();
    assert!(missing.is_empty(), "unresolved: {missing:?}");
}
