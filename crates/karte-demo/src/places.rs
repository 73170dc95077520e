//! Where patients live: real towns of real prefectures with their telephone
//! area codes, so addresses and home numbers agree with each other.

use crate::chance::{Dice, between, chance, one};
use rand::Rng;

pub struct Place {
    pub prefecture: &'static str,
    pub city: &'static str,
    pub towns: &'static [&'static str],
    /// Area code with its leading 0, e.g. `03`, `0263`.
    pub area_code: &'static str,
    /// Cities number blocks as 丁目-番-号; the countryside as plain 番地.
    pub urban: bool,
}

const fn place(
    prefecture: &'static str,
    city: &'static str,
    towns: &'static [&'static str],
    area_code: &'static str,
    urban: bool,
) -> Place {
    Place {
        prefecture,
        city,
        towns,
        area_code,
        urban,
    }
}

pub const PLACES: &[Place] = &[
    place(
        "東京都",
        "世田谷区",
        &["桜新町", "上馬", "経堂", "用賀", "北沢"],
        "03",
        true,
    ),
    place(
        "東京都",
        "練馬区",
        &["石神井町", "大泉学園町", "光が丘", "関町北"],
        "03",
        true,
    ),
    place(
        "東京都",
        "八王子市",
        &["元本郷町", "中野上町", "明神町", "散田町"],
        "042",
        true,
    ),
    place(
        "神奈川県",
        "横浜市港北区",
        &["日吉本町", "綱島西", "菊名"],
        "045",
        true,
    ),
    place(
        "神奈川県",
        "相模原市南区",
        &["相模大野", "上鶴間本町"],
        "042",
        true,
    ),
    place(
        "埼玉県",
        "さいたま市浦和区",
        &["常盤", "岸町", "高砂"],
        "048",
        true,
    ),
    place(
        "千葉県",
        "船橋市",
        &["本町", "前原西", "習志野台"],
        "047",
        true,
    ),
    place(
        "大阪府",
        "大阪市住吉区",
        &["長居", "我孫子", "帝塚山中"],
        "06",
        true,
    ),
    place(
        "大阪府",
        "堺市北区",
        &["中百舌鳥町", "百舌鳥梅町"],
        "072",
        true,
    ),
    place(
        "京都府",
        "京都市左京区",
        &["下鴨本町", "北白川", "修学院"],
        "075",
        true,
    ),
    place(
        "兵庫県",
        "神戸市灘区",
        &["篠原本町", "六甲台町"],
        "078",
        true,
    ),
    place(
        "愛知県",
        "名古屋市昭和区",
        &["御器所", "八事本町", "桜山町"],
        "052",
        true,
    ),
    place(
        "福岡県",
        "福岡市東区",
        &["香椎", "箱崎", "千早"],
        "092",
        true,
    ),
    place(
        "北海道",
        "札幌市北区",
        &["麻生町", "新琴似", "篠路"],
        "011",
        true,
    ),
    place("北海道", "旭川市", &["豊岡", "末広", "春光"], "0166", true),
    place(
        "宮城県",
        "仙台市青葉区",
        &["八幡", "国見", "川内"],
        "022",
        true,
    ),
    place(
        "広島県",
        "広島市安佐南区",
        &["祇園", "長束", "古市"],
        "082",
        true,
    ),
    place(
        "新潟県",
        "新潟市中央区",
        &["関屋", "白山浦", "女池"],
        "025",
        true,
    ),
    place(
        "熊本県",
        "熊本市中央区",
        &["水前寺", "九品寺", "大江"],
        "096",
        true,
    ),
    place(
        "鹿児島県",
        "鹿児島市",
        &["伊敷", "吉野町", "紫原"],
        "099",
        true,
    ),
    place(
        "長野県",
        "松本市",
        &["蟻ケ崎", "島内", "浅間温泉"],
        "0263",
        false,
    ),
    place(
        "高知県",
        "高知市",
        &["五台山", "高須", "朝倉"],
        "088",
        false,
    ),
    place(
        "岩手県",
        "遠野市",
        &["松崎町白岩", "附馬牛町上附馬牛", "青笹町糠前"],
        "0198",
        false,
    ),
    place(
        "島根県",
        "松江市",
        &["西川津町", "古志原", "八雲町"],
        "0852",
        false,
    ),
];

const BUILDINGS: &[&str] = &["コーポ", "ハイツ", "メゾン", "グリーンハイツ", "サンライズ"];

/// A home address and a matching telephone number.
pub fn home(dice: &mut Dice) -> (String, String) {
    let place = &PLACES[dice.random_range(0..PLACES.len())];
    let town = one(dice, place.towns);
    let mut address = format!("{}{}{}", place.prefecture, place.city, town);
    if place.urban {
        address.push_str(&format!(
            "{}-{}-{}",
            between(dice, 1, 5),
            between(dice, 1, 28),
            between(dice, 1, 20)
        ));
        if chance(dice, 0.2) {
            address.push_str(&format!(
                " {}{}{}号室",
                one(dice, BUILDINGS),
                one(dice, &["桜", "欅", "若葉", "青葉"]),
                between(dice, 1, 4) * 100 + between(dice, 1, 8)
            ));
        }
    } else {
        address.push_str(&format!(
            "{}-{}",
            between(dice, 1, 2400),
            between(dice, 1, 9)
        ));
    }
    (address, phone(dice, place.area_code))
}

/// A landline in the area (ten digits in all), or for some a mobile number.
fn phone(dice: &mut Dice, area_code: &str) -> String {
    if chance(dice, 0.25) {
        let prefix = one(dice, &["090", "080", "070"]);
        return format!(
            "{prefix}-{:04}-{:04}",
            between(dice, 1000, 9999),
            between(dice, 0, 9999)
        );
    }
    let local_digits = 10 - area_code.len() - 4;
    let lowest = 2 * 10_i64.pow(local_digits as u32 - 1);
    let local = between(dice, lowest, 10_i64.pow(local_digits as u32) - 1);
    format!(
        "{area_code}-{local:0width$}-{:04}",
        between(dice, 0, 9999),
        width = local_digits
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn landlines_have_ten_digits_and_mobiles_eleven() {
        let mut dice = Dice::seed_from_u64(3);
        for _ in 0..500 {
            let (address, phone) = home(&mut dice);
            assert!(address.contains(['都', '道', '府', '県']), "{address}");
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            let mobile = ["090", "080", "070"].iter().any(|p| phone.starts_with(p));
            assert_eq!(digits, if mobile { 11 } else { 10 }, "{phone}");
            assert!(phone.starts_with('0'));
            assert_eq!(phone.matches('-').count(), 2, "{phone}");
        }
    }
}
