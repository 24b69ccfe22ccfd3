//! The issuer's run-time controls as a client sees them: `/_issuer/faults` makes an issuer's
//! discovery document or JWKS answer down, slow, garbage, empty or naming another issuer,
//! per issuer, until healed; `/_issuer/keys` adds, lists and removes keys while it runs, the
//! JWKS, the discovery document and minting following at once, nothing written to a keys
//! directory unless asked. Every refusal is a 400, 404 or 409 naming what to change.

use std::path::Path;
use std::time::{Duration, Instant};

use issuer::{
    IdpFault, IdpFaults, Issuer, IssuerConfig, KeyAlg, KeySet, MintRequest, SigningKey, MAX_KEYS,
};
use serde_json::{json, Value};

const KEYS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");

async fn builtin_issuers() -> Issuer {
    let keys = KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap();
    let config = IssuerConfig::new(keys)
        .builtin_issuers(Path::new(KEYS_DIR))
        .unwrap();
    Issuer::start(config).await.unwrap()
}

/// A raw answer: status, content type, body.
struct Answer {
    status: u16,
    allow: Option<String>,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn call(method: &str, url: &str, body: Option<Value>) -> Answer {
    let client = openidconnect::reqwest::Client::new();
    let mut request = client.request(method.parse().unwrap(), url);
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_string());
    let body = response.text().await.unwrap();
    Answer {
        status,
        allow,
        body,
    }
}

