//! The new text of a reply: what the sender wrote above the quoted history, without their
//! signature. Mail clients mark the history differently in every language — Gmail's and
//! Apple Mail's "On … wrote:", Outlook's header block ("From:/Sent:/To:/Subject:", "De:/
//! Enviado:/Para:/Asunto:" …), separators ("-----Original Message-----", "Mensaje
//! reenviado" …) and device lines ("Sent from my iPhone", "Von meinem iPhone gesendet" …).
//! Those marks are data, in `shared/core/mail/quote_markers.json`, one entry per language;
//! this module only reads lines against all of them.
//!
//! A forward keeps what was forwarded when it is somebody else's mail (a payer's remittance,
//! say), under one line naming its sender, with its own header block and history removed;
//! a forward of our own mail back to us keeps only the sender's note.

use super::templates::REPLY_MARKER;
use serde::Deserialize;
use std::sync::LazyLock;

/// One language's marks, as the data file spells them.
#[derive(Debug, Default, Deserialize)]
struct Language {
    attribution_openers: Vec<String>,
    attribution_verbs: Vec<String>,
    from_labels: Vec<String>,
    date_labels: Vec<String>,
    to_labels: Vec<String>,
    subject_labels: Vec<String>,
    separators: Vec<String>,
    forward_separators: Vec<String>,
    forward_subject_prefixes: Vec<String>,
    device_signatures: Vec<String>,
    auto_reply_subjects: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Table {
    languages: std::collections::BTreeMap<String, Language>,
}

/// Every language's marks together: a line is read against all of them. Separators and
/// subject prefixes are kept in lower case.
#[derive(Debug, Default)]
struct Markers {
    languages: Vec<String>,
    openers: Vec<String>,
    verbs: Vec<String>,
    from: Vec<String>,
    date: Vec<String>,
    to: Vec<String>,
    subject: Vec<String>,
    separators: Vec<String>,
    forward_separators: Vec<String>,
    forward_prefixes: Vec<String>,
    signatures: Vec<String>,
    auto_reply_subjects: Vec<String>,
}

const TABLE: &str = include_str!("../../mail/quote_markers.json");

static MARKERS: LazyLock<Markers> = LazyLock::new(|| {
    // The table is compiled in and parsed by a unit test, so it cannot fail here.
    let table: Table = serde_json::from_str(TABLE).unwrap_or_else(|e| panic!("quote_markers.json: {e}"));
    let mut all = Markers::default();
    for (code, language) in table.languages {
        all.languages.push(code);
        all.openers.extend(language.attribution_openers);
        all.verbs.extend(language.attribution_verbs);
        all.from.extend(language.from_labels);
        all.date.extend(language.date_labels);
        all.to.extend(language.to_labels);
        all.subject.extend(language.subject_labels);
        all.separators
            .extend(language.separators.iter().map(|s| s.to_lowercase()));
        all.forward_separators
            .extend(language.forward_separators.iter().map(|s| s.to_lowercase()));
        all.forward_prefixes
            .extend(language.forward_subject_prefixes.iter().map(|s| s.to_lowercase()));
        all.signatures.extend(language.device_signatures);
        all.auto_reply_subjects
            .extend(language.auto_reply_subjects.iter().map(|s| s.to_lowercase()));
    }
    all
});

/// The languages the table covers (for the corpus README and tests).
pub fn languages() -> Vec<String> {
    MARKERS.languages.clone()
}

/// The value after one of `labels` and a colon at the start of `line` ("From: x",
/// "Objet : x", Outlook's bold "*De:* x", Thunderbird's "Subject: \tx").
fn label_value<'a>(line: &'a str, labels: &[String]) -> Option<&'a str> {
    let line = line.trim().trim_start_matches('*');
    labels.iter().find_map(|label| {
        let head = line.get(..label.len())?;
        if !head.eq_ignore_ascii_case(label) && head.to_lowercase() != label.to_lowercase() {
            return None;
        }
        let rest = line[label.len()..].trim_start_matches([' ', '\u{a0}', '*']);
        let value = rest.strip_prefix(':')?;
        Some(value.trim_start_matches('*').trim())
    })
}

