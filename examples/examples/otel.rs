//! sider's spans exported through OpenTelemetry (feature `tracing`): `tracing-opentelemetry`
//! turns each command, pipeline and transaction into a client span in the shape of the
//! database-client conventions (`db.system.name`, `db.operation.name`, `server.address`...),
//! and `opentelemetry-stdout` prints them, so no collector is needed to see them. Swap the
//! exporter for an OTLP one to send them to Jaeger, Tempo or Datadog.
//!
//! `cargo run -p sider-examples --example otel` (with a server at `REDIS_URL`, or
//! `redis://127.0.0.1:6379`).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use sider::prelude::*;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(opentelemetry_stdout::SpanExporter::default())
        .with_resource(
            Resource::builder()
                .with_service_name("sider-otel-example")
                .build(),
        )
        .build();
    tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("sider-example")))
        .init();

    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let client = sider::Client::connect(&url).await?;
    client.set("otel:greeting", "a value no span shows").await?;
    let (count, _) = client
        .pipeline()
        .incr("otel:visits")
        .get::<String>("otel:greeting")
        .execute()
        .await?;
    let ((), _) = client
        .transaction()
        .set("otel:last", count)
        .incr("otel:visits")
        .execute()
        .await?;
    // A failed command: its span has `error.type` = `WRONGTYPE`.
    let _ = client.incr("otel:greeting").await;

    // Spans are exported as they end; shutting down flushes the last of them.
    drop(client);
    provider.shutdown()?;
    Ok(())
}