async fn put_faults(issuer: &Issuer, body: Value) -> Answer {
    call(
        "PUT",
        &format!("{}/_issuer/faults", issuer.url()),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn faults_are_shown_and_healthy_by_default() {
    let issuer = builtin_issuers().await;
    let answer = call("GET", &format!("{}/_issuer/faults", issuer.url()), None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.json(),
        json!({"issuer": "dynatrace", "discovery": "ok", "jwks": "ok"})
    );
    let answer = call(
        "GET",
        &format!("{}/_issuer/faults?issuer=github", issuer.url()),
        None,
    )
    .await;
    assert_eq!(answer.json()["issuer"], "github");
}

/// Each fault, on each document, of one issuer only (GitHub's here), until healed.
#[tokio::test]
async fn every_fault_changes_one_issuers_document_until_healed() {
    let issuer = builtin_issuers().await;
    let github = issuer.get("github").unwrap();
    let discovery_url = github.discovery_url();
    let jwks_url = github.jwks_url().to_string();
    let healthy_discovery = call("GET", &discovery_url, None).await.json();
    let healthy_jwks = call("GET", &jwks_url, None).await.json();

    let set = |document: &str, fault: &str| json!({"issuer": "github", document: fault});
    let answer = put_faults(&issuer, set("jwks", "down")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json(),
        json!({"issuer": "github", "discovery": "ok", "jwks": "down"})
    );
    let down = call("GET", &jwks_url, None).await;
    assert_eq!(down.status, 503);
    assert_eq!(down.json()["error"], "temporarily_unavailable");
    // The other document, and the other issuers, are untouched.
    assert_eq!(
        call("GET", &discovery_url, None).await.json(),
        healthy_discovery
    );
    assert_eq!(call("GET", issuer.jwks_url(), None).await.status, 200);

    put_faults(&issuer, set("jwks", "garbage")).await;
    let garbage = call("GET", &jwks_url, None).await;
    assert_eq!(garbage.status, 200);
    assert!(
        serde_json::from_str::<Value>(&garbage.body).is_err(),
        "{}",
        garbage.body
    );

    put_faults(&issuer, set("jwks", "empty")).await;
    assert_eq!(
        call("GET", &jwks_url, None).await.json(),
        json!({"keys": []})
    );

    put_faults(&issuer, set("discovery", "empty")).await;
    assert_eq!(call("GET", &discovery_url, None).await.json(), json!({}));

    put_faults(&issuer, set("discovery", "wrong-issuer")).await;
    let wrong = call("GET", &discovery_url, None).await.json();
    assert_eq!(wrong["issuer"], issuer::WRONG_ISSUER);
    assert_eq!(wrong["jwks_uri"], healthy_discovery["jwks_uri"]);

    put_faults(&issuer, set("discovery", "down")).await;
    assert_eq!(call("GET", &discovery_url, None).await.status, 503);

    let answer = put_faults(
        &issuer,
        json!({"issuer": "github", "discovery": "slow", "jwks": "slow", "delay_ms": 200}),
    )
    .await;
    assert_eq!(answer.json()["delay_ms"], 200);
    let started = Instant::now();
    assert_eq!(call("GET", &jwks_url, None).await.json(), healthy_jwks);
    assert!(started.elapsed() >= Duration::from_millis(200));

    let healed = put_faults(
        &issuer,
        json!({"issuer": "github", "jwks": "ok", "discovery": "ok"}),
    )
    .await;
    assert_eq!(healed.json()["discovery"], "ok");
    assert_eq!(
        call("GET", &discovery_url, None).await.json(),
        healthy_discovery
    );
    assert_eq!(call("GET", &jwks_url, None).await.json(), healthy_jwks);
}

#[tokio::test]
async fn faults_without_an_issuer_are_the_root_issuers() {
    let issuer = builtin_issuers().await;
    put_faults(&issuer, json!({"discovery": "down"})).await;
    assert_eq!(call("GET", &issuer.discovery_url(), None).await.status, 503);
    let github = issuer.get("github").unwrap();
    assert_eq!(call("GET", &github.discovery_url(), None).await.status, 200);
    assert_eq!(
        issuer.get("dynatrace").unwrap().faults().discovery,
        IdpFault::Down
    );
}

#[tokio::test]
async fn bad_fault_requests_are_refused_and_change_nothing() {
    let issuer = builtin_issuers().await;
    put_faults(&issuer, json!({"jwks": "down"})).await;
    for (body, status, words) in [
        (
            json!({"jwks": "sideways"}),
            400,
            "unknown variant `sideways`",
        ),
        (json!({"jwks": "wrong-issuer"}), 400, "a JWKS names none"),
        (json!({"discovery": "slow"}), 400, "slow needs delay_ms"),
        (
            json!({"discovery": "slow", "delay_ms": 30_001}),
            400,
            "delay_ms must be at most 30000",
        ),
        (
            json!({"issuer": "nope", "jwks": "ok"}),
            404,
            "no issuer called `nope`",
        ),
        (
            json!({"jwks": "ok", "colour": "red"}),
            400,
            "unknown field `colour`",
        ),
        (json!(["jwks"]), 400, "must be a JSON object"),
    ] {
        let answer = put_faults(&issuer, body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
        let message = answer.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(words), "{body}: {message}");
    }
    assert_eq!(
        issuer.get("dynatrace").unwrap().faults(),
        IdpFaults {
            jwks: IdpFault::Down,
            ..IdpFaults::ok()
        }
    );
    let answer = call("POST", &format!("{}/_issuer/faults", issuer.url()), None).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.allow.as_deref(), Some("GET, PUT"));
    let answer = call(
        "GET",
        &format!("{}/_issuer/faults?name=x", issuer.url()),
        None,
    )
    .await;
    assert_eq!(answer.status, 400);
}

#[tokio::test]
async fn faults_are_set_from_rust_too() {
    let issuer = builtin_issuers().await;
    let eks = issuer.get("eks").unwrap();
    eks.set_faults(IdpFaults {
        jwks: IdpFault::Empty,
        ..IdpFaults::ok()
    })
    .unwrap();
    assert_eq!(
        call("GET", eks.jwks_url(), None).await.json(),
        json!({"keys": []})
    );
    assert!(eks
        .set_faults(IdpFaults {
            discovery: IdpFault::Slow,
            ..IdpFaults::ok()
        })
        .is_err());
    eks.set_faults(IdpFaults::ok()).unwrap();
    assert_eq!(call("GET", eks.jwks_url(), None).await.status, 200);
}

async fn post_key(issuer: &Issuer, body: Value) -> Answer {
    call(
        "POST",
        &format!("{}/_issuer/keys", issuer.url()),
        Some(body),
    )
    .await
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

/// Keys added, listed and removed while the issuer runs: the JWKS, the discovery document's
/// algorithms and the signing key follow at once, nothing is written to its keys directory.
#[tokio::test]
async fn keys_change_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = issuer::write_new_key(dir.path(), "first", KeyAlg::Rs256).unwrap();
    let keys = KeySet::load_dir(dir.path(), None).unwrap();
    let issuer = Issuer::start(IssuerConfig::new(keys).keys_dir(dir.path()))
        .await
        .unwrap();
    let keys_url = format!("{}/_issuer/keys", issuer.url());
    let listed = call("GET", &keys_url, None).await;
    assert_eq!(
        listed.json(),
        json!({"issuer": "dynatrace", "keys": [{"kid": "first", "alg": "RS256", "signer": true}]})
    );

    let added = post_key(
        &issuer,
        json!({"alg": "ES256", "kid": "second", "signer": false}),
    )
    .await;
    assert_eq!(added.status, 201, "{}", added.body);
    let added = added.json();
    assert_eq!(added["kid"], "second");
    assert_eq!(added["alg"], "ES256");
    assert_eq!(added["public_jwk"]["kty"], "EC");
    assert!(
        added["public_jwk"].get("d").is_none(),
        "a private key was shown"
    );
    assert!(added.get("file").is_none());
    let jwks = call("GET", issuer.jwks_url(), None).await.json();
    assert_eq!(kids(&jwks), ["first", "second"]);
    let discovery = call("GET", &issuer.discovery_url(), None).await.json();
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["RS256", "ES256"])
    );
    // Not the signer: tokens are still signed by the first key.
    let minted = issuer.mint(&MintRequest::new()).unwrap();
    assert_eq!(minted.header["kid"], "first");

    let signer = post_key(&issuer, json!({"alg": "rs256", "signer": true})).await;
    assert_eq!(signer.status, 201, "{}", signer.body);
    let new_kid = signer.json()["kid"].as_str().unwrap().to_string();
    assert!(new_kid.starts_with("rs256-"), "{new_kid}");
    let (status, minted) = {
        let answer = call("POST", &format!("{}/mint", issuer.url()), Some(json!({}))).await;
        (answer.status, answer.json())
    };
    assert_eq!(status, 200);
    assert_eq!(minted["header"]["kid"], new_kid.as_str());
    assert_eq!(minted["header"]["alg"], "RS256");

    // The old signer can go now; the current one cannot.
    let removed = call("DELETE", &format!("{keys_url}/first"), None).await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(kids(&removed.json()), ["second", new_kid.as_str()]);
    assert_eq!(
        kids(&call("GET", issuer.jwks_url(), None).await.json()),
        ["second", new_kid.as_str()]
    );
    let refused = call("DELETE", &format!("{keys_url}/{new_kid}"), None).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.json()["message"]
        .as_str()
        .unwrap()
        .contains("signs this issuer's tokens"));
    assert_eq!(
        call("DELETE", &format!("{keys_url}/first"), None)
            .await
            .status,
        404
    );
    let discovery = call("GET", &issuer.discovery_url(), None).await.json();
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );

    // Nothing reached the keys directory: the file it started with is all there is.
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1);
    assert!(first.exists());
}

