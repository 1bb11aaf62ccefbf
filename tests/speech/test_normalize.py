"""Danish normalisation: each table is one rule, each row one written form and what is said."""

from __future__ import annotations

import pytest

from reader.speech.normalize import normalize, speak_address
from reader.speech.numbers import cardinal, month_name, ordinal

ABBREVIATIONS = [
    ("Vi har bl.a. en klub", "Vi har blandt andet en klub"),
    ("Bl.a. har vi en klub", "Blandt andet har vi en klub"),
    ("Vi har bl. a. en klub", "Vi har blandt andet en klub"),
    ("sammenhæng, dvs. at der er", "sammenhæng, det vil sige at der er"),
    ("Dvs. at der er", "Det vil sige at der er"),
    ("fx en skole", "for eksempel en skole"),
    ("Fx en skole", "For eksempel en skole"),
    ("f.eks. en skole", "for eksempel en skole"),
    ("f. eks. en skole", "for eksempel en skole"),
    ("skoler, klubber mv. i kommunen", "skoler, klubber med videre i kommunen"),
    (
        "institution, skole, ungdomsuddannelse osv.",
        "institution, skole, ungdomsuddannelse og så videre.",
    ),
    ("skole osv. Derfor skal vi", "skole og så videre. Derfor skal vi"),
    ("skole osv. og klub", "skole og så videre og klub"),
    ("ca. 400 børn", "cirka 400 børn"),
    ("Ca. 400 børn", "Cirka 400 børn"),
    ("Ring på nr. 5", "Ring på nummer 5"),
    ("Ring på tlf. 43 59 13 18", "Ring på telefon treogfyrre nioghalvtreds tretten atten"),
    ("jf. § 4, stk. 2", "jævnfør paragraf 4, stykke 2"),
    ("§ 4, stk. 2", "Paragraf 4, stykke 2"),
    ("efter §4 i loven", "efter paragraf 4 i loven"),
    ("efter §§ 4-6 i loven", "efter paragrafferne 4 til 6 i loven"),
    ("pga. vejret", "på grund af vejret"),
    ("evt. senere", "eventuelt senere"),
    ("inkl. moms", "inklusive moms"),
    ("ekskl. moms", "eksklusive moms"),
    ("med forældre m.fl. Derefter", "med forældre med flere. Derefter"),
    ("mht. trivsel", "med hensyn til trivsel"),
    ("ift. læring", "i forhold til læring"),
    ("vedr. ansøgningen", "vedrørende ansøgningen"),
    ("Ansøg evt. inkl.", "Ansøg eventuelt inklusive."),
    ("nr.5", "nummer 5"),
    ("Lukket Kr. Himmelfartsdag", "Lukket Kristi Himmelfartsdag"),
    ("Lukket st. bededag", "Lukket Store Bededag"),
]

