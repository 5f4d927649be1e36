//! Words as the index keeps them: lower case, English and Spanish stop words dropped, each
//! word stemmed (Snowball, by `rust-stemmers`) in the language the text is written in, then
//! accents folded (so "impresión" and "impresion" meet). A query's word is stemmed in both
//! languages and either form matches, so a Spanish question finds an English article's
//! shared words and the other way round.
//!
//! User text never reaches FTS5's query language: a query is built only from these words,
//! each quoted, so `"`, `*`, `NEAR`, `OR`, `AND`, `NOT`, `^`, `:` and brackets in what
//! somebody typed are plain text (or nothing).

use rust_stemmers::{Algorithm, Stemmer};
use std::sync::OnceLock;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Longer "words" are not words (hashes, base64): they are not indexed or looked for.
pub const MAX_WORD_CHARS: usize = 40;
/// A query looks for at most this many distinct words (a 10,000-word paste costs what 32 do).
pub const MAX_QUERY_WORDS: usize = 32;
/// The shortest prefix the word being typed matches as.
pub const MIN_PREFIX_CHARS: usize = 2;
/// The shortest stem whose misspellings are looked for: shorter ones have too many
/// neighbours one letter away to tell which was meant.
pub const MIN_TYPO_CHARS: usize = 5;

const ENGLISH_STOP: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "please",
    "hi",
    "hello",
    "thanks",
    "thank",
];

const SPANISH_STOP: &[&str] = &[
    "a", "al", "algo", "algunas", "algunos", "ante", "antes", "como", "con", "contra", "cual", "cuando", "de", "del",
    "desde", "donde", "durante", "e", "el", "ella", "ellas", "ellos", "en", "entre", "era", "es", "esa", "esas", "ese",
    "eso", "esos", "esta", "estaba", "estado", "estan", "están", "estas", "este", "esto", "estos", "fue", "ha", "hay",
    "la", "las", "le", "les", "lo", "los", "mas", "más", "me", "mi", "mis", "mucho", "muy", "nada", "ni", "no", "nos",
    "nosotros", "o", "os", "otra", "otro", "para", "pero", "poco", "por", "porque", "que", "qué", "quien", "se", "sea",
    "ser", "si", "sí", "sin", "sobre", "son", "su", "sus", "también", "te", "tengo", "ti", "tiene", "todo", "todos",
    "tu", "tus", "un", "una", "uno", "unos", "y", "ya", "yo", "hola", "gracias", "favor",
];

/// Which stemmer a text's words go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    English,
    Spanish,
}

fn stemmer(language: Language) -> &'static Stemmer {
    static ENGLISH: OnceLock<Stemmer> = OnceLock::new();
    static SPANISH: OnceLock<Stemmer> = OnceLock::new();
    match language {
        Language::English => ENGLISH.get_or_init(|| Stemmer::create(Algorithm::English)),
        Language::Spanish => SPANISH.get_or_init(|| Stemmer::create(Algorithm::Spanish)),
    }
}

fn is_stop(word: &str) -> bool {
    ENGLISH_STOP.contains(&word) || SPANISH_STOP.contains(&word)
}

/// The lower-case words of a text (letters and digits; anything else separates them).
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && w.chars().count() <= MAX_WORD_CHARS)
        .map(str::to_lowercase)
}

/// A text's language, by which list of stop words it uses more (English when neither).
pub fn language_of(text: &str) -> Language {
    let (mut english, mut spanish) = (0usize, 0usize);
    for word in words(text).take(400) {
        english += usize::from(ENGLISH_STOP.contains(&word.as_str()));
        spanish += usize::from(SPANISH_STOP.contains(&word.as_str()));
    }
    if spanish > english {
        Language::Spanish
    } else {
        Language::English
    }
}

/// Accents off: "impresión" → "impresion", "año" → "ano".
pub fn fold(word: &str) -> String {
    word.nfd().filter(|c| !is_combining_mark(*c)).collect()
}

fn stem(word: &str, language: Language) -> String {
    fold(&stemmer(language).stem(word))
}

/// A document's text as the index keeps it: its stems, space-separated.
pub fn index_text(text: &str) -> String {
    let language = language_of(text);
    let mut out = String::with_capacity(text.len());
    for word in words(text).filter(|w| !is_stop(w)) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&stem(&word, language));
    }
    out
}

