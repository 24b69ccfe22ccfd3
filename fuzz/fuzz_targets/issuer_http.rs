//! The issuer's whole request path, in process: each input is an HTTP/1.1 request (the text
//! form of `rig_fuzz::HttpInput`) parsed by hyper and answered by `Issuer::answer`, exactly as
//! on a socket: every issuer's discovery document, JWKS and `/mint` body (Dynatrace at `/`,
//! GitHub Actions, GitLab CI and EKS at their prefixes), the clock and the fault controls
//! (`/_issuer/clock`, `/_issuer/faults`, `DELETE /_issuer/keys/{kid}`), and the Dynatrace side's
//! JSON and form bodies: `POST /sso/oauth2/token` (client credentials), IAM policies and
//! bindings (`/iam/v1/repo/...`, policies in Dynatrace's language), Settings 2.0 objects and
//! schemas, the connector's token request, `/_issuer/decisions`.
//!
//! `POST /_issuer/keys` and the `foreign-key` fault are left out: they generate an RSA key (the
//! fault once per process), and RSA generation under the fuzzer's instrumentation takes long
//! enough to starve every other input of the run's time; `mint` mints foreign-key tokens with
//! P-256 keys instead. Time is paused (a `slow` fault costs nothing), the
//! issuer's clock is frozen at `rig_fuzz::SEED_INSTANT` and reset before every input, and keys
//! live in memory only. Seeds: the requests of the issuer's HTTP, control and Dynatrace tests
//! and of docs/dynatrace.md's walk-through, with access tokens minted at the seed instant.
//!
//! Checked beyond "no panic": no answer is a 500.
#![no_main]

use std::sync::OnceLock;

use issuer::Issuer;
use libfuzzer_sys::fuzz_target;
use rig_core::Clock;
use rig_fuzz::HttpInput;

struct World {
    runtime: tokio::runtime::Runtime,
    clock: Clock,
    issuer: Issuer,
}

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| {
        let runtime = rig_fuzz::runtime();
        let clock = Clock::frozen_at(rig_fuzz::seed_instant());
        let issuer = runtime.block_on(rig_fuzz::start_issuer(&clock));
        rig_fuzz::pause(&runtime);
        World {
            runtime,
            clock,
            issuer,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = HttpInput::parse(data) else {
        return;
    };
    if input.method == "POST" && input.target.starts_with(issuer::KEYS_PATH)
        || input.body.windows(11).any(|w| w == b"foreign-key")
    {
        return;
    }
    let world = world();
    world.clock.freeze(rig_fuzz::seed_instant());
    let wire = input.wire();
    let (status, response) = world.runtime.block_on(rig_fuzz::exchange(&wire, |request| {
        world.issuer.answer(request)
    }));
    rig_fuzz::assert_no_server_error(status, &wire, &response);
});