RANGES = [
    ("se afsnit 4.2 om det", "se afsnit fire punkt to om det"),
    ("se afsnit 4.2. Derefter", "se afsnit fire punkt to. Derefter"),
    ("Kapitel 3.1.2 siger", "Kapitel tre punkt et punkt to siger"),
    ("for 0-6-årige børn", "for nul til seksårige børn"),
    ("de 3-5-årige", "de tre til femårige"),
    ("åbent mandag-fredag", "åbent mandag til fredag"),
    ("åbent mandag – torsdag", "åbent mandag til torsdag"),
    ("lukket juli-august", "lukket juli til august"),
    ("fra januar–marts 2025", "fra januar til marts 2025"),
    ("Mandag-Fredag åbent", "Mandag til Fredag åbent"),
    ("åbent fredag - søndag", "åbent fredag til søndag"),
    ("åbent man.-fre. kl. 8-15", "åbent mandag til fredag klokken otte til femten"),
    ("åbent man-tors", "åbent mandag til torsdag"),
    ("Man.-tors. er der åbent", "Mandag til torsdag er der åbent"),
    ("Vi har åbent man.-fre.", "Vi har åbent mandag til fredag."),
    ("åbent man.-fre. Lukket i juli", "åbent mandag til fredag. Lukket i juli"),
    ("fra jan.-mar. 2025", "fra januar til marts 2025"),
    ("fra 1. januar-31. marts", "fra første januar til enogtredivte marts"),
    ("fra januar 2024–marts 2025", "fra januar 2024 til marts 2025"),
    ("april-maj-juni", "april-maj-juni"),
    ("mandag-fredags møder", "mandag-fredags møder"),
    ("mandag-eftermiddag", "mandag-eftermiddag"),
    ("marts-kvartalet", "marts-kvartalet"),
    ("maj- og junimøderne", "maj- og junimøderne"),
    ("man- og tirsdag", "man- og tirsdag"),
    ("by-og-land", "by-og-land"),
    ("EU-regler", "EU-regler"),
    ("sundheds-og omsorgsområdet", "sundheds-og omsorgsområdet"),
    ("Jan-Erik og far-søn", "Jan-Erik og far-søn"),
    ("i 1990'erne", "i halvfemserne"),
    ("i 1970’erne og 2000'erne", "i halvfjerdserne og nullerne"),
    ("for perioden 2012-2024 er", "for perioden 2012 til 2024 er"),
    ("for perioden 2012–2024 er", "for perioden 2012 til 2024 er"),
    ("for perioden 2012 - 2024 er", "for perioden 2012 til 2024 er"),
    ("for perioden 2012 – 2024 er", "for perioden 2012 til 2024 er"),
    ("børn på 6-12 år", "børn på 6 til 12 år"),
    ("2,5-3,5 procent", "2 komma 5 til 3 komma 5 procent"),
    ("10-20 %", "10 til 20 procent"),
    ("Børne- og Ungepolitik", "Børne- og Ungepolitik"),
    ("Integrations- og Medborgerskabspolitik", "Integrations- og Medborgerskabspolitik"),
    ("hjem og familie, og/eller er udfordret", "hjem og familie, og eller er udfordret"),
    ("CPR-nummer 010190-1234", "CPR-nummer 010190-1234"),
    ("telefon 43-59-13-18", "telefon 43-59-13-18"),
]

TIMES = [
    ("det tager 20 min. at gå", "det tager 20 minutter at gå"),
    ("Det tager 20 min. Derefter", "Det tager 20 minutter. Derefter"),
    ("det tager 1 min.", "det tager 1 minut."),
    ("turen er 10 km lang", "turen er 10 kilometer lang"),
    ("en pakke på 5kg", "en pakke på 5 kilo"),
    ("et rum på 50 m²", "et rum på 50 kvadratmeter"),
    ("min bog og 3 kgs", "min bog og 3 kgs"),
    ("mødet starter 10:30 i salen", "mødet starter ti tredive i salen"),
    ("fra 8:00 til 15:45", "fra otte til femten femogfyrre"),
    ("score 3:1 i pausen", "score 3:1 i pausen"),
    ("kl. 10.30", "klokken ti tredive"),
    ("kl. 10:30", "klokken ti tredive"),
    ("kl. 8", "klokken otte"),
    ("kl. 14.05", "klokken fjorten nul fem"),
    ("kl. 10.00", "klokken ti"),
    ("kl. 1", "klokken et"),
    ("kl. 13.01", "klokken tretten nul et"),
    ("kl. 8-15", "klokken otte til femten"),
    ("kl. 8.30 - 16.00", "klokken otte tredive til seksten"),
    ("Mødet er kl. 19.45.", "Mødet er klokken nitten femogfyrre."),
    ("Kl. 9 åbner vi", "Klokken ni åbner vi"),
    ("kl.10", "klokken ti"),
    ("klokken 10.30", "klokken ti tredive"),
    ("kl. 25.99", "klokken 25.99"),
    ("åbent 10:00-14:00", "åbent ti til fjorten"),
    ("åbent 10:30 – 14", "åbent ti tredive til fjorten"),
    ("mandag-fredag 8.00-15.30", "mandag til fredag otte til femten tredive"),
    ("fredag 8.30–13.00.", "fredag otte tredive til tretten."),
    ("punkterne 4.10-4.12", "punkterne 4.10-4.12"),
    ("8.00-15 i alt", "8.00-15 i alt"),
]

