//! sts-mock's whole request path, in process: each input is an HTTP/1.1 request (the text form
//! of `rig_fuzz::HttpInput`) parsed by hyper and answered by `StsMock::answer`, exactly as on a
//! socket: the Query protocol on any path (form body and query string, `Params` and the model
//! validator), the Account API's REST-JSON `POST /listRegions` (paging by `MaxResults` and
//! `NextToken`), SigV4 for every signed call (admin credentials of any access key, and the
//! sealed session credentials sts-mock issued), every STS and IAM action with its handler
//! (trust policies and IAM policies written through the API, simulation, permissions of a
//! role session), and sts-mock's own `/_sts-mock/` endpoints.
//!
//! The world is the built-in default setup, on a clock frozen at `rig_fuzz::SEED_INSTANT`
//! (reset before every input, whatever the input did to it), with a fixed credential secret,
//! and an in-process issuer (the repository's development keys) serving the identity providers'
//! keys, so the seeds' tokens and session credentials are valid and the fuzzer starts past
//! every check. Seeds: the requests of the STS, IAM and Account tests and of the walk-through.
//!
//! Checked beyond "no panic": no answer is a 500.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;

use issuer::Issuer;
use libfuzzer_sys::fuzz_target;
use rig_core::Clock;
use rig_fuzz::HttpInput;
use sts_mock::config::Setup;
use sts_mock::StsMock;

/// The credential secret of the fuzzed sts-mock and of the one `fuzz/seeds.py` ran.
const SECRET: &str = "rig-fuzz-secret";

struct World {
    runtime: tokio::runtime::Runtime,
    clock: Clock,
    sts: StsMock,
    _issuer: Issuer,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = rig_fuzz::runtime();
        let clock = Clock::frozen_at(rig_fuzz::seed_instant());
        let (sts, issuer) = runtime.block_on(async {
            let issuer = rig_fuzz::start_issuer(&clock).await;
            let mut config = Setup::builtin()
                .server_config("built-in")
                .expect("the built-in setup");
            for (_, base) in &mut config.oidc_endpoints {
                *base = base.replace("http://127.0.0.1:9400", issuer.url());
            }
            let config = config.clock(clock.clone()).secret(SECRET);
            let sts = StsMock::start(config).await.expect("sts-mock starts");
            // Every provider's keys fetched now, on real time and real loopback, and cached
            // for good (the clock is frozen): with time paused, a fetch would time out.
            for served in issuer.issuers() {
                let token = served.mint(&Default::default()).expect("a token").token;
                let decoded = sts_mock::oidc::decode(&token).expect("it decodes");
                sts.key_store()
                    .verify(served.issuer_url(), &token, &decoded)
                    .await
                    .unwrap_or_else(|e| panic!("{}'s keys: {e}", served.name()));
            }
            (sts, issuer)
        });
        rig_fuzz::pause(&runtime);
        World {
            runtime,
            clock,
            sts,
            _issuer: issuer,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = HttpInput::parse(data) else {
        return;
    };
    let world = world();
    world.clock.freeze(rig_fuzz::seed_instant());
    let peer = SocketAddr::from(([127, 0, 0, 1], 40000));
    let wire = input.wire();
    let (status, response) = world.runtime.block_on(rig_fuzz::exchange(&wire, |request| {
        world.sts.answer(request, peer)
    }));
    rig_fuzz::assert_no_server_error(status, &wire, &response);
});
