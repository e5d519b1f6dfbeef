//! One request through the fake server: record it, find its operation, then answer: a scripted
//! response if one is queued, else the checks the real server makes (credential, body), else the
//! operation's default answer from the spec, adjusted by the account. The model endpoint, not
//! an operation of the fragment, answers in `model.rs`.

use super::response::{MockBody, MockResponse};
use super::{MAX_REQUEST_BODY, RecordedRequest, State, lock, model, schema};
use crate::generated::Operation;
use crate::operation::Credential;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap};
use hyper::{Method, Request, Response};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// The prefix of every path, as in the real base URL.
const ROOT: &str = "/api/v1";

pub(super) async fn handle(
    state: Arc<Mutex<State>>,
    request: Request<Incoming>,
) -> Result<Response<MockBody>, std::io::Error> {
    let (parts, body) = request.into_parts();
    // Read at most the cap, like a real front end: a test that streams a huge body gets a 413,
    // not a server that buffers it all.
    let (body, too_large) = match http_body_util::Limited::new(body, MAX_REQUEST_BODY).collect().await {
        Ok(collected) => (collected.to_bytes(), false),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => (Bytes::new(), true),
        Err(e) => return Err(std::io::Error::other(e)),
    };
    let path = parts.uri.path().to_owned();
    let operation = operation_of(&parts.method, &path);
    let model_call = parts.method == Method::POST && path == model::PATH;
    let mut headers = parts.headers;
    if let Some(auth) = headers.get_mut(AUTHORIZATION) {
        auth.set_sensitive(true);
    }
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let response = {
        let mut s = lock(&state);
        s.requests.push(RecordedRequest {
            method: parts.method,
            path,
            query: query.clone(),
            headers: headers.clone(),
            body: body.clone(),
            operation,
        });
        let scripted =
            operation.filter(|_| !too_large).and_then(|op| s.queued.get_mut(&op).and_then(VecDeque::pop_front));
        match (scripted, operation) {
            _ if too_large => MockResponse::error(413, "Request body too large (the mock reads at most 1 MiB)"),
            _ if model_call => model::answer(&mut s, &headers, &body),
            (Some(scripted), _) => scripted,
            (None, Some(op)) => answer(&mut s, op, &headers, &query, &body),
            (None, None) => MockResponse::error(404, "Not Found"),
        }
    };
    response.into_response().await
}

/// The operation whose method and path template match.
fn operation_of(method: &Method, path: &str) -> Option<Operation> {
    let path = path.strip_prefix(ROOT).unwrap_or(path);
    Operation::ALL.iter().copied().find(|op| op.method() == method.as_str() && template_matches(op.path(), path))
}

fn template_matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}

/// What the real server would answer, for a request not scripted.
fn answer(s: &mut State, op: Operation, headers: &HeaderMap, query: &str, body: &[u8]) -> MockResponse {
    if let Some(message) = s.gone.get(&op) {
        return MockResponse::error(410, message);
    }
    let caller = match check_credential(s, op, headers) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    // An ordinary key on an operation that needs a management key: the live API's 200 with
    // zeros (`GET /credits`), or the documented 403 when the test asks for it.
    if caller == Caller::Ordinary && op.credential() == Credential::ManagementKey && s.ordinary_key_forbidden {
        return MockResponse::error(403, ONLY_MANAGEMENT_KEYS);
    }
    let spec = Arc::clone(&s.spec);
    let Some(definition) = operation_definition(&spec, op) else {
        return MockResponse::error(500, "the mock has no definition for this operation");
    };
    if let Err(message) = check_query(definition, query) {
        return MockResponse::error(400, &message);
    }
    let request = match definition.get("requestBody") {
        None => None,
        Some(rb) => match check_body(&spec, rb, headers, body) {
            Ok(v) => Some(v),
            Err(message) => return MockResponse::error(400, &message),
        },
    };
    let (status, mut value) = schema::default_answer(&spec, definition);
    s.account.apply(op.operation_id(), request.as_ref(), &mut value);
    if let Some(flag) = value.pointer_mut("/data/is_management_key") {
        *flag = Value::Bool(caller == Caller::Management);
    }
    if caller == Caller::Ordinary && op.credential() == Credential::ManagementKey {
        zero_numbers(&mut value);
    }
    MockResponse::json(status, &value)
}

