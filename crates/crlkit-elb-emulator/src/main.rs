//! `crlkit-elb-emulator --s3-endpoint URL [--listen ADDR] [--throttle-first N]`: the trust-store
//! emulator as a process, for `cargo xtask test` and for trying crlkit by hand. Prints
//! `listening on http://ADDR` once it accepts connections, then serves until killed.

fn main() {
    let mut args = std::env::args().skip(1);
    let mut config = crlkit_elb_emulator::Config::new(String::new());
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| fail(&format!("{a} needs a value")));
        match a.as_str() {
            "--s3-endpoint" => config.s3_endpoint = value(),
            "--listen" => config.listen = value(),
            "--throttle-first" => {
                config.throttle_first = value().parse().unwrap_or_else(|_| fail("--throttle-first N"))
            }
            "-h" | "--help" => {
                println!("crlkit-elb-emulator --s3-endpoint URL [--listen 127.0.0.1:0] [--throttle-first N]");
                return;
            }
            other => fail(&format!("unknown argument {other}")),
        }
    }
    if config.s3_endpoint.is_empty() {
        fail("--s3-endpoint URL is required");
    }
    let emulator = crlkit_elb_emulator::Emulator::start(config).unwrap_or_else(|e| fail(&e.to_string()));
    println!("listening on {}", emulator.endpoint());
    loop {
        std::thread::park();
    }
}

fn fail(why: &str) -> ! {
    eprintln!("crlkit-elb-emulator: {why}");
    std::process::exit(2);
}
