#!/usr/bin/env python3
"""Writes the language part of the inbound mail corpus (tests/mail/corpus/4x-…, 5x-…, …):
replies and forwards as Gmail, Outlook (desktop, web, mobile), Apple Mail / iPhone,
Thunderbird and Samsung Email write them in English, Spanish, Portuguese, French, German,
Italian and Dutch, each answering the receipt Claimdesk sent (placeholders as in the other
corpus files), with the outcome and the exact text that must be stored. It prints the
expected.json entries to add. The formats are those the clients write (attribution lines,
header-block labels, separators, device lines, subject prefixes, quoted-printable bodies);
tests/mail/README.md names them. Run once; the files are kept in the repository.
"""

import json
import os
import sys
from email.message import EmailMessage
from email.policy import SMTP

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "corpus")

OUR = "##- Please type your reply above this line -##"
QUOTED_OURS = f"{OUR}\n\nWe received your ticket {{{{NUMBER}}}}: {{{{SUBJECT}}}}.\nReply to this email to add to the ticket."

# Per language: the words a person writes, and how each client of that language marks what
# it quotes.
L = {
    "en": dict(
        reply="The claim saves now, thank you.",
        signoff="Regards,\nAda",
        note="Please look at this again, it is back.",
        gmail="On Mon, Nov 2, 2026 at 9:00 AM Claimdesk <{{SUPPORT}}> wrote:",
        apple="On Nov 2, 2026, at 09:00, Claimdesk <{{SUPPORT}}> wrote:",
        thunderbird="On 11/2/26 9:00 AM, Claimdesk wrote:",
        outlook=("From", "Sent", "To", "Subject", "Monday, November 2, 2026 9:00 AM"),
        iphone="Sent from my iPhone",
        outlook_mobile="Get Outlook for iOS",
        gmail_forward="---------- Forwarded message ---------",
        re="RE:", fw="FW:",
        samsung="-------- Original message --------",
        original="-----Original Message-----",
    ),
    "es": dict(
        reply="La reclamación ya se guarda, gracias.",
        signoff="Saludos,\nAda",
        note="Por favor, revisen esto otra vez, ha vuelto a pasar.",
        gmail="El lun, 2 nov 2026 a las 9:00, Claimdesk (<{{SUPPORT}}>) escribió:",
        apple="El 2 nov 2026, a las 9:00, Claimdesk <{{SUPPORT}}> escribió:",
        thunderbird="El 2/11/26 a las 9:00, Claimdesk escribió:",
        outlook=("De", "Enviado", "Para", "Asunto", "lunes, 2 de noviembre de 2026 9:00"),
        iphone="Enviado desde mi iPhone",
        outlook_mobile="Obtener Outlook para iOS",
        gmail_forward="---------- Mensaje reenviado ---------",
        re="RE:", fw="RV:",
        samsung="-------- Mensaje original --------",
        original="-----Mensaje original-----",
    ),
    "pt": dict(
        reply="A reclamação já está salva, obrigado.",
        signoff="Atenciosamente,\nAda",
        note="Por favor, vejam isto de novo, voltou a acontecer.",
        gmail="Em seg., 2 de nov. de 2026 às 09:00, Claimdesk <{{SUPPORT}}> escreveu:",
        apple="Em 2 de nov. de 2026, à(s) 09:00, Claimdesk <{{SUPPORT}}> escreveu:",
        thunderbird="Em 02/11/2026 09:00, Claimdesk escreveu:",
        outlook=("De", "Enviado", "Para", "Assunto", "segunda-feira, 2 de novembro de 2026 09:00"),
        iphone="Enviado do meu iPhone",
        outlook_mobile="Obter o Outlook para iOS",
        gmail_forward="---------- Mensagem encaminhada ---------",
        re="RES:", fw="ENC:",
        samsung="-------- Mensagem original --------",
        original="-----Mensagem original-----",
    ),
    "fr": dict(
        reply="La réclamation s'enregistre maintenant, merci.",
        signoff="Cordialement,\nAda",
        note="Merci de regarder à nouveau, le problème est revenu.",
        gmail="Le lun. 2 nov. 2026 à 09:00, Claimdesk <{{SUPPORT}}> a écrit :",
        apple="Le 2 nov. 2026 à 09:00, Claimdesk <{{SUPPORT}}> a écrit :",
        thunderbird="Le 02/11/2026 à 09:00, Claimdesk a écrit :",
        outlook=("De", "Envoyé", "À", "Objet", "lundi 2 novembre 2026 09:00"),
        iphone="Envoyé de mon iPhone",
        outlook_mobile="Télécharger Outlook pour iOS",
        gmail_forward="---------- Forwarded message ---------",
        re="RE :", fw="TR :",
        samsung="-------- Message d'origine --------",
        original="-----Message d'origine-----",
    ),
    "de": dict(
        reply="Der Antrag lässt sich jetzt speichern, danke.",
        signoff="Viele Grüße\nAda",
        note="Bitte schauen Sie noch einmal, der Fehler ist zurück.",
        gmail="Am Mo., 2. Nov. 2026 um 09:00 Uhr schrieb Claimdesk <{{SUPPORT}}>:",
        apple="Am 02.11.2026 um 09:00 schrieb Claimdesk <{{SUPPORT}}>:",
        thunderbird="Am 02.11.26 um 09:00 schrieb Claimdesk:",
        outlook=("Von", "Gesendet", "An", "Betreff", "Montag, 2. November 2026 09:00"),
        iphone="Von meinem iPhone gesendet",
        outlook_mobile="Outlook für iOS beziehen",
        gmail_forward="---------- Weitergeleitete Nachricht ---------",
        re="AW:", fw="WG:",
        samsung="-------- Ursprüngliche Nachricht --------",
        original="-----Ursprüngliche Nachricht-----",
    ),
    "it": dict(
        reply="La pratica ora si salva, grazie.",
        signoff="Cordiali saluti,\nAda",
        note="Per favore controllate di nuovo, il problema è tornato.",
        gmail="Il giorno lun 2 nov 2026 alle ore 09:00 Claimdesk <{{SUPPORT}}> ha scritto:",
        apple="Il giorno 2 nov 2026, alle ore 09:00, Claimdesk <{{SUPPORT}}> ha scritto:",
        thunderbird="Il 02/11/26 09:00, Claimdesk ha scritto:",
        outlook=("Da", "Inviato", "A", "Oggetto", "lunedì 2 novembre 2026 09:00"),
        iphone="Inviato da iPhone",
        outlook_mobile="Scarica Outlook per iOS",
        gmail_forward="---------- Messaggio inoltrato ---------",
        re="R:", fw="I:",
        samsung="-------- Messaggio originale --------",
        original="-----Messaggio originale-----",
    ),
    "nl": dict(
        reply="De claim wordt nu opgeslagen, bedankt.",
        signoff="Met vriendelijke groet,\nAda",
        note="Wilt u hier nogmaals naar kijken, het probleem is terug.",
        gmail="Op ma 2 nov 2026 om 09:00 schreef Claimdesk <{{SUPPORT}}>:",
        apple="Op 2 nov. 2026 om 09:00 heeft Claimdesk <{{SUPPORT}}> het volgende geschreven:",
        thunderbird="Op 02-11-2026 om 09:00 schreef Claimdesk:",
        outlook=("Van", "Verzonden", "Aan", "Onderwerp", "maandag 2 november 2026 09:00"),
        iphone="Verstuurd vanaf mijn iPhone",
        outlook_mobile="Outlook voor iOS downloaden",
        gmail_forward="---------- Doorgestuurd bericht ---------",
        re="RE:", fw="FW:",
        samsung="-------- Oorspronkelijk bericht --------",
        original="-----Oorspronkelijk bericht-----",
    ),
}

