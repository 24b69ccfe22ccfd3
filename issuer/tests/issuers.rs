//! Several issuers in one process: each built-in issuer at its own prefix with its real
//! issuer's discovery shape, its own identity and keys; an openidconnect client verifies each
//! one's tokens through its own discovery document; each profile's claims over HTTP; bad
//! bodies, wrong methods and unknown paths under a prefix; an issuers file; `issuer mint
//! --issuer` offline for any of them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use issuer::{
    Issuer, IssuerConfig, IssuerSpec, KeyAlg, KeySet, KeySource, MintRequest, Profile,
    ServedIssuer, SigningKey,
};
use openidconnect::core::{
    CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{ClientId, IssuerUrl, JsonWebKeySetUrl, Nonce};
use serde_json::{json, Value};

const KEYS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../keys");
const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");
const BIN: &str = env!("CARGO_BIN_EXE_issuer");

async fn all_issuers() -> Issuer {
    let keys = KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap();
    let config = IssuerConfig::new(keys)
        .builtin_issuers(KEYS_DIR.as_ref())
        .unwrap();
    Issuer::start(config).await.unwrap()
}

fn client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn get_json(url: &str) -> (u16, Value) {
    let response = client().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{url}: {e}")),
    )
}

async fn post_json(url: &str, body: &str) -> (u16, Value) {
    let response = client()
        .post(url)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

/// Verifies `token` as an OIDC client of `issuer` does: its discovery document (fetched from
/// the issuer's prefix) must name its identity; the keys come from the document's `jwks_uri`.
async fn verify_through_discovery(
    issuer: &ServedIssuer,
    client_id: &str,
    token: &str,
) -> Result<Value, String> {
    let (status, document) = get_json(&issuer.discovery_url()).await;
    assert_eq!(status, 200);
    assert_eq!(document["issuer"], issuer.issuer_url());
    let jwks_uri = document["jwks_uri"].as_str().unwrap();
    let jwks = CoreJsonWebKeySet::fetch_async(
        &JsonWebKeySetUrl::new(jwks_uri.to_string()).unwrap(),
        &client(),
    )
    .await
    .map_err(|e| format!("JWKS: {e}"))?;
    let verifier = CoreIdTokenVerifier::new_public_client(
        ClientId::new(client_id.to_string()),
        IssuerUrl::new(issuer.issuer_url().to_string()).unwrap(),
        jwks,
    )
    .set_allowed_algs(vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]);
    let id_token: CoreIdToken = token.parse().map_err(|e| format!("{e:?}"))?;
    let claims = id_token
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .map_err(|e| format!("{e:?}"))?;
    Ok(serde_json::to_value(claims).unwrap())
}

#[tokio::test]
async fn each_builtin_issuer_is_served_at_its_prefix_with_its_identity_and_keys() {
    let issuers = all_issuers().await;
    let expected = [
        (
            "dynatrace",
            "/",
            "https://token.dynatrace.com",
            "/.well-known/jwks.json",
        ),
        (
            "github",
            "/github/",
            "https://token.actions.githubusercontent.com",
            "/github/.well-known/jwks",
        ),
        (
            "gitlab",
            "/gitlab/",
            "https://gitlab.com",
            "/gitlab/oauth/discovery/keys",
        ),
        (
            "eks",
            "/eks/",
            "https://oidc.eks.us-east-1.amazonaws.com/id/4A1F0E5C9B3D8A7E6C2F1B0D9E8A7C6B",
            "/eks/keys",
        ),
    ];
    let mut kids = Vec::new();
    for (name, prefix, iss, jwks_path) in expected {
        let served = issuers.get(name).unwrap();
        assert_eq!(served.prefix(), prefix);
        assert_eq!(served.issuer_url(), iss);
        assert_eq!(served.jwks_url(), format!("{}{jwks_path}", issuers.url()));
        let (status, document) = get_json(&served.discovery_url()).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(document["issuer"], iss, "{name}");
        assert_eq!(document["jwks_uri"], served.jwks_url(), "{name}");
        let (status, jwks) = get_json(served.jwks_url()).await;
        assert_eq!(status, 200, "{name}");
        let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_string();
        assert_eq!(jwks["keys"][0]["alg"], "RS256");
        assert!(jwks["keys"][0].get("d").is_none());
        kids.push(kid);
    }
    // Own keys: no two issuers publish the same key.
    let mut unique = kids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), kids.len(), "{kids:?}");
    // The kids are the real issuers' forms: GitHub's upper-case and EKS's lower-case hex
    // SHA-1, GitLab's JWK thumbprint.
    assert!(
        kids[1].len() == 40
            && kids[1]
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
    );
    assert_eq!(kids[2].len(), 43);
    assert!(
        kids[3].len() == 40
            && kids[3]
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase())
    );
}

