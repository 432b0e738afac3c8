//! The function's entry point: configuration and one AWS connection made at init, then each
//! event handed to [`crlkit_lambda::Handler`], its log lines (CloudWatch Embedded Metric Format
//! records, the report) written to stdout, one JSON object per line, where Lambda sends them to
//! CloudWatch Logs.

use std::io::Write as _;

use crlkit_lambda::{Config, Handler};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = std::time::Instant::now();
    let config = Config::from_env(|name| std::env::var(name).ok())?;
    let handler: &'static Handler = Box::leak(Box::new(Handler::new(config).await?));
    // Process start to ready: the part of a cold start that is crlkit's.
    log(&[json!({ "message": "crlkit-lambda ready", "init_ms": started.elapsed().as_millis() as u64 })]);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let invocation = handler.handle(&event.payload, &event.context.request_id).await;
        log(&invocation.log);
        invocation.result.map_err(Diagnostic::from)
    }))
    .await
}

/// Each value as one line on stdout (a line Lambda cannot write is lost, never fatal).
fn log(lines: &[Value]) {
    let mut out = std::io::stdout().lock();
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}
