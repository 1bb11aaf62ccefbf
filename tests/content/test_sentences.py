"""Danish sentence splitting: where a sentence ends, and where a full stop does not end one."""

from __future__ import annotations

import pytest

from reader.content.sentences import ABBREVIATIONS, SENTENCE_FINAL, split_sentences

ITEM_4 = (
    "Fjerde tema er at sikre, at der er sammenhæng og helhed i børn og unges liv – dvs. at der er"
    " sammenhæng og gode overgange mellem institution, skole, ungdomsuddannelse osv."
)

CASES = [
    # Plain endings.
    ("two sentences", "Det regner. Vi bliver inde.", ["Det regner.", "Vi bliver inde."]),
    ("question and exclamation", "Kommer du? Ja! Godt.", ["Kommer du?", "Ja!", "Godt."]),
    ("ellipsis", "Og så… Det var det.", ["Og så…", "Det var det."]),
    ("a year ends a sentence", "Den gælder fra 2012. Den revideres i 2024.", ["Den gælder fra 2012.", "Den revideres i 2024."]),  # noqa: E501
    ("a lower-case word continues", "Se afsnit 3. hvor det står.", ["Se afsnit 3. hvor det står."]),
    ("lower case after a question mark", "Hvad nu? spurgte hun.", ["Hvad nu? spurgte hun."]),
    # Text without a full stop is still a sentence.
    ("heading", "Børne- og Ungepolitik", ["Børne- og Ungepolitik"]),
    ("list item", "dyrker vi viden om og kendskab til hinanden", ["dyrker vi viden om og kendskab til hinanden"]),  # noqa: E501
    ("phone line", "T: 43 59 10 00", ["T: 43 59 10 00"]),
    ("empty", "", []),
    ("only whitespace", " \n\t ", []),
    # Abbreviations never end a sentence.
    ("bl.a.", "Vi samarbejder bl.a. Høje-Taastrup Gymnasium om det.", ["Vi samarbejder bl.a. Høje-Taastrup Gymnasium om det."]),  # noqa: E501
    ("capitalised Bl.a.", "Bl.a. Skolerne deltager.", ["Bl.a. Skolerne deltager."]),
    ("dvs.", ITEM_4, [ITEM_4]),
    ("f.eks.", "Brug f.eks. Borger.dk til det.", ["Brug f.eks. Borger.dk til det."]),
    ("fx without a full stop", "Spørg fx Borgerservice.", ["Spørg fx Borgerservice."]),
    ("ca.", "Det tager ca. 10 minutter.", ["Det tager ca. 10 minutter."]),
    ("kl. and a time", "Vi åbner kl. 10.30 på hverdage.", ["Vi åbner kl. 10.30 på hverdage."]),
    ("nr.", "Se bilag nr. 3 for detaljer.", ["Se bilag nr. 3 for detaljer."]),
    ("tlf.", "Ring på tlf. 43 59 10 00 i dag.", ["Ring på tlf. 43 59 10 00 i dag."]),
    ("jf. and stk.", "Det følger af loven, jf. § 4, stk. 2. Det er reglen.", ["Det følger af loven, jf. § 4, stk. 2.", "Det er reglen."]),  # noqa: E501
    ("pga.", "Lukket pga. COVID-19 i marts.", ["Lukket pga. COVID-19 i marts."]),
    ("evt.", "Kontakt evt. Borgerservice.", ["Kontakt evt. Borgerservice."]),
    ("inkl.", "Prisen er inkl. 25 % moms.", ["Prisen er inkl. 25 % moms."]),
    ("hhv.", "Der er hhv. 5 og 7 pladser.", ["Der er hhv. 5 og 7 pladser."]),
    ("mht.", "Mht. Økonomien er der styr på.", ["Mht. Økonomien er der styr på."]),
    ("iflg.", "Iflg. Byrådet er planen vedtaget.", ["Iflg. Byrådet er planen vedtaget."]),
    ("month abbreviation", "Mødet er 5. aug. 2015 om morgenen.", ["Mødet er 5. aug. 2015 om morgenen."]),  # noqa: E501
    ("mio. before kr.", "Der er 2,5 mio. kr. til projektet.", ["Der er 2,5 mio. kr. til projektet."]),  # noqa: E501
    # Sentence-final abbreviations end the sentence before a capital letter, not otherwise.
    ("osv. before a capital", "Skole, ungdomsuddannelse osv. Og endelig noget nyt.", ["Skole, ungdomsuddannelse osv.", "Og endelig noget nyt."]),  # noqa: E501
    ("osv. before lower case", "Skole osv. og meget mere.", ["Skole osv. og meget mere."]),
    ("osv. at the end", "Skoler, klubber osv.", ["Skoler, klubber osv."]),
    ("mv. mid-sentence", "Skoler, klubber mv. skal med.", ["Skoler, klubber mv. skal med."]),
    ("m.fl. before a capital", "Skoler, klubber m.fl. Alle er med.", ["Skoler, klubber m.fl.", "Alle er med."]),  # noqa: E501
    ("etc. before a capital", "Bøger, film etc. Det hele kan lånes.", ["Bøger, film etc.", "Det hele kan lånes."]),  # noqa: E501
    ("kr. before a capital", "Det koster 50 kr. Derefter er det gratis.", ["Det koster 50 kr.", "Derefter er det gratis."]),  # noqa: E501
    # Ordinals, dates and list numbers.
    ("date", "Opdateret 5. august 2015", ["Opdateret 5. august 2015"]),
    ("date then a sentence", "Mødet er 1. januar 2016. Alle er velkomne.", ["Mødet er 1. januar 2016.", "Alle er velkomne."]),  # noqa: E501
    ("ordinal", "Det 2. tema handler om læring.", ["Det 2. tema handler om læring."]),
    ("day of the month", "Vi mødes den 3. i måneden.", ["Vi mødes den 3. i måneden."]),
    ("list number", "1. Det første er trivsel.", ["1. Det første er trivsel."]),
    ("list number, two sentences", "2. Det andet tema er læring. Det understreger noget.", ["2. Det andet tema er læring.", "Det understreger noget."]),  # noqa: E501
    ("section number", "1.2. Formål med strategien", ["1.2. Formål med strategien"]),
    ("Skt. Hans", "Vi fejrer Skt. Hans ved søen.", ["Vi fejrer Skt. Hans ved søen."]),
    ("inline enumeration", "Der er tre temaer: 1. Trivsel, 2. Læring og 3. Sammenhæng.", ["Der er tre temaer: 1. Trivsel, 2. Læring og 3. Sammenhæng."]),  # noqa: E501
    ("inline enumeration without commas", "Vi vil: 1. Lytte 2. Lære", ["Vi vil: 1. Lytte 2. Lære"]),
    ("a number that is not an enumerator", "Vi blev nummer 1. Det var godt.", ["Vi blev nummer 1.", "Det var godt."]),  # noqa: E501
    ("boundary before a letter enumerator", "Målet er trivsel. a) Alle skal med. b) Ingen står alene.", ["Målet er trivsel.", "a) Alle skal med.", "b) Ingen står alene."]),  # noqa: E501
    ("boundary after an enumerated item", "1. Trivsel for alle. 2. Læring for alle.", ["1. Trivsel for alle.", "2. Læring for alle."]),  # noqa: E501
    ("citation in parentheses", "Det viser forskningen (Hansen 2019). Derfor gør vi det.", ["Det viser forskningen (Hansen 2019).", "Derfor gør vi det."]),  # noqa: E501
    ("citation number after the stop", "Det er vigtigt.(1) Derfor gør vi det.", ["Det er vigtigt.(1)", "Derfor gør vi det."]),  # noqa: E501
    ("footnote number after the stop", "Det er vigtigt.[2] Derfor gør vi det.", ["Det er vigtigt.[2]", "Derfor gør vi det."]),  # noqa: E501
    ("initial", "Jens P. Hansen er formand.", ["Jens P. Hansen er formand."]),
    # E-mail addresses, URLs and numbers.
    ("e-mail", "Kontakt: Jamilla Jaffer: JamillaJa@htk.dk", ["Kontakt: Jamilla Jaffer: JamillaJa@htk.dk"]),  # noqa: E501
    ("e-mail ending a sentence", "Skriv til JamillaJa@htk.dk. Vi svarer hurtigt.", ["Skriv til JamillaJa@htk.dk.", "Vi svarer hurtigt."]),  # noqa: E501
    ("url", "Se https://www.htk.dk/Politik/Strategier.aspx for mere.", ["Se https://www.htk.dk/Politik/Strategier.aspx for mere."]),  # noqa: E501
    ("decimal comma", "Væksten var 2,5 procent.", ["Væksten var 2,5 procent."]),
    ("time of day", "Kl. 10.30 starter mødet.", ["Kl. 10.30 starter mødet."]),
    ("range", "For perioden 2012-2024 er, at vi:", ["For perioden 2012-2024 er, at vi:"]),
    # Quotes.
    ("curly quote before the stop", "at ’Børn og unge skal lære endnu mere’. Det understreger det.", ["at ’Børn og unge skal lære endnu mere’.", "Det understreger det."]),  # noqa: E501
    ("stop inside the quote", "Han sagde ’Nej.’ Så gik han.", ["Han sagde ’Nej.’", "Så gik han."]),
    ("quote opens the next sentence", "Det er målet. ’Trivsel’ kommer først.", ["Det er målet.", "’Trivsel’ kommer først."]),  # noqa: E501
    # Bullets, whitespace and invisible characters.
    ("bullet glyph", " • Få siden oplæst", ["Få siden oplæst"]),
    ("bullet glued to the word", "•Tekst her", ["Tekst her"]),
    ("whitespace collapsed", "  Det   regner\n\n i dag.  ", ["Det regner i dag."]),
    ("no-break spaces", "T: 43\xa059\xa010\xa000", ["T: 43 59 10 00"]),
    ("soft hyphen", "børne\u00adpolitik", ["børnepolitik"]),
    ("stray dash stays with its sentence", "Det regner. –", ["Det regner. –"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"), [pytest.param(text, expected, id=name) for name, text, expected in CASES]
)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize("text", [text for _, text, _ in CASES if "•" not in text])
def test_splitting_keeps_every_word_in_order(text: str) -> None:
    joined = " ".join(split_sentences(text))
    assert joined == " ".join(text.replace("\u00ad", "").split())


def test_the_tables_hold_full_stops_only() -> None:
    assert all(word.endswith(".") for word in ABBREVIATIONS | SENTENCE_FINAL)
    assert not ABBREVIATIONS & SENTENCE_FINAL