fn is_header_line(line: &str) -> bool {
    let m = &*MARKERS;
    [&m.from, &m.date, &m.to, &m.subject]
        .iter()
        .any(|labels| label_value(line, labels).is_some())
}

/// A line of underscores or dashes alone, as Outlook puts above its header block.
fn is_rule(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 10 && (line.chars().all(|c| c == '_') || line.chars().all(|c| c == '-'))
}

/// Outlook's quoted header block starts here: a "From" line (perhaps under a rule) with a
/// date and a recipient or subject line among the next few.
fn is_header_block(lines: &[&str]) -> bool {
    let m = &*MARKERS;
    let start = usize::from(lines.first().is_some_and(|l| is_rule(l)));
    let Some(first) = lines.get(start) else {
        return false;
    };
    if label_value(first, &m.from).is_none() {
        return false;
    }
    let window = &lines[start..lines.len().min(start + 8)];
    let has = |labels: &[String]| window.iter().any(|l| label_value(l, labels).is_some());
    has(&m.date) && (has(&m.to) || has(&m.subject))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Separator {
    Quote,
    Forward,
}

/// "-----Original Message-----", "---------- Mensaje reenviado ---------", "Begin forwarded
/// message:", "Début du message réexpédié :" …
fn separator(line: &str) -> Option<Separator> {
    let m = &*MARKERS;
    let core = line
        .trim()
        .trim_matches(|c: char| c == '-' || c == '_' || c.is_whitespace())
        .trim_end_matches(':')
        .trim()
        .to_lowercase();
    if core.is_empty() {
        return None;
    }
    if m.forward_separators.contains(&core) {
        Some(Separator::Forward)
    } else if m.separators.contains(&core) {
        Some(Separator::Quote)
    } else {
        None
    }
}

/// "On Mon, 2 Nov 2026 at 09:00, Claimdesk <…> wrote:", "El lun, 2 nov 2026 a las 9:00,
/// Claimdesk escribió:", "Op ma 2 nov 2026 om 09:00 schreef Claimdesk <…>:" — on one line or
/// wrapped over two.
fn is_attribution(line: &str, next: &str) -> bool {
    let m = &*MARKERS;
    if !m.openers.iter().any(|o| line.starts_with(o.as_str())) {
        return false;
    }
    let attributes = |l: &str| {
        let l = l.trim_end();
        l.ends_with(':') && l.len() < 300 && m.verbs.iter().any(|v| l.contains(v.as_str()))
    };
    attributes(line) || (!next.is_empty() && attributes(&format!("{line} {next}")))
}

fn is_device_signature(line: &str) -> bool {
    MARKERS.signatures.iter().any(|s| line.starts_with(s.as_str()))
}

/// The start of an automatic reply's subject in any language ("Automatic reply:",
/// "Respuesta automática:", "Abwesenheitsnotiz:" …), if the subject has one.
pub fn auto_reply_subject(subject: &str) -> Option<&'static str> {
    let lower = subject.trim_start().to_lowercase();
    MARKERS
        .auto_reply_subjects
        .iter()
        .find(|p| lower.starts_with(p.as_str()))
        .map(String::as_str)
}

fn forwarded_by_subject(subject: &str) -> bool {
    let lower = subject.trim_start().to_lowercase();
    MARKERS.forward_prefixes.iter().any(|p| lower.starts_with(p.as_str()))
}

/// Where the text stops being new, and whether what follows is a forward.
fn cut(lines: &[&str], forward_subject: bool) -> (Vec<String>, Option<usize>) {
    let mut kept = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end();
        let bare = line.trim_start_matches(['>', ' ']).trim();
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
        if bare.contains(REPLY_MARKER) || line == "-- " || line == "--" || line == "__" {
            return (kept, None);
        }
        let block = separator(bare).map(|s| s == Separator::Forward);
        if let Some(forward) = block {
            return (kept, (forward || forward_subject).then_some(i));
        }
        if is_header_block(&lines[i..]) {
            return (kept, forward_subject.then_some(i));
        }
        if is_attribution(bare, next) {
            return (kept, None);
        }
        if !line.starts_with('>') && !is_device_signature(bare) {
            kept.push(line.to_string());
        }
        i += 1;
    }
    (kept, None)
}