#[tokio::test]
async fn discovery_documents_have_their_real_issuers_shapes() {
    let issuers = all_issuers().await;
    let document = |name: &str| {
        let url = issuers.get(name).unwrap().discovery_url();
        async move { get_json(&url).await.1 }
    };
    // GitHub's has no authorization_endpoint (no browser login) and lists pairwise subjects.
    let github = document("github").await;
    assert!(github.get("authorization_endpoint").is_none(), "{github}");
    assert_eq!(
        github["subject_types_supported"],
        json!(["public", "pairwise"])
    );
    assert_eq!(github["scopes_supported"], json!(["openid"]));
    for claim in [
        "repository",
        "job_workflow_ref",
        "environment",
        "runner_environment",
    ] {
        assert!(
            github["claims_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(claim)),
            "{claim}"
        );
    }
    // EKS publishes Kubernetes' document, with its urn: authorization endpoint.
    let eks = document("eks").await;
    assert_eq!(
        eks["authorization_endpoint"],
        "urn:kubernetes:programmatic_authorization"
    );
    assert_eq!(eks["claims_supported"], json!(["sub", "iss"]));
    // GitLab's names the instance's OAuth endpoints.
    let gitlab = document("gitlab").await;
    assert_eq!(
        gitlab["authorization_endpoint"],
        "https://gitlab.com/oauth/authorize"
    );
    assert_eq!(gitlab["response_types_supported"], json!(["code"]));
    // Those with an authorization endpoint are what an openidconnect client expects.
    for name in ["dynatrace", "gitlab", "eks"] {
        let doc = document(name).await;
        let parsed: Result<CoreProviderMetadata, _> = serde_json::from_value(doc.clone());
        assert!(parsed.is_ok(), "{name}: {parsed:?}: {doc}");
    }
}

#[tokio::test]
async fn an_oidc_client_verifies_each_issuers_tokens_through_its_own_discovery() {
    let issuers = all_issuers().await;
    let cases = [
        (
            "dynatrace",
            MintRequest::new().field("connection_id", "conn-1"),
            "https://abc12345.apps.dynatrace.com/app-id/dynatrace.aws.connector",
            "dt:connection-id/conn-1",
        ),
        (
            "github",
            MintRequest::new().field("environment", "prod"),
            "sts.amazonaws.com",
            "repo:octo-org/octo-repo:environment:prod",
        ),
        (
            "gitlab",
            MintRequest::new(),
            "https://gitlab.com",
            "project_path:my-group/my-project:ref_type:branch:ref:main",
        ),
        (
            "eks",
            MintRequest::new().field("service_account", "app"),
            "sts.amazonaws.com",
            "system:serviceaccount:default:app",
        ),
    ];
    for (name, request, audience, sub) in cases {
        let served = issuers.get(name).unwrap();
        let (status, minted) = post_json(
            &served.mint_url(),
            &serde_json::to_string(&request).unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{name}: {minted}");
        let token = minted["token"].as_str().unwrap();
        let claims = verify_through_discovery(served, audience, token)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(claims["sub"], sub, "{name}");
        assert_eq!(claims["iss"], served.issuer_url(), "{name}");

        // Another issuer's keys do not verify it, though the client trusts the same identity.
        let other = issuers
            .get(if name == "github" { "eks" } else { "github" })
            .unwrap();
        let foreign = other.mint(&MintRequest::new()).unwrap().token;
        let error = verify_through_discovery(served, audience, &foreign)
            .await
            .unwrap_err();
        assert!(
            error.contains("InvalidIssuer") || error.contains("NoMatchingKey"),
            "{name}: {error}"
        );
    }
}

#[tokio::test]
async fn each_profile_mints_its_issuers_claims_over_http() {
    let issuers = all_issuers().await;
    let mint = |name: &str, body: &'static str| {
        let url = issuers.get(name).unwrap().mint_url();
        async move { post_json(&url, body).await }
    };

    let (status, body) = mint(
        "github",
        r#"{"repository": "acme/api", "event_name": "pull_request"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let claims = &body["claims"];
    assert_eq!(claims["sub"], "repo:acme/api:pull_request");
    assert_eq!(claims["ref"], "refs/pull/1/merge");
    assert_eq!(claims["repository_owner"], "acme");
    assert_eq!(claims["aud"], "sts.amazonaws.com");
    // GitHub dates nbf 600 s before iat; tokens live 300 s.
    assert_eq!(
        claims["iat"].as_i64().unwrap() - claims["nbf"].as_i64().unwrap(),
        600
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );

    let (_, body) = mint("eks", r#"{"namespace": "web", "service_account": "api"}"#).await;
    let claims = &body["claims"];
    assert_eq!(claims["sub"], "system:serviceaccount:web:api");
    assert_eq!(claims["aud"], json!(["sts.amazonaws.com"]));
    assert_eq!(claims["kubernetes.io"]["serviceaccount"]["name"], "api");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        86_400
    );

    let (_, body) = mint(
        "gitlab",
        r#"{"ref": "v1", "ref_type": "tag", "claims": {"aud": "custom"}}"#,
    )
    .await;
    let claims = &body["claims"];
    assert_eq!(
        claims["sub"],
        "project_path:my-group/my-project:ref_type:tag:ref:v1"
    );
    assert_eq!(claims["aud"], "custom");

    // Dynatrace at /: the legacy form unchanged, the current one by connection_id.
    let (_, body) = post_json(
        &format!("{}/mint", issuers.url()),
        r#"{"tenant": "xyz98765", "connection_id": "vu9U3hXa3q0AAAAB"}"#,
    )
    .await;
    assert_eq!(body["claims"]["sub"], "dt:connection-id/vu9U3hXa3q0AAAAB");
    assert_eq!(
        body["claims"]["aud"],
        "https://xyz98765.apps.dynatrace.com/app-id/dynatrace.aws.connector"
    );
    let (_, body) = post_json(&format!("{}/mint", issuers.url()), "").await;
    assert_eq!(body["claims"]["sub"], "dtid:connection/my-connection");
}

#[tokio::test]
async fn bad_requests_under_a_prefix_get_exact_answers() {
    let issuers = all_issuers().await;
    let github = issuers.get("github").unwrap();
    for (body, expected) in [
        (
            r#"{"tenant": "a"}"#,
            "unknown field `tenant` for the github-actions profile, expected one of `repository`",
        ),
        (r#"{"repository": "solo"}"#, "repository must be OWNER/REPO"),
        (
            r#"{"repository": 5}"#,
            "invalid type for repository: a number, expected a string",
        ),
        (
            r#"{"immutable_subject": "yes"}"#,
            "immutable_subject must be true or false",
        ),
        (
            r#"{"ttl": 0}"#,
            "ttl must be between 1 and 604800 seconds, got 0",
        ),
        ("[]", "the body must be a JSON object"),
        ("{", "EOF while parsing"),
    ] {
        let (status, answer) = post_json(&github.mint_url(), body).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"], "invalid_request");
        let message = answer["message"].as_str().unwrap();
        assert!(message.contains(expected), "{body}: {message}");
    }
    let (status, answer) = post_json(
        &format!("{}/mint", issuers.url()),
        r#"{"connection": "c", "connection_id": "i"}"#,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["message"].as_str().unwrap().contains("not both"),
        "{answer}"
    );

    // Methods and paths under a prefix, as at /.
    let response = client().get(github.mint_url()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let response = client().post(github.jwks_url()).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "GET");
    for missing in [
        "/github",
        "/github/",
        "/github/keys",
        "/eks/.well-known/jwks.json",
        "/github/_issuer/clock",
    ] {
        let (status, answer) = get_json(&format!("{}{missing}", issuers.url())).await;
        assert_eq!(status, 404, "{missing}");
        assert_eq!(answer["message"], format!("no such endpoint: {missing}"));
    }
    // The clock is the process's, at /, and every issuer reads it.
    let response = client()
        .put(format!("{}/_issuer/clock", issuers.url()))
        .body(r#"{"now": "2026-11-23T05:00:00Z"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (_, body) = post_json(&issuers.get("eks").unwrap().mint_url(), "").await;
    assert_eq!(body["claims"]["iat"], 1_795_410_000);
}

#[test]
fn missing_builtin_key_directories_get_generated_keys() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("gitlab")).unwrap();
    // An existing directory must hold keys.
    let error = IssuerConfig::new(dynatrace_keys())
        .builtin_issuers(dir.path())
        .err()
        .unwrap();
    assert!(error.to_string().contains("holds no *.pem keys"), "{error}");
    std::fs::remove_dir(dir.path().join("gitlab")).unwrap();
    let config = IssuerConfig::new(dynatrace_keys())
        .builtin_issuers(dir.path())
        .unwrap();
    assert_eq!(config.issuers.len(), 3);
    for spec in &config.issuers {
        assert_eq!(
            spec.key_source,
            KeySource::Generated(dir.path().join(&spec.name)),
            "{}",
            spec.name
        );
    }
}

fn dynatrace_keys() -> KeySet {
    KeySet::load_dir(KEYS_DIR.as_ref(), None).unwrap()
}

#[tokio::test]
async fn two_issuers_may_not_share_a_name_or_overlap() {
    let keys = KeySet::new(
        vec![SigningKey::generate("k", KeyAlg::Es256).unwrap()],
        None,
    )
    .unwrap();
    let spec = |name: &str, prefix: &str| {
        IssuerSpec::new(name, "https://x.example", Profile::EksIrsa, keys.clone()).prefix(prefix)
    };
    for (a, b, why) in [
        (
            spec("a", "/a/"),
            spec("a", "/b/"),
            "two issuers are called `a`",
        ),
        (spec("a", "/a/"), spec("b", "/a/x/"), "overlap"),
        (
            spec("a", "/mint/"),
            spec("b", "/b/"),
            "taken by the issuer at /",
        ),
        (spec("A", "/a/"), spec("b", "/b/"), "must be lower-case"),
    ] {
        let error = Issuer::start(IssuerConfig::new(dynatrace_keys()).issuer(a).issuer(b))
            .await
            .err()
            .unwrap();
        assert!(error.to_string().contains(why), "{error}");
    }
}

#[tokio::test]
async fn an_issuers_file_declares_more_issuers() {
    let specs = issuer::issuers::load_file(&Path::new(EXAMPLES).join("issuers.toml")).unwrap();
    let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["eks-staging", "ghes"]);
    let mut config = IssuerConfig::new(dynatrace_keys())
        .builtin_issuers(KEYS_DIR.as_ref())
        .unwrap();
    for spec in specs {
        config = config.issuer(spec);
    }
    let issuers = Issuer::start(config).await.unwrap();
    let ghes = issuers.get("ghes").unwrap();
    assert_eq!(ghes.issuer_url(), "https://ghe.example.com/_services/token");
    assert_eq!(ghes.base_url(), format!("{}/ghes", issuers.url()));
    let minted = ghes.mint(&MintRequest::new()).unwrap();
    // The file's default claims, under the request's.
    assert_eq!(minted.claims["enterprise"], "example-corp");
    let claims = verify_through_discovery(ghes, "sts.amazonaws.com", &minted.token)
        .await
        .unwrap();
    assert_eq!(claims["iss"], "https://ghe.example.com/_services/token");
    let staging = issuers.get("eks-staging").unwrap();
    assert_eq!(staging.prefix(), "/eks-staging/");
    let token = staging.mint(&MintRequest::new()).unwrap().token;
    verify_through_discovery(staging, "sts.amazonaws.com", &token)
        .await
        .unwrap();
    // Its keys are its own: the built-in cluster's do not verify its tokens.
    let eks = issuers.get("eks").unwrap();
    assert!(verify_through_discovery(eks, "sts.amazonaws.com", &token)
        .await
        .is_err());
}

#[test]
fn a_bad_issuers_file_is_refused_with_the_entry_and_the_problem() {
    let dir = Path::new(EXAMPLES);
    let keys = "keys = \"../keys/eks-staging\"\n";
    let url = "issuer_url = \"https://x.example\"\n";
    for (text, expected) in [
        (
            format!("[[issuer]]\nname = \"github\"\nprofile = \"eks-irsa\"\n{url}{keys}"),
            "f.toml: issuer \"github\": `github` is a built-in issuer",
        ),
        (
            format!("[[issuer]]\nname = \"x\"\nprofile = \"eks\"\n{url}{keys}"),
            "f.toml: issuer \"x\": unknown profile `eks`, expected one of: dynatrace, github-actions, gitlab-ci, eks-irsa",
        ),
        (
            format!("[[issuer]]\nname = \"x\"\nprofile = \"eks-irsa\"\nissuer_url = \"http://x.example\"\n{keys}"),
            "must be an https:// URL",
        ),
        (
            format!("[[issuer]]\nname = \"x\"\nprofile = \"eks-irsa\"\n{url}keys = \"nowhere\"\n"),
            "f.toml: issuer \"x\": cannot read key directory",
        ),
        (
            format!("[[issuer]]\nname = \"x\"\nprefix = \"/eks/x/\"\nprofile = \"eks-irsa\"\n{url}{keys}"),
            "issuers `eks` (/eks/) and `x` (/eks/x/) overlap",
        ),
        (
            format!("[[issuer]]\nname = \"x\"\nprofile = \"eks-irsa\"\n{url}{keys}colour = 1\n"),
            "unknown field `colour`",
        ),
        (
            format!("[[issuer]]\nname = \"x\"\nprofile = \"eks-irsa\"\n{url}{keys}signing_key = \"nope\"\n"),
            "signing key `nope` not found",
        ),
    ] {
        let error = issuer::issuers::from_toml(&text, "f.toml", dir)
            .err()
            .unwrap_or_else(|| panic!("accepted: {text}"))
            .to_string();
        assert!(error.contains(expected), "{text}\n{error}");
    }
}

/// Kills the child on drop so a failing test leaves no server behind.
struct Running(Child);
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn cli_mint(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(["mint", "--keys", KEYS_DIR])
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test]
async fn cli_mints_offline_for_any_issuer_what_the_server_verifies() {
    let config = format!("{EXAMPLES}/issuers.toml");
    let mut child = Command::new(BIN)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--keys",
            KEYS_DIR,
            "--config",
            &config,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Running(child);
    let banner: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(10)
        .map(Result::unwrap)
        .collect();
    let url = banner[0].rsplit(' ').next().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{banner:?}");
    for line in [
        format!("issuer github (github-actions): iss https://token.actions.githubusercontent.com at {url}/github, signing key 7F746348755C94F2A37CC5A84C0F682212AD24E1 (RS256)"),
        format!("issuer ghes (github-actions): iss https://ghe.example.com/_services/token at {url}/ghes, signing key 7E7DA36EA9B274680D2E8DEE920E5521D514DD17 (RS256)"),
    ] {
        assert!(banner.contains(&line), "{line}\n{banner:?}");
    }

    for (args, prefix, jwks, audience, sub) in [
        (
            vec![
                "--issuer",
                "github",
                "repository=acme/api",
                "ref=refs/heads/dev",
            ],
            "github",
            "github/.well-known/jwks",
            "sts.amazonaws.com",
            "repo:acme/api:ref:refs/heads/dev",
        ),
        (
            vec!["--issuer", "eks", "namespace=web", "service_account=api"],
            "eks",
            "eks/keys",
            "sts.amazonaws.com",
            "system:serviceaccount:web:api",
        ),
        (
            vec!["--issuer", "gitlab", "project_path=a/b"],
            "gitlab",
            "gitlab/oauth/discovery/keys",
            "https://gitlab.com",
            "project_path:a/b:ref_type:branch:ref:main",
        ),
        (
            vec![
                "--issuer",
                "eks-staging",
                "--config",
                &config,
                "service_account=app",
            ],
            "eks-staging",
            "eks-staging/keys",
            "sts.amazonaws.com",
            "system:serviceaccount:default:app",
        ),
        (
            vec!["connection_id=abc", "--tenant", "t1"],
            "",
            ".well-known/jwks.json",
            "https://t1.apps.dynatrace.com/app-id/dynatrace.aws.connector",
            "dt:connection-id/abc",
        ),
    ] {
        let output = cli_mint(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let token = String::from_utf8(output.stdout).unwrap();
        let jwks = CoreJsonWebKeySet::fetch_async(
            &JsonWebKeySetUrl::new(format!("{url}/{jwks}")).unwrap(),
            &client(),
        )
        .await
        .unwrap();
        let (_, document) = get_json(&format!(
            "{url}/{prefix}{}.well-known/openid-configuration",
            if prefix.is_empty() { "" } else { "/" }
        ))
        .await;
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new(audience.to_string()),
            IssuerUrl::new(document["issuer"].as_str().unwrap().to_string()).unwrap(),
            jwks,
        );
        let id_token: CoreIdToken = token.parse().unwrap();
        let claims = id_token
            .claims(&verifier, |_: Option<&Nonce>| Ok(()))
            .unwrap_or_else(|e| panic!("{args:?}: {e:?}"));
        assert_eq!(claims.subject().as_str(), sub, "{args:?}");
    }
    drop(server);

    for (args, expected) in [
        (vec!["--issuer", "nope"], "no issuer called `nope`; the issuers are: dynatrace, github, gitlab, eks (give --config FILE"),
        (vec!["--issuer", "github", "--tenant", "x"], "unknown field `tenant` for the github-actions profile"),
        (vec!["--issuer", "github", "repository"], "`repository` is not FIELD=VALUE"),
        (vec!["--issuer", "eks", "namespace=a", "namespace=b"], "the field namespace is given twice"),
    ] {
        let output = cli_mint(&args);
        assert!(!output.status.success(), "{args:?}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    // Offline minting needs the key a server would publish.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        format!("{KEYS_DIR}/dev-rsa-2026.pem"),
        dir.path().join("k.pem"),
    )
    .unwrap();
    let output = Command::new(BIN)
        .args([
            "mint",
            "--keys",
            dir.path().to_str().unwrap(),
            "--issuer",
            "github",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("does not exist, so a server would generate a key"));
}