SUBJECT = "[{{NUMBER}}] We received your ticket: {{SUBJECT}}"


def quoted(prefix="> "):
    return "\n".join(prefix + line if line else prefix.rstrip() for line in QUOTED_OURS.split("\n"))


def header_block(lang, rule="________________________________"):
    f, s, t, subj, date = L[lang]["outlook"]
    sep = " :" if lang == "fr" else ":"
    lines = [rule] if rule else []
    lines += [
        f"{f}{sep} Claimdesk <{{{{SUPPORT}}}}>",
        f"{s}{sep} {date}",
        f"{t}{sep} Ada Adjuster <{{{{REQUESTER}}}}>",
        f"{subj}{sep} {SUBJECT}",
    ]
    return "\n".join(lines)


def message(n, lang, client, subject, body, mailer, thread=True, to="{{REPLY_TO}}"):
    m = EmailMessage(policy=SMTP)
    m["From"] = "Ada Adjuster <{{REQUESTER}}>"
    m["To"] = f"Claimdesk <{to}>"
    m["Subject"] = subject
    m["Date"] = "Mon, 02 Nov 2026 14:00:00 +0000"
    m["Message-ID"] = f"<lang{n}.{lang}.{client}@mail.acme.test>"
    if thread:
        m["In-Reply-To"] = "{{MESSAGE_ID}}"
        m["References"] = "{{THREAD}} {{MESSAGE_ID}}"
    m["X-Mailer"] = mailer
    m.set_content(body + "\n", charset="utf-8", cte="quoted-printable")
    return m.as_bytes().replace(b"\r\n", b"\n")