DATES_AND_ORDINALS = [
    ("Opdateret 5. august 2015", "Opdateret femte august 2015"),
    ("Opdateret 28. november 2016", "Opdateret otteogtyvende november 2016"),
    ("gælder fra 1/1-2025", "gælder fra første januar 2025"),
    ("gælder fra 1/1 - 2025", "gælder fra første januar 2025"),
    ("gælder fra 31/12/2025", "gælder fra enogtredivte december 2025"),
    ("gælder fra 5.8.2015", "gælder fra femte august 2015"),
    ("mødet d. 3. maj", "mødet den tredje maj"),
    ("D. 3. maj holder vi", "Den tredje maj holder vi"),
    ("fra d. 1/1-2025", "fra den første januar 2025"),
    ("Opdateret 5. aug. 2015", "Opdateret femte august 2015"),
    ("1.-3. maj", "Første til tredje maj"),
    ("Det 2. tema er", "Det andet tema er"),
    ("for 2. gang", "for anden gang"),
    ("det 2. indsatsområde", "det andet indsatsområde"),
    ("2. og 3. tema", "Andet og tredje tema"),
    ("4., 5. og 6. klasse", "Fjerde, femte og sjette klasse"),
    ("for 21. gang", "for enogtyvende gang"),
    ("for 30. gang", "for tredivte gang"),
    ("for 31. gang", "for enogtredivte gang"),
    ("for 40. gang", "for fyrretyvende gang"),
    ("for 50. gang", "for halvtredsindstyvende gang"),
    ("for 90. gang", "for halvfemsindstyvende gang"),
    ("for 101. gang", "for hundrede og første gang"),
    ("vision for perioden i 2015.", "vision for perioden i 2015."),
    ("Det skete i 2015. Derefter", "Det skete i 2015. Derefter"),
    ("Se punkt 3. Derefter", "Se punkt 3. Derefter"),
    ("32/13", "32/13"),
]

PHONE_NUMBERS = [
    ("telefon 43 59 13 18.", "telefon treogfyrre nioghalvtreds tretten atten."),
    ("telefon 43 59 10 00", "telefon treogfyrre nioghalvtreds ti nul nul"),
    ("telefon 43591318", "telefon treogfyrre nioghalvtreds tretten atten"),
    ("telefon 70 01 02 03", "telefon halvfjerds nul et nul to nul tre"),
    ("telefon +45 43 59 13 18", "telefon plus 45 treogfyrre nioghalvtreds tretten atten"),
    ("T: 43 59 10 00", "Telefon: treogfyrre nioghalvtreds ti nul nul"),
    ("Tlf: 43 59 10 00", "Telefon: treogfyrre nioghalvtreds ti nul nul"),
    ("T: Se her", "T: Se her"),
    ("Tlf. 43 59 10 00", "Telefon treogfyrre nioghalvtreds ti nul nul"),
]

AMOUNTS_AND_NUMBERS = [
    ("Det koster 1.250,50 kr.", "Det koster 1250 kroner og 50 øre."),
    ("Det koster 1.250,00 kr. om året", "Det koster 1250 kroner om året"),
    ("Det koster 12,05 kr", "Det koster 12 kroner og 5 øre"),
    ("Der er afsat 2,5 mio. kr. til", "Der er afsat 2 komma 5 millioner kroner til"),
    ("Det koster 500 kr.", "Det koster 500 kroner."),
    ("Det koster 500 kr. Det er billigt", "Det koster 500 kroner. Det er billigt"),
    ("Det koster 500,- kr.", "Det koster 500 kroner."),
    ("Det koster 1 kr.", "Det koster en krone."),
    ("Der er afsat 1 mio. kr.", "Der er afsat en million kroner."),
    ("Det koster 1,50 kr.", "Det koster en krone og 50 øre."),
    ("Der bor 52.000 borgere", "Der bor 52000 borgere"),
    ("2,5", "2 komma 5"),
    ("vægten er 0,75 kg", "vægten er 0 komma 75 kilo"),
    ("25 % af børnene", "25 procent af børnene"),
    ("25% af børnene", "25 procent af børnene"),
    ("2,5 pct. af børnene", "2 komma 5 procent af børnene"),
]

