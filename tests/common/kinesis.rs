//! A Kinesis API emulator (the `ferrokinesis` crate) served in-process on 127.0.0.1, with a
//! thin stand-in for IAM in front of it: the emulator accepts any signature, so two access
//! keys are refused the way AWS refuses them (`AKIDBAD`: unknown key; `AKIDNOREAD`: may not
//! call `GetRecords`). Streams are made and fed through the SDK, as a producer would.
//!
//! Not in `common/mod.rs`: only `tests/kinesis.rs` and `benches/kinesis.rs` include it (by
//! `#[path]`), so the other test binaries do not build the SDK's generics.

use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::StreamStatus;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};

/// A hang guard for waits on the emulator, not a measurement.
const GUARD: Duration = Duration::from_secs(20);

/// The key every test run signs with.
pub const KEY: &str = "AKIDTEST";
/// A key IAM does not know.
pub const BAD_KEY: &str = "AKIDBAD";
/// A key whose policy lacks kinesis:GetRecords.
pub const NO_READ_KEY: &str = "AKIDNOREAD";
/// A key whose every other `GetRecords` is throttled, as a busy stream's would be.
pub const THROTTLED_KEY: &str = "AKIDTHROTTLED";

/// `GetRecords` calls signed with [`THROTTLED_KEY`] so far.
static THROTTLED_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

pub struct Emulator {
    pub url: String,
    pub client: Client,
    rt: tokio::runtime::Runtime,
}

impl Emulator {
    pub fn start() -> Emulator {
        Emulator::start_with(ferrokinesis::store::StoreOptions::default())
    }

    /// With the emulator's own settings (e.g. a short iterator lifetime); the stream delays
    /// are always short.
    pub fn start_with(options: ferrokinesis::store::StoreOptions) -> Emulator {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let url = rt.block_on(async {
            let options = ferrokinesis::store::StoreOptions {
                create_stream_ms: 10,
                update_stream_ms: 10,
                delete_stream_ms: 10,
                ..options
            };
            let (app, _store) = ferrokinesis::create_app(options);
            let app = app.layer(middleware::from_fn(iam));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move {
                let _ = axum::serve(listener, app).await;
            });
            format!("http://{addr}")
        });
        let client = client(&url, KEY);
        Emulator { url, client, rt }
    }

    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Creates a stream and waits until it is active.
    pub fn create_stream(&self, name: &str, shards: i32) {
        self.block_on(async {
            self.client
                .create_stream()
                .stream_name(name)
                .shard_count(shards)
                .send()
                .await
                .unwrap();
        });
        self.wait_active(name);
    }

    pub fn wait_active(&self, name: &str) {
        let deadline = Instant::now() + GUARD;
        loop {
            let status = self.block_on(async {
                self.client
                    .describe_stream_summary()
                    .stream_name(name)
                    .send()
                    .await
                    .unwrap()
                    .stream_description_summary()
                    .map(|s| s.stream_status().clone())
            });
            if status == Some(StreamStatus::Active) {
                return;
            }
            assert!(Instant::now() < deadline, "{name} never became active");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Puts one record; its shard and sequence number.
    pub fn put(&self, stream: &str, key: &str, data: &[u8]) -> (String, String) {
        self.block_on(async {
            let out = self
                .client
                .put_record()
                .stream_name(stream)
                .partition_key(key)
                .data(Blob::new(data))
                .send()
                .await
                .unwrap();
            (out.shard_id().to_owned(), out.sequence_number().to_owned())
        })
    }

    /// Puts many records, 500 a call.
    pub fn put_many(&self, stream: &str, records: &[(String, Vec<u8>)]) {
        self.block_on(async {
            for chunk in records.chunks(500) {
                let entries = chunk
                    .iter()
                    .map(|(k, d)| {
                        aws_sdk_kinesis::types::PutRecordsRequestEntry::builder()
                            .partition_key(k)
                            .data(Blob::new(d.clone()))
                            .build()
                            .unwrap()
                    })
                    .collect();
                let out = self
                    .client
                    .put_records()
                    .stream_name(stream)
                    .set_records(Some(entries))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(out.failed_record_count(), Some(0));
            }
        });
    }

    /// The stream's shard ids, open or closed.
    pub fn shards(&self, stream: &str) -> Vec<(String, bool)> {
        self.block_on(async {
            let out = self
                .client
                .list_shards()
                .stream_name(stream)
                .send()
                .await
                .unwrap();
            out.shards()
                .iter()
                .map(|s| {
                    let closed = s
                        .sequence_number_range()
                        .is_some_and(|r| r.ending_sequence_number().is_some());
                    (s.shard_id().to_owned(), closed)
                })
                .collect()
        })
    }

    /// Splits a shard in the middle of its hash range and waits for the stream.
    pub fn split(&self, stream: &str, shard: &str) {
        self.block_on(async {
            self.client
                .split_shard()
                .stream_name(stream)
                .shard_to_split(shard)
                .new_starting_hash_key((1u128 << 127).to_string())
                .send()
                .await
                .unwrap();
        });
        self.wait_active(stream);
    }

    /// The environment a `twimon kinesis` run against this emulator needs, signing with
    /// `key`; nothing from the developer's AWS setup leaks in.
    pub fn env(&self, cmd: &mut Command, key: &str) {
        clean_aws_env(cmd);
        cmd.env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", "test-secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL_KINESIS", &self.url);
    }
}

/// Removes every AWS and proxy setting of the developer's shell, and any profile files.
pub fn clean_aws_env(cmd: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("AWS_") || k.to_ascii_lowercase().ends_with("_proxy") {
            cmd.env_remove(k);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/aws/config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws/credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
}

/// An SDK client signing with `key`.
pub fn client(url: &str, key: &str) -> Client {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let conf = aws_sdk_kinesis::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(key, "test-secret", None, None, "tests"))
        .http_client(http)
        .build();
    Client::from_conf(conf)
}

/// The stand-in for IAM: refuses two keys the way AWS does, passes everything else.
async fn iam(req: Request<Body>, next: Next) -> Response {
    let key = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.split("Credential=").nth(1))
        .and_then(|c| c.split('/').next())
        .unwrap_or("")
        .to_owned();
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let refuse = |ty: &str, message: &str| {
        (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/x-amz-json-1.1")],
            serde_json::json!({"__type": ty, "message": message}).to_string(),
        )
            .into_response()
    };
    if key == BAD_KEY {
        return refuse(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        );
    }
    if key == NO_READ_KEY && target.ends_with(".GetRecords") {
        return refuse(
            "AccessDeniedException",
            "User: arn:aws:iam::000000000000:user/oncall is not authorized to perform: \
             kinesis:GetRecords",
        );
    }
    if key == THROTTLED_KEY
        && target.ends_with(".GetRecords")
        && THROTTLED_CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2 == 0
    {
        return refuse(
            "ProvisionedThroughputExceededException",
            "Rate exceeded for shard shardId-000000000000 in stream s under account \
             000000000000.",
        );
    }
    next.run(req).await
}

/// A valid CloudEvent (the first bundled sample) with its own id.
pub fn event(id: &str) -> Vec<u8> {
    let text = include_str!("../../assets/samples/events/01-call-requested.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    let mut ev = v[0].clone();
    ev["id"] = serde_json::Value::String(id.to_owned());
    serde_json::to_vec(&ev).unwrap()
}
