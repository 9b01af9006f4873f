//! Scores stored while the Altman zone, the limit basis and the trigger were names (in field
//! numbers the wire reserves now) are rewritten by `migrate` and at start-up, and read back with
//! their enum values.
mod support;

use credit_platform::auth::roles;
use credit_platform::db::Db;
use credit_platform::testing::TestDatabase;
use credit_proto::scoring as pb;
use prost::Message;
use support::App;

/// The fields of the earlier `Score` that held names.
#[derive(Clone, PartialEq, Message)]
struct OldNames {
    #[prost(message, optional, tag = "11")]
    recommended_limit: Option<OldBasis>,
    #[prost(message, optional, tag = "15")]
    altman_z: Option<OldZone>,
    #[prost(string, tag = "19")]
    trigger: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldBasis {
    #[prost(string, tag = "2")]
    basis: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldZone {
    #[prost(string, tag = "6")]
    zone: String,
}

const SCORE_ID: &str = "0190a000-0000-7000-8000-0000000000aa";

/// A score as the earlier version wrote it.
fn old_body() -> Vec<u8> {
    let mut body = pb::Score {
        score_id: SCORE_ID.into(),
        customer_id: "ACME".into(),
        score: 612,
        risk_class: "B".into(),
        policy_version: 1,
        recommended_limit: Some(pb::RecommendedLimit {
            share: "0.1".into(),
            ..Default::default()
        }),
        altman_z: Some(pb::AltmanZ {
            score: "3.10".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
    .encode_to_vec();
    body.extend(
        OldNames {
            recommended_limit: Some(OldBasis {
                basis: "REVENUE".into(),
            }),
            altman_z: Some(OldZone {
                zone: "SAFE".into(),
            }),
            trigger: "BATCH".into(),
        }
        .encode_to_vec(),
    );
    body
}

#[tokio::test]
async fn scores_stored_with_names_are_read_back_with_enum_values() {
    let database = TestDatabase::create().await.expect("db");
    credit_scoring::migrate(&database.config)
        .await
        .expect("migrate an empty database");
    let db = Db::connect(&database.config).await.expect("connect");
    {
        let mut conn = db.pool.acquire().await.expect("connection");
        sqlx::query(
            "INSERT INTO scores (score_id, customer_id, scored_at, score, risk_class, \
             policy_version, model_version, body) VALUES ($1, 'ACME', 1772323200000000, 612, 'B', \
             1, '', $2)",
        )
        .bind(SCORE_ID)
        .bind(old_body())
        .execute(&mut *conn)
        .await
        .expect("old row");
    }
    db.pool.close().await;
    credit_scoring::migrate(&database.config)
        .await
        .expect("migrate converts");

    let app = App::start_on(database).await;
    let score = app
        .client("ana.analyst", &[roles::ANALYST])
        .get_score(pb::GetScoreRequest {
            score_id: SCORE_ID.into(),
        })
        .await
        .expect("score")
        .into_inner();
    assert_eq!(score.score, 612);
    assert_eq!(score.trigger(), pb::ScoreTrigger::Batch);
    assert_eq!(
        score
            .altman_z
            .as_ref()
            .map(|z| (z.zone(), z.score.as_str())),
        Some((pb::AltmanZone::Safe, "3.10"))
    );
    assert_eq!(
        score
            .recommended_limit
            .as_ref()
            .map(|l| (l.basis(), l.share.as_str())),
        Some((pb::LimitBasis::Revenue, "0.1"))
    );
    app.stop().await;
}
