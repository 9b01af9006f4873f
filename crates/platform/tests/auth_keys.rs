//! Public-key tokens (RS256, EdDSA) verify with the configured public key, and a token signed by
//! another key is refused; production configuration requires issuer and audience and refuses
//! shared secrets; keys come from a JSON Web Key Set (file or URL) and rotate by `kid`. The
//! fixtures are test-only keys generated for this test.
use credit_platform::auth::{AuthConfig, Claims, INVALID_TOKEN, TokenVerifier};
use credit_platform::error::ApiError;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn config(public_key: &str, algorithm: &str) -> AuthConfig {
    AuthConfig {
        jwt_hs256_secret: None,
        jwt_public_key_file: Some(fixture(public_key)),
        jwt_algorithm: algorithm.into(),
        jwt_jwks_file: None,
        jwt_jwks_url: None,
        jwt_issuer: Some("https://idp.example".into()),
        jwt_audience: Some("credit-suite".into()),
        auth_development: false,
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs()
}

fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&std::fs::read(fixture("rsa-private.pem")).expect("key"))
        .expect("pem")
}

fn ed_key() -> EncodingKey {
    EncodingKey::from_ed_pem(&std::fs::read(fixture("ed25519-private.pem")).expect("key"))
        .expect("pem")
}

/// A token of arbitrary claims, signed with `key` under `kid`.
fn sign_claims(
    algorithm: Algorithm,
    key: &EncodingKey,
    kid: Option<&str>,
    claims: serde_json::Value,
) -> String {
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_string);
    jsonwebtoken::encode(&header, &claims, key).expect("sign")
}

/// Sound claims for `sub`, as an identity provider issues them.
fn claims(sub: &str) -> serde_json::Value {
    serde_json::json!({
        "sub": sub,
        "roles": ["credit.viewer"],
        "iss": "https://idp.example",
        "aud": "credit-suite",
        "exp": now() + 300,
        "iat": now(),
    })
}

/// A JWKS of the test's RSA key as `rsa_kid` and its Ed25519 key as `ed_kid`.
fn jwks(keys: &[(&EncodingKey, Algorithm, &str)]) -> String {
    let set = JwkSet {
        keys: keys
            .iter()
            .map(|(key, algorithm, kid)| {
                let mut jwk = Jwk::from_encoding_key(key, *algorithm).expect("jwk");
                jwk.common.key_id = Some(kid.to_string());
                jwk
            })
            .collect(),
    };
    serde_json::to_string(&set).expect("json")
}

fn refused(verifier: &TokenVerifier, token: &str) -> bool {
    matches!(verifier.verify(token), Err(ApiError::Unauthenticated(m)) if m == INVALID_TOKEN)
}

fn sign(algorithm: Algorithm, key: EncodingKey, issuer: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_secs();
    let claims = Claims {
        sub: "svc-orders".into(),
        roles: vec!["credit.sales_order".into()],
        exp: now + 300,
        iat: now,
        iss: Some(issuer.into()),
        aud: Some("credit-suite".into()),
        regions: None,
        business_units: None,
    };
    jsonwebtoken::encode(&Header::new(algorithm), &claims, &key).expect("sign")
}

#[test]
fn eddsa_tokens_verify_with_the_public_key() {
    let private = std::fs::read(fixture("ed25519-private.pem")).expect("key");
    let token = sign(
        Algorithm::EdDSA,
        EncodingKey::from_ed_pem(&private).expect("pem"),
        "https://idp.example",
    );
    let verifier =
        TokenVerifier::from_config(&config("ed25519-public.pem", "EdDSA")).expect("verifier");
    let caller = verifier.verify(&token).expect("valid");
    assert_eq!(caller.subject, "https://idp.example#svc-orders");
    assert_eq!(caller.roles, ["credit.sales_order"]);
}

