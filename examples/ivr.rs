//! The sample IVR of the tests, served for a walk-through of `twimon call`
//! (README, "Test an IVR without a phone"): `cargo run --example ivr [ADDR]`, default
//! 127.0.0.1:3000.

#[path = "../tests/common/ivr.rs"]
#[allow(dead_code)] // the tests use more of it than this example
mod ivr;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("sample IVR on http://{}/voice", listener.local_addr()?);
    axum::serve(listener, ivr::router(ivr::Log::default())).await
}