fn tidy(lines: Vec<String>) -> String {
    lines.join("\n").trim_matches(['\n', ' ', '\t']).to_string()
}

/// The new text of a mail: above the quoted history and without the signature. `ours` are
/// our own mail domains: a forward of our own mail keeps only the note above it.
pub fn new_text(text: &str, subject: &str, ours: &[String]) -> String {
    let text = text.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let (note, forwarded) = cut(&lines, forwarded_by_subject(subject));
    let note = tidy(note);
    let Some(start) = forwarded else {
        return note;
    };
    // The forwarded block: its separator, blank lines, then its header lines.
    let mut i = start;
    if separator(lines[i]).is_some() || is_rule(lines[i]) {
        i += 1;
    }
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    let mut from = None;
    while i < lines.len() && is_header_line(lines[i]) {
        if from.is_none() {
            from = label_value(lines[i], &MARKERS.from).map(str::to_string);
        }
        i += 1;
    }
    let rest = &lines[i..];
    let ours_forwarded = rest.iter().any(|l| l.contains(REPLY_MARKER))
        || from
            .as_deref()
            .is_some_and(|f| ours.iter().any(|d| f.to_ascii_lowercase().contains(&format!("@{d}"))));
    if ours_forwarded {
        return note;
    }
    let body = tidy(cut(rest, false).0);
    let heading = match from.filter(|f| !f.is_empty()) {
        Some(from) => format!("Forwarded message from {from}:"),
        None => "Forwarded message:".to_string(),
    };
    tidy(vec![note, String::new(), heading, body])
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: &[&str] = &["claimdesk.test"];

    fn text(body: &str, subject: &str) -> String {
        let ours: Vec<String> = OURS.iter().map(|s| s.to_string()).collect();
        new_text(body, subject, &ours)
    }

    #[test]
    fn the_table_parses_and_covers_seven_languages() {
        let languages = languages();
        for code in ["en", "es", "pt", "fr", "de", "it", "nl"] {
            assert!(languages.iter().any(|l| l == code), "{code} missing");
        }
    }

    #[test]
    fn gmail_attribution_and_quote_are_cut() {
        let body = "Thanks, that fixed it.\n\nOn Mon, Nov 2, 2026 at 9:00 AM Claimdesk <\nsupport@claimdesk.test> wrote:\n> ##- Please type your reply above this line -##\n> old text\n";
        assert_eq!(text(body, "Re: x"), "Thanks, that fixed it.");
    }

    #[test]
    fn attributions_in_every_language_are_cut() {
        for attribution in [
            "El lun, 2 nov 2026 a las 9:00, Claimdesk (<support@claimdesk.test>) escribió:",
            "Em seg., 2 de nov. de 2026 às 09:00, Claimdesk <support@claimdesk.test> escreveu:",
            "Le lun. 2 nov. 2026 à 09:00, Claimdesk <support@claimdesk.test> a écrit :",
            "Am Mo., 2. Nov. 2026 um 09:00 Uhr schrieb Claimdesk <support@claimdesk.test>:",
            "Il giorno lun 2 nov 2026 alle ore 09:00 Claimdesk <support@claimdesk.test> ha scritto:",
            "Op ma 2 nov 2026 om 09:00 schreef Claimdesk <support@claimdesk.test>:",
            "Op 2 nov. 2026 om 09:00 heeft Claimdesk <support@claimdesk.test> het volgende geschreven:",
        ] {
            let body = format!("Gracias.\n\n{attribution}\n\n> old\n");
            assert_eq!(text(&body, "Re: x"), "Gracias.", "{attribution}");
        }
    }

    #[test]
    fn outlook_header_blocks_in_every_language_are_cut() {
        for (from, sent, to, subject) in [
            ("From", "Sent", "To", "Subject"),
            ("De", "Enviado", "Para", "Asunto"),
            ("De", "Enviada", "Para", "Assunto"),
            ("De", "Envoyé", "À", "Objet"),
            ("Von", "Gesendet", "An", "Betreff"),
            ("Da", "Inviato", "A", "Oggetto"),
            ("Van", "Verzonden", "Aan", "Onderwerp"),
        ] {
            let body = format!(
                "Still broken.\n\nBea\n\n________________________________\n{from}: Claimdesk <support@claimdesk.test>\n{sent}: Monday, 2 November 2026 9:00\n{to}: Bea <bea@acme.test>\n{subject}: [ACME-000001] New reply\n\nold"
            );
            assert_eq!(text(&body, "RE: x"), "Still broken.\n\nBea", "{from}/{sent}");
        }
        // French puts a space before the colon; Outlook's text part may bold the labels.
        let body = "Oui.\n\nDe : Claimdesk\nEnvoyé : lundi\nÀ : Bea\nObjet : x\n\nold";
        assert_eq!(text(body, "RE: x"), "Oui.");
        let body = "Ja.\n\n*Von:* Claimdesk\n*Gesendet:* Montag\n*An:* Bea\n*Betreff:* x\n\nalt";
        assert_eq!(text(body, "AW: x"), "Ja.");
    }

    #[test]
    fn automatic_replies_are_known_by_their_subject_in_every_language() {
        for subject in [
            "Automatic reply: [ACME-1] x",
            "Respuesta automática: [ACME-1] x",
            "Réponse automatique : x",
            "Automatische Antwort: x",
            "Risposta automatica: x",
            "Automatisch antwoord: x",
            "Resposta automática: x",
        ] {
            assert!(auto_reply_subject(subject).is_some(), "{subject}");
        }
        assert_eq!(auto_reply_subject("Re: automatic reply settings"), None);
    }

    #[test]
    fn signatures_and_device_lines_go() {
        assert_eq!(text("Yes.\n\nSent from my iPhone", "Re: x"), "Yes.");
        assert_eq!(text("Sí.\n\nEnviado desde mi iPhone", "Re: x"), "Sí.");
        assert_eq!(text("Ja.\n\nVon meinem iPhone gesendet", "Re: x"), "Ja.");
        assert_eq!(text("Yes.\n-- \nAda Adjuster\nACME Claims", "Re: x"), "Yes.");
        assert_eq!(text("> quoted only\nmine", "Re: x"), "mine");
    }

    #[test]
    fn a_forward_of_somebody_elses_mail_keeps_its_content_under_one_line() {
        let body = "See below.\n\n---------- Mensaje reenviado ---------\nDe: Payer <edi@payer.test>\nDate: lun, 2 nov 2026\nSubject: 835 rejected\nTo: Ada <ada@acme.test>\n\nERA rejected: code 16\n";
        assert_eq!(
            text(body, "Fwd: 835 rejected"),
            "See below.\n\nForwarded message from Payer <edi@payer.test>:\nERA rejected: code 16"
        );
        // Outlook forwards under the same header block as replies: the subject says which.
        let body = "FYI\n\n________________________________\nVan: Payer <edi@payer.test>\nVerzonden: maandag\nAan: Ada\nOnderwerp: 835\n\nERA rejected\n";
        assert_eq!(
            text(body, "FW: 835"),
            "FYI\n\nForwarded message from Payer <edi@payer.test>:\nERA rejected"
        );
    }

    #[test]
    fn a_forward_of_our_own_mail_keeps_only_the_note() {
        let body = "Please look again.\n\nBegin forwarded message:\n\nFrom: Claimdesk <support@claimdesk.test>\nSubject: [ACME-000001] New reply\nDate: 2 November 2026\nTo: Ada\n\n##- Please type your reply above this line -##\nold\n";
        assert_eq!(text(body, "Fwd: [ACME-000001] New reply"), "Please look again.");
    }
}
