//! `http`: a request from the machine running witness (reqwest, TLS verified), with an
//! expected status, body regexes (through the generic expectations) and JSON-pointer
//! equality.

use std::time::Instant;

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::{Certificate, Method};

use super::{StepCtx, StepError};
use crate::error::{HttpError, HttpErrorKind};
use crate::interp::Quote;
use crate::report::{Observation, Outcome};
use crate::scenario::HttpStep;

pub(crate) fn run(h: &HttpStep, cx: &StepCtx) -> Result<Observation, StepError> {
    let url = cx.vars.interpolate(&h.url, Quote::Raw)?;
    let command = format!("{} {url}", h.method);
    let fail = |kind: HttpErrorKind| HttpError::new(command.clone(), kind);
    let client = client(h, cx, &fail)?;
    let req = request(h, cx, &client, &url)?;
    let start = Instant::now();
    let resp = req.send().map_err(|e| fail(HttpErrorKind::Send(e)))?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().map_err(|e| fail(HttpErrorKind::Body(e)))?;
    // The same head-and-tail bound as a command's output.
    let mut body = crate::transport::Bounded::new(cx.output_limit);
    body.push(&bytes);
    let mut obs = Observation {
        command: command.clone(),
        stdout: body.text(),
        stdout_dropped: body.dropped(),
        exit_applies: false,
        elapsed: start.elapsed(),
        manual: Some(manual(h, &url)),
        ..Observation::default()
    };
    obs.checks.push(Outcome {
        ok: status == h.status,
        expected: format!("HTTP status {}", h.status),
        seen: Some(format!("HTTP status {status}")),
        matched_lines: vec![format!("HTTP {status}")],
        platform: Vec::new(),
    });
    if !h.json.is_empty() {
        json_checks(h, &bytes, &mut obs);
    }
    Ok(obs)
}

/// A client with the step's timeout and, with `ca_file`, one more root certificate.
fn client(
    h: &HttpStep,
    cx: &StepCtx,
    fail: &dyn Fn(HttpErrorKind) -> HttpError,
) -> Result<Client, StepError> {
    let mut builder = Client::builder()
        .timeout(cx.timeout)
        .connect_timeout(cx.timeout.min(std::time::Duration::from_secs(10)));
    if let Some(ca) = &h.ca_file {
        let pem = std::fs::read(ca).map_err(|source| {
            fail(HttpErrorKind::CaFileRead {
                path: ca.clone(),
                source,
            })
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|source| {
            fail(HttpErrorKind::CaFileParse {
                path: ca.clone(),
                source,
            })
        })?;
        builder = builder.add_root_certificate(cert);
    }
    Ok(builder
        .build()
        .map_err(|e| fail(HttpErrorKind::Client(e)))?)
}

/// The request: method, interpolated headers and body, the bearer token when asked.
fn request(
    h: &HttpStep,
    cx: &StepCtx,
    client: &Client,
    url: &str,
) -> Result<RequestBuilder, StepError> {
    let method =
        Method::from_bytes(h.method.as_bytes()).expect("the loader accepts only valid methods");
    let mut req = client.request(method, url);
    for (k, v) in &h.headers {
        req = req.header(k, cx.vars.interpolate(v, Quote::Raw)?);
    }
    if let Some(name) = &h.bearer_secret {
        req = req.bearer_auth(cx.secret("bearer_secret", name)?);
    }
    if let Some(body) = &h.body {
        req = req.body(cx.vars.interpolate(body, Quote::Raw)?);
    }
    Ok(req)
}

/// Each `json` pointer's value in the body against the expected one.
fn json_checks(h: &HttpStep, bytes: &[u8], obs: &mut Observation) {
    let parsed: Result<serde_json::Value, _> = serde_json::from_slice(bytes);
    for (ptr, want) in &h.json {
        let (ok, seen) = match &parsed {
            Ok(doc) => match doc.pointer(ptr) {
                Some(v) => (v == want, v.to_string()),
                None => (false, "(absent)".to_string()),
            },
            Err(e) => (false, format!("body is not JSON: {e}")),
        };
        obs.checks.push(Outcome {
            ok,
            expected: format!("JSON {ptr} = {want}"),
            seen: Some(format!("JSON {ptr} = {seen}")),
            matched_lines: vec![format!("{ptr} = {seen}")],
            platform: Vec::new(),
        });
    }
}

fn manual(h: &HttpStep, url: &str) -> String {
    let mut s = format!("curl -sS -X {}", h.method);
    for (k, v) in &h.headers {
        s.push_str(&format!(" -H '{k}: {v}'"));
    }
    if h.bearer_secret.is_some() {
        s.push_str(" -H \"Authorization: Bearer $TOKEN\"");
    }
    s.push_str(&format!(" '{url}'"));
    s
}