#[tokio::test]
async fn a_key_is_written_to_the_keys_directory_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    issuer::write_new_key(dir.path(), "first", KeyAlg::Es256).unwrap();
    let keys = KeySet::load_dir(dir.path(), None).unwrap();
    let issuer = Issuer::start(IssuerConfig::new(keys).keys_dir(dir.path()))
        .await
        .unwrap();
    let answer = post_key(
        &issuer,
        json!({"alg": "ES256", "kid": "kept", "signer": true, "persist": true}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let file = dir.path().join("kept.pem");
    assert_eq!(answer.json()["file"], file.display().to_string());
    // The file is the key the issuer now signs with: a restart on the directory publishes it.
    let reloaded = KeySet::load_dir(dir.path(), Some("kept")).unwrap();
    let minted = issuer.mint(&MintRequest::new()).unwrap();
    assert_eq!(minted.header["kid"], "kept");
    assert_eq!(
        reloaded.signing_key().public_jwk(),
        issuer.minter().signing_key().public_jwk()
    );

    // An issuer whose keys are in memory has no directory to write to.
    let memory = Issuer::start(IssuerConfig::new(
        KeySet::new(
            vec![SigningKey::generate("m", KeyAlg::Es256).unwrap()],
            None,
        )
        .unwrap(),
    ))
    .await
    .unwrap();
    let answer = post_key(&memory, json!({"alg": "ES256", "persist": true})).await;
    assert_eq!(answer.status, 400);
    assert!(
        answer.body.contains("not loaded from a directory"),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn keys_of_another_issuer_are_named_by_issuer() {
    let issuer = builtin_issuers().await;
    let github = issuer.get("github").unwrap();
    let before = kids(&call("GET", github.jwks_url(), None).await.json());
    let answer = post_key(
        &issuer,
        json!({"issuer": "github", "alg": "ES256", "kid": "gh-2", "signer": true}),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let after = kids(&call("GET", github.jwks_url(), None).await.json());
    assert_eq!(after.len(), before.len() + 1);
    assert!(after.contains(&"gh-2".to_string()));
    // The root issuer's keys are not touched.
    assert!(!kids(&call("GET", issuer.jwks_url(), None).await.json()).contains(&"gh-2".into()));
    let listed = call(
        "GET",
        &format!("{}/_issuer/keys?issuer=github", issuer.url()),
        None,
    )
    .await
    .json();
    assert_eq!(listed["issuer"], "github");
    let old = &before[0];
    let removed = call(
        "DELETE",
        &format!("{}/_issuer/keys/{old}?issuer=github", issuer.url()),
        None,
    )
    .await;
    assert_eq!(removed.status, 200, "{}", removed.body);
    assert_eq!(
        kids(&call("GET", github.jwks_url(), None).await.json()),
        ["gh-2"]
    );
    // Without ?issuer the root issuer is meant, which has no such key.
    assert_eq!(
        call(
            "DELETE",
            &format!("{}/_issuer/keys/gh-2", issuer.url()),
            None
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn bad_key_requests_are_refused() {
    let issuer = builtin_issuers().await;
    let dev_kid = kids(&call("GET", issuer.jwks_url(), None).await.json())[0].clone();
    for (body, status, words) in [
        (json!({"alg": "HS256"}), 400, "RS256 or ES256"),
        (json!({"kid": "x"}), 400, "missing field `alg`"),
        (
            json!({"alg": "ES256", "kid": "../etc"}),
            400,
            "must be 1 to 64 letters",
        ),
        (
            json!({"alg": "ES256", "kid": ""}),
            400,
            "must be 1 to 64 letters",
        ),
        (
            json!({"alg": "ES256", "kid": "k".repeat(65)}),
            400,
            "must be 1 to 64 letters",
        ),
        (
            json!({"alg": "ES256", "kid": dev_kid}),
            409,
            "duplicate kid",
        ),
        (
            json!({"alg": "ES256", "issuer": "nope"}),
            404,
            "no issuer called `nope`",
        ),
        (
            json!({"alg": "ES256", "signer": "yes"}),
            400,
            "invalid type",
        ),
        (
            json!({"alg": "ES256", "kid": "a", "extra": 1}),
            400,
            "unknown field `extra`",
        ),
    ] {
        let answer = post_key(&issuer, body.clone()).await;
        assert_eq!(answer.status, status, "{body}: {}", answer.body);
        assert!(answer.body.contains(words), "{body}: {}", answer.body);
    }
    let keys_url = format!("{}/_issuer/keys", issuer.url());
    let answer = call("PUT", &keys_url, None).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.allow.as_deref(), Some("GET, POST"));
    let answer = call("GET", &format!("{keys_url}/{dev_kid}"), None).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.allow.as_deref(), Some("DELETE"));
    assert_eq!(
        call("DELETE", &format!("{keys_url}/"), None).await.status,
        404
    );
    assert_eq!(
        call("DELETE", &format!("{keys_url}/a/b"), None)
            .await
            .status,
        404
    );
}

/// An issuer publishes at most MAX_KEYS keys, however many a client asks for.
#[tokio::test]
async fn the_number_of_keys_is_bounded() {
    let issuer = Issuer::start(IssuerConfig::new(
        KeySet::new(
            vec![SigningKey::generate("k0", KeyAlg::Es256).unwrap()],
            None,
        )
        .unwrap(),
    ))
    .await
    .unwrap();
    for i in 1..MAX_KEYS {
        let answer = post_key(&issuer, json!({"alg": "ES256", "kid": format!("k{i}")})).await;
        assert_eq!(answer.status, 201, "{}", answer.body);
    }
    let answer = post_key(&issuer, json!({"alg": "ES256", "kid": "one-too-many"})).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer.body.contains("already publishes 16 keys"),
        "{}",
        answer.body
    );
    assert_eq!(
        kids(&call("GET", issuer.jwks_url(), None).await.json()).len(),
        MAX_KEYS
    );
    // From Rust too.
    let root = issuer.get("dynatrace").unwrap();
    assert!(root
        .add_key(SigningKey::generate("rust", KeyAlg::Es256).unwrap(), false)
        .is_err());
    root.remove_key("k3").unwrap();
    root.add_key(SigningKey::generate("rust", KeyAlg::Es256).unwrap(), true)
        .unwrap();
    assert_eq!(
        issuer.mint(&MintRequest::new()).unwrap().header["kid"],
        "rust"
    );
}

/// Health, next to the controls: `GET /healthz` answers `{"status": "ok"}` whatever faults
/// the issuers' endpoints answer with (the process is up; its documents are what fail).
#[tokio::test]
async fn healthz_answers_ok() {
    let issuer = builtin_issuers().await;
    put_faults(&issuer, json!({"discovery": "down", "jwks": "down"})).await;
    let answer = call("GET", &format!("{}/healthz", issuer.url()), None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"status": "ok"}));
    let answer = call("POST", &format!("{}/healthz", issuer.url()), None).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.allow.as_deref(), Some("GET"));
}
