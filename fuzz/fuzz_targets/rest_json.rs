//! The REST-JSON bodies of the Account API (`POST /listRegions`): `rest_json::params` flattens
//! a JSON body into the Query form (`RegionOptStatusContains.member.1=ENABLED`), then every
//! REST-JSON operation's input shape is checked with `shape::validate`, as the server does
//! before `ListRegions` runs. (The handler itself, with `MaxResults` and `NextToken` paging, is
//! reached through the whole server in `sts_http`.) Seeds: the Account API bodies of the tests
//! and of the AWS SDK's requests.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sts_mock::shape::{operations, validate};

fuzz_target!(|data: &[u8]| {
    let Ok(params) = sts_mock::rest_json::params(data) else {
        return;
    };
    for operation in operations().iter().filter(|o| o.rest_path.is_some()) {
        let _ = validate(operation, &params);
    }
    let _ = params.list("RegionOptStatusContains", "");
});
