//! The issuer's setup file (`issuer serve --config FILE`): `issuers::setup_from_toml` (the
//! `[[issuer]]` entries: names, prefixes, identities, profiles, key directories relative to
//! the file, default claims; and the `[dynatrace]` section: account, environments, groups,
//! OAuth clients, IAM policies in Dynatrace's language, bindings, boundaries and AWS
//! connection settings objects), and `DynatraceSetup::from_toml` on its own. The file is read
//! as if it were in `examples/`, so `keys = "../keys/eks"` finds the development keys. Seeds:
//! `examples/*.toml` and the setup files of the issuer's tests.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = issuer::issuers::setup_from_toml(text, "fuzz.toml", &rig_fuzz::repo("examples"));
    if let Ok(setup) = issuer::DynatraceSetup::from_toml(text, "fuzz.toml") {
        let _ = (
            setup.clients(),
            setup.settings_objects(),
            setup.environments(),
        );
    }
});