ADDRESSES = [
    ("JamillaJa@htk.dk", "JamillaJa snabel-a h t k punktum d k"),
    (
        "Kontakt: Integrationsrådets sekretær Jamilla Jaffer: JamillaJa@htk.dk",
        "Kontakt: Integrationsrådets sekretær Jamilla Jaffer: JamillaJa snabel-a h t k punktum d k",
    ),
    (
        "Skriv til jamilla.jaffer@htk.dk.",
        "Skriv til jamilla punktum jaffer snabel-a h t k punktum d k.",
    ),
    ("E: info@htk.dk", "E-mail: info snabel-a h t k punktum d k"),
    ("www.htk.dk/politikker", "w w w punktum h t k punktum d k skråstreg politikker"),
    (
        "Læs mere på https://www.htk.dk/politikker/",
        "Læs mere på w w w punktum h t k punktum d k skråstreg politikker",
    ),
    ("Se https://borger.dk nu", "Se borger punktum d k nu"),
    ("Se HTK.dk", "Se h t k punktum d k"),
    (
        "Se www.htk.dk/born-og-unge.",
        "Se w w w punktum h t k punktum d k skråstreg born bindestreg og bindestreg unge.",
    ),
    ("Se www.europa.eu", "Se w w w punktum europa punktum e u"),
    ("Skriv til info2025@htk.dk", "Skriv til info2025 snabel-a h t k punktum d k"),
]

MISC = [
    (
        "Det første er ’Trivsel og fællesskaber’, som handler om",
        "Det første er Trivsel og fællesskaber, som handler om",
    ),
    (
        "Det andet tema er, at ’Børn og unge skal lære endnu mere’.",
        "Det andet tema er, at Børn og unge skal lære endnu mere.",
    ),
    ("Han sagde „ja“ og «nej»", "Han sagde ja og nej"),
    ("Børn & Unge", "Børn og Unge"),
    ("Børn&Unge", "Børn og Unge"),
    ("  mange   mellemrum\n og linjeskift ", "mange mellemrum og linjeskift"),
    ("der mistrives - altså befinder sig", "der mistrives, altså befinder sig"),
    ("i børn og unges liv – dvs. at der er", "i børn og unges liv, det vil sige at der er"),
    ("livet – uanset opvækstvilkår", "livet, uanset opvækstvilkår"),
    ("livet—uanset opvækstvilkår", "livet, uanset opvækstvilkår"),
    ("- en punktopstilling", "en punktopstilling"),
    ("", ""),
]

ALL_CASES = (
    ABBREVIATIONS
    + RANGES
    + TIMES
    + DATES_AND_ORDINALS
    + PHONE_NUMBERS
    + AMOUNTS_AND_NUMBERS
    + ADDRESSES
    + MISC
)


@pytest.mark.parametrize(("written", "spoken"), ABBREVIATIONS)
def test_abbreviations_are_written_out(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), RANGES)
def test_number_ranges_are_read_with_til_and_nothing_else_is(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), TIMES)
def test_times_are_read_in_words_like_on_the_radio(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), DATES_AND_ORDINALS)
def test_dates_and_ordinals_become_ordinal_words(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), PHONE_NUMBERS)
def test_phone_numbers_are_read_in_pairs(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), AMOUNTS_AND_NUMBERS)
def test_amounts_decimals_and_percent(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), ADDRESSES)
def test_email_and_web_addresses_are_read_piece_by_piece(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), MISC)
def test_quotes_symbols_dashes_and_whitespace(written: str, spoken: str) -> None:
    assert normalize(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), ALL_CASES)
def test_normalising_twice_changes_nothing(written: str, spoken: str) -> None:
    assert normalize(normalize(written)) == normalize(written)


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        (1, "Punkt et. Det første er Trivsel og fællesskaber."),
        (2, "Punkt to. Det første er Trivsel og fællesskaber."),
        (5, "Punkt fem. Det første er Trivsel og fællesskaber."),
        (12, "Punkt tolv. Det første er Trivsel og fællesskaber."),
    ],
)
def test_an_ordered_list_item_announces_its_number(number: int, spoken: str) -> None:
    text = "Det første er ’Trivsel og fællesskaber’."
    assert normalize(text, list_number=number) == spoken