/// Upstream's message when an ordinary key asks for what needs a management key.
const ONLY_MANAGEMENT_KEYS: &str = "Only management keys can perform this operation";

/// Every number in the answer set to 0, as the live API answers an ordinary key's `GET /credits`.
fn zero_numbers(value: &mut Value) {
    match value {
        Value::Number(n) => *n = 0.into(),
        Value::Array(items) => items.iter_mut().for_each(zero_numbers),
        Value::Object(fields) => fields.values_mut().for_each(zero_numbers),
        _ => {}
    }
}

/// Who a request's bearer is, as far as the fake server can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    /// No credential needed, or a token the mock cannot judge (a per-call bearer).
    Anyone,
    /// An ordinary API key: the one set with `require_api_key`, or any key other than the
    /// management key set with `require_management_key` when no API key is set.
    Ordinary,
    /// A management key: the one set with `require_management_key`, or, when none is set, any
    /// key but the API key.
    Management,
}

fn operation_definition(spec: &Value, op: Operation) -> Option<&Value> {
    spec.get("paths")?.get(op.path())?.get(op.method().to_ascii_lowercase())
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").filter(|t| !t.trim().is_empty())
}

/// The credential check of the operation's `security`, with upstream's messages, and who the
/// caller is.
fn check_credential(s: &State, op: Operation, headers: &HeaderMap) -> Result<Caller, MockResponse> {
    let credential = op.credential();
    if credential == Credential::None {
        return Ok(Caller::Anyone);
    }
    let Some(got) = bearer(headers) else { return Err(MockResponse::error(401, "Missing Authentication header")) };
    let unknown = || Err(MockResponse::error(401, "User not found."));
    let is_management = s.management_key.as_deref().is_some_and(|want| got == want);
    match credential {
        Credential::ManagementKey => match (&s.management_key, &s.api_key) {
            _ if is_management => Ok(Caller::Management),
            (_, Some(api_key)) if got == api_key => Ok(Caller::Ordinary),
            // A management key is set, and this is neither it nor the API key.
            (Some(_), Some(_)) => unknown(),
            // A management key is set and no API key: any other key is an ordinary one.
            (Some(_), None) => Ok(Caller::Ordinary),
            // No management key set: any key but the API key counts as one.
            (None, _) => Ok(Caller::Management),
        },
        Credential::ApiKey => match &s.api_key {
            _ if is_management => Ok(Caller::Management),
            Some(want) if got != want => unknown(),
            _ => Ok(Caller::Ordinary),
        },
        // Any token: the mock cannot know which are valid.
        _ => Ok(Caller::Anyone),
    }
}

/// Required query parameters are there, and each present one fits its schema.
fn check_query(definition: &Value, query: &str) -> Result<(), String> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    for p in definition.get("parameters").and_then(Value::as_array).into_iter().flatten() {
        if p.get("in").and_then(Value::as_str) != Some("query") {
            continue;
        }
        let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
        let given = pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        match (given, p.get("required").and_then(Value::as_bool).unwrap_or(false)) {
            (None, true) => return Err(format!("{name}: is required")),
            (Some(v), _) => {
                let schema = p.get("schema").unwrap_or(&Value::Null);
                schema::check_text(schema, v).map_err(|rule| format!("{name}: {rule}"))?;
            }
            (None, false) => {}
        }
    }
    Ok(())
}

/// The body is JSON, an object, and valid against the operation's schema.
fn check_body(spec: &Value, request_body: &Value, headers: &HeaderMap, body: &[u8]) -> Result<Value, String> {
    let is_json =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let parsed: Option<Value> = if is_json { serde_json::from_slice(body).ok() } else { None };
    let Some(value) = parsed.filter(Value::is_object) else {
        return Err("Request body must be a JSON object (Content-Type: application/json)".into());
    };
    let schema = request_body.pointer("/content/application~1json/schema").unwrap_or(&Value::Null);
    schema::validate(spec, schema, &value, "")?;
    Ok(value)
}
