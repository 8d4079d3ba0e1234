//! Realistic names for generated people and villages in the Central Highlands: Kinh names
//! (family, middle and given name) and Ê Đê names (Y for men, H' for women, then the given name
//! and the clan name).

use super::rng::Rng;
use crate::domain::teams::Gender;

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trương", "Mai", "Tạ",
];
const MIDDLE_MALE: &[&str] = &[
    "Văn", "Đức", "Minh", "Hữu", "Quang", "Thanh", "Công", "Xuân",
];
const MIDDLE_FEMALE: &[&str] = &["Thị", "Ngọc", "Thu", "Thanh", "Kim", "Mỹ", "Hồng"];
const GIVEN_MALE: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phúc", "Quân", "Sơn",
    "Tâm", "Thắng", "Tuấn", "Việt", "Hiếu", "Đạt", "Trung", "Lộc",
];
const GIVEN_FEMALE: &[&str] = &[
    "Anh", "Hà", "Hạnh", "Hiền", "Hương", "Lan", "Linh", "Mai", "Nga", "Ngân", "Nhung", "Phương",
    "Thảo", "Trang", "Vy", "Yến", "Hoa", "Loan", "Tuyết", "Dung",
];
const EDE_CLAN: &[&str] = &[
    "Niê", "Êban", "Mlô", "Ktul", "Byă", "Adrơng", "Ayŭn", "Knul", "Hwing", "Kbuôr", "Êya",
    "Mđrăng",
];
const EDE_GIVEN_MALE: &[&str] = &[
    "Bhin", "Moan", "Jut", "Khuê", "Blung", "Ngông", "Thuôn", "Suôn", "Kriêng", "Dhơng", "Bun",
    "Phi",
];
const EDE_GIVEN_FEMALE: &[&str] = &[
    "Hen", "Ngơn", "Yâo", "Dung", "Bliăng", "Hải", "Rin", "Lan", "Nhi", "Mai", "Phiơr", "Uyên",
];
/// Buôn names of Ê Đê villages in the province.
const BUON: &[&str] = &[
    "Kô Siêr",
    "Ako Dhông",
    "Tơng Jũ",
    "Ky",
    "Đung",
    "Kmrơng Prông",
    "Cư Dluê",
    "Triết",
    "Ea Bông",
    "Drăh",
    "Kbu",
    "Juk",
    "M'Hang",
    "Pơng Drang",
    "Ea Kmar",
    "Alê",
    "Tuôr",
    "Kniết",
    "Dham",
    "Hra",
];

pub fn person(rng: &mut Rng, ede: bool) -> (String, Gender) {
    let female = rng.chance(45);
    let gender = if female { Gender::Female } else { Gender::Male };
    let name = if ede {
        let (prefix, given) = if female {
            ("H'", rng.pick(EDE_GIVEN_FEMALE))
        } else {
            ("Y ", rng.pick(EDE_GIVEN_MALE))
        };
        format!("{prefix}{given} {}", rng.pick(EDE_CLAN))
    } else {
        let family = rng.pick(FAMILY);
        let (middle, given) = if female {
            (rng.pick(MIDDLE_FEMALE), rng.pick(GIVEN_FEMALE))
        } else {
            (rng.pick(MIDDLE_MALE), rng.pick(GIVEN_MALE))
        };
        format!("{family} {middle} {given}")
    };
    (name, gender)
}

/// A buôn name not yet used in this commune, if any remain.
pub fn buon(rng: &mut Rng, used: &mut Vec<&'static str>) -> Option<String> {
    let free: Vec<&'static str> = BUON.iter().copied().filter(|b| !used.contains(b)).collect();
    if free.is_empty() {
        return None;
    }
    let name = *rng.pick(&free);
    used.push(name);
    Some(format!("Buôn {name}"))
}

/// A Vietnamese mobile number in its canonical ten-digit form.
pub fn phone(rng: &mut Rng) -> String {
    const PREFIXES: &[&str] = &[
        "032", "033", "034", "035", "036", "037", "038", "039", "070", "076", "077", "078", "079",
        "081", "082", "083", "084", "085", "086", "088", "089", "090", "091", "093", "094", "096",
        "097", "098",
    ];
    format!("{}{:07}", rng.pick(PREFIXES), rng.range(0, 9_999_999))
}
