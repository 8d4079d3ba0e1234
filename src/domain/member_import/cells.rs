//! The member list's words for roles, organisations and genders, with or without accents, and
//! its phone numbers as spreadsheets store them.

use crate::domain::teams::{Affiliation, Gender, TeamRole};
use crate::text::fold;

pub(super) fn role(text: &str) -> Option<TeamRole> {
    match fold(text).as_str() {
        "to truong" | "leader" => Some(TeamRole::Leader),
        "to pho" | "deputy" => Some(TeamRole::Deputy),
        "thanh vien" | "member" => Some(TeamRole::Member),
        _ => None,
    }
}

pub(super) fn affiliation(text: &str) -> Option<Affiliation> {
    let folded = fold(text);
    let plain = folded
        .trim_start_matches("hoi lien hiep ")
        .trim_start_matches("hoi ");
    Some(match plain {
        "truong thon" | "truong buon" | "to truong to dan pho" | "village_head" => {
            Affiliation::VillageHead
        }
        "cong an" | "police" => Affiliation::Police,
        "doan thanh nien" | "youth_union" => Affiliation::YouthUnion,
        "phu nu" | "women_union" => Affiliation::WomenUnion,
        "nong dan" | "farmers_union" => Affiliation::FarmersUnion,
        "cuu chien binh" | "veterans" => Affiliation::Veterans,
        "vien thong" | "telecom" => Affiliation::Telecom,
        "giao vien" | "teacher" => Affiliation::Teacher,
        "khac" | "other" => Affiliation::Other,
        _ => return None,
    })
}

pub(super) fn gender(text: &str) -> Option<Option<Gender>> {
    match fold(text).as_str() {
        "" => Some(None),
        "nam" | "male" => Some(Some(Gender::Male)),
        "nu" | "female" => Some(Some(Gender::Female)),
        "khac" | "other" => Some(Some(Gender::Other)),
        _ => None,
    }
}

/// A phone number as typed, or as a spreadsheet stored it: a number column loses the leading
/// zero, which is put back for nine-digit mobile numbers.
pub(super) fn phone_text(raw: &str) -> String {
    let raw = raw.trim();
    if raw.len() == 9
        && raw.bytes().all(|b| b.is_ascii_digit())
        && b"35789".contains(&raw.as_bytes()[0])
    {
        format!("0{raw}")
    } else {
        raw.to_owned()
    }
}
