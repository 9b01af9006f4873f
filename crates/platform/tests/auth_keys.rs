//! Public-key tokens (RS256, EdDSA) verify with the configured public key, and a token signed by
//! another key is refused. The fixtures are test-only keys generated for this test.
use credit_platform::auth::{AuthConfig, Claims, TokenVerifier};
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
        jwt_issuer: Some("https://idp.example".into()),
        jwt_audience: Some("credit-suite".into()),
    }
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
    assert_eq!(caller.subject, "svc-orders");
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
