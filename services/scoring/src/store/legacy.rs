//! The one-time rewrite of scores stored before the zone of Altman Z'', the basis of the
//! recommended limit and the trigger were enums: those fields then held names, in field numbers
//! the wire reserves now. A row is decoded with the current message (the old fields skipped),
//! given the enum values of the old names, and written back without them; a rewritten row has no
//! old field left, so the rewrite runs any number of times.
use credit_proto::scoring as pb;
use credit_proto::wire;
use prost::Message;
use sqlx::{AnyConnection, Row};

#[derive(Clone, PartialEq, Message)]
struct OldAltmanZ {
    #[prost(string, tag = "6")]
    zone: String,
}

#[derive(Clone, PartialEq, Message)]
struct OldRecommendedLimit {
    #[prost(string, tag = "2")]
    basis: String,
}

/// The fields of `credit.scoring.v1.Score` that were names.
#[derive(Clone, PartialEq, Message)]
struct OldScore {
    #[prost(message, optional, tag = "11")]
    recommended_limit: Option<OldRecommendedLimit>,
    #[prost(message, optional, tag = "15")]
    altman_z: Option<OldAltmanZ>,
    #[prost(string, tag = "19")]
    trigger: String,
}

fn decode<M: Message + Default>(bytes: &[u8]) -> sqlx::Result<M> {
    M::decode(bytes).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Rewrites every score still holding names (in the caller's transaction): how many.
pub async fn convert_legacy_scores(conn: &mut AnyConnection) -> sqlx::Result<usize> {
    let rows = sqlx::query("SELECT score_id, body FROM scores")
        .fetch_all(&mut *conn)
        .await?;
    let mut converted = 0;
    for row in rows {
        let body: Vec<u8> = row.try_get(1)?;
        let old: OldScore = decode(&body)?;
        let zone = old.altman_z.map(|z| z.zone).unwrap_or_default();
        let basis = old.recommended_limit.map(|l| l.basis).unwrap_or_default();
        if old.trigger.is_empty() && zone.is_empty() && basis.is_empty() {
            continue;
        }
        let mut score: pb::Score = decode(&body)?;
        score.trigger = wire::<pb::ScoreTrigger>(&old.trigger);
        if let Some(z) = score.altman_z.as_mut() {
            z.zone = wire::<pb::AltmanZone>(&zone);
        }
        if let Some(l) = score.recommended_limit.as_mut() {
            l.basis = wire::<pb::LimitBasis>(&basis);
        }
        sqlx::query("UPDATE scores SET body = $1 WHERE score_id = $2")
            .bind(score.encode_to_vec())
            .bind(row.try_get::<String, _>(0)?)
            .execute(&mut *conn)
            .await?;
        converted += 1;
    }
    Ok(converted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_names_become_enum_values_and_leave_nothing_behind() {
        // A score as the earlier version encoded it: trigger (19), basis (11.2), zone (15.6).
        let mut old = pb::Score {
            score_id: "s1".into(),
            score: 612,
            ..Default::default()
        }
        .encode_to_vec();
        old.extend(
            OldScore {
                recommended_limit: Some(OldRecommendedLimit {
                    basis: "REVENUE".into(),
                }),
                altman_z: Some(OldAltmanZ {
                    zone: "SAFE".into(),
                }),
                trigger: "BATCH".into(),
            }
            .encode_to_vec(),
        );
        let score: pb::Score = decode(&old).expect("the current message reads an old row");
        assert_eq!(score.score, 612);
        assert_eq!(score.trigger, 0, "the old name is in a reserved field");
        let names: OldScore = decode(&old).expect("old names");
        assert_eq!(names.trigger, "BATCH");
        assert_eq!(
            wire::<pb::ScoreTrigger>(&names.trigger),
            pb::ScoreTrigger::Batch as i32
        );
        assert_eq!(
            wire::<pb::LimitBasis>("REVENUE"),
            pb::LimitBasis::Revenue as i32
        );
        assert_eq!(wire::<pb::AltmanZone>("SAFE"), pb::AltmanZone::Safe as i32);
        // Re-encoded with the current message, the old names are gone: a second run skips it.
        let rewritten: OldScore = decode(&score.encode_to_vec()).expect("decode");
        assert_eq!(rewritten.trigger, "");
        assert_eq!(rewritten.altman_z.map(|z| z.zone), Some(String::new()));
        assert_eq!(
            rewritten.recommended_limit.map(|l| l.basis),
            Some(String::new())
        );
    }
}
