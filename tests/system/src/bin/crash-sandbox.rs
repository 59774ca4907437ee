//! `crash-sandbox DIR PORT`: the sandbox in its own process, so the crash
//! suite can SIGKILL it mid-payment and start it again on the same port.
//! Prints `READY <port>` once it accepts connections, then serves until
//! killed. PORT 0 picks a free port.
#![forbid(unsafe_code)]

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use scanpay_sandbox::{Sandbox, SandboxConfig, SandboxError};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(port)) = (
        args.first(),
        args.get(1).and_then(|p| p.parse::<u16>().ok()),
    ) else {
        eprintln!("usage: crash-sandbox DIR PORT");
        return ExitCode::from(2);
    };
    let mut config = SandboxConfig::new(dir);
    config.listen = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    // The killed predecessor's socket may linger for a moment: retry the bind.
    let mut tries = 0u32;
    let sandbox = loop {
        match Sandbox::start(config.clone()) {
            Ok(s) => break s,
            Err(SandboxError::Bind { .. }) if tries < 200 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(25));
            }
            Err(e) => {
                eprintln!("crash-sandbox: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    println!("READY {}", sandbox.addr().port());
    sandbox.wait();
    ExitCode::SUCCESS
}