def test_a_bullet_item_gets_no_announcement() -> None:
    text = "fokuserer vi på ressourcerne i hvert menneske"
    assert normalize(text, list_number=None) == text


def test_a_whole_seed_sentence_reads_naturally() -> None:
    text = (
        "Fjerde tema er at sikre, at der er sammenhæng og helhed i børn og unges liv – dvs. at "
        "der er sammenhæng og gode overgange mellem institution, skole, ungdomsuddannelse osv."
    )
    assert normalize(text) == (
        "Fjerde tema er at sikre, at der er sammenhæng og helhed i børn og unges liv, det vil "
        "sige at der er sammenhæng og gode overgange mellem institution, skole, "
        "ungdomsuddannelse og så videre."
    )


def test_speak_address_drops_the_scheme_and_the_final_slash() -> None:
    assert speak_address("HTTPS://WWW.HTK.DK/") == "w w w punktum h t k punktum d k"


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (0, "nul"),
        (1, "en"),
        (7, "syv"),
        (10, "ti"),
        (13, "tretten"),
        (20, "tyve"),
        (21, "enogtyve"),
        (43, "treogfyrre"),
        (59, "nioghalvtreds"),
        (67, "syvogtres"),
        (75, "femoghalvfjerds"),
        (88, "otteogfirs"),
        (99, "nioghalvfems"),
        (100, "hundrede"),
        (101, "hundrede og en"),
        (225, "to hundrede og femogtyve"),
        (1000, "tusind"),
        (1005, "tusind og fem"),
        (1250, "tusind to hundrede og halvtreds"),
        (2024, "to tusind og fireogtyve"),
        (2100, "to tusind et hundrede"),
        (21000, "enogtyve tusind"),
        (101000, "hundrede og et tusind"),
        (999999, "ni hundrede og nioghalvfems tusind ni hundrede og nioghalvfems"),
    ],
)
def test_cardinals(number: int, words: str) -> None:
    assert cardinal(number) == words


def test_cardinal_one_is_et_before_a_neuter_noun() -> None:
    assert cardinal(1, neuter=True) == "et"
    assert cardinal(21, neuter=True) == "enogtyve"


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (1, "første"),
        (2, "anden"),
        (3, "tredje"),
        (4, "fjerde"),
        (5, "femte"),
        (6, "sjette"),
        (7, "syvende"),
        (8, "ottende"),
        (9, "niende"),
        (10, "tiende"),
        (11, "ellevte"),
        (12, "tolvte"),
        (19, "nittende"),
        (20, "tyvende"),
        (21, "enogtyvende"),
        (22, "toogtyvende"),
        (30, "tredivte"),
        (31, "enogtredivte"),
        (40, "fyrretyvende"),
        (45, "femogfyrretyvende"),
        (50, "halvtredsindstyvende"),
        (60, "tresindstyvende"),
        (70, "halvfjerdsindstyvende"),
        (80, "firsindstyvende"),
        (90, "halvfemsindstyvende"),
        (99, "nioghalvfemsindstyvende"),
        (100, "hundrede"),
        (102, "hundrede og anden"),
        (200, "to hundrede"),
        (999, "ni hundrede og nioghalvfemsindstyvende"),
    ],
)
def test_ordinals(number: int, words: str) -> None:
    assert ordinal(number) == words


def test_ordinal_two_is_andet_before_a_neuter_noun() -> None:
    assert ordinal(2, neuter=True) == "andet"
    assert ordinal(102, neuter=True) == "hundrede og andet"


@pytest.mark.parametrize("number", [-1, 1_000_000])
def test_cardinal_outside_the_table_is_refused(number: int) -> None:
    with pytest.raises(ValueError):
        cardinal(number)


@pytest.mark.parametrize("number", [0, 1000])
def test_ordinal_outside_the_table_is_refused(number: int) -> None:
    with pytest.raises(ValueError):
        ordinal(number)


def test_month_names() -> None:
    assert [month_name(m) for m in (1, 3, 5, 12)] == ["januar", "marts", "maj", "december"]
    with pytest.raises(ValueError):
        month_name(13)