def cases():
    n = 35
    out = []
    for lang, w in L.items():
        reply, signoff, note = w["reply"], w["signoff"], w["note"]
        re_subject = f"{w['re']} {SUBJECT}"
        made = [
            ("gmail", f"Re: {SUBJECT}", f"{reply}\n\n{w['gmail']}\n\n{quoted()}", "Gmail", reply),
            (
                "outlook-desktop",
                re_subject,
                f"{reply}\n\n{signoff}\n\n{header_block(lang)}\n\n{QUOTED_OURS}",
                "Microsoft Outlook 16.0",
                f"{reply}\n\n{signoff}",
            ),
            (
                "outlook-mobile",
                re_subject,
                f"{reply}\n\n{w['outlook_mobile']}\n{header_block(lang)}\n\n{QUOTED_OURS}",
                "Outlook for iOS",
                reply,
            ),
            (
                "iphone",
                f"Re: {SUBJECT}",
                f"{reply}\n\n{w['iphone']}\n\n{w['apple']}\n\n{quoted()}",
                "iPhone Mail (22A3354)",
                reply,
            ),
            (
                "thunderbird",
                f"Re: {SUBJECT}",
                f"{reply}\n\n{w['thunderbird']}\n{quoted()}",
                "Mozilla Thunderbird",
                reply,
            ),
            (
                "samsung",
                re_subject,
                f"{reply}\n\n\n\n{w['samsung']}\n{header_block(lang, rule=None).replace(w['outlook'][1], 'Date' if lang == 'en' else w['outlook'][1])}\n\n{QUOTED_OURS}",
                "Samsung Email",
                reply,
            ),
            (
                "gmail-forward-ours",
                f"Fwd: {SUBJECT}",
                f"{note}\n\n{w['gmail_forward']}\nFrom: Claimdesk <{{{{SUPPORT}}}}>\nDate: Mon, Nov 2, 2026 at 9:00 AM\nSubject: {SUBJECT}\nTo: <{{{{REQUESTER}}}}>\n\n\n{QUOTED_OURS}",
                "Gmail",
                note,
            ),
        ]
        for client, subject, body, mailer, stored in made:
            name = f"{n:02d}-{lang}-{client}.eml"
            out.append((name, message(n, lang, client, subject, body, mailer), stored))
            n += 1
    # Outlook's classic "Original Message" separator, and a Thunderbird forward of a payer's
    # mail (kept under one line), in two languages each.
    for lang in ["de", "it"]:
        w = L[lang]
        body = f"{w['reply']}\n\n{w['original']}\n{header_block(lang, rule=None)}\n\n{QUOTED_OURS}"
        name = f"{n:02d}-{lang}-outlook-original-message.eml"
        out.append((name, message(n, lang, "original", f"{w['re']} {SUBJECT}", body, "Microsoft Outlook 14.0"), w["reply"]))
        n += 1
    for lang, sep, labels in [
        ("es", "-------- Mensaje reenviado --------", ("Asunto", "Fecha", "De", "Para")),
        ("fr", "-------- Message transféré --------", ("Sujet :", "Date :", "De :", "Pour :")),
    ]:
        w = L[lang]
        subj, date, frm, to = labels
        c = "" if subj.endswith(":") else ":"
        body = (
            f"{w['note']}\n\n{sep}\n{subj}{c} \t835 rechazado\n{date}{c} \tMon, 2 Nov 2026 08:00:00 -0600\n"
            f"{frm}{c} \tEDI Desk <edi@payer.test>\n{to}{c} \tAda <{{{{REQUESTER}}}}>\n\n\n"
            "ERA 88121 rejected: CARC 16, claim lacks information.\n"
        )
        name = f"{n:02d}-{lang}-thunderbird-forward-payer.eml"
        stored = f"{w['note']}\n\nForwarded message from EDI Desk <edi@payer.test>:\nERA 88121 rejected: CARC 16, claim lacks information."
        out.append((name, message(n, lang, "tbfwd", f"{w['fw']} 835", body, "Mozilla Thunderbird"), stored))
        n += 1
    return out


def main():
    entries = []
    for name, raw, stored in cases():
        with open(os.path.join(CORPUS, name), "wb") as f:
            f.write(raw)
        entries.append({"file": name, "setup": "open", "outcome": "added", "side": "customer", "body": stored})
    json.dump(entries, sys.stdout, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
