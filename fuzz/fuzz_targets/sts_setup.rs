//! sts-mock's setup file (`sts-mock serve --config FILE`, `sts-mock explain --config FILE`):
//! `config::Setup::from_toml` (TOML, accounts, providers, roles, inline and managed policies,
//! `*_file` references, `--oidc-endpoint` mappings), then `build_model` (every IAM check of
//! the model, the policy grammar included) and `server_config`. `*_file` references resolve
//! to the example policy files by name. Seeds: every setup file of `examples/` and of the
//! setup tests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sts_mock::config::Setup;

fn read(rel: &str) -> Result<String, String> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name.is_empty() || name.starts_with('.') {
        return Err(format!("no such file {rel}"));
    }
    std::fs::read_to_string(rig_fuzz::repo("examples/policies").join(name))
        .map_err(|e| format!("cannot read {rel}: {e}"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(setup) = Setup::from_toml(text, "fuzz.toml", &read) else {
        return;
    };
    let _ = setup.server_config("fuzz.toml");
});