/// What a query looks for: each word's English and Spanish stems, and the word being typed
/// (folded, unstemmed) as a prefix of indexed terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryTerms {
    pub terms: Vec<String>,
    pub prefix: Option<String>,
    /// Each word with its stems (its English and Spanish ones), in `terms`' order: a word
    /// none of whose stems is indexed may be a misspelling.
    pub words: Vec<QueryWord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    /// Lower case, accents folded.
    pub folded: String,
    pub stems: Vec<String>,
    /// The word still being typed (it matches as a prefix, not as a misspelling).
    pub typed: bool,
}

/// The terms of `text`: its words but the stop words, at most `MAX_QUERY_WORDS` of them (the
/// first ones, and the one being typed), each as its English and its Spanish stem; the last
/// word also as a prefix when `typing`. `None` when nothing is left to look for.
pub fn query_terms(text: &str, typing: bool) -> Option<QueryTerms> {
    let all: Vec<String> = words(text).collect();
    let last = if typing { all.last().cloned() } else { None };
    let mut seen: Vec<String> = Vec::new();
    for word in all.iter().filter(|w| !is_stop(w)) {
        if !seen.contains(word) {
            seen.push(word.clone());
        }
    }
    if seen.len() > MAX_QUERY_WORDS {
        let tail = seen.last().cloned();
        seen.truncate(MAX_QUERY_WORDS - 1);
        seen.extend(tail);
    }
    let mut terms: Vec<String> = Vec::new();
    let mut words: Vec<QueryWord> = Vec::new();
    for word in &seen {
        let mut stems: Vec<String> = Vec::new();
        for language in [Language::English, Language::Spanish] {
            let term = stem(word, language);
            if !stems.contains(&term) {
                stems.push(term.clone());
            }
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
        words.push(QueryWord {
            folded: fold(word),
            stems,
            typed: last.as_ref() == Some(word),
        });
    }
    let prefix = last.map(|w| fold(&w)).filter(|w| w.chars().count() >= MIN_PREFIX_CHARS);
    (!terms.is_empty() || prefix.is_some()).then_some(QueryTerms { terms, prefix, words })
}

/// Whether a word is long enough, and of letters and digits only, for its misspellings to
/// be guessed at: the cheap test before any lookup.
pub fn may_be_misspelt(word: &QueryWord) -> bool {
    word.folded.chars().count() >= MIN_TYPO_CHARS
        && word
            .folded
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// Where a misspelt word's stem may be found (typo tolerance: FTS5 has none of its own, so
/// the index is asked for these exactly): the terms one edit away from each of its stems (a
/// letter dropped, added or changed, two neighbours swapped), and the stems of the word with
/// a letter dropped or two neighbours swapped (a slip early in a word changes what the
/// stemmer keeps of it). Empty for short words (`MIN_TYPO_CHARS`) and words of other
/// characters than a–z and 0–9.
pub fn typo_candidates(word: &QueryWord) -> Vec<String> {
    if !may_be_misspelt(word) {
        return Vec::new();
    }
    let mut out: Vec<String> = word.stems.iter().flat_map(|s| edits(s, true)).collect();
    for slip in edits(&word.folded, false) {
        for language in [Language::English, Language::Spanish] {
            out.push(stem(&slip, language));
        }
    }
    out.sort();
    out.dedup();
    out.retain(|c| !word.stems.contains(c) && c.chars().count() >= MIN_TYPO_CHARS - 1);
    out
}

/// The letters a slip puts in place of `letter`, or leaves out beside it: its neighbours on
/// a QWERTY keyboard, and the vowels (a vowel for a vowel is the commonest misspelling).
fn likely_letters(letter: char) -> impl Iterator<Item = char> {
    const ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];
    let mut near: Vec<char> = "aeiouy".chars().collect();
    for (r, row) in ROWS.iter().enumerate() {
        if let Some(c) = row.find(letter) {
            for other in [r.checked_sub(1), Some(r), Some(r + 1)].into_iter().flatten() {
                let Some(line) = ROWS.get(other) else { continue };
                let line: Vec<char> = line.chars().collect();
                near.extend((c.saturating_sub(1)..=c + 1).filter_map(|k| line.get(k).copied()));
            }
        }
    }
    near.sort_unstable();
    near.dedup();
    near.into_iter().filter(move |c| *c != letter)
}

/// The strings one likely edit away from `term`: a letter dropped, two neighbours swapped,
/// and with `all` also a letter changed for a likely one or a letter left out put back (a
/// vowel, or a neighbour doubled): about twenty a letter, not all 54.
fn edits(term: &str, all: bool) -> Vec<String> {
    let chars: Vec<char> = term.chars().collect();
    if chars.len() < MIN_TYPO_CHARS || !chars.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::with_capacity(if all { 24 * chars.len() } else { 2 * chars.len() });
    let with = |edit: &dyn Fn(&mut Vec<char>)| {
        let mut changed = chars.clone();
        edit(&mut changed);
        changed.into_iter().collect::<String>()
    };
    for i in 0..chars.len() {
        out.push(with(&|c| {
            c.remove(i);
        }));
        if i + 1 < chars.len() && chars[i] != chars[i + 1] {
            out.push(with(&|c| c.swap(i, i + 1)));
        }
        if all {
            for letter in likely_letters(chars[i]) {
                out.push(with(&|c| c[i] = letter));
            }
        }
    }
    if all {
        for i in 0..=chars.len() {
            // What was left out here: a vowel, or the letter beside it again.
            let mut put_back: Vec<char> = "aeiouy".chars().collect();
            put_back.extend(
                [i.checked_sub(1), Some(i)]
                    .into_iter()
                    .flatten()
                    .filter_map(|k| chars.get(k)),
            );
            put_back.sort_unstable();
            put_back.dedup();
            for letter in put_back {
                out.push(with(&|c| c.insert(i, letter)));
            }
        }
    }
    out
}

/// An FTS5 expression matching any of `terms`, each quoted: the only syntax in it is ours
/// (terms hold letters and digits only).
pub fn any_of(terms: &[String]) -> String {
    terms
        .iter()
        .map(|t| format!("\"{t}\""))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `match_expression` as one string (every term, the prefix with `*`), for the tests.
pub fn match_expression(text: &str, typing: bool) -> Option<String> {
    let q = query_terms(text, typing)?;
    let mut parts = vec![any_of(&q.terms)];
    parts.retain(|p| !p.is_empty());
    if let Some(prefix) = q.prefix {
        parts.push(format!("\"{prefix}\"*"));
    }
    Some(parts.join(" OR "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_meet_across_forms_and_accents() {
        assert_eq!(index_text("Printing printers printed"), "print printer print");
        let spanish = index_text("La impresora no imprime las facturas de la clínica");
        assert!(spanish.contains("impresor"), "{spanish}");
        assert!(spanish.contains("clinic"), "{spanish}");
        assert!(!spanish.split(' ').any(|w| w == "la" || w == "de"), "{spanish}");
    }

    #[test]
    fn query_syntax_in_user_text_is_plain_words() {
        let q = match_expression(r#"printer" OR NEAR(a b) * ^col: "x AND NOT y"#, false).unwrap();
        // Only quoted terms joined by our own ORs: no operator of the user's survives.
        for part in q.split(" OR ") {
            assert!(
                part.starts_with('"') && (part.ends_with('"') || part.ends_with("\"*")),
                "{part} in {q}"
            );
            assert_eq!(part.matches('"').count(), 2, "{part}");
        }
        assert!(match_expression("the of and", false).is_none());
        assert!(match_expression("\"*\"", true).is_none());
    }

    #[test]
    fn a_huge_query_looks_for_a_bounded_number_of_words() {
        let text: String = (0..10_000).map(|i| format!("word{i} ")).collect();
        let q = match_expression(&text, true).unwrap();
        assert!(q.split(" OR ").count() <= MAX_QUERY_WORDS * 2 + 1, "{}", q.len());
        assert!(q.contains("\"word9999\"*"));
    }

    #[test]
    fn a_misspelt_word_is_one_edit_from_the_right_stem() {
        let word = |text: &str| query_terms(text, false).unwrap().words.remove(0);
        let near = typo_candidates(&word("remitance"));
        assert!(near.contains(&"remitt".to_string()), "a letter added to the stem");
        // A swap early in the word: the stemmer keeps more of it, so the word is mended first.
        assert!(typo_candidates(&word("rmeittance")).contains(&"remitt".to_string()));
        assert!(!near.contains(&"remit".to_string()), "its own stem is no candidate");
        assert!(typo_candidates(&word("eob")).is_empty(), "too short to guess");
        assert!(
            typo_candidates(&word("remottance")).contains(&"remitt".to_string()),
            "a vowel for a vowel"
        );
        assert!(
            typo_candidates(&word("prinyer")).contains(&"printer".to_string()),
            "a key beside it"
        );
        // Bounded: a 9-letter word's stems and slips give a few hundred candidates at most.
        assert!(near.len() <= 300, "{}", near.len());
    }

    #[test]
    fn the_word_being_typed_is_a_prefix() {
        let q = match_expression("reset pass", true).unwrap();
        assert!(q.ends_with("\"pass\"*"), "{q}");
        assert!(!match_expression("reset pass", false).unwrap().contains('*'));
    }
}