#[test]
fn rs256_tokens_verify_and_the_issuer_is_enforced() {
    let private = std::fs::read(fixture("rsa-private.pem")).expect("key");
    let key = || EncodingKey::from_rsa_pem(&private).expect("pem");
    let verifier =
        TokenVerifier::from_config(&config("rsa-public.pem", "RS256")).expect("verifier");
    assert!(
        verifier
            .verify(&sign(Algorithm::RS256, key(), "https://idp.example"))
            .is_ok()
    );
    assert!(
        verifier
            .verify(&sign(Algorithm::RS256, key(), "https://evil.example"))
            .is_err()
    );
}

#[test]
fn a_token_signed_with_another_algorithm_or_key_is_refused() {
    let ed = std::fs::read(fixture("ed25519-private.pem")).expect("key");
    let token = sign(
        Algorithm::EdDSA,
        EncodingKey::from_ed_pem(&ed).expect("pem"),
        "https://idp.example",
    );
    let rsa_verifier =
        TokenVerifier::from_config(&config("rsa-public.pem", "RS256")).expect("verifier");
    assert!(rsa_verifier.verify(&token).is_err());
}

#[test]
fn production_configuration_needs_an_issuer_an_audience_and_no_shared_secret() {
    let mut no_issuer = config("rsa-public.pem", "RS256");
    no_issuer.jwt_issuer = None;
    let error = TokenVerifier::from_config(&no_issuer)
        .err()
        .expect("refused");
    assert!(error.to_string().contains("JWT_ISSUER"), "{error}");

    let mut no_audience = config("rsa-public.pem", "RS256");
    no_audience.jwt_audience = None;
    let error = TokenVerifier::from_config(&no_audience)
        .err()
        .expect("refused");
    assert!(error.to_string().contains("JWT_AUDIENCE"), "{error}");

    let mut shared = AuthConfig::hs256("a-development-secret-of-32-bytes!!");
    shared.auth_development = false;
    shared.jwt_issuer = Some("https://idp.example".into());
    shared.jwt_audience = Some("credit-suite".into());
    let error = TokenVerifier::from_config(&shared).err().expect("refused");
    assert!(error.to_string().contains("development"), "{error}");
    // In development it is accepted.
    assert!(
        TokenVerifier::from_config(&AuthConfig::hs256("a-development-secret-of-32-bytes!!"))
            .is_ok()
    );
}

#[test]
fn exp_iss_and_aud_are_required_nbf_is_checked_and_aud_may_be_an_array() {
    let verifier =
        TokenVerifier::from_config(&config("rsa-public.pem", "RS256")).expect("verifier");
    let key = rsa_key();
    let token = |claims: serde_json::Value| sign_claims(Algorithm::RS256, &key, None, claims);
    assert!(verifier.verify(&token(claims("alice"))).is_ok());
    // What common identity providers send: the audience in an array.
    let mut array = claims("alice");
    array["aud"] = serde_json::json!(["other-api", "credit-suite"]);
    assert!(verifier.verify(&token(array)).is_ok(), "aud as an array");
    for missing in ["exp", "iss", "aud"] {
        let mut without = claims("alice");
        without.as_object_mut().expect("object").remove(missing);
        assert!(
            refused(&verifier, &token(without)),
            "a token without {missing}"
        );
    }
    let mut other_audience = claims("alice");
    other_audience["aud"] = serde_json::json!(["other-api"]);
    assert!(
        refused(&verifier, &token(other_audience)),
        "another audience"
    );
    let mut not_yet = claims("alice");
    not_yet["nbf"] = serde_json::json!(now() + 3600);
    assert!(refused(&verifier, &token(not_yet)), "nbf in the future");
    let mut expired = claims("alice");
    expired["exp"] = serde_json::json!(now() - 3600);
    assert!(refused(&verifier, &token(expired)), "expired");
}

#[test]
fn a_token_cannot_choose_to_be_verified_as_hmac_with_the_public_key() {
    // The classic confusion: HS256 "signed" with the RSA public key's bytes as the secret.
    let public = std::fs::read(fixture("rsa-public.pem")).expect("key");
    let forged = sign_claims(
        Algorithm::HS256,
        &EncodingKey::from_secret(&public),
        None,
        claims("mallory"),
    );
    let verifier =
        TokenVerifier::from_config(&config("rsa-public.pem", "RS256")).expect("verifier");
    assert!(refused(&verifier, &forged));
}

