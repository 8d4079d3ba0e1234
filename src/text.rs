//! Text handling for Vietnamese names: NFC normalisation for storage and an accent- and
//! case-insensitive folding for search ("hoa phu" finds "Hòa Phú", "dak lak" finds "Đắk Lắk").

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Trims, collapses inner white space and normalises to NFC, the form names are stored in.
pub fn clean_name(raw: &str) -> String {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.nfc().collect()
}

/// The first character of `text` that a reader would not see for what it is: a control
/// character, an invisible one (zero-width spaces and joiners, soft hyphen, fillers, tags) or
/// a bidirectional override that reorders what follows.
pub fn unprintable(text: &str) -> Option<char> {
    text.chars().find(|&c| {
        c.is_control()
            || matches!(
                c,
                '\u{00AD}'
                    | '\u{034F}'
                    | '\u{0600}'..='\u{0605}'
                    | '\u{061C}'
                    | '\u{06DD}'
                    | '\u{070F}'
                    | '\u{0890}'..='\u{0891}'
                    | '\u{08E2}'
                    | '\u{115F}'..='\u{1160}'
                    | '\u{17B4}'..='\u{17B5}'
                    | '\u{180B}'..='\u{180F}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{2028}'..='\u{202E}'
                    | '\u{2060}'..='\u{206F}'
                    | '\u{2800}'
                    | '\u{3164}'
                    | '\u{FE00}'..='\u{FE0F}'
                    | '\u{FEFF}'
                    | '\u{FFA0}'
                    | '\u{FFF0}'..='\u{FFFB}'
                    | '\u{110BD}'
                    | '\u{110CD}'
                    | '\u{13430}'..='\u{1343F}'
                    | '\u{1BCA0}'..='\u{1BCA3}'
                    | '\u{1D173}'..='\u{1D17A}'
                    | '\u{E0000}'..='\u{E0FFF}'
            )
    })
}

/// Whether `text` stacks more than `max` combining marks on one character. Vietnamese written
/// in NFC needs none (every vowel with its marks is one character); decomposed, at most two.
pub fn stacks_marks(text: &str, max: usize) -> bool {
    let mut run = 0;
    for c in text.chars() {
        if is_combining_mark(c) {
            run += 1;
            if run > max {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// Whether `text` has something to read: a letter or a digit (not only marks, spaces or
/// symbols drawn blank).
pub fn has_letter_or_digit(text: &str) -> bool {
    text.chars().any(char::is_alphanumeric)
}

/// Lower-case, without diacritics, `đ` read as `d`, white space collapsed. Stored beside names
/// and applied to search terms, so a plain `LIKE` matches the same way on SQLite and PostgreSQL.
pub fn fold(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut last_space = true;
    for c in raw.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = false;
        out.extend(c.to_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Escapes `%`, `_` and `\` so user input is matched literally inside a `LIKE … ESCAPE '\'`.
pub fn like_contains(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len() + 2);
    out.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_case_and_vietnamese_diacritics() {
        assert_eq!(fold("Hòa Phú"), "hoa phu");
        assert_eq!(fold("Tỉnh Đắk Lắk"), "tinh dak lak");
        assert_eq!(fold("  Buôn   Kô Siêr "), "buon ko sier");
        assert_eq!(fold("Xã Cư ÊBur"), "xa cu ebur");
    }

    #[test]
    fn names_are_trimmed_and_nfc() {
        // "Hòa" written with a combining grave accent (NFD) becomes the precomposed form.
        let nfd = "Ho\u{0300}a  Phu\u{0301} ";
        assert_eq!(clean_name(nfd), "Hòa Phú");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_contains("a%b_c"), "%a\\%b\\_c%");
    }
}