#[test]
fn the_same_subject_from_two_issuers_is_two_people() {
    let mut two = config("rsa-public.pem", "RS256");
    two.jwt_issuer = Some("https://idp.example,https://partner.example".into());
    let verifier = TokenVerifier::from_config(&two).expect("verifier");
    let key = rsa_key();
    let ours = verifier
        .verify(&sign_claims(Algorithm::RS256, &key, None, claims("alice")))
        .expect("ours");
    let mut partner = claims("alice");
    partner["iss"] = serde_json::json!("https://partner.example");
    let theirs = verifier
        .verify(&sign_claims(Algorithm::RS256, &key, None, partner))
        .expect("theirs");
    assert_ne!(ours.subject, theirs.subject);
    assert_eq!(ours.subject, "https://idp.example#alice");
}

fn jwks_config(file: Option<PathBuf>, url: Option<String>) -> AuthConfig {
    AuthConfig {
        jwt_public_key_file: None,
        jwt_jwks_file: file,
        jwt_jwks_url: url,
        ..config("rsa-public.pem", "RS256")
    }
}

#[tokio::test]
async fn keys_from_a_jwks_file_are_chosen_by_kid_and_rotate_without_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("jwks.json");
    let (rsa, ed) = (rsa_key(), ed_key());
    std::fs::write(
        &file,
        jwks(&[
            (&rsa, Algorithm::RS256, "r1"),
            (&ed, Algorithm::EdDSA, "e1"),
        ]),
    )
    .expect("write");
    let verifier =
        TokenVerifier::from_config(&jwks_config(Some(file.clone()), None)).expect("verifier");
    let by =
        |algorithm, key: &EncodingKey, kid| sign_claims(algorithm, key, Some(kid), claims("a"));
    assert!(verifier.verify(&by(Algorithm::RS256, &rsa, "r1")).is_ok());
    assert!(verifier.verify(&by(Algorithm::EdDSA, &ed, "e1")).is_ok());
    assert!(refused(&verifier, &by(Algorithm::RS256, &rsa, "unknown")));
    // A token whose kid names a key of another algorithm does not verify.
    assert!(refused(&verifier, &by(Algorithm::RS256, &rsa, "e1")));

    // Rotation: the provider publishes the next key (the same RSA key as "r2" here) and drops
    // the old one; after the set is read again, r2 tokens verify and r1 tokens no longer do.
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&file, jwks(&[(&rsa, Algorithm::RS256, "r2")])).expect("write");
    let modified = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .and_then(|f| f.set_modified(modified))
        .expect("touch");
    verifier.refresh_keys().await.expect("refresh");
    assert!(verifier.verify(&by(Algorithm::RS256, &rsa, "r2")).is_ok());
    assert!(refused(&verifier, &by(Algorithm::RS256, &rsa, "r1")));
}

#[tokio::test]
async fn keys_from_a_jwks_url_are_fetched_before_the_first_caller() {
    let rsa = rsa_key();
    let body = jwks(&[(&rsa, Algorithm::RS256, "k1")]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || std::future::ready(body.clone())),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}/.well-known/jwks.json");
    let verifier = TokenVerifier::from_config(&jwks_config(None, Some(url))).expect("verifier");
    verifier
        .ready(std::time::Duration::from_secs(10))
        .await
        .expect("keys");
    let token = sign_claims(Algorithm::RS256, &rsa, Some("k1"), claims("bob"));
    assert_eq!(
        verifier.verify(&token).expect("valid").subject,
        "https://idp.example#bob"
    );
    // Over a network, keys are fetched over TLS only.
    let error = TokenVerifier::from_config(&jwks_config(
        None,
        Some("http://idp.example/jwks.json".into()),
    ))
    .err()
    .expect("refused");
    assert!(error.to_string().contains("https"), "{error}");
}
